import json
import math

import numpy as np
import pytest

from temdefects.io import jsonfile


def _strict_loads(text: str):
    def refuse(name):
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


def test_non_finite_numbers_become_null_and_the_text_is_strict_json():
    data = {
        "a": math.nan,
        "b": [1.5, -math.inf, np.float32("nan"), np.float64(2.0)],
        "c": (np.int64(3), {"d": math.inf}),
        "e": np.array([1.0, np.nan]),
    }
    out = _strict_loads(jsonfile.dumps(data))
    assert out == {"a": None, "b": [1.5, None, None, 2.0], "c": [3, {"d": None}], "e": [1.0, None]}
    with pytest.raises(ValueError):
        _strict_loads(json.dumps({"a": math.nan}))  # what the standard library writes


def test_finite_values_are_written_as_json_writes_them():
    data = {"x": 0.1, "y": [1, 2.5e-7, "s", None, True], "z": np.float64(1 / 3)}
    assert jsonfile.dumps(data, indent=1) == json.dumps(data, indent=1)


def test_model_folder_metrics_with_nan_stay_readable(tmp_path):
    import torch

    from temdefects.models import build_model, save_model

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = build_model({"arch": "unet", "encoder": "mobilenet_v2", "n_masks": 2})
    save_model(tmp_path, model, metrics={"train_loss": math.nan, "f1": 0.5})
    assert _strict_loads((tmp_path / "metrics.json").read_text()) == {
        "train_loss": None,
        "f1": 0.5,
    }
