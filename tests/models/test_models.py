import json

import numpy as np
import pytest
import torch

from temdefects.errors import ConfigError, InputFileError
from temdefects.models import ModelConfig, build_model, load, predict, save_model

TINY = {"arch": "unet", "encoder": "resnet18", "n_masks": 4, "decoder_base": 4}


@pytest.fixture(scope="module")
def tiny_model():
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return build_model(TINY).eval()


def test_default_is_the_papers_configuration():
    cfg = ModelConfig()
    assert (cfg.arch, cfg.encoder, cfg.n_masks, cfg.in_channels) == (
        "unetplusplus",
        "resnet50",
        20,
        1,
    )


@pytest.mark.parametrize(
    "data,field",
    [
        ({"arch": "transformer9000"}, "model.arch"),
        ({"encoder": "resnet-nope"}, "model.encoder"),
        ({"n_masks": 0}, "model.n_masks"),
        ({"colour": 3}, "model.colour"),
    ],
)
def test_config_errors_name_the_field(data, field):
    with pytest.raises(ConfigError, match=field):
        ModelConfig.from_dict(data)


def test_forward_shapes_and_objectness_head():
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(1)
        model = build_model({**TINY, "objectness": True}).eval()
    logits, obj = model(torch.rand(2, 1, 64, 96))
    assert logits.shape == (2, 4, 64, 96) and obj.shape == (2, 4)
    with pytest.raises(ValueError, match="multiples of 32"):
        model(torch.rand(1, 1, 50, 64))


def test_predict_pads_and_crops(tiny_model):
    image = (np.random.default_rng(0).random((70, 45)) * 255).astype(np.uint8)
    probs, obj = predict(tiny_model, image)
    assert probs.shape == (4, 70, 45) and obj is None
    assert probs.dtype == np.float32 and 0 <= probs.min() and probs.max() <= 1
    batch, _ = predict(tiny_model, [image, image], batch_size=1)
    assert batch.shape == (2, 4, 70, 45) and np.allclose(batch[0], probs, atol=1e-6)
    with pytest.raises(ValueError, match="2D greyscale"):
        predict(tiny_model, np.zeros((2, 3, 32, 32)))  # a batch of colour images


def test_standardized_input_ignores_brightness_and_contrast(tiny_model):
    image = np.random.default_rng(1).random((64, 64)).astype(np.float32) * 0.5
    a, _ = predict(tiny_model, image)
    b, _ = predict(tiny_model, image * 1.5 + 0.2)
    assert np.allclose(a, b, atol=1e-4)


@pytest.mark.parametrize("half", [False, True])
def test_folder_round_trip(tmp_path, tiny_model, half):
    save_model(
        tmp_path / "m",
        tiny_model,
        record={"seed": 3, "recipe": "test"},
        metrics={"length_score": 0.5},
        half=half,
    )
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == [
        "config.json",
        "metrics.json",
        "model.safetensors",
    ]
    loaded = load(tmp_path / "m")
    assert not loaded.training and loaded.record["training"]["seed"] == 3
    image = np.random.default_rng(2).random((64, 64)).astype(np.float32)
    a, _ = predict(tiny_model, image)
    b, _ = predict(loaded, image)
    assert np.allclose(a, b, atol=2e-2 if half else 1e-6)


def test_missing_and_corrupted_folders(tmp_path, tiny_model):
    with pytest.raises(InputFileError, match="model folder not found"):
        load(tmp_path / "none")
    folder = save_model(tmp_path / "m", tiny_model)
    (folder / "model.safetensors").write_bytes(b"garbage")
    with pytest.raises(InputFileError, match="model.safetensors: corrupted"):
        load(folder)
    (folder / "model.safetensors").unlink()
    with pytest.raises(InputFileError, match="model.safetensors: missing"):
        load(folder)
    (folder / "config.json").write_text("{not json")
    with pytest.raises(InputFileError, match="config.json: corrupted"):
        load(folder)
    (folder / "config.json").write_text(json.dumps({"format": "other"}))
    with pytest.raises(InputFileError, match="not a temdefects model"):
        load(folder)


def test_weights_of_another_architecture_are_refused(tmp_path, tiny_model):
    folder = save_model(tmp_path / "m", tiny_model)
    cfg = json.loads((folder / "config.json").read_text())
    cfg["model"]["n_masks"] = 6
    (folder / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(InputFileError, match="do not fit"):
        load(folder)


def test_decoder_width_is_configurable():
    small = build_model({**TINY, "decoder_base": 2})
    default = build_model({**TINY, "decoder_base": 16})
    n = [sum(p.numel() for p in m.net.decoder.parameters()) for m in (small, default)]
    assert n[0] < n[1] / 10
    assert small.config.decoder_channels == (32, 16, 8, 4, 2)
    with pytest.raises(ConfigError, match="decoder_base: only for"):
        ModelConfig.from_dict({"arch": "fpn", "encoder": "resnet18", "decoder_base": 8})


def test_loaded_models_run_channels_last_with_the_same_probabilities(tmp_path, tiny_model):
    from temdefects.models.predict import _channels_last

    save_model(tmp_path / "m", tiny_model)
    loaded = load(tmp_path / "m")
    assert _channels_last(loaded) and not _channels_last(tiny_model)
    conv = next(p for p in loaded.parameters() if p.dim() == 4 and p.shape[1] > 1)
    assert conv.is_contiguous(memory_format=torch.channels_last)
    image = np.random.default_rng(5).random((2, 70, 90)).astype(np.float32)
    a, _ = predict(tiny_model, list(image))
    b, _ = predict(loaded, list(image))
    assert a.shape == b.shape == (2, 4, 70, 90)
    assert np.allclose(a, b, atol=1e-5)
    # saving a channels-last model writes plain contiguous weights that load again
    save_model(tmp_path / "again", loaded)
    c, _ = predict(load(tmp_path / "again"), list(image))
    assert np.allclose(b, c, atol=1e-6)


def test_flips_average_the_four_mirror_images():
    torch.manual_seed(0)
    with torch.no_grad():
        model = build_model({**TINY, "n_masks": 1}).eval()
    image = np.random.default_rng(0).random((37, 45)).astype(np.float32)
    plain, _ = predict(model, image)
    averaged, _ = predict(model, image, flips=True)
    by_hand = np.mean(
        [
            predict(model, np.ascontiguousarray(image[::r, ::c]))[0][:, ::r, ::c]
            for r in (1, -1)
            for c in (1, -1)
        ],
        axis=0,
    )
    assert averaged.shape == plain.shape == (1, 37, 45)
    assert np.allclose(averaged, by_hand, atol=1e-5) and not np.allclose(averaged, plain)


def test_flips_are_refused_for_n_mask_networks(tiny_model):
    with pytest.raises(ValueError, match="one-mask"):
        predict(tiny_model, np.zeros((32, 32), np.float32), flips=True)
