import csv
import json

import numpy as np
import pytest

from temdefects.cli.main import main

PNG = b"\x89PNG\r\n\x1a\n"
OUTPUTS = (
    "tracks.csv",
    "spacing.csv",
    "tracks.json",
    "spacing.png",
    "trajectories.png",
    "drift.csv",  # zero for analysis results: their frames are not re-read
)


def line(y: float) -> list[list[float]]:
    x = np.linspace(5.0, 45.0, 50)
    return np.column_stack([x, np.full(50, y)]).round(3).tolist()


def record(source, frame, rows, *, pixel_size=0.5, name=None):
    """A frame in the format of ``temdefects analyze`` (json/<name>.json)."""
    return {
        "format": "temdefects.dislocations/1",
        "name": name or f"f{frame}",
        "source": source,
        "frame": frame,
        "image_shape": [64, 96],
        "pixel_size_nm": pixel_size,
        "dislocations": [
            {
                "id": k + 1,
                "points": line(y),
                "length_px": 40.0,
                "length_nm": 40.0 * pixel_size if pixel_size else None,
                "mean_curvature_per_px": 0.0,
                "max_curvature_per_px": 0.0,
                "score": 0.9,
                "channel": k,
            }
            for k, y in enumerate(rows)
        ],
    }


def write(folder, name, rec):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps(rec))


@pytest.fixture()
def movie(tmp_path):
    """analyze output of a 6-frame video: lines at 10, 20, 34 px moving 2 px per frame."""
    results = tmp_path / "results"
    for f in range(6):
        # file names sort against frame order; the frame index decides
        rows = [34.0 + 2 * f, 10.0 + 2 * f, 20.0 + 2 * f]
        write(results / "json", f"{9 - f}.json", record("movie.mp4", f, rows))
    (results / "dislocations.csv").write_text("not read\n")
    return results


def run(args, capsys):
    code = main(["track", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def table(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_analyze_folder_gives_tracks_spacing_and_plots(tmp_path, movie, capsys):
    out = tmp_path / "out"
    code, stdout, err = run([movie, "-o", out], capsys)
    assert code == 0 and err == ""
    assert "6 frames: 3 tracks" in stdout and "11.33 px (5.67 nm)" in stdout
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUTS)
    assert {(r["dx_px"], r["dy_px"]) for r in table(out / "drift.csv")} == {("0.000", "0.000")}
    rows = table(out / "tracks.csv")
    assert len(rows) == 18 and rows[0]["source"] == "movie.mp4"
    # track 1 is the first curve of frame 0 (row 34), followed through all frames
    first = [r for r in rows if r["track"] == "1"]
    assert [int(r["source_frame"]) for r in first] == list(range(6))
    assert [float(r["y_px"]) for r in first] == [34.0 + 2 * f for f in range(6)]
    assert first[0]["velocity_px_per_frame"] == "" and {r["dislocation_id"] for r in first} == {"1"}
    assert {float(r["velocity_px_per_frame"]) for r in first[1:]} == {2.0}
    assert {float(r["velocity_nm_per_frame"]) for r in first[1:]} == {1.0}
    assert float(first[0]["length_nm"]) == 20.0
    spacing = table(out / "spacing.csv")
    assert len(spacing) == 18
    assert {(r["track"], r["neighbour"], float(r["distance_px"])) for r in spacing} == {
        ("1", "3", 14.0),
        ("2", "3", 10.0),
        ("3", "2", 10.0),
    }
    doc = json.loads((out / "tracks.json").read_text())
    assert [t["id"] for t in doc["tracks"]] == [1, 2, 3]
    assert len(doc["frames"]) == 6 and doc["frames"][0]["file"] == "9.json"
    assert np.allclose(doc["tracks"][1]["observations"][5]["points"], line(20.0))
    for name in ("spacing.png", "trajectories.png"):
        assert (out / name).read_bytes().startswith(PNG)


def test_pairs(tmp_path, movie, capsys):
    out = tmp_path / "out"
    code, _, _ = run([movie, "-o", out, "--pairs", "2-3", "1-3"], capsys)
    assert code == 0 and (out / "pairs.png").read_bytes().startswith(PNG)
    rows = table(out / "pairs.csv")
    assert [r["pair"] for r in rows] == ["2-3"] * 6 + ["1-3"] * 6
    assert {float(r["distance_px"]) for r in rows} == {10.0, 14.0}
    assert {float(r["distance_nm"]) for r in rows} == {5.0, 7.0}


def test_unknown_pair_is_reported_and_the_rest_written(tmp_path, movie, capsys):
    code, _, err = run([movie, "-o", tmp_path / "out", "--pairs", "1-2", "1-9"], capsys)
    assert code == 1 and "pair 1-9" in err and err.count("\n") == 1
    assert len(table(tmp_path / "out" / "pairs.csv")) == 6


def test_corrupted_json_is_reported_and_skipped(tmp_path, movie, capsys):
    (movie / "json" / "broken.json").write_text('{"frame": 7, "dislo')
    write(
        movie / "json",
        "nopoints.json",
        {"source": "movie.mp4", "frame": 8, "dislocations": [{"id": 1}]},
    )
    out = tmp_path / "out"
    code, stdout, err = run([movie, "-o", out], capsys)
    assert code == 1 and err.count("\n") == 2
    assert "broken.json" in err and "nopoints.json: missing key 'points'" in err
    assert "6 frames: 3 tracks" in stdout and "2 errors" in stdout
    assert all((out / name).is_file() for name in OUTPUTS)


def test_single_images_in_natural_order_without_pixel_size(tmp_path, capsys):
    folder = tmp_path / "frames"
    for k in (1, 2, 10):
        write(
            folder,
            f"x{k}.json",
            record(f"/data/img{k}.png", 0, [10.0 + k, 30.0 + k], pixel_size=None),
        )
    out = tmp_path / "out"
    code, stdout, _ = run([folder, "-o", out], capsys)
    assert code == 0 and "3 frames: 2 tracks" in stdout and "nm" not in stdout
    rows = [r for r in table(out / "tracks.csv") if r["track"] == "1"]
    assert [r["source"] for r in rows] == ["/data/img1.png", "/data/img2.png", "/data/img10.png"]
    assert [float(r["y_px"]) for r in rows] == [11.0, 12.0, 20.0]
    assert rows[2]["velocity_px_per_frame"] == "8.000" and rows[2]["velocity_nm_per_frame"] == ""


def test_gaps_and_matching_options(tmp_path, capsys):
    folder = tmp_path / "frames"
    for f in range(4):
        write(folder, f"{f}.json", record("m.avi", f, [] if f == 1 else [10.0 + 3 * f]))
    code, stdout, _ = run([folder, "-o", tmp_path / "a"], capsys)
    assert code == 0 and "1 tracks" in stdout
    code, stdout, _ = run([folder, "-o", tmp_path / "b", "--max-gap", "0"], capsys)
    assert code == 0 and "2 tracks" in stdout
    code, stdout, _ = run([folder, "-o", tmp_path / "c", "--max-distance", "2"], capsys)
    assert code == 0 and "3 tracks" in stdout
    code, stdout, _ = run(
        [folder, "-o", tmp_path / "d", "--min-track-length", "2", "--max-gap", "0"], capsys
    )
    assert code == 0 and "1 tracks" in stdout


def test_empty_folder_fails_with_one_line(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    code, _, err = run([tmp_path / "empty", "-o", tmp_path / "out"], capsys)
    assert code == 1 and "no JSON files" in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_only_bad_files_fail(tmp_path, capsys):
    write(tmp_path / "in", "a.json", {"format": "something/else"})
    code, _, err = run([tmp_path / "in", "-o", tmp_path / "out"], capsys)
    assert code == 1 and "a.json: not a temdefects.dislocations/1 file" in err
    assert "no readable frame" in err.splitlines()[-1]


def test_duplicate_frames_are_an_error(tmp_path, capsys):
    write(tmp_path / "in", "a.json", record("m.avi", 0, [10.0]))
    write(tmp_path / "in", "b.json", record("m.avi", 0, [10.0]))
    code, _, err = run([tmp_path / "in", "-o", tmp_path / "out"], capsys)
    assert code == 1 and "a.json and b.json are both frame 0" in err


def test_refuses_non_empty_output_unless_overwrite(tmp_path, movie, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    code, _, err = run([movie, "-o", out], capsys)
    assert code == 1 and "not empty" in err and not (out / "tracks.csv").exists()
    code, _, _ = run([movie, "-o", out, "--overwrite"], capsys)
    assert code == 0 and (out / "tracks.csv").is_file()


@pytest.mark.parametrize(
    "args", [["--pairs", "2-2"], ["--pairs", "a-b"], ["--max-distance", "-1"], ["--max-gap", "-1"]]
)
def test_bad_arguments_exit_2(tmp_path, movie, capsys, args):
    with pytest.raises(SystemExit) as exc:
        main(["track", str(movie), "-o", str(tmp_path / "out"), *args])
    assert exc.value.code == 2 and "track" in capsys.readouterr().err


def test_wrong_inputs_say_what_to_do(tmp_path, capsys):
    # a synthetic data set: many JSON records, none an analysis result -> one line
    for i in range(5):
        write(tmp_path / "synth", f"{i:06d}.json", {"format": "temdefects.synth/1", "index": i})
    code, _, err = run([tmp_path / "synth", "-o", tmp_path / "o1"], capsys)
    assert code == 1 and len(err.strip().splitlines()) == 1 and "run it on the images" in err
    # a broken image file: read as a frame to analyse, one line naming it
    (tmp_path / "frame.png").write_bytes(b"\x89PNG")
    code, _, err = run([tmp_path / "frame.png", "-o", tmp_path / "o2"], capsys)
    assert code == 1 and "frame.png" in err and len(err.strip().splitlines()) == 1
    # dislocations that are not a list
    rec = record("m.avi", 0, [10.0])
    rec["dislocations"] = "abc"
    write(tmp_path / "bad", "a.json", rec)
    code, _, err = run([tmp_path / "bad", "-o", tmp_path / "o3"], capsys)
    assert code == 1 and "dislocations: expected a list" in err and "string indices" not in err
    # an analysis where every input failed: only summary.json
    write(tmp_path / "failed", "summary.json", {"frames": 0, "inputs": []})
    code, _, err = run([tmp_path / "failed", "-o", tmp_path / "o4"], capsys)
    assert code == 1 and "missing key" not in err and "run it on the images" in err
