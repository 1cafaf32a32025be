"""Detected loops against ground truth: assessments 2-4 of Shen et al. (2021).

* Detection regardless of class (assessment 2, Fig. 4): predicted and true
  boxes are matched one-to-one by :func:`scipy.optimize.linear_sum_assignment`
  on their IoU (most matches first, then the largest total IoU); a pair with
  IoU below the threshold is no match. Precision, recall and F1 are summed
  over images (micro average) on a grid of IoU thresholds and confidence
  thresholds (:func:`pr_table`).
* Classification of the found defects (assessment 3, Tables 1-2): the
  class-agnostic pairs at one IoU threshold give a confusion matrix, rows
  true class, columns predicted class, plus a ``missed`` column (true defects
  without a match) and a ``spurious`` row (predictions without a match).
  Per class, precision is the diagonal over its column and recall the
  diagonal over its row, so misses and spurious detections count.
* Geometry (assessment 4, Table 3): per class, mean and standard deviation
  of the diameter and the areal densities of predictions and of ground truth
  (:func:`class_statistics`). A defect without an ellipse takes the ellipse
  inscribed in its box.

Ratios with a zero denominator follow :func:`temdefects.metrics.matching.safe_ratio`:
0/0 counts as 1.0 (nothing to find and nothing found is perfect).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from temdefects.loops.defects import CLASSES, Defects
from temdefects.loops.geometry import areal_density, defect_area, defect_diameter
from temdefects.loops.table import SUMMARY_COLUMNS
from temdefects.metrics.matching import assign_pairs, detection_counts

__all__ = [
    "IOU_THRESHOLDS",
    "SCORE_THRESHOLDS",
    "BoxMatch",
    "ConfusionMatrix",
    "DetectionScores",
    "LoopEvaluation",
    "box_iou",
    "class_scores",
    "class_statistics",
    "confusion_matrix",
    "defect_sizes",
    "evaluate_loops",
    "match_boxes",
    "pr_table",
    "size_comparison",
]

IOU_THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
SCORE_THRESHOLDS = (
    0.001,
    0.005,
    0.01,
    0.05,
    0.1,
    0.15,
    0.2,
    0.25,
    0.3,
    0.35,
    0.4,
    0.45,
    0.5,
    0.55,
    0.6,
)
MISSED, SPURIOUS = "missed", "spurious"
#: Per-class statistics compared by :func:`size_comparison` (the summary table's columns).
STAT_KEYS = SUMMARY_COLUMNS[SUMMARY_COLUMNS.index("count") : SUMMARY_COLUMNS.index("length_unit")]


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of every pair of ``x, y, width, height`` boxes.

    Parameters
    ----------
    a : ndarray (N, 4)
    b : ndarray (M, 4)

    Returns
    -------
    ndarray (N, M) float64 in [0, 1].

    Examples
    --------
    >>> box_iou([[0, 0, 2, 2]], [[1, 0, 2, 2], [5, 5, 1, 1]]).round(3).tolist()
    [[0.333, 0.0]]
    """
    a = _boxes(a, "a")
    b = _boxes(b, "b")
    ax0, ay0, ax1, ay1 = a[:, 0], a[:, 1], a[:, 0] + a[:, 2], a[:, 1] + a[:, 3]
    bx0, by0, bx1, by1 = b[:, 0], b[:, 1], b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]
    iw = np.clip(np.minimum(ax1[:, None], bx1[None]) - np.maximum(ax0[:, None], bx0[None]), 0, None)
    ih = np.clip(np.minimum(ay1[:, None], by1[None]) - np.maximum(ay0[:, None], by0[None]), 0, None)
    inter = iw * ih
    union = (a[:, 2] * a[:, 3])[:, None] + (b[:, 2] * b[:, 3])[None] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def _boxes(boxes, name: str) -> np.ndarray:
    arr = np.asarray(boxes, np.float64)
    if arr.size == 0:
        return arr.reshape(0, 4)
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise ValueError(f"{name} must be (N, 4) x, y, width, height boxes, got shape {arr.shape}")
    if not np.isfinite(arr).all() or (arr[:, 2:] < 0).any():
        raise ValueError(f"{name}: boxes must be finite with width and height >= 0")
    return arr


@dataclass(frozen=True)
class DetectionScores:
    """Counts and rates of a matching (one image, or summed over images)."""

    n_pred: int
    n_true: int
    tp: int
    fp: int
    fn: int
    precision: float
    recall: float
    f1: float

    @classmethod
    def from_counts(cls, *, n_pred: int, n_true: int, tp: int) -> DetectionScores:
        """Scores of ``tp`` matches among ``n_pred`` predictions and ``n_true`` truths."""
        return cls(**detection_counts(n_pred, n_true, tp))


@dataclass(frozen=True)
class BoxMatch:
    """Result of :func:`match_boxes`.

    Attributes
    ----------
    threshold : float
        Minimum IoU of a match.
    class_aware : bool
        Whether only boxes of the same class could match.
    scores : DetectionScores
        Counts, precision, recall, F1.
    pairs : tuple of (int, int, float)
        ``(pred_index, true_index, iou)`` per match, sorted by true index.
    """

    threshold: float
    class_aware: bool
    scores: DetectionScores
    pairs: tuple[tuple[int, int, float], ...]


def match_boxes(
    pred_boxes: np.ndarray,
    true_boxes: np.ndarray,
    *,
    threshold: float = 0.4,
    pred_classes: Sequence[str] | None = None,
    true_classes: Sequence[str] | None = None,
    iou: np.ndarray | None = None,
) -> BoxMatch:
    """Match predicted to true boxes one-to-one by IoU.

    Parameters
    ----------
    pred_boxes : ndarray (N, 4)
    true_boxes : ndarray (M, 4)
        ``x, y, width, height`` boxes.
    threshold : float
        Minimum IoU, in (0, 1], of a matched pair.
    pred_classes, true_classes : sequence of str, optional
        Give both for class-aware matching (pairs of different classes cannot
        match); give neither for class-agnostic matching.
    iou : ndarray (N, M), optional
        The IoU matrix when already computed.

    Returns
    -------
    BoxMatch

    Raises
    ------
    ValueError
        For malformed boxes, a threshold outside (0, 1], only one list of
        classes, or classes of the wrong length.

    Examples
    --------
    >>> t = [[0, 0, 10, 10], [20, 0, 10, 10]]
    >>> m = match_boxes([[1, 0, 10, 10], [50, 50, 5, 5]], t, threshold=0.5)
    >>> m.scores.tp, m.scores.fp, m.scores.fn, m.pairs[0][:2]
    (1, 1, 1, (0, 0))
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    p, t = _boxes(pred_boxes, "pred_boxes"), _boxes(true_boxes, "true_boxes")
    if iou is None:
        iou = box_iou(p, t)
    class_aware = pred_classes is not None or true_classes is not None
    if class_aware:
        if pred_classes is None or true_classes is None:
            raise ValueError("class-aware matching needs both pred_classes and true_classes")
        if len(pred_classes) != len(p) or len(true_classes) != len(t):
            raise ValueError("pred_classes and true_classes must have one class per box")
        iou = _same_class(iou, pred_classes, true_classes)
    matched = sorted(assign_pairs(iou, threshold), key=lambda rc: rc[1])
    pairs = tuple((r, c, float(iou[r, c])) for r, c in matched)
    return BoxMatch(
        threshold=float(threshold),
        class_aware=class_aware,
        scores=DetectionScores.from_counts(n_pred=len(p), n_true=len(t), tp=len(pairs)),
        pairs=pairs,
    )


def _same_class(iou: np.ndarray, pred_classes, true_classes) -> np.ndarray:
    """``iou`` with the pairs of different classes set to 0 (they cannot match)."""
    same = np.array(pred_classes, object)[:, None] == np.array(true_classes, object)[None]
    return np.where(same.reshape(iou.shape), iou, 0.0)


def pr_table(
    images: Sequence[tuple[Defects, Defects]],
    *,
    iou_thresholds: Sequence[float] = IOU_THRESHOLDS,
    score_thresholds: Sequence[float] = SCORE_THRESHOLDS,
    class_aware: bool = False,
) -> list[dict]:
    """Precision, recall and F1 on a grid of IoU and score thresholds.

    Parameters
    ----------
    images : sequence of (Defects, Defects)
        ``(predicted, true)`` per image.
    iou_thresholds, score_thresholds : sequence of float
        Minimum IoU of a match; minimum score of a prediction that counts.
    class_aware : bool
        Only boxes of the same class can match (Shen et al.'s score);
        by default any two boxes can.

    Returns
    -------
    list of dict
        One row per (score, iou) with keys ``score, iou`` and those of
        :class:`DetectionScores`, counts summed over the images.

    Examples
    --------
    >>> d = Defects.from_lists([[0, 0, 4, 4]], ["dot"], scores=[0.3])
    >>> rows = pr_table([(d, d)], iou_thresholds=[0.5], score_thresholds=[0.1, 0.5])
    >>> [(r["score"], r["recall"]) for r in rows]
    [(0.1, 1.0), (0.5, 0.0)]
    >>> t = Defects.from_lists([[0, 0, 4, 4]], ["loop111"])
    >>> pr_table([(d, t)], iou_thresholds=[0.5], score_thresholds=[0.1], class_aware=True)[0]["tp"]
    0
    """
    counts = {(s, u): [0, 0, 0] for s in score_thresholds for u in iou_thresholds}
    for pred, true in images:
        iou_all = box_iou(pred.boxes, true.boxes)
        if class_aware:
            iou_all = _same_class(iou_all, pred.classes, true.classes)
        for s in score_thresholds:
            keep = pred.scores >= s
            iou = iou_all[keep]
            for u in iou_thresholds:
                c = counts[(s, u)]
                c[0] += int(keep.sum())
                c[1] += len(true)
                c[2] += len(assign_pairs(iou, u))
    return [
        {
            "score": float(s),
            "iou": float(u),
            **asdict(DetectionScores.from_counts(n_pred=c[0], n_true=c[1], tp=c[2])),
        }
        for (s, u), c in counts.items()
    ]


@dataclass(frozen=True)
class ConfusionMatrix:
    """Classes of matched defects (Shen et al. 2021, Table 1).

    Attributes
    ----------
    rows : tuple of str
        True classes then ``"spurious"`` (predictions without a match).
    columns : tuple of str
        Predicted classes then ``"missed"`` (true defects without a match).
    counts : tuple of tuple of int
        ``counts[i][j]``: defects of true class ``rows[i]`` predicted as
        ``columns[j]``; the ``spurious``/``missed`` corner is always 0.
    """

    rows: tuple[str, ...]
    columns: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]

    def as_array(self) -> np.ndarray:
        """The counts as an int64 array."""
        return np.array(self.counts, np.int64)

    def to_dict(self) -> dict:
        """``{true: {predicted: count}}``."""
        return {
            r: dict(zip(self.columns, row, strict=True))
            for r, row in zip(self.rows, self.counts, strict=True)
        }


def confusion_matrix(
    images: Sequence[tuple[Defects, Defects]],
    *,
    threshold: float = 0.4,
    min_score: float = 0.0,
    classes: Sequence[str] = CLASSES,
) -> ConfusionMatrix:
    """Confusion matrix of class-agnostic matches, summed over images.

    Parameters
    ----------
    images : sequence of (Defects, Defects)
        ``(predicted, true)`` per image.
    threshold : float
        Minimum IoU of a match.
    min_score : float
        Predictions scoring below are dropped first.
    classes : sequence of str
        Row/column order.

    Examples
    --------
    >>> t = Defects.from_lists([[0, 0, 4, 4], [10, 0, 4, 4]], ["loop111", "dot"])
    >>> p = Defects.from_lists([[0, 0, 4, 4], [30, 0, 4, 4]], ["dot", "dot"])
    >>> cm = confusion_matrix([(p, t)], threshold=0.5)
    >>> d = cm.to_dict()
    >>> d["loop111"]["dot"], d["dot"]["missed"], d["spurious"]["dot"]
    (1, 1, 1)
    """
    from sklearn.metrics import confusion_matrix as sk_confusion

    classes = tuple(classes)
    k = len(classes)
    y_true, y_pred = [], []  # an unmatched truth is predicted MISSED; a spurious box is
    for pred, true in images:  # the truth SPURIOUS
        pred = pred.select(pred.scores >= min_score)
        m = match_boxes(pred.boxes, true.boxes, threshold=threshold)
        found_p = {p for p, _, _ in m.pairs}
        found_t = {t for _, t, _ in m.pairs}
        y_true += [true.classes[t] for _, t, _ in m.pairs]
        y_pred += [pred.classes[p] for p, _, _ in m.pairs]
        missed = [c for t, c in enumerate(true.classes) if t not in found_t]
        spurious = [c for p, c in enumerate(pred.classes) if p not in found_p]
        y_true += missed + [SPURIOUS] * len(spurious)
        y_pred += [MISSED] * len(missed) + spurious
    labels = [*classes, SPURIOUS, MISSED]
    full = sk_confusion(y_true, y_pred, labels=labels) if y_true else np.zeros((k + 2, k + 2))
    keep_rows, keep_cols = [*range(k), k], [*range(k), k + 1]
    counts = full[np.ix_(keep_rows, keep_cols)]
    return ConfusionMatrix(
        rows=(*classes, SPURIOUS),
        columns=(*classes, MISSED),
        counts=tuple(tuple(int(v) for v in row) for row in counts),
    )


def class_scores(cm: ConfusionMatrix) -> dict[str, dict]:
    """Per-class precision, recall and F1 from a confusion matrix (Table 2).

    Returns
    -------
    dict
        Class -> ``{"n_pred", "n_true", "tp", "precision", "recall", "f1"}``.

    Examples
    --------
    >>> cm = ConfusionMatrix(("a", "spurious"), ("a", "missed"), ((3, 1), (1, 0)))
    >>> class_scores(cm)["a"]["precision"], class_scores(cm)["a"]["recall"]
    (0.75, 0.75)
    """
    counts = cm.as_array()
    out = {}
    for i, cls in enumerate(cm.rows[:-1]):
        tp, n_pred, n_true = int(counts[i, i]), int(counts[:, i].sum()), int(counts[i, :].sum())
        s = DetectionScores.from_counts(n_pred=n_pred, n_true=n_true, tp=tp)
        out[cls] = {
            k: getattr(s, k) for k in ("n_pred", "n_true", "tp", "precision", "recall", "f1")
        }
    return out


def defect_sizes(defects: Defects) -> tuple[np.ndarray, np.ndarray]:
    """Paper's diameter and ellipse area per defect, px and px^2.

    A defect without an ellipse takes the ellipse inscribed in its box
    (axes = box sides).
    """
    ell = defects.ellipses
    known = defects.has_ellipse
    w, h = defects.boxes[:, 2], defects.boxes[:, 3]
    major = np.where(known, ell[:, 2], np.maximum(w, h))
    minor = np.where(known, ell[:, 3], np.minimum(w, h))
    return defect_diameter(major, minor, defects.classes), defect_area(major, minor)


def class_statistics(
    defects: Mapping[str, Defects],
    *,
    shapes: Mapping[str, tuple[int, int]] | None = None,
    pixel_size: float | None = None,
    source: str = "",
) -> list[dict]:
    """Per-class count, diameter statistics and densities over a set of images.

    Parameters
    ----------
    defects : mapping
        Image stem -> :class:`Defects`.
    shapes : mapping, optional
        Image stem -> ``(height, width)``; densities are None unless every
        image's size is known.
    pixel_size : float, optional
        nm per px: diameters in nm and number densities in m^-2 when given,
        else px and px^-2.
    source : str
        Written into each row (``"pred"``, ``"truth"``).

    Returns
    -------
    list of dict
        One row per class and one for ``"all"``, with the keys of
        :data:`temdefects.loops.table.SUMMARY_COLUMNS`: ``mean_diameter``,
        ``std_diameter`` (sample standard deviation) and ``sem_diameter``
        (standard error of the mean, the paper's "standard deviation of mean
        diameter"), ``areal_density`` (summed defect area over image area,
        dimensionless, the paper's definition) and ``number_density``
        (defects per area). Statistics of fewer than 1 (mean) or 2 (std)
        defects are None.

    Examples
    --------
    >>> d = Defects.from_lists([[0, 0, 4, 2], [0, 0, 8, 2]], ["loop111", "loop111"])
    >>> row = class_statistics({"a": d}, shapes={"a": (10, 10)})[0]
    >>> row["count"], row["mean_diameter"], round(row["areal_density"], 4)
    (2, 6.0, 0.1885)
    """
    scale = 1.0 if pixel_size is None else float(pixel_size)
    if not scale > 0:
        raise ValueError(f"pixel_size must be > 0 nm, got {pixel_size}")
    stems = list(defects)
    shapes = shapes or {}
    known = bool(stems) and all(s in shapes for s in stems)
    image_area = sum(shapes[s][0] * shapes[s][1] for s in stems) if known else 0
    classes, diam, area = [], [], []
    for s in stems:
        d, a = defect_sizes(defects[s])
        classes.extend(defects[s].classes)
        diam.append(d)
        area.append(a)
    classes_arr = np.array(classes, object)
    diam_all = np.concatenate(diam) if diam else np.zeros(0)
    area_all = np.concatenate(area) if area else np.zeros(0)
    rows = []
    for cls in (*CLASSES, "all"):
        sel = np.ones(len(classes_arr), bool) if cls == "all" else classes_arr == cls
        d = diam_all[sel] * scale
        n = int(sel.sum())
        std = float(np.std(d, ddof=1)) if n >= 2 else None
        rows.append(
            {
                "source": source,
                "class": cls,
                "count": n,
                "mean_diameter": float(np.mean(d)) if n else None,
                "std_diameter": std,
                "sem_diameter": std / np.sqrt(n) if std is not None else None,
                "areal_density": areal_density(area_all[sel], [image_area]) if known else None,
                "number_density": (
                    n / (image_area * scale**2) * (1e18 if pixel_size else 1.0) if known else None
                ),
                "length_unit": "px" if pixel_size is None else "nm",
                "density_unit": "px^-2" if pixel_size is None else "m^-2",
            }
        )
    return rows


def _rel(pred: float | None, true: float | None) -> float | None:
    if pred is None or true is None or true == 0:
        return None
    return 100.0 * (pred - true) / true


def size_comparison(pred_rows: Sequence[dict], true_rows: Sequence[dict]) -> list[dict]:
    """Table 3: truth and prediction statistics per class, with relative errors in %."""
    out = []
    for p, t in zip(pred_rows, true_rows, strict=True):
        row = {"class": t["class"]}
        for key in STAT_KEYS:
            row[f"truth_{key}"] = t[key]
            row[f"pred_{key}"] = p[key]
        for key in ("mean_diameter", "areal_density", "number_density"):
            row[f"error_{key}_percent"] = _rel(p[key], t[key])
        row["length_unit"], row["density_unit"] = t["length_unit"], t["density_unit"]
        out.append(row)
    return out


@dataclass(frozen=True)
class LoopEvaluation:
    """Result of :func:`evaluate_loops`; :meth:`to_dict` is JSON-ready.

    Attributes
    ----------
    images : tuple of str
        Stems evaluated (with both predictions and truth).
    pred_only, truth_only : tuple of str
        Stems with predictions but no truth, and the reverse (not evaluated).
    threshold, min_score, pixel_size
        IoU threshold of a match, minimum score of a prediction, nm per px.
    detection, detection_class_aware : DetectionScores
        Summed over images, class-agnostic and class-aware matching.
    per_image : tuple of dict
        ``image`` and the class-agnostic :class:`DetectionScores` fields.
    pr_table : tuple of dict
        Rows of :func:`pr_table` over the IoU and score grids.
    confusion : ConfusionMatrix
    per_class : dict
        :func:`class_scores` of the confusion matrix.
    sizes_pred, sizes_truth, sizes : tuple of dict
        :func:`class_statistics` of predictions and truth, and their
        :func:`size_comparison`.
    """

    images: tuple[str, ...]
    pred_only: tuple[str, ...]
    truth_only: tuple[str, ...]
    threshold: float
    min_score: float
    pixel_size: float | None
    detection: DetectionScores
    detection_class_aware: DetectionScores
    per_image: tuple[dict, ...]
    pr_table: tuple[dict, ...]
    confusion: ConfusionMatrix
    per_class: dict
    sizes_pred: tuple[dict, ...]
    sizes_truth: tuple[dict, ...]
    sizes: tuple[dict, ...]

    def to_dict(self) -> dict:
        """Plain, JSON-serialisable dict."""
        out = {}
        for key in self.__dataclass_fields__:
            value = getattr(self, key)
            if isinstance(value, DetectionScores):
                value = asdict(value)
            elif isinstance(value, ConfusionMatrix):
                value = {
                    "rows": list(value.rows),
                    "columns": list(value.columns),
                    "counts": [list(r) for r in value.counts],
                }
            elif isinstance(value, tuple):
                value = list(value)
            out[key] = value
        return out


def evaluate_loops(
    pred: Mapping[str, Defects],
    truth: Mapping[str, Defects],
    *,
    threshold: float = 0.4,
    min_score: float = 0.0,
    shapes: Mapping[str, tuple[int, int]] | None = None,
    pixel_size: float | None = None,
    iou_thresholds: Sequence[float] = IOU_THRESHOLDS,
    score_thresholds: Sequence[float] = SCORE_THRESHOLDS,
) -> LoopEvaluation:
    """Assessments 2-4 of predictions against ground truth over a set of images.

    Parameters
    ----------
    pred, truth : mapping
        Image stem -> :class:`Defects`. Only stems in both are evaluated; the
        others are listed in the result.
    threshold : float
        IoU threshold of a match for the summary, confusion matrix and
        per-image scores (the paper uses 0.4).
    min_score : float
        Predictions scoring below are dropped (except in the P/R/F1 grid,
        which sweeps ``score_thresholds`` itself; ``min_score`` is added to it).
    shapes : mapping, optional
        Image stem -> ``(height, width)`` for the densities.
    pixel_size : float, optional
        nm per px for diameters and densities.
    iou_thresholds, score_thresholds : sequence of float
        Grids of the P/R/F1 table.

    Returns
    -------
    LoopEvaluation
    """
    common = tuple(sorted(set(pred) & set(truth)))
    pairs = [(pred[s].select(pred[s].scores >= min_score), truth[s]) for s in common]
    per_image, total, total_aware = [], [0, 0, 0], 0
    for stem, (p, t) in zip(common, pairs, strict=True):
        m = match_boxes(p.boxes, t.boxes, threshold=threshold)
        total_aware += len(
            match_boxes(
                p.boxes,
                t.boxes,
                threshold=threshold,
                pred_classes=p.classes,
                true_classes=t.classes,
            ).pairs
        )
        total = [total[0] + len(p), total[1] + len(t), total[2] + m.scores.tp]
        per_image.append({"image": stem, **asdict(m.scores)})
    scores = sorted({*score_thresholds, float(min_score)})
    cm = confusion_matrix(pairs, threshold=threshold)
    sizes_pred = class_statistics(
        {s: p for s, (p, _) in zip(common, pairs, strict=True)},
        shapes=shapes,
        pixel_size=pixel_size,
        source="pred",
    )
    sizes_truth = class_statistics(
        {s: truth[s] for s in common}, shapes=shapes, pixel_size=pixel_size, source="truth"
    )
    return LoopEvaluation(
        images=common,
        pred_only=tuple(sorted(set(pred) - set(truth))),
        truth_only=tuple(sorted(set(truth) - set(pred))),
        threshold=float(threshold),
        min_score=float(min_score),
        pixel_size=None if pixel_size is None else float(pixel_size),
        detection=DetectionScores.from_counts(n_pred=total[0], n_true=total[1], tp=total[2]),
        detection_class_aware=DetectionScores.from_counts(
            n_pred=total[0], n_true=total[1], tp=total_aware
        ),
        per_image=tuple(per_image),
        pr_table=tuple(
            pr_table(
                [(pred[s], truth[s]) for s in common],
                iou_thresholds=iou_thresholds,
                score_thresholds=scores,
            )
        ),
        confusion=cm,
        per_class=class_scores(cm),
        sizes_pred=tuple(sizes_pred),
        sizes_truth=tuple(sizes_truth),
        sizes=tuple(size_comparison(sizes_pred, sizes_truth)),
    )
