"""iter_frames / count_frames on raster images, TIFF stacks, MRC and videos."""

from __future__ import annotations

import math

import cv2
import mrcfile
import numpy as np
import pytest
import tifffile

from temdefects.errors import InputFileError
from temdefects.io.frames import SUPPORTED_SUFFIXES, Frame, count_frames, iter_frames

from .writers import write_video


def ramp(height=24, width=32, dtype=np.uint8, top=255):
    values = np.linspace(0, top, height * width).reshape(height, width)
    return np.round(values).astype(dtype)


@pytest.mark.parametrize("suffix", [".png", ".bmp", ".PNG"])
def test_lossless_8bit_raster_keeps_raw_values(tmp_path, suffix):
    image = ramp()
    path = tmp_path / f"micrograph{suffix}"
    assert cv2.imwrite(str(path), image)
    frames = list(iter_frames(path))
    assert len(frames) == 1 and count_frames(path) == 1
    frame = frames[0]
    assert frame.image.dtype == np.float32 and frame.dtype == "uint8"
    np.testing.assert_array_equal(frame.image, image)
    assert (frame.name, frame.index, frame.source) == ("micrograph", 0, path)
    assert frame.pixel_size is None and frame.pixel_unit_raw is None
    np.testing.assert_allclose(frame.to_unit(), image / 255.0, atol=1e-6)


def test_jpeg_is_read_close_to_the_original(tmp_path):
    image = ramp()
    path = tmp_path / "photo.jpg"
    assert cv2.imwrite(str(path), image, [cv2.IMWRITE_JPEG_QUALITY, 95])
    (frame,) = iter_frames(path)
    assert frame.image.shape == image.shape
    assert np.abs(frame.image - image).mean() < 3


def test_colour_png_becomes_luminance(tmp_path):
    bgr = np.zeros((8, 10, 3), np.uint8)
    bgr[..., 2] = 200  # pure red in OpenCV's BGR order
    path = tmp_path / "red.png"
    assert cv2.imwrite(str(path), bgr)
    (frame,) = iter_frames(path)
    np.testing.assert_allclose(frame.image, 0.299 * 200, rtol=1e-5)


def test_16bit_png_keeps_full_range(tmp_path):
    image = ramp(dtype=np.uint16, top=65535)
    path = tmp_path / "deep.png"
    assert cv2.imwrite(str(path), image)
    (frame,) = iter_frames(path)
    assert frame.dtype == "uint16"
    np.testing.assert_array_equal(frame.image, image.astype(np.float32))
    np.testing.assert_allclose(frame.to_unit(), image / 65535.0, atol=1e-6)


def test_float_tiff_keeps_values_and_minmax_scales(tmp_path):
    image = np.linspace(-3.0, 5.0, 12 * 10, dtype=np.float32).reshape(12, 10)
    path = tmp_path / "float.tif"
    tifffile.imwrite(path, image)
    (frame,) = iter_frames(path)
    np.testing.assert_array_equal(frame.image, image)
    unit = frame.to_unit()
    assert unit.min() == 0.0 and unit.max() == 1.0
    np.testing.assert_allclose(unit, (image + 3.0) / 8.0, atol=1e-6)


@pytest.mark.parametrize("layout", ["pages", "array"])
def test_tiff_stack_yields_one_frame_per_page_with_unique_names(tmp_path, layout):
    stack = np.stack([np.full((6, 7), 10 * (i + 1), np.uint16) for i in range(3)])
    path = tmp_path / "stack.tif"
    if layout == "pages":
        with tifffile.TiffWriter(path) as writer:
            for page in stack:
                writer.write(page)
    else:
        tifffile.imwrite(path, stack, photometric="minisblack")
    frames = list(iter_frames(path))
    assert count_frames(path) == 3
    assert [f.index for f in frames] == [0, 1, 2]
    assert [f.name for f in frames] == ["stack_f00000", "stack_f00001", "stack_f00002"]
    assert len({f.name for f in frames}) == 3
    for frame, page in zip(frames, stack, strict=True):
        np.testing.assert_array_equal(frame.image, page)


def test_rgb_tiff_becomes_luminance(tmp_path):
    rgb = np.zeros((5, 6, 3), np.uint8)
    rgb[..., 1] = 100  # green
    path = tmp_path / "rgb.tif"
    tifffile.imwrite(path, rgb, photometric="rgb")
    (frame,) = iter_frames(path)
    np.testing.assert_allclose(frame.image, 0.587 * 100, rtol=1e-5)


@pytest.mark.parametrize(
    ("unit", "expected_nm"),
    [("nm", 0.5), ("um", 500.0), ("micron", 500.0), ("\\u00B5m", 500.0), ("A", 0.05)],
)
def test_imagej_tiff_pixel_size_in_nm(tmp_path, unit, expected_nm):
    path = tmp_path / "calibrated.tif"
    tifffile.imwrite(
        path,
        np.zeros((8, 9), np.uint16),
        imagej=True,
        resolution=(1 / 0.5, 1 / 0.5),
        metadata={"unit": unit},
    )
    (frame,) = iter_frames(path)
    assert frame.pixel_size == pytest.approx(expected_nm)
    assert frame.pixel_unit_raw is not None


def test_imagej_tiff_in_pixels_has_no_pixel_size(tmp_path):
    path = tmp_path / "pixels.tif"
    tifffile.imwrite(
        path,
        np.zeros((8, 9), np.uint8),
        imagej=True,
        resolution=(1.0, 1.0),
        metadata={"unit": "pixel"},
    )
    (frame,) = iter_frames(path)
    assert frame.pixel_size is None and frame.pixel_unit_raw == "pixel"


def test_ome_tiff_pixel_size(tmp_path):
    path = tmp_path / "series.ome.tif"
    tifffile.imwrite(
        path,
        np.zeros((2, 8, 9), np.uint8),
        ome=True,
        metadata={"axes": "TYX", "PhysicalSizeX": 0.25, "PhysicalSizeXUnit": "µm"},
    )
    frames = list(iter_frames(path))
    assert len(frames) == 2
    assert all(f.pixel_size == pytest.approx(250.0) for f in frames)


def test_pixel_size_argument_overrides_metadata(tmp_path):
    path = tmp_path / "calibrated.tif"
    tifffile.imwrite(
        path,
        np.zeros((8, 9), np.uint8),
        imagej=True,
        resolution=(2.0, 2.0),
        metadata={"unit": "nm"},
    )
    (frame,) = iter_frames(path, pixel_size=0.12)
    assert frame.pixel_size == pytest.approx(0.12)
    assert frame.pixel_unit_raw == "nm"


@pytest.mark.parametrize("bad", [0, -1.0, math.nan, math.inf, "0.1", True])
def test_invalid_pixel_size_argument_is_rejected(tmp_path, bad):
    path = tmp_path / "a.png"
    assert cv2.imwrite(str(path), ramp())
    with pytest.raises(ValueError, match="pixel_size"):
        list(iter_frames(path, pixel_size=bad))


def test_nan_in_float_image_is_an_input_error(tmp_path):
    path = tmp_path / "nan.tif"
    image = np.zeros((4, 4), np.float32)
    image[1, 2] = np.nan
    tifffile.imwrite(path, image)
    with pytest.raises(InputFileError, match="nan.tif.*NaN"):
        list(iter_frames(path))


def test_mrc_stack_with_voxel_size(tmp_path):
    stack = np.arange(4 * 6 * 5, dtype=np.float32).reshape(4, 6, 5)
    path = tmp_path / "tomo.mrc"
    with mrcfile.new(path) as mrc:
        mrc.set_data(stack)
        mrc.voxel_size = 2.5  # Å
    frames = list(iter_frames(path))
    assert count_frames(path) == 4 and len(frames) == 4
    assert [f.name for f in frames] == [f"tomo_f{i:05d}" for i in range(4)]
    for frame, section in zip(frames, stack, strict=True):
        np.testing.assert_array_equal(frame.image, section)
        assert frame.pixel_size == pytest.approx(0.25)
        assert frame.pixel_unit_raw == "Å"


def test_single_mrc_image_without_voxel_size(tmp_path):
    path = tmp_path / "single.mrc"
    with mrcfile.new(path) as mrc:
        mrc.set_data(np.arange(30, dtype=np.int16).reshape(5, 6))
    (frame,) = iter_frames(path)
    assert frame.name == "single" and frame.dtype == "int16"
    assert frame.pixel_size is None
    assert frame.to_unit().max() == 1.0  # signed integers are min-max scaled


@pytest.mark.parametrize(
    ("suffix", "codec"), [(".avi", "mpeg4"), (".mp4", "libx264"), (".mkv", "ffv1")]
)
def test_video_is_read_frame_by_frame(tmp_path, suffix, codec):
    import av

    if codec not in av.codecs_available:
        pytest.skip(f"FFmpeg in this PyAV build has no {codec} encoder")
    levels = [40, 80, 120, 160, 200]
    clip = np.stack([np.full((48, 64), v, np.uint8) for v in levels])
    path = write_video(tmp_path / f"insitu{suffix}", clip, codec=codec)
    frames = list(iter_frames(path))
    assert len(frames) == 5
    assert count_frames(path) in (5, None)  # Matroska headers declare no count
    assert len({f.name for f in frames}) == 5
    assert frames[0].name == "insitu_f00000" and frames[4].index == 4
    for frame, level in zip(frames, levels, strict=True):
        assert frame.image.shape == (48, 64) and frame.dtype == "uint8"
        assert abs(float(frame.image.mean()) - level) < 3


def test_stopping_early_reads_only_what_is_needed(tmp_path):
    clip = np.stack([np.full((16, 16), 10 * i, np.uint8) for i in range(5)])
    path = write_video(tmp_path / "clip.avi", clip, codec="mpeg4")
    frames = iter_frames(path)
    first = next(frames)
    frames.close()  # releases the container; must not raise
    assert first.index == 0


def test_frame_validates_its_fields(tmp_path):
    with pytest.raises(ValueError, match="2D"):
        Frame(np.zeros((2, 2, 2), np.float32), tmp_path, 0, None, None, "x")
    with pytest.raises(ValueError, match="float32"):
        Frame(np.zeros((2, 2)), tmp_path, 0, None, None, "x")
    with pytest.raises(ValueError, match="pixel_size"):
        Frame(np.zeros((2, 2), np.float32), tmp_path, 0, -1.0, None, "x")
    frame = Frame(np.full((2, 2), 3.0, np.float32), tmp_path, 0, None, None, "x")
    np.testing.assert_array_equal(frame.to_unit(), 0.0)  # constant image
    with pytest.raises(ValueError, match="mode"):
        frame.to_unit(mode="dtype-ish")


def test_supported_suffixes_cover_the_promised_formats():
    for suffix in (".png", ".jpg", ".tif", ".dm3", ".dm4", ".emd", ".ser", ".mrc", ".mp4", ".avi"):
        assert suffix in SUPPORTED_SUFFIXES
