import math

import numpy as np
import pytest

from temdefects.geometry import curve_length, longest_path, skeleton_graph, skeletonize_mask


def _edges(skel):
    coords, adj = skeleton_graph(skel)
    coo = adj.tocoo()
    return {
        (tuple(coords[i]), tuple(coords[j])): w
        for i, j, w in zip(coo.row, coo.col, coo.data, strict=True)
    }


def test_graph_weights_and_symmetry():
    skel = np.zeros((5, 5), bool)
    skel[1, 1] = skel[2, 2] = skel[2, 3] = True  # diagonal step then axial step
    coords, adj = skeleton_graph(skel)
    np.testing.assert_array_equal(coords, [[1, 1], [2, 2], [3, 2]])
    assert (adj != adj.T).nnz == 0
    edges = _edges(skel)
    assert edges[((1.0, 1.0), (2.0, 2.0))] == pytest.approx(math.sqrt(2))
    assert edges[((2.0, 2.0), (3.0, 2.0))] == 1.0
    assert ((1.0, 1.0), (3.0, 2.0)) not in edges


def test_graph_drops_diagonal_of_an_l_corner():
    skel = np.zeros((4, 4), bool)
    skel[1, 1] = skel[1, 2] = skel[2, 2] = True
    edges = _edges(skel)
    assert ((1.0, 1.0), (2.0, 2.0)) not in edges
    assert len(edges) == 4  # two axial edges, both directions


def test_graph_of_empty_skeleton():
    coords, adj = skeleton_graph(np.zeros((3, 3), bool))
    assert coords.shape == (0, 2) and adj.shape == (0, 0)


def test_straight_line_length(hline):
    path = longest_path(skeletonize_mask(hline))
    assert curve_length(path) == pytest.approx(80.0, abs=2.01)
    np.testing.assert_array_equal(path[:, 1], 20.0)


def test_path_is_ordered_and_connected(hline):
    path = longest_path(skeletonize_mask(hline))
    assert np.all(np.diff(path[:, 0]) > 0)  # monotonic, starts at the left end
    steps = np.hypot(*np.diff(path, axis=0).T)
    assert steps.max() <= math.sqrt(2) + 1e-12


def test_path_orientation_does_not_depend_on_drawing_direction():
    skel = np.zeros((30, 30), bool)
    idx = np.arange(3, 27)
    skel[idx, 29 - idx] = True  # anti-diagonal, starts at top right in raster order
    path = longest_path(skel)
    np.testing.assert_array_equal(path[0], [3, 26])
    np.testing.assert_array_equal(path[-1], [26, 3])


def test_spur_is_ignored(hline, hline_with_spur):
    skel = skeletonize_mask(hline_with_spur)
    assert skel[23:, :].any()  # the skeleton does have the side branch
    path = longest_path(skel)
    assert path[:, 1].max() <= 21  # the path does not enter it
    reference = curve_length(longest_path(skeletonize_mask(hline)))
    assert curve_length(path) == pytest.approx(reference, abs=2.0)


def test_small_loop_is_passed_on_one_side(hline, hline_with_loop):
    skel = skeletonize_mask(hline_with_loop)
    path = longest_path(skel)
    ref = longest_path(skeletonize_mask(hline))
    np.testing.assert_allclose(path[[0, -1]], ref[[0, -1]], atol=1.0)
    assert np.all(skel[path[:, 1].astype(int), path[:, 0].astype(int)])
    # around one side of a ring of radius ~5.5: at most a half circumference extra
    assert 78 < curve_length(path) < 82 + math.pi * 5.5
    assert len(np.unique(path, axis=0)) == len(path)


def test_largest_component_by_length_wins():
    skel = np.zeros((40, 70), bool)
    skel[2, 2:10] = True  # 8 pixels, length 7
    skel[37, 35:65] = True  # 30 pixels, length 29
    idx = np.arange(25)
    skel[5 + idx, 3 + idx] = True  # 25 pixels but length 24 * sqrt(2) = 33.9
    path = longest_path(skel)
    np.testing.assert_array_equal(path[[0, -1]], [[3, 5], [27, 29]])


def test_single_pixel_and_empty():
    skel = np.zeros((5, 5), bool)
    assert longest_path(skel).shape == (0, 2)
    skel[3, 1] = True
    np.testing.assert_array_equal(longest_path(skel), [[1.0, 3.0]])


def test_path_rejects_3d():
    with pytest.raises(ValueError, match="2-D"):
        longest_path(np.zeros((2, 4, 4), bool))
