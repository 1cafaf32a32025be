"""Scene helpers that every generator shares.

The random generator of one image (:func:`image_rng`: independent of the
worker count), the folder of real background crops of a run
(:func:`background_folder`), the background of a scene mapped to its grey
levels (:func:`render_background`) and one drawn line of a scene
(:func:`draw_line`). The dislocation generator's scenes are in
:mod:`temdefects.synth.dislocations.scene`.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from temdefects.errors import ConfigError
from temdefects.synth import draw
from temdefects.synth.background import perlin_background, real_background


def image_rng(seed: int, index: int) -> np.random.Generator:
    """Generator of image ``index`` of a run with ``seed``: independent of worker count."""
    return np.random.default_rng(np.random.SeedSequence(entropy=int(seed), spawn_key=(int(index),)))


def background_folder(
    config, backgrounds: str | os.PathLike | None = None
) -> str | os.PathLike | None:
    """Folder of real background crops of a generator run.

    Parameters
    ----------
    config
        Configuration with a ``background`` section (dislocations or loops).
    backgrounds
        Folder given by the caller; kept when not None.

    Returns
    -------
    str, os.PathLike or None
        ``backgrounds``, else ``config.background.real.dir`` as a Path, else None.
    """
    if backgrounds is None and config.background.real.dir is not None:
        return Path(config.background.real.dir)
    return backgrounds


def render_background(scene: dict, *, backgrounds: str | os.PathLike | None = None) -> np.ndarray:
    """The background of a scene, mapped to its grey levels, as float32."""
    shape = tuple(scene["shape"])
    bg = scene["background"]
    if bg["kind"] == "perlin":
        image = perlin_background(shape, bg["params"])
    else:
        if backgrounds is None:
            raise ConfigError(
                "background.real.dir: this record uses real backgrounds; "
                "pass --backgrounds with their folder"
            )
        image = real_background(shape, bg["params"], backgrounds)
    lo, hi = bg["levels"]
    # Both renderers return a new float32 array, so it is mapped in place.
    image *= np.float32(hi - lo)
    image += np.float32(lo)
    return image


def draw_line(
    image: np.ndarray, mask: np.ndarray, curve: np.ndarray, line: dict, style: dict, **options
) -> None:
    """:func:`temdefects.synth.draw.draw_dislocation` of a scene's line, in place.

    Parameters
    ----------
    image, mask, curve
        As in :func:`~temdefects.synth.draw.draw_dislocation`.
    line
        The line's scene entry: its ``width``, ``contrast`` and ``blur``.
    style
        The entry holding the ``profile`` and ``halo`` (the scene's drawing
        settings, or ``line`` itself).
    **options
        The remaining keywords of :func:`~temdefects.synth.draw.draw_dislocation`
        (``gaps``, ``mask_width``, ``gaps_in_mask``, ``spacing``, ``beads``).
    """
    draw.draw_dislocation(
        image,
        mask,
        curve,
        width=line["width"],
        contrast=line["contrast"],
        blur=line["blur"],
        kind=style["profile"],
        halo=style["halo"],
        **options,
    )
