"""Post-processing chosen on labelled frames, stored with a model, used by ``analyze``.

A model fine-tuned on a user's frames sees their lines at its own contrast:
the mask threshold and the gap over which curve pieces are joined that suit
the synthetic data rarely suit it. Measured on ``twip-8um`` (issue 16,
``benchmarks/realdata_adapt.py``, 49 held-out frames): the same adapted U-Net
scores strict instance F1 0.073 with the default post-processing and 0.190
with the entry of :data:`GRID` chosen on its 10 training frames.

So ``temdefects finetune`` chooses the entry with the best strict F1 (a curve
matches a labelled line when the larger of the two mean nearest-point
distances is at most 3 px, one-to-one; :mod:`temdefects.metrics.curvematch`)
on its validation frames and writes it into the model's ``config.json`` under
``postprocess``; ``temdefects analyze`` then uses those values for every option
the user does not give (:func:`model_postprocess`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from temdefects.dislocations.analysis.postprocess import PostprocessOptions, postprocess
from temdefects.metrics.curvematch import match_by_distance

__all__ = [
    "CHOSEN_KEYS",
    "CORNER_ANGLES",
    "GRID",
    "MATCH_DISTANCE",
    "choose_postprocess",
    "describe_choice",
    "model_postprocess",
    "record_entry",
    "store_postprocess",
    "strict_scores",
]

#: The candidates: mask threshold x join gap (px) x shortest curve kept (px), trace
#: method, then the ridge tracker (its own gap and turn defaults) at each threshold
#: and shortest curve. 25 px is the default shortest curve; 60 px drops the short
#: pieces a model trained on other frames leaves on texture, slip-trace edges and
#: dirt. Ties go to the earlier entry.
GRID = tuple(
    PostprocessOptions(threshold=t, join_gap=g, min_length=m)
    for m in (25.0, 60.0)
    for g in (60.0, 20.0, 0.0)
    for t in (0.5, 0.3)
) + tuple(
    PostprocessOptions(method="ridge", threshold=t, min_length=m)
    for m in (25.0, 60.0)
    for t in (0.5, 0.3)
)
#: Tried on the best grid entry afterwards: traced curves cut where they turn by
#: more than this many degrees within 10 px (kept only when it scores better).
CORNER_ANGLES = (45.0,)
#: Options a model record may set (the others keep the command's defaults).
CHOSEN_KEYS = ("method", "threshold", "join_gap", "min_length", "corner_angle")
#: Chosen values that mean something else for another method (not carried over to it).
METHOD_KEYS = ("join_gap", "corner_angle")
MATCH_DISTANCE = 3.0  # px, the strict rule


def strict_scores(cached: Sequence, options: PostprocessOptions) -> dict:
    """Strict instance scores of one post-processing over cached network outputs.

    Parameters
    ----------
    cached
        Per frame ``(probs, objectness, labels)``: the (N, H, W) mask
        probabilities, the (N,) objectness or None, and the labelled centre
        lines as (P, 2) arrays in the same coordinates as the curves.
    options
        The post-processing to score.

    Returns
    -------
    dict with ``labels``, ``predictions``, ``matched``, ``recall``,
    ``precision`` (a lower bound when labels are partial) and ``f1``.
    """
    n_l = n_p = matched = 0
    for probs, obj, labels in cached:
        preds = [d.points for d in postprocess(probs, objectness=obj, options=options)]
        n_l += len(labels)
        n_p += len(preds)
        matched += match_by_distance(labels, preds, max_distance=MATCH_DISTANCE).matched
    return {
        "labels": n_l,
        "predictions": n_p,
        "matched": matched,
        "recall": matched / max(n_l, 1),
        "precision": matched / max(n_p, 1),
        "f1": 2 * matched / max(n_l + n_p, 1),
    }


def choose_postprocess(
    cached: Sequence, grid: Sequence[PostprocessOptions] = GRID
) -> tuple[PostprocessOptions, list[dict]]:
    """The grid entry with the best strict F1 (ties: the earlier entry) and every row.

    The winner (trace method) is then tried with each of :data:`CORNER_ANGLES`
    and replaced when that scores a strictly better F1.

    Raises
    ------
    ValueError
        When ``cached`` holds no labelled line (nothing to choose on).
    """
    if not sum(len(labels) for _, _, labels in cached):
        raise ValueError("choose_postprocess: the frames hold no labelled line")

    def row(option: PostprocessOptions) -> dict:
        return {**{k: getattr(option, k) for k in CHOSEN_KEYS}, **strict_scores(cached, option)}

    rows = [row(o) for o in grid]
    best = int(np.argmax([r["f1"] for r in rows]))
    chosen, score = grid[best], rows[best]["f1"]
    if chosen.method == "trace":
        for angle in CORNER_ANGLES:
            option = replace(chosen, corner_angle=angle)
            rows.append(row(option))
            if rows[-1]["f1"] > score:
                chosen, score = option, rows[-1]["f1"]
    return chosen, rows


def model_postprocess(record: dict, given: dict) -> dict:
    """Keyword values for :class:`PostprocessOptions`: the user's, then the model's.

    Parameters
    ----------
    record
        The model's ``config.json``; its ``postprocess`` entry (if any) sets
        the :data:`CHOSEN_KEYS` the user did not give.
    given
        Option values from the command line, ``None`` where not given.

    Examples
    --------
    >>> model_postprocess({"postprocess": {"threshold": 0.3, "join_gap": 20.0}},
    ...                   {"threshold": None, "join_gap": None, "min_size": 30})
    {'threshold': 0.3, 'join_gap': 20.0, 'min_size': 30}
    >>> model_postprocess({}, {"threshold": None, "min_size": 30})
    {'min_size': 30}

    A method other than the stored one keeps its own join gap and corner cut:

    >>> model_postprocess({"postprocess": {"method": "trace", "join_gap": 20.0, "threshold": 0.3}},
    ...                   {"method": "ridge", "join_gap": None, "threshold": None})
    {'method': 'ridge', 'threshold': 0.3}
    """
    stored = dict(record.get("postprocess") or {})
    if given.get("method") not in (None, stored.get("method", "trace")):
        for key in METHOD_KEYS:
            stored.pop(key, None)
    out = {}
    for key, value in given.items():
        if value is None and key in CHOSEN_KEYS and stored.get(key) is not None:
            value = stored[key]
        if value is not None:
            out[key] = value
    return out


def record_options(record: dict):
    """The :class:`~.pipeline.AnalysisOptions` a model's record implies.

    What ``temdefects analyze`` runs when no option is typed: the post-processing
    chosen for the model, and its input flattening, contrast and scale (the
    library's defaults where the record is silent). A bad record value raises
    ValueError naming the field.

    Examples
    --------
    >>> opt = record_options({"postprocess": {"threshold": 0.3}, "input": {"flatten": 0}})
    >>> opt.postprocess.threshold, opt.flatten, opt.contrast, opt.scale
    (0.3, 0.0, 'global', 1.0)
    """
    from temdefects.dislocations.analysis.pipeline import (
        AnalysisOptions,
        model_contrast,
        model_flatten,
        model_scale,
    )

    chosen = model_postprocess(record, dict.fromkeys(CHOSEN_KEYS))
    return AnalysisOptions(
        postprocess=PostprocessOptions(**chosen),
        flatten=model_flatten(record, None),
        contrast=model_contrast(record, None),
        scale=model_scale(record, None),
    )


def describe_choice(entry: dict) -> str:
    """The chosen values of a stored ``postprocess`` entry, for a command's summary line.

    >>> describe_choice({"threshold": 0.3, "join_gap": 20.0, "min_length": 60.0})
    'threshold 0.3, join gap 20 px, shortest curve 60 px'
    >>> describe_choice({"method": "ridge", "threshold": 0.5, "join_gap": 6.0})
    'ridge tracking, threshold 0.5, join gap 6 px'
    """
    text = f"threshold {entry['threshold']:g}, join gap {entry['join_gap']:g} px"
    if entry.get("method", "trace") != "trace":
        text = f"{entry['method']} tracking, {text}"
    if entry.get("min_length") is not None:
        text += f", shortest curve {entry['min_length']:g} px"
    if entry.get("corner_angle", 180.0) < 180.0:
        text += f", cut at turns over {entry['corner_angle']:g} degrees"
    return text


def record_entry(options: PostprocessOptions, rows: list[dict], chosen_on: str) -> dict:
    """What a model record stores: the chosen values, where, and the score table."""
    full = asdict(options)
    return {
        **{k: full[k] for k in CHOSEN_KEYS},
        "chosen_on": chosen_on,
        "rule": f"strict: larger mean nearest-point distance <= {MATCH_DISTANCE:g} px, one-to-one",
        "grid": rows,
    }


def store_postprocess(
    model_dir: str | os.PathLike,
    frames: str | os.PathLike,
    names: Sequence[str] | None = None,
) -> dict | None:
    """Choose the post-processing on labelled ``frames`` and write it into the model record.

    ``names`` limits the choice to those samples of the folder (default: all).
    Returns the stored entry, or None when the frames hold no centre line.
    """
    from temdefects.models import load, predict
    from temdefects.models.folder import update_config
    from temdefects.synth.dislocations.files import read_sample
    from temdefects.synth.files import list_samples

    model_dir, frames = Path(model_dir), Path(frames)
    model = load(model_dir)
    cached = []
    for name in list_samples(frames) if names is None else names:
        sample = read_sample(frames, name)
        longest = (max(segs, key=len) for segs in sample.lines if segs)
        labels = [np.asarray(p, float) for p in longest if len(p) >= 5]
        probs, obj = predict(model, sample.image)
        cached.append((probs, obj, labels))
    try:
        options, rows = choose_postprocess(cached)
    except ValueError:
        return None
    entry = record_entry(options, rows, str(frames.resolve()))
    update_config(model_dir, postprocess=entry)
    return entry
