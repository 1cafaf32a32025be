"""The loop detector: torchvision Faster R-CNN with the paper's three input channels.

Shen et al. (2021) feed Faster R-CNN (VGG-16, ImageNet weights) an RGB image
made of the raw STEM image, its CLAHE-enhanced copy and a Gaussian-blurred
copy (scikit-image defaults). Nothing may download here, so the network is
trained from scratch: a ResNet-18 feature pyramid (strides 4-64, so black
dots of 4 px still reach an anchor) with a narrower pyramid and box head than
torchvision's default, which keeps the stored half-precision weights small.

Images are resized so their longer side is ``input_size`` px before detection
(the scale the model was trained at), or to a scale chosen from the image
(``factor="auto"``, :mod:`temdefects.loops.tiling`); working images larger than
the training size are detected in tiles. Boxes are mapped back to the input's px.
"""

from __future__ import annotations

import types
from dataclasses import dataclass

import cv2
import numpy as np
import torch
from torch import nn

from temdefects.errors import ConfigError
from temdefects.schema import (
    bool_field,
    check_fields,
    choice_field,
    num_field,
    nums_field,
    parse_section,
    prob_field,
    strs_field,
    to_plain,
)
from temdefects.synth.loops.config import CLASSES

__all__ = [
    "CHANNELS",
    "INFERENCE_SETTINGS",
    "SCALES",
    "DetectorConfig",
    "build_detector",
    "detector_config_from_dict",
    "detector_input",
    "nested_in_higher",
    "resize_factor",
    "run_detector",
]

CHANNELS = ("raw-clahe-blur", "raw")
SCALES = ("longer-side", "auto")
CLAHE_TILE = 64  # px per CLAHE tile side
#: Settings that change how boxes are read from the network, not its weights.
INFERENCE_SETTINGS = ("scale", "nms", "detections_per_image", "nested", "class_agnostic")


_TRUNKS = {
    "resnet18": [64, 128, 256, 512],
    "resnet34": [64, 128, 256, 512],
    "resnet50": [256, 512, 1024, 2048],
}


@dataclass(frozen=True)
class DetectorConfig:
    """Architecture and input settings of a loop detector (stored with the weights).

    Each field declares its kind, bounds and meaning (:mod:`temdefects.schema`);
    they are checked both when the section is parsed from a mapping
    (:func:`detector_config_from_dict`) and when code builds one directly.
    """

    backbone: str = choice_field(
        "resnet18", tuple(_TRUNKS), doc="torchvision ResNet trunk, random initialisation"
    )
    fpn_channels: int = num_field(
        128, min=8, integer=True, doc="channels of every feature-pyramid level"
    )
    representation: int = num_field(
        512, min=8, integer=True, doc="width of the two fully connected layers of the box head"
    )
    anchor_sizes: tuple = nums_field(
        (8, 16, 32, 64, 128),
        min=1,
        integer=True,
        length=5,
        doc="one anchor size (px) per pyramid level, strides 4, 8, 16, 32, 64",
    )
    aspect_ratios: tuple = nums_field(
        (0.5, 1.0, 2.0),
        min=0.0,
        exclusive_min=True,
        doc="anchor height/width ratios at every level",
    )
    input_size: int = num_field(
        512,
        min=0,
        integer=True,
        doc="longer side (px) images are resized to before detection: 0 (native) or >= 64",
    )
    channels: str = choice_field(
        "raw-clahe-blur", CHANNELS, doc="the paper's three channels, or the raw image three times"
    )
    classes: tuple = strs_field(
        CLASSES,
        doc=f"class names of the outputs 1..K (0 is background), out of {', '.join(CLASSES)}",
    )
    detections_per_image: int = num_field(
        300, min=1, integer=True, doc="most boxes kept per image after non-maximum suppression"
    )
    nms: float = num_field(
        0.5, min=0.0, max=1.0, exclusive_min=True, doc="IoU of the non-maximum suppression"
    )
    scale: str = choice_field(
        "longer-side",
        SCALES,
        doc="working scale when none is asked for: longer side to input_size, or chosen "
        "from each image (temdefects.loops.tiling)",
    )
    nested: float = prob_field(
        0.0,
        doc="a box of which at least this fraction (of the smaller box's area) is shared "
        "with a higher-scoring box is dropped: one blob boxed twice, once whole and once "
        "by its core, counts once (0: off)",
    )
    class_agnostic: bool = bool_field(
        False,
        doc="one box per proposal instead of one per class: its score is the probability "
        "that it is a defect of any class (1 - p(background)), its class the most likely "
        "one, and non-maximum suppression runs across classes. Faster R-CNN's per-class "
        "boxes split an ambiguous defect (a small loop or a large dot) into two or three "
        "boxes with part of the probability each; the agnostic score keeps it whole",
    )

    def __post_init__(self) -> None:
        check_fields(self, "detector")
        # what the field declarations cannot say
        if 0 < self.input_size < 64:
            raise ConfigError(f"detector.input_size: expected 0 or >= 64, got {self.input_size}")
        for name in self.classes:
            if name not in CLASSES:
                raise ConfigError(f"detector.classes: unknown class {name!r}")

    def to_dict(self) -> dict:
        return to_plain(self)


def detector_config_from_dict(data: dict | None) -> DetectorConfig:
    """A :class:`DetectorConfig` from a (partial) mapping; errors name the dotted field.

    Examples
    --------
    >>> detector_config_from_dict({"nms": 0.4, "anchor_sizes": [4, 8, 16, 32, 64]}).anchor_sizes
    (4, 8, 16, 32, 64)
    >>> detector_config_from_dict({"nms": 0})
    Traceback (most recent call last):
    ...
    temdefects.errors.ConfigError: detector.nms: must be > 0.0, got 0.0
    """
    return parse_section(DetectorConfig, data, "detector")


def build_detector(config: DetectorConfig | dict | None = None) -> nn.Module:
    """A randomly initialised torchvision Faster R-CNN for ``config`` (nothing downloads)."""
    import torchvision
    from torchvision.models.detection import FasterRCNN
    from torchvision.models.detection.anchor_utils import AnchorGenerator
    from torchvision.models.detection.backbone_utils import BackboneWithFPN
    from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
    from torchvision.ops import MultiScaleRoIAlign

    cfg = config if isinstance(config, DetectorConfig) else detector_config_from_dict(config)
    trunk = getattr(torchvision.models, cfg.backbone)(weights=None)
    backbone = BackboneWithFPN(
        trunk,
        return_layers={"layer1": "0", "layer2": "1", "layer3": "2", "layer4": "3"},
        in_channels_list=_TRUNKS[cfg.backbone],
        out_channels=cfg.fpn_channels,
    )
    anchors = AnchorGenerator(
        sizes=tuple((int(s),) for s in cfg.anchor_sizes),
        aspect_ratios=(tuple(float(a) for a in cfg.aspect_ratios),) * 5,
    )
    pool = MultiScaleRoIAlign(featmap_names=["0", "1", "2", "3"], output_size=7, sampling_ratio=2)
    head = TwoMLPHead(cfg.fpn_channels * 7 * 7, cfg.representation)
    size = cfg.input_size or 512
    model = FasterRCNN(
        backbone,
        min_size=size,
        max_size=size,
        image_mean=[0.0, 0.0, 0.0],
        image_std=[1.0, 1.0, 1.0],
        rpn_anchor_generator=anchors,
        box_roi_pool=pool,
        box_head=head,
        box_predictor=FastRCNNPredictor(cfg.representation, len(cfg.classes) + 1),
        box_detections_per_img=cfg.detections_per_image,
        box_nms_thresh=cfg.nms,
        box_score_thresh=0.001,
    )
    if cfg.class_agnostic:
        model.roi_heads.postprocess_detections = types.MethodType(
            _agnostic_postprocess, model.roi_heads
        )
    return model


def _agnostic_postprocess(heads, class_logits, box_regression, proposals, image_shapes):
    """torchvision ``RoIHeads.postprocess_detections`` with one box per proposal.

    Score: 1 - p(background); label: the most likely defect class; box: that
    class's regression; then score threshold, tiny boxes out, NMS across classes.
    """
    from torchvision.ops import boxes as box_ops

    counts = [len(p) for p in proposals]
    decoded = heads.box_coder.decode(box_regression, proposals).split(counts)
    probs = torch.softmax(class_logits, -1).split(counts)
    all_boxes, all_scores, all_labels = [], [], []
    for boxes, p, shape in zip(decoded, probs, image_shapes, strict=True):
        boxes = box_ops.clip_boxes_to_image(boxes, shape)
        fg = p[:, 1:]
        scores = fg.sum(1)
        labels = fg.argmax(1) + 1
        boxes = boxes[torch.arange(len(boxes), device=boxes.device), labels]
        keep = torch.where(scores > heads.score_thresh)[0]
        boxes, scores, labels = boxes[keep], scores[keep], labels[keep]
        keep = box_ops.remove_small_boxes(boxes, min_size=1e-2)
        boxes, scores, labels = boxes[keep], scores[keep], labels[keep]
        keep = box_ops.nms(boxes, scores, heads.nms_thresh)[: heads.detections_per_img]
        all_boxes.append(boxes[keep])
        all_scores.append(scores[keep])
        all_labels.append(labels[keep])
    return all_boxes, all_scores, all_labels


def detector_input(image: np.ndarray, channels: str = "raw-clahe-blur") -> np.ndarray:
    """The detector's ``(3, H, W)`` float32 input of a greyscale image.

    Channel 0 is the image clipped to its 0.5/99.5 percentiles, channel 1 its
    CLAHE, channel 2 its Gaussian blur (sigma 1), as in Shen et al., who used
    scikit-image's defaults; each channel is then standardised to zero mean
    and unit variance. CLAHE is OpenCV's with scikit-image's default clip
    limit (0.01 of a tile's pixels = OpenCV ``clipLimit`` 2.56) on 64 px
    tiles, which is scikit-image's default 1/8 of the image at the 512 px
    working size, and stays 64 px on training crops: 3 ms instead of 20 ms at
    512x512, correlation 0.999 with ``skimage.exposure.equalize_adapthist``.

    Examples
    --------
    >>> x = detector_input(np.arange(64 * 64, dtype=np.uint16).reshape(64, 64))
    >>> x.shape, x.dtype, [round(float(c.mean()), 5) + 0.0 for c in x]
    ((3, 64, 64), dtype('float32'), [0.0, 0.0, 0.0])
    """
    if channels not in CHANNELS:
        raise ValueError(f"channels: expected one of {', '.join(CHANNELS)}, got {channels!r}")
    from temdefects.io.images import prepare_image

    u = prepare_image(image)
    if channels == "raw":
        stack = [u, u, u]
    else:
        grid = (max(1, round(u.shape[1] / CLAHE_TILE)), max(1, round(u.shape[0] / CLAHE_TILE)))
        u8 = (u * 255.0 + 0.5).astype(np.uint8)
        clahe = cv2.createCLAHE(clipLimit=2.56, tileGridSize=grid).apply(u8)
        blur = cv2.GaussianBlur(u, (9, 9), 1.0, borderType=cv2.BORDER_REFLECT)
        stack = [u, clahe.astype(np.float32) / 255.0, blur]
    out = np.empty((3, *u.shape), np.float32)
    for k, ch in enumerate(stack):
        sd = float(ch.std())
        out[k] = (ch - ch.mean()) / (sd if sd > 1e-6 else 1.0)
    return out


def resize_factor(shape: tuple[int, int], input_size: int) -> float:
    """Scale that makes the longer side of ``shape`` equal ``input_size`` (1 when 0)."""
    return 1.0 if not input_size else input_size / max(shape)


def _set_size(model: nn.Module, h: int, w: int) -> None:
    """Make torchvision's transform keep an ``h x w`` input at its size."""
    model.transform.min_size = (min(h, w),)
    model.transform.max_size = max(h, w)


def _detect_at(
    model: nn.Module,
    config: DetectorConfig,
    image: np.ndarray,
    f: float,
    device: torch.device | str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Boxes (``xyxy`` in px of ``image``), 0-based labels and scores at factor ``f``.

    A working image larger than 1.25 x ``input_size`` is detected in tiles of
    ``input_size`` with a quarter tile of overlap (:mod:`temdefects.loops.tiling`).
    """
    from temdefects.loops.tiling import detect_tiled

    work = image.astype(np.float32)
    if abs(f - 1.0) > 1e-6:
        h, w = (max(8, round(s * f)) for s in image.shape)
        work = cv2.resize(work, (w, h), interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR)
    x = detector_input(work, config.channels)
    model.eval()
    tile = config.input_size
    if tile and max(work.shape) > 1.25 * tile:
        xyxy, labels, scores = detect_tiled(model, x, tile, tile // 4, device=device)
    else:
        _set_size(model, *work.shape)
        out = model([torch.from_numpy(x).to(device)])[0]
        xyxy = out["boxes"].cpu().double().numpy()
        labels = out["labels"].cpu().numpy()
        scores = out["scores"].cpu().double().numpy()
    sy, sx = image.shape[0] / work.shape[0], image.shape[1] / work.shape[1]
    xyxy = xyxy.reshape(-1, 4) * np.array([sx, sy, sx, sy])
    return xyxy, labels.astype(int) - 1, scores


def nested_in_higher(xyxy: np.ndarray, scores: np.ndarray, fraction: float) -> np.ndarray:
    """Which boxes share ``fraction`` of the smaller area with a kept higher-scoring box.

    Greedy, like non-maximum suppression: boxes are visited by falling score
    and a dropped box drops nothing else, so the boxes kept above any score
    threshold are the same whether it is applied before or after.

    Examples
    --------
    >>> boxes = np.array([[0, 0, 10, 10], [2, 2, 6, 6], [20, 20, 30, 30]], float)
    >>> nested_in_higher(boxes, np.array([0.9, 0.8, 0.7]), 0.8).tolist()
    [False, True, False]
    """
    n = len(xyxy)
    dropped = np.zeros(n, bool)
    if n < 2:
        return dropped
    order = np.argsort(-scores, kind="stable")
    b = xyxy[order]
    area = np.clip(b[:, 2] - b[:, 0], 0, None) * np.clip(b[:, 3] - b[:, 1], 0, None)
    kept = np.zeros(n, bool)
    for i in range(n):
        k = np.flatnonzero(kept[:i])
        if len(k):
            w = np.minimum(b[k, 2], b[i, 2]) - np.maximum(b[k, 0], b[i, 0])
            h = np.minimum(b[k, 3], b[i, 3]) - np.maximum(b[k, 1], b[i, 1])
            inter = np.clip(w, 0, None) * np.clip(h, 0, None)
            small = np.maximum(np.minimum(area[k], area[i]), 1e-9)
            if (inter / small >= fraction).any():
                continue
        kept[i] = True
    dropped[order] = ~kept
    return dropped


@torch.no_grad()
def run_detector(
    model: nn.Module,
    config: DetectorConfig,
    image: np.ndarray,
    *,
    min_score: float = 0.0,
    factor: float | str | None = None,
    decide_score: float = 0.5,
    device: torch.device | str = "cpu",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Boxes, class indices and scores of one greyscale image.

    Parameters
    ----------
    image : ndarray (H, W)
        Any numeric dtype.
    factor : float or "auto", optional
        Resampling before detection; default the model's ``input_size`` rule
        (longer side to ``input_size``). ``"auto"`` chooses it from the image
        (:func:`temdefects.loops.tiling.auto_factor`): a coarse pass, then a
        finer tiled one when the defects found are small or few, measured
        again at that scale, up to ``AUTO_PASSES`` passes in all.
    decide_score : float
        Score from which a coarse-pass box counts for the ``"auto"`` choice.

    Returns
    -------
    boxes : ndarray (N, 4) float64
        ``x, y, width, height`` in px of ``image``.
    labels : ndarray (N,) int
        Index into ``config.classes``.
    scores : ndarray (N,) float64
    """
    from temdefects.loops.tiling import AUTO_PASSES, auto_factor

    image = np.asarray(image)
    if image.ndim != 2 or min(image.shape) < 8:
        raise ValueError(f"expected a 2D image of at least 8x8 px, got shape {image.shape}")
    coarse = resize_factor(image.shape, config.input_size)
    if isinstance(factor, str):
        if factor != "auto":
            raise ValueError(f"factor: expected a number or 'auto', got {factor!r}")
        f = coarse
        xyxy, labels, scores = _detect_at(model, config, image, f, device)
        for _ in range(AUTO_PASSES - 1):  # a finer pass sees smaller defects: measure again
            sure = scores >= decide_score
            side = np.sqrt(
                np.clip(xyxy[sure, 2] - xyxy[sure, 0], 0, None)
                * np.clip(xyxy[sure, 3] - xyxy[sure, 1], 0, None)
            )
            finer = auto_factor(f, side * f, native=max(1.0, coarse))
            if finer <= f * 1.05:
                break
            f = finer
            xyxy, labels, scores = _detect_at(model, config, image, f, device)
    else:
        f = coarse if factor is None else float(factor)
        xyxy, labels, scores = _detect_at(model, config, image, f, device)
    keep = scores >= min_score
    if config.nested > 0:  # only boxes above min_score can drop one above it
        idx = np.flatnonzero(keep)
        keep[idx[nested_in_higher(xyxy[idx], scores[idx], config.nested)]] = False
    xyxy = xyxy[keep]
    boxes = np.stack(
        [xyxy[:, 0], xyxy[:, 1], xyxy[:, 2] - xyxy[:, 0], xyxy[:, 3] - xyxy[:, 1]], axis=1
    ).reshape(-1, 4)
    return boxes, labels[keep], scores[keep]
