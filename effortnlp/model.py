"""Effort models: a trained scikit-learn pipeline, or the rules-only prior.

Both map feature dicts (``features.featurize``) to a CES in [1, 7] and the
probability of high effort (CES 1-3). The trained model is a plain
scikit-learn ``Pipeline`` (``DictVectorizer`` -> ``StandardScaler`` ->
multinomial ``LogisticRegression`` over the label values); its CES is the
expected label value and ``p_high`` the probability mass on high-effort labels,
so the band and ``p_high`` come from the same distribution.

The prior needs no training: CES = 7 minus fixed penalties per marker, weighted
after the research (repeat contacts and unresolved issues cost the most,
transfers and repeating information next, channel switching less).

A saved model is a directory::

    manifest.json      versions, SHA-256 of every file, features, labels, metrics
    estimator.joblib   the fitted Pipeline (trained models only)
    weights.json       the penalties (prior only: no pickle at all)
    patterns/*.jsonl   the marker patterns the model was trained with

``load_model`` checks every hash in the manifest *before* unpickling anything:
joblib files are pickles, and a swapped file could run code.
"""

from __future__ import annotations

import hashlib
import json
import operator
import platform
import shutil
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from .features import FEATURE_NAMES, NEUTRAL
from .schema import HIGH_EFFORT_MAX

MANIFEST = "manifest.json"
ESTIMATOR = "estimator.joblib"
WEIGHTS = "weights.json"
MANIFEST_FORMAT = 1

#: Label values used for the three-level ``effort`` label kind.
EFFORT_VALUES = {"low": 6.0, "medium": 4.0, "high": 2.0}


class ModelError(ValueError):
    """A model directory is missing, incomplete, tampered with or incompatible."""


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def library_versions() -> dict[str, str]:
    """The versions a model is saved with and checked against (read from the installed
    distributions: importing scikit-learn only to ask costs a second on every start)."""
    from importlib.metadata import version

    return {
        "effortnlp": __version__,
        "scikit-learn": version("scikit-learn"),
        "spacy": version("spacy"),
        "python": platform.python_version(),
    }


_ALL_FEATURES = operator.itemgetter(*FEATURE_NAMES)


def _matrix(feature_dicts: Sequence[dict[str, float]]) -> np.ndarray:
    """Feature dicts as a float matrix, columns in ``FEATURE_NAMES`` order (missing -> 0.0)."""
    try:  # the usual dicts (``featurize``) hold every feature
        return np.array([_ALL_FEATURES(d) for d in feature_dicts], dtype=float).reshape(
            len(feature_dicts), len(FEATURE_NAMES)
        )
    except KeyError:
        return np.array([[d.get(f, 0.0) for f in FEATURE_NAMES] for d in feature_dicts], dtype=float)


@dataclass
class EffortModel:
    """Common interface: ``predict(feature_dicts) -> (ces, p_high)``."""

    kind: str = "base"
    manifest: dict[str, Any] = field(default_factory=dict)
    pattern_dir: Path | None = None

    def predict(self, feature_dicts: Sequence[dict[str, float]]) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    #: Models that can score a feature matrix (columns in ``FEATURE_NAMES`` order)
    #: set this to a method giving exactly what ``predict`` gives for the same
    #: rows as dicts; ``explain.score_batch`` then skips building dicts.
    predict_matrix = None

    @property
    def name(self) -> str:
        return str(self.manifest.get("name", self.kind))


# Penalties in CES points, after The Effortless Experience: repeat contact and
# an unresolved outcome are the strongest disloyalty drivers; transfers and
# repeating information next; channel switching and waiting less; "feel"
# (frustration) matters about as much as the "do" side. Only the first hit of a
# marker costs the full penalty; further hits cost half each (capped by COUNT_CAP).
PRIOR_WEIGHTS: dict[str, float] = {
    "repeat_contact": 1.2,
    "unresolved": 1.3,
    "transfer": 0.9,
    "repeat_info": 0.9,
    "frustration": 0.9,
    "channel_switch": 0.5,
    "wait": 0.5,
}
PRIOR_EXTRA_HIT = 0.5  # fraction of the penalty for each hit after the first
# Back and forth costs effort even when no marker fires (the labelling
# guidelines' anchors: 7 = answered in one short exchange, 5 = some back and
# forth): a quarter point per customer message after the first, at most one point.
PRIOR_PER_EXTRA_TURN = 0.25
PRIOR_TURNS_CAP = 1.0
# Penalties map to CES by 1 + 6 * exp(-penalty / PRIOR_SOFTNESS) rather than
# 7 - penalty clipped at 1: a ticket with four effort markers still ranks below
# one with three instead of tying with it at 1, and scores stay near the labels'
# range (hand labels rarely go below 2). 4.0 was chosen on the development
# labels (lowest MAE there); the ranking does not depend on it.
PRIOR_SOFTNESS = 4.0
# How much the customer had to write, beyond the one ~25-word message of an
# effortless exchange: a quarter point per e-fold of words (100 words: 0.34,
# 400 words: 0.69). Chosen on the development labels, like PRIOR_SOFTNESS.
PRIOR_PER_LOG_WORD = 0.25
PRIOR_WORDS_BASE = 25


_COLUMN = {f: i for i, f in enumerate(FEATURE_NAMES)}


@dataclass
class PriorModel(EffortModel):
    """Rules-only CES: 7 minus fixed penalties; no training, no pickle."""

    kind: str = "prior"
    weights: dict[str, float] = field(default_factory=lambda: dict(PRIOR_WEIGHTS))
    extra_hit: float = PRIOR_EXTRA_HIT
    per_extra_turn: float = PRIOR_PER_EXTRA_TURN
    turns_cap: float = PRIOR_TURNS_CAP
    #: 0 means the plain ``7 - penalty`` clipped to [1, 7] (models saved before softness existed).
    softness: float = PRIOR_SOFTNESS
    per_log_word: float = PRIOR_PER_LOG_WORD

    def predict(self, feature_dicts):
        return self.predict_matrix(_matrix(feature_dicts))

    def predict_matrix(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[override]
        if not len(X):
            return np.zeros(0), np.zeros(0)
        col = _COLUMN
        penalty = 0.3 * X[:, col["extra_agents"]]
        extra_turns = np.maximum(np.rint(np.expm1(X[:, col["customer_turns_log"]])) - 1, 0)
        penalty = penalty + np.minimum(self.per_extra_turn * extra_turns, self.turns_cap)
        words_over = np.maximum(X[:, col["customer_words_log"]] - np.log1p(PRIOR_WORDS_BASE), 0.0)
        penalty = penalty + self.per_log_word * words_over
        for marker, w in self.weights.items():
            n = X[:, col[f"{marker}_count"]]
            penalty = penalty + np.where(n > 0, w * (1 + self.extra_hit * (n - 1)), 0.0)
        if self.softness > 0:
            ces = np.clip(1.0 + 6.0 * np.exp(-penalty / self.softness), 1.0, 7.0)
        else:
            ces = np.clip(7.0 - penalty, 1.0, 7.0)
        # A logistic curve centred on the high-effort boundary (3.5).
        p_high = 1.0 / (1.0 + np.exp(2.0 * (ces - (HIGH_EFFORT_MAX + 0.5))))
        return ces, p_high


@dataclass
class TrainedModel(EffortModel):
    """A fitted scikit-learn Pipeline over the label values."""

    kind: str = "trained"
    pipeline: Any = None
    class_values: np.ndarray = field(default_factory=lambda: np.arange(1.0, 8.0))

    def predict(self, feature_dicts):
        if not len(feature_dicts):
            return np.zeros(0), np.zeros(0)
        return self._from_proba(self.pipeline.predict_proba(list(feature_dicts)))

    def predict_matrix(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[override]
        """``predict`` on matrix rows: the vectorizer's matrix is built by column
        picking, the rest of the pipeline runs as it is. Any other pipeline
        goes through dicts."""
        if not len(X):
            return np.zeros(0), np.zeros(0)
        picked = self._vectorizer_columns()
        if picked is None:
            return self.predict([dict(zip(FEATURE_NAMES, row, strict=True)) for row in X.tolist()])
        columns, rest = picked
        # What DictVectorizer(sparse=False).transform gives: a C-ordered array of its
        # dtype, columns in its vocabulary order, 0 for a feature the dicts lack,
        # each value added to a zero (as the sparse matrix's toarray does: -0.0 -> 0.0).
        Xv = np.zeros((len(X), len(columns)), dtype=self.pipeline.steps[0][1].dtype)
        for j, i in enumerate(columns):
            if i is not None:
                Xv[:, j] += X[:, i]
        return self._from_proba(rest.predict_proba(Xv))

    def _vectorizer_columns(self):
        """``(column of FEATURE_NAMES per vectorizer feature, pipeline after it)``, or ``None``."""
        pipe = self.pipeline
        cached = getattr(self, "_picked", None)
        if cached is not None and cached[0] is pipe:
            return cached[1]
        picked = None
        try:
            from sklearn.feature_extraction import DictVectorizer
            from sklearn.pipeline import Pipeline

            vec = pipe.steps[0][1] if isinstance(pipe, Pipeline) and len(pipe.steps) > 1 else None
            if type(vec) is DictVectorizer and not vec.sparse:
                names = list(vec.feature_names_)
                if all(vec.vocabulary_.get(n) == j for j, n in enumerate(names)):
                    picked = ([_COLUMN.get(n) for n in names], pipe[1:])
        except (ImportError, AttributeError, TypeError):
            picked = None
        self._picked = (pipe, picked)
        return picked

    def _from_proba(self, proba: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        values = np.asarray(self.class_values, dtype=float)
        ces = np.clip(proba @ values, 1.0, 7.0)
        p_high = proba[:, values <= HIGH_EFFORT_MAX + 1e-9].sum(axis=1)
        return ces, p_high


def label_values(labels: Sequence[Any], label_kind: str) -> np.ndarray:
    """Labels as numbers on the CES scale (``effort`` levels map to 6/4/2)."""
    if label_kind == "effort":
        try:
            return np.array([EFFORT_VALUES[str(v).strip().lower()] for v in labels])
        except KeyError as exc:
            raise ValueError(f"effort labels must be low/medium/high, got {exc.args[0]!r}") from None
    values = np.array([float(v) for v in labels])
    if np.any((values < 1) | (values > 7)) or np.any(values != np.round(values)):
        raise ValueError("ces labels must be whole numbers from 1 to 7")
    return values


def make_pipeline(seed: int = 0, C: float = 0.5):
    """The trainable estimator: built-in scikit-learn pieces only."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    return Pipeline(
        [
            ("vectorize", DictVectorizer(sparse=False, sort=True)),
            ("scale", StandardScaler()),
            ("classify", LogisticRegression(C=C, max_iter=2000, random_state=seed)),
        ]
    )


def fit_model(
    feature_dicts: Sequence[dict[str, float]],
    labels: Sequence[Any],
    *,
    label_kind: str = "ces",
    seed: int = 0,
    C: float = 0.5,
) -> TrainedModel:
    """Fit the pipeline on feature dicts and CES (or effort) labels."""
    y = label_values(labels, label_kind)
    if len(set(y.tolist())) < 2:
        raise ValueError("need at least two different label values to train")
    pipe = make_pipeline(seed=seed, C=C)
    pipe.fit([dict(d) for d in feature_dicts], y)
    classes = pipe.named_steps["classify"].classes_.astype(float)
    return TrainedModel(
        manifest={"label_kind": label_kind, "feature_names": list(FEATURE_NAMES)},
        pipeline=pipe,
        class_values=classes,
    )


# -- saving and loading -------------------------------------------------------


def save_model(
    model: EffortModel,
    directory: str | Path,
    *,
    pattern_dir: str | Path | None = None,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write a model directory with its manifest. Overwrites ``directory``."""
    import joblib

    from .markers import default_pattern_dir

    directory = Path(directory)
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    if isinstance(model, TrainedModel):
        joblib.dump(model.pipeline, directory / ESTIMATOR)
    elif isinstance(model, PriorModel):
        payload = {
            "weights": model.weights,
            "extra_hit": model.extra_hit,
            "per_extra_turn": model.per_extra_turn,
            "turns_cap": model.turns_cap,
            "softness": model.softness,
            "per_log_word": model.per_log_word,
        }
        (directory / WEIGHTS).write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
    else:
        raise TypeError(f"cannot save {type(model).__name__}")
    src = Path(pattern_dir or model.pattern_dir or default_pattern_dir())
    (directory / "patterns").mkdir()
    for p in sorted(src.glob("*.jsonl")):
        shutil.copyfile(p, directory / "patterns" / p.name)

    files = sorted(
        str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file()
    )
    manifest: dict[str, Any] = {
        "format": MANIFEST_FORMAT,
        "name": directory.name,
        "kind": model.kind,
        "versions": library_versions(),
        "feature_names": list(FEATURE_NAMES),
        "neutral": NEUTRAL,
        "label_kind": model.manifest.get("label_kind", "ces"),
        "files": {f: sha256_file(directory / f) for f in files},
    }
    if isinstance(model, TrainedModel):
        manifest["class_values"] = [float(v) for v in model.class_values]
    for key in ("training", "metrics"):
        if key in model.manifest:
            manifest[key] = model.manifest[key]
    manifest.update(extra or {})
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return directory


def read_manifest(directory: str | Path) -> dict[str, Any]:
    directory = Path(directory)
    if not directory.is_dir():
        raise ModelError(f"model directory not found: {directory}")
    path = directory / MANIFEST
    if not path.is_file():
        raise ModelError(f"{path}: no manifest.json, refusing to load an unverified model")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelError(f"{path}: manifest is not valid JSON ({exc})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        raise ModelError(f"{path}: manifest has no 'files' table")
    return manifest


def verify_files(directory: Path, manifest: dict[str, Any]) -> None:
    """Refuse the model unless every listed file exists and matches its SHA-256."""
    files: dict[str, str] = manifest["files"]
    root = directory.resolve()
    for name, digest in files.items():
        try:
            path = (directory / name).resolve()
        except (OSError, ValueError) as exc:  # a NUL byte, a symlink loop...
            raise ModelError(f"{directory / MANIFEST}: bad file name {name!r} ({exc})") from None
        if root not in path.parents:
            raise ModelError(f"{directory / MANIFEST}: file {name!r} lies outside the model")
        if not path.is_file():
            raise ModelError(f"{directory / name}: listed in the manifest but missing")
        if sha256_file(path) != digest:
            raise ModelError(
                f"{directory / name}: SHA-256 does not match the manifest; refusing to load"
            )
    for required in (ESTIMATOR,) if manifest.get("kind") == "trained" else (WEIGHTS,):
        if required not in files:
            raise ModelError(f"{directory / MANIFEST}: does not list {required}")
    # Every pattern file is loaded (``load_rules`` reads patterns/*.jsonl), so an
    # unlisted one would change the scores unverified.
    listed = {Path(name).as_posix() for name in files}
    for path in sorted((directory / "patterns").glob("*.jsonl")):
        name = path.relative_to(directory).as_posix()
        if name not in listed:
            raise ModelError(f"{directory / name}: not listed in the manifest; refusing to load")


def load_model(directory: str | Path) -> EffortModel:
    """Load a saved model, verifying every file's hash before anything is unpickled."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    kind = manifest.get("kind")
    if kind not in ("trained", "prior"):
        raise ModelError(f"{directory / MANIFEST}: unknown model kind {kind!r}")
    verify_files(directory, manifest)
    _warn_on_version_mismatch(directory, manifest)
    if list(manifest.get("feature_names", [])) != list(FEATURE_NAMES):
        raise ModelError(
            f"{directory}: trained on different features than this effortnlp makes; retrain it"
        )
    pattern_dir = directory / "patterns" if (directory / "patterns").is_dir() else None
    if kind == "prior":
        payload = json.loads((directory / WEIGHTS).read_text())
        return PriorModel(
            manifest=manifest,
            pattern_dir=pattern_dir,
            weights={k: float(v) for k, v in payload["weights"].items()},
            extra_hit=float(payload.get("extra_hit", PRIOR_EXTRA_HIT)),
            per_extra_turn=float(payload.get("per_extra_turn", 0.0)),
            turns_cap=float(payload.get("turns_cap", 0.0)),
            softness=float(payload.get("softness", 0.0)),
            per_log_word=float(payload.get("per_log_word", 0.0)),
        )
    import joblib

    pipeline = joblib.load(directory / ESTIMATOR)
    return TrainedModel(
        manifest=manifest,
        pattern_dir=pattern_dir,
        pipeline=pipeline,
        class_values=np.asarray(manifest.get("class_values", range(1, 8)), dtype=float),
    )


def _warn_on_version_mismatch(directory: Path, manifest: dict[str, Any]) -> None:
    saved = manifest.get("versions", {})
    now = library_versions()
    for lib in ("scikit-learn", "spacy", "effortnlp"):
        if saved.get(lib) and saved[lib] != now[lib]:
            warnings.warn(
                f"{directory}: saved with {lib} {saved[lib]}, running {now[lib]}; "
                "predictions may differ — retrain with `make model` if they do",
                stacklevel=3,
            )

