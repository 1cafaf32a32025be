"""Tracking on synthetic in-situ videos with true identities: MOTA, IDF1, ID switches, speed.

Per seed, a video is generated (``temdefects.synth.dislocations.sequence``: ``m2`` scene,
pile-ups gliding jerkily along their axes with pinning, the leading
dislocation escaping, a random-walk drift and fresh noise per frame), and
tracked two ways:

* **tracking alone**: the true centre lines (ids hidden) go to
  ``temdefects.dislocations.analysis.tracking.track``;
* **whole pipeline**: every frame through the shipped model (``analyze_image``
  with the defaults), drift measured by phase correlation
  (``temdefects.dislocations.analysis.drift``), curves stabilised, tracked, and moved back
  into each frame's coordinates.

Scores by ``motmetrics`` (``temdefects.metrics.tracking``), a curve matching
when the symmetric mean nearest-point distance is at most ``--match`` px. Also
prints the drift error and the pipeline's seconds per frame (analysis + drift
+ tracking) on this machine.

Run: ``python benchmarks/bench_tracking.py [--seeds 0 2 3] [--frames 16] [--size 256]``
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import torch

from temdefects.dislocations.analysis.drift import estimate_drift
from temdefects.dislocations.analysis.pipeline import analyze_image
from temdefects.dislocations.analysis.tracking import track
from temdefects.metrics.tracking import frames_of_tracks, tracking_scores
from temdefects.models import load
from temdefects.synth.config import load_config
from temdefects.synth.dislocations.sequence import MotionConfig, generate_sequence


def _fmt(s: dict) -> str:
    return (
        f"IDF1 {s['idf1']:.3f}  MOTA {s['mota']:.3f}  ID switches {s['id_switches']}  "
        f"recall {s['recall']:.3f}  precision {s['precision']:.3f}"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 2, 3])
    ap.add_argument("--frames", type=int, default=16)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--match", type=float, default=5.0, help="px")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model = load()
    config = load_config("m2", overrides={"size": [args.size, args.size], "artifacts": {"dirt": 0}})
    motion = MotionConfig(frames=args.frames, escape_frame=args.frames // 2)
    print(f"motion: {motion}; match <= {args.match} px")
    for seed in args.seeds:
        seq = generate_sequence(config, motion, seed)
        truth = [
            [(int(i), c) for i, c in zip(seq.ids, f, strict=True) if c is not None]
            for f in seq.lines
        ]
        alone = tracking_scores(
            truth,
            frames_of_tracks(track([[c for _, c in f] for f in truth])),
            max_distance=args.match,
        )
        t0 = time.perf_counter()
        curves = [[d.points for d in analyze_image(model, im).dislocations] for im in seq.images]
        drift = estimate_drift(seq.images)
        result = track([[c - drift[k] for c in f] for k, f in enumerate(curves)])
        seconds = (time.perf_counter() - t0) / len(seq.images)
        tracked = [
            [(i, c + drift[k]) for i, c in f] for k, f in enumerate(frames_of_tracks(result))
        ]
        whole = tracking_scores(truth, tracked, max_distance=args.match)
        err = np.abs(drift - seq.drift).max()
        print(f"seed {seed}: {len(seq.ids)} dislocations, {args.frames} frames")
        print(f"  tracking alone (true curves): {_fmt(alone)}")
        print(f"  whole pipeline (shipped model): {_fmt(whole)}")
        print(
            f"  drift error max {err:.2f} px; {seconds:.3f} s/frame (analysis + drift + tracking)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
