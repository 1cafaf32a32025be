"""Every bad input gives one InputFileError line that names the file."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import tifffile

from temdefects.errors import InputFileError
from temdefects.io.frames import count_frames, expand_inputs, iter_frames


def test_missing_file_fails_at_the_call(tmp_path):
    path = tmp_path / "absent.png"
    with pytest.raises(InputFileError, match="absent.png: no such file"):
        iter_frames(path)  # not only when iterating
    with pytest.raises(InputFileError, match="absent.png"):
        count_frames(path)


def test_unsupported_suffix_lists_supported_ones(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(InputFileError, match=r"notes\.txt: unsupported.*\.png.*\.dm4.*\.mp4"):
        list(iter_frames(path))


def test_folder_is_not_a_file(tmp_path):
    with pytest.raises(InputFileError, match="not a file"):
        list(iter_frames(tmp_path))


def test_truncated_png(tmp_path):
    ok, buf = cv2.imencode(".png", np.random.default_rng(0).integers(0, 255, (64, 64), np.uint8))
    assert ok
    path = tmp_path / "cut.png"
    path.write_bytes(buf.tobytes()[: len(buf) // 2])
    with pytest.raises(InputFileError, match="cut.png: cannot read image"):
        list(iter_frames(path))


def test_damage_in_a_later_frame_names_the_frame(tmp_path):
    path = tmp_path / "stack.tif"
    with tifffile.TiffWriter(path) as writer:
        for i in range(3):
            writer.write(np.full((32, 32), i, np.uint16), compression="zlib")
    with tifffile.TiffFile(path) as tif:
        offset = tif.pages[2].dataoffsets[0]
    with open(path, "r+b") as fh:
        fh.seek(offset)
        fh.write(b"\xff" * 16)  # break the zlib stream of the last page
    frames = iter_frames(path)
    assert next(frames).index == 0 and next(frames).index == 1
    with pytest.raises(InputFileError, match="stack.tif: cannot read TIFF file at frame 2"):
        next(frames)


@pytest.mark.parametrize(
    "suffix", [".dm3", ".dm4", ".emd", ".ser", ".mrc", ".tif", ".mp4", ".avi", ".jpg"]
)
@pytest.mark.parametrize("size", [0, 3000])
def test_corrupted_files(tmp_path, suffix, size):
    path = tmp_path / f"broken{suffix}"
    path.write_bytes(np.random.default_rng(size).integers(0, 256, size, np.uint8).tobytes())
    expected = "empty file" if size == 0 else "cannot read"
    with pytest.raises(InputFileError, match=f"broken\\{suffix}: {expected}") as info:
        list(iter_frames(path))
    assert "\n" not in str(info.value)
    if suffix != ".jpg" or size == 0:  # raster images are counted without decoding
        with pytest.raises(InputFileError, match=f"broken\\{suffix}"):
            count_frames(path)


def test_expand_inputs_folder_glob_file_and_duplicates(tmp_path):
    image = np.zeros((4, 4), np.uint8)
    for name in ("b.png", "a.tif", "c.jpg"):
        assert cv2.imwrite(str(tmp_path / name), image)
    (tmp_path / "readme.txt").write_text("not an image")
    sub = tmp_path / "sub"
    sub.mkdir()
    assert cv2.imwrite(str(sub / "z.png"), image)

    assert expand_inputs([tmp_path]) == [tmp_path / n for n in ("a.tif", "b.png", "c.jpg")]
    assert expand_inputs([str(tmp_path / "*")]) == [
        tmp_path / n for n in ("a.tif", "b.png", "c.jpg")
    ]
    files = expand_inputs([str(sub / "z.png"), str(tmp_path / "*.png"), str(sub / "z.png")])
    assert files == [sub / "z.png", tmp_path / "b.png"]


def test_expand_inputs_errors(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputFileError, match="empty"):
        expand_inputs([empty])
    with pytest.raises(InputFileError, match="missing.png"):
        expand_inputs([tmp_path / "missing.png"])
    with pytest.raises(InputFileError, match="matches no"):
        expand_inputs([str(tmp_path / "*.dm4")])
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(InputFileError, match="notes.txt: unsupported"):
        expand_inputs([tmp_path / "notes.txt"])
    with pytest.raises(InputFileError, match=r"\*\.txt: pattern matches no supported"):
        expand_inputs([str(tmp_path / "*.txt")])
    with pytest.raises(InputFileError, match="no input"):
        expand_inputs([])
