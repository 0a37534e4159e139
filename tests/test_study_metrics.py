"""Tests of memalign_nb.study.metrics: agreement metrics checked against scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score, confusion_matrix, mean_absolute_error

from memalign_nb.judges.base import Judgment
from memalign_nb.study.metrics import (
    agreement_metrics,
    dimension_metrics,
    paired_scores,
    round_half_up,
)


@pytest.mark.parametrize("seed", range(5))
def test_mae_and_quadratic_kappa_match_scikit_learn_on_random_scores(seed):
    rng = np.random.default_rng(seed)
    reference = rng.integers(1, 4, size=200).astype(float)
    predicted = np.clip(reference + rng.integers(-1, 2, size=200), 0, 3).astype(float)
    m = dimension_metrics("model_use", reference, predicted)
    assert m.n == 200
    assert m.mae == pytest.approx(mean_absolute_error(reference, predicted))
    assert m.kappa == pytest.approx(
        cohen_kappa_score(reference.astype(int), predicted.astype(int), weights="quadratic")
    )
    assert m.signed_error == pytest.approx(np.mean(predicted - reference))
    assert m.exact_agreement == pytest.approx(np.mean(predicted == reference))


def test_not_applicable_items_leave_mae_but_count_for_applicability_and_confusion():
    reference = np.array([0.0, 0.0, 2.0, 3.0, 1.0])
    predicted = np.array([0.0, 2.0, 2.0, 1.0, 0.0])
    m = dimension_metrics("data_imputation", reference, predicted)
    # MAE over the three applicable items: |2-2|, |1-3|, |0-1|
    assert (m.n, m.mae) == (3, pytest.approx(1.0))
    assert m.signed_error == pytest.approx((0 - 2 - 1) / 3)
    # applicability: agree on items 0, 2, 3; disagree on 1 (judge 2 vs n/a) and 4 (0 vs 1)
    assert m.applicability_accuracy == pytest.approx(3 / 5)
    expected = confusion_matrix(reference.astype(int), predicted.astype(int), labels=[0, 1, 2, 3])
    assert np.array_equal(np.array(m.confusion), expected)


def test_failed_judgments_are_counted_never_scored():
    reference = np.array([2.0, 3.0, 1.0])
    predicted = np.array([2.0, np.nan, np.nan])
    m = dimension_metrics("model_use", reference, predicted)
    assert (m.n, m.n_failed, m.mae) == (1, 2, 0.0)
    assert sum(map(sum, m.confusion)) == 1


def test_median_references_round_half_up_for_exact_agreement_and_kappa():
    assert round_half_up(np.array([1.5, 2.5, 2.4, 1.0])).tolist() == [2, 3, 2, 1]
    m = dimension_metrics("model_use", np.array([1.5, 2.5, 3.0]), np.array([2.0, 3.0, 3.0]))
    assert m.exact_agreement == 1.0
    assert m.mae == pytest.approx((0.5 + 0.5 + 0.0) / 3)


def test_undefined_statistics_are_nan_not_errors():
    empty = dimension_metrics("model_use", np.array([0.0, 0.0]), np.array([0.0, 1.0]))
    assert empty.n == 0 and np.isnan(empty.mae) and np.isnan(empty.kappa)
    one_level = dimension_metrics("model_use", np.array([3.0, 3.0]), np.array([3.0, 3.0]))
    assert one_level.mae == 0.0 and np.isnan(one_level.kappa)


def test_agreement_metrics_pairs_judgments_with_references_per_dimension():
    judgments = [
        Judgment("a", "model_use", 3),
        Judgment("b", "model_use", 1),
        Judgment("a", "data_imputation", 2),
        Judgment("b", "data_imputation", None, error="timeout"),
        Judgment("c", "model_use", 2),  # no reference: ignored
    ]
    reference = {("a", "model_use"): 2.0, ("b", "model_use"): 1.0,
                 ("a", "data_imputation"): 2.0, ("b", "data_imputation"): 3.0}
    metrics = agreement_metrics(judgments, reference)
    assert set(metrics) == {"model_use", "data_imputation"}
    assert (metrics["model_use"].n, metrics["model_use"].mae) == (2, 0.5)
    assert (metrics["data_imputation"].n, metrics["data_imputation"].n_failed) == (1, 1)
    ids, ref, pred = paired_scores(judgments, reference)["data_imputation"]
    assert ids == ["a", "b"] and ref.tolist() == [2.0, 3.0] and np.isnan(pred[1])
