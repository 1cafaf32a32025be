"""Does temporal context help? A one-frame and a three-frame U-Net on ``twip-8um``, side by side.

Issue 16: on the later ``twip-8um`` frames the annotator drew dislocations
that a single frame barely shows (they could follow them in the moving video).
This benchmark trains the same plain U-Net as ``temdefects adapt`` (ResNet-18
encoder, random start, one output channel, Dice + BCE within ``--reach`` px of
a labelled line, random crops with flips, 90-degree turns, noise, brightness
and contrast; AdamW, warm-up then cosine; bfloat16 autocast on CPUs that have
it) on the same 10 labelled frames, once with the frame alone as input
(``--context 0``) and once with the frames ``t - K``, ``t`` and ``t + K`` of
the video as three input channels (``--context K``; every channel flattened as
``analyze`` does). Frames are taken from ``twip-8um/video`` by index; the 59
labelled frames are among them, pixel for pixel.

Both are scored on the held-out labelled frames under the strict rule (a curve
and a stroke pair up when the larger of the two mean nearest-point distances
is at most 3 px, one-to-one; ``temdefects.metrics.curvematch``), with the
post-processing chosen on the 10 training frames (``dislocations.analysis.choose``), and on
the *independent* held-out frames: those whose strokes are not a copy of a
training frame's strokes (IoU < 0.5 after a 1 px dilation). Many ``twip-8um``
label images are copies of each other (frames 0-130 share one set of strokes,
frames 220-300 another), so the plain held-out score mixes in frames that
share a training frame's labels.

Run: ``python benchmarks/realdata_temporal.py -o runs/temporal --steps 3000
[--variants 0,2]``. Skips cleanly without ``../shared/realdata``.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import torch

from temdefects.dislocations.analysis.choose import choose_postprocess, strict_scores
from temdefects.dislocations.analysis.pipeline import DEFAULT_FLATTEN, model_input
from temdefects.dislocations.losses.union import union_loss
from temdefects.io.labels import strokes_to_masks
from temdefects.models.net import build_model
from temdefects.train.loop import cpu_bf16_supported, lr_factor

sys.path.insert(0, str(Path(__file__).resolve().parent))
from realdata_dislocations import REALDATA, copied_labels, stroke_paths  # noqa: E402

TWIP = REALDATA / "twip-8um"
#: The 10 frames spread over the video that ``temdefects adapt`` was measured with.
SPREAD = (0, 30, 83, 94, 106, 150, 182, 192, 215, 300)
UNET = {"arch": "unet", "encoder": "resnet18", "n_masks": 1, "objectness": False}


def frame_index(path: Path) -> int:
    return int(path.stem.rsplit("_", 1)[-1])


@functools.cache
def video_files() -> tuple:
    """The video's frame files in order (listed once)."""
    return tuple(sorted((TWIP / "video").glob("*.png")))


def video_frame(index: int) -> np.ndarray:
    frames = video_files()
    index = min(max(index, 0), len(frames) - 1)
    return cv2.imread(str(frames[index]), cv2.IMREAD_GRAYSCALE)


def network_input(index: int, context: int) -> np.ndarray:
    """(C, H, W) float32: the flattened frame, or frames t-K, t, t+K."""
    offsets = (0,) if context == 0 else (-context, 0, context)
    return np.stack(
        [model_input(video_frame(index + o), DEFAULT_FLATTEN)[1] for o in offsets]
    ).astype(np.float32)


@functools.cache
def label_files() -> dict:
    """Stroke label images by lower-case stem (listed once)."""
    return {p.stem.lower(): p for p in (TWIP / "ds").iterdir()}


def label_of(path: Path) -> Path:
    return label_files()[path.stem.lower()]


def union_mask(label: Path, width: int = 3) -> np.ndarray:
    image = cv2.imread(str(label), cv2.IMREAD_GRAYSCALE)
    masks = strokes_to_masks(image, dark=True, min_size=10, width=width)
    return masks.any(axis=0).astype(np.float32)


def independent(held: list, train: list) -> list:
    """Held-out frames whose strokes are not a copy of any training frame's strokes."""
    copied = copied_labels([label_of(p) for p in held], [label_of(p) for p in train])
    return [p for p in held if label_of(p).stem not in copied]


def augment(x: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> tuple:
    k = int(rng.integers(4))
    x, y = np.rot90(x, k, axes=(1, 2)), np.rot90(y, k)
    if rng.random() < 0.5:
        x, y = x[:, :, ::-1], y[:, ::-1]
    x = x.copy()
    if rng.random() < 0.5:
        x = x + rng.uniform(-0.1, 0.1)
    if rng.random() < 0.5:
        x = (x - x.mean()) * rng.uniform(0.7, 1.3) + x.mean()
    if rng.random() < 0.3:
        x = x + rng.normal(0, rng.uniform(0, 0.04), x.shape)
    return np.clip(x, 0, 1).astype(np.float32), np.ascontiguousarray(y)


def train_variant(data: list, context: int, args, out: Path) -> torch.nn.Module:
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    model = build_model({**UNET, "in_channels": 1 if context == 0 else 3})
    bf16 = cpu_bf16_supported() if args.precision == "auto" else args.precision == "bf16"
    if bf16:
        model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    crop = args.crop
    log = []
    start = time.perf_counter()
    model.train()
    for step in range(args.steps):
        for group in opt.param_groups:
            group["lr"] = args.lr * lr_factor(step, args.steps, 0.05, "cosine")
        xs, ys = [], []
        for _ in range(args.batch_size):
            x, y = data[int(rng.integers(len(data)))]
            r = int(rng.integers(x.shape[1] - crop + 1))
            c = int(rng.integers(x.shape[2] - crop + 1))
            xa, ya = augment(x[:, r : r + crop, c : c + crop], y[r : r + crop, c : c + crop], rng)
            xs.append(xa)
            ys.append(ya)
        xb = torch.from_numpy(np.stack(xs))
        yb = torch.from_numpy(np.stack(ys))[:, None]
        if bf16:
            xb = xb.contiguous(memory_format=torch.channels_last)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            logits, _ = model(xb)
        loss = union_loss(logits.float(), yb, reach=args.reach)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        log.append(float(loss.detach()))
        if (step + 1) % 100 == 0:
            print(
                f"context {context}: step {step + 1}/{args.steps}, loss "
                f"{np.mean(log[-100:]):.4f}, {time.perf_counter() - start:.0f} s",
                flush=True,
            )
    torch.save(model.state_dict(), out / f"context{context}.pt")
    model.eval()
    return model


@torch.no_grad()
def probabilities(model: torch.nn.Module, x: np.ndarray) -> np.ndarray:
    """(H, W) line probability, averaged over the four mirror images (as ``--flips``)."""
    c, h, w = x.shape
    ph, pw = -h % 32, -w % 32
    xp = np.pad(x, ((0, 0), (0, ph), (0, pw)), mode="reflect")
    t = torch.from_numpy(xp)[None]
    acc = np.zeros((h, w), np.float32)
    for rows, cols in ((False, False), (True, False), (False, True), (True, True)):
        dims = [d for d, f in ((2, rows), (3, cols)) if f]
        xi = torch.flip(t, dims) if dims else t
        logits, _ = model(xi)
        p = torch.sigmoid(logits.float())
        p = torch.flip(p, dims) if dims else p
        acc += p[0, 0, :h, :w].numpy()
    return acc / 4


def cached(model, frames: list, context: int) -> list:
    out = []
    for p in frames:
        prob = probabilities(model, network_input(frame_index(p), context))
        out.append((prob[None], None, stroke_paths(label_of(p))))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--variants", default="0,2", help="contexts K to train (0: one frame)")
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--crop", type=int, default=256)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--reach", type=int, default=16)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--precision", choices=("auto", "bf16", "fp32"), default="auto")
    args = ap.parse_args()
    if not (TWIP / "video").is_dir():
        print(f"skipped: {TWIP / 'video'} is absent")
        return 0
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    originals = sorted((TWIP / "original").glob("*.png"))
    train = [p for p in originals if frame_index(p) in SPREAD]
    held = [p for p in originals if frame_index(p) not in SPREAD]
    indep = independent(held, train)
    print(
        f"{len(train)} training frames, {len(held)} held out, {len(indep)} of them with strokes "
        f"that copy no training frame's: {[frame_index(p) for p in indep]}"
    )
    results = {"rule": "strict: larger mean nearest-point distance <= 3 px, one-to-one"}
    for context in (int(v) for v in args.variants.split(",")):
        start = time.perf_counter()
        data = [(network_input(frame_index(p), context), union_mask(label_of(p))) for p in train]
        model = train_variant(data, context, args, out)
        seconds = time.perf_counter() - start
        post, grid = choose_postprocess(cached(model, train, context))
        row = {"train_seconds": round(seconds), "threshold": post.threshold, "join": post.join_gap}
        for name, frames in (("held-out", held), ("independent", indep)):
            row[name] = strict_scores(cached(model, frames, context), post)
        results[f"context {context}"] = row
        print(f"context {context}: {json.dumps(row)}", flush=True)
        (out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    print("\n| input | frames | recall | precision >= | F1 |")
    print("|---|---|---|---|---|")
    for key, row in results.items():
        if key.startswith("context"):
            for name in ("held-out", "independent"):
                s = row[name]
                print(
                    f"| {key} | {name} | {s['recall']:.3f} | {s['precision']:.3f} | {s['f1']:.3f} |"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
