"""DM/EMD/SER through RosettaSciIO: written fixtures, and the real Velox EMD file."""

from __future__ import annotations

import numpy as np
import pytest

from temdefects.io.frames import count_frames, iter_frames

from .writers import write_ser


def write_berkeley_emd(path, data, *, unit="Å", scale=0.5):
    pytest.importorskip("h5py", reason="RosettaSciIO needs h5py for EMD files")
    from rsciio.emd import file_writer

    names = ["t", "y", "x"][-data.ndim :]
    axes = [
        {
            "name": name,
            "units": "s" if name == "t" else unit,
            "size": size,
            "scale": 1.0 if name == "t" else scale,
            "offset": 0.0,
            "navigate": name == "t",
            "index_in_array": i,
        }
        for i, (name, size) in enumerate(zip(names, data.shape, strict=True))
    ]
    file_writer(
        str(path),
        {
            "data": data,
            "axes": axes,
            "original_metadata": {},
            "metadata": {"General": {"title": "fixture"}, "Signal": {}},
        },
    )
    return path


def test_berkeley_emd_stack(tmp_path):
    data = np.arange(3 * 16 * 20, dtype=np.uint16).reshape(3, 16, 20)
    path = write_berkeley_emd(tmp_path / "series.emd", data)
    frames = list(iter_frames(path))
    assert count_frames(path) == 3
    assert [f.name for f in frames] == ["series_f00000", "series_f00001", "series_f00002"]
    for frame, plane in zip(frames, data, strict=True):
        np.testing.assert_array_equal(frame.image, plane)
        assert frame.pixel_size == pytest.approx(0.05)  # 0.5 Å
        assert frame.pixel_unit_raw == "Å"


def test_berkeley_emd_single_image_in_micrometres(tmp_path):
    data = np.ones((8, 10), np.float32)
    path = write_berkeley_emd(tmp_path / "one.emd", data, unit="µm", scale=0.002)
    (frame,) = iter_frames(path)
    assert frame.name == "one"
    assert frame.pixel_size == pytest.approx(2.0)


def test_ser_series_pixel_size_from_metres(tmp_path):
    data = np.arange(2 * 6 * 8, dtype=np.uint16).reshape(2, 6, 8)
    path = write_ser(tmp_path / "tia.ser", data, pixel_m=2e-10)
    frames = list(iter_frames(path))
    assert count_frames(path) == 2
    assert [f.name for f in frames] == ["tia_f00000", "tia_f00001"]
    for frame, plane in zip(frames, data, strict=True):
        np.testing.assert_array_equal(frame.image, plane)
        assert frame.pixel_size == pytest.approx(0.2)


def test_single_ser_image_keeps_the_file_stem(tmp_path):
    path = write_ser(tmp_path / "still.ser", np.ones((1, 4, 5), np.uint16), pixel_m=1e-9)
    (frame,) = iter_frames(path)
    assert frame.name == "still" and frame.pixel_size == pytest.approx(1.0)


def test_real_velox_emd(realdata):
    path = realdata / "nanoparticles" / "temul-au-haadf" / "example_Au_nanoparticle.emd"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    pytest.importorskip("h5py", reason="RosettaSciIO needs h5py for EMD files")
    assert count_frames(path) == 1
    (frame,) = iter_frames(path)
    assert frame.image.shape == (2048, 2048)
    assert frame.dtype == "uint16"
    assert frame.name == "example_Au_nanoparticle"
    # BinaryResult/PixelSize is 7.4984e-12 m; RosettaSciIO reports 0.0074984 nm.
    assert frame.pixel_size == pytest.approx(0.0074984, rel=1e-4)
    assert frame.pixel_unit_raw == "nm"
