"""Small scene-building helpers for the synth tests."""

import copy

import numpy as np

from temdefects.synth.config import load_config
from temdefects.synth.dislocations.scene import sample_scene
from temdefects.synth.scene import image_rng


def quiet_config(preset="m2", size=(128, 128), **sections):
    """A configuration without random artefacts or noise, for exact checks."""
    data = {
        "size": list(size),
        "artifacts": {"dirt": 0, "grain_boundary_probability": 0.0, "vignetting_probability": 0.0},
        "drawing": {"noise": {"probability": 0.0}},
    }
    for key, value in sections.items():
        data[key] = {**data.get(key, {}), **value}
    return load_config(preset, overrides=data)


def scene_for(config, seed=0, index=0):
    return sample_scene(config, image_rng(seed, index))


def without(scene, *, dislocations=None, traces=None):
    """A copy of ``scene`` keeping only the given dislocation / trace indices."""
    out = copy.deepcopy(scene)
    if dislocations is not None:
        out["dislocations"] = [d for i, d in enumerate(out["dislocations"]) if i in dislocations]
    if traces is not None:
        out["traces"] = [t for i, t in enumerate(out["traces"]) if i in traces]
    return out


def distance_to(curves, pixels):
    """Exact distance of pixels ``(row, col)`` to polylines (brute force over segments).

    ``curves`` is one (P, 2) array or a list of them (segments never join curves).
    """
    if isinstance(curves, np.ndarray):
        curves = [curves]
    a = np.concatenate([c[:-1] for c in curves])
    b = np.concatenate([c[1:] for c in curves])
    q = np.asarray(pixels, float)[:, ::-1]  # (row, col) -> (x, y)
    best = np.full(len(q), np.inf)
    for start in range(0, len(a), 256):
        aa, bb = a[start : start + 256], b[start : start + 256]
        ab = bb - aa
        t = ((q[:, None, :] - aa[None]) * ab[None]).sum(-1) / np.maximum((ab**2).sum(-1), 1e-12)
        foot = aa[None] + np.clip(t, 0, 1)[..., None] * ab[None]
        best = np.minimum(best, np.hypot(*(q[:, None, :] - foot).transpose(2, 0, 1)).min(1))
    return best
