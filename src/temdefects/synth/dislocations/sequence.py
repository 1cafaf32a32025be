"""Synthetic in-situ videos with true identities: a pile-up gliding over frames.

Frame 0 is an ordinary generated scene
(:func:`~temdefects.synth.dislocations.scene.sample_scene`).
Over the following frames every dislocation glides along its pile-up's axis,
jerkily: in each frame it is pinned (no step) with ``pin_probability``, else
it steps by ``|N(step, step_jitter)|`` px; the leading dislocation of each
pile-up (the one farthest along the axis) escapes from ``escape_frame`` on,
``escape_factor`` times faster. The whole picture drifts by a random walk of
``drift`` px per frame (applied to image, masks and centre lines alike), and
fresh Gaussian noise of ``noise`` (grey levels 0-1) is added to every frame.
Dislocation ``k`` of the scene keeps id ``k + 1`` in every frame, so tracking
can be scored against the truth (:mod:`temdefects.metrics.tracking`).

Everything random comes from ``seed``: the scene from
``image_rng(seed, 0)``, the motion, drift and noise from
``numpy.random.default_rng([seed, 1])``; the record replays the sequence.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass

import numpy as np
from scipy import ndimage

from temdefects.errors import ConfigError
from temdefects.synth.config import SynthConfig
from temdefects.synth.dislocations.scene import render_scene, sample_scene
from temdefects.synth.scene import image_rng

__all__ = ["MotionConfig", "SequenceSample", "generate_sequence"]


@dataclass(frozen=True)
class MotionConfig:
    """How the dislocations and the picture move from frame to frame."""

    frames: int = 20
    step: float = 1.5  # px per frame, mean glide of a free dislocation
    step_jitter: float = 1.0  # px, std of a step
    pin_probability: float = 0.3
    escape_frame: int = 10  # from this frame the leading dislocations escape
    escape_factor: float = 3.0
    drift: float = 0.6  # px, std of the frame-to-frame drift (each axis)
    noise: float = 0.03  # std of per-frame Gaussian noise, grey levels 0-1

    def __post_init__(self):
        checks = {
            "frames": self.frames >= 2,
            "step": self.step >= 0,
            "step_jitter": self.step_jitter >= 0,
            "pin_probability": 0 <= self.pin_probability <= 1,
            "escape_frame": self.escape_frame >= 0,
            "escape_factor": self.escape_factor >= 0,
            "drift": self.drift >= 0,
            "noise": 0 <= self.noise <= 1,
        }
        for name, ok in checks.items():
            if not ok:
                raise ConfigError(f"motion.{name}: out of range, got {getattr(self, name)!r}")


@dataclass(frozen=True, eq=False)
class SequenceSample:
    """A synthetic video with its truth.

    Attributes
    ----------
    images : (T, H, W) uint8
    masks : list of T (K, H, W) bool arrays, one channel per dislocation id
        (empty where the dislocation left the frame)
    lines : list of T lists of K (P, 2) x, y centre lines (None where it left)
    ids : (K,) int, the true id of each channel (1, 2, ...)
    drift : (T, 2) x, y drift of each frame against frame 0, px
    record : dict that rebuilds the sequence (generator config, motion, seed)
    """

    images: np.ndarray
    masks: list
    lines: list
    ids: np.ndarray
    drift: np.ndarray
    record: dict


def _motion(scene: dict, motion: MotionConfig, rng: np.random.Generator) -> np.ndarray:
    """(T, K, 2) displacement of every dislocation in every frame, px (before drift)."""
    axes = {
        p["id"]: np.array([np.cos(np.radians(p["angle"])), np.sin(np.radians(p["angle"]))])
        for p in scene["pileups"]
    }
    dis = scene["dislocations"]
    k = len(dis)
    # leading dislocation of each pile-up: farthest along its axis
    centre = np.array([np.mean(np.asarray(d["support"], float), axis=0) for d in dis]).reshape(
        -1, 2
    )
    along = np.array([centre[j] @ axes[d["pileup"]] for j, d in enumerate(dis)])
    leading = np.zeros(k, bool)
    for pid in axes:
        members = [j for j, d in enumerate(dis) if d["pileup"] == pid]
        if members:
            leading[members[int(np.argmax(along[members]))]] = True
    out = np.zeros((motion.frames, k, 2))
    for t in range(1, motion.frames):
        steps = np.abs(rng.normal(motion.step, motion.step_jitter, size=k))
        steps[rng.random(k) < motion.pin_probability] = 0.0
        if t >= motion.escape_frame:
            steps[leading] *= motion.escape_factor
        for j, d in enumerate(dis):
            out[t, j] = out[t - 1, j] + steps[j] * axes[d["pileup"]]
    return out


def generate_sequence(config: SynthConfig, motion: MotionConfig, seed: int) -> SequenceSample:
    """Render a synthetic in-situ video with true identities (see the module docstring).

    Examples
    --------
    >>> from temdefects.synth.config import load_config
    >>> cfg = load_config("m2", overrides={"size": [96, 96]})
    >>> seq = generate_sequence(cfg, MotionConfig(frames=3), seed=1)
    >>> seq.images.shape, len(seq.masks), seq.drift.shape
    ((3, 96, 96), 3, (3, 2))
    """
    scene0 = sample_scene(config, image_rng(seed, 0))
    rng = np.random.default_rng([seed, 1])
    disp = _motion(scene0, motion, rng)
    steps = rng.normal(0.0, motion.drift, size=(motion.frames, 2))
    steps[0] = 0.0
    drift = np.cumsum(steps, axis=0)
    images, masks, lines = [], [], []
    for t in range(motion.frames):
        scene = copy.deepcopy(scene0)
        for j, d in enumerate(scene["dislocations"]):
            d["support"] = (np.asarray(d["support"], float) + disp[t, j]).tolist()
        sample = render_scene(scene)
        dx, dy = drift[t]
        img = sample.image.astype(np.float32) / 255.0
        img = ndimage.shift(img, (dy, dx), order=1, mode="reflect")
        img = img + rng.normal(0.0, motion.noise, size=img.shape).astype(np.float32)
        images.append(np.clip(np.round(img * 255.0), 0, 255).astype(np.uint8))
        m = (
            np.stack(
                [
                    ndimage.shift(c.astype(np.uint8), (dy, dx), order=0, mode="constant") > 0
                    for c in sample.masks
                ]
            )
            if len(sample.masks)
            else np.zeros((0, *img.shape), bool)
        )
        masks.append(m)
        frame_lines = []
        for j, segs in enumerate(sample.lines):
            if not segs or not m[j].any():
                frame_lines.append(None)
                continue
            longest = np.asarray(max(segs, key=len), float) + (dx, dy)
            frame_lines.append(longest)
        lines.append(frame_lines)
    record = {
        "format": "temdefects.synth.sequence/1",
        "seed": int(seed),
        "config": config.to_dict(),
        "motion": asdict(motion),
    }
    return SequenceSample(
        images=np.stack(images),
        masks=masks,
        lines=lines,
        ids=np.arange(1, len(scene0["dislocations"]) + 1),
        drift=drift,
        record=record,
    )
