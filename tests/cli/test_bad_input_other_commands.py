"""The non-image commands (track, synth, train, evaluate) against bad input (issue 20).

Each case: exit status non-zero, no traceback, exactly one error line that names
the problem, and no output folder left behind when nothing was done.
"""

import json

import pytest
import torch

from temdefects.cli.main import main
from temdefects.models.folder import default_model_path


def _analysis_of_failures(tmp):
    """An analysis folder whose every input failed (summary without frames)."""
    folder = tmp / "failed-analysis"
    folder.mkdir()
    (folder / "summary.json").write_text(json.dumps({"inputs": [], "frames": 0}))
    return folder


def _bad_dislocations(tmp):
    folder = tmp / "bad-json"
    (folder / "json").mkdir(parents=True)
    (folder / "json" / "f.json").write_text(
        json.dumps({"name": "f", "frame": 0, "dislocations": "oops"})
    )
    return folder


def _junk_folder(tmp):
    folder = tmp / "junk"
    folder.mkdir(exist_ok=True)
    (folder / "a.png").write_bytes(b"not an image")
    return folder


def _summary_only(tmp):
    """A folder holding a run summary with a dislocation count but no frame records."""
    folder = tmp / "summary-only"
    folder.mkdir()
    (folder / "summary.json").write_text(json.dumps({"dislocations": 3, "frames": 1}))
    return folder


def _file(tmp, name, text):
    path = tmp / name
    path.write_text(text)
    return path


CASES = {
    "track-missing": (lambda t: ["track", str(t / "nope"), "-o", str(t / "o")], "nope"),
    "track-broken-image-file": (
        lambda t: ["track", str(_file(t, "a.png", "x")), "-o", str(t / "o")],
        "a.png",
    ),
    "track-not-a-frame-file": (
        lambda t: ["track", str(_file(t, "notes.txt", "x")), "-o", str(t / "o")],
        "notes.txt",
    ),
    "track-empty-folder": (
        lambda t: ["track", str((t / "e").mkdir() or t / "e"), "-o", str(t / "o")],
        "e",
    ),
    "track-all-failed": (
        lambda t: ["track", str(_analysis_of_failures(t)), "-o", str(t / "o")],
        "failed-analysis",
    ),
    # a batch: the bad file gets its line, then the run's conclusion
    "track-dislocations-not-a-list": (
        lambda t: ["track", str(_bad_dislocations(t)), "-o", str(t / "o")],
        "f.json: dislocations",
    ),
    "synth-missing-backgrounds": (
        lambda t: ["synth", "-n", "2", "--backgrounds", str(t / "bg"), "-o", str(t / "o")],
        "bg",
    ),
    "synth-bad-config": (
        lambda t: [
            "synth",
            "-n",
            "2",
            "--config",
            str(_file(t, "c.yaml", "size: [0, 0]\n")),
            "-o",
            str(t / "o"),
        ],
        "size",
    ),
    "synth-unknown-preset": (
        lambda t: ["synth", "-n", "2", "--preset", "nope", "-o", str(t / "o")],
        "nope",
    ),
    "train-empty-config": (
        lambda t: ["train", str(_file(t, "e.yaml", "")), "-o", str(t / "o")],
        "empty",
    ),
    "train-empty-mapping": (
        lambda t: ["train", str(_file(t, "m.yaml", "{}\n")), "-o", str(t / "o")],
        "empty",
    ),
    "synth-real-without-folder": (
        lambda t: ["synth", "-n", "50", "--background", "real", "-o", str(t / "o")],
        "--backgrounds",
    ),
    "synth-unreadable-backgrounds": (
        lambda t: [
            "synth",
            "-n",
            "50",
            "--backgrounds",
            str(_junk_folder(t)),
            "-o",
            str(t / "o"),
        ],
        "no readable background",
    ),
    "track-summary-only": (
        lambda t: ["track", str(_summary_only(t)), "-o", str(t / "o")],
        "summary-only",
    ),
    "track-nan-flatten": (
        lambda t: ["track", str(_file(t, "a.png", "x")), "-o", str(t / "o"), "--flatten=nan"],
        "--flatten",
    ),
    "bgcrops-nothing-readable": (
        lambda t: ["bgcrops", str(_junk_folder(t)), "-o", str(t / "o")],
        "junk",
    ),
    "synth-size-names-the-option": (
        lambda t: ["synth", "-n", "1", "--size", "4", "4", "-o", str(t / "o")],
        "--size: must be >= 16",
    ),
    "train-not-a-mapping": (
        lambda t: ["train", str(_file(t, "l.yaml", "- 1\n- 2\n")), "-o", str(t / "o")],
        "l.yaml",
    ),
    "train-unknown-field": (
        lambda t: ["train", str(_file(t, "u.yaml", "colour: red\n")), "-o", str(t / "o")],
        "colour",
    ),
    "train-output-is-a-file": (
        lambda t: [
            "train",
            str(_file(t, "ok.yaml", "seed: 1\n")),
            "-o",
            str(_file(t, "out.txt", "x")),
        ],
        "out.txt",
    ),
    "evaluate-missing-data": (
        lambda t: [
            "evaluate",
            "--model",
            str(default_model_path()),
            "--data",
            str(t / "nodata"),
            "-o",
            str(t / "o"),
        ],
        "nodata",
    ),
    "loops-train-missing-synth": (
        lambda t: ["loops", "train", "--synth", str(t / "nosynth"), "-o", str(t / "o")],
        "nosynth",
    ),
    "loops-evaluate-no-tables": (
        lambda t: [
            "loops",
            "evaluate",
            "--pred",
            str(t),
            "--truth",
            str(t / "notruth"),
            "-o",
            str(t / "o"),
        ],
        "no detection tables",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_one_clear_line_and_a_failure(case, tmp_path, capsys):
    argv, needle = CASES[case]
    code = main(argv(tmp_path))
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code != 0
    assert "Traceback" not in err
    assert "missing key" not in err and "allow_pickle" not in err
    batch = case == "track-dislocations-not-a-list"
    assert len(lines) == (2 if batch else 1), lines
    assert needle in lines[0], lines[0]
    assert not (tmp_path / "o").exists(), "an output folder was left although nothing was done"


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a GPU")
def test_train_device_error_names_the_option(tmp_path, capsys):
    config = _file(tmp_path, "d.yaml", "device: cpu\n")
    assert main(["train", str(config), "--device", "cuda", "-o", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "--device: CUDA requested" in err and err.count("\n") == 1
