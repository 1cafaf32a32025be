"""napari writer: a Shapes layer of (edited) curves saved as labelme JSON.

The file is what ``temdefects labelme-to-masks`` reads, so corrections made in
the viewer go straight into ``finetune``. Paths and lines become labelme
``linestrip`` shapes; a stack's frame coordinate is dropped (save one frame's
curves per file), ellipses and polygons keep their outline.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from temdefects.io.labelme import write_labelme

__all__ = ["write_labelme_shapes"]


def write_labelme_shapes(path: str, data: list, meta: dict) -> list[str]:
    """Write the shapes of one layer to ``path`` (napari's single-layer writer signature).

    ``meta`` may carry ``metadata: {"image_path": ..., "image_shape": (h, w)}``
    (the reader sets neither; then the image is named after the JSON file and
    its size taken from the curves' extent).
    """
    curves = []
    for shape in data:
        yx = np.asarray(shape, float)[:, -2:]  # drop a frame coordinate
        if len(yx) >= 2:
            curves.append(yx[:, ::-1])
    extra = (meta or {}).get("metadata", {}) or {}
    image_path = extra.get("image_path") or Path(path).with_suffix(".png").name
    shape = extra.get("image_shape")
    if shape is None:
        top = np.max([c.max(0) for c in curves], axis=0) if curves else np.array([1.0, 1.0])
        shape = (int(np.ceil(top[1])) + 1, int(np.ceil(top[0])) + 1)
    out = write_labelme(path, curves, image_path=image_path, image_shape=tuple(shape))
    return [str(out)]
