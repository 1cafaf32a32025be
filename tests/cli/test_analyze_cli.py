import json

import cv2
import numpy as np
import pytest
import torch

from temdefects.cli.main import main
from temdefects.io.imagej import read_imagej_rois
from temdefects.io.labelme import read_labelme
from temdefects.models import build_model, save_model


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = build_model(
            {"arch": "unet", "encoder": "mobilenet_v2", "n_masks": 4, "decoder_base": 4}
        )
    return save_model(tmp_path_factory.mktemp("model"), model)


@pytest.fixture()
def inputs(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name in ("a.png", "b.png"):
        cv2.imwrite(str(folder / name), (rng.random((64, 80)) * 255).astype(np.uint8))
    import tifffile

    tifffile.imwrite(
        folder / "stack.tif",
        (rng.random((3, 48, 48)) * 4000).astype(np.uint16),
        photometric="minisblack",
    )
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    return folder


def test_batch_finishes_good_inputs_and_reports_bad_ones(tmp_path, inputs, model_dir, capsys):
    out = tmp_path / "out"
    code = main(
        [
            "analyze",
            str(inputs),
            "-o",
            str(out),
            "--model",
            str(model_dir),
            "-q",
            "--pixel-size",
            "0.5",
            "--min-size",
            "5",
            "--min-length",
            "3",
        ]
    )
    stdout, err = capsys.readouterr()
    assert code == 1 and "broken.png" in err and err.count("\n") == 1
    summary = json.loads((out / "summary.json").read_text())
    status = {e["input"].split("/")[-1]: e for e in summary["inputs"]}
    assert status["broken.png"]["status"] == "failed"
    assert status["stack.tif"]["frames"] == 3 and status["a.png"]["frames"] == 1
    names = sorted(p.stem for p in (out / "json").iterdir())
    assert names == ["a", "b", "stack_f00000", "stack_f00001", "stack_f00002"]
    rec = json.loads((out / "json" / "a.json").read_text())
    assert rec["pixel_size_nm"] == 0.5 and rec["image_shape"] == [64, 80]
    doc = read_labelme(out / "labelme" / "a.json")
    assert doc.shape == (64, 80) and len(doc.shapes) == len(rec["dislocations"])
    for shape, d in zip(doc.shapes, rec["dislocations"], strict=True):
        assert shape.shape_type == "linestrip" and shape.label == "dislocation"
        assert np.allclose(shape.points, d["points"], atol=1e-2)
    assert len(read_imagej_rois(out / "rois" / "a.zip")) == len(rec["dislocations"])
    assert (out / "labelme" / "stack_f00001.png").is_file()  # stack frames get an image
    table = (out / "dislocations.csv").read_text().splitlines()
    assert len(table) - 1 == summary["dislocations"]


def test_refuses_a_folder_with_other_files(tmp_path, inputs, model_dir, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    code = main(["analyze", str(inputs / "a.png"), "-o", str(out), "--model", str(model_dir), "-q"])
    assert code == 1 and "not empty" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args,message",
    [
        (["--threshold", "2"], "--threshold:"),
        (["--pixel-size", "-1"], "--pixel-size:"),
        (["--max-side", "4"], "--max-side:"),
        (["--min-length", "-1"], "--min-length:"),
        (["--join-gap", "-5"], "--join-gap:"),
        (["--edge-margin", "-1"], "--edge-margin:"),
        (["--flatten", "-1"], "--flatten:"),
        (["--pixel-size", "inf"], "--pixel-size:"),
        (["--pixel-size", "nan"], "--pixel-size:"),
        (["--min-objectness", "nan"], "--min-objectness:"),
        (["--min-length", "nan"], "--min-length:"),
        (["--join-gap", "nan"], "--join-gap:"),
        (["--join-gap", "inf"], "--join-gap:"),
        (["--corner-angle", "0"], "--corner-angle:"),
        (["--corner-angle", "200"], "--corner-angle:"),
        (["--flatten", "nan"], "--flatten:"),
    ],
)
def test_bad_parameters(tmp_path, inputs, model_dir, capsys, args, message):
    code = main(
        [
            "analyze",
            str(inputs / "a.png"),
            "-o",
            str(tmp_path / "o"),
            "--model",
            str(model_dir),
            "-q",
            *args,
        ]
    )
    assert code == 1 and message in capsys.readouterr().err


def test_missing_model_and_inputs(tmp_path, inputs, capsys):
    code = main(
        [
            "analyze",
            str(inputs / "a.png"),
            "-o",
            str(tmp_path / "o"),
            "--model",
            str(tmp_path / "nomodel"),
            "-q",
        ]
    )
    assert code == 1 and "model folder not found" in capsys.readouterr().err
    code = main(["analyze", str(tmp_path / "nothing.png"), "-o", str(tmp_path / "o"), "-q"])
    assert code == 1 and "nothing.png" in capsys.readouterr().err


@pytest.mark.parametrize(
    "method,join_gap,min_length", [("trace", 60.0, 25.0), ("masks", 15.0, 10.0)]
)
def test_method_and_its_defaults_are_recorded(
    tmp_path, inputs, model_dir, method, join_gap, min_length
):
    out = tmp_path / "out"
    args = ["analyze", str(inputs / "a.png"), "-o", str(out), "--model", str(model_dir), "-q"]
    assert main([*args, "--method", method]) == 0
    settings = json.loads((out / "summary.json").read_text())["settings"]
    assert settings["method"] == method
    assert (settings["join_gap"], settings["min_length"]) == (join_gap, min_length)
    assert main([*args, "--method", method, "--join-gap", "7", "--overwrite"]) == 0
    assert json.loads((out / "summary.json").read_text())["settings"]["join_gap"] == 7.0
    assert main([*args, "--edge-margin", "0", "--overwrite"]) == 0
    assert json.loads((out / "summary.json").read_text())["settings"]["edge_margin"] == 0.0


def test_flattening_follows_the_model_record_unless_given(tmp_path, inputs, model_dir, capsys):
    import shutil

    from temdefects.models.folder import update_config

    model = shutil.copytree(model_dir, tmp_path / "model")
    out = tmp_path / "out"
    args = ["analyze", str(inputs / "a.png"), "-o", str(out), "--model", str(model), "-q"]

    def flatten(*extra):
        assert main([*args, *extra, "--overwrite"]) == 0
        return json.loads((out / "summary.json").read_text())["settings"]["flatten"]

    assert flatten() == 30.0  # no input record: the library default
    update_config(model, input={"flatten": 0.0})  # trained on frames as drawn
    assert flatten() == 0.0
    assert flatten("--flatten", "12") == 12.0  # the user's value wins
    update_config(model, input={"flatten": -3})
    capsys.readouterr()
    assert main([*args, "--overwrite"]) == 1
    err = capsys.readouterr().err
    assert "model record, input.flatten: must be a number in [0, 10000] px, got -3" in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_unknown_method_is_an_argument_error(tmp_path, inputs, model_dir, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["analyze", str(inputs / "a.png"), "-o", str(tmp_path / "o"), "--method", "best"])
    assert exc.value.code == 2 and "invalid choice: 'best'" in capsys.readouterr().err


def test_the_method_choices_are_the_post_processing_methods(tmp_path, capsys):
    # the parser lists its choices without importing the post-processing: keep them in step
    from temdefects.dislocations.analysis.postprocess import METHODS

    for method in METHODS:
        code = main(
            ["analyze", str(tmp_path / "absent.png"), "-o", str(tmp_path / "o"), "--method", method]
        )
        assert code == 1 and "invalid choice" not in capsys.readouterr().err


def test_unreadable_files_beside_good_ones_do_not_cost_the_good_ones(tmp_path, model_dir, capsys):
    folder = tmp_path / "mixed"
    folder.mkdir()
    rng = np.random.default_rng(1)
    cv2.imwrite(str(folder / "good.png"), (rng.random((64, 80)) * 255).astype(np.uint8))
    (folder / "zero.png").write_bytes(b"")
    (folder / "random.tif").write_bytes(rng.bytes(500))
    (folder / "text.dm4").write_text("not a DM4 file")
    out = tmp_path / "out"
    args = [str(folder), str(tmp_path / "missing.png"), "-o", str(out)]
    code = main(["analyze", *args, "--model", str(model_dir), "-q"])
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert code == 1 and "Traceback" not in captured.err
    assert len(err) == 4 and all(line.startswith("temdefects analyze: error:") for line in err)
    for name in ("zero.png", "random.tif", "text.dm4", "missing.png"):
        assert sum(name in line for line in err) == 1
    assert "text.dm4: cannot read DM4 file (unrecognised header: not a DM4 file)" in captured.err
    assert "version" not in captured.err  # no library internals
    summary = json.loads((out / "summary.json").read_text())
    assert summary["frames"] == 1 and summary["failed"] == 4
    assert (out / "json" / "good.json").exists()


def test_nothing_readable_writes_nothing(tmp_path, model_dir, capsys):
    out = tmp_path / "out"
    code = main(["analyze", str(tmp_path / "missing.png"), "-o", str(out), "-q"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1 and "missing.png" in err[0]
    assert not out.exists()


def test_output_path_that_is_a_file(tmp_path, inputs, model_dir, capsys):
    target = tmp_path / "file.txt"
    target.write_text("mine")
    code = main(["analyze", str(inputs / "a.png"), "-o", str(target), "--model", str(model_dir)])
    err = capsys.readouterr().err
    assert code == 1 and "is a file" in err and "Traceback" not in err
    assert target.read_text() == "mine"


@pytest.mark.parametrize("command", [["analyze"], ["loops", "detect"], ["particles", "analyze"]])
def test_every_input_unreadable_leaves_nothing(tmp_path, command, capsys):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    out = tmp_path / "out"
    code = main([*command, str(bad), "-o", str(out), "-q"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1 and "bad.png" in err[0]
    assert not out.exists()


@pytest.mark.parametrize("command", [["analyze"], ["loops", "detect"], ["particles", "analyze"]])
def test_a_1x1_image_is_refused_with_its_size(tmp_path, command, capsys):
    tiny = tmp_path / "tiny.png"
    cv2.imwrite(str(tiny), np.full((1, 1), 100, np.uint8))
    code = main([*command, str(tiny), "-o", str(tmp_path / "out"), "-q"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1 and "1x1 px, too small" in err[0]


def test_resume_removes_what_a_killed_write_left(tmp_path, inputs, model_dir):
    # A run killed inside atomic_write_bytes leaves ".NAME.XXXX.tmp" files.
    out = tmp_path / "out"
    args = ["analyze", str(inputs / "a.png"), "-o", str(out), "--model", str(model_dir), "-q"]
    assert main(args) == 0
    leftovers = [out / "overlays" / ".a.png.x1y2z3.tmp", out / ".dislocations.csv.k9.tmp"]
    for p in leftovers:
        p.write_bytes(b"half")
    assert main([*args, "--resume"]) == 0
    assert not any(p.exists() for p in leftovers)
    assert (out / "overlays" / "a.png").is_file()
