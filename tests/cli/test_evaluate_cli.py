"""``temdefects evaluate``: matrix cells equal summary.json, stdout row order, one stderr
line per bad folder, a broken sample gives exit 1 with one line, argparse rejects
--threshold 2, unrelated files survive --overwrite, --instances reaches the evaluation."""

import csv
import json
import shutil

import cv2
import pytest

from temdefects.cli.main import main
from tests.dislocations.evaluation.helpers import make_dataset, make_model


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("evaluate_cli")
    models = [make_model(root / "models" / name, seed=k) for k, name in enumerate(("ma", "mb"))]
    data = [make_dataset(root / "data" / name, count=2, seed=k) for k, name in enumerate("xy")]
    return [str(p) for p in models], [str(p) for p in data]


def _evaluate(*args):
    return main(["evaluate", "-q", *map(str, args)])


def test_two_models_on_two_datasets_write_a_2x2_matrix(tmp_path, inputs, capsys):
    (ma, mb), (x, y) = inputs
    out = tmp_path / "out"
    assert _evaluate("--model", ma, mb, "--data", x, y, "-o", out) == 0
    stdout, err = capsys.readouterr()
    assert err == ""
    with open(out / "matrix.csv", newline="") as fh:
        table = list(csv.reader(fh))
    assert table[0] == ["model", "x", "y"] and [r[0] for r in table[1:]] == ["ma", "mb"]
    for row in table[1:]:
        for data, cell in zip(("x", "y"), row[1:], strict=True):
            summary = json.loads((out / f"{row[0]}__{data}" / "summary.json").read_text())
            assert summary["n_images"] == 2 and summary["failed"] == {}
            assert float(cell) == pytest.approx(summary["summary"]["length_score"], abs=1e-6)
    for name in ("ma__x", "ma__y", "mb__x", "mb__y"):
        assert cv2.imread(str(out / name / "boxplot.png")) is not None
        assert (out / name / "per_image.csv").read_text().count("\n") == 3
    assert cv2.imread(str(out / "matrix.png")) is not None
    assert (out / "matrix.md").read_text().count("| ma |") == 3
    lines = stdout.splitlines()
    assert [line.split()[:3] for line in lines[1:5]] == [
        ["ma", "x", "2"],
        ["ma", "y", "2"],
        ["mb", "x", "2"],
        ["mb", "y", "2"],
    ]


def test_limit_and_overwrite(tmp_path, inputs, capsys):
    (ma, _), (x, _) = inputs
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert _evaluate("--model", ma, "--data", x, "-o", out, "--limit", "1") == 1
    assert "not empty (use --overwrite)" in capsys.readouterr().err
    assert _evaluate("--model", ma, "--data", x, "-o", out, "--limit", "1", "--overwrite") == 0
    with open(out / "ma__x" / "per_image.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["image"] for r in rows] == ["000000"]
    assert (out / "notes.txt").read_text() == "mine"


def test_missing_model_is_one_line_and_the_rest_finishes(tmp_path, inputs, capsys):
    (ma, _), (x, _) = inputs
    out = tmp_path / "out"
    assert _evaluate("--model", tmp_path / "nope", ma, "--data", x, "-o", out) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nope" in err[0] and "model folder not found" in err[0]
    assert (out / "matrix.csv").read_text().splitlines()[1].startswith("ma,")


def test_empty_data_folder_is_one_line(tmp_path, inputs, capsys):
    (ma, _), _ = inputs
    (tmp_path / "empty").mkdir()
    assert _evaluate("--model", ma, "--data", tmp_path / "empty", "-o", tmp_path / "o") == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "empty" in err[0] and "no samples" in err[0]


def test_broken_sample_is_reported_and_exit_is_one(tmp_path, inputs, capsys):
    (ma, _), (x, _) = inputs
    data = tmp_path / "x"
    shutil.copytree(x, data)
    (data / "000001.npz").write_bytes(b"PK")
    assert _evaluate("--model", ma, "--data", data, "-o", tmp_path / "o") == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "sample 000001" in err[0]


def test_bad_threshold_is_an_argument_error(inputs, capsys):
    (ma, _), (x, _) = inputs
    with pytest.raises(SystemExit) as info:
        main(["evaluate", "--model", ma, "--data", x, "--threshold", "2"])
    assert info.value.code == 2 and "[0, 1]" in capsys.readouterr().err


@pytest.mark.parametrize("instances", ["curves", "masks"])
def test_instances_choose_what_is_scored(tmp_path, inputs, instances):
    (ma, _), (x, _) = inputs
    out = tmp_path / "out"
    args = ("--model", ma, "--data", x, "-o", out)
    assert _evaluate(*args, *(["--instances", instances] if instances == "masks" else [])) == 0
    settings = json.loads((out / "ma__x" / "summary.json").read_text())["settings"]
    assert settings["instances"] == instances
    assert ("postprocess" in settings) == (instances == "curves")


def test_bad_flatten_is_one_line(tmp_path, inputs, capsys):
    (ma, _), (x, y) = inputs
    args = ("--model", ma, "--data", x, y, "-o", tmp_path / "o", "--flatten", "-3")
    assert _evaluate(*args) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--flatten" in err[0]  # once, not once per data set


@pytest.mark.parametrize("command", ["analyze", "evaluate", "adapt"])
def test_flatten_default_is_the_analysis_default(command):
    """The model record decides (adapt: --init's), 30 px without one."""
    from temdefects.cli.parser import build_parser
    from temdefects.dislocations.analysis.pipeline import DEFAULT_FLATTEN, model_flatten

    parser = build_parser()
    needed = {
        "analyze": ["x.png", "-o", "out"],
        "evaluate": ["--model", "m", "--data", "d"],
        "adapt": ["labels", "-o", "out"],
    }[command]
    given = parser.parse_args([command, *needed]).flatten
    assert given is None and model_flatten({}, given) == DEFAULT_FLATTEN
