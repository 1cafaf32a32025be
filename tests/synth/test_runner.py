"""The one dataset runner of the three generators: resume, failures, folder checks."""

import re

import pytest

from temdefects.errors import TemdefectsError
from temdefects.synth.dislocations.dataset import generate_dataset
from temdefects.synth.loops.dataset import generate_loop_dataset
from temdefects.synth.particles.dataset import generate_particle_dataset
from temdefects.synth.runner import Family, run_images

from .dislocations.helpers import quiet_config as dislocation_config
from .loops.test_files import CONFIG as LOOP_CONFIG
from .particles.test_files import CONFIG as PARTICLE_CONFIG

FAMILIES = {
    "dislocations": (generate_dataset, dislocation_config(size=(64, 64))),
    "loops": (generate_loop_dataset, LOOP_CONFIG),
    "particles": (generate_particle_dataset, PARTICLE_CONFIG),
}


def files_of(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_family_resumes_an_interrupted_run_to_the_same_files(tmp_path, family):
    generate, config = FAMILIES[family]
    quiet = {"progress": False}
    generate(tmp_path / "ref", config, count=4, seed=3, **quiet)
    out = tmp_path / "out"
    generate(out, config, count=4, seed=3, **quiet)
    (out / "000002.json").unlink()  # the record is written last: image 2 is incomplete
    (out / "000003.png").unlink()
    report = generate(out, config, count=4, seed=3, resume=True, **quiet)
    assert list(report.written) == [2, 3] and list(report.skipped) == [0, 1]
    assert files_of(out) == files_of(tmp_path / "ref")  # tables of all four images included
    with pytest.raises(TemdefectsError, match="seed differs"):
        generate(out, config, count=4, seed=4, resume=True, **quiet)
    with pytest.raises(TemdefectsError, match="exclude each other"):
        generate(out, config, count=4, seed=3, resume=True, overwrite=True, **quiet)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_family_refuses_bad_counts_alike(tmp_path, family):
    generate, config = FAMILIES[family]
    for kwargs, name in (({"count": 0}, "count"), ({"count": 1, "workers": 0}, "workers")):
        with pytest.raises(TemdefectsError, match=f"^{name}: must be an integer >= 1"):
            generate(tmp_path / "d", config, seed=0, progress=False, **kwargs)


def _sometimes_fails(limit, index, folder, digits):
    if index >= limit:
        raise TemdefectsError(f"image {index} cannot be made")
    return index * 10


@pytest.mark.parametrize("workers", [1, 2])
def test_one_failing_image_does_not_stop_the_others(tmp_path, workers):
    family = Family(own_file=re.compile(r"^\d{6}\.json$"))
    out = run_images(tmp_path, family, _sometimes_fails, (3,), count=5, digits=6, workers=workers)
    assert out.written == [0, 1, 2] and out.results == {0: 0, 1: 10, 2: 20}
    assert sorted(out.failed) == [3, 4] and out.failed[4] == "image 4 cannot be made"
