"""Model inference (and training) throughput on this CPU, against the paper's model.

Images per second of inference at 512x512 for each model (a batch of one, the
way frames arrive from a microscope, and batches of 4), and training images per
second at 8 x 256x256 crops with the matched Dice loss, for:

* the paper's configuration: U-Net++ with a ResNet-50 encoder, 20 masks;
* the configured default (``--model DIR``: a model folder, e.g. the shipped one)
  or the CPU candidates listed in ``CANDIDATES``.

Weights do not change the speed, so untrained networks are timed. The ratio
column is speed relative to the paper's configuration measured in the same run.

Run: ``python benchmarks/bench_inference.py [--model DIR] [--repeats 5] [--threads 2]``
"""

from __future__ import annotations

import argparse
import platform
import sys
import time

import torch

from temdefects.dislocations.losses import matched_dice_loss
from temdefects.models import build_model, load

PAPER = {"arch": "unetplusplus", "encoder": "resnet50", "n_masks": 20}
CANDIDATES = {
    "unet-resnet18-d8": {"arch": "unet", "encoder": "resnet18", "n_masks": 20, "decoder_base": 8},
    "unet-resnet18": {"arch": "unet", "encoder": "resnet18", "n_masks": 20},
    "unet-mobilenetv2-d8": {
        "arch": "unet",
        "encoder": "mobilenet_v2",
        "n_masks": 20,
        "decoder_base": 8,
    },
    "unet-resnet34-d8": {"arch": "unet", "encoder": "resnet34", "n_masks": 20, "decoder_base": 8},
}


def timed(fn, repeats: int) -> float:
    fn()  # warm-up
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


@torch.no_grad()
def inference_rate(model, batch: int, repeats: int) -> float:
    x = torch.rand(batch, 1, 512, 512)
    return batch / timed(lambda: model(x), repeats)


def training_rate(model, repeats: int) -> float:
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    x = torch.rand(8, 1, 256, 256)
    t = torch.zeros(8, 6, 256, 256, dtype=torch.bool)
    t[:, :, 100:105, 20:220] = True

    def step():
        logits, _ = model(x)
        loss = matched_dice_loss(torch.sigmoid(logits), t)
        opt.zero_grad()
        loss.backward()
        opt.step()

    return 8 / timed(step, max(2, repeats // 2))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", help="model folder to time as the configured default")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2, help="torch threads (this CPU: 2)")
    ap.add_argument("--no-training", action="store_true", help="skip training throughput")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(
        f"machine: {platform.processor() or platform.machine()}, torch {torch.__version__}, "
        f"{args.threads} threads; best of {args.repeats}"
    )
    models = {"paper: unetplusplus-resnet50": build_model(PAPER).eval()}
    if args.model:
        m = load(args.model)
        models[f"default: {m.config.arch}-{m.config.encoder}"] = m
    else:
        models.update({k: build_model(v).eval() for k, v in CANDIDATES.items()})
    rows = []
    for name, model in models.items():
        params = sum(p.numel() for p in model.parameters()) / 1e6
        one = inference_rate(model, 1, args.repeats)
        four = inference_rate(model, 4, args.repeats)
        train = float("nan") if args.no_training else training_rate(model, args.repeats)
        rows.append((name, params, one, four, train))
    ref = rows[0]
    print(
        f"{'model':34s} {'params':>7s} {'infer img/s':>11s} {'x paper':>8s} "
        f"{'batch4 img/s':>12s} {'train img/s':>11s} {'x paper':>8s}"
    )
    for name, params, one, four, train in rows:
        print(
            f"{name:34s} {params:6.1f}M {one:11.2f} {one / ref[2]:8.1f} {four:12.2f} "
            f"{train:11.2f} {train / ref[4]:8.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
