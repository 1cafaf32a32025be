"""Evaluating one model on one folder of generated images (Govind et al. 2023, sec. 6.2).

Samples are read one batch at a time (a data set never has to fit in memory),
consecutive images of equal size go through :func:`temdefects.models.predict`
together, and every image is scored with :func:`temdefects.metrics.evaluate_image`.
A sample that cannot be read is recorded and skipped; the others finish.

Two things can be scored (``instances``):

``"curves"`` (default): what ``temdefects analyze`` reports. The image is
prepared as the analysis prepares it, the masks are post-processed into
curves (:func:`temdefects.dislocations.analysis.postprocess`), and each curve is drawn
back as a mask of the data's own mask width (the record's
``scene.drawing.mask_width``), so it is compared with the true masks by the
same metrics.

``"masks"``: the network's N output masks themselves, the protocol of Govind
et al. (their metric on the predicted masks, before any post-processing).
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from temdefects.dislocations.analysis.pipeline import (
    DEFAULT_FLATTEN,
    check_contrast,
    check_flatten,
    model_input,
)
from temdefects.dislocations.analysis.postprocess import PostprocessOptions, postprocess
from temdefects.errors import ConfigError, InputFileError, TemdefectsError
from temdefects.metrics import aggregate, evaluate_image
from temdefects.models import load, predict
from temdefects.synth.dislocations.files import read_record
from temdefects.synth.draw import band_distances
from temdefects.synth.files import imread_quiet, read_masks
from temdefects.synth.files import list_samples as files_list_samples

__all__ = [
    "INSTANCES",
    "EvalResult",
    "curve_masks",
    "evaluate_model",
    "list_samples",
    "unique_names",
]

INSTANCES = ("curves", "masks")
#: Width (px) of drawn curves when a record does not give its mask width.
DEFAULT_MASK_WIDTH = 5.0


@dataclass(frozen=True)
class EvalResult:
    """The evaluation of one model on one data folder.

    Attributes
    ----------
    model_name, data_name
        Short names used in tables and output folder names.
    rows
        One dict per evaluated image, in sample order: ``image`` (the file
        stem) and every key of :func:`temdefects.metrics.evaluate_image`.
    summary
        :func:`temdefects.metrics.aggregate` of ``rows``.
    failed
        Stem -> message for each sample that could not be evaluated.
    model_path, data_path
        Where the model (None for a model passed as an object) and data came from.
    settings
        ``threshold``, ``min_size``, ``match_threshold``, ``batch_size``, ``limit``.
    """

    model_name: str
    data_name: str
    rows: list[dict]
    summary: dict
    failed: dict[str, str]
    model_path: str | None = None
    data_path: str = ""
    settings: dict = field(default_factory=dict)


def list_samples(folder: str | os.PathLike) -> list[str]:
    """Stems of the complete samples of a generated data folder, sorted.

    A sample is complete when its record ``NNNNNN.json`` exists.

    Raises
    ------
    InputFileError
        If the folder does not exist or holds no record.
    """
    if not Path(folder).is_dir():
        raise InputFileError(f"{folder}: data folder not found")
    stems = files_list_samples(folder)
    if not stems:
        raise InputFileError(
            f"{folder}: no samples in data folder (expected NNNNNN.json records, "
            "as written by temdefects synth)"
        )
    return sorted(stems, key=lambda s: (int(s), s))


def unique_names(paths: Sequence[str | os.PathLike]) -> list[str]:
    """Short, distinct names for folders: the folder name, made unique if needed.

    Names shared by several paths get ``-<parent folder name>`` appended; if
    that still collides, ``-2``, ``-3`` ... in input order. The result depends
    only on the paths and their order.

    Examples
    --------
    >>> unique_names(["runs/a/m2", "runs/b/m2", "m1"])
    ['m2-a', 'm2-b', 'm1']
    """
    resolved = [Path(p).resolve() for p in paths]
    names = [p.name or "root" for p in resolved]
    for name in set(names):
        shared = [k for k, n in enumerate(names) if n == name]
        if len(shared) > 1:
            for k in shared:
                names[k] = f"{name}-{resolved[k].parent.name or 'root'}"
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}-{seen[name]}")
    return out


def curve_masks(curves, shape: tuple[int, int], width: float) -> np.ndarray:
    """(K, H, W) float32 masks: the pixels within ``width / 2`` of each ``(P, 2)`` curve.

    The generator's own rule for its true masks (exact distances to the polyline).
    """
    out = np.zeros((len(curves), *shape), np.float32)
    for mask, pts in zip(out, curves, strict=True):
        rows, cols, _, _ = band_distances(np.asarray(pts, np.float64), shape, width / 2.0)
        mask[rows, cols] = 1.0
    return out


def _mask_width(record: dict) -> float:
    try:
        return float(record["scene"]["drawing"]["mask_width"])
    except (KeyError, TypeError, ValueError):
        return DEFAULT_MASK_WIDTH


def _read_pair(folder: Path, name: str) -> tuple[np.ndarray, np.ndarray, float]:
    """Image (H, W), true masks (K, H, W) and mask width of a sample; InputFileError if unusable."""
    record = read_record(folder / f"{name}.json")
    files = record.get("files")
    if not isinstance(files, dict) or "image" not in files or "masks" not in files:
        raise InputFileError(f"{folder / name}.json: record lacks files.image / files.masks")
    path = folder / str(files["image"])
    image = imread_quiet(path)
    if image is None:
        raise InputFileError(f"{path}: cannot read image (missing or corrupted)")
    if image.ndim != 2 or image.dtype not in (np.uint8, np.uint16):
        raise InputFileError(
            f"{path}: expected an 8- or 16-bit greyscale image, "
            f"got shape {image.shape} {image.dtype}"
        )
    masks = read_masks(folder / str(files["masks"]))
    if masks.shape[1:] != image.shape:
        raise InputFileError(
            f"{folder / str(files['masks'])}: masks of size {masks.shape[1:]} "
            f"do not fit the image of size {image.shape}"
        )
    return image, masks, _mask_width(record)


def _batches(
    folder: Path, stems: list[str], batch_size: int, failed: dict[str, str]
) -> Iterator[list[tuple[str, np.ndarray, np.ndarray, float]]]:
    """Consecutive readable samples of equal image size, at most ``batch_size`` each."""
    pending: list[tuple[str, np.ndarray, np.ndarray, float]] = []
    for name in stems:
        try:
            image, masks, width = _read_pair(folder, name)
        except (TemdefectsError, OSError, ValueError) as exc:
            failed[name] = str(exc)
            continue
        if pending and pending[0][1].shape != image.shape:
            yield pending
            pending = []
        pending.append((name, image, masks, width))
        if len(pending) == batch_size:
            yield pending
            pending = []
    if pending:
        yield pending


def _check_options(threshold, min_size, match_threshold, batch_size, limit) -> None:
    def number(value, name):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
            raise ConfigError(f"{name}: expected a number, got {value!r}")

    number(threshold, "threshold")
    number(match_threshold, "match_threshold")
    if not 0.0 <= threshold <= 1.0:
        raise ConfigError(f"threshold: must be in [0, 1], got {threshold}")
    if not 0.0 < match_threshold <= 1.0:
        raise ConfigError(f"match_threshold: must be in (0, 1], got {match_threshold}")
    for name, value, low in (("min_size", min_size, 0), ("batch_size", batch_size, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ConfigError(f"{name}: expected an integer >= {low}, got {value!r}")
    if limit is not None and (
        isinstance(limit, bool) or not isinstance(limit, (int, np.integer)) or limit < 1
    ):
        raise ConfigError(f"limit: expected None or an integer >= 1, got {limit!r}")


def evaluate_model(
    model,
    folder: str | os.PathLike,
    *,
    threshold: float = 0.5,
    min_size: int = 10,
    match_threshold: float = 0.5,
    batch_size: int = 4,
    limit: int | None = None,
    progress: bool = False,
    model_name: str | None = None,
    data_name: str | None = None,
    instances: str = "curves",
    postprocess_options=None,
    flatten: float = DEFAULT_FLATTEN,
    contrast: str = "global",
) -> EvalResult:
    """Score a model on every sample of a generated data folder.

    Parameters
    ----------
    model : DislocationNet or path
        A network (see :func:`temdefects.models.load`) or its model folder.
    folder : path
        A folder written by ``temdefects synth`` (``NNNNNN.json`` records with
        their ``.png`` image and ``.npz`` masks).
    threshold, min_size, match_threshold
        As in :func:`temdefects.metrics.evaluate_image`.
    batch_size : int
        Images per forward pass; only consecutive images of equal size share one.
    limit : int, optional
        Evaluate only the first ``limit`` samples (in sorted order).
    progress : bool
        Show a progress bar on standard error.
    model_name, data_name : str, optional
        Names for tables; default the folder names (``"model"`` for an object).
    instances : {"curves", "masks"}
        Score the post-processed curves drawn as masks (what ``temdefects
        analyze`` reports) or the network's own masks (see the module docstring).
    postprocess_options : PostprocessOptions, optional
        Post-processing of ``"curves"`` (default: the analysis defaults with
        ``threshold``). With ``"curves"``, ``threshold`` binarises the network's
        masks before post-processing, as in the analysis, and ``min_size`` is
        not used (the drawn curves are scored as drawn).
    flatten : float
        Background flattening of ``"curves"`` in px, as in the analysis
        (:func:`temdefects.dislocations.analysis.pipeline.flatten_background`; 0: off).
        ``"masks"`` (the paper's protocol) feeds the images as they are.
    contrast : {"global", "local"}
        The input contrast of ``"curves"``, as in the analysis (a model
        adapted with ``"local"`` stores it in its record).

    Returns
    -------
    EvalResult

    Raises
    ------
    InputFileError
        If the model or data folder is missing or unusable, or no sample at
        all could be evaluated.
    ConfigError
        If an option is out of range.
    """
    _check_options(threshold, min_size, match_threshold, batch_size, limit)
    try:
        check_flatten(flatten)
        check_contrast(contrast)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if instances not in INSTANCES:
        raise ConfigError(f"instances: expected one of {', '.join(INSTANCES)}, got {instances!r}")
    post = None
    if instances == "curves":
        post = postprocess_options or PostprocessOptions(threshold=threshold)
    model_path = None
    if isinstance(model, (str, os.PathLike)):
        model_path = str(model)
        model = load(model)
    channels = model.config.in_channels
    if channels != 1:
        raise TemdefectsError(
            f"{model_path or 'model'}: expects {channels} input channels; "
            "evaluation feeds greyscale images (1 channel)"
        )
    folder = Path(folder)
    stems = list_samples(folder)[:limit]
    model_name = model_name or (Path(model_path).resolve().name if model_path else "model")
    data_name = data_name or folder.resolve().name
    options = {"threshold": threshold, "min_size": min_size, "match_threshold": match_threshold}
    if instances == "curves":  # drawn curves are clean masks: score them as drawn
        options = {"threshold": 0.5, "min_size": 0, "match_threshold": match_threshold}

    rows: list[dict] = []
    failed: dict[str, str] = {}
    bar = tqdm(
        total=len(stems),
        desc=f"{model_name} on {data_name}",
        unit="img",
        disable=not progress,
        file=sys.stderr,
    )
    try:
        for batch in _batches(folder, stems, batch_size, failed):
            images = [image for _, image, _, _ in batch]
            if instances == "curves":
                images = [model_input(image, flatten, contrast)[1] for image in images]
            probs, objectness = predict(model, images, batch_size=batch_size)
            for k, (name, _, masks, width) in enumerate(batch):
                p = probs[k]
                if instances == "curves":
                    found = postprocess(
                        p,
                        objectness=None if objectness is None else objectness[k],
                        options=post,
                    )
                    p = curve_masks([d.points for d in found], masks.shape[1:], width)
                rows.append({"image": name, **evaluate_image(p, masks, **options)})
            bar.update(len(rows) + len(failed) - bar.n)
        bar.update(len(rows) + len(failed) - bar.n)
    finally:
        bar.close()
    if not rows:
        first = next(iter(failed.values()))
        raise InputFileError(
            f"{folder}: none of the {len(stems)} samples could be evaluated (first: {first})"
        )
    return EvalResult(
        model_name=model_name,
        data_name=data_name,
        rows=rows,
        summary=aggregate(rows),
        failed=failed,
        model_path=model_path,
        data_path=str(folder),
        settings={
            "threshold": threshold,
            "min_size": min_size,
            "match_threshold": match_threshold,
            "batch_size": batch_size,
            "limit": limit,
            "instances": instances,
            **(
                {
                    "postprocess": asdict(post),
                    "flatten": flatten,
                    **({"contrast": contrast} if contrast != "global" else {}),
                }
                if instances == "curves"
                else {}
            ),
        },
    )
