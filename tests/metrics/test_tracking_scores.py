"""Tracking scored against a synthetic video with true identities (issue 21)."""

import numpy as np
import pytest

from temdefects.dislocations.analysis.tracking import track
from temdefects.synth.config import load_config
from temdefects.synth.dislocations.sequence import MotionConfig, generate_sequence

mm = pytest.importorskip("motmetrics")

from temdefects.metrics.tracking import frames_of_tracks, tracking_scores  # noqa: E402


@pytest.fixture(scope="module")
def sequence():
    cfg = load_config("m2", overrides={"size": [192, 192], "artifacts": {"dirt": 0}})
    return generate_sequence(cfg, MotionConfig(frames=10, step=2.0, escape_frame=4), seed=3)


def _truth(seq):
    return [
        [(int(i), c) for i, c in zip(seq.ids, f, strict=True) if c is not None] for f in seq.lines
    ]


def test_sequence_keeps_identities_and_replays(sequence):
    seq = sequence
    assert seq.images.shape[0] == 10 and len(seq.masks) == 10
    assert all(m.shape[0] == len(seq.ids) for m in seq.masks)
    again = generate_sequence(
        load_config("m2", overrides={"size": [192, 192], "artifacts": {"dirt": 0}}),
        MotionConfig(frames=10, step=2.0, escape_frame=4),
        seed=3,
    )
    np.testing.assert_array_equal(seq.images, again.images)
    # every dislocation moves along its pile-up: the centre lines of frame 9 differ from frame 0
    moved = [
        np.linalg.norm(a.mean(0) - b.mean(0))
        for a, b in zip(seq.lines[0], seq.lines[-1], strict=True)
        if a is not None and b is not None
    ]
    assert moved and np.median(moved) > 3.0


def test_tracking_the_true_curves_keeps_their_identities(sequence):
    truth = _truth(sequence)
    result = track([[c for _, c in f] for f in truth])
    scores = tracking_scores(truth, frames_of_tracks(result))
    assert scores["idf1"] >= 0.9 and scores["mota"] >= 0.9
    assert scores["num_frames"] == 10


def test_swapped_identities_are_caught(sequence):
    truth = _truth(sequence)
    swapped = []
    for k, f in enumerate(truth):
        ids = [i for i, _ in f]
        if k >= 5 and len(ids) > 1:  # two tracks exchange ids halfway
            ids[0], ids[1] = ids[1], ids[0]
        swapped.append([(i, c) for i, (_, c) in zip(ids, f, strict=True)])
    scores = tracking_scores(truth, swapped)
    assert scores["id_switches"] >= 2 and scores["idf1"] < 1.0
    with pytest.raises(ValueError, match="frames"):
        tracking_scores(truth, swapped[:-1])
