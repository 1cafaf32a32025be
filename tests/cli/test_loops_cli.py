import csv
import json

import cv2
import numpy as np
import pytest

from temdefects.cli.main import main
from temdefects.loops.defects import Defects
from temdefects.loops.table import TABLE_COLUMNS, write_detections


@pytest.fixture
def folders(tmp_path):
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    truth.mkdir()
    pred.mkdir()
    (truth / "a.txt").write_text("0 0 10 10\n0 20 10 30\n")  # ymin xmin ymax xmax
    (truth / "b.txt").write_text("5 5 15 15\n")
    boxes = [[0, 0, 10, 10], [20, 0, 10, 10], [60, 60, 5, 5]]
    write_detections(pred / "a.csv", Defects.from_lists(boxes, ["loop111"] * 3, scores=[0.9] * 3))
    write_detections(pred / "c.csv", Defects.from_lists([[1, 1, 2, 2]], ["dot"]))
    return tmp_path


def _evaluate_args(folders, out) -> list[str]:
    pred, truth = folders / "pred", folders / "truth"
    return ["loops", "evaluate", "--pred", str(pred), "--truth", str(truth), "-o", str(out)]


def test_evaluate_boxes_end_to_end(folders, capsys):
    out = folders / "out"
    code = main(
        [
            *_evaluate_args(folders, out),
            "--image-size",
            "100",
            "100",
            "--pixel-size",
            "0.5",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "precision 0.667, recall 1.000" in captured.out
    assert "predictions but no truth, not evaluated: c" in captured.err
    assert "truth but no predictions, not evaluated: b" in captured.err
    for name in (
        "evaluation.json",
        "pr_table.csv",
        "per_image.csv",
        "confusion.csv",
        "per_class.csv",
        "summary.csv",
        "sizes.csv",
    ):
        assert (out / name).is_file(), name
    assert cv2.imread(str(out / "pr_iou.png")) is not None
    data = json.loads((out / "evaluation.json").read_text())
    assert data["images"] == ["a"] and data["detection"]["fp"] == 1
    assert data["confusion"]["counts"][0][0] == 2
    with open(out / "summary.csv") as fh:
        rows = {(r["source"], r["class"]): r for r in csv.DictReader(fh)}
    assert float(rows[("truth", "loop111")]["mean_diameter"]) == 5.0  # 10 px * 0.5 nm
    assert rows[("truth", "loop111")]["length_unit"] == "nm"
    assert rows[("pred", "loop111")]["count"] == "3"


def test_evaluate_synth_folder_against_its_own_labels(tmp_path, capsys):
    data = tmp_path / "data"
    args = ["loops", "synth", "-o", str(data), "-n", "1", "--size", "96", "96", "-q"]
    assert main(args) == 0
    pred = tmp_path / "pred"
    pred.mkdir()
    with open(data / "labels.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert rows, "the generator drew no defect"
    lines = [",".join(TABLE_COLUMNS)]
    for r in rows:
        lines.append(",".join([*(r[k] for k in TABLE_COLUMNS[:-1]), "1"]))
    (pred / f"{rows[0]['image']}.csv").write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    assert (
        main(["loops", "evaluate", "--pred", str(pred), "--truth", str(data), "-o", str(out)]) == 0
    )
    result = json.loads((out / "evaluation.json").read_text())
    assert result["detection"]["f1"] == 1.0 and result["detection_class_aware"]["f1"] == 1.0
    sizes = {r["class"]: r for r in result["sizes"]}
    assert sizes["all"]["error_mean_diameter_percent"] == pytest.approx(
        0.0, abs=0.01
    )  # labels.csv rounds to 3 decimals
    assert sizes["all"]["truth_areal_density"] > 0


def test_evaluate_errors_are_one_line(folders, capsys):
    base = ["loops", "evaluate", "-o", str(folders / "out")]
    assert main([*base, "--pred", str(folders / "nope"), "--truth", str(folders / "truth")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nope: no such folder" in err
    assert main([*base, "--pred", str(folders / "pred"), "--truth", str(folders / "none")]) == 1
    assert "none: no such file or folder" in capsys.readouterr().err
    (folders / "other").mkdir()
    (folders / "other" / "z.txt").write_text("1 2 3 4\n")
    assert main([*base, "--pred", str(folders / "pred"), "--truth", str(folders / "other")]) == 1
    assert "no image has both predictions" in capsys.readouterr().err
    assert (
        main(
            [
                *base,
                "--pred",
                str(folders / "pred"),
                "--truth",
                str(folders / "truth"),
                "--format",
                "yolo",
            ]
        )
        == 1
    )
    assert "image size is unknown" in capsys.readouterr().err
    (folders / "pred" / "a.csv").write_text("class,x\n")
    assert main([*base, "--pred", str(folders / "pred"), "--truth", str(folders / "truth")]) == 1
    assert "a.csv:1: expected the header" in capsys.readouterr().err


def test_evaluate_reads_image_sizes_and_class_map(folders, capsys):
    images = folders / "images"
    images.mkdir()
    cv2.imwrite(str(images / "a.png"), np.zeros((40, 50), np.uint8))
    out = folders / "out"
    code = main(
        [
            *_evaluate_args(folders, out),
            "--images",
            str(images),
            "--truth-class",
            "hc",
            "--class-map",
            "hc=loop100",
        ]
    )
    assert code == 0, capsys.readouterr().err
    data = json.loads((out / "evaluation.json").read_text())
    truth = {r["class"]: r for r in data["sizes_truth"]}
    assert truth["loop100"]["count"] == 2
    assert truth["loop100"]["number_density"] == pytest.approx(2 / 2000)
    assert (
        main(["loops", "evaluate", "--pred", "p", "--truth", "t", "-o", "o", "--class-map", "bad"])
        == 1
    )
    assert "expected OLD=NEW" in capsys.readouterr().err


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """A detector trained for 2 steps through `loops train` (config file + flags)."""
    root = tmp_path_factory.mktemp("train")
    data = root / "data"
    assert main(["loops", "synth", "-o", str(data), "-n", "2", "--size", "128", "128", "-q"]) == 0
    cfg = root / "cfg.json"
    cfg.write_text(
        json.dumps(
            {
                "detector": {"input_size": 128, "fpn_channels": 16, "representation": 32},
                "data": {"crop": 64, "batch_size": 2},
            }
        )
    )
    out = root / "model"
    args = [
        "loops",
        "train",
        "--config",
        str(cfg),
        "--synth",
        str(data),
        "--synth-val",
        str(data),
        "--epochs",
        "1",
        "--steps",
        "2",
        "--seed",
        "0",
        "-o",
        str(out),
        "-q",
    ]
    assert main(args) == 0
    return out, data


def test_train_reports_and_refuses_bad_config(tiny_model, tmp_path, capsys):
    out, data = tiny_model
    assert (out / "model.safetensors").is_file()
    assert main(["loops", "train", "-o", str(tmp_path / "m"), "-q"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "give generated folders" in err
    assert (
        main(
            [
                "loops",
                "train",
                "--synth",
                str(tmp_path / "none"),
                "--synth-val",
                str(data),
                "-o",
                str(tmp_path / "m"),
                "-q",
            ]
        )
        == 1
    )
    assert "no labels.csv" in capsys.readouterr().err
    bad = ["loops", "train", "--synth", str(data), "--synth-val", str(data), "-q", "-o"]
    assert main([*bad, str(tmp_path / "m2"), "--device", "nonsense"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "device: expected auto, cpu, cuda or cuda:N" in err
    with pytest.raises(SystemExit):  # argparse: one usage line and one error line
        main([*bad, str(tmp_path / "m3"), "--unlabelled", "maybe"])
    assert "invalid choice: 'maybe'" in capsys.readouterr().err


def test_train_unlabelled_option_reaches_the_config():
    from temdefects.cli.loops import UNLABELLED
    from temdefects.cli.loops_run import _train_overrides
    from temdefects.cli.parser import build_parser
    from temdefects.loops.train_config import UNLABELLED as CONFIG_CHOICES

    assert UNLABELLED == CONFIG_CHOICES

    args = build_parser().parse_args(["loops", "train", "-o", "m", "--unlabelled", "label-dark"])
    assert _train_overrides(args)["data"]["unlabelled"] == "label-dark"
    args = build_parser().parse_args(["loops", "train", "-o", "m"])
    assert "unlabelled" not in _train_overrides(args).get("data", {})


def test_detect_writes_every_output_and_reports_bad_inputs(tiny_model, tmp_path, capsys):
    model, data = tiny_model
    images = tmp_path / "in"
    images.mkdir()
    for name in ("000000.png", "000001.png"):
        (images / name).write_bytes((data / name).read_bytes())
    (images / "broken.png").write_bytes(b"not a png")
    out = tmp_path / "out"
    args = [
        "loops",
        "detect",
        str(images),
        str(tmp_path / "missing.tif"),
        "-o",
        str(out),
        "--model",
        str(model),
        "--score",
        "0",
        "--pixel-size",
        "0.5",
        "-q",
    ]
    assert main(args) == 1  # two bad inputs, the good images are still done
    err = capsys.readouterr().err
    assert "missing.tif" in err and "broken.png" in err
    assert [line.count("broken.png") for line in err.splitlines() if "broken" in line] == [1]
    for name in ("000000", "000001"):
        with open(out / f"{name}.csv") as fh:
            assert next(csv.reader(fh)) == list(TABLE_COLUMNS)
        overlay = cv2.imread(str(out / f"{name}_overlay.png"))
        assert overlay.shape == (128, 128, 3)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["images"] == 2 and summary["failed"] == 2
    coco = json.loads((out / "detections.json").read_text())
    assert len(coco["images"]) == 2 and {c["name"] for c in coco["categories"]} == {
        "loop111",
        "loop100",
        "dot",
    }
    n = sum(len((out / f"{s}.csv").read_text().splitlines()) - 1 for s in ("000000", "000001"))
    assert len(coco["annotations"]) == n
    with open(out / "summary.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[-1]["class"] == "all" and int(rows[-1]["count"]) == n
    assert rows[-1]["length_unit"] == "nm"
    # a non-empty output folder is refused without --overwrite
    assert main(args) == 1
    assert "not empty" in capsys.readouterr().err


def test_detect_rejects_bad_arguments(tiny_model, tmp_path, capsys):
    model, data = tiny_model
    base = ["loops", "detect", str(data / "000000.png"), "-o", str(tmp_path / "o")]
    with pytest.raises(SystemExit):
        main([*base, "--resize", "10"])
    with pytest.raises(SystemExit):
        main([*base, "--resize", "sometimes"])
    with pytest.raises(SystemExit):
        main([*base, "--score", "2"])
    capsys.readouterr()
    assert main([*base, "--model", str(tmp_path)]) == 1
    assert "not a loop model folder" in capsys.readouterr().err


def test_detect_output_is_evaluated_in_place(tiny_model, tmp_path, capsys):
    model, data = tiny_model
    images = tmp_path / "in"
    images.mkdir()
    (images / "summary.png").write_bytes((data / "000000.png").read_bytes())
    out = tmp_path / "out"
    args = ["loops", "detect", str(images), "-o", str(out), "--model", str(model), "-q"]
    assert main([*args, "--score", "0"]) == 0
    assert (out / "summary_2.csv").is_file()  # the image's table does not replace the summary
    assert (out / "summary.csv").read_text().startswith("source,class,count")
    (out / "summary_2.csv").rename(out / "000000.csv")
    capsys.readouterr()
    ev = ["loops", "evaluate", "--pred", str(out), "--truth", str(data), "-o", str(tmp_path / "e")]
    assert main(ev) == 0
    assert "1 images (coco truth)" in capsys.readouterr().out


def test_detect_checks_inputs_before_loading_the_model(tmp_path, capsys):
    out = tmp_path / "out"
    args = ["loops", "detect", str(tmp_path / "typo.tif"), "-o", str(out)]
    code = main([*args, "--model", str(tmp_path / "no-model")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1 and "typo.tif" in err[0]
    assert not out.exists()  # nothing read, nothing written


def test_detect_auto_scale_runs_and_matches_an_explicit_native_pass(tiny_model, tmp_path):
    model, data = tiny_model
    image = str(data / "000000.png")
    outs = {}
    for resize in ("0", "auto"):
        out = tmp_path / resize
        args = ["loops", "detect", image, "-o", str(out), "--model", str(model), "-q"]
        assert main([*args, "--score", "0", "--resize", resize]) == 0
        outs[resize] = (out / "000000.csv").read_text()
    # the generated image is at the model's training size: auto keeps its native scale
    a, b = outs["auto"].splitlines(), outs["0"].splitlines()
    assert len(a) == len(b), (len(a), len(b))
    for x, y in zip(a, b, strict=True):
        assert x == y, (x, y)
