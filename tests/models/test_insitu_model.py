"""The built-in in-situ dislocation model and the names --model takes (issue 16)."""

import json
from pathlib import Path

import cv2
import pytest

from temdefects.builtin_models import BUILTIN_MODELS, default_model_path, model_path
from temdefects.cli.main import main
from temdefects.metrics import union_scores
from temdefects.models import load, predict
from temdefects.synth.config import load_config
from temdefects.synth.dislocations.scene import generate

ROOT = Path(__file__).resolve().parents[2]
FOLDER = default_model_path("insitu")


def test_insitu_folder_is_complete_small_and_reproducible():
    for name in ("config.json", "model.safetensors", "metrics.json", "README.md"):
        assert (FOLDER / name).is_file(), name
    assert (FOLDER / "model.safetensors").stat().st_size <= 50 * 2**20
    record = json.loads((FOLDER / "config.json").read_text())
    assert record["model"]["n_masks"] == 1
    assert record["input"]["flatten"] == 0  # trained on generated frames as drawn
    assert record["postprocess"]["chosen_on"].endswith("twip-like5b/testset")  # synthetic only
    assert record["training"]["train_config"]["name"] == "dislocations-twip-like5b"
    card = (FOLDER / "README.md").read_text()
    for config in ("configs/dislocations-twip-like5b.yaml", "configs/synth-twip-like5.yaml"):
        assert config in card and (ROOT / config).is_file()


def test_names_resolve_to_the_package_folders_and_a_local_folder_wins(tmp_path, monkeypatch):
    assert set(BUILTIN_MODELS) == {"default", "insitu"}
    assert model_path(None) == default_model_path() == model_path("default")
    assert model_path("insitu") == FOLDER and model_path("runs/x") == Path("runs/x")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "insitu").mkdir()
    assert model_path("insitu") == Path("insitu")


@pytest.fixture(scope="module")
def frame():
    """A generated in-situ-like frame (generator v5) with its masks."""
    path = ROOT / "configs" / "synth-twip-like5.yaml"
    config = load_config("m2", path, overrides={"size": [256, 256]})
    for index in range(50):
        s = generate(config, 777, index)
        if len(s.masks) >= 4:
            return s
    raise AssertionError("no frame with 4 dislocations")


def test_insitu_model_finds_the_lines_and_not_the_traces(frame):
    probs, _ = predict(load(FOLDER), frame.image)
    assert probs.shape[0] == 1
    # measured 0.6-0.7 on such frames; an untrained network scores about 0.05
    assert union_scores(probs >= 0.5, frame.masks)["dice"] >= 0.45


def test_analyze_takes_the_builtin_name(tmp_path, frame, capsys):
    path = tmp_path / "frame.png"
    cv2.imwrite(str(path), frame.image)
    out = tmp_path / "out"
    code = main(["analyze", str(path), "-o", str(out), "--model", "insitu", "-q"])
    assert code == 0, capsys.readouterr().err
    summary = json.loads((out / "summary.json").read_text())
    assert Path(summary["model"]) == FOLDER.resolve()
    assert len((out / "dislocations.csv").read_text().splitlines()) >= 2
    # the record's chosen post-processing was used: threshold 0.5, shortest curve 60 px
    assert (summary["settings"]["threshold"], summary["settings"]["min_length"]) == (0.5, 60.0)
    assert "corner_angle" not in summary["settings"]  # off: runs of earlier versions resume
