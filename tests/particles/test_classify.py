import json
from pathlib import Path

import numpy as np
import pytest

from temdefects.errors import InputFileError, TemdefectsError
from temdefects.particles.classify import (
    KINDS,
    confusion,
    load_classifier,
    save_classifier,
    train_classifiers,
)
from temdefects.particles.config import ClassifierConfig

CLASSES = ("fault", "no_fault", "no_fringes")
NAMES = ("a", "b", "c", "d")
SMALL = ClassifierConfig(n_estimators=30, boosting_iterations=30)


def blobs(n_per_class: int, seed: int, spread: float = 0.5):
    """Three well separated clusters in four features (the last is noise)."""
    rng = np.random.default_rng(seed)
    centres = np.array([[0, 0, 0, 0], [3, 0, 3, 0], [0, 3, -3, 0]], float)
    x = np.concatenate([c + spread * rng.standard_normal((n_per_class, 4)) for c in centres])
    y = [c for c in CLASSES for _ in range(n_per_class)]
    return x, y


@pytest.fixture(scope="module")
def trained():
    x, y = blobs(40, seed=0)
    xt, yt = blobs(15, seed=1)
    return train_classifiers(
        x, y, xt, yt, feature_names=NAMES, classes=CLASSES, config=SMALL, random_state=0
    )


def test_both_classifiers_learn_a_separable_set(trained):
    clf, results = trained
    for kind in KINDS:
        assert results[kind]["test_accuracy"] > 0.8
        assert np.sum(results[kind]["test_confusion"]) == 45
    assert results["selected"] == clf.kind and clf.kind in KINDS
    assert clf.metrics["selected"] == clf.kind
    assert clf.classes == CLASSES and clf.feature_names == NAMES


def test_a_noise_set_stays_near_chance():
    rng = np.random.default_rng(3)
    x, xt = rng.standard_normal((90, 4)), rng.standard_normal((60, 4))
    y, yt = [CLASSES[i % 3] for i in range(90)], [CLASSES[i % 3] for i in range(60)]
    _, results = train_classifiers(x, y, xt, yt, feature_names=NAMES, classes=CLASSES, config=SMALL)
    assert results["random_forest"]["test_accuracy"] < 0.6


def test_save_and_load_round_trip(tmp_path, trained):
    clf, _ = trained
    save_classifier(tmp_path, clf)
    meta = json.loads((tmp_path / "classifier.json").read_text())
    assert meta["feature_names"] == list(NAMES) and meta["classes"] == list(CLASSES)
    assert meta["kind"] == clf.kind and meta["sklearn_version"]
    back = load_classifier(tmp_path)
    x, _ = blobs(5, seed=7)
    names, probs = clf.predict(x)
    names2, probs2 = back.predict(x)
    assert names == names2 and np.array_equal(probs, probs2)
    assert back.metrics["selected"] == clf.kind


def test_rows_with_missing_values_get_no_class(trained):
    clf, _ = trained
    x, _ = blobs(1, seed=2)
    x[1, 2] = np.nan
    names, probs = clf.predict(x)
    assert names[1] == "" and np.isnan(probs[1])
    assert names[0] in CLASSES and 0 < probs[0] <= 1
    with pytest.raises(ValueError, match="features"):
        clf.predict(np.zeros((2, 3)))


def test_damaged_or_mismatched_files_are_one_line_errors(tmp_path, trained):
    clf, _ = trained
    with pytest.raises(InputFileError, match="classifier.json"):
        load_classifier(tmp_path)
    save_classifier(tmp_path, clf)
    meta = json.loads((tmp_path / "classifier.json").read_text())
    meta["classes"] = ["x", "y", "z"]
    (tmp_path / "classifier.json").write_text(json.dumps(meta))
    with pytest.raises(InputFileError, match="does not match"):
        load_classifier(tmp_path)
    (tmp_path / "classifier.skops").write_bytes(b"not a skops file")
    with pytest.raises(InputFileError, match="cannot load"):
        load_classifier(tmp_path)


def test_one_class_gives_a_constant_classifier_none_is_refused_and_confusion_counts():
    x = np.random.default_rng(0).random((6, 4))
    clf, results = train_classifiers(x, ["no_fringes"] * 6, feature_names=NAMES, classes=CLASSES)
    names, probs = clf.predict(x[:3] + 5.0)
    assert names == ["no_fringes"] * 3 and np.allclose(probs, 1.0)
    assert results["train_particles"] == 6
    with pytest.raises(TemdefectsError, match="none with complete features"):
        train_classifiers(
            np.full((2, 4), np.nan), ["fault"] * 2, feature_names=NAMES, classes=CLASSES
        )
    assert confusion(["fault", "no_fault"], ["fault", "fault"], CLASSES) == [
        [1, 0, 0],
        [1, 0, 0],
        [0, 0, 0],
    ]


def test_another_sklearn_version_refits_from_the_stored_data(tmp_path, trained):
    from dataclasses import asdict, replace

    clf, _ = trained
    x, y = blobs(40, seed=0)
    record = {"classifier_config": asdict(SMALL), "seed": 0}
    save_classifier(tmp_path, replace(clf, record=record), training_data=(x, y))
    meta = json.loads((tmp_path / "classifier.json").read_text())
    meta["sklearn_version"] = "0.0"  # as if written by another scikit-learn
    (tmp_path / "classifier.json").write_text(json.dumps(meta))
    (tmp_path / "classifier.skops").write_bytes(b"a file of another version")
    back = load_classifier(tmp_path)  # refitted: the stored estimator is never read
    xt, _ = blobs(5, seed=7)
    names, probs = back.predict(xt)
    names0, probs0 = clf.predict(xt)
    assert names == names0 and np.allclose(probs, probs0)
    (tmp_path / "classifier_data.npz").write_bytes(b"broken")
    with pytest.raises(InputFileError, match="cannot refit"):
        load_classifier(tmp_path)


def test_skops_file_refuses_foreign_types_and_legacy_pickles_still_load(tmp_path, trained):
    import joblib
    import skops.io

    clf, _ = trained
    save_classifier(tmp_path, clf)
    assert not (tmp_path / "classifier.joblib").exists()
    xt, _ = blobs(5, seed=3)
    assert load_classifier(tmp_path).predict(xt)[0] == clf.predict(xt)[0]
    # a file holding a type that is not scikit-learn's is refused, not run
    (tmp_path / "classifier.skops").write_bytes(skops.io.dumps({"f": Path}))
    with pytest.raises(InputFileError, match="other than scikit-learn"):
        load_classifier(tmp_path)
    # a folder written before the skops format
    (tmp_path / "classifier.skops").unlink()
    joblib.dump(clf.estimator, tmp_path / "classifier.joblib")
    assert load_classifier(tmp_path).predict(xt)[0] == clf.predict(xt)[0]
