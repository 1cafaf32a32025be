"""The loop model shipped with the package (issue 6)."""

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from temdefects.cli.main import main
from temdefects.loops.defects import Defects
from temdefects.loops.detect import detect_defects
from temdefects.loops.evaluate import match_boxes
from temdefects.loops.model import default_loop_model_path, load_loop_model
from temdefects.synth.loops import generate_loop, load_loop_config

ROOT = Path(__file__).resolve().parents[2]
FOLDER = default_loop_model_path()


def test_default_folder_is_complete_small_and_documented():
    for name in ("config.json", "model.safetensors", "metrics.json", "README.md"):
        assert (FOLDER / name).is_file(), name
    assert sum(p.stat().st_size for p in FOLDER.iterdir()) <= 50 * 2**20
    card = (FOLDER / "README.md").read_text()
    for config in ("loops-default", "loops-irradiated-stage1", "loops-irradiated"):
        assert f"configs/{config}.yaml" in card  # the recipe, stage by stage
        assert (ROOT / "configs" / f"{config}.yaml").is_file()
    metrics = json.loads((FOLDER / "metrics.json").read_text())
    assert f"{metrics['validation']['synth']['f1']:.3f}" in card
    record = json.loads((FOLDER / "config.json").read_text())["training"]
    assert record["train_config"]["data"]["test_list"].endswith("testimages.txt")


@pytest.fixture(scope="module")
def sample():
    config = load_loop_config("default", overrides={"size": [512, 512]})
    return generate_loop(config, 616161, 0)  # a seed no training or validation image used


def test_default_model_finds_generated_defects(sample):
    model = load_loop_model()
    found, polarity = detect_defects(model, sample.image)
    truth = Defects.from_lists(
        [lab["box"] for lab in sample.labels], [lab["class"] for lab in sample.labels]
    )
    assert polarity == "dark"
    m = match_boxes(found.boxes, truth.boxes, threshold=0.4)
    assert m.scores.recall >= 0.6 and m.scores.precision >= 0.6  # measured 0.91 and 0.91
    assert found.has_ellipse.all()


def test_loops_detect_runs_without_model_argument(tmp_path, sample, capsys):
    path = tmp_path / "loops.png"
    cv2.imwrite(str(path), sample.image)
    out = tmp_path / "out"
    assert main(["loops", "detect", str(path), "-o", str(out), "-q"]) == 0
    assert "defects" in capsys.readouterr().out
    table = (out / "loops.csv").read_text().splitlines()
    assert len(table) > 1
    summary = json.loads((out / "summary.json").read_text())
    assert summary["model"].endswith("default") and summary["failed"] == 0
    assert np.isclose(summary["score_threshold"], load_loop_model().score_threshold)
