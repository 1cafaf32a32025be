import json

import cv2
import numpy as np
import pytest

from temdefects.cli.main import main
from temdefects.synth.dislocations.fitting import (
    distributions,
    fit_overrides,
    frame_stats,
    group_pileups,
    line_angle,
    line_profile,
    profile_shape,
)


def vertical_line(x, y0=20, y1=100):
    ys = np.arange(y0, y1, 1.0)
    return np.stack([np.full_like(ys, x), ys], axis=1)


def frame_with_lines(xs, *, width=3.0, contrast=0.3, shape=(128, 160)):
    """Grey 0.6 background with dark vertical Gaussian lines (FWHM = width) at ``xs``."""
    cols = np.arange(shape[1], dtype=float)
    image = np.full(shape, 0.6)
    sigma = width / 2.3548
    for x in xs:
        dip = contrast * np.exp(-0.5 * ((cols - x) / sigma) ** 2)
        image[20:100] *= 1.0 - dip[None, :]
    return (image * 255).round().astype(np.uint8)


def test_profile_width_and_contrast_are_measured():
    image = frame_with_lines([80], width=4.0, contrast=0.3)
    profile = line_profile(image, vertical_line(80, 25, 95))
    contrast, width = profile_shape(profile)
    assert contrast == pytest.approx(0.3, abs=0.02)
    assert width == pytest.approx(4.0, abs=0.5)
    assert profile_shape(np.full(21, 0.5)) == (0.0, 0.0)
    assert line_profile(image, vertical_line(80)[:3]) is None


def test_pileups_group_parallel_neighbours_only():
    lines = [vertical_line(x) for x in (40, 50, 60)]
    slanted = np.stack([np.arange(20, 100.0), np.arange(20, 100.0)], axis=1) + [60, 0]
    assert line_angle(lines[0]) == pytest.approx(90.0)
    assert line_angle(slanted) == pytest.approx(45.0)
    far = vertical_line(150)
    assert group_pileups([*lines, slanted, far], max_angle=30, max_gap=30) == [[0, 1, 2], [3], [4]]


def test_frame_stats_distributions_and_overrides():
    image = frame_with_lines([40, 52, 64, 76], width=3.0, contrast=0.25)
    lines = [vertical_line(x) for x in (40, 52, 64, 76)]
    stats = frame_stats(image, lines)
    (pile,) = stats["pileups"]
    assert pile["dislocations"] == 4 and pile["spacing"] == pytest.approx([12.0] * 4)
    assert pile["angle"] == pytest.approx(0.0, abs=1e-6) or pile["angle"] == pytest.approx(180.0)
    assert pile["slip_width"] == pytest.approx(79.0)
    dist = distributions([stats, stats])
    assert dist["dislocations_per_pileup"] == [4, 4] and len(dist["line_width"]) == 8
    over = fit_overrides(dist)
    assert over["microstructure"]["pileups"]["dislocations"] == [4, 4]
    assert over["microstructure"]["pileups"]["spacing"] == [12.0, 12.0]
    lo, hi = over["drawing"]["line_width"]
    assert 2.5 < lo <= hi < 3.5
    lo, hi = over["drawing"]["contrast"]
    assert 0.2 < lo <= hi < 0.3
    assert json.loads(json.dumps(over)) == over


def test_the_command_writes_settings_that_the_generator_takes(tmp_path, capsys):
    frames, labels = tmp_path / "frames", tmp_path / "labels"
    frames.mkdir()
    labels.mkdir()
    for k in range(2):
        xs = [40 + 5 * k, 55 + 5 * k, 70 + 5 * k]
        cv2.imwrite(str(frames / f"f{k}.png"), frame_with_lines(xs))
        label = np.full((128, 160), 255, np.uint8)
        for x in xs:
            cv2.line(label, (x, 20), (x, 99), 0, 1)
        cv2.imwrite(str(labels / f"F{k}.PNG"), label)
    out = tmp_path / "fit" / "fitted.yaml"
    args = ["fit-generator", str(frames), "--labels", str(labels), "-o", str(out)]
    assert main([*args, "--check", "2", "--plot", str(tmp_path / "fit.png")]) == 0
    assert "fitted to 2 frames (6 lines" in capsys.readouterr().out
    from temdefects.synth.config import load_config

    config = load_config("m2", path=out)
    assert config.microstructure.pileups.dislocations.lo == 3
    assert list(config.size) == [128, 160]
    summary = json.loads(out.with_suffix(".json").read_text())
    assert set(summary["distributions"]) == {"real", "fitted", "base m2"}
    assert (tmp_path / "fit.png").is_file()
    assert main(args) == 1 and "exists" in capsys.readouterr().err
    bg = tmp_path / "bg"
    more = ["--overwrite", "--backgrounds", str(bg), "--background-size", "32"]
    assert main([*args, *more]) == 0
    index = json.loads((bg / "crops.json").read_text())["crops"]
    assert index and len(index) == len(list(bg.glob("*.png")))
    for crop in index:  # away from the lines at x 40-80 (rows 20-99) by the 8 px margin
        x0, y0 = crop["x"], crop["y"]
        clear_x = x0 + 32 <= 40 - 8 or x0 >= 80 + 8
        clear_y = y0 + 32 <= 20 - 8 or y0 >= 100 + 8
        assert clear_x or clear_y, crop


@pytest.mark.parametrize(
    "extra,message",
    [
        (["--labels", "{tmp}/none"], "none: label folder not found"),
        (["--labels", "{tmp}", "--base", "nope"], "nope"),
    ],
)
def test_bad_input_is_one_line(extra, message, tmp_path, capsys):
    args = ["fit-generator", str(tmp_path), "-o", str(tmp_path / "o.yaml")]
    code = main([*args, *[a.format(tmp=tmp_path) for a in extra]])
    err = capsys.readouterr().err
    assert code != 0 and message in err and len(err.strip().splitlines()) == 1
