import json

import numpy as np
import pytest

from temdefects.cli.main import main
from temdefects.models import load, read_config


def adapt_args(labelled, out, *extra):
    return [
        "adapt",
        str(labelled / "labels"),
        "--images",
        str(labelled / "images"),
        "--dark-strokes",
        "-o",
        str(out),
        "--steps",
        "2",
        "--crop",
        "64",
        "--batch-size",
        "2",
        "-q",
        *extra,
    ]


@pytest.mark.slow  # trains: keeps the fast subset under 90 s
def test_adapt_writes_a_model_with_its_labels_and_chosen_postprocessing(labelled, tmp_path, capsys):
    out = tmp_path / "model"
    assert main(adapt_args(labelled, out, "--device", "cpu")) == 0
    text = capsys.readouterr().out
    assert "3 labelled frames (6 dislocations)" in text and "adapted model" in text
    record = read_config(out)
    assert record["model"]["arch"] == "unet" and record["model"]["n_masks"] == 1
    assert record["training"]["train_config"]["loss"]["reach"] == 16
    from temdefects.train.loop import cpu_bf16_supported  # --precision auto

    assert record["training"]["train_config"]["optim"]["cpu_bf16"] == cpu_bf16_supported()
    assert record["postprocess"]["threshold"] in (0.5, 0.3)
    assert len(list((out / "labelled").glob("*.npz"))) == 3
    assert load(out) is not None
    # The labelled frames carry their record (snap as given).
    frame = json.loads((out / "labelled" / "000000.json").read_text())
    assert frame["labelled"]["snap"] == 0


def test_adapt_refuses_a_used_folder_and_bad_options(labelled, tmp_path, capsys):
    out = tmp_path / "model"
    out.mkdir()
    (out / "x").write_text("x")
    assert main(adapt_args(labelled, out)) == 1
    assert "not empty" in capsys.readouterr().err
    for bad in (["--steps", "0"], ["--reach", "-1"], ["--lr", "nan"], ["--snap", "-2"]):
        assert main(adapt_args(labelled, tmp_path / "m2", *bad)) != 0
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.slow  # trains twice; the fast subset keeps one adapt run per feature
def test_adapt_from_a_given_model(labelled, tmp_path):
    base = tmp_path / "base"
    assert main(adapt_args(labelled, base, "--device", "cpu")) == 0
    out = tmp_path / "tuned"
    extra = ("--device", "cpu", "--init", str(base), "--precision", "fp32")
    assert main(adapt_args(labelled, out, *extra)) == 0
    assert read_config(out)["training"]["train_config"]["init"] == str(base.resolve())
    assert read_config(out)["training"]["train_config"]["optim"]["cpu_bf16"] is False
    assert np.isfinite(read_config(out)["postprocess"]["join_gap"])
    assert read_config(out)["input"]["flatten"] == 30.0  # base was adapted on 30 px
    # a model pre-trained on generated frames as drawn is adapted on unflattened frames
    from temdefects.models.folder import update_config

    update_config(base, input={"flatten": 0.0})
    assert main(adapt_args(labelled, tmp_path / "t0", *extra)) == 0
    assert read_config(tmp_path / "t0")["input"]["flatten"] == 0.0
    frame = json.loads((tmp_path / "t0" / "labelled" / "000000.json").read_text())
    assert frame["labelled"]["flatten"] == 0.0
    assert main(adapt_args(labelled, tmp_path / "t5", *extra, "--flatten", "5")) == 0
    assert read_config(tmp_path / "t5")["input"]["flatten"] == 5.0  # the user's value wins


@pytest.mark.slow  # trains: keeps the fast subset under 90 s
def test_flips_for_one_mask_models_only(labelled, tmp_path, capsys):
    model = tmp_path / "model"
    assert main(adapt_args(labelled, model, "--device", "cpu")) == 0
    frame = str(labelled / "images" / "frame_0.png")
    out = tmp_path / "a"
    assert main(["analyze", frame, "-o", str(out), "--model", str(model), "--flips", "-q"]) == 0
    settings = json.loads(next((out / "json").glob("*.json")).read_text())["settings"]
    assert settings["flips"] is True
    capsys.readouterr()
    assert main(["analyze", frame, "-o", str(tmp_path / "b"), "--flips", "-q"]) == 1
    err = capsys.readouterr().err
    assert "--flips: needs a one-mask model" in err and err.count("\n") == 1


@pytest.mark.slow  # trains twice; the fast subset keeps one adapt run per feature
def test_adapt_resumes_a_finished_or_interrupted_run(labelled, tmp_path, capsys):
    out = tmp_path / "model"
    assert main(adapt_args(labelled, out, "--device", "cpu")) == 0
    first = (out / "model.safetensors").read_bytes()
    assert main(adapt_args(labelled, out, "--device", "cpu", "--resume")) == 0
    assert (out / "model.safetensors").read_bytes() == first  # nothing left to train
    assert len(list((out / "labelled").glob("*.npz"))) == 3  # labels not converted twice
    capsys.readouterr()


@pytest.mark.slow  # trains: keeps the fast subset under 90 s
def test_local_contrast_is_learnt_stored_and_used_by_analyze(labelled, tmp_path):
    import cv2

    from temdefects.dislocations.analysis.pipeline import model_input

    model = tmp_path / "model"
    assert main(adapt_args(labelled, model, "--device", "cpu", "--contrast", "local")) == 0
    assert read_config(model)["input"] == {"flatten": 30.0, "contrast": "local", "scale": 1.0}
    # the training frames are written as analyze will feed them
    frame = json.loads((model / "labelled" / "000000.json").read_text())["labelled"]
    assert frame["contrast"] == "local"
    source = cv2.imread(frame["image"], cv2.IMREAD_UNCHANGED)
    written = cv2.imread(str(model / "labelled" / "000000.png"), cv2.IMREAD_UNCHANGED)
    expected = (model_input(source, 30.0, "local")[1] * 255 + 0.5).astype(np.uint8)
    np.testing.assert_array_equal(written, expected)
    image = str(labelled / "images" / "frame_0.png")
    for extra, contrast in (((), "local"), (("--contrast", "global"), None)):
        out = tmp_path / f"a{len(extra)}"
        assert main(["analyze", image, "-o", str(out), "--model", str(model), "-q", *extra]) == 0
        settings = json.loads(next((out / "json").glob("*.json")).read_text())["settings"]
        assert settings.get("contrast") == contrast  # the record's, unless the user says


def test_bad_contrast_is_one_usage_error(labelled, tmp_path, capsys):
    image = str(labelled / "images" / "frame_0.png")
    with pytest.raises(SystemExit) as exc:
        main(["analyze", image, "-o", str(tmp_path / "a"), "--contrast", "loud"])
    assert exc.value.code == 2
    assert "invalid choice: 'loud'" in capsys.readouterr().err


@pytest.mark.slow  # trains: keeps the fast subset under 90 s
def test_bad_contrast_in_a_model_record_is_one_error_line(labelled, tmp_path, capsys):
    from temdefects.cli.common import record_contrast
    from temdefects.errors import TemdefectsError
    from temdefects.models.folder import update_config

    model = tmp_path / "model"
    assert main(adapt_args(labelled, model, "--device", "cpu")) == 0
    update_config(model, input={"flatten": 30.0, "contrast": "loud"})
    capsys.readouterr()
    image = str(labelled / "images" / "frame_0.png")
    assert main(["analyze", image, "-o", str(tmp_path / "a"), "--model", str(model), "-q"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "model record, input.contrast: must be one of global, local, got 'loud'" in err
    # the user's own --contrast wins over the record
    assert record_contrast({"input": {"contrast": "loud"}}, "local") == "local"
    with pytest.raises(TemdefectsError, match="model record"):
        record_contrast({"input": {"contrast": "loud"}}, None)


@pytest.mark.slow
def test_scale_is_learnt_stored_and_used_by_analyze(labelled, tmp_path, capsys):
    import cv2

    from temdefects.dislocations.analysis.pipeline import model_input, resampled

    model = tmp_path / "model"
    assert main(adapt_args(labelled, model, "--device", "cpu", "--scale", "2")) == 0
    assert read_config(model)["input"]["scale"] == 2.0
    frame = json.loads((model / "labelled" / "000000.json").read_text())["labelled"]
    assert frame["scale"] == 2.0
    source = cv2.imread(frame["image"], cv2.IMREAD_UNCHANGED)
    written = cv2.imread(str(model / "labelled" / "000000.png"), cv2.IMREAD_UNCHANGED)
    expected = (resampled(model_input(source, 30.0)[1], 2.0) * 255 + 0.5).astype(np.uint8)
    np.testing.assert_array_equal(written, expected)
    assert written.shape == (2 * source.shape[0], 2 * source.shape[1])
    from temdefects.synth.dislocations.files import read_sample

    sample = read_sample(model / "labelled", "000000")
    assert sample.masks.shape[1:] == written.shape and sample.masks.any(axis=(1, 2)).all()
    image = str(labelled / "images" / "frame_0.png")
    for extra, scale in (((), 2.0), (("--scale", "1"), 1.0)):
        out = tmp_path / f"a{len(extra)}"
        assert main(["analyze", image, "-o", str(out), "--model", str(model), "-q", *extra]) == 0
        record = json.loads(next((out / "json").glob("*.json")).read_text())
        assert record["settings"]["scale"] == scale  # the record's, unless the user says
        assert record["image_shape"] == list(source.shape[:2])  # curves in the frame's px
    from temdefects.models.folder import update_config

    update_config(model, input={"flatten": 30.0, "contrast": "global", "scale": "big"})
    capsys.readouterr()
    assert main(["analyze", image, "-o", str(tmp_path / "b"), "--model", str(model), "-q"]) == 1
    err = capsys.readouterr().err
    assert "model record, input.scale: must be a number in [0.05, 20], got 'big'" in err
    assert err.count("\n") == 1


def test_bad_scale_for_labels_is_one_error_line(labelled, tmp_path, capsys):
    for bad in ("0", "nan", "100"):
        assert main(adapt_args(labelled, tmp_path / f"m{bad}", "--scale", bad)) == 1
        err = capsys.readouterr().err
        assert "--scale: must be in [0.25, 8]" in err and err.count("\n") == 1
