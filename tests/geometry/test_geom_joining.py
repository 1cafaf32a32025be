import numpy as np
import pytest

from temdefects.geometry import drop_covered, end_tangents, join_fragments


def segment(p0, p1, n=30):
    t = np.linspace(0.0, 1.0, n)[:, None]
    return (1 - t) * np.asarray(p0, float) + t * np.asarray(p1, float)


def test_end_tangents_point_outwards():
    start, end = end_tangents(segment((0, 0), (20, 0)))
    assert np.allclose(start, [-1, 0]) and np.allclose(end, [1, 0])
    assert np.allclose(end_tangents(np.zeros((3, 2)))[0], 0)


def test_a_line_cut_into_three_pieces_in_any_order_and_direction_is_one_chain():
    pieces = [segment((40, 2), (60, 3)), segment((18, 1), (0, 0)), segment((22, 1), (36, 2))]
    chains = join_fragments(pieces)
    assert len(chains) == 1 and sorted(k for k, _ in chains[0]) == [0, 1, 2]
    order = [k for k, _ in chains[0]]
    assert order in ([1, 2, 0], [0, 2, 1])
    path = np.concatenate([pieces[k][::-1] if rev else pieces[k] for k, rev in chains[0]])
    assert np.all(np.diff(path[:, 0]) > 0) or np.all(np.diff(path[:, 0]) < 0)  # monotone


def test_far_bent_or_parallel_ends_stay_apart():
    a = segment((0, 0), (20, 0))
    assert join_fragments([a, segment((35, 0), (50, 0))], max_gap=10) == [
        [(0, False)],
        [(1, False)],
    ]
    assert len(join_fragments([a, segment((24, 0), (24, 20))])) == 2  # right angle
    assert len(join_fragments([a, segment((0, 4), (20, 4))])) == 2  # side by side


def test_each_end_joins_once_and_never_into_a_cycle():
    # three pieces of a triangle: closing it would make a cycle
    tri = [segment((0, 0), (20, 0)), segment((23, 2), (12, 18)), segment((9, 18), (-2, 3))]
    chains = join_fragments(tri, max_gap=8, max_angle=80)
    assert sum(len(c) for c in chains) == 3
    assert max(len(c) for c in chains) <= 3 and len(chains) >= 1
    ends = [(k, e) for c in chains for k, _ in c for e in (0, 1)]
    assert len(ends) == len(set(ends))


def test_drop_covered_keeps_the_longest_and_distinct_curves():
    whole = segment((0, 0), (60, 0), 61)
    part = segment((10, 2), (30, 2))
    beside = segment((0, 10), (60, 10), 61)
    assert drop_covered([part, whole, beside]) == [1, 2]
    assert drop_covered([part, whole], tolerance=1.0) == [0, 1]  # 2 px aside: not a copy
    with pytest.raises(ValueError, match="tolerance"):
        drop_covered([whole], tolerance=0)
