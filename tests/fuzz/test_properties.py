"""Property-based checks (hypothesis) of the readers, numeric options and JSON writer:
bad input is always one InputFileError / ValueError line, never another exception."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from temdefects.dislocations.analysis.postprocess import PostprocessOptions
from temdefects.errors import InputFileError
from temdefects.io import jsonfile
from temdefects.io.frames import iter_frames

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
ANY_FLOAT = st.floats(allow_nan=True, allow_infinity=True)
FLOAT_OPTIONS = (
    "threshold",
    "merge_dice",
    "min_length",
    "min_objectness",
    "join_gap",
    "join_angle",
    "drop_covered",
    "cover_tolerance",
    "edge_margin",
)


@SETTINGS
@given(name=st.sampled_from(FLOAT_OPTIONS), value=ANY_FLOAT)
def test_post_processing_options_take_finite_values_or_name_the_field(name, value):
    try:
        options = PostprocessOptions(**{name: value})
    except ValueError as exc:
        assert str(exc).startswith(f"{name}:")
        assert "\n" not in str(exc)
    else:
        assert math.isfinite(getattr(options, name))


@SETTINGS
@given(
    suffix=st.sampled_from([".png", ".tif", ".jpg", ".dm3", ".dm4", ".emd", ".ser", ".mrc"]),
    data=st.binary(min_size=1, max_size=600),
)
def test_random_bytes_are_one_input_error_line(tmp_path, suffix, data):
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    try:
        frames = list(iter_frames(path))
    except InputFileError as exc:
        assert "\n" not in str(exc) and "fuzz" in str(exc)
    else:  # a few byte strings are valid tiny images; then they must be real frames
        assert all(np.isfinite(f.image).all() for f in frames)


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | ANY_FLOAT | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=20,
)


@SETTINGS
@given(value=JSONISH)
def test_written_json_is_always_strict(value):
    def refuse(name):
        raise ValueError(name)

    json.loads(jsonfile.dumps(value), parse_constant=refuse)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_options_are_refused_where_they_make_no_sense(value):
    for name in ("min_length", "join_gap", "edge_margin", "cover_tolerance"):
        with pytest.raises(ValueError, match=name):
            PostprocessOptions(**{name: value})
