import numpy as np
import pytest

from temdefects.synth.curves import resample
from temdefects.synth.draw import band_distances, draw_dislocation, soft_sigma


def cross_section(kind, width, *, halo=0.4, blur=0.0, mask_width=5.0):
    """Darkening profile across a horizontal line at y = 20.3, and its mask."""
    image = np.ones((48, 96), np.float32)
    mask = np.zeros(image.shape, bool)
    curve = resample(np.array([[-10.0, 20.3], [110.0, 20.3]]), 0.25)
    draw_dislocation(
        image,
        mask,
        curve,
        width=width,
        contrast=1.0,
        blur=blur,
        kind=kind,
        halo=halo,
        gaps=[],
        mask_width=mask_width,
        gaps_in_mask=False,
        spacing=0.25,
    )
    return 1.0 - image[:, 48].astype(np.float64), mask


def fwhm(profile):
    """Full width at half maximum by linear interpolation (single peak)."""
    half = profile.max() / 2
    above = np.flatnonzero(profile >= half)
    lo, hi = above[0], above[-1]
    left = lo - (profile[lo] - half) / (profile[lo] - profile[lo - 1])
    right = hi + (profile[hi] - half) / (profile[hi] - profile[hi + 1])
    return right - left


@pytest.mark.parametrize("width", [1.2, 2.0, 3.4])
def test_flat_line_has_its_width(width):
    prof, _ = cross_section("flat", width)
    assert prof.sum() == pytest.approx(width, rel=0.02)
    assert prof.max() <= 1.0


@pytest.mark.parametrize("width", [2.0, 3.4, 5.0])
def test_gaussian_profile_fwhm_is_the_width(width):
    prof, _ = cross_section("gaussian", width)
    assert fwhm(prof) == pytest.approx(width, rel=0.15)
    assert prof.max() == pytest.approx(1.0, abs=0.15)


def test_realistic_profile_has_a_dark_core_and_a_soft_halo():
    prof, _ = cross_section("realistic", 3.0, halo=0.4)
    assert prof.max() == pytest.approx(1.0, abs=1e-6)
    assert 0.15 < prof[23] < 0.4  # 2.7 px out (one halo sigma): 0.4 * exp(-1/2)
    assert prof[20 + 12] < 0.02


def test_blur_spreads_but_keeps_the_mask():
    sharp, mask_a = cross_section("flat", 2.0)
    soft, mask_b = cross_section("flat", 2.0, blur=1.5)
    assert np.array_equal(mask_a, mask_b)
    assert soft.max() < sharp.max() and soft.sum() == pytest.approx(sharp.sum(), rel=0.05)


def test_mask_is_the_band_of_half_mask_width():
    _, mask = cross_section("flat", 2.0, mask_width=5.0)
    rows = np.flatnonzero(mask[:, 48])
    assert rows.tolist() == [18, 19, 20, 21, 22]  # |r - 20.3| <= 2.5


def test_unknown_profile():
    with pytest.raises(ValueError, match="unknown kind"):
        soft_sigma(2.0, "neon")


def test_band_distances_are_exact_for_a_straight_line():
    x = np.linspace(5.0, 40.0, 141)
    curve = np.column_stack([x, np.full_like(x, 10.3)])
    rr, cc, dist, _ = band_distances(curve, (24, 48), 3.0)
    inner = (cc >= 6) & (cc <= 39)
    assert np.allclose(dist[inner], np.abs(rr[inner] - 10.3), atol=1e-6)
    assert dist.max() <= 3.0
    assert set(zip(rr[inner], cc[inner], strict=True)) == {
        (r, c) for r in range(24) for c in range(6, 40) if abs(r - 10.3) <= 3.0
    }


def test_band_outside_image_is_empty():
    curve = np.array([[-50.0, -50.0], [-40.0, -45.0]])
    rr, cc, dist, idx = band_distances(curve, (16, 16), 2.0)
    assert rr.size == cc.size == dist.size == idx.size == 0


@pytest.mark.parametrize("angle", [0.0, 17.0, 45.0, 63.0, 90.0, 151.0])
@pytest.mark.parametrize("width", [1.0, 1.7])
def test_straight_line_strip_matches_the_full_image_formula(angle, width):
    from temdefects.synth.curves import line_through_image
    from temdefects.synth.draw import draw_straight, pixel_coords, signed_distance

    shape = (40, 56)
    line = line_through_image([23.4, 17.9], angle, shape)
    image = np.ones(shape, np.float32)
    draw_straight(image, line, -0.5, width)
    d = np.abs(signed_distance(line, *pixel_coords(shape)))
    expected = 1.0 - 0.5 * np.clip(width / 2 + 0.5 - d, 0.0, 1.0)
    assert np.allclose(image, expected, atol=1e-6)


def test_band_distances_match_brute_force_on_generated_lines():
    from temdefects.synth.dislocations.microstructure import dislocation_curve

    from .dislocations.helpers import distance_to, quiet_config, scene_for

    scene = scene_for(quiet_config(size=(96, 96)), seed=8)
    assert scene["dislocations"]
    for d in scene["dislocations"]:
        curve = dislocation_curve(d)
        rr, cc, dist, _ = band_distances(curve, (96, 96), 2.5)
        yy, xx = np.mgrid[0:96, 0:96]
        exact = distance_to(curve, np.column_stack([yy.ravel(), xx.ravel()])).reshape(96, 96)
        assert set(zip(rr.tolist(), cc.tolist(), strict=True)) == set(
            zip(*np.nonzero(exact <= 2.5), strict=True)
        )
        assert np.allclose(dist, exact[rr, cc], atol=1e-5)


_DENSE = np.column_stack([np.linspace(-10.0, 30.0, 90), np.linspace(5.0, 38.0, 90) ** 1.02])


@pytest.mark.parametrize(
    ("curve", "radius", "path"),
    [
        # Coarse vertices (19 px apart) along a gentle arc: the KD-tree path.
        (
            np.column_stack(
                [np.linspace(4.0, 60.0, 4), 20.0 + 6.0 * np.sin(np.linspace(0, 1.5, 4))]
            ),
            2.5,
            "tree",
        ),
        # Dense vertices running off the image: the stencil path, clipped.
        (_DENSE, 2.5, "stencil"),
        # The same line with a band too wide for the stencil.
        (_DENSE, 9.0, "tree"),
        # A single point.
        (np.array([[17.3, 21.8]]), 2.5, "stencil"),
    ],
    ids=["coarse", "dense-clipped", "wide", "point"],
)
def test_band_distances_match_brute_force_on_either_path(curve, radius, path, monkeypatch):
    from temdefects.synth import draw

    from .dislocations.helpers import distance_to

    used = []
    for name in ("stencil", "tree"):
        real = getattr(draw, f"_nearest_vertex_{name}")
        monkeypatch.setattr(
            draw, f"_nearest_vertex_{name}", lambda *a, _n=name, _f=real: used.append(_n) or _f(*a)
        )
    shape = (40, 64)
    rr, cc, dist, idx = band_distances(curve, shape, radius)
    assert used == [path]
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]]
    pixels = np.column_stack([yy.ravel(), xx.ravel()])
    if len(curve) == 1:
        exact = np.hypot(pixels[:, 1] - curve[0, 0], pixels[:, 0] - curve[0, 1])
    else:
        exact = distance_to(curve, pixels)
    exact = exact.reshape(shape)
    assert set(zip(rr.tolist(), cc.tolist(), strict=True)) == set(
        zip(*np.nonzero(exact <= radius), strict=True)
    )
    assert np.allclose(dist, exact[rr, cc], atol=1e-5)
    assert np.all(np.diff(rr * shape[1] + cc) > 0)  # row-major, each pixel once
    vertex_d = np.hypot(curve[idx, 0] - cc, curve[idx, 1] - rr)
    all_d = np.hypot(curve[None, :, 0] - cc[:, None], curve[None, :, 1] - rr[:, None])
    assert np.allclose(vertex_d, all_d.min(axis=1))  # the nearest vertex
