"""Equations (1)-(6) of Govind et al. checked on their statistical properties."""

import cv2
import numpy as np
import pytest

from temdefects.errors import InputFileError
from temdefects.schema import Range
from temdefects.synth.background import (
    gaussian,
    list_backgrounds,
    minmax,
    perlin_background,
    real_background,
    sample_real_params,
)
from temdefects.synth.config import RealBackgroundConfig
from temdefects.synth.perlin import perlin

SHAPE = (128, 128)


def params(**kw):
    p = {
        "wavelength1": 40.0,
        "wavelength2": 12.0,
        "w_perlin": 0.3,
        "w_white": 0.6,
        "s1": 1.0,
        "noise_density": 0.3,
        "s2": 0.7,
        "octaves": 1,
        "seed": 7,
    }
    p.update(kw)
    return p


def hf_energy(image):
    """Energy of the high-frequency part (image minus its 2-px Gaussian blur)."""
    return float(np.mean((image - gaussian(image, 2.0)) ** 2))


def test_output_range_dtype_and_clipping():
    out = perlin_background(SHAPE, params())
    assert out.dtype == np.float32 and out.shape == SHAPE
    assert out.min() == 0.0 and out.max() == 1.0  # clip to [0, 1] is active
    assert np.array_equal(out, perlin_background(SHAPE, params()))


def test_eq1_eq2_minmax_of_weighted_sum():
    out, st = perlin_background(SHAPE, params(w_perlin=0.0), stages=True)
    assert st["P3*"].min() == 0.0 and st["P3*"].max() == 1.0
    # w_P = 0: P3* is the min-max scaled first field alone (same generator stream).
    p1 = perlin(SHAPE, 40.0, rng=np.random.default_rng(7))
    assert np.allclose(st["P3*"], minmax(p1), atol=1e-6)
    _, st2 = perlin_background(SHAPE, params(w_perlin=1.0), stages=True)
    assert hf_energy(st2["P3*"]) > hf_energy(st["P3*"])  # P2 has the shorter wavelength


def test_eq3_white_noise_weight():
    _, a = perlin_background(SHAPE, params(w_white=0.0), stages=True)
    _, b = perlin_background(SHAPE, params(w_white=0.6), stages=True)
    assert np.array_equal(a["P4"], a["P3*"])
    residual = b["P4"] - b["P3*"]
    assert np.abs(residual).max() <= 0.6 + 1e-6
    assert residual.std() == pytest.approx(0.6 / np.sqrt(3), rel=0.05)  # U(-1, 1) * w


def test_eq4_g1_smooths():
    _, a = perlin_background(SHAPE, params(s1=0.0), stages=True)
    _, b = perlin_background(SHAPE, params(s1=2.0), stages=True)
    assert np.array_equal(a["P5"], a["P4"])
    assert hf_energy(b["P5"]) < 0.2 * hf_energy(b["P4"])


@pytest.mark.parametrize("density", [0.0, 0.25, 1.0])
def test_eq5_sparse_spikes_weighted_by_std_of_p4(density):
    _, st = perlin_background(SHAPE, params(noise_density=density), stages=True)
    spikes = st["P6"] - st["P5"]
    sigma4 = st["P4"].std()
    assert np.abs(spikes).max() <= sigma4 * (1 + 1e-5)
    assert np.mean(spikes != 0) == pytest.approx(density, abs=0.02)
    if density == 1.0:
        assert np.abs(spikes).max() > 0.95 * sigma4


def test_eq6_g2_and_no_noise_reduces_to_blurred_perlin():
    out, st = perlin_background(SHAPE, params(w_white=0.0, noise_density=0.0), stages=True)
    expected = np.clip(gaussian(gaussian(st["P3*"], 1.0), 0.7), 0, 1)
    assert np.allclose(out, expected, atol=1e-6)
    _, a = perlin_background(SHAPE, params(s2=0.0), stages=True)
    _, b = perlin_background(SHAPE, params(s2=1.5), stages=True)
    assert np.array_equal(a["P7"], a["P6"])
    assert hf_energy(b["P7"]) < hf_energy(b["P6"])


# ----------------------------------------------------------------- real backgrounds


@pytest.fixture()
def bg_folder(tmp_path):
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:90, 0:120]
    cv2.imwrite(str(tmp_path / "a.png"), (xx * 2).astype(np.uint8))
    cv2.imwrite(str(tmp_path / "b.png"), (yy * 700).astype(np.uint16))  # 16-bit
    import tifffile

    tifffile.imwrite(tmp_path / "c.tif", rng.random((70, 60)).astype(np.float32))
    (tmp_path / "notes.txt").write_text("not an image")
    return tmp_path


def cfg(**kw):
    base = {"opacity": Range(0.3, 0.3), "scale": Range(0.5, 1.0), "flip": True, "rotate90": True}
    base.update(kw)
    return RealBackgroundConfig(**base)


def test_list_backgrounds(bg_folder, tmp_path_factory):
    names = [p.name for p in list_backgrounds(bg_folder)]
    assert names == ["a.png", "b.png", "c.tif"]
    empty = tmp_path_factory.mktemp("empty")
    with pytest.raises(InputFileError, match="no background images"):
        list_backgrounds(empty)
    with pytest.raises(InputFileError, match="not found"):
        list_backgrounds(empty / "missing")


def test_real_background_blend(bg_folder):
    files = list_backgrounds(bg_folder)
    rng = np.random.default_rng(3)
    for _ in range(6):
        p = sample_real_params(files, (64, 96), cfg(), rng)
        out = real_background((64, 96), p, bg_folder)
        assert out.shape == (64, 96) and out.dtype == np.float32
        assert 0.0 <= out.min() and out.max() <= 1.0
        assert out.std() > 0.05


def test_opacity_zero_is_first_crop_and_one_is_second(bg_folder):
    files = list_backgrounds(bg_folder)
    p = sample_real_params(files, (48, 48), cfg(opacity=Range(0.0, 0.0)), np.random.default_rng(1))
    only_first = {"layers": p["layers"][:1], "opacity": 0.0}
    assert np.allclose(
        real_background((48, 48), p, bg_folder), real_background((48, 48), only_first, bg_folder)
    )
    p["opacity"] = 1.0
    only_second = {"layers": p["layers"][1:], "opacity": 0.0}
    assert np.allclose(
        real_background((48, 48), p, bg_folder),
        real_background((48, 48), only_second, bg_folder),
        atol=1e-6,
    )


def test_changed_or_missing_background_is_an_error(bg_folder):
    files = list_backgrounds(bg_folder)
    p = sample_real_params(files, (32, 32), cfg(), np.random.default_rng(2))
    target = bg_folder / p["layers"][0]["file"]
    target.write_bytes(target.read_bytes() + b"changed")
    with pytest.raises(InputFileError, match="differs from the one recorded"):
        real_background((32, 32), p, bg_folder)
    target.unlink()
    with pytest.raises(InputFileError, match="not found"):
        real_background((32, 32), p, bg_folder)
