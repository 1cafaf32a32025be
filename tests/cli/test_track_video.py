"""``temdefects track`` on a video, a stack or a folder of frames: analysis, drift, tracks."""

import csv

import cv2
import numpy as np
import pytest
import tifffile
from scipy import ndimage

from temdefects.cli.main import main
from temdefects.synth.config import load_config
from temdefects.synth.dislocations.scene import generate

DRIFT = np.array([[0.0, 0.0], [3.4, -2.2], [6.1, -1.0], [4.0, 2.5], [8.8, 3.3]])


@pytest.fixture(scope="module")
def frames():
    """Five frames of one synthetic image moved by a known drift (dx, dy)."""
    cfg = load_config("m2", overrides={"size": [192, 224], "artifacts": {"dirt": 0}})
    base = generate(cfg, seed=4, index=0).image.astype(np.float32)
    return [
        np.clip(ndimage.shift(base, (dy, dx), mode="reflect", order=3), 0, 255).astype(np.uint8)
        for dx, dy in DRIFT
    ]


def _table(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_a_stack_is_analysed_stabilised_and_tracked(frames, tmp_path, capsys):
    stack = tmp_path / "movie.tif"
    tifffile.imwrite(stack, np.stack(frames))
    out = tmp_path / "out"
    assert main(["track", str(stack), "-o", str(out), "-q"]) == 0
    assert "tracked 5 frames" in capsys.readouterr().out
    drift = np.array([[float(r["dx_px"]), float(r["dy_px"])] for r in _table(out / "drift.csv")])
    assert np.abs(drift - DRIFT).max() < 0.5
    assert len(list((out / "analysis" / "json").glob("*.json"))) == 5
    rows = _table(out / "tracks.csv")
    assert rows, "no dislocation was tracked"
    # the picture only drifts: stabilised positions stand still, raw ones move with it
    for r in rows:
        k = int(r["frame"])
        assert float(r["drift_x_px"]) == pytest.approx(DRIFT[k, 0], abs=0.5)
        raw = float(r["x_raw_px"]) - float(r["x_px"])
        assert raw == pytest.approx(float(r["drift_x_px"]), abs=0.002)
    steps = [float(r["velocity_px_per_frame"]) for r in rows if r["velocity_px_per_frame"]]
    raw = np.linalg.norm(np.diff(DRIFT, axis=0), axis=1)  # 3-5 px per frame
    assert steps and np.median(steps) < 0.5 * np.median(raw)
    cap = cv2.VideoCapture(str(out / "annotated.mp4"))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 5
    cap.release()


def test_a_video_in_gives_tracks_out(frames, tmp_path, capsys):
    video = tmp_path / "movie.mp4"
    h, w = frames[0].shape
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 5.0, (w, h))
    for f in frames:
        writer.write(cv2.cvtColor(f, cv2.COLOR_GRAY2BGR))
    writer.release()
    out = tmp_path / "out"
    assert main(["track", str(video), "-o", str(out), "-q", "--no-drift"]) == 0
    rows = _table(out / "tracks.csv")
    assert rows and {r["source"] for r in rows} == {str(video)}
    assert {r["drift_x_px"] for r in rows} == {"0.000"}  # --no-drift
    assert (out / "annotated.mp4").stat().st_size > 0


def test_a_folder_of_frames_in_natural_order_with_a_bad_one(frames, tmp_path, capsys):
    folder = tmp_path / "frames"
    folder.mkdir()
    for k, f in enumerate(frames):
        cv2.imwrite(str(folder / f"img{k * 5}.png"), f)  # img0 img5 img10 ...: natural order
    (folder / "img7.png").write_bytes(b"broken")
    out = tmp_path / "out"
    assert main(["track", str(folder), "-o", str(out), "-q"]) == 1  # the bad frame is reported
    captured = capsys.readouterr()
    assert "img7.png" in captured.err and len(captured.err.strip().splitlines()) == 1
    drift = np.array([[float(r["dx_px"]), float(r["dy_px"])] for r in _table(out / "drift.csv")])
    assert [r["name"] for r in _table(out / "drift.csv")] == [f"img{k * 5}" for k in range(5)]
    assert np.abs(drift - DRIFT).max() < 0.5


def test_track_uses_the_post_processing_stored_in_the_model(frames, tmp_path, capsys):
    import json
    import shutil

    from temdefects.models.folder import default_model_path

    model = tmp_path / "model"
    shutil.copytree(default_model_path(), model)
    record = json.loads((model / "config.json").read_text())
    record["postprocess"] = {"threshold": 0.4, "join_gap": 7.0}
    (model / "config.json").write_text(json.dumps(record))
    stack = tmp_path / "movie.tif"
    tifffile.imwrite(stack, np.stack(frames[:2]))
    out = tmp_path / "out"
    assert main(["track", str(stack), "-o", str(out), "--model", str(model), "-q"]) == 0
    frame = json.loads(next((out / "analysis" / "json").glob("*.json")).read_text())
    assert (frame["settings"]["threshold"], frame["settings"]["join_gap"]) == (0.4, 7.0)
    capsys.readouterr()


@pytest.mark.parametrize("value", ["nan", "inf", "-1"])
def test_track_refuses_a_nonsense_flatten_before_reading(frames, tmp_path, capsys, value):
    stack = tmp_path / "movie.tif"
    tifffile.imwrite(stack, np.stack(frames[:2]))
    assert main(["track", str(stack), "-o", str(tmp_path / "o"), f"--flatten={value}"]) != 0
    err = capsys.readouterr().err
    assert "--flatten" in err and "Traceback" not in err and err.count("\n") == 1
    assert not (tmp_path / "o").exists()
