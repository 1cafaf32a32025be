"""Speed of the synthetic generator against the paper's own tool chain.

Both sides are timed on the same ``--images`` scenes (preset m2, 512x512,
Perlin backgrounds) in one process, with one thread each, and write image,
masks and JSON as new files into empty folders. temdefects is timed for
sampling the scene too, the reference only for rendering and writing.
temdefects writes PNG + one .npz with all masks + CSV centre lines + JSON
record; the reference (see ``paper_toolchain.py``) evaluates Perlin noise pixel
by pixel with the ``noise`` package and draws image and every mask with
Matplotlib. The reference renders each scene once; temdefects, many times
faster, makes a whole pass over all the scenes before each of them, so both
sides see the same load of a shared machine, and its median pass is compared
(the fastest pass is printed too). The speed-up is the ratio of the total
times over the same scenes. Then images/second of ``generate_dataset`` with 1
and 2 worker processes.

Run: ``python benchmarks/bench_synth.py [--images 10] [--worker-images 300]``
(needs ``pip install -e .[bench]`` for the ``noise`` package).
Target (issue 2): at least 25 times faster per process.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import paper_toolchain  # noqa: E402
from temdefects.synth.config import load_config  # noqa: E402
from temdefects.synth.dislocations.dataset import generate_dataset, single_threaded  # noqa: E402
from temdefects.synth.dislocations.files import make_record, write_sample  # noqa: E402
from temdefects.synth.dislocations.scene import render_scene, sample_scene  # noqa: E402
from temdefects.synth.scene import image_rng  # noqa: E402


def temdefects_pass(config, seed: int, count: int, folder: Path) -> float:
    """Seconds to sample, render and write images ``0 .. count - 1`` of ``seed``.

    ``folder`` is created empty: like ``generate_dataset`` and the reference,
    every pass writes new files (replacing existing ones by rename costs ext4
    about 1 ms per image more, which a generation run never pays).
    """
    folder.mkdir()
    t0 = time.perf_counter()
    config_dict = config.to_dict()  # once per run, as in generate_dataset
    for i in range(count):
        # The whole generator: sampling too (the reference gets its scenes for free).
        curves: list = []
        scene = sample_scene(config, image_rng(seed, i), curves=curves)
        sample = render_scene(scene, curves=curves)
        record = make_record(sample, index=i, seed=seed, config=config_dict, backgrounds=None)
        write_sample(folder, sample, record)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=10, help="scenes timed on both sides")
    ap.add_argument(
        "--worker-images",
        type=int,
        default=300,
        help="images per generate_dataset run (1 and 2 workers)",
    )
    ap.add_argument("--preset", default="m2")
    ap.add_argument("--seed", type=int, default=123)
    args = ap.parse_args()
    if args.images < 1:
        ap.error("--images must be >= 1")

    config = load_config(args.preset)
    scenes = [sample_scene(config, image_rng(args.seed, i)) for i in range(args.images)]
    n_disl = sum(len(s["dislocations"]) for s in scenes) / len(scenes)
    print(
        f"machine: {platform.processor() or platform.machine()}, python "
        f"{platform.python_version()}; preset {args.preset}, {config.size[0]}x{config.size[1]},"
        f" {args.images} scenes, {n_disl:.2f} dislocations per image on average"
    )

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "ref").mkdir()
        # One thread on both sides: the comparison is per process.
        with single_threaded():
            temdefects_pass(config, args.seed, 1, tmp / "warmup")  # warm caches and imports
            paper_toolchain.render_and_write(scenes[0], tmp / "ref", "warmup")
            passes, ref = [], 0.0
            for i, scene in enumerate(scenes):
                passes.append(temdefects_pass(config, args.seed, len(scenes), tmp / f"ours{i}"))
                t0 = time.perf_counter()
                paper_toolchain.render_and_write(scene, tmp / "ref", f"{i:06d}")
                ref += time.perf_counter() - t0
            ours = statistics.median(passes)

        n = args.images
        ref_label = "reference (noise.pnoise2 per pixel + Matplotlib), one pass:"
        ours_label = f"temdefects, median of {len(passes)} passes:"
        print(f"{ref_label:60s}{ref / n * 1e3:8.1f} ms/image ({n / ref:6.2f} images/s)")
        print(
            f"{ours_label:60s}{ours / n * 1e3:8.1f} ms/image ({n / ours:6.2f} images/s; "
            f"fastest pass {min(passes) / n * 1e3:.1f} ms/image)"
        )
        print(
            f"speed-up per process on the same {n} scenes: {ref / ours:.1f}x "
            f"(fastest pass {ref / min(passes):.1f}x; target >= 25x)"
        )

        for workers in (1, 2):
            out = tmp / f"w{workers}"
            t0 = time.perf_counter()
            generate_dataset(
                out,
                config,
                count=args.worker_images,
                seed=args.seed,
                workers=workers,
                progress=False,
            )
            dt = time.perf_counter() - t0
            print(
                f"generate_dataset, {workers} worker(s): {args.worker_images / dt:6.2f} "
                f"images/s ({args.worker_images} images, files written, start-up included)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
