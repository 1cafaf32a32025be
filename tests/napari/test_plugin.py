"""The napari plugin: manifest, reader, writer, and the viewer itself (Qt offscreen)."""

import json

import numpy as np
import pytest

from temdefects.cli.main import main
from temdefects.io.labelme import read_labelme
from temdefects.napari.reader import ellipse_corners, get_reader, read_results
from temdefects.napari.writer import write_labelme_shapes

# napari, npe2 and their pydantic/Qt stacks warn about their own dependencies
pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::PendingDeprecationWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
]


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    root = tmp_path_factory.mktemp("plugin")
    assert (
        main(
            [
                "synth",
                "-n",
                "1",
                "--size",
                "128",
                "160",
                "--preset",
                "m2",
                "--seed",
                "2",
                "-q",
                "-o",
                str(root / "synth"),
            ]
        )
        == 0
    )
    return root / "synth" / "000000.png"


def test_manifest_is_valid_and_importable():
    npe2 = pytest.importorskip("npe2")
    manifest = npe2.PluginManifest.from_distribution("temdefects")
    for command in manifest.contributions.commands:
        module, _, name = command.python_name.partition(":")
        assert callable(getattr(__import__(module, fromlist=[name]), name))


def test_analysis_folder_opens_as_frames_and_editable_paths(image, tmp_path):
    out = tmp_path / "an"
    assert main(["analyze", str(image), "-o", str(out), "-q"]) == 0
    record = json.loads(next((out / "json").glob("*.json")).read_text())
    assert get_reader(str(out)) is read_results and get_reader(str(image)) is None
    layers = read_results(str(out))
    kinds = [k for _, _, k in layers]
    assert kinds == ["image", "shapes"]
    assert layers[0][0].shape == (128, 160)
    paths, meta, _ = layers[1]
    assert meta["shape_type"] == "path" and len(paths) == len(record["dislocations"])
    for path, d in zip(paths, record["dislocations"], strict=True):
        np.testing.assert_allclose(path, np.asarray(d["points"])[:, ::-1])  # (row, col)
    assert list(meta["properties"]["id"]) == [d["id"] for d in record["dislocations"]]


@pytest.mark.slow  # two analyses
def test_frames_found_from_another_folder_and_paths_kept_per_frame(image, tmp_path, monkeypatch):
    import shutil

    work = tmp_path / "work"
    work.mkdir()
    for name in ("a.png", "b.png"):
        shutil.copy(image, work / name)
    monkeypatch.chdir(work)  # the user analyses with paths relative to here
    assert main(["analyze", "a.png", "b.png", "-o", "out", "-q"]) == 0
    monkeypatch.chdir(tmp_path)  # ... and opens the results from elsewhere
    layers = read_results(str(work / "out"))
    assert [k for _, _, k in layers] == ["image", "shapes"]
    assert layers[0][0].shape == (2, 128, 160)
    paths = layers[1][0]
    assert paths and all(p.shape[1] == 3 for p in paths)
    assert {int(p[0, 0]) for p in paths} == {0, 1}  # one frame's curves at a time
    (work / "b.png").unlink()  # a missing frame: no stack, the curves stay per frame
    layers = read_results(str(work / "out"))
    assert [k for _, _, k in layers] == ["image", "shapes"]
    assert all(p.shape[1] == 3 for p in layers[1][0])


def test_edited_curves_save_as_labelme_that_labelme_to_masks_reads(image, tmp_path):
    curves_rc = [
        np.array([[10.0, 5.0], [12.0, 40.0], [15.0, 90.0]]),
        np.array([[0, 60.0, 20.0], [0, 80.0, 30.0]]),
    ]  # a path with a frame axis
    target = tmp_path / "edited.json"
    written = write_labelme_shapes(
        str(target), curves_rc, {"metadata": {"image_path": str(image), "image_shape": (128, 160)}}
    )
    assert written == [str(target)]
    doc = read_labelme(target)
    assert len(doc.shapes) == 2
    np.testing.assert_allclose(np.asarray(doc.shapes[0].points), curves_rc[0][:, ::-1])
    out = tmp_path / "masks"
    assert main(["labelme-to-masks", str(target), "-o", str(out)]) == 0
    assert len(list(out.glob("*.npz"))) == 1


def test_loop_and_particle_folders_open(image, tmp_path):
    loops = tmp_path / "loops"
    assert main(["loops", "detect", str(image), "-o", str(loops), "-q", "--score", "0.05"]) == 0
    layers = read_results(str(loops))
    assert [k for _, _, k in layers] == ["image", "shapes"]
    assert layers[1][1]["shape_type"] == "ellipse"
    parts = tmp_path / "particles"
    assert main(["particles", "analyze", str(image), "-o", str(parts), "-q"]) == 0
    layers = read_results(str(parts))
    assert [k for _, _, k in layers] == ["image", "labels"]
    assert layers[1][0].shape == (128, 160)


def test_ellipse_corners_span_the_axes():
    c = ellipse_corners((50.0, 20.0, 40.0, 10.0, 0.0))  # horizontal ellipse at x=50, y=20
    np.testing.assert_allclose(c.min(0), [15.0, 30.0])
    np.testing.assert_allclose(c.max(0), [25.0, 70.0])


def test_viewer_reads_edits_and_writes(image, tmp_path):
    # napari's own viewer model, headless (no Qt window or OpenGL: none on CI machines)
    components = pytest.importorskip("napari.components")
    from napari.plugins import _initialize_plugins

    _initialize_plugins()  # what napari does at start-up: finds this package's manifest
    out = tmp_path / "an"
    assert main(["analyze", str(image), "-o", str(out), "-q"]) == 0
    viewer = components.ViewerModel()
    layers = viewer.open(str(out), plugin="temdefects")
    assert [layer._type_string for layer in layers] == ["image", "shapes"]
    shapes = layers[1]
    before = len(shapes.data)
    shapes.add_paths([np.array([[5.0, 5.0], [30.0, 40.0]])])  # the user draws a missed line
    shapes.remove_selected()  # nothing selected: nothing removed
    target = tmp_path / "fixed.json"
    saved = shapes.save(str(target), plugin="temdefects")
    assert saved == [str(target)]
    doc = read_labelme(target)
    assert len(doc.shapes) == before + 1
    np.testing.assert_allclose(np.asarray(doc.shapes[-1].points), [[5.0, 5.0], [40.0, 30.0]])


def test_every_widget_builds_its_form(monkeypatch):
    # napari builds each widget's form with magicgui from the evaluated annotations
    # (string annotations failed: "Magicgui could not resolve ForwardRef('Path | None')")
    magicgui = pytest.importorskip("magicgui")
    pytest.importorskip("qtpy")
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    from temdefects.napari import widgets

    for name in widgets.__all__:
        form = magicgui.magicgui(getattr(widgets, name))
        assert [w.name for w in form] == ["image", "model", "call_button"], name
        assert type(form.model).__name__ == "FileEdit"
