"""Dislocation loops and black dots in irradiated steels (Shen et al. 2021).

Geometry of detected defects ("Module B": watershed and ellipse fitting in
each box), readers of hand-labelled ground truth, detection tables, and the
evaluation of detections against ground truth (precision/recall/F1 over IoU
thresholds, confusion matrix, per-class scores, diameters and densities):
NumPy, SciPy, scikit-image and OpenCV only, exported here.

The detector ("Module A", torchvision Faster R-CNN) lives in submodules that
import torch only when used: :mod:`~temdefects.loops.detector` (network and
input channels), :mod:`~temdefects.loops.model` (model folders, the shipped
default), :mod:`~temdefects.loops.detect` (one image through Modules A and
B), :mod:`~temdefects.loops.training` (``temdefects loops train``). See
``docs/loops.md``.
"""

from temdefects.loops.defects import CLASSES, Defects
from temdefects.loops.evaluate import (
    IOU_THRESHOLDS,
    SCORE_THRESHOLDS,
    BoxMatch,
    ConfusionMatrix,
    DetectionScores,
    LoopEvaluation,
    box_iou,
    class_scores,
    class_statistics,
    confusion_matrix,
    defect_sizes,
    evaluate_loops,
    match_boxes,
    pr_table,
    size_comparison,
)
from temdefects.loops.geometry import (
    DefectGeometry,
    areal_density,
    defect_area,
    defect_diameter,
    detect_polarity,
    ellipse_from_moments,
    ellipse_from_points,
    fit_defects,
    px_to_nm,
)
from temdefects.loops.groundtruth import (
    TRUTH_FORMATS,
    TruthSet,
    detect_truth_format,
    polygon_ellipse,
    read_box_txt,
    read_coco,
    read_imagej_csv,
    read_truth,
    read_yolo_polygons,
)
from temdefects.loops.report import write_evaluation
from temdefects.loops.table import (
    TABLE_COLUMNS,
    read_detections,
    read_detections_folder,
    write_detections,
    write_summary_csv,
)

__all__ = [
    "CLASSES",
    "IOU_THRESHOLDS",
    "SCORE_THRESHOLDS",
    "TABLE_COLUMNS",
    "TRUTH_FORMATS",
    "BoxMatch",
    "ConfusionMatrix",
    "DefectGeometry",
    "Defects",
    "DetectionScores",
    "LoopEvaluation",
    "TruthSet",
    "areal_density",
    "box_iou",
    "class_scores",
    "class_statistics",
    "confusion_matrix",
    "defect_area",
    "defect_diameter",
    "defect_sizes",
    "detect_polarity",
    "detect_truth_format",
    "ellipse_from_moments",
    "ellipse_from_points",
    "evaluate_loops",
    "fit_defects",
    "match_boxes",
    "polygon_ellipse",
    "pr_table",
    "px_to_nm",
    "read_box_txt",
    "read_coco",
    "read_detections",
    "read_detections_folder",
    "read_imagej_csv",
    "read_truth",
    "read_yolo_polygons",
    "size_comparison",
    "write_detections",
    "write_evaluation",
    "write_summary_csv",
]
