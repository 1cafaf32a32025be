import json

import numpy as np
import pytest

from temdefects.errors import InputFileError
from temdefects.synth.dislocations.shapes import from_labelme, load_library, normalise, save_library


def test_normalise_maps_chord_to_unit_x():
    pts = np.array([[10.0, 20.0], [15.0, 25.0], [30.0, 20.0], [40.0, 60.0]])
    out = normalise(pts, max_points=8)
    assert np.allclose(out[0], [0, 0]) and np.allclose(out[-1], [1, 0])
    assert len(out) == 4  # never more points than given
    straight = np.array([[0.0, 0.0], [1.0, 0.0], [7.0, 0.0], [10.0, 0.0]])
    assert np.allclose(normalise(straight, max_points=3), [[0, 0], [0.5, 0], [1, 0]])
    assert np.allclose(normalise(out), out)  # idempotent


def test_normalise_rejects_degenerate():
    with pytest.raises(ValueError, match="coincide"):
        normalise(np.array([[1.0, 1.0], [3.0, 3.0], [1.0, 1.0]]))
    with pytest.raises(ValueError, match="expected"):
        normalise(np.array([1.0, 2.0]))


def test_labelme_import_and_library_round_trip(tmp_path):
    doc = {
        "version": "5.4.1",
        "shapes": [
            {
                "label": "dislocation",
                "shape_type": "linestrip",
                "points": [[10, 10], [30, 18], [60, 12]],
            },
            {"label": "dislocation", "shape_type": "polygon", "points": [[5, 5], [8, 40], [4, 80]]},
            {"label": "dirt", "shape_type": "circle", "points": [[1, 1], [3, 3]]},
            {"label": "dislocation", "shape_type": "line", "points": [[0, 0], [2, 1]]},  # too short
            {"label": "trace", "shape_type": "line", "points": [[0, 0], [90, 0]]},
        ],
    }
    path = tmp_path / "frame.json"
    path.write_text(json.dumps(doc))
    shapes = from_labelme(path, labels={"dislocation"})
    assert sorted(shapes) == ["frame:0", "frame:1"]
    assert len(from_labelme(path)) == 3
    lib = tmp_path / "lib.json"
    save_library(lib, shapes)
    back = load_library(lib)
    assert sorted(back) == sorted(shapes)
    for k in shapes:
        assert np.allclose(back[k], shapes[k], atol=1e-6)


def test_bad_libraries(tmp_path):
    with pytest.raises(InputFileError, match="not found"):
        load_library(tmp_path / "none.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "other"}')
    with pytest.raises(InputFileError, match="not a valid shape library"):
        load_library(bad)
    assert load_library(None) == {}
    assert "bow" in load_library("builtin")
    with pytest.raises(InputFileError, match="not a labelme"):
        from_labelme(bad)
