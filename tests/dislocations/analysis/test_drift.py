"""Drift of a moving sequence by frame-to-frame phase correlation."""

import numpy as np
import pytest
from scipy import ndimage

from temdefects.dislocations.analysis.drift import DriftTracker, estimate_drift


def _sequence(drift, shape=(200, 260), seed=0):
    rng = np.random.default_rng(seed)
    base = ndimage.gaussian_filter(rng.normal(size=shape), 2) * 40 + 120
    base += np.linspace(0, 60, shape[1])[None, :]  # uneven illumination must not register
    return [
        ndimage.shift(base, (dy, dx), mode="reflect") + rng.normal(0, 3, shape) for dx, dy in drift
    ]


def test_known_sub_pixel_drift_is_recovered():
    rng = np.random.default_rng(1)
    truth = np.cumsum(rng.normal(0, 2.0, (15, 2)), 0)
    truth[0] = 0
    truth[7] += (9.0, -6.0)  # a jump
    truth[8:] += (9.0, -6.0)
    est = estimate_drift(_sequence(truth))
    assert est.shape == (15, 2)
    assert np.abs(est - truth).max() < 0.5


def test_large_frames_are_registered_shrunk_and_scaled_back():
    truth = np.array([[0.0, 0.0], [12.4, -7.6], [20.0, 3.2]])
    est = estimate_drift(_sequence(truth, shape=(700, 900)), max_side=256)
    assert np.abs(est - truth).max() < 0.5


def test_frames_of_another_size_are_refused():
    t = DriftTracker()
    t.add(np.zeros((64, 64)))
    with pytest.raises(ValueError, match="differs in size"):
        t.add(np.zeros((64, 80)))
    with pytest.raises(ValueError, match="2D"):
        t.add(np.zeros((4, 4, 3)))
