"""Start-up cost of a typo: how long a command takes to refuse a missing input (issue 20).

Baseline: ``temdefects --version`` (the parser alone), timed in the same run.
Each command is run ``--repeats`` times on a path that does not exist; the
median wall time and its ratio to the baseline are printed. Before the inputs
were checked ahead of the model imports, ``analyze`` took 2.3 s here, ``loops
detect`` 2.2 s and ``particles analyze`` 3.1 s.

Run: ``python benchmarks/bench_startup.py [--repeats 5]``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "baseline --version": ["--version"],
    "analyze": ["analyze", "nope.png", "-o", "unused-out"],
    "loops detect": ["loops", "detect", "nope.png", "-o", "unused-out"],
    "particles analyze": ["particles", "analyze", "nope.png", "-o", "unused-out"],
}


def seconds(argv: list[str], repeats: int) -> float:
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "temdefects.cli.main", *argv],
            capture_output=True,
            check=False,
        )
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    base = seconds(COMMANDS["baseline --version"], args.repeats)
    print(f"{'command':20s} seconds  ratio to --version")
    for name, argv in COMMANDS.items():
        t = base if name.startswith("baseline") else seconds(argv, args.repeats)
        print(f"{name:20s} {t:7.2f}  {t / base:5.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
