import numpy as np
import pytest

from temdefects.synth.perlin import perlin, perlin_single


def grad_energy(field):
    gy, gx = np.gradient(field.astype(np.float64))
    return float(np.mean(gx**2 + gy**2))


def test_range_mean_and_dtype():
    p = perlin((256, 256), 32, rng=0)
    assert p.dtype == np.float32 and p.shape == (256, 256)
    assert -1.2 < p.min() < -0.3 and 0.3 < p.max() < 1.2
    assert abs(p.mean()) < 0.1


def test_seeded_and_independent():
    a, b = perlin((64, 80), 16, rng=1), perlin((64, 80), 16, rng=1)
    c = perlin((64, 80), 16, rng=2)
    assert np.array_equal(a, b)
    assert not np.allclose(a, c)


@pytest.mark.parametrize("short,long", [(8, 32), (16, 64)])
def test_wavelength_sets_the_length_scale(short, long):
    # Gradient energy of gradient noise scales as 1 / wavelength**2.
    e_short = np.mean([grad_energy(perlin((256, 256), short, rng=s)) for s in range(4)])
    e_long = np.mean([grad_energy(perlin((256, 256), long, rng=s)) for s in range(4)])
    ratio = e_short / e_long
    expected = (long / short) ** 2
    assert expected / 1.6 < ratio < expected * 1.6


def test_octaves_add_fine_detail():
    one = perlin((128, 128), 32, rng=3, octaves=1)
    three = perlin((128, 128), 32, rng=3, octaves=3)
    assert grad_energy(three) > 1.5 * grad_energy(one)


def test_non_multiple_sizes_and_tiny_wavelength():
    p = perlin_single((37, 101), 2.5, rng=0)
    assert p.shape == (37, 101) and np.isfinite(p).all()


@pytest.mark.parametrize("shape,wl", [((0, 5), 4), ((5, 5), 0), ((5, 5), -3)])
def test_invalid_arguments(shape, wl):
    with pytest.raises(ValueError, match="perlin"):
        perlin_single(shape, wl, rng=0)


def test_invalid_octaves():
    with pytest.raises(ValueError, match="octaves"):
        perlin((8, 8), 4, rng=0, octaves=0)


def test_fields_do_not_depend_on_blas_threads():
    # Replay must be exact on any machine: the products are rounded from float64.
    from threadpoolctl import threadpool_limits

    many = perlin((1024, 1024), 10.0, rng=4)
    with threadpool_limits(limits=1, user_api="blas"):
        one = perlin((1024, 1024), 10.0, rng=4)
    assert np.array_equal(many, one)
