import json

import pytest

from temdefects.errors import InputFileError, TemdefectsError
from temdefects.models import read_config
from temdefects.particles.classify import KINDS, load_classifier
from temdefects.particles.features import FEATURE_NAMES
from temdefects.particles.training import train_particle_model
from tests.particles.helpers import tiny_train_config


def test_one_folder_holds_segmenter_classifier_and_records(tiny_model):
    folder, metrics = tiny_model
    for name in (
        "config.json",
        "model.safetensors",
        "metrics.json",
        "classifier.skops",
        "classifier.json",
        "log.csv",
        "train_config.yaml",
    ):
        assert (folder / name).is_file(), name
    record = read_config(folder)["training"]
    assert record["task"] == "particles"
    assert record["data"]["train_images"] == 4 and record["data"]["test_images"] == 1
    assert record["data"]["pixel_size_nm"] == pytest.approx([0.03, 0.03])
    assert record["instances"]["threshold"] == 0.5 and "spot_threshold" in record["features"]
    assert record["instances"]["min_size"] > 30 and record["data"]["particle_area_px"]["count"]
    saved = json.loads((folder / "metrics.json").read_text())
    assert saved == json.loads(json.dumps(metrics))
    assert 0 <= saved["segmentation"]["test_dice"] <= 1
    clf = saved["classification"]
    assert clf["selected"] in KINDS and all(k in clf for k in KINDS)
    assert clf["train_particles"] > 0 and clf["test_particles"] > 0
    loaded = load_classifier(folder)
    assert loaded.kind == clf["selected"] and loaded.feature_names == FEATURE_NAMES
    assert loaded.record["task"] == "particles"


def test_refuses_a_used_folder_a_missing_one_and_no_data(tiny_model, tiny_folder, tmp_path):
    folder, _ = tiny_model
    cfg = tiny_train_config(data={"folder": str(tiny_folder)})
    with pytest.raises(TemdefectsError, match="not empty"):
        train_particle_model(cfg, folder, progress=False)
    with pytest.raises(TemdefectsError, match="data.folder"):
        train_particle_model(tiny_train_config(), tmp_path / "m", progress=False)
    missing = tiny_train_config(data={"folder": str(tmp_path / "nothing")})
    with pytest.raises(InputFileError, match="not found"):
        train_particle_model(missing, tmp_path / "m", progress=False)
    assert not (tmp_path / "m").exists()


def test_min_size_is_raised_from_the_training_particles(tiny_folder):
    from temdefects.particles.config import InstanceConfig
    from temdefects.particles.data import particle_areas, split_names
    from temdefects.particles.training import effective_instances

    train, _ = split_names(tiny_folder, test_fraction=0.2, test_folder=None)
    areas = particle_areas(train)
    assert len(areas) >= 8 and areas.min() > 300
    raised, stats = effective_instances(InstanceConfig(), train)
    assert stats["count"] == len(areas) and stats["p1"] <= stats["median"]
    assert raised.min_size == round(0.25 * stats["p1"]) > 30
    kept, _ = effective_instances(InstanceConfig(min_area_fraction=0.0), train)
    assert kept.min_size == 30


def test_extra_folders_join_training_and_test(tiny_folder, tmp_path):
    from temdefects.particles.data import split_groups
    from temdefects.synth.particles import generate_particle_dataset, load_particle_config

    small = {"size": [96, 96], "particles": {"count": [2, 4], "diameter": [0.8, 2.0]}}
    extra = tmp_path / "haadf"
    generate_particle_dataset(
        extra, load_particle_config("haadf-supported", overrides=small), count=5, seed=0
    )
    cfg = tiny_train_config(
        data={"folder": str(tiny_folder), "extra_folders": [str(extra)]}, optim={"max_steps": 2}
    )
    train, test = split_groups(cfg.data)
    assert [len(n) for _, n in train] == [4, 4] and [len(n) for _, n in test] == [1, 1]
    metrics = train_particle_model(cfg, tmp_path / "m", progress=False, log=lambda s: None)
    record = read_config(tmp_path / "m")["training"]
    assert record["data"]["train_images"] == 8 and len(record["data"]["folders"]) == 2
    lo, hi = record["data"]["pixel_size_nm"]  # the span of both folders
    assert lo == pytest.approx(0.03) and hi == pytest.approx(0.3)
    assert metrics["classification"]["train_particles"] > 0
