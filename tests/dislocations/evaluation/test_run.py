import math
import shutil

import numpy as np
import pytest

from temdefects.dislocations.evaluation import evaluate_model, list_samples, unique_names
from temdefects.dislocations.evaluation import run as run_module
from temdefects.errors import ConfigError, InputFileError
from temdefects.metrics.summary import COUNT_KEYS, MEAN_KEYS
from temdefects.models import load
from temdefects.synth.dislocations.files import read_sample

from .helpers import copy_sample, make_dataset, make_model

RATIOS = (
    "length_score",
    "precision",
    "recall",
    "f1",
    "duplicate_rate",
    "mean_matched_dice",
    "union_dice",
    "union_iou",
    "cl_dice",
)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_dataset(tmp_path_factory.mktemp("eval") / "m2small")


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return make_model(tmp_path_factory.mktemp("eval") / "tiny")


@pytest.fixture(scope="module")
def model(model_dir):
    return load(model_dir)


@pytest.mark.parametrize("instances", ["curves", "masks"])
def test_untrained_model_gives_rows_in_range(model_dir, data, instances):
    result = evaluate_model(model_dir, data, batch_size=2, instances=instances)
    assert (result.model_name, result.data_name) == ("tiny", "m2small")
    assert result.model_path == str(model_dir) and result.failed == {}
    assert [r["image"] for r in result.rows] == ["000000", "000001", "000002"]
    for row in result.rows:
        truth = read_sample(data, row["image"]).masks
        assert row["n_true"] == int(truth.any(axis=(1, 2)).sum())
        assert 0 <= row["n_pred"] <= (4 if instances == "masks" else 50)
        assert row["tp"] + row["fn"] == row["n_true"] and row["tp"] + row["fp"] == row["n_pred"]
        for key in RATIOS:
            assert 0.0 <= row[key] <= 1.0, key
        assert math.isnan(row["curve_distance"]) or row["curve_distance"] >= 0
    assert result.summary["n_images"] == 3
    assert result.summary["n_true"] == sum(r["n_true"] for r in result.rows)
    assert set(COUNT_KEYS + MEAN_KEYS) <= set(result.summary)
    settings = dict(result.settings)
    post = settings.pop("postprocess", None)
    assert ("flatten" in settings) == (post is not None)  # curves only
    assert settings.pop("flatten", 30.0) == 30.0
    assert settings == {
        "threshold": 0.5,
        "min_size": 10,
        "match_threshold": 0.5,
        "batch_size": 2,
        "limit": None,
        "instances": instances,
    }
    assert (post is None) == (instances == "masks")
    if post is not None:
        assert post["method"] == "trace" and post["threshold"] == 0.5


def test_perfect_predictions_score_one_across_mixed_sizes(tmp_path, monkeypatch, model):
    """Equal-size images share a batch, and each prediction meets its own image."""
    a = make_dataset(tmp_path / "a", count=3, seed=0)
    b = make_dataset(tmp_path / "b", count=2, seed=1, size=(64, 96))
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    for source, name, new in [
        (a, "000000", "000000"),
        (b, "000000", "000001"),
        (a, "000001", "000002"),
        (a, "000002", "000003"),
        (b, "000001", "000004"),
    ]:
        copy_sample(source, name, mixed, new)
    truth = {}
    for name in list_samples(mixed):
        s = read_sample(mixed, name)
        truth[s.image.tobytes()] = s.masks
    calls = []

    def oracle(model, images, *, batch_size):
        assert len({im.shape for im in images}) == 1
        calls.append(len(images))
        masks = [truth[im.tobytes()] for im in images]
        probs = np.zeros((len(images), max(len(m) for m in masks), *images[0].shape), np.float32)
        for k, m in enumerate(masks):
            probs[k, : len(m)] = m
        return probs, None

    monkeypatch.setattr(run_module, "predict", oracle)
    result = evaluate_model(model, mixed, batch_size=2, min_size=0, instances="masks")
    assert calls == [1, 1, 2, 1]
    assert [r["image"] for r in result.rows] == ["000000", "000001", "000002", "000003", "000004"]
    assert all(r["length_score"] == 1.0 and r["f1"] == 1.0 for r in result.rows)
    assert result.summary["length_score"] == 1.0 and result.model_name == "model"


def test_curves_are_what_the_analysis_reports_drawn_at_the_data_mask_width(
    tmp_path, monkeypatch, model
):
    from temdefects.dislocations.analysis.pipeline import DEFAULT_FLATTEN, model_input
    from temdefects.dislocations.analysis.postprocess import postprocess

    data = make_dataset(tmp_path / "d", count=3, seed=4, size=(128, 128))
    truth = {}
    for name in list_samples(data):
        s = read_sample(data, name)
        # the analysis input: percentile-clipped and flattened
        truth[model_input(s.image, DEFAULT_FLATTEN)[1].tobytes()] = s.masks.astype(np.float32)

    def oracle(model, images, *, batch_size):
        probs = [truth[im.tobytes()] for im in images]  # fails unless images are prepared
        n = max(len(p) for p in probs)
        out = np.zeros((len(images), n, *images[0].shape), np.float32)
        for k, p in enumerate(probs):
            out[k, : len(p)] = p
        return out, None

    monkeypatch.setattr(run_module, "predict", oracle)
    result = evaluate_model(model, data, instances="curves")
    assert result.settings["flatten"] == DEFAULT_FLATTEN
    for row, masks in zip(result.rows, truth.values(), strict=True):
        assert row["n_pred"] == len(postprocess(masks))
    # perfect masks traced back: most dislocations are found whole
    assert result.summary["f1"] > 0.6 and result.summary["length_score"] > 0.6
    assert result.summary["union_dice"] > 0.7


def test_curve_masks_draw_each_curve_at_its_width():
    from temdefects.dislocations.evaluation import curve_masks

    line = np.array([[5.0, 10.0], [25.0, 10.0]])
    masks = curve_masks([line, line + [0.0, 8.0]], (32, 32), 5.0)
    assert masks.shape == (2, 32, 32) and masks.dtype == np.float32
    assert masks[0, 10, 15] == 1 and masks[1, 18, 15] == 1 and masks[0, 18, 15] == 0
    assert set(np.flatnonzero(masks[0][:, 15])) == {8, 9, 10, 11, 12}  # |y - 10| <= 2.5
    assert curve_masks([], (4, 4), 5.0).shape == (0, 4, 4)


def test_unknown_instances_is_an_error(model, data):
    with pytest.raises(ConfigError, match="instances"):
        evaluate_model(model, data, instances="pixels")


@pytest.mark.parametrize("damage", ["truncate_npz", "delete_png", "garbage_record"])
def test_a_broken_sample_is_recorded_and_the_rest_evaluated(tmp_path, model, data, damage):
    folder = tmp_path / "data"
    shutil.copytree(data, folder)
    if damage == "truncate_npz":
        path = folder / "000001.npz"
        path.write_bytes(path.read_bytes()[:40])
    elif damage == "delete_png":
        (folder / "000001.png").unlink()
    else:
        (folder / "000001.json").write_text("{not json")
    result = evaluate_model(model, folder)
    assert list(result.failed) == ["000001"] and "000001" in result.failed["000001"]
    assert [r["image"] for r in result.rows] == ["000000", "000002"]
    assert result.summary["n_images"] == 2


def test_nothing_readable_is_an_error(tmp_path, model, data):
    folder = tmp_path / "data"
    shutil.copytree(data, folder)
    for path in folder.glob("*.npz"):
        path.write_bytes(b"")
    with pytest.raises(InputFileError, match="none of the 3 samples"):
        evaluate_model(model, folder)


def test_limit_takes_the_first_samples(model, data):
    result = evaluate_model(model, data, limit=2)
    assert [r["image"] for r in result.rows] == ["000000", "000001"]
    assert result.settings["limit"] == 2


def test_missing_or_empty_data_folder(tmp_path, model):
    with pytest.raises(InputFileError, match="data folder not found"):
        evaluate_model(model, tmp_path / "nope")
    (tmp_path / "dataset.json").write_text("{}")  # a manifest is not a sample
    with pytest.raises(InputFileError, match="no samples"):
        evaluate_model(model, tmp_path)


def test_missing_model_folder(tmp_path, data):
    with pytest.raises(InputFileError, match="model folder not found"):
        evaluate_model(tmp_path / "nope", data)


@pytest.mark.parametrize(
    "option,value",
    [
        ("threshold", 1.5),
        ("threshold", float("nan")),
        ("match_threshold", 0.0),
        ("min_size", -1),
        ("batch_size", 0),
        ("limit", 0),
        ("limit", 2.0),
    ],
)
def test_options_are_checked_up_front(model, data, option, value):
    with pytest.raises(ConfigError, match=option):
        evaluate_model(model, data, **{option: value})


def test_list_samples_sorts_records(tmp_path):
    for name in ("000010.json", "000002.json", "dataset.json", "000001.png", "x1.json"):
        (tmp_path / name).write_text("{}")
    assert list_samples(tmp_path) == ["000002", "000010"]


def test_unique_names_are_deterministic(tmp_path):
    assert unique_names(["runs/a/m2", "runs/b/m2", "m1"]) == ["m2-a", "m2-b", "m1"]
    assert unique_names(["x/a/m", "y/a/m", "z"]) == ["m-a", "m-a-2", "z"]
    assert unique_names([tmp_path / "d", tmp_path / "e"]) == ["d", "e"]
