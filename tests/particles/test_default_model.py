"""The particle model shipped with the package (issue 7)."""

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from temdefects.cli.main import main
from temdefects.particles import analyze_particles, default_particle_model_path, load_particle_model
from temdefects.synth.particles.files import generate_particle_image
from temdefects.synth.particles.loading import load_particle_config

ROOT = Path(__file__).resolve().parents[2]
FOLDER = default_particle_model_path()


def test_default_folder_is_complete_and_small():
    names = ("config.json", "model.safetensors", "metrics.json", "classifier.skops")
    for name in (*names, "classifier.json", "classifier_data.npz", "README.md"):
        assert (FOLDER / name).is_file(), name
    assert sum(p.stat().st_size for p in FOLDER.iterdir()) <= 50 * 2**20
    card = (FOLDER / "README.md").read_text()
    assert "configs/particles-default.yaml" in card
    assert (ROOT / "configs" / "particles-default.yaml").is_file()
    metrics = json.loads((FOLDER / "metrics.json").read_text())
    assert f"{metrics['segmentation']['test_dice']:.3f}" in card


@pytest.fixture(scope="module")
def sample():
    config = load_particle_config("default", overrides={"size": [384, 384]})
    return generate_particle_image(config, 5150, 0)


def test_default_model_segments_and_classifies_a_synthetic_image(sample):
    model = load_particle_model()
    pixel_size = sample.scene["pixel_size_pm"] / 1000
    result = analyze_particles(model, sample.image, pixel_size=pixel_size)
    pred, true = result.labels > 0, sample.labels > 0
    dice = 2 * (pred & true).sum() / (pred.sum() + true.sum())
    assert dice >= 0.85  # measured 0.97 on 100 test images
    assert len(result.rows) >= 1
    assert {r["class"] for r in result.rows} <= {"fault", "no_fault", "no_fringes"}


def test_particles_analyze_runs_without_model_argument(tmp_path, sample, capsys):
    path = tmp_path / "np.png"
    cv2.imwrite(str(path), sample.image)
    assert main(["particles", "analyze", str(path), "-o", str(tmp_path / "o"), "-q"]) == 0
    rows = (tmp_path / "o" / "np.csv").read_text().splitlines()
    assert len(rows) >= 2
    labels = cv2.imread(str(tmp_path / "o" / "np_labels.tif"), cv2.IMREAD_UNCHANGED)
    assert labels.shape == sample.image.shape and np.max(labels) == len(rows) - 1
