"""napari widgets: run temdefects on the image open in the viewer.

Each is a plain function with typed arguments; napari (npe2 ``autogenerate``)
builds its form with magicgui and adds the returned layers. Work runs in the
viewer's process; napari shows its progress while the function runs.

The annotations are evaluated (no ``from __future__ import annotations``):
magicgui reads them at run time to build the form, and cannot resolve names
given as strings.
"""

import warnings
from pathlib import Path

import numpy as np

try:
    with warnings.catch_warnings():  # napari's own pydantic and Qt deprecation notices
        warnings.simplefilter("ignore")
        from napari.types import ImageData
except ImportError:  # without napari the module still imports (doctest collection); unused
    ImageData = np.ndarray

__all__ = ["analyze_dislocations", "detect_loops", "segment_particles"]


def _image(image) -> np.ndarray:
    data = np.asarray(getattr(image, "data", image))
    if data.ndim == 3 and data.shape[-1] in (3, 4):
        data = data[..., :3].mean(axis=-1)
    if data.ndim != 2:
        raise ValueError(f"expected a 2D greyscale image, got shape {data.shape}")
    return data


def analyze_dislocations(image: ImageData, model: Path | None = None) -> list:
    """Dislocations of the image as path Shapes (``temdefects analyze`` defaults: the
    model record's post-processing and input settings)."""
    from temdefects.dislocations.analysis.choose import record_options
    from temdefects.dislocations.analysis.pipeline import analyze_image
    from temdefects.models import load

    net = load(model or None)
    result = analyze_image(net, _image(image), options=record_options(net.record))
    paths = [d.points[:, ::-1] for d in result.dislocations]
    props = {"id": np.array([d.id for d in result.dislocations], int)}
    meta = {"name": "dislocations", "shape_type": "path", "edge_width": 2, "properties": props}
    return [(paths, meta, "shapes")]


def detect_loops(image: ImageData, model: Path | None = None) -> list:
    """Loops and black dots of the image as ellipses coloured by class."""
    from temdefects.loops.detect import detect_defects
    from temdefects.loops.model import load_loop_model
    from temdefects.napari.reader import LOOP_COLOURS, ellipse_corners

    defects, _ = detect_defects(load_loop_model(model or None), _image(image))
    meta = {
        "name": "defects",
        "shape_type": "ellipse",
        "edge_width": 2,
        "face_color": "transparent",
        "edge_color": [LOOP_COLOURS.get(c, "white") for c in defects.classes],
        "properties": {"class": np.array(defects.classes), "score": defects.scores},
    }
    return [([ellipse_corners(e) for e in defects.ellipses], meta, "shapes")]


def segment_particles(image: ImageData, model: Path | None = None) -> list:
    """Nanoparticles of the image as a Labels layer."""
    from temdefects.particles.pipeline import analyze_particles, load_particle_model

    result = analyze_particles(load_particle_model(model or None), _image(image))
    return [(result.labels, {"name": "particles"}, "labels")]
