import numpy as np
import pytest

from temdefects.particles.evaluate import iou_labels
from temdefects.particles.instances import estimate_diameter, label_particles, touches_border


def disk(shape, centre, radius):
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    return (yy - centre[0]) ** 2 + (xx - centre[1]) ** 2 < radius**2


def test_two_touching_disks_become_two_particles():
    a, b = disk((70, 110), (35, 35), 18), disk((70, 110), (35, 67), 18)
    labels = label_particles(a | b)
    assert labels.dtype == np.int32 and labels.shape == a.shape
    assert labels.max() == 2
    truth = a.astype(np.int32) + 2 * (b & ~a)
    assert (iou_labels(labels, truth).max(axis=1) > 0.85).all()


def test_connected_components_only_when_not_splitting():
    both = disk((70, 110), (35, 35), 18) | disk((70, 110), (35, 67), 18)
    assert label_particles(both, split=False).max() == 1


def test_an_elongated_particle_is_not_split():
    yy, xx = np.mgrid[:80, :120]
    ellipse = ((yy - 40) / 18.0) ** 2 + ((xx - 60) / 34.0) ** 2 < 1
    assert label_particles(ellipse).max() == 1


def test_three_touching_disks_of_a_chain():
    shape = (60, 150)
    masks = [disk(shape, (30, 30 + 42 * i), 22) for i in range(3)]
    assert label_particles(masks[0] | masks[1] | masks[2]).max() == 3


def test_small_objects_removed_and_holes_filled():
    mask = disk((64, 64), (32, 32), 15)
    mask[30:33, 30:33] = False  # a 9 px hole
    mask[2:5, 2:5] = True  # a 9 px speck
    labels = label_particles(mask, min_size=20)
    assert labels.max() == 1
    assert labels[31, 31] == 1 and labels[3, 3] == 0


def test_border_particles_are_kept_or_dropped_and_flagged():
    mask = disk((64, 96), (32, 70), 12) | disk((64, 96), (32, 0), 12)
    labels = label_particles(mask)
    assert labels.max() == 2
    flags = touches_border(labels)
    assert flags.tolist().count(True) == 1 and flags[labels[32, 1]]
    kept = label_particles(mask, exclude_border=True)
    assert kept.max() == 1 and kept[32, 70] == 1


def test_estimate_diameter_and_empty_mask():
    assert estimate_diameter(disk((80, 80), (40, 40), 20)) == pytest.approx(40, abs=2)
    assert estimate_diameter(np.zeros((8, 8), bool)) == 0.0
    assert label_particles(np.zeros((8, 8), bool)).max() == 0


@pytest.mark.parametrize("bad", [np.zeros((4, 4, 2), bool), np.zeros((4, 4), np.float32)])
def test_bad_masks_are_refused(bad):
    with pytest.raises(ValueError, match="mask"):
        label_particles(bad)


def test_the_floor_can_follow_the_images_own_particle_scale():
    shape = (80, 160)
    mask = disk(shape, (40, 30), 15) | disk(shape, (40, 80), 14) | disk(shape, (40, 130), 16)
    mask[2:4, 2:4] = True  # a 4 px speck beside particles of about 700 px
    assert label_particles(mask, min_size=1).max() == 4
    assert label_particles(mask, min_size=1, relative_min_size=0.05).max() == 3
    few = disk(shape, (40, 30), 2) | disk(shape, (40, 80), 2)  # small particles alone are kept
    assert label_particles(few, min_size=1, relative_min_size=0.05).max() == 2
