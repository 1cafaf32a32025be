import csv
import json

import cv2
import numpy as np
import pytest
import tifffile

from temdefects.cli.main import main
from temdefects.particles import pipeline
from tests.particles.helpers import QUIET_AUGMENT, make_tiny_folder, one_torch_thread

TRAIN = [
    "--epochs",
    "6",
    "--lr",
    "5e-3",
    "--crop",
    "64",
    "--batch-size",
    "4",
    "--decoder-base",
    "4",
    "-q",
]


@pytest.fixture(autouse=True)
def _one_torch_thread():
    with one_torch_thread():
        yield


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A generated folder and a model folder written by ``particles train``."""
    root = tmp_path_factory.mktemp("particles_cli")
    data = make_tiny_folder(root / "data")
    config = root / "train.yaml"
    config.write_text(json.dumps({"augment": QUIET_AUGMENT, "classifier": {"n_estimators": 20}}))
    model = root / "model"
    args = ["particles", "train", "--data", str(data), "-o", str(model), "--config", str(config)]
    with one_torch_thread():
        code = main([*args, *TRAIN, "--test-fraction", "0.2", "--seed", "1"])
    return code, data, model


def test_train_writes_a_model_folder(trained, capsys):
    code, _, model = trained
    assert code == 0
    for name in (
        "config.json",
        "model.safetensors",
        "metrics.json",
        "classifier.skops",
        "classifier.json",
        "log.csv",
        "train_config.yaml",
    ):
        assert (model / name).is_file(), name
    record = json.loads((model / "config.json").read_text())
    assert record["training"]["task"] == "particles"
    assert record["training"]["seed"] == 1
    assert record["training"]["train_config"]["optim"]["epochs"] == 6
    assert record["training"]["train_config"]["augment"]["noise_probability"] == 0.0
    assert record["model"]["decoder_base"] == 4 and record["model"]["n_masks"] == 1
    assert len((model / "log.csv").read_text().splitlines()) == 7
    assert not (model / "checkpoints").exists()  # a finished run leaves no checkpoint


@pytest.mark.slow  # trains twice; the resume logic itself is tested fast in test_segment.py
def test_an_interrupted_train_resumes_to_the_same_model(trained, tmp_path, capsys, monkeypatch):
    import temdefects.particles.segment as segment

    _, data, model = trained
    out = tmp_path / "model"
    config = model.parent / "train.yaml"
    args = ["particles", "train", "--data", str(data), "-o", str(out), "--config", str(config)]
    args += [*TRAIN, "--test-fraction", "0.2", "--seed", "1"]
    calls, loss = [], segment.dice_bce_loss

    def interrupted(*a, **kw):
        calls.append(1)
        if len(calls) == 4:  # in epoch 4: epochs 1-3 are checkpointed
            raise KeyboardInterrupt
        return loss(*a, **kw)

    monkeypatch.setattr(segment, "dice_bce_loss", interrupted)
    assert main(args) == 130
    monkeypatch.setattr(segment, "dice_bce_loss", loss)
    capsys.readouterr()
    assert main(args) == 1
    assert "interrupted training run (use --resume" in capsys.readouterr().err
    assert main([*args, "--resume"]) == 0
    assert (out / "model.safetensors").read_bytes() == (model / "model.safetensors").read_bytes()
    assert (out / "log.csv").read_text().count("\n") == 7
    assert not (out / "checkpoints").exists()


def test_analyze_writes_tables_labels_overlays_and_a_summary(trained, tmp_path, capsys):
    _, data, model = trained
    out = tmp_path / "out"
    inputs = [str(data / "000000.png"), str(data / "000004.png"), str(tmp_path / "nope.png")]
    code = main(
        [
            "particles",
            "analyze",
            *inputs,
            "-o",
            str(out),
            "--model",
            str(model),
            "--pixel-size",
            "0.03",
            "-q",
        ]
    )
    captured = capsys.readouterr()
    assert code == 1 and "nope.png" in captured.err  # reported and skipped
    found = 0
    for name in ("000000", "000004"):
        with open(out / f"{name}.csv", newline="") as fh:
            rows = list(csv.DictReader(fh))
        found += len(rows)
        labels = tifffile.imread(out / f"{name}_labels.tif")
        assert labels.dtype == np.uint16 and labels.shape == (96, 96)
        assert int(labels.max()) == len(rows)
        overlay = cv2.imread(str(out / f"{name}_overlay.png"))
        assert overlay.shape == (96, 96, 3)
        for row in rows:
            assert float(row["area_nm2"]) == pytest.approx(int(row["area_px"]) * 0.0009, rel=1e-3)
    assert found > 0
    header = (out / "000000.csv").read_text().splitlines()[0]
    assert header.startswith("id,centroid_x,centroid_y,area_px,area_nm2,diameter_px,diameter_nm,")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["images"] == 2 and summary["failed"] == 1
    assert [e["status"] for e in summary["inputs"]] == ["failed", "ok", "ok"]
    assert summary["flips"] is False and summary["pyramid"] is False and summary["rescale"]
    code = main(["particles", "analyze", inputs[0], "-o", str(out), "--model", str(model), "-q"])
    assert code == 1 and "not empty" in capsys.readouterr().err


def test_analyze_records_flips_and_pyramid(trained, tmp_path):
    _, data, model = trained
    out = tmp_path / "out"
    args = ["particles", "analyze", str(data / "000000.png"), "-o", str(out)]
    assert main([*args, "--model", str(model), "--flips", "--pyramid", "-q"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["flips"] is True and summary["pyramid"] is True


def test_evaluate_writes_json_and_csv(trained, tmp_path, capsys):
    _, data, model = trained
    out = tmp_path / "eval"
    code = main(
        [
            "particles",
            "evaluate",
            "--model",
            str(model),
            "--data",
            str(data),
            "-o",
            str(out),
            "--limit",
            "2",
            "-q",
        ]
    )
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["images"] == 2 and len(summary["confusion"]) == 3
    assert 0 <= summary["dice_pooled"] <= 1
    rows = (out / "per_image.csv").read_text().splitlines()
    assert rows[0].startswith("image,true_particles,predicted_particles,matched") and len(rows) == 3
    confusion = (out / "confusion.csv").read_text().splitlines()
    assert confusion[0] == "true,fault,no_fault,no_fringes" and len(confusion) == 4
    assert "Dice" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args,message",
    [
        (["train", "-o", "{tmp}/m"], "--data"),
        (["train", "--data", "{tmp}/none", "-o", "{tmp}/m"], "none: dataset folder not found"),
        (["train", "--data", "{tmp}", "-o", "{tmp}/m"], "no generated particle images"),
        (["train", "--data", "{tmp}", "-o", "{tmp}/m", "--crop", "100"], "data.crop"),
        (["train", "--data", "{tmp}", "-o", "{tmp}/m", "--config", "{tmp}/c.json"], "not found"),
        (["train", "--data", "{tmp}", "-o", "{tmp}/m", "--resume", "--overwrite"], "exclude"),
        (["analyze", "{tmp}/x.png", "-o", "{tmp}/o", "--model", "{tmp}"], "config.json"),
        (["analyze", "{tmp}/x.png", "-o", "{tmp}/o"], "no default particle model"),
        (["evaluate", "--data", "{tmp}/none", "--model", "{tmp}"], "none: dataset folder"),
        (["finetune", "--images", "{tmp}/i", "--masks", "{tmp}", "-o", "{tmp}/m"], "i: image fold"),
        (
            ["finetune", "--images", "{tmp}", "--masks", "{tmp}/k", "-o", "{tmp}/m"],
            "k: mask folder",
        ),
        (
            ["finetune", "--images", "{tmp}", "--masks", "{tmp}", "-o", "{tmp}/m", "--crop", "100"],
            "--crop: must be a multiple of 32",
        ),
        (
            [
                "finetune",
                "--images",
                "{tmp}",
                "--masks",
                "{tmp}",
                "-o",
                "{tmp}/m",
                "--val-masks",
                "x",
            ],
            "--val-images and --val-masks go together",
        ),
        (["finetune", "--images", "{tmp}", "--masks", "{tmp}", "-o", "{tmp}/m"], "cannot hold"),
    ],
)
def test_bad_inputs_are_one_line_errors(args, message, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(pipeline, "default_particle_model_path", lambda: tmp_path / "nomodel")
    # inputs are checked before the model is loaded: give analyze a readable image
    cv2.imwrite(str(tmp_path / "x.png"), np.full((32, 32), 128, np.uint8))
    code = main(["particles", *[a.format(tmp=tmp_path) for a in args]])
    err = capsys.readouterr().err
    assert code == 1
    assert message in err and len(err.strip().splitlines()) == 1
    assert err.startswith(f"temdefects particles {args[0]}: error:")


def test_analyze_checks_inputs_before_loading_the_model(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(pipeline, "default_particle_model_path", lambda: tmp_path / "nomodel")
    code = main(["particles", "analyze", str(tmp_path / "typo.png"), "-o", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 1 and "typo.png" in err and "model" not in err
    assert not (tmp_path / "o").exists()  # nothing read, nothing written


def test_finetune_from_images_and_masks(trained, tmp_path, capsys):
    from temdefects.synth.particles import read_particle_sample

    _, data, model = trained
    images, masks = tmp_path / "img", tmp_path / "mask"
    images.mkdir()
    masks.mkdir()
    for i in range(5):
        sample = read_particle_sample(data, i)
        tifffile.imwrite(images / f"s{i}.tif", sample.image)
        cv2.imwrite(str(masks / f"s{i}.png"), np.where(sample.labels > 0, 2, 1).astype(np.uint8))
    out = tmp_path / "tuned"
    args = ["particles", "finetune", "--images", str(images), "--masks", str(masks)]
    args += ["--value", "2", "-o", str(out), "--model", str(model), "--epochs", "2"]
    args += ["--crop", "64", "--batch-size", "4", "--precision", "bf16", "--refit", "-q"]
    with one_torch_thread():
        code = main(args)
    assert code == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    assert "fine-tuned on 4 images (name pairing)" in printed
    assert "then refit on all 5 images" in printed
    record = json.loads((out / "config.json").read_text())["training"]
    assert record["train_config"]["optim"]["cpu_bf16"] is True
    assert record["finetune"]["value"] == 2 and record["finetune"]["train_images"] == 4
    assert (out / "classifier.skops").is_file()
    code = main([*args[:-1], "-q"])  # the folder is not empty now
    assert code == 1 and "not empty" in capsys.readouterr().err
