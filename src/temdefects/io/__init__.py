"""Readers and writers: images, masks, records; atomic writes everywhere."""

from temdefects.io.atomic import atomic_write_bytes, atomic_write_json, atomic_write_text
from temdefects.io.frames import (
    SUPPORTED_SUFFIXES,
    Frame,
    count_frames,
    expand_inputs,
    iter_frames,
)
from temdefects.io.imagej import read_imagej_rois, write_imagej_rois
from temdefects.io.images import encode_png, read_grey, write_png
from temdefects.io.labelme import LabelmeDoc, labelme_to_masks, read_labelme, write_labelme
from temdefects.io.labels import strokes_to_masks

__all__ = [
    "SUPPORTED_SUFFIXES",
    "Frame",
    "LabelmeDoc",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "count_frames",
    "encode_png",
    "expand_inputs",
    "iter_frames",
    "labelme_to_masks",
    "read_grey",
    "read_imagej_rois",
    "read_labelme",
    "strokes_to_masks",
    "write_imagej_rois",
    "write_labelme",
    "write_png",
]
