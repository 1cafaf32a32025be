import math

import numpy as np
import pytest

from temdefects.synth.particles.lattice import (
    PROJECTIONS,
    fringe_pattern,
    sample_lattice,
    sample_planes,
)

from .helpers import fourier_phase, wrap

A, PX = 4.08, 25.0  # Angstrom, pm/px


def grid(half=60):
    y, x = np.mgrid[-half : half + 1, -half : half + 1].astype(float)
    return x, y


def g_vector(s):
    a = math.radians(s["angle_deg"])
    return math.cos(a) / s["period_px"], math.sin(a) / s["period_px"]


def sides(lattice, planes, x, y, gap=4.0, width=40.0):
    """Masks of the pixels before the first plane and after the last one."""
    t = math.radians(lattice["fault_normal_deg"])
    u = x * math.cos(t) + y * math.sin(t)
    first, last = planes[0]["offset_px"], planes[-1]["offset_px"]
    return (u < first - gap) & (u > first - width), (u > last + gap) & (u < last + width)


def test_fringe_periods_follow_the_spacings_and_pixel_size():
    lat = sample_lattice(
        "110", lattice_constant=A, pixel_size=PX, orientation=30.0, minor_weight=0.5, rng=0
    )
    periods = [s["period_px"] for s in lat["sets"]]
    # d111 = a / sqrt(3) = 2.356 A, d200 = a / 2 = 2.04 A; px = A * 100 / (pm/px)
    assert periods == pytest.approx([9.4224, 8.16, 9.4224], abs=1e-3)
    angles = [s["angle_deg"] for s in lat["sets"]]
    assert abs(angles[2] - angles[0]) % 180 == pytest.approx(180 - 70.5288, abs=1e-3)
    assert abs(angles[1] - angles[0]) == pytest.approx(54.7356, abs=1e-3)
    assert lat["fault_normal_deg"] == pytest.approx(angles[0])


def test_perfect_crystal_is_a_weighted_sum_of_cosines():
    lat = sample_lattice(
        "100", lattice_constant=A, pixel_size=PX, orientation=10.0, minor_weight=0.5, rng=1
    )
    x, y = grid(20)
    f = fringe_pattern(x, y, lat, [])
    expected = sum(
        s["weight"] * np.cos(2 * np.pi * (x * g_vector(s)[0] + y * g_vector(s)[1]) + s["phase"])
        for s in lat["sets"]
    ) / sum(s["weight"] for s in lat["sets"])
    assert f.dtype == np.float32 and np.allclose(f, expected, atol=2e-4)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_stacking_fault_shifts_inclined_fringes_by_a_third(sign):
    lat = sample_lattice(
        "110", lattice_constant=A, pixel_size=PX, orientation=20.0, minor_weight=1.0, rng=2
    )
    planes = [{"kind": "stacking_fault", "offset_px": 3.0, "shift": sign / 3.0}]
    x, y = grid()
    f = fringe_pattern(x, y, lat, planes)
    before, after = sides(lat, planes, x, y)
    shifts = []
    for s in lat["sets"]:
        g = g_vector(s)
        (_, p0), (_, p1) = fourier_phase(f, before, (x, y), g), fourier_phase(f, after, (x, y), g)
        shifts.append(wrap((p1 - p0) / (2 * np.pi)))
    # (111) parallel to the fault: no shift; (002) and (11-1): +1/3 and -1/3 (g.R)
    assert shifts == pytest.approx([0.0, sign / 3.0, -sign / 3.0], abs=0.01)


def test_twin_mirrors_the_pattern_across_its_plane():
    lat = sample_lattice(
        "single", lattice_constant=A, pixel_size=PX, orientation=15.0, minor_weight=1.0, rng=3
    )
    planes = sample_planes(
        lat, count=1, kinds=("twin",), shift=1 / 3, min_spacing=3, extent_px=10.0, rng=0
    )
    p = planes[0]["offset_px"]
    t = math.radians(lat["fault_normal_deg"])
    n = np.array([math.cos(t), math.sin(t)])
    x, y = grid()
    u = x * n[0] + y * n[1]
    # mirror image of every pixel across the plane u = p
    xm, ym = x - 2 * (u - p) * n[0], y - 2 * (u - p) * n[1]
    f, fm = fringe_pattern(x, y, lat, planes), fringe_pattern(xm, ym, lat, planes)
    assert np.allclose(f, fm, atol=1e-3)
    # and the fringe direction changes: strong at g before the plane, at mirrored g after
    before, after = sides(lat, planes, x, y)
    g = np.array(g_vector(lat["sets"][0]))
    g_mirror = g - 2 * (g @ n) * n
    amp = {
        (side, k): fourier_phase(f, m, (x, y), gv)[0]
        for side, m in (("before", before), ("after", after))
        for k, gv in (("g", g), ("mirror", g_mirror))
    }
    assert amp["before", "g"] > 0.9 and amp["before", "mirror"] < 0.25
    assert amp["after", "mirror"] > 0.9 and amp["after", "g"] < 0.25


def test_twin_keeps_the_fringes_parallel_to_its_plane():
    lat = sample_lattice(
        "110", lattice_constant=A, pixel_size=PX, orientation=-40.0, minor_weight=0.5, rng=4
    )
    planes = sample_planes(
        lat, count=1, kinds=("twin",), shift=1 / 3, min_spacing=3, extent_px=30.0, rng=1
    )
    x, y = grid()
    f = fringe_pattern(x, y, lat, planes)
    before, after = sides(lat, planes, x, y)
    g = g_vector(lat["sets"][0])
    (a0, p0), (a1, p1) = fourier_phase(f, before, (x, y), g), fourier_phase(f, after, (x, y), g)
    assert a0 > 0.3 and a1 == pytest.approx(a0, rel=0.05)
    assert wrap((p1 - p0) / (2 * np.pi)) == pytest.approx(0.0, abs=0.01)


@pytest.mark.parametrize(
    "projection", sorted(k for k, v in PROJECTIONS.items() if v["fault_normal"] is not None)
)
def test_planes_sit_on_atomic_planes_and_keep_their_spacing(projection):
    lat = sample_lattice(
        projection, lattice_constant=A, pixel_size=PX, orientation=5.0, minor_weight=0.5, rng=5
    )
    d = lat["plane_spacing_px"]
    for seed in range(5):
        planes = sample_planes(
            lat,
            count=3,
            kinds=("stacking_fault", "twin"),
            shift=1 / 3,
            min_spacing=4,
            extent_px=60.0,
            rng=seed,
        )
        offsets = np.array([p["offset_px"] for p in planes])
        assert len(planes) == 3 and np.all(np.abs(offsets) <= 60.0)
        assert np.all(np.diff(offsets) >= 4 * d - 1e-6)
        ref = lat["sets"][0]["phase"] / (2 * np.pi) if projection == "110" else 0.0
        assert np.allclose(
            (offsets / d + ref) % 1.0 * (1 - (offsets / d + ref) % 1.0), 0, atol=1e-6
        )
        for p in planes:
            assert abs(p["shift"]) == (pytest.approx(1 / 3) if p["kind"] == "stacking_fault" else 0)


def test_planes_fall_back_to_one_when_the_particle_is_small():
    lat = sample_lattice(
        "single", lattice_constant=A, pixel_size=PX, orientation=0.0, minor_weight=0.5, rng=6
    )
    planes = sample_planes(
        lat, count=3, kinds=("twin",), shift=1 / 3, min_spacing=3, extent_px=1.0, rng=0
    )
    assert len(planes) == 1


def test_faults_need_an_edge_on_plane():
    lat = sample_lattice(
        "111", lattice_constant=A, pixel_size=PX, orientation=0.0, minor_weight=0.5, rng=0
    )
    with pytest.raises(ValueError, match="shows no faults"):
        sample_planes(lat, count=1, kinds=("twin",), shift=1 / 3, min_spacing=3, extent_px=9, rng=0)
