import numpy as np
import pytest

from temdefects.synth.config import load_config
from temdefects.train.augment import augment, geometric, photometric, random_crop
from temdefects.train.config import AugmentConfig
from temdefects.train.data import SynthSamples, collate, epoch_keys

ALL_OFF = AugmentConfig(
    flip=False,
    rot90=False,
    noise_probability=0.0,
    brightness_probability=0.0,
    contrast_probability=0.0,
    equalize_probability=0.0,
)


def marked():
    image = np.zeros((40, 60), np.float32)
    image[5, 7] = 1.0
    masks = np.zeros((2, 40, 60), bool)
    masks[0, 5, 7] = True
    masks[1, 30:32, 50:55] = True
    return image, masks


@pytest.mark.parametrize("seed", range(6))
def test_geometry_moves_masks_with_the_image(seed):
    image, masks = marked()
    img, m = geometric(image, masks, AugmentConfig(), np.random.default_rng(seed))
    assert img.shape in ((40, 60), (60, 40)) and m.shape[1:] == img.shape
    assert np.array_equal(np.argwhere(img == 1.0), np.argwhere(m[0]))
    assert m[1].sum() == 10


def test_crop_keeps_alignment_and_drops_vanished_masks():
    image, masks = marked()
    rng = np.random.default_rng(0)
    for _ in range(20):
        img, m = augment(image, masks, ALL_OFF, rng, crop=32, min_mask_pixels=1)
        assert img.shape == (32, 32)
        assert all(mm.any() for mm in m)
        if len(m) and m[0].sum() == 1:
            assert np.array_equal(np.argwhere(img == 1.0), np.argwhere(m[0]))
    small, m = random_crop(image[:20, :20], masks[:, :20, :20], 32, rng)
    assert small.shape == (32, 32) and m.shape == (2, 32, 32)


def test_photometric_changes_stay_in_range_and_respect_probabilities():
    image = np.linspace(0, 1, 400, dtype=np.float32).reshape(20, 20)
    rng = np.random.default_rng(1)
    assert np.array_equal(photometric(image, ALL_OFF, rng), image)
    strong = AugmentConfig(
        noise_probability=1.0,
        brightness_probability=1.0,
        contrast_probability=1.0,
        equalize_probability=1.0,
    )
    out = photometric(image, strong, rng)
    assert out.dtype == np.float32 and 0 <= out.min() and out.max() <= 1
    assert not np.array_equal(out, image)


def test_synthetic_stream_is_seeded_per_sample():
    synth = load_config("m2", overrides={"size": [64, 64]})
    a = SynthSamples(synth, 3, AugmentConfig(), crop=32, min_mask_pixels=5)
    b = SynthSamples(synth, 3, AugmentConfig(), crop=32, min_mask_pixels=5)
    x1, m1 = a[17]
    x2, m2 = b[17]
    assert np.array_equal(x1, x2) and np.array_equal(m1, m2)
    assert not np.array_equal(a[18][0], x1)


def test_collate_pads_masks():
    batch = [
        (np.zeros((32, 32), np.float32), np.ones((3, 32, 32), bool)),
        (np.zeros((32, 32), np.float32), np.zeros((0, 32, 32), bool)),
    ]
    images, masks = collate(batch)
    assert images.shape == (2, 1, 32, 32) and masks.shape == (2, 3, 32, 32)
    assert masks[1].sum() == 0
    _, empty = collate(batch[1:])
    assert empty.shape == (1, 1, 32, 32)


def test_epoch_keys():
    assert epoch_keys("synth", 2, 4, 0) == [8, 9, 10, 11]
    keys = epoch_keys("folder", 1, 5, 0)
    assert sorted(k[1] for k in keys) == list(range(5)) and {k[0] for k in keys} == {1}
    assert epoch_keys("folder", 1, 5, 0) == keys and epoch_keys("folder", 2, 5, 0) != keys


def test_training_folder_refuses_16_bit_images_and_corrupt_records(tmp_path):
    import shutil

    import cv2

    from temdefects.errors import InputFileError
    from temdefects.synth.config import load_config
    from temdefects.synth.dislocations.dataset import generate_dataset
    from temdefects.synth.files import read_image_and_masks
    from temdefects.train.data import split_folder

    folder = tmp_path / "set"
    generate_dataset(folder, load_config("m2", overrides={"size": [64, 64]}), count=3, seed=0)
    assert split_folder(folder, 10, 1, None)[0] == ["000000", "000001"]
    wide = tmp_path / "wide"
    shutil.copytree(folder, wide)
    image = cv2.imread(str(wide / "000001.png"), cv2.IMREAD_UNCHANGED)
    cv2.imwrite(str(wide / "000001.png"), image.astype(np.uint16) * 257)
    with pytest.raises(InputFileError, match="8-bit"):
        read_image_and_masks(wide, "000001")
    (folder / "000001.json").write_text('{"format": ')
    with pytest.raises(InputFileError, match="000001.json: corrupted"):
        split_folder(folder, 10, 1, None)
