"""``temdefects loops train``: train the loop detector, validate, keep the best epoch.

Each step draws ``batch_size`` random crops, each from a real image with
probability ``real_weight`` (when real boxes are given) and otherwise from a
generated image. After every epoch the detector runs on the whole validation
images (generated ``synth_val`` and the validation share of the real training
list) and is scored by the class-agnostic F1 at IoU 0.4 at its best score
threshold (the paper's choice); the epoch with the best mean F1 is kept, with
that threshold as the model's default. The real ``test_list`` images are
never read.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from temdefects import __version__
from temdefects.errors import ConfigError, TemdefectsError
from temdefects.io.atomic import atomic_write_json, check_output_folder
from temdefects.loops.defects import Defects
from temdefects.loops.detector import INFERENCE_SETTINGS, build_detector, run_detector
from temdefects.loops.evaluate import SCORE_THRESHOLDS, pr_table
from temdefects.loops.model import save_loop_model
from temdefects.loops.report import write_rows
from temdefects.loops.train_config import LoopTrainConfig
from temdefects.loops.train_data import (
    BoxImage,
    crop_sample,
    image_stems,
    load_box_images,
    load_synth_folder,
    read_name_list,
    stem_of,
)
from temdefects.loops.unlabelled import ignore_unlabelled, outside_ignore
from temdefects.train.loop import lr_factor, resolve_device

__all__ = [
    "LoopData",
    "init_from_encoder",
    "initialise",
    "load_training_data",
    "train_loop_detector",
]

VAL_SYNTH_LIMIT = 100
IOU = 0.4
#: Score thresholds tried when choosing the model's own: the paper's grid
#: (0.001-0.6) continued to 0.95, since a well-trained detector is often best
#: above 0.6.
THRESHOLDS = (*SCORE_THRESHOLDS, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)


@dataclass(frozen=True, eq=False)
class LoopData:
    synth: list
    real: list
    val_synth: list
    val_real: list


LOG = logging.getLogger(__name__)


def load_training_data(
    config: LoopTrainConfig, rng: np.random.Generator, *, train: bool = True
) -> LoopData:
    """All training and validation images at the detector's working scale.

    With ``train=False`` only the validation images are read.
    """
    det, data = config.detector, config.data
    synth = (
        [x for f in data.synth for x in load_synth_folder(f, det.classes, det.input_size)]
        if train
        else []
    )
    val_synth = (
        load_synth_folder(data.synth_val, det.classes, det.input_size, limit=VAL_SYNTH_LIMIT)
        if data.synth_val
        else []
    )
    real, val_real = [], []
    if data.boxes:
        if data.box_class not in det.classes:
            raise ConfigError(f"data.box_class {data.box_class!r} is not a detector class")
        test = {stem_of(n) for n in read_name_list(data.test_list)} if data.test_list else set()
        if data.train_list:
            names = sorted({stem_of(n) for n in read_name_list(data.train_list)} - test)
        else:
            names = image_stems(data.images, exclude=sorted(test))
        order = rng.permutation(len(names))
        n_val = int(round(data.val_fraction * len(names)))
        val_names = sorted(names[i] for i in order[:n_val])
        train_names = sorted(names[i] for i in order[n_val:])
        kw = {
            "classes": det.classes,
            "input_size": det.input_size,
            "cls": data.box_class,
            "fmt": data.truth_format,
        }
        # pseudo-labels teach; validation scores against the real labels only
        val_mode = "ignore-dark" if data.unlabelled == "label-dark" else data.unlabelled
        items = load_box_images(data.images, data.boxes, val_names, **kw, unlabelled=val_mode)
        if train:
            items += load_box_images(
                data.images, data.boxes, train_names, **kw, unlabelled=data.unlabelled
            )
        held = set(val_names)
        real = [x for x in items if x.name not in held]
        val_real = [x for x in items if x.name in held]
    if train and not synth and not real:
        raise TemdefectsError("no training images found")
    return LoopData(synth=synth, real=real, val_synth=val_synth, val_real=val_real)


def init_from_encoder(model: torch.nn.Module, folder: str | Path) -> int:
    """Copy the ResNet encoder of a temdefects model folder into the detector's trunk.

    A one-channel first convolution is spread over the three input channels.
    Returns the number of tensors copied.

    Raises
    ------
    ConfigError
        When the folder holds no compatible ResNet encoder.
    """
    from safetensors.torch import load_file

    path = Path(folder) / "model.safetensors"
    if not path.is_file():
        raise ConfigError(f"init: {path}: no such file")
    state = load_file(str(path))
    body = model.backbone.body
    target = body.state_dict()
    copied = {}
    for key, value in state.items():
        if ".encoder." not in f".{key}":
            continue
        name = key.split("encoder.", 1)[1]
        if name not in target:
            continue
        value = value.float()
        if name == "conv1.weight" and value.shape[1] != target[name].shape[1]:
            value = value.mean(1, keepdim=True).repeat(1, target[name].shape[1], 1, 1)
        if value.shape == target[name].shape:
            copied[name] = value
    if len(copied) < len(target) // 2:
        raise ConfigError(f"init: {folder}: no ResNet encoder matching {type(body).__name__}")
    body.load_state_dict(copied, strict=False)
    return len(copied)


def initialise(model: torch.nn.Module, config: LoopTrainConfig) -> int:
    """Start from ``config.init``: a loop model (all weights: fine-tuning) or another
    temdefects model (its ResNet encoder); returns the number of tensors copied.

    Raises
    ------
    ConfigError
        When a loop model's detector settings differ from ``config.detector``.
    """
    from temdefects.loops.model import FORMAT, load_loop_model

    doc = Path(config.init) / "config.json"
    try:
        fmt = json.loads(doc.read_text()).get("format")
    except (OSError, ValueError):
        fmt = None
    if fmt != FORMAT:
        return init_from_encoder(model, config.init)
    start = load_loop_model(config.init)
    # the working scale and the box post-processing are not part of the architecture
    inference = {k: getattr(config.detector, k) for k in INFERENCE_SETTINGS}
    if dataclasses.replace(start.config, **inference) != config.detector:
        raise ConfigError(
            f"init: {config.init}: its detector settings differ from this configuration's "
            "detector section (fine-tuning keeps the architecture)"
        )
    state = start.net.state_dict()
    model.load_state_dict(state)
    return len(state)


def _batch(data: LoopData, config: LoopTrainConfig, rng: np.random.Generator):
    d = config.data
    images, targets = [], []
    for _ in range(d.batch_size):
        pool = (
            data.real
            if data.real and (not data.synth or rng.random() < d.real_weight)
            else (data.synth)
        )
        item = pool[int(rng.integers(len(pool)))]
        x, boxes, labels = crop_sample(
            item,
            d.crop,
            rng,
            channels=config.detector.channels,
            min_visible=d.min_visible,
            zoom=(float(d.zoom.lo), float(d.zoom.hi)),
            invert=d.invert,
        )
        images.append(torch.from_numpy(x))
        targets.append(
            {"boxes": torch.from_numpy(boxes).float(), "labels": torch.from_numpy(labels)}
        )
    return images, targets


def predictions(model, config, items: list[BoxImage], device) -> list[tuple[Defects, Defects]]:
    """``(predicted, true)`` pairs of whole validation images, boxes in working px."""
    classes = config.detector.classes
    pairs = []
    for item in items:
        boxes, labels, scores = run_detector(
            model, config.detector, item.image, factor=1.0, device=device
        )
        pred = Defects.from_lists(boxes, [classes[i] for i in labels], scores=scores)
        b = item.boxes
        truth = Defects.from_lists(
            np.stack([b[:, 0], b[:, 1], b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]], 1),
            [classes[i - 1] for i in item.labels],
        )
        pairs.append((outside_ignore(pred, truth, item.ignore, iou=IOU), truth))
    return pairs


def best_f1(pairs: list[tuple[Defects, Defects]], *, class_aware: bool = False) -> dict:
    """Scores at IoU 0.4 at the score threshold with the best F1.

    Class-agnostic by default. With ``class_aware`` only boxes of the same class
    match, and predicted boxes of a class that no label of ``pairs`` names are
    left out (a set whose labels name one class, such as Li et al.'s <111>
    loops, says nothing about the boxes of the other classes).
    """
    if class_aware:
        named = {c for _, truth in pairs for c in truth.classes}
        pairs = [(p.select([c in named for c in p.classes]), t) for p, t in pairs]
    rows = pr_table(
        pairs, iou_thresholds=(IOU,), score_thresholds=THRESHOLDS, class_aware=class_aware
    )
    best = max(rows, key=lambda r: (r["f1"], r["score"]))
    return {k: best[k] for k in ("score", "precision", "recall", "f1", "tp", "fp", "fn")}


def choose_threshold(validation: dict) -> float:
    """The model's score threshold: the mean of each validation set's best one."""
    return float(np.mean([v["score"] for v in validation.values()]))


def _validate(model, config, data: LoopData, device) -> dict:
    out = {}
    for key, items in (("synth", data.val_synth), ("real", data.val_real)):
        if items:
            out[key] = best_f1(
                predictions(model, config, items, device),
                class_aware=config.optim.validation == "class-aware",
            )
    return out


def train_loop_detector(
    config: LoopTrainConfig, out: str | Path, *, overwrite: bool = False, progress: bool = True
) -> dict:
    """Train, validate after every epoch, write the best epoch's model folder to ``out``.

    Returns the metrics written to ``out/metrics.json``.
    """
    out = Path(out)
    check_output_folder(out, overwrite)
    # Faster R-CNN samples proposals with torch's RNG: seed it for this run only,
    # and give the caller's global state back afterwards.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        return _train(config, out, progress=progress)


def _train(config: LoopTrainConfig, out: Path, *, progress: bool) -> dict:
    rng = np.random.default_rng(config.seed)
    device = resolve_device(config.device)
    if config.optim.epochs == 0 and not config.init:
        raise ConfigError("optim.epochs: 0 (validate only) needs an init model")
    data = load_training_data(config, rng, train=config.optim.epochs > 0)
    if not data.val_synth and not data.val_real:
        raise ConfigError("no validation images: give data.synth_val or real boxes")
    model = build_detector(config.detector).to(device)
    copied = initialise(model, config) if config.init else 0
    if config.data.unlabelled != "negative":
        ignore_unlabelled(model)
    crop = config.data.crop
    model.transform.min_size, model.transform.max_size = (crop,), crop
    opt = torch.optim.AdamW(
        model.parameters(), lr=config.optim.lr, weight_decay=config.optim.weight_decay
    )
    total = config.optim.epochs * config.optim.steps_per_epoch
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: lr_factor(s, total, config.optim.warmup, "cosine")
    )
    record = {
        "train_config": config.to_dict(),
        "temdefects_version": __version__,
        "torch_version": torch.__version__,
        "images": {
            "synth": len(data.synth),
            "real": len(data.real),
            "val_synth": len(data.val_synth),
            "val_real": len(data.val_real),
        },
        "init_tensors": copied,
    }
    out.mkdir(parents=True, exist_ok=True)
    log, best, step, start = [], None, 0, time.perf_counter()
    # epochs 0: one validation round of the init model, no training ("epoch 0").
    for epoch in range(min(1, config.optim.epochs), config.optim.epochs + 1):
        model.train()
        model.transform.min_size, model.transform.max_size = (crop,), crop
        losses = []
        for _ in range(config.optim.steps_per_epoch if epoch else 0):
            images, targets = _batch(data, config, rng)
            parts = model(
                [x.to(device) for x in images],
                [{k: v.to(device) for k, v in t.items()} for t in targets],
            )
            loss = sum(parts.values())
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if config.optim.grad_clip:
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.optim.grad_clip)
            opt.step()
            sched.step()
            step += 1
            losses.append(float(loss.detach()))
        val = _validate(model, config, data, device)
        score = float(np.mean([v["f1"] for v in val.values()]))
        row = {
            "epoch": epoch,
            "step": step,
            "seconds": round(time.perf_counter() - start, 1),
            "loss": round(float(np.mean(losses)), 5) if losses else None,
            "val_f1": round(score, 5),
        }
        for key, v in val.items():
            row.update(
                {
                    f"{key}_{k}": round(float(v[k]), 5)
                    for k in ("f1", "precision", "recall", "score")
                }
            )
        log.append(row)
        write_rows(out / "log.csv", log, list(row))
        if progress:
            LOG.info(" ".join(f"{k}={v}" for k, v in row.items()))
        if best is None or score > best["val_f1"]:
            best = {"epoch": epoch, "val_f1": score, "validation": val}
            threshold = choose_threshold(val)
            metrics = {
                "best_epoch": epoch,
                "score_threshold": threshold,
                "validation": val,
                "log": log,
            }
            save_loop_model(
                out,
                model,
                config.detector,
                score_threshold=threshold,
                record=record,
                metrics=metrics,
            )
    metrics = json.loads((out / "metrics.json").read_text())
    metrics["log"] = log
    atomic_write_json(out / "metrics.json", metrics)
    return metrics
