"""A particle model on a generated folder: segmentation Dice, detection, classification.

Per image, the pipeline (:func:`~temdefects.particles.pipeline.analyze_particles`,
at the pixel size stored in the image's record) is compared with the ground
truth:

* ``dice``: the thresholded probability against ``labels > 0``;
* detection: predicted and true particles are matched one to one by IoU
  (Hungarian assignment; a pair needs IoU >= ``min_iou``, 0.5 by default),
  giving precision, recall and F1 (0/0 counts as 1);
* classification of the matched particles: the predicted class against the
  class in the generator's particle table (``accuracy``, confusion matrix);
* ``gt_mask_accuracy``: the classifier alone, on the features of the true
  particle masks (what the classifier can do with a perfect segmentation).

Pooled results add the counts of all images (``dice_pooled`` over all pixels).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

from temdefects.errors import InputFileError
from temdefects.metrics.matching import assign_pairs
from temdefects.particles.classify import confusion

PER_IMAGE_COLUMNS = (
    "image",
    "true_particles",
    "predicted_particles",
    "matched",
    "precision",
    "recall",
    "f1",
    "dice",
    "accuracy",
    "gt_mask_accuracy",
)


def iou_labels(pred: np.ndarray, true: np.ndarray) -> np.ndarray:
    """IoU matrix (P, T) between the labels 1..P of ``pred`` and 1..T of ``true``.

    Examples
    --------
    >>> a = np.array([[1, 1, 0, 2]]); b = np.array([[1, 0, 0, 1]])
    >>> iou_labels(a, b).round(2).tolist()
    [[0.33], [0.5]]
    """
    pred, true = np.asarray(pred), np.asarray(true)
    if pred.shape != true.shape:
        raise ValueError(f"iou_labels: shapes {pred.shape} and {true.shape} differ")
    p, t = int(pred.max(initial=0)), int(true.max(initial=0))
    joint = np.bincount(
        pred.ravel().astype(np.int64) * (t + 1) + true.ravel(), minlength=(p + 1) * (t + 1)
    ).reshape(p + 1, t + 1)
    inter = joint[1:, 1:].astype(np.float64)
    union = joint[1:, :].sum(1)[:, None] + joint[:, 1:].sum(0)[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def match_labels(pred: np.ndarray, true: np.ndarray, *, min_iou: float = 0.5) -> list:
    """One-to-one pairs ``(pred id, true id, iou)`` with IoU >= ``min_iou`` (most
    matches first, :func:`temdefects.metrics.matching.assign_pairs`)."""
    iou = iou_labels(pred, true)
    return [(r + 1, c + 1, float(iou[r, c])) for r, c in assign_pairs(iou, min_iou)]


def _ratio(num: float, den: float) -> float:
    return 1.0 if den == 0 else float(num) / float(den)


def evaluate_particle_model(
    model,
    folder: str | os.PathLike,
    *,
    names: list[str] | None = None,
    min_iou: float = 0.5,
    progress: bool = False,
) -> tuple[list[dict], dict]:
    """Evaluate ``model`` on the images ``names`` (default all) of a generated folder.

    Parameters
    ----------
    model
        A :class:`~temdefects.particles.pipeline.ParticleModel`.
    folder
        Written by ``temdefects particles synth`` (images, labels, records).
    names
        Image stems to use (default: every complete image, sorted).
    min_iou
        Least IoU of a matched pair of particles.
    progress
        Show a progress bar on stderr.

    Returns
    -------
    rows : list of dict
        One row per image with :data:`PER_IMAGE_COLUMNS`.
    summary : dict
        Pooled and mean metrics, confusion matrices (rows true, columns
        predicted, in the order of ``classes``).

    Raises
    ------
    InputFileError
        For a missing folder, record, image or label file.
    """
    from tqdm import tqdm

    from temdefects.particles.data import ground_truth_features, list_particle_samples
    from temdefects.particles.pipeline import analyze_particles
    from temdefects.particles.segment import dice_score
    from temdefects.synth.particles import CLASSES
    from temdefects.synth.particles.files import read_labels, read_particle_record

    folder = Path(folder)
    names = list(names) if names is not None else list_particle_samples(folder)
    classes = tuple(CLASSES)
    rows, true_all, pred_all, gt_true, gt_pred = [], [], [], [], []
    inter = total = tp = n_pred = n_true = 0
    for name in tqdm(names, desc="evaluate", unit="img", disable=not progress, file=sys.stderr):
        record = read_particle_record(folder / f"{name}.json")
        image = _read_image(folder, name)
        labels = read_labels(folder / f"{name}.npz")
        if labels.shape != image.shape:
            raise InputFileError(f"{folder / (name + '.npz')}: labels do not match the image")
        pixel = (record.get("scene") or {}).get("pixel_size_pm")
        result = analyze_particles(
            model, image, pixel_size=pixel / 1000.0 if pixel else None, rescale=True
        )
        table = {p["id"]: p["class"] for p in record["particles"]}
        pred_mask = result.probability >= model.instances.threshold
        true_mask = labels > 0
        inter += int((pred_mask & true_mask).sum())
        total += int(pred_mask.sum()) + int(true_mask.sum())
        pairs = match_labels(result.labels, labels, min_iou=min_iou)
        t_ids = [int(i) for i in np.unique(labels) if i > 0]
        p_cls = [r["class"] for r in result.rows]
        truth = [table.get(t, "") for _, t, _ in pairs]
        guess = [p_cls[p - 1] for p, _, _ in pairs]
        true_all += truth
        pred_all += guess
        x, y, _ = ground_truth_features(
            folder, [name], config=model.features, min_size=model.instances.min_size
        )
        g_pred = model.classifier.predict(x)[0] if len(y) else []
        gt_true += y
        gt_pred += list(g_pred)
        n_p, n_t, m = len(result.rows), len(t_ids), len(pairs)
        tp, n_pred, n_true = tp + m, n_pred + n_p, n_true + n_t
        rows.append(
            {
                "image": name,
                "true_particles": n_t,
                "predicted_particles": n_p,
                "matched": m,
                "precision": round(_ratio(m, n_p), 4),
                "recall": round(_ratio(m, n_t), 4),
                "f1": round(_ratio(2 * m, n_p + n_t), 4),
                "dice": round(dice_score(pred_mask, true_mask), 4),
                "accuracy": round(
                    _ratio(sum(a == b for a, b in zip(truth, guess, strict=True)), m), 4
                )
                if m
                else None,
                "gt_mask_accuracy": round(float(np.mean(np.asarray(y) == np.asarray(g_pred))), 4)
                if len(y)
                else None,
            }
        )
    summary = {
        "images": len(rows),
        "min_iou": min_iou,
        "classes": list(classes),
        "dice_pooled": _ratio(2 * inter, total),
        "dice_mean": float(np.mean([r["dice"] for r in rows])) if rows else None,
        "true_particles": n_true,
        "predicted_particles": n_pred,
        "matched": tp,
        "precision": _ratio(tp, n_pred),
        "recall": _ratio(tp, n_true),
        "f1": _ratio(2 * tp, n_pred + n_true),
        "accuracy": float(np.mean(np.asarray(true_all) == np.asarray(pred_all)))
        if true_all
        else None,
        "confusion": confusion(true_all, pred_all, classes),
        "gt_mask_accuracy": float(np.mean(np.asarray(gt_true) == np.asarray(gt_pred)))
        if gt_true
        else None,
        "gt_mask_confusion": confusion(gt_true, gt_pred, classes),
    }
    return rows, summary


def _read_image(folder: Path, name: str) -> np.ndarray:
    import cv2

    image = cv2.imread(str(folder / f"{name}.png"), cv2.IMREAD_UNCHANGED)
    if image is None or image.ndim != 2:
        raise InputFileError(f"{folder / (name + '.png')}: cannot read image")
    return image


__all__ = ["PER_IMAGE_COLUMNS", "evaluate_particle_model", "iou_labels", "match_labels"]
