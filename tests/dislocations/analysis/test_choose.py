"""Post-processing chosen on labelled frames and stored with a model."""

import numpy as np
import pytest

from temdefects.dislocations.analysis.choose import (
    CORNER_ANGLES,
    GRID,
    choose_postprocess,
    model_postprocess,
    record_entry,
    strict_scores,
)
from temdefects.dislocations.analysis.postprocess import PostprocessOptions


def _frame():
    """Two straight lines as perfect (2, H, W) probabilities, and their centre lines."""
    probs = np.zeros((2, 64, 96), np.float32)
    probs[0, 19:22, 10:80] = 0.4  # faint: only a threshold of 0.3 finds it
    probs[1, 39:42, 10:80] = 0.9
    lines = [
        np.stack([np.arange(10, 80), np.full(70, 20)], 1).astype(float),
        np.stack([np.arange(10, 80), np.full(70, 40)], 1).astype(float),
    ]
    return probs, None, lines


def test_strict_scores_and_the_choice():
    cached = [_frame(), _frame()]
    high = strict_scores(cached, PostprocessOptions(threshold=0.5))
    low = strict_scores(cached, PostprocessOptions(threshold=0.3))
    assert (high["labels"], high["matched"]) == (4, 2) and high["recall"] == 0.5
    assert low["matched"] == 4 and low["f1"] == 1.0
    best, rows = choose_postprocess(cached)
    assert best.threshold == 0.3 and len(rows) == len(GRID) + len(CORNER_ANGLES)
    assert best.corner_angle == 180.0  # straight lines: cutting at corners gains nothing
    entry = record_entry(best, rows, "frames/")
    assert entry["threshold"] == 0.3 and entry["method"] == "trace" and "3 px" in entry["rule"]
    with pytest.raises(ValueError, match="no labelled line"):
        choose_postprocess([(cached[0][0], None, [])])


def test_short_pieces_on_texture_choose_the_longer_minimum():
    """Short unlabelled pieces (texture, dirt) cost precision; the grid's 60 px
    minimum drops them and keeps the labelled lines."""
    probs, _, lines = _frame()
    probs[0, 19:22, 10:80] = 0.9
    for y in (5, 30, 52):
        probs[1, y : y + 3, 20:55] = 0.9  # 35 px pieces, no label
    best, rows = choose_postprocess([(probs, None, lines)])
    assert best.min_length == 60.0
    assert max(r["f1"] for r in rows if r["min_length"] == 25.0) < 1.0
    assert max(r["f1"] for r in rows if r["min_length"] == 60.0) == 1.0


def test_model_values_fill_only_what_the_user_left_out():
    record = {"postprocess": {"threshold": 0.3, "join_gap": 20.0, "min_size": 999}}
    given = {"threshold": None, "join_gap": 5.0, "min_size": 30, "min_length": None}
    # join_gap given wins; min_size is not a chosen key; min_length stays unset
    assert model_postprocess(record, given) == {"threshold": 0.3, "join_gap": 5.0, "min_size": 30}


def test_a_line_that_turns_onto_another_chooses_the_corner_cut():
    """An arc's skeleton that runs on along a trace (one L-shaped path, no
    junction) matches its label only when cut at the corner."""
    probs = np.zeros((1, 96, 96), np.float32)
    probs[0, 19:22, 10:80] = 0.9  # the labelled line ...
    probs[0, 19:90, 77:80] = 0.9  # ... turning at a right angle onto an unlabelled one
    lines = [np.stack([np.arange(10, 78), np.full(68, 20)], 1).astype(float)]
    traced = tuple(o for o in GRID if o.method == "trace")
    best, rows = choose_postprocess([(probs, None, lines)], traced)
    assert best.corner_angle == CORNER_ANGLES[0]
    assert max(r["f1"] for r in rows if r["corner_angle"] == 180.0) < rows[-1]["f1"] == 2 / 3
    # on the whole grid the ridge tracker, which stops at the turn by itself, wins first
    best, rows = choose_postprocess([(probs, None, lines)])
    assert best.method == "ridge" and best.corner_angle == 180.0
    assert max(r["f1"] for r in rows if r["method"] == "trace") == 0.0
