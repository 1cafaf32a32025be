"""The configuration idiom: this project's ``schema.py`` against pydantic v2 (issue 18).

Issue 18 asks for pydantic v2 models (``extra="forbid"``, errors that name the
field) unless a measurement shows that ``temdefects.schema`` serves better.
This script measures, in one run, on the loop trainer's optimiser section
(``LoopOptimConfig``: six bounded numbers) declared both ways:

* import cost in a fresh interpreter (median of ``--repeats``): what every
  ``temdefects`` command would pay to load the idiom;
* parse time of a valid mapping (median per parse);
* the error line for an out-of-range value and for an unknown key.

Baseline: ``temdefects.schema`` (ratio = pydantic / schema). Run:
``python benchmarks/bench_config_idiom.py [--repeats 7] [--parses 20000]``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

GOOD = {"epochs": 3, "steps_per_epoch": 200, "lr": 1.5e-4, "warmup": 0.05}
BAD_VALUE = {"epochs": -1}
BAD_KEY = {"epoch": 3}


def import_seconds(module: str, repeats: int) -> float:
    """Median wall time of ``import module`` in a fresh interpreter, less a bare start."""

    def run(code: str) -> float:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        return time.perf_counter() - t0

    bare = statistics.median(run("pass") for _ in range(repeats))
    return statistics.median(run(f"import {module}") for _ in range(repeats)) - bare


def pydantic_model():
    from pydantic import BaseModel, ConfigDict, Field

    class Optim(BaseModel):
        model_config = ConfigDict(extra="forbid", frozen=True)
        epochs: int = Field(10, ge=0, le=100000)
        steps_per_epoch: int = Field(200, ge=1, le=10**7)
        lr: float = Field(3e-4, ge=1e-8, le=10.0)
        weight_decay: float = Field(1e-4, ge=0.0, le=1.0)
        warmup: float = Field(0.05, ge=0.0, le=1.0)
        grad_clip: float = Field(5.0, ge=0.0, le=1e6)

    return Optim


def per_parse(fn, n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        fn(GOOD)
    return (time.perf_counter() - t0) / n


def first_error(fn, data: dict) -> str:
    try:
        fn(data)
    except Exception as exc:  # noqa: BLE001 - both idioms' errors are printed
        return " ".join(str(exc).split())[:150]
    return "(accepted)"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--parses", type=int, default=20000)
    args = ap.parse_args()
    try:
        import pydantic
    except ImportError:
        print("skipped: pydantic is not installed")
        return 0
    from temdefects.loops.train_config import LoopOptimConfig
    from temdefects.schema import parse_section

    optim = pydantic_model()

    def ours(d):
        return parse_section(LoopOptimConfig, d, "optim")

    theirs = optim.model_validate
    imp_ours = import_seconds("temdefects.schema", args.repeats)
    imp_theirs = import_seconds("pydantic", args.repeats)
    p_ours, p_theirs = per_parse(ours, args.parses), per_parse(theirs, args.parses)
    print(f"pydantic {pydantic.VERSION}; baseline temdefects.schema, same run")
    print(
        f"import in a fresh interpreter: schema {imp_ours * 1e3:.0f} ms (with NumPy), "
        f"pydantic {imp_theirs * 1e3:.0f} ms: ratio {imp_theirs / imp_ours:.2f}"
    )
    print(
        f"parse of a valid section: schema {p_ours * 1e6:.1f} us, pydantic "
        f"{p_theirs * 1e6:.1f} us: ratio {p_theirs / p_ours:.2f}"
    )
    for what, data in (("out of range", BAD_VALUE), ("unknown key", BAD_KEY)):
        print(f"{what}: schema   -> {first_error(ours, data)}")
        print(f"{what}: pydantic -> {first_error(theirs, data)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
