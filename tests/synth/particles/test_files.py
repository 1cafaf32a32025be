import json

import numpy as np
import pytest

from temdefects import __version__
from temdefects.errors import TemdefectsError
from temdefects.synth.particles import (
    RECORD_FORMAT,
    generate_particle_dataset,
    generate_particle_image,
    make_particle_record,
    particle_preview,
    read_particle_record,
    read_particle_sample,
    replay_particle_record,
    write_particle_sample,
)
from temdefects.synth.particles.preview import CLASS_COLOURS

from .helpers import quiet_config

CONFIG = quiet_config(size=96, particles={"count": [2, 4]})


def files_of(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_layout_record_and_replay(tmp_path):
    report = generate_particle_dataset(tmp_path / "d", CONFIG, count=2, seed=5)
    assert report.written == (0, 1)
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == [
        "000000.json",
        "000000.npz",
        "000000.png",
        "000001.json",
        "000001.npz",
        "000001.png",
        "dataset.json",
    ]
    record = read_particle_record(tmp_path / "d" / "000001.json")
    assert record["format"] == RECORD_FORMAT and record["temdefects_version"] == __version__
    assert record["seed"] == 5 and record["index"] == 1
    assert record["config"] == CONFIG.to_dict()
    sample = read_particle_sample(tmp_path / "d", 1)
    assert sample.labels.dtype == np.int32 and sample.image.shape == (96, 96)
    assert record["n_particles"] == len(sample.particles) == sample.labels.max()
    assert sum(report.classes.values()) == report.particles
    # the record alone rebuilds the image, labels and table...
    again = replay_particle_record(tmp_path / "d" / "000001.json")
    assert np.array_equal(again.image, sample.image)
    assert np.array_equal(again.labels, sample.labels)
    assert again.particles == sample.particles
    # ...and its files byte for byte
    direct = generate_particle_image(CONFIG, 5, 1)
    rec = make_particle_record(direct, index=1, seed=5, config=CONFIG.to_dict())
    (tmp_path / "e").mkdir()
    write_particle_sample(tmp_path / "e", direct, rec)
    written = files_of(tmp_path / "e")
    assert written == {k: v for k, v in files_of(tmp_path / "d").items() if k.startswith("000001")}


def test_output_does_not_depend_on_workers(tmp_path):
    generate_particle_dataset(tmp_path / "one", CONFIG, count=3, seed=9, workers=1)
    generate_particle_dataset(tmp_path / "two", CONFIG, count=3, seed=9, workers=2)
    assert files_of(tmp_path / "one") == files_of(tmp_path / "two")


def test_refuses_a_non_empty_folder_unless_overwrite(tmp_path):
    folder = tmp_path / "d"
    generate_particle_dataset(folder, CONFIG, count=2, seed=1)
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(TemdefectsError, match="not empty"):
        generate_particle_dataset(folder, CONFIG, count=1, seed=2)
    generate_particle_dataset(folder, CONFIG, count=1, seed=2, overwrite=True)
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["000000.json", "000000.npz", "000000.png", "dataset.json", "notes.txt"]
    assert json.loads((folder / "dataset.json").read_text())["seed"] == 2


@pytest.mark.parametrize("kwargs", [{"count": 0}, {"count": 1, "workers": 0}])
def test_bad_run_arguments_name_the_argument(tmp_path, kwargs):
    name = "workers" if "workers" in kwargs else "count"
    with pytest.raises(TemdefectsError, match=f"^{name}:"):
        generate_particle_dataset(tmp_path / "d", CONFIG, seed=0, **kwargs)


def test_preview_outlines_particles_in_their_class_colour():
    cfg = quiet_config(size=128, cls="fault", particles={"count": 3, "diameter": [1.0, 1.5]})
    samples = [generate_particle_image(cfg, 0, i) for i in range(3)]
    grid = particle_preview(samples, columns=2, cell=128)
    assert grid.dtype == np.uint8 and grid.shape == (2 * 128 + 6, 2 * 128 + 6, 3)
    body = np.ones(grid.shape[:2], bool)
    body[:20] = body[134:154] = False  # the class counts written at the top of each tile
    red = (np.all(grid == CLASS_COLOURS["fault"], axis=-1) & body).sum()
    green = (np.all(grid == CLASS_COLOURS["no_fault"], axis=-1) & body).sum()
    assert red > 100 and green == 0
