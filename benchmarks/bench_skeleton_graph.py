"""Skeleton graph and longest path: the hand-written graph against skan's.

Issue 18 asks to use ``skan`` for skeleton graphs if it measures at least as
fast. Both sides here build the pixel graph of each skeleton and take its
longest path with the same two Dijkstra sweeps
(:func:`temdefects.geometry.path.path_indices`); only the graph differs:

* **temdefects** (:func:`temdefects.geometry.path.graph_from_crop`): numpy
  look-ups of the 8-neighbourhood; a diagonal edge is left out where the
  2 x 2 block already joins the two pixels through a corner (no triangles, so
  the path visits every pixel of a one-pixel-wide curve);
* **skan** (``skan.csr.skeleton_to_csgraph``, numba): every 8-neighbour edge.

Skeletons come from the masks of generated dislocation images (``synth``
preset ``m2``), thinned as ``analyze`` thins them. Prints per-skeleton
seconds of both (after skan's one-off import and JIT compilation, also
printed), their ratio, and how often the two paths differ in length by more
than 1 px (the result must be the same for the swap to be a refactoring).

Run: ``python benchmarks/bench_skeleton_graph.py [--images 20] [--repeats 3]``
(needs ``pip install skan``).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from temdefects.geometry.path import graph_from_crop, path_indices
from temdefects.geometry.skeleton import padded_crop, skeletonize_mask
from temdefects.synth.config import load_config
from temdefects.synth.dislocations.scene import generate


def skeletons(images: int, seed: int) -> list[np.ndarray]:
    """Padded crops of the thinned true masks of ``images`` generated images."""
    config = load_config("m2", overrides={"size": [512, 512]})
    out = []
    for index in range(images):
        sample = generate(config, seed, index)
        for mask in sample.masks:
            found = padded_crop(skeletonize_mask(mask))
            if found is not None and found[0].sum() >= 5:
                out.append(found[0])
    return out


def path_length(rows, cols, idx) -> float:
    steps = np.hypot(np.diff(cols[idx]), np.diff(rows[idx]))
    return float(steps.sum())


def ours(crop: np.ndarray) -> float:
    rows, cols, adj = graph_from_crop(crop)
    idx, _ = path_indices(adj, rows, cols)
    return path_length(rows, cols, idx)


def with_skan(crop: np.ndarray) -> float:
    from skan.csr import skeleton_to_csgraph

    adj, coords = skeleton_to_csgraph(crop)
    coords = np.asarray(coords)
    if coords.shape[0] == 2 and coords.shape[1] != 2:  # skan >= 0.12: a tuple of (rows, cols)
        coords = coords.T
    rows, cols = coords[:, 0], coords[:, 1]
    if adj.shape[0] == rows.size + 1:  # older skan: node 0 is a dummy
        adj = adj[1:, 1:]
    idx, _ = path_indices(adj.tocsr(), rows, cols)
    return path_length(rows, cols, idx)


def timed(fn, items, repeats: int) -> tuple[float, list[float]]:
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        results = [fn(c) for c in items]
        best = min(best, time.perf_counter() - start)
    return best / len(items), results


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=20)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    try:
        start = time.perf_counter()
        from skan.csr import skeleton_to_csgraph

        skeleton_to_csgraph(np.pad(np.ones((1, 3), bool), 1))  # JIT compilation
        first = time.perf_counter() - start
    except ImportError:
        print("skipped: skan is not installed (pip install skan)")
        return 0
    items = skeletons(args.images, args.seed)
    sizes = [int(c.sum()) for c in items]
    print(
        f"{len(items)} skeletons from {args.images} images, {np.median(sizes):.0f} px median "
        f"({min(sizes)}-{max(sizes)})"
    )
    t_ours, l_ours = timed(ours, items, args.repeats)
    t_skan, l_skan = timed(with_skan, items, args.repeats)
    differ = sum(abs(a - b) > 1.0 for a, b in zip(l_ours, l_skan, strict=True))
    print(f"skan import + JIT compilation (once per process): {first:.2f} s")
    print(f"temdefects graph + longest path: {1e3 * t_ours:.3f} ms per skeleton")
    print(f"skan graph + the same longest path: {1e3 * t_skan:.3f} ms per skeleton")
    print(f"ratio skan / temdefects: {t_skan / t_ours:.2f}x (above 1: skan is slower)")
    print(
        f"path length differs by > 1 px: {differ} of {len(items)} "
        f"(mean {np.mean(l_ours):.1f} px temdefects, {np.mean(l_skan):.1f} px skan)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
