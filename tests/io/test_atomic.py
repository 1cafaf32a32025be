import json

import numpy as np
import pytest

from temdefects.io import atomic
from temdefects.io import jsonfile as strict_json
from temdefects.io.atomic import atomic_write_bytes, atomic_write_json, atomic_write_text


def test_replaces_whole_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("old")
    atomic_write_text(path, "new content")
    assert path.read_text() == "new content"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


@pytest.mark.parametrize("fsync", [True, False])
def test_permissions_are_those_of_a_normal_file(tmp_path, fsync):
    # mkstemp alone would leave 0600; finished files get 0666 minus the umask.
    path = atomic_write_bytes(tmp_path / "a.bin", b"x", fsync=fsync)
    assert path.stat().st_mode & 0o777 == atomic._MODE
    assert atomic._MODE == 0o666 & ~atomic._UMASK


def test_failed_write_keeps_the_old_file(tmp_path):
    path = tmp_path / "keep.txt"
    path.write_text("precious")
    with pytest.raises(TypeError):
        atomic_write_bytes(path, object())  # type: ignore[arg-type]
    assert path.read_text() == "precious"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_remove_temporaries_touches_only_temporaries(tmp_path):
    sub = tmp_path / "sub"
    sub.mkdir()
    for p in (tmp_path / ".a.png.xyz.tmp", sub / ".b.json.q1.tmp", sub / "keep.tmp", sub / "c"):
        p.write_text("x")
    assert atomic.remove_temporaries(tmp_path, ("sub", "missing")) == 2
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["c", "keep.tmp", "sub"]


@pytest.mark.parametrize("indent", [1, 2, None])
def test_write_json_round_trips_with_the_bytes_of_the_old_expression(tmp_path, indent):
    obj = {"a": [1, 2.5, float("nan")], "b": {"c": "d"}, "e": np.float32(0.25)}
    path = atomic_write_json(tmp_path / "a.json", obj, indent=indent)
    expected = strict_json.dumps(obj, indent=indent) + "\n"
    assert path.read_bytes() == expected.encode("utf-8")
    assert json.loads(path.read_text()) == {"a": [1, 2.5, None], "b": {"c": "d"}, "e": 0.25}
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_write_json_default_indent_is_one(tmp_path):
    path = atomic_write_json(tmp_path / "a.json", {"x": 1})
    assert path.read_text() == '{\n "x": 1\n}\n'
