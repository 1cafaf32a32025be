"""Per-particle classifiers on :mod:`~temdefects.particles.features`, saved in a model folder.

Groschner et al. (2021) classify segmented particles with a random forest;
here a random forest and a histogram gradient boosting are trained on the same
features with the same ``random_state`` and compared on a test split. The
better one (by test accuracy, the forest on ties) becomes the pipeline's
classifier; both results are recorded.

Files in the model folder: ``classifier.skops`` (the fitted scikit-learn
estimator in the skops format: no pickle, so loading runs no code; only
scikit-learn types are accepted), ``classifier.json``
(format ``temdefects.particles.classifier/1``: kind, feature names, classes,
scikit-learn version, metrics of both classifiers, the training record) and
``classifier_data.npz`` (the training features and classes). scikit-learn
estimators only load reliably in the version that wrote them, so under another
scikit-learn version the estimator is refitted from ``classifier_data.npz``
with the recorded hyper-parameters and seed (about a second) instead of
loaded. Folders written before the skops format hold ``classifier.joblib``
(a pickle), which is still read when no ``classifier.skops`` is there.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from temdefects import __version__
from temdefects.errors import InputFileError, TemdefectsError
from temdefects.io.atomic import atomic_write_bytes, atomic_write_json
from temdefects.io.records import read_json_record
from temdefects.particles.config import ClassifierConfig

FORMAT = "temdefects.particles.classifier/1"
ESTIMATOR_FILE, META_FILE = "classifier.skops", "classifier.json"
LEGACY_ESTIMATOR_FILE = "classifier.joblib"  # pickles of folders written before skops
DATA_FILE = "classifier_data.npz"
KINDS = ("random_forest", "gradient_boosting")


@dataclass(frozen=True, eq=False)
class ParticleClassifier:
    """A fitted estimator with the names of its features and classes.

    Attributes
    ----------
    estimator
        A fitted scikit-learn classifier (``predict_proba``).
    kind
        ``"random_forest"`` or ``"gradient_boosting"``.
    feature_names
        Column names of the feature matrix it expects.
    classes
        Class names, in the order of ``predict_proba``'s columns.
    metrics
        Measured results (accuracy per classifier ...).
    record
        How it was trained (configuration, data, seed).
    """

    estimator: object
    kind: str
    feature_names: tuple[str, ...]
    classes: tuple[str, ...]
    metrics: dict = field(default_factory=dict)
    record: dict = field(default_factory=dict)

    def predict(self, features: np.ndarray) -> tuple[list[str], np.ndarray]:
        """Class name and its probability per row of ``features`` (N, F).

        Rows with a missing (non-finite) value get class ``""`` and probability NaN.
        """
        x = np.asarray(features, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != len(self.feature_names):
            raise ValueError(
                f"predict: expected features (N, {len(self.feature_names)}), got {x.shape}"
            )
        names, probs = [""] * len(x), np.full(len(x), np.nan)
        ok = np.isfinite(x).all(axis=1)
        if ok.any():
            p = self.estimator.predict_proba(x[ok])
            best = p.argmax(axis=1)
            for row, b, pr in zip(np.flatnonzero(ok), best, p.max(axis=1), strict=True):
                names[row], probs[row] = self.classes[b], float(pr)
        return names, probs


def make_estimator(kind: str, config: ClassifierConfig, random_state: int):
    """A fresh, unfitted estimator of ``kind`` configured by ``config``."""
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier

    if kind == "random_forest":
        return RandomForestClassifier(
            n_estimators=config.n_estimators,
            max_depth=config.max_depth or None,
            class_weight=config.class_weight,
            random_state=random_state,
            n_jobs=1,
        )
    if kind == "gradient_boosting":
        return HistGradientBoostingClassifier(
            max_iter=config.boosting_iterations,
            learning_rate=config.boosting_lr,
            class_weight=config.class_weight,
            random_state=random_state,
        )
    raise ValueError(f"make_estimator: unknown kind {kind!r} (known: {', '.join(KINDS)})")


def confusion(true: list[str], pred: list[str], classes: tuple[str, ...]) -> list[list[int]]:
    """Counts ``[i][j]`` of particles of true class ``i`` predicted as ``j``."""
    index = {c: i for i, c in enumerate(classes)}
    out = np.zeros((len(classes), len(classes)), np.int64)
    for t, p in zip(true, pred, strict=True):
        if t in index and p in index:
            out[index[t], index[p]] += 1
    return out.tolist()


def _accuracy(true, pred) -> float | None:
    if not len(true):
        return None
    return float(np.mean(np.asarray(true) == np.asarray(pred)))


def train_classifiers(
    x_train: np.ndarray,
    y_train: list[str],
    x_test: np.ndarray | None = None,
    y_test: list[str] | None = None,
    *,
    feature_names: tuple[str, ...],
    classes: tuple[str, ...],
    config: ClassifierConfig | None = None,
    random_state: int = 0,
) -> tuple[ParticleClassifier, dict]:
    """Train both classifiers and keep the better one on the test split.

    Parameters
    ----------
    x_train, y_train
        Features (N, F) and class names of the training particles.
    x_test, y_test
        The same for the test particles; without them the training accuracy
        decides (and is reported as such).
    feature_names
        Names of the F columns.
    classes
        Every class name the pipeline knows (order of the confusion matrices).
    config
        Hyper-parameters.
    random_state
        Seed of both estimators.

    Returns
    -------
    classifier : ParticleClassifier
        The better classifier.
    results : dict
        Per kind: ``train_accuracy``, ``test_accuracy``, ``test_confusion``; and
        ``selected``.

    Raises
    ------
    TemdefectsError
        With no training particles. Particles of a single class (for example
        HAADF images, whose particles all lack resolved fringes) give a
        classifier that always answers that class.
    """
    cfg = config or ClassifierConfig()
    x = np.asarray(x_train, np.float64)
    y = np.asarray(y_train, dtype=object)
    if x.ndim != 2 or len(x) != len(y) or x.shape[1] != len(feature_names):
        raise ValueError(f"train_classifiers: features {x.shape} do not fit {len(y)} labels")
    ok = np.isfinite(x).all(axis=1)
    x, y = x[ok], y[ok].astype(str)
    if not len(y):
        raise TemdefectsError("training particles: none with complete features")
    has_test = x_test is not None and y_test is not None and len(y_test) > 0
    results, fitted = {}, {}
    for kind in KINDS:
        est = make_estimator(kind, cfg, random_state).fit(x, y)
        clf = ParticleClassifier(est, kind, tuple(feature_names), tuple(est.classes_))
        fitted[kind] = clf
        entry = {"train_accuracy": _accuracy(y, est.predict(x))}
        if has_test:
            pred, _ = clf.predict(x_test)
            entry["test_accuracy"] = _accuracy(list(y_test), pred)
            entry["test_confusion"] = confusion(list(y_test), pred, tuple(classes))
        results[kind] = entry
    key = "test_accuracy" if has_test else "train_accuracy"
    selected = max(KINDS, key=lambda k: (results[k][key] or 0.0, k == "random_forest"))
    results["selected"] = selected
    results["selected_by"] = key
    results["classes"] = list(classes)
    results["train_particles"] = int(len(y))
    results["test_particles"] = int(len(y_test)) if has_test else 0
    return replace(fitted[selected], metrics=results), results


def save_classifier(
    folder: str | os.PathLike,
    classifier: ParticleClassifier,
    *,
    training_data: tuple[np.ndarray, list[str]] | None = None,
    compress: int = 9,
) -> Path:
    """Write ``classifier.skops``, ``classifier.json`` (and the training data) into ``folder``.

    ``training_data`` ``(features (N, F), classes)`` is stored as
    ``classifier_data.npz`` so that another scikit-learn version can refit the
    estimator (see :func:`load_classifier`); its record must then hold
    ``classifier_config`` and ``seed``.
    """
    import io
    import zipfile

    import sklearn
    import skops.io

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    data = skops.io.dumps(
        classifier.estimator, compression=zipfile.ZIP_DEFLATED, compresslevel=compress
    )
    atomic_write_bytes(folder / ESTIMATOR_FILE, data)
    (folder / LEGACY_ESTIMATOR_FILE).unlink(missing_ok=True)
    (folder / DATA_FILE).unlink(missing_ok=True)
    if training_data is not None:
        x = np.asarray(training_data[0], np.float64)
        y = np.asarray(training_data[1], dtype=str)
        ok = np.isfinite(x).all(axis=1)
        data = io.BytesIO()
        np.savez_compressed(data, features=x[ok], classes=y[ok])
        atomic_write_bytes(folder / DATA_FILE, data.getvalue())
    meta = {
        "format": FORMAT,
        "temdefects_version": __version__,
        "sklearn_version": sklearn.__version__,
        "kind": classifier.kind,
        "feature_names": list(classifier.feature_names),
        "classes": list(classifier.classes),
        "metrics": classifier.metrics,
        "training": classifier.record,
    }
    atomic_write_json(folder / META_FILE, meta)
    return folder


def load_classifier(folder: str | os.PathLike) -> ParticleClassifier:
    """Read the classifier of a model folder.

    Raises
    ------
    InputFileError
        If its files are missing or unreadable, or the estimator does not fit
        its description.
    """
    import sklearn

    folder = Path(folder)
    meta = read_json_record(
        folder / META_FILE,
        expected_format=FORMAT,
        what="temdefects particle classifier description",
        missing="missing (not a particle model folder)",
    )
    path = folder / ESTIMATOR_FILE
    if not path.is_file() and (folder / LEGACY_ESTIMATOR_FILE).is_file():
        path = folder / LEGACY_ESTIMATOR_FILE
    if not path.is_file():
        raise InputFileError(f"{folder / ESTIMATOR_FILE}: missing")
    if meta.get("sklearn_version") != sklearn.__version__ and (folder / DATA_FILE).is_file():
        estimator = _refit(folder, meta)
    else:
        estimator = _load_estimator(path)
    classes = tuple(str(c) for c in getattr(estimator, "classes_", ()))
    names = tuple(meta.get("feature_names", ()))
    if classes != tuple(meta.get("classes", ())) or getattr(
        estimator, "n_features_in_", None
    ) != len(names):
        raise InputFileError(f"{path}: the estimator does not match {META_FILE}")
    return ParticleClassifier(
        estimator,
        str(meta.get("kind")),
        names,
        classes,
        metrics=meta.get("metrics", {}),
        record=meta.get("training", {}),
    )


def _load_estimator(path: Path):
    """The estimator of a ``.skops`` file (scikit-learn types only) or a legacy pickle."""
    try:
        if path.name == LEGACY_ESTIMATOR_FILE:
            import joblib  # a dependency of scikit-learn

            return joblib.load(path)
        import skops.io

        data = path.read_bytes()
        untrusted = skops.io.get_untrusted_types(data=data)
    except Exception as exc:  # damaged files raise many types
        raise InputFileError(f"{path}: cannot load ({type(exc).__name__}: {exc})") from None
    foreign = [t for t in untrusted if not t.startswith("sklearn.")]
    if foreign:
        raise InputFileError(f"{path}: refuses to load types other than scikit-learn's: {foreign}")
    try:
        return skops.io.loads(data, trusted=untrusted)
    except Exception as exc:
        raise InputFileError(f"{path}: cannot load ({type(exc).__name__}: {exc})") from None


def _refit(folder: Path, meta: dict):
    """The estimator refitted from ``classifier_data.npz`` as recorded in ``meta``."""
    import zipfile

    from temdefects.errors import ConfigError
    from temdefects.schema import parse_section

    path = folder / DATA_FILE
    training = meta.get("training") or {}
    try:
        with np.load(_file_stream(path)) as data:
            x, y = data["features"].astype(np.float64), data["classes"].astype(str)
        config = parse_section(
            ClassifierConfig, training.get("classifier_config"), "classifier_config"
        )
        return make_estimator(str(meta.get("kind")), config, int(training.get("seed", 0))).fit(x, y)
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile, ConfigError) as exc:
        raise InputFileError(f"{path}: cannot refit the classifier ({exc})") from None


def _file_stream(path: Path):
    """The file's bytes as a stream (np.load on a path leaves bad archives open)."""
    import io

    return io.BytesIO(path.read_bytes())


__all__ = [
    "DATA_FILE",
    "KINDS",
    "ParticleClassifier",
    "confusion",
    "load_classifier",
    "make_estimator",
    "save_classifier",
    "train_classifiers",
]
