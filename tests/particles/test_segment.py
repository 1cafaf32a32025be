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


def test_keep_last_returns_the_last_epoch(tiny_folder):
    train, test = split_names(tiny_folder, test_fraction=0.2, test_folder=None)
    cfg = tiny_train_config(optim={"max_steps": 2})
    run = train_segmenter(cfg, train, test, log=lambda s: None, keep="last")
    assert run.best["epoch"] == len(run.log) == 2
    with pytest.raises(ValueError, match="keep must be"):
        train_segmenter(cfg, train, test, log=lambda s: None, keep="first")


def _weights(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


@pytest.mark.slow  # trains: keeps the fast subset under 90 s
def test_an_interrupted_run_resumes_to_the_same_weights(tiny_folder, tmp_path, monkeypatch):
    import temdefects.particles.segment as segment
    from temdefects.errors import TemdefectsError

    train, test = split_names(tiny_folder, test_fraction=0.2, test_folder=None)
    cfg = tiny_train_config(data={"batch_size": 2}, optim={"epochs": 3})  # 2 steps an epoch
    whole = train_segmenter(cfg, train, test, log=lambda s: None)
    ckpt = tmp_path / "checkpoints" / "segmenter.pt"
    calls, loss = [], segment.dice_bce_loss

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 4:  # the 4th step: mid-epoch 2, after 3 checkpointed steps
            raise KeyboardInterrupt
        return loss(*args, **kwargs)

    monkeypatch.setattr(segment, "dice_bce_loss", interrupted)
    with pytest.raises(KeyboardInterrupt):
        train_segmenter(cfg, train, test, log=lambda s: None, checkpoint=ckpt, checkpoint_every=1)
    monkeypatch.setattr(segment, "dice_bce_loss", loss)
    assert ckpt.is_file()
    with pytest.raises(TemdefectsError, match="configuration differs"):
        train_segmenter(
            tiny_train_config(data={"batch_size": 2}, optim={"epochs": 4}),
            train,
            test,
            log=lambda s: None,
            checkpoint=ckpt,
            resume=True,
        )
    lines = []
    again = train_segmenter(cfg, train, test, log=lines.append, checkpoint=ckpt, resume=True)
    assert lines[0] == "resuming at epoch 2, step 3"
    assert again.step_losses == whole.step_losses and again.best == whole.best
    assert [r["test_dice"] for r in again.log] == [r["test_dice"] for r in whole.log]
    a, b = _weights(whole.model), _weights(again.model)
    assert all(torch.equal(a[k], b[k]) for k in a)
    with pytest.raises(TemdefectsError, match="nothing to resume"):
        train_segmenter(cfg, train, test, checkpoint=tmp_path / "no.pt", resume=True)
