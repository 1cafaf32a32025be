"""Adaptation to 10 labelled real frames, side by side (issue 16): which part loses?

Data: ``../shared/realdata/dislocations/twip-8um`` (Tanaka et al., Sci. Rep. 15,
14435 (2025)), 59 frames with one hand-drawn stroke per dislocation (partial).
The first ``--train-frames`` (10) labelled frames in sorted order train; the
other 49 are scored. Nothing is tuned on the scored frames: every variant
trains for the same number of steps and its last weights are scored.

Variants, all in one run, all with the same crops, batch, augmentation and
steps:

* ``oracle``: no network; the hand labels of each frame drawn 3 px wide are
  fed to the post-processing as if predicted. It measures what the curve
  extraction itself can reach from perfect masks (a ceiling, not a model).
* ``zero-shot``: the model as given (``--model``, default: the shipped one).
* ``finetune-matched``: that model fine-tuned with its own matched Dice loss
  (what ``temdefects finetune`` did before; the paper's section 6.4).
* ``finetune-union``: that model fine-tuned with Dice + BCE on the union of
  the masks (``temdefects finetune --objective union``).
* ``finetune-union-reach``: the same with the loss taken only within
  ``--reach`` (16) px of a labelled stroke (``--reach 16``): the labels mark
  only some dislocations, so the rest of a frame is unknown, not background.
* ``scratch-unet``: a plain U-Net (segmentation-models-pytorch, ResNet-18
  encoder, random init, one output channel) trained from scratch with Dice +
  BCE on the same frames: what a user would do without this project.
* ``scratch-unet-reach``: the same with the loss taken within ``--reach`` px
  of the labels only.
* ``scratch-unet-reach-snap``: the same with each hand stroke first moved
  onto the dark line it marks, by at most ``--snap`` (3) px
  (:mod:`temdefects.geometry.snapping`; scored against the strokes as drawn).
* ``scratch-same-reach``: the pre-trained model's own network (N masks, its
  decoder), randomly initialised, trained as ``finetune-union-reach``: with
  it, ``finetune-union-reach`` against this isolates the pre-training from the
  architecture.
* ``fitted-pretrain-reach``: the paper's M1 route. The generator is fitted to
  the 10 training frames (``temdefects fit-generator``'s measurements: pile-ups,
  spacing, slip width, direction, line width and contrast), ``--synthetic``
  (400) frames are generated with those settings (3 px masks, flattened as the
  real frames) and the plain U-Net of ``scratch-unet`` learns them for
  ``--pretrain-steps`` (half the steps), then the 10 real frames as
  ``scratch-unet-reach`` for the rest: the same steps in all.
* ``m2-pretrain-reach``: the same with the unfitted preset m2 (at the frames'
  size, 3 px masks): with it, the fitting is separated from pre-training as such.

So ``finetune-matched`` vs ``finetune-union`` measures the recipe, and
``finetune-union`` vs ``scratch-unet`` measures the synthetic pre-training.
All are analysed by ``temdefects analyze``'s default pipeline (flattening as
the ``--model`` record says, 30 px without one, as ``adapt --init`` does; trace
post-processing, the zero-shot model's own where its record chose one); the
training frames are flattened the same way. Each
adapted variant is also scored (``<variant>+post``) with the post-processing
it chooses on its own 10 training frames (best strict F1 over thresholds 0.5,
0.3, join gaps 60, 20, 0 px and shortest curves 25, 60 px), as an adaptation to a user's frames may;
nothing is chosen on the scored frames.

Matching rule (strict, issue 16): a curve and a stroke pair up when the larger
of the two mean nearest-point distances is at most 3 px, one-to-one
(Hungarian; ``temdefects.metrics.curvematch.match_by_distance``). Also the
looser coverage rule (5 px, half of the stroke) and centre-line recall /
precision within 2 px. Precision is a lower bound (partial labels).

Run: ``python benchmarks/realdata_adapt.py -o runs/adapt [--steps 1500]
[--variants zero-shot,finetune-union,...] [--resume]``. Skips cleanly (exit 0)
when the real data is absent.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import torch

from realdata_dislocations import REALDATA, stroke_paths
from temdefects.cli.adapt import adapt_config
from temdefects.cli.common import add_precision_argument
from temdefects.dislocations.analysis import PostprocessOptions
from temdefects.dislocations.analysis.choose import choose_postprocess, record_options
from temdefects.dislocations.analysis.pipeline import DEFAULT_FLATTEN, model_flatten, model_input
from temdefects.dislocations.analysis.postprocess import postprocess
from temdefects.io.frames import iter_frames
from temdefects.io.labels import strokes_to_masks
from temdefects.metrics import match_by_coverage
from temdefects.metrics.curvematch import centreline_scores, match_by_distance
from temdefects.models import load, predict, read_config
from temdefects.models.folder import default_model_path
from temdefects.train import labelled as tlabelled
from temdefects.train import train, train_config_from_dict

VARIANTS = (
    "oracle",
    "zero-shot",
    "finetune-matched",
    "finetune-union",
    "finetune-union-reach",
    "scratch-unet",
    "scratch-unet-reach",
    "scratch-unet-reach-snap",
    "scratch-same-reach",
    "fitted-pretrain-reach",
    "m2-pretrain-reach",
)
PRETRAIN = {"fitted-pretrain-reach": "fitted", "m2-pretrain-reach": "m2"}


def labelled_frames(twip: Path) -> list[tuple[Path, Path]]:
    """(frame, stroke label) pairs in sorted order."""
    labels = {p.stem.lower(): p for p in (twip / "ds").iterdir()}
    return [
        (p, labels[p.stem.lower()])
        for p in sorted((twip / "original").glob("*.png"))
        if p.stem.lower() in labels
    ]


def pick_frames(pairs: list, n: int, how: str) -> tuple[list, list]:
    """(training, scored) pairs: the first ``n`` in sorted order, or ``n`` evenly spread."""
    if how == "first":
        return pairs[:n], pairs[n:]
    chosen = set(np.linspace(0, len(pairs) - 1, n).round().astype(int).tolist())
    return [p for i, p in enumerate(pairs) if i in chosen], [
        p for i, p in enumerate(pairs) if i not in chosen
    ]


def write_training_folder(pairs: list, out: Path, flatten: float, snap: int = 0) -> Path:
    if (out / "000000.json").exists():
        return out

    def load_pair(pair):
        frame, label = pair
        return tlabelled.from_strokes(
            label, frame.parent, width=3.0, dark=True, min_size=10, snap=snap
        )

    report = tlabelled.write_labelled(out, pairs, load_pair, flatten=flatten)
    if report.failed:
        raise SystemExit(f"cannot convert labels: {report.failed}")
    return out


def run_config(variant: str, base: str, folder: Path, steps: int, args) -> dict:
    """The training config of a variant: ``temdefects adapt``'s recipe, varied."""
    n = len(list(folder.glob("*.json")))
    scratch = variant.startswith("scratch")
    recipe = SimpleNamespace(
        output=variant,
        steps=steps,
        batch_size=args.batch_size,
        crop=args.crop,
        lr=args.lr_scratch if scratch else args.lr_finetune,
        reach=args.reach if "-reach" in variant else 0,
        init=None if scratch else base,
        seed=args.seed,
        device="cpu",
        precision=args.precision,
    )
    config = adapt_config(recipe, folder, n)
    if variant == "scratch-same-reach":  # the pre-trained model's network, random init
        config["model"] = read_config(base)["model"]
    elif not scratch and not variant.startswith("finetune-union"):
        config["loss"]["kind"] = "matched"
        config["loss"].pop("reach")
    return config


def synthetic_folder(kind: str, train_pairs: list, out: Path, args) -> Path:
    """``--synthetic`` frames of the fitted (or plain m2) generator, as a training folder."""
    from temdefects.synth.config import load_config
    from temdefects.synth.dislocations.fitting import fitted_settings, frame_stats
    from temdefects.synth.dislocations.scene import render_scene, sample_scene
    from temdefects.synth.scene import image_rng

    folder = out / f"synthetic-{kind}"
    if (folder / "fit.json").exists():
        return folder
    frames = [
        frame_stats(next(iter_frames(frame)).image, stroke_paths(label))
        for frame, label in train_pairs
    ]
    overrides = fitted_settings(frames)
    if kind != "fitted":  # plain m2 at the frames' size
        overrides = {"size": overrides["size"]}
    overrides.setdefault("drawing", {})["mask_width"] = 3.0
    config = load_config("m2", overrides=overrides)

    def render(index):
        sample = render_scene(sample_scene(config, image_rng(args.seed + 101, index)))
        return sample.image, sample.masks, {"synthetic": kind, "index": index}

    report = tlabelled.write_labelled(
        folder, list(range(args.synthetic)), render, flatten=args.flatten
    )
    if report.failed:
        raise SystemExit(f"cannot render synthetic frames: {report.failed}")
    (folder / "fit.json").write_text(json.dumps({"overrides": overrides}, indent=1) + "\n")
    return folder


def probabilities(model, pairs: list, flatten: float) -> list:
    """Per frame: (mask probabilities, objectness, labelled stroke paths), computed once."""
    out = []
    for frame, label in pairs:
        image = next(iter(iter_frames(frame))).image
        probs, obj = predict(model, model_input(image, flatten)[1])
        out.append((probs, obj, stroke_paths(label)))
    return out


def oracle_probabilities(pairs: list) -> list:
    """The hand labels themselves as the network's output (3 px union): what the
    post-processing can make of perfect masks."""
    out = []
    for _, label in pairs:
        strokes = cv2.imread(str(label), cv2.IMREAD_GRAYSCALE)
        masks = strokes_to_masks(strokes, dark=True, min_size=10, width=3)
        union = masks.max(0, keepdims=True) if len(masks) else np.zeros((1, *strokes.shape))
        out.append((union.astype(np.float32), None, stroke_paths(label)))
    return out


def score(cached: list, post: PostprocessOptions) -> dict:
    tot = dict.fromkeys(("labels", "predictions", "strict", "coverage"), 0)
    points = np.zeros(4, np.int64)
    for probs, obj, labels in cached:
        preds = [d.points for d in postprocess(probs, objectness=obj, options=post)]
        tot["labels"] += len(labels)
        tot["predictions"] += len(preds)
        tot["strict"] += match_by_distance(labels, preds, max_distance=3.0).matched
        tot["coverage"] += match_by_coverage(labels, preds, tolerance=5.0).matched
        points += centreline_scores(labels, preds, tolerance=2.0)
    n_l, n_p = max(tot["labels"], 1), max(tot["predictions"], 1)
    return {
        **tot,
        "recall": tot["strict"] / n_l,
        "precision_lower_bound": tot["strict"] / n_p,
        "f1": 2 * tot["strict"] / (n_l + n_p),
        "coverage_recall": tot["coverage"] / n_l,
        "centreline_recall_2px": points[0] / max(points[1], 1),
        "centreline_precision_2px": points[2] / max(points[3], 1),
        "postprocess": {"threshold": post.threshold, "join_gap": post.join_gap},
    }


def chosen_postprocess(train_cached: list) -> PostprocessOptions:
    """The grid entry with the best strict F1 on the labelled training frames (as
    ``temdefects finetune`` chooses it, :mod:`temdefects.dislocations.analysis.choose`)."""
    return choose_postprocess(train_cached)[0]


def _train(config: dict, run_dir: Path, args):
    """Train ``config`` into ``run_dir`` unless done (resuming with ``--resume``); load it."""
    cfg = train_config_from_dict(config)
    resume = args.resume and (run_dir / "checkpoints" / "last.pt").exists()
    if not (run_dir / "model.safetensors").exists() or resume:
        train(cfg, run_dir, resume=resume, progress=False)
    return load(run_dir)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output", required=True, help="work folder (models, results)")
    ap.add_argument("--model", help="pre-trained model folder (default: the shipped one)")
    ap.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated subset")
    ap.add_argument("--steps", type=int, default=1500, help="optimiser steps per variant")
    ap.add_argument("--train-frames", type=int, default=10)
    ap.add_argument(
        "--pick",
        choices=("first", "spread"),
        default="first",
        help="training frames: the first ones in sorted order (the paper's protocol) or "
        "evenly spread over the sequence",
    )
    ap.add_argument("--crop", type=int, default=256)
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--lr-finetune", type=float, default=5e-4)
    ap.add_argument("--lr-scratch", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0)
    add_precision_argument(ap)  # fp32 reproduces the runs before 2026-12-05
    ap.add_argument("--reach", type=int, default=16, help="finetune-union-reach: px")
    ap.add_argument(
        "--flatten",
        type=float,
        default=None,
        help="flattening of all frames, px (default: the --model record's, as adapt --init "
        f"does, else {DEFAULT_FLATTEN:g})",
    )
    ap.add_argument("--snap", type=int, default=3, help="*-snap: largest move of a stroke, px")
    ap.add_argument("--resume", action="store_true", help="continue interrupted trainings")
    ap.add_argument("--synthetic", type=int, default=400, help="*-pretrain-reach: frames")
    ap.add_argument(
        "--pretrain-steps", type=int, default=0, help="*-pretrain-reach: synthetic steps (half)"
    )
    args = ap.parse_args()
    variants = [v for v in args.variants.split(",") if v]
    unknown = set(variants) - set(VARIANTS)
    if unknown:
        print(f"--variants: unknown {sorted(unknown)}; choose from {VARIANTS}", file=sys.stderr)
        return 2
    if args.steps < 1:
        print("--steps: must be >= 1", file=sys.stderr)
        return 2
    twip = REALDATA / "twip-8um"
    if not twip.is_dir():
        print(f"skipped: real data folder {twip} is absent")
        return 0
    torch.manual_seed(args.seed)  # benchmark script: fixed, not a library default
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    pairs = labelled_frames(twip)
    train_pairs, test_pairs = pick_frames(pairs, args.train_frames, args.pick)
    base = args.model or str(default_model_path())
    args.flatten = model_flatten(read_config(base), args.flatten)
    print(f"frames flattened by {args.flatten:g} px")
    folder = write_training_folder(train_pairs, out / "train-frames", args.flatten)
    results = {}
    results_path = out / "results.json"
    if results_path.exists():
        results = json.loads(results_path.read_text())
    for variant in variants:
        start = time.perf_counter()
        if variant == "oracle":
            model, seconds = None, 0.0
        elif variant == "zero-shot":
            model, seconds = load(args.model), 0.0
        elif variant in PRETRAIN:
            synth = synthetic_folder(PRETRAIN[variant], train_pairs, out, args)
            first = min(args.pretrain_steps or args.steps // 2, args.steps - 1)
            stage = out / f"{variant}-synthetic"
            pre = run_config("scratch-unet", base, synth, first, args)
            _train(pre, stage, args)
            cfg = run_config("scratch-unet-reach", base, folder, args.steps - first, args)
            cfg.update(name=f"adapt-{variant}", init=str(stage.resolve()))
            cfg["optim"]["lr"] = args.lr_finetune
            model = _train(cfg, out / variant, args)
            seconds = time.perf_counter() - start
        else:
            train_folder = folder
            if variant.endswith("-snap"):
                train_folder = write_training_folder(
                    train_pairs, out / f"train-frames-snap{args.snap}", args.flatten, args.snap
                )
            cfg = run_config(variant, base, train_folder, args.steps, args)
            model = _train(cfg, out / variant, args)
            seconds = time.perf_counter() - start
        if model is None:
            cached = oracle_probabilities(test_pairs)
            train_cached = oracle_probabilities(train_pairs)
        else:
            cached = probabilities(model, test_pairs, args.flatten)
        # zero-shot: the model's own post-processing (chosen on synthetic frames), if any
        post = record_options(model.record).postprocess if variant == "zero-shot" else None
        rows = {variant: score(cached, post or PostprocessOptions())}
        if variant != "zero-shot":  # adapted: post-processing chosen on its own 10 frames
            if model is not None:
                train_cached = probabilities(model, train_pairs, args.flatten)
            rows[f"{variant}+post"] = score(cached, chosen_postprocess(train_cached))
        for name, res in rows.items():
            res["train_seconds"] = round(seconds, 1)
            results[name] = res
            print(
                f"{name:22s} recall {res['recall']:.3f}  precision >= "
                f"{res['precision_lower_bound']:.3f}  F1 {res['f1']:.3f}  | coverage recall "
                f"{res['coverage_recall']:.3f} | centre line R "
                f"{res['centreline_recall_2px']:.3f} P {res['centreline_precision_2px']:.3f} | "
                f"{res['predictions']} curves, {res['postprocess']}, train {seconds:.0f} s",
                flush=True,
            )
        results_path.write_text(json.dumps(results, indent=1) + "\n")
    summary = {
        "rule": "strict: larger mean nearest-point distance <= 3 px, one-to-one Hungarian",
        "train_frames": [p[0].name for p in train_pairs],
        "pick": args.pick,
        "scored_frames": len(test_pairs),
        "steps": args.steps,
        "crop": args.crop,
        "batch_size": args.batch_size,
        "results": results,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(f"{len(test_pairs)} held-out frames; {args.steps} steps of {args.batch_size} crops")
    print("| variant | recall | precision >= | F1 | centre-line recall (2 px) |")
    print("|---|---|---|---|---|")
    for v, r in results.items():
        print(
            f"| {v} | {r['recall']:.3f} | {r['precision_lower_bound']:.3f} | {r['f1']:.3f} | "
            f"{r['centreline_recall_2px']:.3f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
