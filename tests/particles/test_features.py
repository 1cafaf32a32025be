import numpy as np
import pytest

from temdefects.particles.config import FeatureConfig
from temdefects.particles.features import FEATURE_NAMES, label_features, particle_features
from temdefects.particles.spectrum import find_spots

SIZE = 112
YY, XX = np.mgrid[:SIZE, :SIZE]
DISK = (YY - 56) ** 2 + (XX - 56) ** 2 < 36**2


def features(image, mask=DISK, **kw) -> dict:
    return dict(zip(FEATURE_NAMES, particle_features(image, mask, **kw), strict=True))


def noisy(signal, seed=0):
    return signal + 0.03 * np.random.default_rng(seed).standard_normal(signal.shape)


def fringes(period=7.0, angle=0.4, shift=None):
    u = XX * np.cos(angle) + YY * np.sin(angle)
    phase = 2 * np.pi * u / period
    if shift is not None:  # a fault along a line through the centre, at 80 degrees
        n = np.array([np.cos(np.radians(80)), np.sin(np.radians(80))])
        side = (XX - 56) * n[0] + (YY - 56) * n[1] > 0
        phase = phase + 2 * np.pi * shift * side
    return 0.5 + 0.1 * np.cos(phase)


def test_fringes_give_bragg_spots_a_flat_crop_none():
    flat = features(noisy(np.full((SIZE, SIZE), 0.5)))
    lattice = features(noisy(fringes()))
    assert flat["n_spot_pairs"] == 0
    assert lattice["n_spot_pairs"] >= 1
    assert lattice["log_spot_ratio"] > flat["log_spot_ratio"] + 1
    assert 1 / lattice["spot_frequency"] == pytest.approx(7.0, rel=0.05)


def test_a_third_period_shift_raises_the_phase_features():
    perfect = features(noisy(fringes()))
    faulted = features(noisy(fringes(shift=1 / 3)))
    assert faulted["phase_discontinuity"] > 2 * perfect["phase_discontinuity"]
    assert faulted["phase_dispersion"] > perfect["phase_dispersion"] + 0.1


def test_shape_and_intensity_features():
    image = np.where(DISK, 0.8, 0.2)
    f = features(image)
    assert f["area_px"] == DISK.sum()
    assert f["diameter_px"] == pytest.approx(72, abs=1)
    assert f["eccentricity"] < 0.2 and f["solidity"] > 0.95
    assert f["mean_intensity"] == pytest.approx(0.8)
    assert f["contrast"] == pytest.approx(0.6)
    assert features(1 - image)["contrast"] == pytest.approx(-0.6)


def test_a_particle_at_the_border_and_a_tiny_one():
    image = noisy(fringes())
    cut = (YY - 56) ** 2 + XX**2 < 30**2
    assert np.isfinite(particle_features(image, cut)).all()
    tiny = (YY - 56) ** 2 + (XX - 56) ** 2 < 4**2
    assert np.isfinite(particle_features(image, tiny)).all()


def test_label_features_rows_follow_ids():
    labels = np.zeros((SIZE, SIZE), np.int32)
    labels[DISK] = 2
    out = label_features(noisy(fringes()), labels, ids=[2, 5], config=FeatureConfig())
    assert out.shape == (2, len(FEATURE_NAMES))
    assert np.isfinite(out[0]).all() and np.isnan(out[1]).all()


@pytest.mark.parametrize(
    "image,mask,match",
    [
        (np.zeros((8, 8)), np.zeros((8, 8), bool), "empty"),
        (np.zeros((8, 8)), np.ones((8, 9), bool), "shape"),
        (np.zeros((8, 8), np.uint8), np.ones((8, 8), bool), "float"),
    ],
)
def test_bad_inputs(image, mask, match):
    with pytest.raises(ValueError, match=match):
        particle_features(image, mask)


def test_spots_always_include_the_strongest_bin_of_the_half_plane():
    n = 16
    k = np.fft.fftfreq(n)
    ky, kx = np.meshgrid(k, k, indexing="ij")
    half = (ky > 0) | ((ky == 0) & (kx > 0))
    ratio = np.ones((n, n))
    ratio[12, 3] = 50.0  # ky < 0: its window suppresses every maximum of the half-plane
    ratio[2, 5] = 2.0
    coords, values, count = find_spots(
        ratio, ratio, np.ones((n, n), bool), half, 8, threshold=20.0, relative=0.01
    )
    assert coords.tolist() == [[2, 5]] and values.tolist() == [2.0] and count == 0


@pytest.mark.parametrize(
    "image",
    [
        np.zeros((SIZE, SIZE)),  # a zero-filled region (pores of real slices)
        np.where(DISK, np.round(fringes() * 4) / 4, 0.0),  # coarse grey levels, zero outside
    ],
)
def test_flat_or_quantised_particles_give_finite_features_without_warnings(image):
    # warnings are errors in this suite: log10(0) or 0/0 would fail here
    values = particle_features(image, DISK)
    assert np.isfinite(values).all()
