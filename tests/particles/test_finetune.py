import json

import cv2
import numpy as np
import pytest

from temdefects.errors import InputFileError
from temdefects.particles.config import InstanceConfig
from temdefects.particles.finetune import (
    finetune_particle_model,
    labelled_instances,
    pair_files,
    read_user_pairs,
)
from temdefects.particles.pairs import ArrayPairs
from temdefects.particles.pipeline import load_particle_model
from temdefects.synth.particles import read_particle_sample
from tests.particles.helpers import tiny_train_config


def write_user_set(folder, tiny_folder, *, mask_names=None, value=2, count=5):
    """The tiny generated images as a user's PNG images and label masks (value = particle)."""
    images, masks = folder / "img", folder / "mask"
    images.mkdir(parents=True)
    masks.mkdir()
    for i in range(count):
        sample = read_particle_sample(tiny_folder, i)
        cv2.imwrite(str(images / f"slice_{i:02d}.png"), sample.image)
        mask = np.where(sample.labels > 0, value, 1).astype(np.uint8)
        name = mask_names[i] if mask_names else f"slice_{i:02d}"
        cv2.imwrite(str(masks / f"{name}.png"), mask)
    return images, masks


def test_pairs_by_name_or_by_sorted_order(tmp_path, tiny_folder):
    images, masks = write_user_set(tmp_path / "a", tiny_folder)
    pairs, how = pair_files(images, masks)
    assert how == "name" and [p.stem for p, _ in pairs] == [m.stem for _, m in pairs]
    images, masks = write_user_set(
        tmp_path / "b", tiny_folder, mask_names=[f"m{i}" for i in range(5)]
    )
    user = read_user_pairs(images, masks, value=2)
    assert user.paired_by == "order" and len(user.pairs) == 5 and user.best_match == 1.0
    assert all(c > 0.5 for c in user.contrast)
    image, labels = user.pairs[0]
    assert image.dtype == np.float32 and labels.max() >= 1 and labels.shape == image.shape


def test_a_wrong_pairing_or_value_is_refused(tmp_path, tiny_folder):
    # Masks named so that sorted order pairs image 0 with the mask of image 4.
    names = [f"m{4 - i}" for i in range(5)]
    images, masks = write_user_set(tmp_path / "r", tiny_folder, mask_names=names)
    with pytest.raises(InputFileError, match="m0.png: this mask fits .* wrong pairing"):
        read_user_pairs(images, masks, value=2)
    images, masks = write_user_set(tmp_path / "a", tiny_folder)
    (masks / "slice_04.png").unlink()
    cv2.imwrite(str(masks / "other.png"), np.zeros((96, 96), np.uint8))
    (masks / "another.png").write_bytes(b"")
    with pytest.raises(InputFileError, match="5 images but 6 masks"):
        read_user_pairs(images, masks)
    with pytest.raises(InputFileError, match="mask folder not found"):
        read_user_pairs(images, tmp_path / "nothing")


def test_the_floor_follows_the_labelled_particles():
    labels = np.zeros((40, 40), np.int32)
    labels[2:12, 2:12] = 1  # 100 px
    labels[20:22, 20:22] = 2  # 4 px
    inst, stats = labelled_instances(
        ArrayPairs([labels.astype(np.float32)], [labels]), InstanceConfig()
    )
    assert stats["count"] == 2 and inst.min_size == 1  # a quarter of about 4 px


def test_finetune_writes_a_model_that_analyses(tmp_path, tiny_folder, tiny_model):
    images, masks = write_user_set(tmp_path / "u", tiny_folder)
    user = read_user_pairs(images, masks, value=2)
    p = user.pairs
    train, test = ArrayPairs(p.images[:4], p.labels[:4]), ArrayPairs(p.images[4:], p.labels[4:])
    base = load_particle_model(tiny_model[0])
    cfg = tiny_train_config(optim={"epochs": 2})
    for scratch in (False, True):
        out = tmp_path / f"m{scratch}"
        metrics = finetune_particle_model(
            base, train, test, cfg, out, scratch=scratch, log=lambda s: None
        )
        assert 0 <= metrics["segmentation"]["test_dice"] <= 1
        model = load_particle_model(out)
        record = json.loads((out / "config.json").read_text())["training"]
        assert record["finetune"]["scratch"] is scratch and record["task"] == "particles"
        assert model.pixel_size_range is None and (out / "log.csv").is_file()
    with pytest.raises(Exception, match="not empty|non-empty|exists"):
        finetune_particle_model(base, train, test, cfg, out, log=lambda s: None)


def test_refit_trains_again_on_all_pairs_for_the_chosen_epochs(tmp_path, tiny_folder, tiny_model):
    images, masks = write_user_set(tmp_path / "u", tiny_folder)
    p = read_user_pairs(images, masks, value=2).pairs
    train, test = ArrayPairs(p.images[:4], p.labels[:4]), ArrayPairs(p.images[4:], p.labels[4:])
    base = load_particle_model(tiny_model[0])
    out = tmp_path / "refit"
    cfg = tiny_train_config(optim={"epochs": 2})
    metrics = finetune_particle_model(base, train, test, cfg, out, refit=True, log=lambda s: None)
    epochs = metrics["segmentation"]["epoch"]
    assert metrics["refit"] == {"epochs": epochs, "images": 5}
    rows = (out / "log-refit.csv").read_text().splitlines()
    assert len(rows) == epochs + 1  # header + one row per refit epoch
    record = json.loads((out / "config.json").read_text())["training"]
    assert record["finetune"]["refit"] == metrics["refit"] and record["best_epoch"] == epochs
    assert json.loads((out / "metrics.json").read_text())["refit"] == metrics["refit"]
    load_particle_model(out)


def test_a_different_network_from_random_weights(tmp_path, tiny_folder, tiny_model):
    images, masks = write_user_set(tmp_path / "u", tiny_folder)
    p = read_user_pairs(images, masks, value=2).pairs
    train, test = ArrayPairs(p.images[:4], p.labels[:4]), ArrayPairs(p.images[4:], p.labels[4:])
    base = load_particle_model(tiny_model[0])
    cfg = tiny_train_config(optim={"epochs": 1})
    wider = base.segmenter.config.decoder_base * 2
    out = tmp_path / "wide"
    net = {"decoder_base": wider}
    finetune_particle_model(base, train, test, cfg, out, scratch=True, network=net, log=print)
    assert load_particle_model(out).segmenter.config.decoder_base == wider
    with pytest.raises(ValueError, match="needs scratch"):
        finetune_particle_model(base, train, test, cfg, tmp_path / "x", network=net)


def test_instance_settings_are_chosen_on_the_held_out_pairs(tmp_path, tiny_folder, tiny_model):
    from temdefects.particles.finetune import choose_instances, retune_model_folder

    images, masks = write_user_set(tmp_path / "u", tiny_folder)
    held = read_user_pairs(images, masks, value=2).pairs
    model = load_particle_model(tiny_model[0])
    chosen, table = choose_instances(model.segmenter, held, InstanceConfig(), p1=400.0)
    assert len(table) == 15 and {r["threshold"] for r in table} == {0.3, 0.4, 0.5, 0.6, 0.7}
    # The threshold with the best Dice, then the floor with the best F1 at it.
    assert max(r["dice"] for r in table if r["threshold"] == chosen.threshold) == max(
        r["dice"] for r in table
    )
    at = [r for r in table if r["threshold"] == chosen.threshold]
    assert max(at, key=lambda r: r["f1"])["f1"] == next(
        r["f1"] for r in at if r["min_size"] == chosen.min_size
    )
    assert choose_instances(model.segmenter, held, InstanceConfig(), p1=None)[1] == []
    out = tmp_path / "m"
    finetune_particle_model(
        model, held, held, tiny_train_config(optim={"epochs": 1}), out, log=lambda s: None
    )
    result = retune_model_folder(out, held)
    record = json.loads((out / "config.json").read_text())["training"]
    assert record["instances"] == result["instances"]
    assert record["finetune"]["instance_choice"] == result["candidates"]
