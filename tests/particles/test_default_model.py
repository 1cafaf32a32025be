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


@pytest.mark.parametrize(
    "name,config", [("hrtem", "particles-default.yaml"), ("haadf", "particles-tomo.yaml")]
)
def test_builtin_folders_are_complete_and_small(name, config):
    folder = default_particle_model_path(name)
    names = ("config.json", "model.safetensors", "metrics.json", "classifier.skops")
    for file in (*names, "classifier.json", "classifier_data.npz", "README.md"):
        assert (folder / file).is_file(), file
    assert sum(p.stat().st_size for p in folder.iterdir()) <= 50 * 2**20
    card = (folder / "README.md").read_text()
    assert f"configs/{config}" in card
    assert (ROOT / "configs" / config).is_file()
    metrics = json.loads((folder / "metrics.json").read_text())
    assert f"{metrics['segmentation']['test_dice']:.3f}" in card


def test_a_builtin_name_finds_its_folder_unless_a_folder_of_that_name_exists(tmp_path, monkeypatch):
    from temdefects.particles import particle_model_path

    monkeypatch.chdir(tmp_path)
    assert particle_model_path(None) == FOLDER
    assert particle_model_path("haadf") == default_particle_model_path("haadf")
    (tmp_path / "haadf").mkdir()
    assert particle_model_path("haadf") == Path("haadf")  # the user's own folder wins
    assert particle_model_path("elsewhere") == Path("elsewhere")


def test_haadf_model_finds_bright_particles_without_fringes(tmp_path):
    config = load_particle_config("haadf-tomography", overrides={"size": [256, 256]})
    sample = generate_particle_image(config, 5151, 0)
    path = tmp_path / "slice.png"
    cv2.imwrite(str(path), sample.image)
    out = tmp_path / "o"
    assert main(["particles", "analyze", str(path), "-o", str(out), "--model", "haadf", "-q"]) == 0
    labels = cv2.imread(str(out / "slice_labels.tif"), cv2.IMREAD_UNCHANGED)
    pred, true = labels > 0, sample.labels > 0
    dice = 2 * (pred & true).sum() / (pred.sum() + true.sum())
    assert dice >= 0.7


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
