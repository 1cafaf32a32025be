import json

import numpy as np
import pytest
import torch

from temdefects.dislocations.analysis.choose import CORNER_ANGLES, GRID
from temdefects.errors import ConfigError, TemdefectsError
from temdefects.models import load
from temdefects.synth.config import load_config
from temdefects.synth.dislocations.dataset import generate_dataset
from temdefects.train import train, train_config_from_dict
from temdefects.train.loop import lr_factor


@pytest.fixture(scope="module")
def small_set(tmp_path_factory):
    """Eight 64x64 images: six to train on, two as the test split."""
    folder = tmp_path_factory.mktemp("set")
    config = load_config(
        "m2",
        overrides={
            "size": [64, 64],
            "drawing": {"noise": {"probability": 0.0}},
            "microstructure": {"max_dislocations": 3, "min_visible_length": 20},
            "artifacts": {"dirt": 0},
        },
    )
    generate_dataset(folder, config, count=8, seed=2, progress=False)
    return folder


def config_for(folder, **optim):
    return train_config_from_dict(
        {
            "seed": 1,
            "device": "cpu",
            "model": {"arch": "unet", "encoder": "mobilenet_v2", "n_masks": 4, "decoder_base": 4},
            "data": {
                "source": "folder",
                "folder": str(folder),
                "test_images": 2,
                "crop": 0,
                "batch_size": 2,
                "min_mask_pixels": 1,
            },
            "augment": {
                "noise_probability": 0,
                "brightness_probability": 0,
                "contrast_probability": 0,
                "equalize_probability": 0,
            },
            "loss": {"matching": "hungarian"},
            "optim": {
                "lr": 3e-3,
                "epochs": 4,
                "warmup": 0.0,
                "schedule": "constant",
                "checkpoint_every": 1000,
                **optim,
            },
            "eval": {"every": 4},
        }
    )


@pytest.mark.slow
def test_tiny_model_learns(tmp_path, small_set):
    best = train(
        config_for(small_set, epochs=12, lr=1e-2),
        tmp_path / "run",
        progress=False,
        log=lambda *_: None,
    )
    rows = (tmp_path / "run" / "log.csv").read_text().splitlines()
    losses = [float(r.split(",")[3]) for r in rows[1:]]
    assert len(losses) == 12 and losses[-1] < losses[0] - 0.1
    assert 0.0 <= best["length_score"] <= 1.0
    model = load(tmp_path / "run")  # the output folder is a model folder
    assert model.config.n_masks == 4
    record = json.loads((tmp_path / "run" / "config.json").read_text())["training"]
    assert record["seed"] == 1 and record["data"]["source"] == "folder"
    assert (tmp_path / "run" / "loss_curve.png").stat().st_size > 1000


@pytest.mark.slow
def test_resume_reproduces_an_uninterrupted_run(tmp_path, small_set):
    quiet = {"progress": False, "log": lambda *_: None}
    train(config_for(small_set), tmp_path / "straight", **quiet)
    # The same run stopped after two epochs and resumed.
    train(config_for(small_set, epochs=2), tmp_path / "split", **quiet)
    ckpt = torch.load(tmp_path / "split" / "checkpoints" / "last.pt", weights_only=False)
    ckpt["config"]["optim"]["epochs"] = 4  # as if interrupted, not finished
    del ckpt["config"]["half"]  # written before the field existed: its default applies
    torch.save(ckpt, tmp_path / "split" / "checkpoints" / "last.pt")
    train(config_for(small_set), tmp_path / "split", resume=True, **quiet)
    a = torch.load(tmp_path / "straight" / "checkpoints" / "last.pt", weights_only=False)
    b = torch.load(tmp_path / "split" / "checkpoints" / "last.pt", weights_only=False)
    assert a["state"]["step"] == b["state"]["step"] == 12
    assert a["model"].keys() == b["model"].keys()
    assert all(torch.equal(a["model"][k], b["model"][k]) for k in a["model"])


@pytest.mark.slow
def test_half_stores_float16_weights_and_float32_checkpoints(tmp_path, small_set):
    from dataclasses import replace

    from safetensors.torch import load_file

    config = replace(config_for(small_set, epochs=1), half=True)
    train(config, tmp_path / "r", progress=False, log=lambda *_: None)
    stored = load_file(tmp_path / "r" / "model.safetensors")
    ckpt = torch.load(tmp_path / "r" / "checkpoints" / "last.pt", weights_only=False)["model"]
    floats = [k for k, v in ckpt.items() if v.is_floating_point()]
    assert floats and all(stored[k].dtype == torch.float16 for k in floats)
    assert all(ckpt[k].dtype == torch.float32 for k in floats)
    assert all(torch.equal(stored[k], ckpt[k].half()) for k in floats)  # the same epoch
    record = json.loads((tmp_path / "r" / "config.json").read_text())["training"]
    assert record["train_config"]["half"] is True
    assert load(tmp_path / "r").config.n_masks == 4  # loads (cast back to float32)


def test_run_folder_is_protected(tmp_path, small_set):
    quiet = {"progress": False, "log": lambda *_: None}
    cfg = config_for(small_set, epochs=1)
    train(cfg, tmp_path / "r", **quiet)
    with pytest.raises(TemdefectsError, match="--resume"):
        train(cfg, tmp_path / "r", **quiet)
    with pytest.raises(TemdefectsError, match="nothing to resume"):
        train(cfg, tmp_path / "new", resume=True, **quiet)
    with pytest.raises(TemdefectsError, match="configuration differs"):
        train(config_for(small_set, epochs=1, lr=1e-2), tmp_path / "r", resume=True, **quiet)


@pytest.mark.parametrize(
    "data,field",
    [
        ({"data": {"crop": 100}}, r"data\.crop: must be a multiple of 32"),
        ({"data": {"source": "folder"}}, r"data\.folder"),
        ({"loss": {"objectness_weight": 1.0}}, "model.objectness"),
        ({"loss": {"matching": "random"}}, r"loss\.matching"),
        ({"model": {"encoder": "nope"}}, r"model\.encoder"),
        ({"optim": {"lr": -1}}, r"optim\.lr"),
    ],
)
def test_config_errors(data, field):
    with pytest.raises(ConfigError, match=field):
        train_config_from_dict(data)


def test_learning_rate_schedule():
    f = [lr_factor(s, 100, 0.1, "cosine") for s in range(100)]
    assert f[0] == pytest.approx(0.1) and f[9] == pytest.approx(1.0)
    assert f[10] == pytest.approx(1.0) and f[-1] < 0.01
    assert np.all(np.diff(f[10:]) <= 1e-12)
    assert lr_factor(50, 100, 0.0, "constant") == 1.0


@pytest.mark.parametrize(
    "name",
    [
        "dislocations-default",
        "dislocations-thin",
        "dislocations-realistic",
        "dislocations-thin2",
        "dislocations-thin-full",
        "dislocations-insitu",
        "dislocations-twip-like",
        "dislocations-twip-like2",
        "dislocations-twip-like3",
        "dislocations-twip-like4",
        "dislocations-twip-like5",
        "dislocations-twip-like5b",
        "dislocations-twip-like5c",
        "dislocations-twip-like6",
        "dislocations-twip-like6b",
    ],
)
def test_committed_dislocation_configs_parse(name):
    """The configs of the default model and its experiments validate, with their overrides."""
    from pathlib import Path

    from temdefects.train.config import load_train_config

    root = Path(__file__).resolve().parents[2]
    config = load_train_config(root / "configs" / f"{name}.yaml")
    assert config.name == name
    first_stages = ("dislocations-default", "dislocations-twip-like")
    assert (config.init is None) == (name in first_stages)  # later stages continue
    if config.data.synth_config:
        synth = load_config(config.data.preset, root / config.data.synth_config)
        m2 = load_config("m2")
        if name in ("dislocations-realistic", "dislocations-insitu"):  # stronger slip traces
            assert synth.slip_traces.contrast.lo < m2.slip_traces.contrast.lo
        else:  # the thin-mask stages: 3 px masks instead of the preset's 5 px
            assert synth.drawing.mask_width.hi == 3 < m2.drawing.mask_width.lo


def test_union_kind_trains_and_selects_by_test_loss(tmp_path, small_set):
    from temdefects.train.loop import selection_score

    config = train_config_from_dict(
        {**config_for(small_set, epochs=2).to_dict(), "loss": {"kind": "union"}}
    )
    assert config.loss.kind == "union"
    assert selection_score(config, {"loss": 0.25, "length_score": 0.9}) == -0.25
    assert selection_score(config_for(small_set), {"loss": 0.25, "length_score": 0.9}) == 0.9
    best = train(config, tmp_path / "union", progress=False, log=lambda *_: None)
    assert best["epoch"] == 2 and best["test_loss"] > 0
    assert load(tmp_path / "union").record["training"]["train_config"]["loss"]["kind"] == "union"
    with pytest.raises(ConfigError, match="loss.kind"):
        train_config_from_dict({"loss": {"kind": "dice"}})


@pytest.mark.slow
def test_train_command_chooses_postprocessing_of_union_models_on_its_test_split(
    tmp_path, small_set, capsys
):
    """A union model gets threshold and join gap from its own test images only."""
    from temdefects.cli.main import main

    union = {**config_for(small_set, epochs=1).to_dict(), "loss": {"kind": "union"}}
    union["model"] = {**union["model"], "n_masks": 1, "objectness": False}
    path = tmp_path / "union.yaml"
    path.write_text(json.dumps(union))
    assert main(["train", str(path), "-o", str(tmp_path / "u"), "-q"]) == 0
    out = capsys.readouterr().out
    assert "post-processing chosen on" in out and "union Dice" in out
    entry = load(tmp_path / "u").record["postprocess"]
    assert entry["chosen_on"] == str(small_set.resolve())
    assert {"threshold", "join_gap", "grid"} <= set(entry)
    assert len(entry["grid"]) == len(GRID) + (
        len(CORNER_ANGLES) if entry["method"] == "trace" else 0
    )

    matched = tmp_path / "matched.yaml"
    matched.write_text(json.dumps(config_for(small_set, epochs=1).to_dict()))
    assert main(["train", str(matched), "-o", str(tmp_path / "m"), "-q"]) == 0
    assert "postprocess" not in load(tmp_path / "m").record  # the paper's N masks: defaults
    # generated frames were learnt as drawn: analyze feeds real ones unflattened too
    assert load(tmp_path / "m").record["input"] == {"flatten": 0.0}


def test_train_input_errors_are_one_line_and_early(tmp_path, small_set, capsys):
    from temdefects.cli.main import main

    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    assert main(["train", str(empty), "-o", str(tmp_path / "e"), "-q"]) == 1
    assert "configuration file is empty" in capsys.readouterr().err
    assert not (tmp_path / "e").exists()

    good = tmp_path / "good.yaml"
    good.write_text(json.dumps(config_for(small_set).to_dict()))
    target = tmp_path / "file"
    target.write_text("mine")
    assert main(["train", str(good), "-o", str(target), "-q"]) == 1
    err = capsys.readouterr().err
    assert "is a file" in err and "Traceback" not in err and target.read_text() == "mine"

    synth = {"seed": 1, "data": {"source": "synth", "backgrounds": str(tmp_path / "nowhere")}}
    bad = tmp_path / "bg.yaml"
    bad.write_text(json.dumps(synth))
    assert main(["train", str(bad), "-o", str(tmp_path / "bg"), "-q"]) == 1
    err = capsys.readouterr().err
    assert "nowhere" in err and "background folder not found" in err
    assert not (tmp_path / "bg" / "testset").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the refusal without a GPU")
def test_cuda_without_gpu_fails_before_the_test_set(tmp_path):
    config = train_config_from_dict(
        {"device": "cuda", "data": {"source": "synth", "test_images": 5}}
    )
    with pytest.raises(TemdefectsError, match="no GPU"):
        train(config, tmp_path / "run", progress=False)
    assert not (tmp_path / "run" / "testset").exists()


def test_library_training_reports_through_logging_not_print(tmp_path, small_set, capsys, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="temdefects"):
        train(config_for(small_set, epochs=4), tmp_path / "run", progress=False)
    assert "epoch 4/4" in caplog.text
    assert "epoch" not in capsys.readouterr().out  # a library prints nothing itself


def test_cpu_bf16_autocast_trains_in_bfloat16_and_keeps_float32_weights(tmp_path, small_set):
    quiet = {"progress": False, "log": lambda *_: None}
    train(config_for(small_set, epochs=1), tmp_path / "fp32", **quiet)
    train(config_for(small_set, epochs=1, cpu_bf16=True), tmp_path / "bf16", **quiet)
    a = torch.load(tmp_path / "fp32" / "checkpoints" / "last.pt", weights_only=False)["model"]
    b = torch.load(tmp_path / "bf16" / "checkpoints" / "last.pt", weights_only=False)["model"]
    floats = [k for k, v in a.items() if v.is_floating_point()]
    assert all(b[k].dtype == torch.float32 for k in floats)
    # The same seed and batches: bfloat16 rounding alone makes the weights differ ...
    assert any(not torch.equal(a[k], b[k]) for k in floats)

    def losses(run):
        rows = (tmp_path / run / "log.csv").read_text().splitlines()[1:]
        return np.array([float(r.split(",")[3]) for r in rows])

    # ... and the losses agree to bfloat16's precision (8 bits of mantissa).
    assert np.allclose(losses("bf16"), losses("fp32"), rtol=0.03)


def test_cpu_bf16_support_is_a_yes_or_no():
    from temdefects.train.loop import cpu_bf16_supported

    assert cpu_bf16_supported() in (True, False)
