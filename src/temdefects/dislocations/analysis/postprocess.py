"""From the N predicted masks of one image to dislocation curves.

Two methods (``PostprocessOptions.method``):

``trace`` (default, beyond the paper): the union of the masks (the maximum
probability over channels, leaving out channels the objectness head scores
below ``min_objectness``) is binarised at ``threshold`` and every line in it is
traced through the skeleton (:func:`temdefects.geometry.trace_lines`: junctions
cut the skeleton into branches, branches that continue each other across a
junction or a gap of up to ``join_gap`` px within ``join_angle`` degrees are
chained, and with ``corner_angle`` < 180 a chain is cut where it turns by more
than that many degrees within 10 px). The network's instance channels are then
used only for the score and the ``channel`` of each curve. Measured on
generated m1/m2 test sets this finds dislocations several times more reliably
than the paper's per-mask method with the shipped CPU model, whose channels
often split one line or hold several (see the model card).

``masks`` (Govind et al., section 6.4): one curve per predicted mask.

``ridge`` (beyond the paper): the union of the masks is traced along its
ridges with momentum (:func:`temdefects.geometry.ridges.trace_ridges`): from
the most probable pixels at or above ``threshold``, a tracker steps along the
ridge, keeps its heading through crossings, bridges up to ``join_gap`` px
where the map fades under 0.6 ``threshold`` and stops where its heading turns
by more than ``join_angle`` degrees within 8 px. Lines that touch or cross
stay apart, and a line does not go on into another one that it meets at an
angle. Then as ``trace`` (score, channel, the steps below).

1. Binarise every channel at ``threshold``; drop channels with fewer than
   ``min_size`` pixels (and, with an objectness head, those scored below
   ``min_objectness``).
2. Split a channel that holds several disjoint pieces into one candidate per
   piece of at least ``min_size`` pixels.
3. Merge duplicates: the paper calls two masks the same dislocation when their
   Dice loss is below 0.5, i.e. their Dice coefficient above ``merge_dice``
   (0.5); of such a group the most confident mask (highest mean probability,
   times the objectness when present) is kept.
4. Lee skeleton, the longest path through the skeleton graph (robust to spurs
   and small loops).
5. Join fragments (beyond the paper): curves whose ends lie within
   ``join_gap`` px and point at each other within ``join_angle`` degrees are
   one dislocation cut into pieces by the network
   (:func:`temdefects.geometry.join_fragments`). ``join_gap = 0`` turns this off.

Both methods then fit a smoothing spline with ``n_points`` equally spaced
points, measure length and curvature along it, drop curves shorter than
``min_length`` px and (beyond the paper) partial copies: longest first, a
curve with at least ``drop_covered`` of its points within ``cover_tolerance``
px of the curves kept so far is a piece of a dislocation already found
(:func:`temdefects.geometry.drop_covered`; ``drop_covered = 0`` turns this off).
Before that, curves with at least half of their points within ``edge_margin``
px of the frame's edge are dropped (beyond the paper): on real frames the
network answers the frame border itself (a dark rim, a step of the
background) with a line along it, and a dislocation hugging the edge cannot be
measured anyway (``edge_margin = 0`` turns this off).

``join_gap``, ``join_angle`` and ``min_length`` default to ``None``, which
takes the method's own value (trace: 60 px, 60 degrees, 25 px; masks: 15 px,
30 degrees, 10 px, chosen on generated tuning sets that no reported result
uses; ridge: 6 px, 35 degrees, 25 px, see ``docs/benchmarks.md``).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from temdefects.geometry import (
    curve_stats,
    drop_covered,
    fit_spline,
    join_fragments,
    mask_to_curve,
    split_components,
    trace_lines,
)
from temdefects.geometry.ridges import trace_ridges

METHODS = ("trace", "masks", "ridge")
#: Per-method defaults of the options left at ``None``: join_gap, join_angle, min_length.
METHOD_DEFAULTS = {
    "trace": (60.0, 60.0, 25.0),
    "masks": (15.0, 30.0, 10.0),
    "ridge": (6.0, 35.0, 25.0),
}
#: Options that turn off every step beyond the paper (one curve per mask, no joining,
#: no dropping of covered or edge curves): ``PostprocessOptions(**PAPER_OPTIONS)``.
PAPER_OPTIONS = {"method": "masks", "join_gap": 0.0, "drop_covered": 0.0, "edge_margin": 0.0}
#: Curves with at least this share of their points near the frame's edge are dropped.
EDGE_SHARE = 0.5


def edge_share(points: np.ndarray, shape: tuple[int, int], margin: float) -> float:
    """Share of the (P, 2) (x, y) ``points`` within ``margin`` px of a ``shape`` frame's edge."""
    pts = np.asarray(points, float)
    if len(pts) == 0:
        return 0.0
    h, w = shape
    x, y = pts[:, 0], pts[:, 1]
    near = np.minimum(np.minimum(x, w - 1 - x), np.minimum(y, h - 1 - y)) < margin
    return float(near.mean())


@dataclass(frozen=True)
class PostprocessOptions:
    method: str = "trace"
    threshold: float = 0.5
    min_size: int = 30
    merge_dice: float = 0.5
    min_length: float | None = None
    n_points: int = 50
    min_objectness: float = 0.0
    smoothing: float | None = None
    join_gap: float | None = None
    join_angle: float | None = None
    drop_covered: float = 0.7
    cover_tolerance: float = 3.0
    edge_margin: float = 3.0
    corner_angle: float = 180.0

    def __post_init__(self):
        if self.method not in METHODS:
            raise ValueError(f"method: expected one of {', '.join(METHODS)}, got {self.method!r}")
        # None takes the method's default; the stored options are always concrete.
        for name, value in zip(
            ("join_gap", "join_angle", "min_length"), METHOD_DEFAULTS[self.method], strict=True
        ):
            if getattr(self, name) is None:
                object.__setattr__(self, name, value)
        if not 0.0 < self.threshold < 1.0:
            raise ValueError(f"threshold: must be in (0, 1), got {self.threshold}")
        if not 0.0 < self.merge_dice <= 1.0:
            raise ValueError(f"merge_dice: must be in (0, 1], got {self.merge_dice}")
        if self.min_size < 1:
            raise ValueError(f"min_size: must be >= 1, got {self.min_size}")
        if self.n_points < 2:
            raise ValueError(f"n_points: must be >= 2, got {self.n_points}")
        # Written as "not (in range)" so that NaN fails every check.
        if not 0 <= self.min_length < float("inf"):
            raise ValueError(f"min_length: must be a finite number >= 0, got {self.min_length}")
        if not 0.0 <= self.min_objectness <= 1.0:
            raise ValueError(f"min_objectness: must be in [0, 1], got {self.min_objectness}")
        if not 0 <= self.drop_covered <= 1:
            raise ValueError(f"drop_covered: must be in [0, 1], got {self.drop_covered}")
        if not 0 < self.cover_tolerance < float("inf"):
            raise ValueError(
                f"cover_tolerance: must be a finite number > 0, got {self.cover_tolerance}"
            )
        if not 0 <= self.edge_margin < float("inf"):
            raise ValueError(f"edge_margin: must be a finite number >= 0, got {self.edge_margin}")
        if not 0 <= self.join_gap < float("inf"):
            raise ValueError(f"join_gap: must be a finite number >= 0, got {self.join_gap}")
        if not 0 <= self.join_angle <= 180:
            raise ValueError(f"join_angle: must be in [0, 180], got {self.join_angle}")
        if not 0 < self.corner_angle <= 180:
            raise ValueError(f"corner_angle: must be in (0, 180], got {self.corner_angle}")


@dataclass(frozen=True, eq=False)
class Dislocation:
    """One dislocation as a curve; coordinates in pixels, x = column, y = row."""

    id: int
    points: np.ndarray  # (n_points, 2)
    length: float  # px
    mean_curvature: float  # mean |curvature|, 1/px
    max_curvature: float  # 1/px
    score: float  # confidence in [0, 1]
    channel: int  # network output channel it came from
    area: int  # mask pixels of the dislocation (trace: union pixels within 3 px of it)


@dataclass(frozen=True, eq=False)
class _Candidate:
    mask: np.ndarray  # bool crop
    box: tuple[int, int, int, int]  # y0, x0, y1, x1 (exclusive)
    score: float
    channel: int


def _bbox(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    if rows.size == 0:
        return None
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1


def _dice(a: _Candidate, b: _Candidate) -> float:
    y0, x0 = max(a.box[0], b.box[0]), max(a.box[1], b.box[1])
    y1, x1 = min(a.box[2], b.box[2]), min(a.box[3], b.box[3])
    if y0 >= y1 or x0 >= x1:
        return 0.0
    ma = a.mask[y0 - a.box[0] : y1 - a.box[0], x0 - a.box[1] : x1 - a.box[1]]
    mb = b.mask[y0 - b.box[0] : y1 - b.box[0], x0 - b.box[1] : x1 - b.box[1]]
    inter = np.count_nonzero(ma & mb)
    return 2.0 * inter / (a.mask.sum() + b.mask.sum())


def candidates(
    probs: np.ndarray, objectness: np.ndarray | None, opt: PostprocessOptions
) -> list[_Candidate]:
    """Binarised, split candidate masks with their confidence (steps 1-2)."""
    out = []
    for c, prob in enumerate(probs):
        if objectness is not None and objectness[c] < opt.min_objectness:
            continue
        binary = prob > opt.threshold
        box = _bbox(binary)
        if box is None:
            continue
        y0, x0, y1, x1 = box
        crop, pcrop = binary[y0:y1, x0:x1], prob[y0:y1, x0:x1]
        if np.count_nonzero(crop) < opt.min_size:
            continue
        for piece in split_components(crop, min_size=opt.min_size):
            pb = _bbox(piece)
            sub = piece[pb[0] : pb[2], pb[1] : pb[3]]
            score = float(pcrop[pb[0] : pb[2], pb[1] : pb[3]][sub].mean())
            if objectness is not None:
                score *= float(objectness[c])
            out.append(_Candidate(sub, (y0 + pb[0], x0 + pb[1], y0 + pb[2], x0 + pb[3]), score, c))
    return out


def merge_duplicates(cands: list[_Candidate], merge_dice: float) -> list[_Candidate]:
    """Keep the most confident of every group of masks with Dice > ``merge_dice`` (step 3)."""
    kept: list[_Candidate] = []
    for cand in sorted(cands, key=lambda c: -c.score):
        if all(_dice(cand, k) <= merge_dice for k in kept):
            kept.append(cand)
    return kept


def postprocess(
    probs: np.ndarray,
    *,
    objectness: np.ndarray | None = None,
    options: PostprocessOptions | None = None,
) -> list[Dislocation]:
    """Dislocations from the (N, H, W) mask probabilities of one image.

    Parameters
    ----------
    probs
        Probabilities in [0, 1], one channel per predicted mask.
    objectness
        Optional (N,) per-channel probabilities of the objectness head.
    options
        Thresholds and sizes (see the module docstring).

    Returns
    -------
    Dislocations sorted by decreasing confidence, ids 1, 2, ...
    """
    opt = options or PostprocessOptions()
    probs = np.asarray(probs)
    if probs.ndim != 3:
        raise ValueError(f"postprocess: expected (N, H, W) probabilities, got {probs.shape}")
    if objectness is not None and np.shape(objectness) != (probs.shape[0],):
        raise ValueError(
            f"postprocess: objectness {np.shape(objectness)} does not match {probs.shape[0]} masks"
        )
    if opt.method in ("trace", "ridge"):
        found = _traced(probs, objectness, opt)
    else:
        found = _from_masks(probs, objectness, opt)
    if opt.edge_margin > 0:
        found = [
            f for f in found if edge_share(f.points, probs.shape[1:], opt.edge_margin) < EDGE_SHARE
        ]
    if opt.drop_covered > 0 and len(found) > 1:
        keep = drop_covered(
            [f.points for f in found], tolerance=opt.cover_tolerance, min_fraction=opt.drop_covered
        )
        found = [found[k] for k in keep]
    out = []
    for f in found:
        if f.stats.length < opt.min_length:
            continue
        out.append(
            Dislocation(
                id=len(out) + 1,
                points=f.points,
                length=float(f.stats.length),
                mean_curvature=float(f.stats.mean_abs_curvature),
                max_curvature=float(f.stats.max_abs_curvature),
                score=f.score,
                channel=f.channel,
                area=f.area,
            )
        )
    return out


@dataclass(frozen=True, eq=False)
class _Found:
    points: np.ndarray
    stats: object  # CurveStats
    score: float
    channel: int
    area: int


def _traced(probs: np.ndarray, objectness, opt: PostprocessOptions) -> list[_Found]:
    """Curves traced through the union of the masks, most confident first."""
    use = np.ones(len(probs), bool) if objectness is None else objectness >= opt.min_objectness
    if not use.any():
        return []
    chosen = probs[use]
    union = chosen.max(axis=0)
    binary = union > opt.threshold
    if opt.method == "ridge":
        paths = trace_ridges(
            union, threshold=opt.threshold, max_gap=round(opt.join_gap), max_turn=opt.join_angle
        )
    else:
        paths = trace_lines(
            binary,
            min_size=opt.min_size,
            max_gap=opt.join_gap,
            max_angle=opt.join_angle,
            max_turn=opt.corner_angle,
        )
    if not paths:
        return []
    channels = np.flatnonzero(use)
    h, w = union.shape
    found = []
    for path in paths:
        cols = np.clip(np.round(path[:, 0]), 0, w - 1).astype(np.intp)
        rows = np.clip(np.round(path[:, 1]), 0, h - 1).astype(np.intp)
        pts = fit_spline(path, n_points=opt.n_points, smoothing=opt.smoothing)
        owner = channels[chosen[:, rows, cols].argmax(axis=0)]  # the mask holding each pixel
        channel = int(np.bincount(owner).argmax())
        score = float(union[rows, cols].mean())
        if objectness is not None:
            score *= float(objectness[channel])
        found.append(_Found(pts, curve_stats(pts), score, channel, _band_area(binary, path)))
    return sorted(found, key=lambda f: -f.score)


def _band_area(binary: np.ndarray, path: np.ndarray, reach: int = 3) -> int:
    """Foreground pixels within about ``reach`` px of a traced pixel path."""
    x0, y0 = np.maximum(path.min(axis=0).astype(int) - reach, 0)
    x1, y1 = path.max(axis=0).astype(int) + reach + 1
    crop = binary[y0:y1, x0:x1]
    band = np.zeros(crop.shape, np.uint8)
    pts = np.round(path - [x0, y0]).astype(np.int32)
    cv2.polylines(band, [pts], False, 1, thickness=2 * reach + 1)
    return int(np.count_nonzero(crop & band.astype(bool)))


def _from_masks(probs: np.ndarray, objectness, opt: PostprocessOptions) -> list[_Found]:
    """One curve per predicted mask, fragments joined; most confident first."""
    pieces = []  # (points in image px, candidate, CurveResult)
    for cand in merge_duplicates(candidates(probs, objectness, opt), opt.merge_dice):
        curve = mask_to_curve(cand.mask, n_points=opt.n_points, min_size=1, smoothing=opt.smoothing)
        if curve is None:
            continue
        pieces.append((curve.points + np.array([cand.box[1], cand.box[0]], float), cand, curve))
    if opt.join_gap > 0 and len(pieces) > 1:
        chains = join_fragments(
            [p[0] for p in pieces], max_gap=opt.join_gap, max_angle=opt.join_angle
        )
    else:
        chains = [[(k, False)] for k in range(len(pieces))]
    found = []
    for chain in sorted(chains, key=lambda ch: -max(pieces[k][1].score for k, _ in ch)):
        members = [pieces[k] for k, _ in chain]
        if len(chain) == 1:  # the piece's own curve and statistics
            pts, stats = members[0][0], members[0][2].stats
        else:
            path = np.concatenate([pieces[k][0][::-1] if rev else pieces[k][0] for k, rev in chain])
            pts = fit_spline(path, n_points=opt.n_points, smoothing=opt.smoothing)
            stats = curve_stats(pts)
        lengths = np.array([max(curve.length, 1e-9) for _, _, curve in members])
        longest = members[int(np.argmax(lengths))][1]
        score = float(np.average([c.score for _, c, _ in members], weights=lengths))
        area = int(sum(c.mask.sum() for _, c, _ in members))
        found.append(_Found(pts, stats, score, longest.channel, area))
    return found
