"""Interrupting a generation run (SIGINT, SIGKILL) loses nothing: ``--resume`` finishes it
and the folder equals an uninterrupted run, file for file (issue 20)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

# Enough images that a signal sent after the 8th lands mid-run even on a fast machine.
ARGS = ["synth", "-n", "240", "--size", "96", "96", "--seed", "3", "--preset", "m2"]


def _synth(out: Path, *extra: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "temdefects.cli.main", *ARGS, "-o", str(out), *extra]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, preexec_fn=_default_sigint
    )


def _default_sigint() -> None:
    # A shell that starts a job in the background ignores SIGINT in it, and Python
    # keeps an ignored SIGINT ignored: give the child the default back, so that
    # these tests also hold when the suite runs as a background job.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _files(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_an_interrupted_synth_resumes_to_the_same_folder(sig, tmp_path):
    cut = tmp_path / "cut"
    proc = _synth(cut)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(cut.glob("*.json"))) < 8:
        time.sleep(0.05)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert b"Traceback" not in err
    written = len(list(cut.glob("0*.json")))
    assert 0 < written < 240, "the run was not cut in the middle"
    resumed = _synth(cut, "--resume")
    _, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err.decode()
    whole = _synth(tmp_path / "whole")
    whole.communicate(timeout=300)
    a, b = _files(cut), _files(tmp_path / "whole")
    assert sorted(a) == sorted(b)  # no temporary file left behind either
    differing = [k for k in b if a[k] != b[k]]
    assert not differing, differing[:5]


def _train_config(tmp_path: Path) -> Path:
    from tests.train.helpers import tiny_train_config

    return tiny_train_config(tmp_path)


def _train(config: Path, out: Path, *extra: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "temdefects.cli.main", "train", str(config), "-o", str(out)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(
        [*cmd, "-q", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        preexec_fn=_default_sigint,
    )


@pytest.mark.slow
def test_a_killed_training_resumes_to_the_same_weights(tmp_path):
    import torch

    config = _train_config(tmp_path)
    cut = tmp_path / "cut"
    proc = _train(config, cut)
    last = cut / "checkpoints" / "last.pt"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not last.exists():
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    assert last.exists() and not (cut / "model.safetensors").exists(), "not cut mid-run"
    resumed = _train(config, cut, "--resume")
    _, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err.decode()
    whole = _train(config, tmp_path / "whole")
    whole.communicate(timeout=600)
    a = torch.load(last, weights_only=False)
    b = torch.load(tmp_path / "whole" / "checkpoints" / "last.pt", weights_only=False)
    assert a["state"]["step"] == b["state"]["step"]
    assert all(torch.equal(a["model"][k], b["model"][k]) for k in b["model"])


def _analyze(frames: Path, out: Path, *extra: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "temdefects.cli.main", "analyze", str(frames), "-o", str(out)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(
        [*cmd, "-q", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        preexec_fn=_default_sigint,
    )


def _tree(folder: Path) -> dict:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "summary.json"  # it holds the run time
    }


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_an_interrupted_analysis_resumes_to_the_same_results(sig, tmp_path):
    from temdefects.synth.config import load_config
    from temdefects.synth.dislocations.dataset import generate_dataset

    frames = tmp_path / "frames"
    small = {"size": [96, 96], "artifacts": {"dirt": 0}}
    generate_dataset(frames, load_config("m2", overrides=small), count=72, seed=5, progress=False)
    for p in frames.glob("*"):  # keep only the images
        if p.suffix != ".png":
            p.unlink()
    cut = tmp_path / "cut"
    proc = _analyze(frames, cut)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(cut.glob("rois/*.zip"))) < 4:
        time.sleep(0.05)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert b"Traceback" not in err
    done = len(list(cut.glob("rois/*.zip")))
    assert 0 < done < 72, "the run was not cut in the middle"
    again = _analyze(frames, cut)  # without --resume an earlier run is not touched
    again.communicate(timeout=120)
    assert again.returncode == 1
    resumed = _analyze(frames, cut, "--resume")
    out, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err.decode()
    assert b"kept from the interrupted run" in out
    whole = _analyze(frames, tmp_path / "whole")
    whole.communicate(timeout=600)
    assert whole.returncode == 0
    a, b = _tree(cut), _tree(tmp_path / "whole")
    assert sorted(a) == sorted(b)  # no temporary file left behind either
    differing = [k for k in b if a[k] != b[k]]
    assert not differing, differing[:5]
