"""Every image command against every kind of bad input (issue 20's suite).

Each case asserts: no traceback, exit status non-zero, one error line naming
the input, nothing left behind (no output folder when nothing was read, no
temporary files), and, for a batch, every good item written.
"""

import json

import cv2
import numpy as np
import pytest
import tifffile

from temdefects.cli.main import main

COMMANDS = {
    "analyze": ["analyze"],
    "loops": ["loops", "detect"],
    "particles": ["particles", "analyze"],
}


def _zero(path):
    path.write_bytes(b"")


def _random(path):
    path.write_bytes(np.random.default_rng(0).bytes(700))


def _text(path):
    path.write_text("not an image\n")


def _one_px(path):
    cv2.imwrite(str(path), np.full((1, 1), 90, np.uint8))


def _nan_tiff(path):
    tifffile.imwrite(path, np.full((64, 64), np.nan, np.float32))


BAD = {
    "missing": ("gone.png", None),
    "zero-byte": ("zero.png", _zero),
    "random-bytes": ("random.tif", _random),
    "text-as-png": ("text.png", _text),
    "1x1": ("tiny.png", _one_px),
    "all-nan-tiff": ("nan.tif", _nan_tiff),
}


def _leftovers(root):
    return [p for p in root.rglob("*") if p.name.startswith(".") and p.suffix == ".tmp"]


@pytest.mark.parametrize("case", list(BAD))
@pytest.mark.parametrize("command", list(COMMANDS))
def test_one_bad_input(command, case, tmp_path, capsys):
    name, make = BAD[case]
    path = tmp_path / name
    if make is not None:
        make(path)
    out = tmp_path / "out"
    code = main([*COMMANDS[command], str(path), "-o", str(out), "-q"])
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code != 0 and "Traceback" not in err
    assert len(lines) == 1 and name in lines[0], lines
    assert not out.exists() and not _leftovers(tmp_path)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_an_empty_folder(command, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    code = main([*COMMANDS[command], str(tmp_path / "empty"), "-o", str(tmp_path / "o"), "-q"])
    err = capsys.readouterr().err
    assert code != 0 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "empty" in err and not (tmp_path / "o").exists()


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_batch_keeps_its_good_image(command, tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    yy, xx = np.mgrid[:96, :96]
    good = (160 - 60 * (((yy - 48) ** 2 + (xx - 48) ** 2) < 15**2)).astype(np.uint8)
    cv2.imwrite(str(folder / "good.png"), good)
    _zero(folder / "zero.png")
    _random(folder / "random.tif")
    out = tmp_path / "out"
    code = main([*COMMANDS[command], str(folder), "-o", str(out), "-q"])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 2 and any("zero.png" in x for x in lines)
    assert any("random.tif" in x for x in lines)
    summary = json.loads((out / "summary.json").read_text())
    assert "good" in json.dumps(summary)
    assert any(p.name.startswith("good") for p in out.rglob("*"))
    assert not _leftovers(tmp_path)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_an_output_path_that_is_a_file(command, tmp_path, capsys):
    image = tmp_path / "a.png"
    cv2.imwrite(str(image), np.full((64, 64), 100, np.uint8))
    target = tmp_path / "taken"
    target.write_text("mine")
    code = main([*COMMANDS[command], str(image), "-o", str(target), "-q"])
    err = capsys.readouterr().err
    assert code != 0 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert target.read_text() == "mine"


def _u16(path):
    yy, xx = np.mgrid[:96, :96]
    cv2.imwrite(str(path), (30000 + 9000 * np.sin(xx / 7.0) * np.cos(yy / 9.0)).astype(np.uint16))


def _rgba(path):
    image = np.full((96, 96, 4), 150, np.uint8)
    image[30:60, 30:60, :3] = 60
    cv2.imwrite(str(path), image)


def _stack(path):
    pages = (np.full((3, 96, 96), 120) + np.arange(3)[:, None, None]).astype(np.uint8)
    tifffile.imwrite(path, pages, photometric="minisblack")


UNUSUAL = {"16-bit": ("deep.png", _u16, 1), "rgba": ("alpha.png", _rgba, 1)}
UNUSUAL["3-page stack"] = ("stack.tif", _stack, 3)


@pytest.mark.parametrize("case", list(UNUSUAL))
@pytest.mark.parametrize("command", list(COMMANDS))
def test_unusual_but_valid_images_are_analysed(command, case, tmp_path, capsys):
    name, make, frames = UNUSUAL[case]
    make(tmp_path / name)
    out = tmp_path / "out"
    code = main([*COMMANDS[command], str(tmp_path / name), "-o", str(out), "-q"])
    err = capsys.readouterr().err
    assert code == 0 and "Traceback" not in err, err
    summary = json.loads((out / "summary.json").read_text())
    counted = summary.get("frames", summary.get("images"))
    assert counted == frames, summary
