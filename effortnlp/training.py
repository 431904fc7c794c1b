"""Train and evaluate effort models on a team's own labelled tickets.

Labels are CES answers (whole numbers 1-7) or effort levels (low/medium/high),
joined to tickets by id. Tickets without a label and labels without a ticket
are counted and reported, never dropped silently.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .features import featurize
from .markers import MarkerFinder
from .metrics import ces_report, precision_recall_f1
from .model import (
    EffortModel,
    PriorModel,
    TrainedModel,
    fit_model,
    label_values,
)
from .schema import MARKERS, Ticket, marker_column

LABEL_KINDS = ("ces", "effort")


@dataclass
class LabelSet:
    """Labels by ticket id, with the marker truth columns when the file has them."""

    labels: dict[str, Any]
    kind: str
    markers: dict[str, dict[str, bool]] = field(default_factory=dict)
    source: str = ""
    duplicates: int = 0
    invalid: list[str] = field(default_factory=list)


@dataclass
class JoinReport:
    """What joining tickets to labels kept and what it could not use."""

    tickets: list[Ticket]
    labels: list[Any]
    tickets_without_label: list[str]
    labels_without_ticket: list[str]

    def summary(self) -> str:
        return (
            f"{len(self.tickets)} labelled tickets; "
            f"{len(self.tickets_without_label)} tickets without a label; "
            f"{len(self.labels_without_ticket)} labels without a ticket"
        )


def _detect_kind(columns: Iterable[str], label_col: str | None) -> tuple[str, str]:
    cols = list(columns)
    if label_col:
        if label_col not in cols:
            raise ValueError(f"label column {label_col!r} not found (columns: {', '.join(cols)})")
        kind = "effort" if label_col == "effort" else "ces"
        return label_col, kind
    for kind in LABEL_KINDS:
        if kind in cols:
            return kind, kind
    raise ValueError(f"no label column: expected 'ces' or 'effort' (columns: {', '.join(cols)})")


def labels_from_records(
    records: Iterable[dict[str, Any]],
    *,
    id_col: str = "ticket_id",
    label_col: str | None = None,
    label_kind: str | None = None,
    source: str = "",
) -> LabelSet:
    """Build a LabelSet from dict records (label-file rows, or ticket metadata)."""
    labels: dict[str, Any] = {}
    markers: dict[str, dict[str, bool]] = {}
    duplicates = 0
    invalid: list[str] = []
    col = kind = None
    for rec in records:
        if col is None:
            col, kind = _detect_kind(rec.keys(), label_col)
            kind = label_kind or kind
        tid = rec.get(id_col, rec.get("id"))
        value = rec.get(col)
        if tid is None or value is None or (isinstance(value, float) and np.isnan(value)):
            invalid.append(str(tid))
            continue
        tid = str(tid)
        try:
            label_values([value], kind)
        except ValueError:
            invalid.append(tid)
            continue
        if tid in labels:
            duplicates += 1
            continue
        labels[tid] = value
        truth = {m: bool(rec[marker_column(m)]) for m in MARKERS if marker_column(m) in rec}
        if truth:
            markers[tid] = truth
    if col is None:
        raise ValueError(f"{source or 'labels'}: no label rows")
    return LabelSet(labels, kind or "ces", markers, source, duplicates, invalid)


def read_labels(
    path: str | Path, *, id_col: str = "ticket_id", label_col: str | None = None, label_kind: str | None = None
) -> LabelSet:
    """Read a CSV, JSONL or Parquet label file."""
    import pandas as pd

    from .io import InputError

    path = Path(path)
    if not path.is_file():
        raise InputError(f"label file not found: {path}")
    suffix = path.suffix.lower()
    try:
        if suffix in (".jsonl", ".ndjson", ".json"):
            df = pd.read_json(path, lines=suffix != ".json", dtype=False)
        elif suffix in (".parquet", ".pq"):
            df = pd.read_parquet(path)
        else:
            df = pd.read_csv(path, dtype={id_col: str})
    except ValueError as exc:
        raise InputError(f"{path}: cannot read labels ({' '.join(str(exc).split())})") from None
    if id_col not in df.columns and "id" in df.columns:
        id_col = "id"
    if id_col not in df.columns:
        raise InputError(f"{path}: no id column {id_col!r} (columns: {', '.join(map(str, df.columns))})")
    try:
        return labels_from_records(
            df.to_dict("records"), id_col=id_col, label_col=label_col, label_kind=label_kind, source=str(path)
        )
    except ValueError as exc:
        raise InputError(f"{path}: {exc}") from None


def join(tickets: Iterable[Ticket], labels: LabelSet) -> JoinReport:
    kept: list[Ticket] = []
    y: list[Any] = []
    without: list[str] = []
    seen: set[str] = set()
    for t in tickets:
        if t.ticket_id in labels.labels and t.ticket_id not in seen:
            kept.append(t)
            y.append(labels.labels[t.ticket_id])
            seen.add(t.ticket_id)
        else:
            without.append(t.ticket_id)
    orphans = [tid for tid in labels.labels if tid not in seen]
    return JoinReport(kept, y, without, orphans)


def fingerprint(tickets: Sequence[Ticket], labels: Sequence[Any]) -> str:
    """SHA-256 over ticket ids, texts and labels, in order."""
    h = hashlib.sha256()
    for t, y in zip(tickets, labels, strict=True):
        h.update(t.ticket_id.encode())
        for turn in t.turns:
            h.update(b"\x1f" + turn.speaker.encode() + b"\x1e" + turn.text.encode("utf-8", "replace"))
        h.update(b"\x1d" + str(y).encode())
    return h.hexdigest()


def featurize_all(
    finder: MarkerFinder, tickets: Sequence[Ticket], on_progress: Callable[[int], None] | None = None
) -> tuple[list[dict[str, float]], list[dict[str, int]]]:
    feats, counts = [], []
    for t in tickets:
        hits = finder.find(t)
        feats.append(featurize(t, hits))
        c = dict.fromkeys(MARKERS, 0)
        for h in hits:
            if h.label in c:
                c[h.label] += 1
        counts.append(c)
        if on_progress:
            on_progress(1)
    return feats, counts


def _folds(n: int, k: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    return [order[i::k] for i in range(k)]


def cross_validated_predictions(
    feats: Sequence[dict[str, float]], labels: Sequence[Any], *, label_kind: str, k: int = 5, seed: int = 0, C: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold CES and p_high for every ticket."""
    n = len(feats)
    if n < k or k < 2:
        raise ValueError(f"need at least {max(k, 2)} labelled tickets for {k}-fold cross-validation")
    ces = np.zeros(n)
    p_high = np.zeros(n)
    feats = list(feats)
    labels = list(labels)
    for fold in _folds(n, k, seed):
        mask = np.ones(n, bool)
        mask[fold] = False
        train_idx = np.flatnonzero(mask)
        model = fit_model(
            [feats[i] for i in train_idx], [labels[i] for i in train_idx], label_kind=label_kind, seed=seed, C=C
        )
        c, p = model.predict([feats[i] for i in fold])
        ces[fold] = c
        p_high[fold] = p
    return ces, p_high


def evaluate_predictions(
    y: np.ndarray, ces: np.ndarray, p_high: np.ndarray, *, train_mean: float | None = None
) -> dict[str, Any]:
    """Model report plus the mean-predictor baseline on the same tickets."""
    report = ces_report(y, ces, p_high)
    mean = float(np.mean(y)) if train_mean is None else train_mean
    base_c = np.full(len(y), mean)
    base_p = np.full(len(y), float(np.mean(y < 3.5)))
    report_mean = ces_report(y, base_c, base_p)
    return {"model": report, "mean": report_mean}


def marker_scores(
    counts: Sequence[dict[str, int]], truth: Sequence[dict[str, bool]]
) -> dict[str, dict[str, float]]:
    """Per-marker precision/recall/F1 at ticket level (count > 0 vs the truth flag)."""
    out = {}
    for m in MARKERS:
        pairs = [(t[m], c[m] > 0) for c, t in zip(counts, truth, strict=True) if m in t]
        if pairs:
            out[marker_column(m)] = precision_recall_f1([a for a, _ in pairs], [b for _, b in pairs])
    return out


def train(
    tickets: Sequence[Ticket],
    labels: Sequence[Any],
    *,
    label_kind: str = "ces",
    seed: int = 0,
    cv: int = 5,
    C: float = 0.5,
    finder: MarkerFinder | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> tuple[TrainedModel, dict[str, Any]]:
    """Featurize, cross-validate, then fit on everything. Returns the model and the CV report."""
    finder = finder or MarkerFinder()
    feats, _ = featurize_all(finder, tickets, on_progress)
    y = label_values(labels, label_kind)
    cv_report: dict[str, Any] = {}
    if cv and cv >= 2:
        ces, p = cross_validated_predictions(feats, labels, label_kind=label_kind, k=cv, seed=seed, C=C)
        cv_report = evaluate_predictions(y, ces, p)
        prior_c, prior_p = PriorModel().predict(feats)
        cv_report["prior"] = ces_report(y, prior_c, prior_p)
        cv_report["folds"] = cv
    model = fit_model(feats, labels, label_kind=label_kind, seed=seed, C=C)
    model.pattern_dir = finder.pattern_dir and Path(finder.pattern_dir)
    model.manifest["training"] = {
        "n": len(tickets),
        "fingerprint": fingerprint(tickets, labels),
        "seed": seed,
        "C": C,
        "label_distribution": {str(k): int(v) for k, v in zip(*np.unique(y, return_counts=True), strict=True)},
    }
    model.manifest["metrics"] = {"cv": _summarise(cv_report)} if cv_report else {}
    return model, cv_report


def _summarise(report: dict[str, Any]) -> dict[str, Any]:
    """Headline numbers of a report, for the manifest."""
    out = {}
    for name, r in report.items():
        if isinstance(r, dict) and "mae" in r:
            out[name] = {
                "mae": round(r["mae"], 4),
                "spearman": round(r["spearman"], 4) if r["spearman"] == r["spearman"] else None,
                "qwk": round(r["qwk"], 4) if r["qwk"] == r["qwk"] else None,
                "ece": round(r["calibration"]["ece"], 4),
                "n": r["n"],
            }
    return out


def predict_all(model: EffortModel, feats: Sequence[dict[str, float]]) -> tuple[np.ndarray, np.ndarray]:
    return model.predict(list(feats))


def report_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, sort_keys=True, default=float)
