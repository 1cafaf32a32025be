"""Files of ``temdefects loops detect``: overlay PNG per image and one COCO JSON per run."""

from __future__ import annotations

import numpy as np

from temdefects import __version__
from temdefects.loops.defects import CLASSES, Defects
from temdefects.synth.loops.preview import CLASS_COLOURS

__all__ = ["coco_detections", "loop_overlay"]


def loop_overlay(image: np.ndarray, defects: Defects) -> np.ndarray:
    """BGR uint8 image with each defect's box and ellipse in its class colour.

    Colours as Figure 3 of Shen et al.: a0/2<111> loops red, a0<100> loops
    yellow, black dots blue. ``image`` is any 2D numeric array.
    """
    import cv2

    from temdefects.io.images import prepare_image

    grey = (prepare_image(image) * 255 + 0.5).astype(np.uint8)
    out = cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)
    thick = 1 if max(grey.shape) <= 1024 else 2
    for i, cls in enumerate(defects.classes):
        colour = CLASS_COLOURS[cls]
        x, y, w, h = defects.boxes[i]
        cv2.rectangle(
            out, (int(x), int(y)), (int(np.ceil(x + w)) - 1, int(np.ceil(y + h)) - 1), colour, thick
        )
        if defects.has_ellipse[i]:
            cx, cy, major, minor, angle = defects.ellipses[i]
            cv2.ellipse(
                out,
                ((float(cx), float(cy)), (float(major), float(minor)), float(angle)),
                colour,
                thick,
                cv2.LINE_AA,
            )
    return out


def coco_detections(images: list[tuple[str, tuple[int, int], Defects]]) -> dict:
    """A COCO document of detections: images, annotations with score and ellipse.

    ``images`` holds ``(file_name, (height, width), defects)`` per image; image
    ids count from 1 in the order given. ``bbox`` is ``[x, y, width, height]``
    in px, ``ellipse`` ``[cx, cy, major, minor, angle]`` (pixel centres at
    integers, as the detection tables) or absent when none was fitted.

    Examples
    --------
    >>> d = Defects.from_lists([[1, 2, 3, 4]], ["dot"], scores=[0.5])
    >>> doc = coco_detections([("a.png", (8, 8), d)])
    >>> doc["annotations"][0]["bbox"], doc["annotations"][0]["category_id"]
    ([1.0, 2.0, 3.0, 4.0], 3)
    """
    ids = {name: i + 1 for i, name in enumerate(CLASSES)}
    doc_images, annotations = [], []
    for k, (file_name, (h, w), defects) in enumerate(images, start=1):
        doc_images.append({"id": k, "file_name": file_name, "height": int(h), "width": int(w)})
        for i, cls in enumerate(defects.classes):
            x, y, bw, bh = (round(float(v), 3) for v in defects.boxes[i])
            ann = {
                "id": len(annotations) + 1,
                "image_id": k,
                "category_id": ids[cls],
                "bbox": [x, y, bw, bh],
                "area": round(bw * bh, 3),
                "score": round(float(defects.scores[i]), 5),
                "iscrowd": 0,
            }
            if defects.has_ellipse[i]:
                ann["ellipse"] = [round(float(v), 3) for v in defects.ellipses[i]]
            annotations.append(ann)
    return {
        "info": {
            "description": "temdefects loops detect",
            "version": __version__,
            "coordinates": "bbox [x, y, width, height] px; ellipse [cx, cy, major, minor, "
            "angle_deg] with pixel centres at integers, angle from x towards y",
        },
        "images": doc_images,
        "annotations": annotations,
        "categories": [
            {"id": i, "name": name, "supercategory": "defect"} for name, i in ids.items()
        ],
    }
