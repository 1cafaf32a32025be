import numpy as np
import pytest
import torch

from temdefects.particles.data import split_names
from temdefects.particles.segment import ParticleCrops, dice_bce_loss, dice_score, train_segmenter
from tests.particles.helpers import tiny_train_config


def test_loss_prefers_the_right_mask_and_handles_empty_targets():
    t = torch.zeros(2, 1, 16, 16)
    t[0, :, 4:10, 4:10] = 1
    right, wrong = 30 * (2 * t - 1), -30 * (2 * t - 1)
    assert dice_bce_loss(right, t) < 0.01 < 1.0 < dice_bce_loss(wrong, t)
    empty = torch.zeros(1, 1, 8, 8)
    assert dice_bce_loss(torch.full_like(empty, -30.0), empty) < 1e-6
    assert dice_bce_loss(right, t, dice_weight=0) < dice_bce_loss(right, t, bce_weight=0) + 1
    with pytest.raises(ValueError, match="shapes"):
        dice_bce_loss(torch.zeros(1, 1, 4, 4), torch.zeros(1, 4, 4))


def test_dice_score():
    a = np.zeros((4, 4), bool)
    a[:2] = True
    assert dice_score(a, a) == 1.0 and dice_score(a, ~a) == 0.0
    assert dice_score(np.zeros((2, 2)), np.zeros((2, 2))) == 1.0


def test_crops_are_seeded_by_epoch_and_index(tiny_folder):
    (folder, names), _ = split_names(tiny_folder, test_fraction=0.2, test_folder=None)
    crops = ParticleCrops((folder, names), 0, tiny_train_config())
    image, mask = crops[(0, 1)]
    assert image.shape == mask.shape == (64, 64) and mask.dtype == bool
    assert np.array_equal(image, crops[(0, 1)][0])
    assert not np.array_equal(image, crops[(1, 1)][0])


def test_training_a_few_steps_lowers_the_loss(tiny_folder, tmp_path):
    train, test = split_names(tiny_folder, test_fraction=0.2, test_folder=None)
    assert (len(train[1]), len(test[1])) == (4, 1)
    cfg = tiny_train_config()
    run = train_segmenter(cfg, train, test, log_path=tmp_path / "log.csv", log=lambda s: None)
    losses = run.step_losses
    assert len(losses) == 8 and all(np.isfinite(losses))
    assert np.mean(losses[-3:]) < 0.9 * np.mean(losses[:3])
    assert not run.model.training
    assert run.best["epoch"] is not None and 0 <= run.best["test_dice"] <= 1
    lines = (tmp_path / "log.csv").read_text().splitlines()
    assert lines[0].startswith("epoch,step,lr,train_loss,test_dice") and len(lines) == 9
    again = train_segmenter(tiny_train_config(optim={"max_steps": 2}), train, test, log=print)
    assert again.step_losses == losses[:2]  # seeded: the same start and the same crops
