"""Helpers that several command bodies share (cli/common.py)."""

from __future__ import annotations

import argparse
import json
import time

import cv2
import numpy as np
import pytest

from temdefects.cli.common import add_size_argument, start_batch, unique_name, write_run_summary
from temdefects.errors import TemdefectsError


def test_unique_name_numbers_repeats_from_two():
    taken: set = set()
    names = [unique_name(n, taken) for n in ("a", "a", "b", "a", "a_2")]
    assert names == ["a", "a_2", "b", "a_3", "a_2_2"]
    assert taken == set(names)


def test_start_batch_checks_the_folder_and_reports_bad_inputs(tmp_path, capsys):
    cv2.imwrite(str(tmp_path / "in.png"), np.zeros((8, 8), np.uint8))
    args = argparse.Namespace(
        output=str(tmp_path / "out"), overwrite=False, inputs=[str(tmp_path / "in.png"), "nope/*"]
    )
    out, files, report = start_batch(args, "temdefects x")
    assert out == tmp_path / "out" and not out.exists()
    assert files == [tmp_path / "in.png"]
    assert [r["input"] for r in report] == ["nope/*"]
    assert capsys.readouterr().err.startswith("temdefects x: error: ")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "f").write_text("")
    args.output = str(tmp_path / "full")
    with pytest.raises(TemdefectsError, match="not empty"):
        start_batch(args, "temdefects x")


def test_write_run_summary_puts_seconds_last(tmp_path):
    write_run_summary(tmp_path, {"format": "f/1", "failed": 0}, time.perf_counter())
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert list(summary) == ["format", "failed", "seconds"]
    assert 0 <= summary["seconds"] < 60


def test_size_argument_takes_two_positive_integers():
    p = argparse.ArgumentParser()
    add_size_argument(p)
    add_size_argument(p, "--image-size", help="size")
    assert p.parse_args(["--size", "3", "4"]).size == [3, 4]
    assert p.parse_args([]).image_size is None
    assert "--image-size HEIGHT WIDTH" in p.format_help()
    with pytest.raises(SystemExit):
        p.parse_args(["--size", "0", "4"])
