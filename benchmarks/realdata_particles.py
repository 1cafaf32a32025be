"""A particle model on real images: Dice and instance F1 against the Pt masks, and Au classes.

Data (outside the repository, see ../shared/realdata/README*):

* ``nanoparticles/genc-pt-alumina``: HAADF-STEM tomography slices of Pt
  particles on gamma-alumina (Genc, Kovarik, Fraser 2022), 512x512, masks with
  0 pore, 1 alumina, 2 Pt. ``val`` (15 slices) is the scored set; ``train``
  (45 slices, paired with their masks by sorted order, which is checked:
  every mask must fit its own slice better than the median other mask) is
  used only by ``--finetune-epochs``. No pixel size is stated: the images are
  analysed at their own scale and, with ``--pt-scales``, as if they had the
  given pixel sizes (nm/px).
* ``nanoparticles/temul-au-haadf``: one lattice-resolved HAADF image of Au
  particles (Velox EMD, 7.5 pm/px from its metadata), no labels: the
  classifier's verdict per particle is reported.

Measured on the 15 validation slices:

* Dice pooled over all pixels of the predicted particle mask against
  ``mask == 2``, and the mean of the per-image Dice over images with Pt;
* instance precision, recall and F1: true particles are the 8-connected
  components of ``mask == 2``, predicted ones the pipeline's labels; a pair
  matches one-to-one at IoU >= 0.5 (pooled over images);
* area-equivalent diameters (px) of true and predicted particles, plotted as
  histograms (``OUT/pt_sizes_<variant>.png``).

``--finetune-epochs N`` also, in the same run: fine-tunes the model on the
first 36 train slices (the last 9 choose the epoch by Dice, then the
probability threshold and smallest particle by instance F1; nothing is chosen
on the validation slices) and trains the same network from random weights on
the same slices with the same settings (``scratch``), and scores both.

Run: ``python benchmarks/realdata_particles.py -o OUT [--model DIR]
[--pt-scales 0.1 0.2] [--finetune-epochs 60]``
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
from scipy import ndimage as ndi

from temdefects.cli.common import add_precision_argument, cpu_bf16
from temdefects.io.frames import iter_frames
from temdefects.io.images import read_raw
from temdefects.particles import analyze_particles, load_particle_model
from temdefects.particles.evaluate import match_labels
from temdefects.particles.outputs import particle_overlay

ROOT = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "nanoparticles"
RULE = "one-to-one at IoU >= 0.5; true particles = 8-connected components of mask == 2"


def _diameters(labels: np.ndarray) -> list[float]:
    areas = np.bincount(labels.ravel())[1:]
    return [float(2.0 * np.sqrt(a / np.pi)) for a in areas if a > 0]


def pt_scores(
    model, folder: Path, pixel_size: float | None, out: Path | None, tag: str, flips: bool = False
) -> dict:
    images = sorted((folder / "val_images").glob("*.tif"))
    inter = total = tp = n_pred = n_true = 0
    per_image, true_d, pred_d = [], [], []
    for path in images:
        mask_path = folder / "val_masks" / path.name.replace("val_images", "val_labels")
        image, true = read_raw(path), read_raw(mask_path) == 2
        result = analyze_particles(model, image, pixel_size=pixel_size, flips=flips)
        pred = result.labels > 0
        i, t = int((pred & true).sum()), int(pred.sum()) + int(true.sum())
        inter, total = inter + i, total + t
        if true.any():
            per_image.append(2.0 * i / t)
        true_labels, _ = ndi.label(true, structure=np.ones((3, 3)))
        tp += len(match_labels(result.labels, true_labels, min_iou=0.5))
        n_pred, n_true = n_pred + int(result.labels.max()), n_true + int(true_labels.max())
        true_d += _diameters(true_labels)
        pred_d += _diameters(result.labels)
        if out is not None:
            vis = particle_overlay(result.image, result.labels, [r["class"] for r in result.rows])
            edge = true ^ cv2.erode(true.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
            vis[edge] = (0, 255, 255)  # true Pt outline in yellow (BGR)
            cv2.imwrite(str(out / f"pt_{tag}_{pixel_size or 'native'}_{path.stem}.png"), vis)
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_true if n_true else 0.0
    res = {
        "variant": tag,
        "flips": flips,
        "pixel_size_nm": pixel_size,
        "images": len(images),
        "dice_pooled": round(2.0 * inter / total, 4) if total else None,
        "dice_mean": round(float(np.mean(per_image)), 4) if per_image else None,
        "true_particles": n_true,
        "predicted": n_pred,
        "matched": tp,
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
        "true_diameter_px_median": round(float(np.median(true_d)), 2) if true_d else None,
        "pred_diameter_px_median": round(float(np.median(pred_d)), 2) if pred_d else None,
    }
    if out is not None and pixel_size is None:
        _size_plot(true_d, pred_d, out / f"pt_sizes_{tag}.png", tag)
    return res


def _size_plot(true_d: list, pred_d: list, path: Path, tag: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bins = np.linspace(0, max([*true_d, *pred_d, 10.0]), 30)
    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.hist(true_d, bins=bins, alpha=0.6, label=f"masks ({len(true_d)})")
    ax.hist(pred_d, bins=bins, alpha=0.6, label=f"predicted ({len(pred_d)})")
    ax.set_xlabel("area-equivalent diameter (px)")
    ax.set_ylabel("particles")
    ax.set_title(f"Pt on alumina, 15 validation slices: {tag}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def au_classes(model, path: Path, out: Path | None) -> dict:
    frame = next(iter_frames(path))
    result = analyze_particles(model, frame.image, pixel_size=frame.pixel_size)
    if out is not None:
        vis = particle_overlay(result.image, result.labels, [r["class"] for r in result.rows])
        cv2.imwrite(str(out / "au_overlay.png"), vis)
    return {
        "pixel_size_nm": frame.pixel_size,
        "resample_factor": round(result.factor, 4),
        "particles": len(result.rows),
        "classes": dict(Counter(r["class"] for r in result.rows)),
        "rows": [
            {k: r[k] for k in ("id", "diameter_nm", "class", "probability", "touches_border")}
            for r in result.rows
        ],
    }


def adapted(
    model,
    train_folder: Path,
    epochs: int,
    out: Path,
    seed: int,
    reuse: bool,
    bf16: bool = False,
    network: dict | None = None,
    refit: bool = False,
) -> dict:
    """Fine-tuned and from-scratch models on the train slices; returns their folders.

    With ``refit`` the from-scratch model and a second fine-tuned one are
    trained again on all 45 train slices for the epochs chosen on the 9
    held-out ones (``finetune_particle_model(refit=True)``); the plain
    fine-tuned model stays beside them for comparison.
    """
    from temdefects.particles.config import particle_train_config
    from temdefects.particles.finetune import (
        finetune_particle_model,
        read_user_pairs,
        retune_model_folder,
    )
    from temdefects.particles.pairs import ArrayPairs

    user = read_user_pairs(train_folder / "train_images", train_folder / "train_masks", value=2)
    print(
        f"train slices: {len(user.pairs)} paired by {user.paired_by}; the own mask fits best "
        f"for {user.best_match:.2f} of them; Pt contrast {np.nanmin(user.contrast):.2f}-"
        f"{np.nanmax(user.contrast):.2f} std"
    )
    p = user.pairs
    train = ArrayPairs(p.images[:36], p.labels[:36])
    held = ArrayPairs(p.images[36:], p.labels[36:])
    config = particle_train_config(
        {
            "seed": seed,
            "data": {"crop": 256, "batch_size": 8},
            "optim": {"epochs": epochs, "lr": 5e-4, "cpu_bf16": bf16},
        }
    )
    folders = {}
    variants = [("finetuned", False, None, False)]
    if refit:
        variants.append(("finetuned-refit", False, None, True))
    variants.append(("scratch-refit" if refit else "scratch", True, None, refit))
    if network:  # a larger network from random weights, beside the two
        name = "scratch-" + "-".join(f"{v}" for v in network.values())
        variants.append((name, True, network, refit))
    for name, scratch, net, again in variants:
        folder = out / f"model-{name}"
        if reuse and (folder / "model.safetensors").is_file():
            if again:  # a refit model learnt the held-out slices: keep its earlier choice
                print(f"{name}: reused, with the instance settings chosen before its refit")
            else:
                choice = retune_model_folder(folder, held)["instances"]
                print(f"{name}: reused; instances chosen on the held-out train slices: {choice}")
            folders[name] = folder
            continue
        start = time.perf_counter()
        metrics = finetune_particle_model(
            model,
            train,
            held,
            config,
            folder,
            scratch=scratch,
            network=net,
            overwrite=True,
            refit=again,
            log=lambda s: None,
        )
        seg = metrics["segmentation"]
        note = f"; refit on {metrics['refit']['images']} slices" if "refit" in metrics else ""
        print(
            f"{name}: {time.perf_counter() - start:.0f} s, held-out train-slice Dice "
            f"{seg['test_dice']:.3f} at epoch {seg['epoch']}{note}; instances "
            f"{metrics['instances']}"
        )
        folders[name] = folder
    return folders


def _network(text: str) -> dict:
    """``--scratch-network``: a JSON object of model settings (argparse reports a bad one)."""
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict) or not value:
        raise argparse.ArgumentTypeError(f"expected a JSON object of model settings, got {text!r}")
    return value


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output", default=None, help="folder for overlays and results")
    ap.add_argument(
        "--model", default=None, help="particle model folder or built-in name (default: hrtem)"
    )
    ap.add_argument("--root", default=str(ROOT), help="realdata/nanoparticles folder")
    ap.add_argument("--pt-scales", type=float, nargs="*", default=[], help="assumed nm/px")
    ap.add_argument("--finetune-epochs", type=int, default=0, help="also adapt (0: no)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the adaptation runs")
    ap.add_argument(
        "--reuse", action="store_true", help="keep adapted models of OUT; only rechoose instances"
    )
    ap.add_argument(
        "--flips",
        action="store_true",
        help="also score every variant with flip test-time augmentation",
    )
    ap.add_argument(
        "--scratch-network",
        type=_network,
        metavar="JSON",
        help='also train this network from random weights, e.g. \'{"encoder": "resnet18", '
        '"decoder_base": 16}\'',
    )
    ap.add_argument(
        "--refit",
        action="store_true",
        help="also refit the adapted models on all train slices for their chosen epochs",
    )
    add_precision_argument(ap)
    args = ap.parse_args()
    root = Path(args.root)
    if not root.is_dir():
        print(f"skipped: {root} not found")
        return 0
    out = Path(args.output) if args.output else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    if args.finetune_epochs and out is None:
        print("error: --finetune-epochs needs -o OUT for the adapted models", file=sys.stderr)
        return 2
    model = load_particle_model(args.model)
    print(f"matching rule: {RULE}")
    results = {"model": str(model.path), "rule": RULE, "pt": [], "au": None}
    pt = root / "genc-pt-alumina" / "val"
    if pt.is_dir():
        variants = {"zero-shot": model}
        if args.finetune_epochs:
            folders = adapted(
                model,
                root / "genc-pt-alumina" / "train",
                args.finetune_epochs,
                out,
                args.seed,
                args.reuse,
                cpu_bf16(args.precision),
                args.scratch_network,
                args.refit,
            )
            variants.update({k: load_particle_model(v) for k, v in folders.items()})
        for tag, m in variants.items():
            for scale in [None, *args.pt_scales] if tag == "zero-shot" else [None]:
                for flips in (False, True) if args.flips else (False,):
                    res = pt_scores(m, pt, scale, out, tag + ("+flips" if flips else ""), flips)
                    results["pt"].append(res)
                    size = scale or "unknown"
                    print(f"Pt on alumina, {res['variant']}, pixel size {size}: {res}")
        print("\n| variant | Dice pooled | Dice mean | P | R | F1 (IoU 0.5) |")
        print("|---|---|---|---|---|---|")
        for r in results["pt"]:
            if r["pixel_size_nm"] is None:
                print(
                    f"| {r['variant']} | {r['dice_pooled']} | {r['dice_mean']} | "
                    f"{r['precision']} | {r['recall']} | {r['f1']} |"
                )
    au = sorted((root / "temul-au-haadf").glob("*.emd"))
    if au:
        results["au"] = au_classes(model, au[0], out)
        au_summary = {k: v for k, v in results["au"].items() if k != "rows"}
        print(f"Au HAADF: {au_summary}")
    if out is not None:
        (out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    from script_errors import run

    run(main)
