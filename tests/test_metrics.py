"""Metrics against values worked out by hand on tiny cases."""

import math

import pytest

from effortnlp.metrics import (
    band_confusion,
    calibration,
    mae,
    precision_recall_f1,
    quadratic_weighted_kappa,
    spearman,
)


def test_mae_by_hand():
    # |1-2| + |4-4| + |7-5| = 3 over 3
    assert mae([1, 4, 7], [2, 4, 5]) == pytest.approx(1.0)


def test_spearman_perfect_and_reversed():
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)


def test_spearman_by_hand_with_one_swap():
    # ranks differ by one swap of 4 items: d = (0,0,1,-1), rho = 1 - 6*2/(4*15) = 0.8
    assert spearman([1, 2, 3, 4], [1, 2, 4, 3]) == pytest.approx(0.8)


def test_spearman_constant_is_nan():
    assert math.isnan(spearman([3, 3, 3], [1, 2, 3]))


def test_qwk_perfect_agreement_is_one():
    assert quadratic_weighted_kappa([1, 3, 5, 7], [1, 3, 5, 7]) == pytest.approx(1.0)


def test_qwk_by_hand():
    # truth (1,7), prediction (7,1): observed weighted disagreement 2*1 = 2 (weights are 1 at distance 6);
    # expected: marginals are 1 each on 1 and 7, expected counts 0.5 in each of 4 cells; weighted = 0.5+0.5 = 1.
    # kappa = 1 - 2/1 = -1
    assert quadratic_weighted_kappa([1, 7], [7, 1]) == pytest.approx(-1.0)


def test_band_confusion_rows_are_truth():
    table = band_confusion([1, 4, 6, 6], [2, 6, 6, 3])
    assert table["high"]["high"] == 1
    assert table["medium"]["low"] == 1
    assert table["low"]["low"] == 1
    assert table["low"]["high"] == 1


def test_calibration_ece_by_hand():
    # bin 0.1-0.2: p=0.1 twice, observed 0.5 -> |0.1-0.5| * 2/4 = 0.2
    # bin 0.9-1.0: p=0.9 twice, observed 1.0 -> |0.9-1.0| * 2/4 = 0.05
    out = calibration([0, 1, 1, 1], [0.1, 0.1, 0.9, 0.9])
    assert out["ece"] == pytest.approx(0.25)
    assert [row["n"] for row in out["reliability"]] == [2, 2]


def test_precision_recall_f1_by_hand():
    r = precision_recall_f1([True, True, False, False], [True, False, True, False])
    assert (r["precision"], r["recall"], r["f1"]) == (0.5, 0.5, 0.5)
    assert (r["tp"], r["fp"], r["fn"]) == (1, 1, 1)
