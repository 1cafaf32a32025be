"""Scale-out (issue 22): local processes and a Dask LocalCluster give the same files."""

import pytest

from temdefects.cli.main import main
from temdefects.errors import TemdefectsError
from temdefects.parallel import executor

pytest.importorskip("distributed")


def _tree(folder, skip=("summary.json", "dataset.json")):
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name not in skip
    }


def test_synth_on_a_dask_cluster_equals_a_local_run(tmp_path):
    args = ["synth", "-n", "6", "--size", "64", "64", "--preset", "m2", "--seed", "4", "-q"]
    assert main([*args, "-o", str(tmp_path / "local")]) == 0
    assert main([*args, "-o", str(tmp_path / "dask"), "--scheduler", "local:2"]) == 0
    a, b = _tree(tmp_path / "local"), _tree(tmp_path / "dask")
    assert sorted(a) == sorted(b) and len(a) >= 18
    assert all(a[k] == b[k] for k in a)


@pytest.mark.slow
def test_analyze_on_two_workers_equals_one_process(tmp_path):
    frames = tmp_path / "frames"
    assert (
        main(["synth", "-n", "5", "--size", "96", "96", "--preset", "m2", "-q", "-o", str(frames)])
        == 0
    )
    images = sorted(str(p) for p in frames.glob("*.png"))
    base = ["analyze", *images, "-q"]
    assert main([*base, "-o", str(tmp_path / "one")]) == 0
    assert main([*base, "-o", str(tmp_path / "dask"), "--scheduler", "local:2"]) == 0
    assert main([*base, "-o", str(tmp_path / "procs"), "--workers", "2"]) == 0
    one = _tree(tmp_path / "one")
    assert len(one) >= 5 * 4 + 1  # json, overlay, labelme, rois per frame + the table
    for other in ("dask", "procs"):
        two = _tree(tmp_path / other)
        assert sorted(two) == sorted(one)
        assert [k for k in one if one[k] != two[k]] == []


def test_bad_scheduler_values():
    with pytest.raises(TemdefectsError, match="local:N"), executor(scheduler="local:zero"):
        pass
    with pytest.raises(TemdefectsError, match="workers"), executor(workers=0):
        pass
