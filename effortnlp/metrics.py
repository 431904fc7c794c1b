"""Evaluation metrics for CES predictions, plain functions over arrays.

Each is small enough to check by hand; ``tests/test_metrics.py`` does.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .schema import BANDS, HIGH_EFFORT_MAX, band_for


def mae(y_true: Sequence[float], y_pred: Sequence[float]) -> float:
    t, p = np.asarray(y_true, float), np.asarray(y_pred, float)
    return float(np.mean(np.abs(t - p))) if len(t) else float("nan")


def spearman(a: Sequence[float], b: Sequence[float]) -> float:
    """Spearman's rho (average ranks for ties); nan when either side is constant."""
    from scipy.stats import spearmanr

    a, b = np.asarray(a, float), np.asarray(b, float)
    if len(a) < 2 or np.all(a == a[0]) or np.all(b == b[0]):
        return float("nan")
    return float(spearmanr(a, b).statistic)


def quadratic_weighted_kappa(y_true: Sequence[float], y_pred: Sequence[float]) -> float:
    """Cohen's kappa with quadratic weights on CES rounded to 1..7."""
    t = np.clip(np.rint(np.asarray(y_true, float)), 1, 7).astype(int) - 1
    p = np.clip(np.rint(np.asarray(y_pred, float)), 1, 7).astype(int) - 1
    k = 7
    observed = np.zeros((k, k))
    for i, j in zip(t, p, strict=True):
        observed[i, j] += 1
    if observed.sum() == 0:
        return float("nan")
    weights = np.array([[(i - j) ** 2 for j in range(k)] for i in range(k)]) / (k - 1) ** 2
    expected = np.outer(observed.sum(1), observed.sum(0)) / observed.sum()
    denom = (weights * expected).sum()
    if denom == 0:
        return float("nan")
    return float(1 - (weights * observed).sum() / denom)


def band_confusion(y_true: Sequence[float], y_pred: Sequence[float]) -> dict[str, dict[str, int]]:
    """Rows: true band; columns: predicted band."""
    table = {b: dict.fromkeys(BANDS, 0) for b in BANDS}
    for t, p in zip(y_true, y_pred, strict=True):
        table[band_for(float(t))][band_for(float(p))] += 1
    return table


def is_high(y: Sequence[float]) -> np.ndarray:
    return np.asarray(y, float) < HIGH_EFFORT_MAX + 0.5


def calibration(y_high: Sequence[bool], p_high: Sequence[float], bins: int = 10) -> dict:
    """Expected calibration error of ``p_high`` and a reliability table.

    ECE = sum over equal-width bins of (bin size / n) * |mean p - observed rate|.
    """
    y = np.asarray(y_high, float)
    p = np.asarray(p_high, float)
    table = []
    ece = 0.0
    n = len(y)
    edges = np.linspace(0, 1, bins + 1)
    for k in range(bins):
        lo, hi = edges[k], edges[k + 1]
        mask = (p >= lo) & ((p < hi) if k < bins - 1 else (p <= hi))
        count = int(mask.sum())
        if not count:
            continue
        mean_p = float(p[mask].mean())
        rate = float(y[mask].mean())
        ece += count / n * abs(mean_p - rate)
        table.append({"bin": f"{lo:.1f}-{hi:.1f}", "n": count, "mean_p": round(mean_p, 3), "observed": round(rate, 3)})
    return {"ece": float(ece) if n else float("nan"), "reliability": table}


def precision_recall_f1(truth: Sequence[bool], pred: Sequence[bool]) -> dict[str, float]:
    t = np.asarray(truth, bool)
    p = np.asarray(pred, bool)
    tp = int((t & p).sum())
    fp = int((~t & p).sum())
    fn = int((t & ~p).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn, "support": int(t.sum())}


def ces_report(y_true: Sequence[float], ces: Sequence[float], p_high: Sequence[float]) -> dict:
    """Every CES metric in one dict."""
    return {
        "n": len(y_true),
        "mae": mae(y_true, ces),
        "spearman": spearman(y_true, ces),
        "qwk": quadratic_weighted_kappa(y_true, ces),
        "band_confusion": band_confusion(y_true, ces),
        "calibration": calibration(is_high(y_true), p_high),
    }
