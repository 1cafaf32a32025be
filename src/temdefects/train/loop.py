"""The training loop: AdamW, warm-up + cosine schedule, AMP on CUDA, best-by-metric,
resumable checkpoints, CSV log and loss-curve plot.

``OUT`` becomes a model folder (``config.json``, ``model.safetensors`` of the
best epoch by the paper's metric on the test set, ``metrics.json``) plus
``train_config.yaml``, ``log.csv``, ``loss_curve.png`` and
``checkpoints/last.pt`` (everything needed to resume).
"""

from __future__ import annotations

import logging
import math
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

from temdefects import __version__
from temdefects.dislocations.losses import matched_dice_loss, union_loss
from temdefects.errors import TemdefectsError
from temdefects.io.atomic import atomic_write_text
from temdefects.models import build_model, save_model
from temdefects.train import data as tdata
from temdefects.train.checkpoint import load_checkpoint, require_checkpoint, save_checkpoint
from temdefects.train.config import TrainConfig, dump_train_config
from temdefects.train.distributed import setup
from temdefects.train.evaluate import evaluate_split
from temdefects.train.log import TrainLog

LOG = logging.getLogger(__name__)


@dataclass
class Run:
    """Everything a training run needs, resolved from its configuration."""

    config: TrainConfig
    out: Path
    device: torch.device
    train_set: torch.utils.data.Dataset
    n_train: int
    test_folder: Path
    test_names: list
    record: dict


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError):
        raise TemdefectsError(f"device: expected auto, cpu, cuda or cuda:N, got {name!r}") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise TemdefectsError("device: CUDA requested but no GPU is available")
    return device


def cpu_bf16_supported() -> bool:
    """True when this CPU computes bfloat16 natively (oneDNN: AVX512-BF16 or AMX)."""
    try:
        return bool(
            torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported()
        )
    except (AttributeError, RuntimeError):
        return False


def lr_factor(step: int, total: int, warmup: float, schedule: str) -> float:
    """Multiplier of the peak learning rate at ``step`` (linear warm-up, then cosine)."""
    n_warm = int(round(warmup * total))
    if n_warm and step < n_warm:
        return (step + 1) / n_warm
    if schedule == "constant":
        return 1.0
    progress = (step - n_warm) / max(1, total - n_warm)
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


def selection_score(config: TrainConfig, metrics: dict) -> float:
    """What the best epoch maximises: the paper's length metric of the N masks, or,
    for ``loss.kind: union`` (whose channels are not one dislocation each), minus
    the test loss."""
    if config.loss.kind == "union":
        return -float(metrics["loss"])
    return float(metrics["length_score"])


def synth_test_folder(config: TrainConfig, out: Path) -> Path:
    """Where a run on synthetic data finds its test images: the configured folder,
    else the ``testset`` it generates in its output folder."""
    return Path(config.data.test_folder) if config.data.test_folder else Path(out) / "testset"


def run_test_split(config: TrainConfig, out: Path) -> tuple[Path, list]:
    """The folder and names of a run's test images (a generated test set must exist)."""
    dc = config.data
    if dc.source == "synth":
        folder = synth_test_folder(config, out)
        return folder, tdata.list_samples(folder)[: dc.test_images]
    _, folder, names = tdata.split_folder(
        dc.folder, dc.train_images, dc.test_images, dc.test_folder
    )
    return folder, names


def prepare(config: TrainConfig, out: Path, *, progress: bool) -> Run:
    """Datasets and the reproducibility record of a run."""
    dc = config.data
    device = resolve_device(config.device)  # before anything slow: a typo costs nothing
    record = {
        "train_config": config.to_dict(),
        "seed": config.seed,
        "temdefects_version": __version__,
        "torch_version": torch.__version__,
        "python": platform.python_version(),
    }
    if dc.source == "synth":
        from temdefects.synth.config import load_config
        from temdefects.synth.dislocations.dataset import generate_dataset

        synth = load_config(dc.preset, dc.synth_config)
        if dc.backgrounds:
            synth = load_config(
                dc.preset,
                dc.synth_config,
                {
                    "background": {
                        "kind": "real",
                        "real": {"dir": str(Path(dc.backgrounds).resolve())},
                    }
                },
            )
        if synth.background.kind == "real":
            if synth.background.real.dir is None:
                raise TemdefectsError(
                    "data.backgrounds: real backgrounds need a folder of crops "
                    "(data.backgrounds or the generator's background.real.dir)"
                )
            from temdefects.synth.background import list_backgrounds

            list_backgrounds(synth.background.real.dir)  # missing or empty: one clear error
        n_train = config.steps_per_epoch * dc.batch_size
        train_set = tdata.SynthSamples(
            synth,
            config.seed,
            config.augment,
            crop=dc.crop,
            min_mask_pixels=dc.min_mask_pixels,
            backgrounds=synth.background.real.dir,
        )
        record["data"] = {
            "source": "synth",
            "generator_config": synth.to_dict(),
            "train_seed": config.seed,
        }
        test_folder = synth_test_folder(config, out)
        if not dc.test_folder:
            generate_dataset(
                test_folder,
                synth,
                count=dc.test_images,
                seed=dc.test_seed,
                backgrounds=synth.background.real.dir,
                resume=test_folder.exists(),
                progress=progress,
            )
        test_folder, test_names = run_test_split(config, out)
        record["data"]["test_set"] = {
            "folder": str(test_folder.resolve()),
            "seed": dc.test_seed,
            "images": len(test_names),
        }
    else:
        names, test_folder, test_names = tdata.split_folder(
            dc.folder, dc.train_images, dc.test_images, dc.test_folder
        )
        n_train = len(names)
        train_set = tdata.FolderSamples(
            dc.folder,
            names,
            config.seed,
            config.augment,
            crop=dc.crop,
            min_mask_pixels=dc.min_mask_pixels,
        )
        record["data"] = {
            "source": "folder",
            "folder": str(Path(dc.folder).resolve()),
            "train_images": n_train,
            "test_set": {"folder": str(test_folder.resolve()), "images": len(test_names)},
        }
    if not test_names:
        raise TemdefectsError(f"{test_folder}: the test set is empty")
    return Run(
        config,
        out,
        device,
        train_set,
        n_train,
        test_folder,
        test_names,
        record,
    )


def _loader(run: Run, keys: list, batch_size: int) -> DataLoader:
    dc = run.config.data
    return DataLoader(
        run.train_set,
        batch_size=batch_size,
        sampler=keys,
        collate_fn=tdata.collate,
        num_workers=dc.workers,
        worker_init_fn=tdata.worker_init if dc.workers else None,
        persistent_workers=False,
        pin_memory=run.device.type == "cuda",
    )


def _loss(config: TrainConfig, logits, objectness, masks) -> torch.Tensor:
    lc = config.loss
    if lc.kind == "union":
        return union_loss(logits, masks, smooth=lc.smooth, bce_weight=lc.bce_weight, reach=lc.reach)
    return matched_dice_loss(
        torch.sigmoid(logits.float()),
        masks,
        matching=lc.matching,
        smooth=lc.smooth,
        empty_weight=lc.empty_weight,
        objectness=objectness.float() if objectness is not None else None,
        objectness_weight=lc.objectness_weight,
    )


def train(
    config: TrainConfig,
    out: str | Path,
    *,
    resume: bool = False,
    progress: bool = True,
    log=None,
) -> dict:
    """Train a model as configured; returns the best epoch's metrics.

    Under ``torchrun`` every process calls this; they share the work of each
    step (:mod:`temdefects.train.distributed`) and rank 0 writes the files.

    Raises
    ------
    TemdefectsError
        If ``out`` holds a run and ``resume`` is not set, or the configuration
        differs from the run being resumed.
    """
    log = log or LOG.info
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise TemdefectsError(f"{out}: output path is a file, not a folder")
    ckpt_path = out / "checkpoints" / "last.pt"
    if not resume and ckpt_path.exists():
        raise TemdefectsError(
            f"{out}: holds a training run (use --resume to continue it, or another output folder)"
        )
    if resume:
        require_checkpoint(out, ckpt_path.relative_to(out))
    out.mkdir(parents=True, exist_ok=True)
    dist, dev = setup(resolve_device(config.device), config.data.batch_size)
    if not dist.main:
        dist.barrier()  # rank 0 writes the test set first
    run = prepare(config, out, progress=progress and dist.main)
    if dist.main:
        dist.barrier()
    try:
        return _train(config, out, run, dist, dev, resume=resume, progress=progress, log=log)
    finally:
        dist.close()


def _train(
    config: TrainConfig, out: Path, run: Run, dist, dev, *, resume: bool, progress: bool, log
) -> dict:
    from tqdm import tqdm

    ckpt_path = out / "checkpoints" / "last.pt"
    oc = config.optim

    with torch.random.fork_rng(devices=[]):  # reproducible init, global state untouched
        torch.manual_seed(config.seed)
        model = build_model(config.model).to(dev)
    if config.init:
        run.record["init"] = _initialise(model, config)
    cpu_bf16 = oc.cpu_bf16 and dev.type == "cpu"
    if cpu_bf16:  # oneDNN's bf16 convolutions are another 1.25x faster on NHWC tensors
        model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters(), lr=oc.lr, weight_decay=oc.weight_decay)
    steps_per_epoch = (
        config.steps_per_epoch
        if config.data.source == "synth"
        else max(1, math.ceil(run.n_train / config.data.batch_size))
    )
    total = steps_per_epoch * oc.epochs
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: lr_factor(s, total, oc.warmup, oc.schedule)
    )
    use_amp = oc.amp and dev.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    autocast = (
        {"device_type": "cpu", "dtype": torch.bfloat16, "enabled": True}
        if cpu_bf16
        else {"device_type": dev.type, "enabled": use_amp}
    )
    tlog = TrainLog(out)
    state = {
        "epoch": 0,
        "step": 0,
        "batches_done": 0,
        "best": -math.inf,
        "best_epoch": None,
        "elapsed": 0.0,
    }
    if resume:
        state = load_checkpoint(ckpt_path, config, model, opt, sched, scaler, tlog)
        if dist.main:
            log(f"resuming {out} at epoch {state['epoch'] + 1}, step {state['step']}")
    net = model  # the bare network: evaluated, saved and checkpointed
    if dist.world > 1:
        ids = [dev.index] if dev.type == "cuda" else None
        model = torch.nn.parallel.DistributedDataParallel(net, device_ids=ids)
    if dist.main:
        atomic_write_text(out / "train_config.yaml", dump_train_config(config))

    bar = tqdm(
        total=total,
        initial=state["step"],
        desc="train",
        unit="step",
        disable=not progress or not dist.main,
        file=sys.stderr,
    )
    start = time.perf_counter() - state["elapsed"]
    try:
        for epoch in range(state["epoch"], oc.epochs):
            keys = tdata.epoch_keys(
                config.data.source,
                epoch,
                steps_per_epoch * config.data.batch_size
                if config.data.source == "synth"
                else run.n_train,
                config.seed,
            )
            keys = keys[state["batches_done"] * config.data.batch_size :]
            keys = dist.share(keys, config.data.batch_size)
            model.train()
            losses = []
            for images, masks in _loader(run, keys, config.data.batch_size // dist.world):
                images, masks = images.to(dev, non_blocking=True), masks.to(dev)
                if cpu_bf16:
                    images = images.contiguous(memory_format=torch.channels_last)
                with torch.autocast(**autocast):
                    logits, obj = model(images)
                logits = logits.float()
                obj = obj.float() if obj is not None else None
                loss = _loss(config, logits, obj, masks)
                opt.zero_grad(set_to_none=True)
                scaler.scale(loss).backward()
                if oc.grad_clip:
                    scaler.unscale_(opt)
                    torch.nn.utils.clip_grad_norm_(model.parameters(), oc.grad_clip)
                scaler.step(opt)
                scaler.update()
                sched.step()
                losses.append(dist.mean(float(loss.detach())))
                state["step"] += 1
                state["batches_done"] += 1
                bar.update()
                bar.set_postfix(loss=f"{np.mean(losses[-20:]):.3f}", epoch=epoch + 1)
                if state["step"] % oc.checkpoint_every == 0 and dist.main:
                    state["elapsed"] = time.perf_counter() - start
                    save_checkpoint(ckpt_path, config, net, opt, sched, scaler, tlog, state)
            tlog.add_train(epoch + 1, state["step"], losses, sched.get_last_lr()[0])
            state["epoch"], state["batches_done"] = epoch + 1, 0
            evaluate = (epoch + 1) % config.eval.every == 0 or epoch + 1 == oc.epochs
            if evaluate and dist.main:
                metrics = evaluate_split(
                    net, run.test_folder, run.test_names, config, dev, loss_fn=_loss
                )
                tlog.add_test(epoch + 1, metrics)
                score = selection_score(config, metrics)
                if score > state["best"]:
                    state["best"], state["best_epoch"] = score, epoch + 1
                    best = {**metrics, "epoch": epoch + 1, "step": state["step"]}
                    state["elapsed"] = time.perf_counter() - start
                    save_model(
                        out, net, record=_record(run, state, dev), metrics=best, half=config.half
                    )
                log(
                    f"epoch {epoch + 1}/{oc.epochs}: train loss {np.mean(losses):.4f}, "
                    f"test loss {metrics['loss']:.4f}, length score "
                    f"{metrics['length_score']:.3f}, F1 {metrics['f1']:.3f}"
                )
            state["elapsed"] = time.perf_counter() - start
            if dist.main:
                tlog.write()
                save_checkpoint(ckpt_path, config, net, opt, sched, scaler, tlog, state)
            dist.barrier()  # the others wait while rank 0 evaluates and writes
    finally:
        bar.close()
    return tlog.best_metrics(state["best_epoch"])


def _initialise(model, config: TrainConfig) -> dict:
    """Load the weights of ``config.init`` into ``model``; returns what to record."""
    from temdefects.models import load

    base = load(config.init)
    if base.config != config.model:
        raise TemdefectsError(
            f"init: the model of {config.init} ({base.config.to_dict()}) "
            "differs from this configuration's model section"
        )
    model.load_state_dict(base.state_dict())
    return {"folder": str(Path(config.init).resolve()), "record": base.record}


def _record(run: Run, state: dict, dev: torch.device) -> dict:
    return {
        **run.record,
        "best_epoch": state["best_epoch"],
        "steps": state["step"],
        "wall_seconds": round(state["elapsed"], 1),
        "device": str(dev),
        "device_name": torch.cuda.get_device_name(dev)
        if dev.type == "cuda"
        else platform.processor() or platform.machine(),
    }
