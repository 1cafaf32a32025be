"""Particle outlines: circles, ellipses and faceted polygons with soft edges.

An outline is a plain dict; its boundary is a radius ``r_b(theta)`` around the
centre, scaled so that the enclosed area is ``pi radius_px**2`` (the diameter is
area-equivalent for every shape), times a small random waviness
``1 + sum_h a_h cos(h theta + phi_h)``.
"""

from __future__ import annotations

import math

import numpy as np

_HARMONICS = (2, 3, 4)


def sample_outline(
    kind: str,
    radius_px: float,
    *,
    aspect: float,
    facets: int,
    irregularity: float,
    rng: np.random.Generator | int | None,
) -> dict:
    """Draw the outline of one particle.

    Parameters
    ----------
    kind
        ``circle``, ``ellipse`` or ``polygon``.
    radius_px
        Area-equivalent radius, px.
    aspect
        Major / minor axis of an ellipse (ignored otherwise).
    facets
        Number of sides of a polygon (ignored otherwise).
    irregularity
        Relative amplitude of the waviness (0 = exact shape).
    rng
        Source of the rotation and of the waviness.
    """
    if kind not in ("circle", "ellipse", "polygon"):
        raise ValueError(f"sample_outline: unknown outline kind {kind!r}")
    if not radius_px > 0:
        raise ValueError(f"sample_outline: radius_px must be > 0, got {radius_px}")
    rng = np.random.default_rng(rng)
    harmonics = []
    if irregularity > 0:
        for h in _HARMONICS:
            amp = float(irregularity * rng.standard_normal() / math.sqrt(h - 1))
            harmonics.append([h, amp, float(rng.uniform(0.0, 2.0 * math.pi))])
    return {
        "kind": kind,
        "radius_px": float(radius_px),
        "angle_deg": float(rng.uniform(0.0, 360.0)),
        "aspect": float(aspect) if kind == "ellipse" else 1.0,
        "facets": int(facets) if kind == "polygon" else 0,
        "harmonics": harmonics,
    }


def boundary_radius(outline: dict, theta: np.ndarray) -> np.ndarray:
    """Distance from the centre to the boundary in direction ``theta`` (radians)."""
    theta = np.asarray(theta, np.float32)
    t = theta - np.float32(math.radians(outline["angle_deg"]))
    r = outline["radius_px"]
    kind = outline["kind"]
    if kind == "circle":
        rb = np.full(t.shape, r, np.float32)
    elif kind == "ellipse":
        a = r * math.sqrt(outline["aspect"])
        b = r / math.sqrt(outline["aspect"])
        rb = np.float32(a * b) / np.sqrt(
            (np.float32(b) * np.cos(t)) ** 2 + (np.float32(a) * np.sin(t)) ** 2
        )
    else:
        n = outline["facets"]
        # Circumradius of the regular n-gon with area pi r^2, and its apothem.
        rc = r * math.sqrt(2.0 * math.pi / (n * math.sin(2.0 * math.pi / n)))
        apothem = np.float32(rc * math.cos(math.pi / n))
        sector = np.float32(2.0 * math.pi / n)
        rb = apothem / np.cos(np.mod(t, sector) - sector / 2)
    if outline["harmonics"]:
        wave = np.ones(t.shape, np.float32)
        for h, amp, phase in outline["harmonics"]:
            wave += np.float32(amp) * np.cos(np.float32(h) * t + np.float32(phase))
        rb = rb * wave
    return rb.astype(np.float32, copy=False)


def max_radius(outline: dict) -> float:
    """Upper bound of the boundary radius (sampled at 720 directions, plus 2 %)."""
    theta = np.linspace(0.0, 2.0 * math.pi, 720, endpoint=False)
    return float(boundary_radius(outline, theta).max()) * 1.02 + 0.5


def signed_distance(outline: dict, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Radial signed distance to the boundary (< 0 inside) and ``rho = r / r_b``.

    ``x`` and ``y`` are broadcastable column and row offsets from the centre, px.
    The radial distance equals the true distance for circles and is close to it
    for the near-convex outlines used here.
    """
    x = np.asarray(x, np.float32)
    y = np.asarray(y, np.float32)
    r = np.sqrt(x * x + y * y)
    if outline["kind"] == "circle" and not outline["harmonics"]:
        rb = np.float32(outline["radius_px"])
    else:
        rb = boundary_radius(outline, np.arctan2(y, x))
    return r - rb, r / rb


def soft_mask(distance: np.ndarray, edge_width: float) -> np.ndarray:
    """Coverage in [0, 1]: 1 inside, 0.5 on the boundary, a smooth ramp ``edge_width`` wide."""
    if edge_width <= 0:
        return (distance <= 0).astype(np.float32)
    t = np.clip(np.float32(0.5) - distance / np.float32(edge_width), 0.0, 1.0)
    return t * t * (np.float32(3.0) - np.float32(2.0) * t)  # smoothstep


def thickness(rho: np.ndarray, dome: float) -> np.ndarray:
    """Relative projected thickness ``(1 - dome) + dome sqrt(1 - rho^2)`` (times the mask).

    ``dome = 0`` is a flat plate, ``dome = 1`` a sphere; ``rho >= 1`` gives ``1 - dome``,
    which the soft mask takes to 0 outside the particle.
    """
    cap = np.sqrt(np.clip(np.float32(1.0) - rho * rho, 0.0, 1.0))
    return np.float32(1.0 - dome) + np.float32(dome) * cap
