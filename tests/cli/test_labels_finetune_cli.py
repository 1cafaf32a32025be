import json

import cv2
import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from temdefects.cli.main import main
from temdefects.dislocations.analysis.choose import CORNER_ANGLES, GRID
from temdefects.models import build_model, load, save_model
from temdefects.synth.dislocations.files import read_sample


def test_strokes_become_one_mask_per_dislocation(labelled, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(
        [
            "labelme-to-masks",
            str(labelled / "labels"),
            "--images",
            str(labelled / "images"),
            "--dark-strokes",
            "-o",
            str(out),
        ]
    )
    assert code == 0 and "3 labelled frames (6 dislocations)" in capsys.readouterr().out
    s = read_sample(out, 1)
    assert s.image.shape == (64, 96) and s.masks.shape == (2, 64, 96)
    assert s.scene is None and all(len(seg) == 1 for seg in s.lines)
    # Masks are 5 px wide bands around the strokes.
    assert 5 * 80 < s.masks[0].sum() < 5 * 100
    record = json.loads((out / "000001.json").read_text())
    assert record["labelled"]["image"].endswith("frame_1.png")


def test_labelme_input_and_label_filter(labelled, tmp_path, capsys):
    out = tmp_path / "lm"
    code = main(
        [
            "labelme-to-masks",
            str(labelled / "frame_0.json"),
            "--label",
            "dislocation",
            "-o",
            str(out),
        ]
    )
    assert code == 0
    assert read_sample(out, 0).masks.shape == (1, 64, 96)


def test_labelme_named_by_a_relative_path(labelled, tmp_path, monkeypatch):
    # imagePath is relative to the JSON file's folder, however the file is named
    sub = labelled / "labelme"
    sub.mkdir()
    doc = json.loads((labelled / "frame_0.json").read_text())
    doc["imagePath"] = "../images/frame_0.png"
    (sub / "frame_0.json").write_text(json.dumps(doc))
    monkeypatch.chdir(labelled)
    assert main(["labelme-to-masks", "labelme", "-o", "out"]) == 0
    assert read_sample(labelled / "out", 0).masks.shape == (2, 64, 96)


def test_conversion_errors(labelled, tmp_path, capsys):
    code = main(["labelme-to-masks", str(labelled / "labels"), "-o", str(tmp_path / "x")])
    assert code == 1 and "--images" in capsys.readouterr().err
    (labelled / "labels" / "orphan.png").write_bytes(
        cv2.imencode(".png", np.zeros((8, 8), np.uint8))[1].tobytes()
    )
    code = main(
        [
            "labelme-to-masks",
            str(labelled / "labels"),
            "--images",
            str(labelled / "images"),
            "--dark-strokes",
            "-o",
            str(tmp_path / "y"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 1 and "orphan.png" in err and (tmp_path / "y" / "000002.json").exists()


@pytest.mark.slow  # trains: keeps the fast subset under 90 s
def test_finetune_starts_from_the_base_model_and_records_it(labelled, tmp_path, capsys):
    data = tmp_path / "data"
    assert (
        main(
            [
                "labelme-to-masks",
                str(labelled / "labels"),
                "--images",
                str(labelled / "images"),
                "--dark-strokes",
                "-o",
                str(data),
            ]
        )
        == 0
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        base = build_model(
            {"arch": "unet", "encoder": "mobilenet_v2", "n_masks": 4, "decoder_base": 4}
        )
    base_dir = save_model(
        tmp_path / "base", base, record={"train_config": {"loss": {"matching": "hungarian"}}}
    )
    out = tmp_path / "tuned"
    code = main(
        [
            "finetune",
            "--model",
            str(base_dir),
            "--data",
            str(data),
            "-o",
            str(out),
            "--epochs",
            "2",
            "--crop",
            "64",
            "--batch-size",
            "2",
            "--device",
            "cpu",
            "--half",
            "-q",
        ]
    )
    assert code == 0
    tuned = load(out)
    assert tuned.record["training"]["train_config"]["half"] is True
    stored = load_file(out / "model.safetensors")
    assert all(v.dtype == torch.float16 for v in stored.values() if v.is_floating_point())
    record = tuned.record["training"]
    assert record["init"]["folder"] == str(base_dir.resolve())
    assert record["train_config"]["loss"]["matching"] == "hungarian"
    assert tuned.record["input"] == {"flatten": 30.0}  # as labelme-to-masks wrote the frames
    changed = [
        not torch.equal(a, b)
        for a, b in zip(base.state_dict().values(), tuned.state_dict().values(), strict=True)
    ]
    assert any(changed)
    # the post-processing was chosen on the frames and stored; analyze uses it
    chosen = tuned.record["postprocess"]
    assert len(chosen["grid"]) == len(GRID) + (
        len(CORNER_ANGLES) if chosen["method"] == "trace" else 0
    )
    assert chosen["chosen_on"] == str(data.resolve())
    assert (chosen["threshold"], chosen["join_gap"]) in {
        (r["threshold"], r["join_gap"]) for r in chosen["grid"]
    }
    record = json.loads((out / "config.json").read_text())
    record["postprocess"].update(threshold=0.3, join_gap=20.0)
    (out / "config.json").write_text(json.dumps(record))
    frame = str(labelled / "images" / "frame_0.png")
    for extra, want in (([], (0.3, 20.0)), (["--threshold", "0.7"], (0.7, 20.0))):
        res = tmp_path / f"an{len(extra)}"
        assert main(["analyze", frame, "-o", str(res), "--model", str(out), "-q", *extra]) == 0
        settings = json.loads((res / "summary.json").read_text())["settings"]
        assert (settings["threshold"], settings["join_gap"]) == want
    code = main(
        [
            "finetune",
            "--model",
            str(tmp_path / "nope"),
            "--data",
            str(data),
            "-o",
            str(tmp_path / "t2"),
            "-q",
        ]
    )
    assert code == 1 and "model folder not found" in capsys.readouterr().err


def test_finetune_objective_reaches_the_loss_section(labelled, tmp_path):
    from temdefects.cli.finetune import finetune_config
    from temdefects.cli.parser import build_parser

    base = {"model": {"arch": "unet"}, "training": {"train_config": {"loss": {"smooth": 2.0}}}}
    for extra, kind in (([], "matched"), (["--objective", "union"], "union")):
        args = build_parser().parse_args(
            ["finetune", "--model", "m", "--data", str(labelled), "-o", "x", *extra]
        )
        loss = finetune_config(args, base)["loss"]
        assert loss["kind"] == kind and loss["smooth"] == 2.0


def test_labelled_frames_are_flattened_as_analyze_feeds_them(labelled, tmp_path):
    outs = {}
    for flatten in ("0", "30"):
        out = tmp_path / f"f{flatten}"
        args = ["labelme-to-masks", str(labelled / "labels"), "--images", str(labelled / "images")]
        assert main([*args, "--dark-strokes", "--flatten", flatten, "-o", str(out)]) == 0
        outs[flatten] = read_sample(out, 0).image
        assert json.loads((out / "000000.json").read_text())["labelled"]["flatten"] == float(
            flatten
        )
    assert not np.array_equal(outs["0"], outs["30"])
    bad = ["labelme-to-masks", str(labelled / "labels"), "--images", str(labelled / "images")]
    assert main([*bad, "--flatten", "nan", "-o", str(tmp_path / "bad")]) == 1


def test_finetune_reach_needs_the_union_objective(labelled, tmp_path, capsys):
    args = ["finetune", "--model", str(tmp_path / "m"), "--data", str(labelled), "-o", "x"]
    assert main([*args, "--reach", "16"]) == 1
    assert "--reach: only with --objective union" in capsys.readouterr().err
    assert main([*args, "--objective", "union", "--reach", "-1"]) == 1
    assert "--reach: must be >= 0" in capsys.readouterr().err


def test_snap_moves_offset_strokes_onto_their_lines(tmp_path, capsys):
    images, labels = tmp_path / "images", tmp_path / "labels"
    images.mkdir()
    labels.mkdir()
    rng = np.random.default_rng(1)
    image = (rng.random((64, 96)) * 20 + 150).astype(np.uint8)
    cv2.line(image, (8, 20), (88, 20), 40, 2)
    cv2.imwrite(str(images / "f.png"), image)
    strokes = np.full((64, 96), 255, np.uint8)
    cv2.line(strokes, (8, 23), (88, 23), 0, 1)  # drawn 3 px below the line
    cv2.imwrite(str(labels / "f.png"), strokes)
    rows = {}
    for snap in (0, 4):
        out = tmp_path / f"snap{snap}"
        argv = ["labelme-to-masks", str(labels), "--images", str(images), "--dark-strokes"]
        assert main([*argv, "--width", "1", "--snap", str(snap), "-o", str(out)]) == 0
        mask = read_sample(out, 0).masks[0]
        rows[snap] = np.nonzero(mask.any(axis=1))[0].tolist()
    capsys.readouterr()
    assert rows[0] == [23] and rows[4] in ([20], [21])
