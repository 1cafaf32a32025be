"""Interrupting a generation run (SIGINT, SIGKILL) loses nothing: ``--resume`` finishes it
and the folder equals an uninterrupted run, file for file (issue 20)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ARGS = ["synth", "-n", "60", "--size", "96", "96", "--seed", "3", "--preset", "m2"]


def _synth(out: Path, *extra: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "temdefects.cli.main", *ARGS, "-o", str(out), *extra]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)


def _files(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


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
    assert 0 < written < 60, "the run was not cut in the middle"
    resumed = _synth(cut, "--resume")
    _, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err.decode()
    whole = _synth(tmp_path / "whole")
    whole.communicate(timeout=300)
    a, b = _files(cut), _files(tmp_path / "whole")
    assert sorted(a) == sorted(b)  # no temporary file left behind either
    differing = [k for k in b if a[k] != b[k]]
    assert not differing, differing[:5]
