import json

import cv2
import numpy as np

from temdefects.cli.main import main
from temdefects.synth.config import load_config
from temdefects.synth.dislocations.scene import generate


def test_bgcrops_avoids_excluded_regions_and_reports_bad_files(tmp_path, capsys):
    images, masks, out = tmp_path / "img", tmp_path / "lab", tmp_path / "crops"
    images.mkdir()
    masks.mkdir()
    rng = np.random.default_rng(0)
    img = (rng.random((120, 160)) * 200).astype(np.uint8)
    cv2.imwrite(str(images / "f1.png"), img)
    label = np.full((120, 160), 255, np.uint8)
    label[:, 60:70] = 0  # a dark stroke to avoid
    cv2.imwrite(str(masks / "f1.png"), label)
    cv2.imwrite(str(images / "f2.png"), (rng.random((50, 50)) * 65535).astype(np.uint16))
    (images / "broken.png").write_bytes(b"garbage")
    code = main(
        [
            "bgcrops",
            str(images),
            "-o",
            str(out),
            "--size",
            "32",
            "--per-image",
            "6",
            "--exclude",
            str(masks),
            "--exclude-dark",
            "--margin",
            "2",
        ]
    )
    stdout, err = capsys.readouterr()
    assert code == 1 and "broken.png" in err
    index = json.loads((out / "crops.json").read_text())["crops"]
    f1 = [c for c in index if c["source"].endswith("f1.png")]
    assert f1
    for c in f1:
        assert c["x"] + c["size"] <= 58 or c["x"] >= 72
        crop = cv2.imread(str(out / c["crop"]), cv2.IMREAD_UNCHANGED)
        assert np.array_equal(crop, img[c["y"] : c["y"] + 32, c["x"] : c["x"] + 32])
    f2 = [c for c in index if c["source"].endswith("f2.png")]
    assert f2 and cv2.imread(str(out / f2[0]["crop"]), cv2.IMREAD_UNCHANGED).dtype == np.uint16


def test_bgcrops_empty_folder(tmp_path, capsys):
    code = main(["bgcrops", str(tmp_path), "-o", str(tmp_path / "o")])
    assert code == 1 and "no image files" in capsys.readouterr().err


def test_shape_library_from_labelme_drives_the_generator(tmp_path, capsys):
    doc = {
        "shapes": [
            {
                "label": "dislocation",
                "shape_type": "linestrip",
                "points": [[0, 0], [20, 30], [40, 35], [80, 0]],
            }
        ]
    }
    (tmp_path / "a.json").write_text(json.dumps(doc))
    lib = tmp_path / "lib.json"
    assert main(["shapes", str(tmp_path / "a.json"), "-o", str(lib)]) == 0
    config = load_config(
        "m2",
        overrides={
            "size": [96, 96],
            "microstructure": {"shape": {"library": str(lib), "library_probability": 1.0}},
        },
    )
    s = generate(config, 0, 0)
    assert {d["shape"] for d in s.scene["dislocations"]} == {"library:a:0"}
    (tmp_path / "bad.json").write_text("{")
    code = main(["shapes", str(tmp_path / "bad.json"), "-o", str(tmp_path / "x.json")])
    assert code == 1 and "not a labelme" in capsys.readouterr().err
