"""Speed of loop detection plus geometry (Modules A and B) on this CPU, 1024 or 2048 px.

Images are drawn by the loop generator (``default`` preset at ``--size``,
1024 by default, so all three classes and line dislocations are present). Per image the timed
work is what ``temdefects loops detect`` does per image: read the PNG,
detect (the shipped Faster R-CNN at its 512 px working size), fit an ellipse
per box (watershed), write the table and the overlay.

Baseline, measured in the same run: the paper's detector, torchvision Faster
R-CNN with a VGG-16 trunk (conv5_3, stride 16, 9 anchors of 128-512 px,
RoI pooling, two 4096-wide layers; Shen et al. via ChainerCV's
``FasterRCNNVGG16``, which resizes the shorter side to 600 px), random weights,
on the same images, plus the same geometry and writing. The paper reports
about 0.1 s per image on a GTX 1080 GPU; no GPU here. Also printed: ours at
native resolution (``--resize 0``: tiles of the model's 512 px with a quarter
overlap, 25 tiles for 2048 px) and with the working scale chosen per image
(``--resize auto``: a coarse pass, then native tiles when the defects are small).

Run: ``python benchmarks/bench_loops.py [--model DIR] [--images 6] [--size 2048] [--threads 2]``
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import torch

from temdefects.io import read_grey
from temdefects.loops.defects import Defects
from temdefects.loops.detect import detect_defects
from temdefects.loops.detector import detector_input
from temdefects.loops.geometry import fit_defects
from temdefects.loops.model import load_loop_model
from temdefects.loops.outputs import loop_overlay
from temdefects.loops.table import write_detections
from temdefects.synth.loops import generate_loop, load_loop_config


def paper_detector(classes: int = 3) -> torch.nn.Module:
    """Faster R-CNN with a VGG-16 trunk as in Shen et al. (random weights)."""
    import torchvision
    from torchvision.models.detection import FasterRCNN
    from torchvision.models.detection.anchor_utils import AnchorGenerator
    from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
    from torchvision.ops import MultiScaleRoIAlign

    trunk = torchvision.models.vgg16(weights=None).features[:-1]  # conv5_3, stride 16
    trunk.out_channels = 512
    anchors = AnchorGenerator(sizes=((128, 256, 512),), aspect_ratios=((0.5, 1.0, 2.0),))
    pool = MultiScaleRoIAlign(featmap_names=["0"], output_size=7, sampling_ratio=0)
    return FasterRCNN(
        trunk,
        min_size=600,
        max_size=1000,
        rpn_anchor_generator=anchors,
        box_roi_pool=pool,
        box_head=TwoMLPHead(512 * 7 * 7, 4096),
        box_predictor=FastRCNNPredictor(4096, classes + 1),
        rpn_pre_nms_top_n_test=6000,
        rpn_post_nms_top_n_test=300,
    ).eval()


@torch.no_grad()
def paper_pipeline(net, image: np.ndarray, out: Path, name: str) -> int:
    x = torch.from_numpy(detector_input(image))
    det = net([x])[0]
    keep = det["scores"] >= 0.25
    b = det["boxes"][keep].numpy().astype(float)
    boxes = np.stack([b[:, 0], b[:, 1], b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]], 1).reshape(-1, 4)
    boxes = boxes[(boxes[:, 2] > 0.5) & (boxes[:, 3] > 0.5)]
    classes = ["loop111"] * len(boxes)
    ellipses = fit_defects(image, boxes, classes).ellipses if len(boxes) else None
    defects = Defects.from_lists(boxes, classes, ellipses=ellipses)
    write_detections(out / f"{name}_paper.csv", defects)
    cv2.imwrite(str(out / f"{name}_paper.png"), loop_overlay(image, defects))
    return len(boxes)


def ours(model, path: Path, out: Path, resize: float | None) -> int:
    image = read_grey(path)
    defects, _ = detect_defects(model, image, factor=resize)
    write_detections(out / f"{path.stem}.csv", defects)
    cv2.imwrite(str(out / f"{path.stem}_overlay.png"), loop_overlay(image, defects))
    return len(defects)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="loop model folder (default: shipped)")
    ap.add_argument("--images", type=int, default=6, help="1024x1024 images to time")
    ap.add_argument("--threads", type=int, default=2, help="torch threads")
    ap.add_argument("--repeats", type=int, default=2, help="interleaved repeats, best kept")
    ap.add_argument("--seed", type=int, default=515151)
    ap.add_argument("--size", type=int, default=1024, help="image side, px")
    args = ap.parse_args()
    if args.images < 1 or args.threads < 1 or args.repeats < 1 or args.size < 64:
        ap.error("--images, --threads and --repeats must be >= 1, --size >= 64")
    torch.set_num_threads(args.threads)
    model = load_loop_model(args.model)
    base = paper_detector()
    side = args.size
    config = load_loop_config("default", overrides={"size": [side, side]})
    print(
        f"machine: {platform.processor() or platform.machine()}, python "
        f"{platform.python_version()}, torch {torch.__version__}, {args.threads} threads; "
        f"{args.images} images {side}x{side}; model {model.path}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        paths = []
        for i in range(args.images):
            path = tmp / f"{i:03d}.png"
            cv2.imwrite(str(path), generate_loop(config, args.seed, i).image)
            paths.append(path)
        ours(model, paths[0], tmp, None)  # warm-up
        paper_pipeline(base, read_grey(paths[0]), tmp, "w")
        best = {"ours": np.inf, "native": np.inf, "auto": np.inf, "paper": np.inf}
        factors = {"ours": None, "native": 1.0, "auto": "auto"}
        counts = {}
        for _ in range(args.repeats):
            for key in best:
                t0 = time.perf_counter()
                n = 0
                for path in paths:
                    if key == "paper":
                        n += paper_pipeline(base, read_grey(path), tmp, path.stem)
                    else:
                        n += ours(model, path, tmp, factors[key])
                best[key] = min(best[key], (time.perf_counter() - t0) / len(paths))
                counts[key] = n / len(paths)
    for key, label in (
        ("ours", f"temdefects (model's rule: {model.config.scale})"),
        ("native", f"temdefects at native {side} px, tiled (--resize 0)"),
        ("auto", "temdefects, scale chosen per image (--resize auto)"),
        ("paper", "baseline Faster R-CNN VGG-16 (600 px), same geometry"),
    ):
        s = best[key]
        print(f"{label}: {s:.3f} s/image = {1 / s:.2f} images/s ({counts[key]:.1f} defects/image)")
    print(f"ratio (baseline time / temdefects time): {best['paper'] / best['ours']:.2f}x")
    print(f"ratio at native size: {best['paper'] / best['native']:.2f}x")
    print(f"ratio with the scale chosen per image: {best['paper'] / best['auto']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
