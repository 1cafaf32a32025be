"""Training the particle segmenter: a U-Net with one mask, Dice + BCE, AdamW, cosine.

Data are folders written by ``temdefects particles synth`` (``NNNNNN.png`` +
``NNNNNN.npz`` labels) or images and masks in memory
(:mod:`temdefects.particles.pairs`): the target is ``labels > 0``. Every image is scaled as
at inference (:func:`temdefects.io.images.prepare_image`), then cropped
and augmented with a generator seeded by ``(seed, epoch, index)``, so a run is
the same for any number of data workers. After every epoch the Dice on the
test split is measured; the weights of the best epoch are kept. With a
checkpoint path the whole state (weights, optimiser, schedule, position, log and
best weights) is written every ``checkpoint_every`` steps and after every
epoch, and ``resume`` goes on from it exactly: the data order and augmentation
depend only on ``(seed, epoch, index)``.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from temdefects.errors import InputFileError, TemdefectsError
from temdefects.io.atomic import atomic_write_csv
from temdefects.particles.config import ParticleTrainConfig
from temdefects.train.loop import lr_factor

AUGMENT_STREAM = 7  # keeps these generators apart from other uses of the seed
LOG_COLUMNS = ("epoch", "step", "lr", "train_loss", "test_dice", "seconds")


def read_pair(folder: str | os.PathLike, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Image float32 in [0, 1] (percentile-clipped) and label image int32 of one sample."""
    import cv2

    from temdefects.io.images import prepare_image
    from temdefects.synth.particles.files import read_labels

    folder = Path(folder)
    image = cv2.imread(str(folder / f"{name}.png"), cv2.IMREAD_UNCHANGED)
    if image is None or image.ndim != 2:
        raise InputFileError(f"{folder / (name + '.png')}: cannot read image")
    labels = read_labels(folder / f"{name}.npz")
    if labels.shape != image.shape:
        raise InputFileError(f"{folder / (name + '.npz')}: labels do not match the image size")
    return prepare_image(image.astype(np.float32)), labels


class ParticleCrops(Dataset):
    """``(epoch, index)`` -> an augmented crop (float32 (c, c)) and its mask (bool (c, c)).

    ``pairs``: see :func:`temdefects.particles.pairs.as_pairs`.
    """

    def __init__(self, pairs, seed: int, config: ParticleTrainConfig):
        from temdefects.particles.pairs import as_pairs

        self.pairs, self.seed = as_pairs(pairs), int(seed)
        self.aug, self.crop = config.augment, config.data.crop

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, key):
        from temdefects.train.augment import augment

        epoch, index = key
        image, labels = self.pairs[index]
        rng = np.random.default_rng([self.seed, AUGMENT_STREAM, int(epoch), int(index)])
        crop, masks = augment(image, (labels > 0)[None], self.aug, rng, crop=self.crop)
        return crop.astype(np.float32), masks[0]


def dice_bce_loss(
    logits: torch.Tensor,
    target: torch.Tensor,
    *,
    bce_weight: float = 1.0,
    dice_weight: float = 1.0,
    smooth: float = 1.0,
) -> torch.Tensor:
    """``bce_weight * BCE + dice_weight * (1 - soft Dice)``, Dice averaged over the batch.

    Shape: ``logits`` (B, 1, H, W), ``target`` (B, 1, H, W) bool or float in [0, 1].
    An empty target with an empty prediction has Dice 1 (by ``smooth``), so
    crops of bare support are learnt as such instead of being undefined.

    Examples
    --------
    >>> t = torch.zeros(1, 1, 8, 8); t[..., 2:6, 2:6] = 1
    >>> good, bad = dice_bce_loss(20 * (2 * t - 1), t), dice_bce_loss(-20 * (2 * t - 1), t)
    >>> bool(good < 0.01 < bad)
    True
    """
    if logits.shape != target.shape or logits.ndim != 4:
        raise ValueError(
            f"dice_bce_loss: expected equal (B, 1, H, W) shapes, got {tuple(logits.shape)} "
            f"and {tuple(target.shape)}"
        )
    logits, target = logits.float(), target.float()
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, target)
    prob = torch.sigmoid(logits)
    inter = (prob * target).sum(dim=(1, 2, 3))
    total = prob.sum(dim=(1, 2, 3)) + target.sum(dim=(1, 2, 3))
    dice = (2.0 * inter + smooth) / (total + smooth)
    return bce_weight * bce + dice_weight * (1.0 - dice.mean())


def dice_score(pred: np.ndarray, true: np.ndarray) -> float:
    """Dice of two binary masks; 1.0 when both are empty."""
    pred, true = np.asarray(pred, bool), np.asarray(true, bool)
    den = int(pred.sum()) + int(true.sum())
    return 1.0 if den == 0 else 2.0 * int((pred & true).sum()) / den


def pooled_dice(model, pairs, *, threshold: float = 0.5) -> float:
    """Pooled Dice (all pixels of all images of ``pairs``) of the thresholded prediction."""
    from temdefects.models import predict
    from temdefects.particles.pairs import as_pairs

    model.eval()
    inter = total = 0
    for image, labels in as_pairs(pairs):
        probs, _ = predict(model, image)
        pred, true = probs[0] >= threshold, labels > 0
        inter += int((pred & true).sum())
        total += int(pred.sum()) + int(true.sum())
    return 1.0 if total == 0 else 2.0 * inter / total


@dataclass(frozen=True, eq=False)
class SegmentRun:
    """Result of :func:`train_segmenter`: the best model and what happened."""

    model: torch.nn.Module
    step_losses: list
    log: list
    best: dict
    device: str
    seconds: float

    def run_record(self) -> dict:
        """Versions, device, best epoch, steps and wall time, for a model's record."""
        import platform

        from temdefects import __version__

        return {
            "temdefects_version": __version__,
            "torch_version": torch.__version__,
            "python": platform.python_version(),
            "device": self.device,
            "best_epoch": self.best["epoch"],
            "steps": len(self.step_losses),
            "wall_seconds": self.seconds,
        }


def _write_log(path: Path, rows: list[dict]) -> None:
    atomic_write_csv(path, rows, LOG_COLUMNS)


def _load_checkpoint(path: Path, config, model, opt, sched) -> dict:
    from temdefects.train.checkpoint import load_training, require_checkpoint

    require_checkpoint(path.parent.parent, path.relative_to(path.parent.parent))
    return load_training(path, config.to_dict(), model, opt, sched)["state"]


def train_segmenter(
    config: ParticleTrainConfig,
    train: tuple[Path, list[str]],
    test: tuple[Path, list[str]],
    *,
    log_path: str | os.PathLike | None = None,
    progress: bool = False,
    log: Callable[[str], None] = print,
    model: torch.nn.Module | None = None,
    checkpoint: str | os.PathLike | None = None,
    resume: bool = False,
    checkpoint_every: int = 25,
    keep: str = "best",
) -> SegmentRun:
    """Train the binary segmenter on ``train`` images, keeping the best epoch on ``test``.

    Parameters
    ----------
    config
        Model, data, augmentation, loss and optimiser settings, and the seed.
    train, test
        The training and test images: ``(folder, names)``, a list of them, or
        pairs (:mod:`temdefects.particles.pairs`).
    model
        A segmenter to go on training (fine-tuning); default: a new one built
        from ``config.model`` and seeded by ``config.seed``.
    log_path
        Where to write the per-epoch CSV log (``epoch, step, lr, train_loss,
        test_dice, seconds``), rewritten after every epoch.
    progress
        Show a progress bar on stderr.
    log
        Receives one line per epoch.
    checkpoint
        File for the resumable state, written every ``checkpoint_every`` steps
        and after every epoch; None: none.
    resume
        Go on from ``checkpoint`` (same configuration, data and start model).
    keep
        ``"best"``: the weights of the epoch with the best ``test`` Dice;
        ``"last"``: those of the last epoch (when ``test`` is part of
        ``train``, as in a refit on all of a user's pairs, and so cannot
        choose). ``test`` Dice is still logged every epoch.

    Returns
    -------
    SegmentRun
        The model (eval mode, best epoch's weights), every step's loss, the log
        rows and the best epoch's ``{"epoch", "step", "test_dice"}``.
    """
    from tqdm import tqdm

    from temdefects.models import build_model
    from temdefects.train.checkpoint import save_training
    from temdefects.train.loop import resolve_device

    if keep not in ("best", "last"):
        raise ValueError(f"train_segmenter: keep must be 'best' or 'last', got {keep!r}")
    dev = resolve_device(config.device)
    oc, dc, lc = config.optim, config.data, config.loss
    bf16 = oc.cpu_bf16 and dev.type == "cpu"
    if model is None:
        with torch.random.fork_rng(devices=[]):  # reproducible init, global state untouched
            torch.manual_seed(config.seed)
            model = build_model(config.model)
    model = model.to(dev)
    if bf16:  # oneDNN's bf16 convolutions are another 1.25x faster on NHWC tensors
        model = model.to(memory_format=torch.channels_last)
    dataset = ParticleCrops(train, config.seed, config)
    per_epoch = max(1, math.ceil(len(dataset) / dc.batch_size))
    total = per_epoch * oc.epochs
    if oc.max_steps:
        total = min(total, oc.max_steps)
    opt = torch.optim.AdamW(model.parameters(), lr=oc.lr, weight_decay=oc.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: lr_factor(s, total, oc.warmup, "cosine")
    )
    state = {
        "epoch": 0,
        "batches_done": 0,
        "losses": [],
        "rows": [],
        "best": {"epoch": None, "step": 0, "test_dice": -1.0},
        "best_state": None,
        "elapsed": 0.0,
    }
    ckpt = Path(checkpoint) if checkpoint is not None else None
    if resume:
        if ckpt is None:
            raise TemdefectsError("resume: no checkpoint file given")
        state = _load_checkpoint(ckpt, config, model, opt, sched)
        log(f"resuming at epoch {state['epoch'] + 1}, step {len(state['losses'])}")

    def save() -> None:
        if ckpt is not None:
            state["elapsed"] = time.perf_counter() - start
            save_training(ckpt, config.to_dict(), model, opt, sched, state)

    losses, rows = state["losses"], state["rows"]
    step = len(losses)
    start = time.perf_counter() - state["elapsed"]
    bar = tqdm(
        total=total,
        initial=step,
        desc="segmenter",
        unit="step",
        disable=not progress,
        file=sys.stderr,
    )
    try:
        for epoch in range(state["epoch"], oc.epochs):
            if step >= total:
                break
            order = np.random.default_rng([config.seed, 3, epoch]).permutation(len(dataset))
            skip = state["batches_done"] * dc.batch_size
            loader = DataLoader(
                dataset,
                batch_size=dc.batch_size,
                sampler=[(epoch, int(i)) for i in order[skip:]],
                num_workers=dc.workers,
            )
            model.train()
            for images, masks in loader:
                if step >= total:
                    break
                images, masks = images[:, None].to(dev), masks[:, None].to(dev)
                if bf16:
                    images = images.contiguous(memory_format=torch.channels_last)
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                    logits, _ = model(images)
                loss = dice_bce_loss(
                    logits.float(),
                    masks,
                    bce_weight=lc.bce_weight,
                    dice_weight=lc.dice_weight,
                    smooth=lc.smooth,
                )
                opt.zero_grad(set_to_none=True)
                loss.backward()
                if oc.grad_clip:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), oc.grad_clip)
                opt.step()
                sched.step()
                losses.append(float(loss.detach()))
                step += 1
                state["batches_done"] += 1
                recent = losses[-min(20, state["batches_done"]) :]  # this epoch's last 20
                bar.update()
                bar.set_postfix(loss=f"{np.mean(recent):.3f}", epoch=epoch + 1)
                if checkpoint_every and step % checkpoint_every == 0:
                    save()
            epoch_losses = losses[len(losses) - state["batches_done"] :]
            dice = pooled_dice(model, test, threshold=config.instances.threshold)
            rows.append(
                {
                    "epoch": epoch + 1,
                    "step": step,
                    "lr": f"{sched.get_last_lr()[0]:.3g}",
                    "train_loss": f"{np.mean(epoch_losses):.5f}" if epoch_losses else "",
                    "test_dice": f"{dice:.4f}",
                    "seconds": f"{time.perf_counter() - start:.1f}",
                }
            )
            if keep == "last" or dice > state["best"]["test_dice"]:
                state["best"] = {"epoch": epoch + 1, "step": step, "test_dice": dice}
                state["best_state"] = {k: v.detach().clone() for k, v in model.state_dict().items()}
            state["epoch"], state["batches_done"] = epoch + 1, 0
            if log_path is not None:
                _write_log(Path(log_path), rows)
            save()
            log(
                f"epoch {epoch + 1}/{oc.epochs}: train loss {rows[-1]['train_loss'] or '-'}, "
                f"test Dice {dice:.3f}"
            )
    finally:
        bar.close()
    best, best_state = state["best"], state["best_state"]
    if best_state is not None:
        model.load_state_dict(best_state)
    return SegmentRun(
        model.eval(), losses, rows, best, str(dev), round(time.perf_counter() - start, 1)
    )


__all__ = [
    "LOG_COLUMNS",
    "ParticleCrops",
    "SegmentRun",
    "dice_bce_loss",
    "dice_score",
    "pooled_dice",
    "read_pair",
    "train_segmenter",
]
