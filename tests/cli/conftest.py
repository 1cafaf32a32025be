"""Shared fixtures of the CLI tests: a tiny folder of frames with hand labels."""

import json

import cv2
import numpy as np
import pytest


def write_frame(folder, name, rng):
    image = (rng.random((64, 96)) * 120 + 60).astype(np.uint8)
    cv2.line(image, (5, 10), (90, 20), 20, 2)
    cv2.line(image, (10, 50), (80, 40), 20, 2)
    cv2.imwrite(str(folder / f"{name}.png"), image)
    strokes = np.full((64, 96), 255, np.uint8)
    cv2.line(strokes, (5, 10), (90, 20), 0, 1)
    cv2.line(strokes, (10, 50), (80, 40), 0, 1)
    return strokes


@pytest.fixture()
def labelled(tmp_path):
    images, labels = tmp_path / "images", tmp_path / "labels"
    images.mkdir()
    labels.mkdir()
    rng = np.random.default_rng(0)
    for i in range(3):
        strokes = write_frame(images, f"frame_{i}", rng)
        cv2.imwrite(str(labels / f"FRAME_{i}.PNG"), strokes)  # case differs, as in real sets
    doc = {
        "version": "5.4.1",
        "imagePath": "images/frame_0.png",
        "imageHeight": 64,
        "imageWidth": 96,
        "shapes": [
            {"label": "dislocation", "shape_type": "linestrip", "points": [[5, 10], [90, 20]]},
            {"label": "trace", "shape_type": "line", "points": [[0, 0], [95, 63]]},
        ],
    }
    (tmp_path / "frame_0.json").write_text(json.dumps(doc))
    return tmp_path
