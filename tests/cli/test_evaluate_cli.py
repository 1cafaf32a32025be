import csv

import cv2
import pytest

from temdefects.cli.main import main
from tests.evaluation.helpers import make_dataset, make_model


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("eval")
    models = [make_model(root / name, seed=s) for s, name in enumerate(("alpha", "beta"))]
    data = [make_dataset(root / name, count=2, seed=s) for s, name in enumerate(("d1", "d2"))]
    return root, models, data


def test_two_models_by_two_datasets(tmp_path, inputs, capsys):
    _, models, data = inputs
    out = tmp_path / "ev"
    code = main(
        ["evaluate", "--model", *map(str, models), "--data", *map(str, data), "-o", str(out), "-q"]
    )
    stdout, _ = capsys.readouterr()
    assert code == 0 and "alpha" in stdout and "beta" in stdout
    rows = list(csv.reader((out / "matrix.csv").read_text().splitlines()))
    assert rows[0] == ["model", "d1", "d2"] and [r[0] for r in rows[1:]] == ["alpha", "beta"]
    for m in ("alpha", "beta"):
        for d in ("d1", "d2"):
            folder = out / f"{m}__{d}"
            assert (folder / "summary.json").is_file()
            assert len((folder / "per_image.csv").read_text().splitlines()) == 3
            assert cv2.imread(str(folder / "boxplot.png")) is not None
    assert cv2.imread(str(out / "matrix.png")) is not None
    # A second run into the same folder needs --overwrite.
    code = main(
        ["evaluate", "--model", str(models[0]), "--data", str(data[0]), "-o", str(out), "-q"]
    )
    assert code == 1 and "--overwrite" in capsys.readouterr().err
    assert (
        main(
            [
                "evaluate",
                "--model",
                str(models[0]),
                "--data",
                str(data[0]),
                "-o",
                str(out),
                "-q",
                "--overwrite",
                "--limit",
                "1",
            ]
        )
        == 0
    )


def test_bad_folders_are_one_line_each_and_the_rest_finish(tmp_path, inputs, capsys):
    root, models, data = inputs
    empty = tmp_path / "empty"
    empty.mkdir()
    code = main(
        [
            "evaluate",
            "--model",
            str(models[0]),
            str(tmp_path / "nomodel"),
            "--data",
            str(data[0]),
            str(empty),
            "-o",
            str(tmp_path / "ev"),
            "-q",
        ]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "nomodel" in err and "empty" in err
    assert (tmp_path / "ev" / "alpha__d1" / "summary.json").is_file()
