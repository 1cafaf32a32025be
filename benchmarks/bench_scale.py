"""Scale-out: one batch on 1 process, 2 local processes and a 2-worker Dask cluster.

The batch is ``--frames`` synthetic frames (``m2`` preset, ``--size`` px), analysed
with the shipped model by ``temdefects analyze`` three ways, each timed as a whole
command (start-up and model loading included) in the same run:

* baseline: one process (``--workers 1``, the default);
* ``--workers 2``: two local processes;
* ``--scheduler local:2``: a Dask ``LocalCluster`` of two single-threaded workers
  (started by the command; a cluster started by hand skips that cost).

Prints seconds per frame and the ratio baseline / each (above 1: faster), and
checks that all three wrote the same files. Also times ``synth`` the same way.

Run: ``python benchmarks/bench_scale.py [--frames 40] [--size 256]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from temdefects.cli.main import main as cli


def _timed(argv: list[str]) -> float:
    t0 = time.perf_counter()
    code = cli(argv)
    if code != 0:
        raise SystemExit(f"failed: {' '.join(argv)}")
    return time.perf_counter() - t0


def _same(a: Path, b: Path) -> bool:
    def files(root):
        return {
            str(p.relative_to(root)): p.read_bytes()
            for p in root.rglob("*")
            if p.is_file() and p.name not in ("summary.json", "dataset.json")
        }

    return files(a) == files(b)


def _row(name: str, t: float, base: float, n: int, unit: str) -> None:
    print(f"  {name:<14} {t:7.2f} s  {t / n:.3f} s/{unit}  ratio {base / t:.2f}x")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--size", type=int, default=256)
    args = ap.parse_args()
    modes = {
        "1 process": [],
        "2 processes": ["--workers", "2"],
        "Dask local:2": ["--scheduler", "local:2"],
    }
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        synth = [
            "synth",
            "-n",
            str(args.frames),
            "--size",
            str(args.size),
            str(args.size),
            "--preset",
            "m2",
            "-q",
        ]
        times = {
            k: _timed([*synth, "-o", str(tmp / f"s{i}"), *v])
            for i, (k, v) in enumerate(modes.items())
        }
        same = all(_same(tmp / "s0", tmp / f"s{i}") for i in (1, 2))
        print(f"synth {args.frames} images of {args.size} px (files identical: {same})")
        for k, t in times.items():
            _row(k, t, times["1 process"], args.frames, "image")
        frames = sorted(str(p) for p in (tmp / "s0").glob("*.png"))
        an = ["analyze", *frames, "-q"]
        times = {
            k: _timed([*an, "-o", str(tmp / f"a{i}"), *v]) for i, (k, v) in enumerate(modes.items())
        }
        same = all(_same(tmp / "a0", tmp / f"a{i}") for i in (1, 2))
        print(f"analyze {args.frames} frames of {args.size} px (files identical: {same})")
        for k, t in times.items():
            _row(k, t, times["1 process"], args.frames, "frame")
    return 0


if __name__ == "__main__":
    sys.exit(main())
