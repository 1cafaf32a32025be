"""Seconds per training step of the ``temdefects adapt`` network: float32 against bfloat16.

Baseline: a float32 step (forward, Dice + BCE union loss, backward, AdamW) of the
adapt U-Net (ResNet-18 encoder, one output) on ``--batch`` crops of ``--crop`` px,
timed in the same run as the two bfloat16 variants the training uses when the
CPU computes bfloat16 natively (``optim.cpu_bf16``): autocast alone, and
autocast on channels-last tensors (what ``train`` does). Medians of ``--steps``
steps after two warm-up steps; ratios against the baseline.

Run: ``python benchmarks/bench_train_precision.py [--steps 6] [--crop 256] [--batch 4]``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from temdefects.dislocations.losses import union_loss
from temdefects.models import build_model
from temdefects.train.loop import cpu_bf16_supported

UNET = {"arch": "unet", "encoder": "resnet18", "n_masks": 1, "objectness": False}


def step_seconds(bf16: bool, nhwc: bool, args) -> float:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = build_model(UNET).train()
        x = torch.rand(args.batch, 1, args.crop, args.crop)
        target = (torch.rand(args.batch, 1, args.crop, args.crop) > 0.95).float()
    if nhwc:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    times = []
    for i in range(args.steps + 2):
        start = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            logits, _ = model(x)
        loss = union_loss(logits.float(), target)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if i >= 2:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--crop", type=int, default=256)
    ap.add_argument("--batch", type=int, default=4)
    args = ap.parse_args()
    print(f"native bfloat16 on this CPU: {cpu_bf16_supported()}; threads {torch.get_num_threads()}")
    base = step_seconds(False, False, args)
    print(f"float32 (baseline):          {base:.3f} s/step")
    for name, bf16, nhwc in (
        ("bfloat16 autocast", True, False),
        ("bfloat16, channels-last", True, True),
    ):
        t = step_seconds(bf16, nhwc, args)
        print(f"{name + ':':28s} {t:.3f} s/step, {base / t:.2f}x faster than the baseline")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
