"""Soak test of ``temdefects analyze`` on a long frame sequence with corrupt frames inside.

A synthetic in-situ sequence of ``--frames`` (2000) frames (one rendered m2
scene, ``--size`` px, with fresh noise per frame and a small drift) is written
as an ordered folder of PNG frames; three frames are corrupt (a zero-byte
file, random bytes, text with a .png name). ``temdefects analyze`` runs on the
first 100 frames and on the whole folder, each in its own process, and the
peak resident memory (``VmHWM``) of each run is reported: memory must stay flat
(the ratio of the two peaks near 1). Checked: exit status 1, one error line
per corrupt frame, and one JSON result for every good frame.

Run: ``python benchmarks/soak_analyze.py [--frames 2000] [--size 128] [-o DIR]``
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from temdefects.synth.config import load_config
from temdefects.synth.dislocations.scene import generate

CORRUPT = {0.25: b"", 0.6: None, 0.85: b"hello, not a png\n"}


def write_sequence(folder: Path, frames: int, size: int, seed: int) -> list[str]:
    """The frames as PNG files; returns the names of the corrupt ones."""
    folder.mkdir(parents=True, exist_ok=True)
    config = load_config("m2", overrides={"size": [size + 16, size + 16]})
    base = generate(config, seed, 0).image.astype(np.float32)
    rng = np.random.default_rng(seed + 1)
    corrupt_at = {int(f * frames): payload for f, payload in CORRUPT.items()}
    bad = []
    for i in range(frames):
        path = folder / f"frame_{i:05d}.png"
        if i in corrupt_at:
            payload = corrupt_at[i]
            path.write_bytes(rng.bytes(600) if payload is None else payload)
            bad.append(path.name)
            continue
        dx, dy = (int(v) for v in rng.integers(0, 16, 2))
        crop = base[dy : dy + size, dx : dx + size] + rng.normal(0, 6, (size, size))
        cv2.imwrite(str(path), np.clip(crop, 0, 255).astype(np.uint8))
    return bad


def run_analyze(inputs: list[str], out: Path) -> tuple[int, str, float, float]:
    """rc, stderr, peak RSS (MiB, VmHWM polled until exit) and wall seconds of one run."""
    cmd = [sys.executable, "-m", "temdefects.cli.main", "analyze", *inputs, "-o", str(out), "-q"]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0.0
    status = Path(f"/proc/{proc.pid}/status")
    while proc.poll() is None:
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, float(line.split()[1]) / 1024.0)
        except OSError:
            pass
        time.sleep(0.2)
    _, err = proc.communicate()
    return proc.returncode, err, peak, time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=2000)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("-o", "--output", help="work folder (default: a temporary one)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.output or tmp)
        frames = work / "frames"
        bad = write_sequence(frames, args.frames, args.size, args.seed)
        names = sorted(p.name for p in frames.iterdir())
        first = [str(frames / n) for n in names[:100]]
        rc100, _, peak100, t100 = run_analyze(first, work / "out100")
        rc, err, peak, seconds = run_analyze([str(frames)], work / "out")
        errors = [line for line in err.splitlines() if line.strip()]
        results = len(list((work / "out" / "json").glob("*.json")))
        good = args.frames - len(bad)
        print(f"frames {args.frames} of {args.size} px, corrupt {bad}")
        print(f"first 100 frames: rc {rc100}, peak RSS {peak100:.0f} MiB, {t100:.0f} s")
        print(
            f"all {args.frames} frames: rc {rc}, peak RSS {peak:.0f} MiB, {seconds:.0f} s "
            f"({args.frames / seconds:.1f} frames/s)"
        )
        print(f"peak RSS ratio (all / first 100): {peak / peak100:.3f}")
        named = all(any(b in line for line in errors) for b in bad)
        print(
            f"error lines {len(errors)} (expected {len(bad)}, each naming its frame: {named}); "
            f"JSON results {results} of {good} good frames"
        )
        ok = rc == 1 and len(errors) == len(bad) and named and results == good
        print("PASS" if ok else "FAIL")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
