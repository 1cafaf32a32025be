"""Lattice fringes of an fcc crystal seen along a zone axis, with planar defects.

A lattice image is a weighted sum of cosines, one per visible set of lattice
planes ``{hkl}``: ``F(x) = sum_j w_j cos(2 pi g_j . x + phi_j) / sum_j w_j`` with
``|g_j| = 1 / d_hkl`` (the fringe period in px is ``d_hkl * 100 / pixel_size``
for ``d`` in Angstrom and the pixel size in pm/px). Planar defects lie on one
``{111}`` plane seen edge-on, so they show as parallel lines across the particle:

* a **stacking fault** shifts the fringes of every set inclined to it by
  ``g . R = +-1/3`` period (intrinsic fault, ``R = a/6 <112>``); fringes parallel
  to the fault plane are unchanged (``g`` is normal to ``R``);
* a **twin boundary** mirrors the crystal across the plane, so inclined fringes
  change direction (in ``[110]`` the other ``{111}`` set goes from +70.5 to
  -70.5 degrees from the plane) and stay continuous on the boundary.

Planes sit on atomic planes of their ``{111}`` family (a maximum of its
fringes), so a mirror leaves that family's fringes unchanged, as in a real twin.
Angles are degrees from the +x (column) axis towards +y (row).
"""

from __future__ import annotations

import math

import numpy as np

# Interplanar spacings of fcc in units of the lattice constant a.
SPACING = {"111": 1.0 / math.sqrt(3.0), "200": 0.5, "220": 1.0 / math.sqrt(8.0)}
_A111 = math.degrees(math.acos(1.0 / 3.0))  # 70.53: angle between two {111} normals
_A100 = math.degrees(math.acos(1.0 / math.sqrt(3.0)))  # 54.74: {111} to {200}

# Visible sets per zone axis: (family, normal angle in deg, main/minor, fault factor).
# The fault factor is g.R in units of the configured shift: 0 for fringes parallel to
# the fault plane, +-1 for the inclined ones ((002) and (11-1) of [1-10] get +1/3, -1/3).
PROJECTIONS: dict[str, dict] = {
    "110": {
        "sets": (
            ("111", 0.0, "main", 0),
            ("200", _A100, "minor", 1),
            ("111", 180 - _A111, "main", -1),
        ),
        "fault_normal": 0.0,
    },
    "100": {
        "sets": (
            ("200", 0.0, "main", 0),
            ("200", 90.0, "main", 0),
            ("220", 45.0, "minor", 0),
            ("220", 135.0, "minor", 0),
        ),
        "fault_normal": None,
    },
    "111": {
        "sets": (("220", 0.0, "main", 0), ("220", 60.0, "main", 0), ("220", 120.0, "main", 0)),
        "fault_normal": None,
    },
    # Slightly off axis: one {111} set in Bragg condition, the fault plane is
    # another {111} (70.53 degrees away) that stays edge-on but shows no fringes.
    "single": {"sets": (("111", 0.0, "main", 1),), "fault_normal": _A111},
}
FAULT_PROJECTIONS = frozenset(k for k, v in PROJECTIONS.items() if v["fault_normal"] is not None)


def finest_spacing(projections) -> float:
    """Smallest interplanar spacing (units of a) of the sets of ``projections``."""
    return min(SPACING[s[0]] for p in projections for s in PROJECTIONS[p]["sets"])


def sample_lattice(
    projection: str,
    *,
    lattice_constant: float,
    pixel_size: float,
    orientation: float,
    minor_weight: float,
    rng: np.random.Generator | int | None,
) -> dict:
    """Draw the fringe sets of one crystal.

    Parameters
    ----------
    projection
        Key of :data:`PROJECTIONS`.
    lattice_constant
        fcc lattice constant, Angstrom.
    pixel_size
        pm/px.
    orientation
        In-plane rotation of the crystal, degrees.
    minor_weight
        Weight of the weaker reflections relative to the main ones.
    rng
        Source of the handedness and of the fringe phases.

    Returns
    -------
    dict
        ``projection``, ``hand`` (+-1, mirror image of the zone axis), ``sets``
        (``family``, ``period_px``, ``angle_deg``, ``phase``, ``weight``,
        ``fault_factor``), ``fault_normal_deg`` (None when no {111} plane is edge-on)
        and ``plane_spacing_px`` (the {111} spacing that defect planes sit on).
    """
    if projection not in PROJECTIONS:
        raise ValueError(f"sample_lattice: unknown projection {projection!r}")
    rng = np.random.default_rng(rng)
    spec = PROJECTIONS[projection]
    hand = 1 if rng.random() < 0.5 else -1
    scale = 100.0 / float(pixel_size)
    sets = []
    for family, angle, kind, factor in spec["sets"]:
        sets.append(
            {
                "family": family,
                "period_px": float(lattice_constant * SPACING[family] * scale),
                "angle_deg": float(orientation + hand * angle),
                "phase": float(rng.uniform(0.0, 2.0 * math.pi)),
                "weight": 1.0 if kind == "main" else float(minor_weight),
                "fault_factor": int(factor),
            }
        )
    normal = spec["fault_normal"]
    return {
        "projection": projection,
        "hand": hand,
        "sets": sets,
        "fault_normal_deg": None if normal is None else float(orientation + hand * normal),
        "plane_spacing_px": float(lattice_constant * SPACING["111"] * scale),
    }


def _plane_phase(lattice: dict) -> float:
    """Phase at the particle centre of the family the defect planes belong to."""
    for s in lattice["sets"]:
        if s["fault_factor"] == 0 and s["family"] == "111":
            return s["phase"]
    return 0.0  # the family shows no fringes: any plane position is an atomic plane


def sample_planes(
    lattice: dict,
    *,
    count: int,
    kinds: tuple,
    shift: float,
    min_spacing: int,
    extent_px: float,
    rng: np.random.Generator | int | None,
) -> list[dict]:
    """Draw ``count`` parallel defect planes on atomic {111} planes near the centre.

    Fewer planes are returned when ``extent_px`` cannot hold ``count`` of them
    ``min_spacing`` spacings apart; at least one is always returned.

    Returns
    -------
    list of dict
        ``kind`` (``stacking_fault`` or ``twin``), ``offset_px`` (signed distance of the
        plane from the particle centre along the fault normal) and ``shift`` (signed
        fringe shift in periods; 0 for a twin), sorted by offset.
    """
    if lattice["fault_normal_deg"] is None:
        raise ValueError(f"sample_planes: projection {lattice['projection']} shows no faults")
    rng = np.random.default_rng(rng)
    d = lattice["plane_spacing_px"]
    ref = _plane_phase(lattice) / (2.0 * math.pi)
    # Atomic planes at u_m = (m - ref) d, i.e. maxima of cos(2 pi u / d + 2 pi ref).
    m_lo = math.ceil(-extent_px / d + ref)
    m_hi = math.floor(extent_px / d + ref)
    n_cand = m_hi - m_lo + 1
    if n_cand < 1:
        m_lo, n_cand = round(ref), 1
    count = max(1, min(int(count), (n_cand - 1) // int(min_spacing) + 1))
    free = n_cand - (count - 1) * (int(min_spacing) - 1)
    picks = np.sort(rng.choice(free, size=count, replace=False))
    planes = []
    for i, p in enumerate(picks):
        m = m_lo + int(p) + i * (int(min_spacing) - 1)
        kind = kinds[int(rng.integers(len(kinds)))]
        sign = 1.0 if rng.random() < 0.5 else -1.0
        planes.append(
            {
                "kind": kind,
                "offset_px": float((m - ref) * d),
                "shift": float(sign * shift) if kind == "stacking_fault" else 0.0,
            }
        )
    return planes


def _regions(lattice: dict, planes: list[dict]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per region between planes: mirror sign, offset of the normal coordinate, set phases."""
    n_sets = len(lattice["sets"])
    sign = np.ones(len(planes) + 1)
    off = np.zeros(len(planes) + 1)
    delta = np.zeros((len(planes) + 1, n_sets))
    factors = np.array([s["fault_factor"] for s in lattice["sets"]], float)
    for i, plane in enumerate(planes):
        p = plane["offset_px"]
        if plane["kind"] == "twin":
            # Region i+1 is region i mirrored at u = p: u -> s_i (2p - u) + t_i.
            sign[i + 1], off[i + 1] = -sign[i], 2.0 * sign[i] * p + off[i]
            delta[i + 1] = delta[i]
        else:
            sign[i + 1], off[i + 1] = sign[i], off[i]
            delta[i + 1] = delta[i] + 2.0 * math.pi * plane["shift"] * factors
    return sign, off, delta


def fringe_pattern(x: np.ndarray, y: np.ndarray, lattice: dict, planes: list[dict]) -> np.ndarray:
    """Normalised fringe image ``F`` in [-1, 1] at pixel offsets from the particle centre.

    Parameters
    ----------
    x, y
        Broadcastable arrays of column and row offsets from the centre, px.
    lattice
        From :func:`sample_lattice`.
    planes
        From :func:`sample_planes` (empty for a perfect crystal), sorted by offset.

    Returns
    -------
    float32 array of the broadcast shape of ``x`` and ``y``.
    """
    x = np.asarray(x, np.float32)
    y = np.asarray(y, np.float32)
    shape = np.broadcast_shapes(x.shape, y.shape)
    sets = lattice["sets"]
    total = sum(s["weight"] for s in sets)
    out = np.zeros(shape, np.float32)
    if total <= 0:
        return out
    two_pi = np.float32(2.0 * math.pi)
    if planes:
        theta = math.radians(lattice["fault_normal_deg"])
        nx, ny = np.float32(math.cos(theta)), np.float32(math.sin(theta))
        u = x * nx + y * ny
        v = y * nx - x * ny
        sign, off, delta = _regions(lattice, planes)
        region = np.searchsorted(np.array([p["offset_px"] for p in planes]), u)
        u = sign.astype(np.float32)[region] * u + off.astype(np.float32)[region]
    for j, s in enumerate(sets):
        a = math.radians(s["angle_deg"])
        gx, gy = math.cos(a) / s["period_px"], math.sin(a) / s["period_px"]
        if planes:
            gu, gv = gx * nx + gy * ny, gy * nx - gx * ny
            arg = two_pi * (u * np.float32(gu) + v * np.float32(gv))
            arg += delta.astype(np.float32)[region, j]
        else:
            arg = two_pi * (x * np.float32(gx) + y * np.float32(gy))
        arg += np.float32(s["phase"])
        out += np.float32(s["weight"] / total) * np.cos(arg)
    return out
