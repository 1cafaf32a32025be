import json

import numpy as np
import pytest
import torch

from temdefects.errors import ConfigError, InputFileError
from temdefects.particles import pipeline
from temdefects.particles.classify import train_classifiers
from temdefects.particles.config import FeatureConfig, InstanceConfig
from temdefects.particles.features import FEATURE_NAMES
from temdefects.particles.pipeline import (
    ROW_KEYS,
    ParticleModel,
    analyze_particles,
    load_particle_model,
    with_instances,
)
from temdefects.synth.particles import read_particle_sample


class BrightIsParticle(torch.nn.Module):
    """A stand-in segmenter: bright pixels (> 0.5 after scaling) are particle."""

    multiple = 32

    def __init__(self):
        super().__init__()
        self.gain = torch.nn.Parameter(torch.tensor(40.0))

    def forward(self, x):
        return self.gain * (x - 0.5), None


def any_classifier():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((30, len(FEATURE_NAMES)))
    y = ["fault", "no_fault", "no_fringes"] * 10
    clf, _ = train_classifiers(
        x, y, feature_names=FEATURE_NAMES, classes=("fault", "no_fault", "no_fringes")
    )
    return clf


def stub_model(pixel_size_range=None, **instances) -> ParticleModel:
    return ParticleModel(
        BrightIsParticle().eval(),
        any_classifier(),
        InstanceConfig(**instances),
        FeatureConfig(),
        pixel_size_range,
    )


def scene():
    """Two touching disks and a lone one, bright on a dark noisy support."""
    yy, xx = np.mgrid[:100, :150]
    image = np.full((100, 150), 0.2)
    for cy, cx in ((40, 30), (40, 62), (70, 115)):
        image[(yy - cy) ** 2 + (xx - cx) ** 2 < 17**2] = 0.8
    return image + 0.02 * np.random.default_rng(1).standard_normal(image.shape)


def test_rows_and_labels_of_a_stub_segmentation():
    result = analyze_particles(stub_model(), scene(), pixel_size=0.05)
    assert result.labels.shape == (100, 150) and result.labels.dtype == np.int32
    assert result.labels.max() == len(result.rows) == 3
    assert [tuple(r) for r in result.rows] == [ROW_KEYS] * 3
    assert sum(r["area_px"] for r in result.rows) == (result.labels > 0).sum()
    centres = sorted((round(r["centroid_y"]), round(r["centroid_x"])) for r in result.rows)
    assert np.allclose(centres, [(40, 30), (40, 62), (70, 115)], atol=1.5)
    row = result.rows[0]
    assert row["area_nm2"] == pytest.approx(row["area_px"] * 0.0025, rel=1e-3)
    assert row["diameter_nm"] == pytest.approx(row["diameter_px"] * 0.05, rel=1e-3)
    assert row["class"] in ("fault", "no_fault", "no_fringes") and 0 < row["probability"] <= 1
    assert result.factor == 1.0 and result.probability.shape == (100, 150)


def test_images_are_resampled_to_the_training_pixel_size():
    model = stub_model(pixel_size_range=(0.02, 0.04), min_diameter_nm=0.0)
    result = analyze_particles(model, scene(), pixel_size=0.01)
    assert result.factor == pytest.approx(0.5)
    assert result.labels.shape == (100, 150) and len(result.rows) == 3
    assert analyze_particles(model, scene(), pixel_size=0.01, rescale=False).factor == 1.0
    assert analyze_particles(model, scene()).factor == 1.0  # pixel size unknown


def test_the_smallest_particle_follows_the_pixel_size():
    # The disks are 34 px across: 1.7 nm at 0.05 nm/px, 0.34 nm (atom-sized) at 0.01 nm/px.
    model = stub_model()
    assert len(analyze_particles(model, scene(), pixel_size=0.05).rows) == 3
    assert analyze_particles(model, scene(), pixel_size=0.01).rows == []
    assert len(analyze_particles(model, scene()).rows) == 3  # pixel size unknown: no nm rule
    off = with_instances(model, min_diameter_nm=0.0)
    assert len(analyze_particles(off, scene(), pixel_size=0.01).rows) == 3


def test_instance_settings_can_be_changed():
    model = with_instances(stub_model(), min_size=2000)
    assert analyze_particles(model, scene()).rows == []
    with pytest.raises(ConfigError, match="instances.threshold"):
        with_instances(stub_model(), threshold=3)


def test_a_trained_model_on_a_generated_image(tiny_model, tiny_folder):
    model = load_particle_model(tiny_model[0])
    assert model.pixel_size_range == pytest.approx((0.03, 0.03))
    assert model.median_area_px > 0  # from the record (data.particle_area_px), for the pyramid
    sample = read_particle_sample(tiny_folder, 4)
    result = analyze_particles(model, sample.image, pixel_size=0.03)
    assert result.labels.shape == sample.image.shape
    assert 0 < len(result.rows) == result.labels.max()
    assert set(np.unique(result.labels)) == set(range(len(result.rows) + 1))


def test_loading_errors_are_one_line(tmp_path, monkeypatch, tiny_model):
    monkeypatch.setattr(pipeline, "default_particle_model_path", lambda: tmp_path / "none")
    with pytest.raises(InputFileError, match="no default particle model"):
        load_particle_model()
    with pytest.raises(InputFileError, match="not found"):
        load_particle_model(tmp_path / "missing")
    folder = tiny_model[0]
    broken = tmp_path / "copy"
    broken.mkdir()
    for name in ("config.json", "model.safetensors"):
        (broken / name).write_bytes((folder / name).read_bytes())
    with pytest.raises(InputFileError, match="classifier.json"):
        load_particle_model(broken)
    record = json.loads((folder / "config.json").read_text())
    del record["training"]["task"]
    (broken / "config.json").write_text(json.dumps(record))
    with pytest.raises(InputFileError, match="not a particle model"):
        load_particle_model(broken)


class LocallyBright(torch.nn.Module):
    """A stand-in segmenter that, like a trained one, only knows small particles:
    pixels brighter than their 31 px neighbourhood. A disk much wider than that
    shows only its rim at full scale."""

    multiple = 32

    def __init__(self):
        super().__init__()
        self.gain = torch.nn.Parameter(torch.tensor(40.0))

    def forward(self, x):
        mean = torch.nn.functional.avg_pool2d(x, 31, stride=1, padding=15, count_include_pad=False)
        return self.gain * (x - mean - 0.15), None


def big_and_small_scene():
    """A 130 px disk and three 10 px disks, bright on a dark support (1024 px)."""
    yy, xx = np.mgrid[:1024, :1024]
    image = np.full((1024, 1024), 0.2)
    image[(yy - 500) ** 2 + (xx - 480) ** 2 < 65**2] = 0.8
    for cy, cx in ((150, 150), (150, 850), (850, 200)):
        image[(yy - cy) ** 2 + (xx - cx) ** 2 < 5**2] = 0.8
    return image, (yy - 500) ** 2 + (xx - 480) ** 2 < 65**2


def _best_iou(labels, mask):
    return max(
        ((labels == u) & mask).sum() / ((labels == u) | mask).sum()
        for u in range(1, labels.max() + 1)
    )


def test_the_pyramid_finds_particles_far_larger_than_the_model_learnt():
    model = ParticleModel(
        LocallyBright().eval(),
        any_classifier(),
        InstanceConfig(min_size=10),
        FeatureConfig(),
        None,
        median_area_px=80.0,  # d = 10 px
    )
    image, disk = big_and_small_scene()
    plain = analyze_particles(model, image)
    found = analyze_particles(model, image, pyramid=True)
    assert _best_iou(plain.labels, disk) < 0.5  # only the rim at full scale
    assert _best_iou(found.labels, disk) >= 0.8
    small = ~np.isin(plain.labels, np.unique(plain.labels[disk]))
    assert np.array_equal(
        plain.labels[small] > 0, found.labels[small] > 0
    )  # small ones as they were
    assert len(found.rows) == found.labels.max() == 4
    # with a pixel size the scale is known: no pyramid
    assert np.array_equal(
        analyze_particles(model, image, pixel_size=0.1, pyramid=True).labels, plain.labels
    )


def test_the_pyramid_needs_the_learnt_particle_sizes():
    model = stub_model()
    labels = analyze_particles(model, scene()).labels
    unit = np.clip(scene(), 0, 1).astype(np.float32)
    assert np.array_equal(pipeline.pyramid_particles(model, unit, labels), labels)


def test_a_label_reaching_beyond_the_box_counts_with_its_whole_area():
    labels = np.ones((10, 10), np.int32)  # one label fills the box around the candidate
    mask = np.zeros((10, 10), bool)
    mask[:, :5] = True  # the candidate: half the box
    assert pipeline._overlaps(labels, mask, np.array([0, 100]))  # the label is the box: IoU 0.5
    assert not pipeline._overlaps(labels, mask, np.array([0, 10_000]))  # far larger: IoU 0.005
