import json

import cv2
import numpy as np
import pytest

from temdefects import __version__
from temdefects.errors import TemdefectsError
from temdefects.synth.dislocations.dataset import generate_dataset
from temdefects.synth.dislocations.files import read_record, read_sample
from temdefects.synth.dislocations.scene import render_scene

from .helpers import quiet_config

CONFIG = quiet_config(size=(96, 96))


def files_of(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_layout_and_record(tmp_path):
    report = generate_dataset(tmp_path / "d", CONFIG, count=3, seed=5, progress=False)
    assert report.written == [0, 1, 2] and not report.failed
    names = sorted(p.name for p in (tmp_path / "d").iterdir())
    assert names == [
        "000000.csv",
        "000000.json",
        "000000.npz",
        "000000.png",
        "000001.csv",
        "000001.json",
        "000001.npz",
        "000001.png",
        "000002.csv",
        "000002.json",
        "000002.npz",
        "000002.png",
        "dataset.json",
    ]
    record = read_record(tmp_path / "d" / "000001.json")
    assert record["temdefects_version"] == __version__
    assert record["seed"] == 5 and record["index"] == 1
    assert record["config"] == CONFIG.to_dict()
    sample = read_sample(tmp_path / "d", 1)
    assert sample.image.shape == (96, 96) and sample.image.dtype == np.uint8
    assert sample.masks.shape[0] == record["n_dislocations"] == len(sample.lines)
    again = render_scene(sample.scene)
    assert np.array_equal(again.image, sample.image) and np.array_equal(again.masks, sample.masks)
    for lines in sample.lines:
        for seg in lines:
            assert np.allclose(seg, np.round(seg, 2))


def test_output_does_not_depend_on_workers(tmp_path):
    generate_dataset(tmp_path / "one", CONFIG, count=4, seed=9, workers=1, progress=False)
    generate_dataset(tmp_path / "two", CONFIG, count=4, seed=9, workers=2, progress=False)
    assert files_of(tmp_path / "one") == files_of(tmp_path / "two")


def test_refuses_non_empty_and_overwrite_keeps_foreign_files(tmp_path):
    out = tmp_path / "d"
    generate_dataset(out, CONFIG, count=2, seed=1, progress=False)
    (out / "my_notes.txt").write_text("keep me")
    with pytest.raises(TemdefectsError, match="not empty"):
        generate_dataset(out, CONFIG, count=2, seed=1, progress=False)
    generate_dataset(out, CONFIG, count=1, seed=2, overwrite=True, progress=False)
    assert (out / "my_notes.txt").read_text() == "keep me"
    assert not (out / "000001.png").exists()
    assert json.loads((out / "dataset.json").read_text())["seed"] == 2


def test_resume_finishes_an_interrupted_run(tmp_path):
    ref, out = tmp_path / "ref", tmp_path / "out"
    generate_dataset(ref, CONFIG, count=4, seed=3, progress=False)
    generate_dataset(out, CONFIG, count=4, seed=3, progress=False)
    (out / "000002.json").unlink()  # the record is written last: image 2 is incomplete
    (out / "000003.png").unlink()
    report = generate_dataset(out, CONFIG, count=4, seed=3, resume=True, progress=False)
    assert report.written == [2, 3] and report.skipped == [0, 1]
    assert files_of(out) == files_of(ref)
    more = generate_dataset(out, CONFIG, count=6, seed=3, resume=True, progress=False)
    assert more.written == [4, 5]
    with pytest.raises(TemdefectsError, match="seed differs"):
        generate_dataset(out, CONFIG, count=6, seed=4, resume=True, progress=False)
    other = quiet_config(size=(64, 64))
    with pytest.raises(TemdefectsError, match="config differs"):
        generate_dataset(out, other, count=6, seed=3, resume=True, progress=False)


def test_bad_arguments(tmp_path):
    with pytest.raises(TemdefectsError, match="count"):
        generate_dataset(tmp_path / "a", CONFIG, count=0, seed=0, progress=False)
    with pytest.raises(TemdefectsError, match="workers"):
        generate_dataset(tmp_path / "a", CONFIG, count=1, seed=0, workers=0, progress=False)


def test_real_background_failures_are_reported_and_the_rest_finish(tmp_path):
    bgs = tmp_path / "bgs"
    bgs.mkdir()
    yy, xx = np.mgrid[0:80, 0:80]
    cv2.imwrite(str(bgs / "good.png"), ((xx + yy) % 256).astype(np.uint8))
    (bgs / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    config = quiet_config(size=(64, 64), background={"kind": "real"})
    report = generate_dataset(
        tmp_path / "d", config, count=8, seed=0, backgrounds=bgs, progress=False
    )
    assert report.failed and report.written
    assert len(report.failed) + len(report.written) == 8
    assert all("broken.png" in msg for msg in report.failed.values())
    record = read_record(tmp_path / "d" / f"{report.written[0]:06d}.json")
    assert record["scene"]["background"]["kind"] == "real"
    assert {layer["file"] for layer in record["scene"]["background"]["params"]["layers"]} == {
        "good.png"
    }


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 truncated", b"not a zip"])
def test_damaged_mask_files_are_one_clear_error(tmp_path, content):
    from temdefects.errors import InputFileError
    from temdefects.synth.files import read_masks

    path = tmp_path / "000000.npz"
    path.write_bytes(content)
    with pytest.raises(InputFileError, match="not a readable mask file"):
        read_masks(path)


def test_centre_line_csv_matches_python_formatting():
    from temdefects.synth.dislocations.files import encode_lines

    rng = np.random.default_rng(0)
    # Rounding ties and near-ties (4-decimal support points), negative zero, border values.
    tricky = np.array([[-0.0, -0.004], [0.125, 0.375], [1.005, 2.675], [22.505, -0.5]])
    lines = [
        [tricky, rng.uniform(-0.5, 511.5, (300, 2))],
        [np.round(rng.uniform(-0.5, 600, (200, 2)), 4)],
        [np.round(rng.uniform(0, 600, (50, 2)) * 8) / 8],
    ]
    rows = [
        f"{k},{s},{x:.2f},{y:.2f}"
        for k, segments in enumerate(lines)
        for s, pts in enumerate(segments)
        for x, y in pts.tolist()
    ]
    assert encode_lines(lines) == "dislocation,segment,x,y\n" + "".join(r + "\n" for r in rows)
    assert encode_lines([[np.array([[1e5, 2.0]])]]).endswith("0,0,100000.00,2.00\n")  # slow path


def test_resume_removes_the_temporaries_a_killed_run_left(tmp_path):
    from temdefects.synth.dislocations.dataset import prepare_folder

    manifest = {"config": {"a": 1}, "seed": 0, "backgrounds": None}
    (tmp_path / "dataset.json").write_text(json.dumps(manifest))
    (tmp_path / ".000009.npz.i5ied94g.tmp").write_bytes(b"half")
    (tmp_path / ".notes.txt.abc.tmp").write_bytes(b"not ours")
    prepare_folder(tmp_path, overwrite=False, resume=True, manifest=manifest)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".notes.txt.abc.tmp", "dataset.json"]


def test_unreadable_mask_and_image_files_say_so_in_their_own_words(tmp_path, capfd):
    from temdefects.errors import InputFileError
    from temdefects.synth.files import read_image_and_masks, read_masks

    (tmp_path / "000000.npz").write_text("just text")
    with pytest.raises(InputFileError, match="not a readable mask file") as info:
        read_masks(tmp_path / "000000.npz")
    assert "pickle" not in str(info.value)
    with pytest.raises(InputFileError, match="missing or corrupted"):
        read_image_and_masks(tmp_path, "000000")  # no 000000.png
    assert "WARN" not in capfd.readouterr().err  # no OpenCV line of its own
