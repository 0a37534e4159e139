"""Tests of memalign_nb.study.bootstrap: case resampling checked against scipy.stats.bootstrap.

Tolerance of the scipy comparisons: both sides estimate the 2.5% and 97.5% quantiles of
the bootstrap distribution from 10,000 resamples, with different random draws. For a
roughly normal distribution with standard deviation s, the Monte Carlo standard error of
an extreme-quantile estimate is sqrt(p (1 - p) / B) / phi(1.96) * s = 0.027 s, so two
independent estimates differ by about 0.038 s (one standard error). We allow 0.15 s, about
four standard errors: a correct implementation passes (seeds are fixed, so the test is
deterministic), while a 90% instead of a 95% level already moves the bounds of the first
test by 0.24 s and 0.36 s (measured), and resampling items instead of cases or an unpaired
improvement move them further.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from memalign_nb.errors import MemAlignError
from memalign_nb.study.bootstrap import (
    Interval,
    absolute_errors,
    bootstrap_mae,
    resample_weights,
)

B = 10_000
TOLERANCE_SD = 0.15


def _scipy_interval(statistic, *data, paired=False):
    res = stats.bootstrap(data, statistic, n_resamples=B, confidence_level=0.95,
                          method="percentile", paired=paired, vectorized=True,
                          random_state=np.random.default_rng(123))
    return res.confidence_interval, res.standard_error


def test_resample_weights_draw_n_cases_with_replacement_uniformly():
    weights = resample_weights(40, 5_000, seed=3)
    assert weights.shape == (5_000, 40)
    assert np.all(weights.sum(axis=1) == 40)
    assert np.all(weights == np.round(weights)) and weights.min() >= 0
    # each case is drawn once per resample on average, Binomial(40, 1/40) spread
    assert weights.mean(axis=0) == pytest.approx(np.ones(40), abs=0.05)
    assert weights.var() == pytest.approx(40 * (1 / 40) * (39 / 40), rel=0.05)
    assert np.array_equal(weights, resample_weights(40, 5_000, seed=3))
    assert not np.array_equal(weights, resample_weights(40, 5_000, seed=4))


def test_mae_interval_matches_scipy_percentile_bootstrap():
    rng = np.random.default_rng(0)
    errors = rng.choice([0.0, 0.5, 1.0, 2.0], p=[0.55, 0.1, 0.3, 0.05], size=60)
    mae, _ = bootstrap_mae({"judge": errors}, n_resamples=B, seed=1)
    (low, high), sd = _scipy_interval(lambda x, axis: np.mean(x, axis=axis), errors)
    assert mae["judge"].estimate == pytest.approx(errors.mean())
    assert mae["judge"].low == pytest.approx(low, abs=TOLERANCE_SD * sd)
    assert mae["judge"].high == pytest.approx(high, abs=TOLERANCE_SD * sd)


def test_not_applicable_items_are_left_out_of_each_resample_mean():
    rng = np.random.default_rng(5)
    errors = rng.choice([0.0, 1.0, 2.0], size=50).astype(float)
    errors[rng.random(50) < 0.3] = np.nan
    mae, _ = bootstrap_mae({"judge": errors}, n_resamples=B, seed=2)
    (low, high), sd = _scipy_interval(lambda x, axis: np.nanmean(x, axis=axis), errors)
    assert mae["judge"].estimate == pytest.approx(np.nanmean(errors))
    assert mae["judge"].low == pytest.approx(low, abs=TOLERANCE_SD * sd)
    assert mae["judge"].high == pytest.approx(high, abs=TOLERANCE_SD * sd)


def test_paired_improvement_matches_scipy_paired_bootstrap():
    rng = np.random.default_rng(7)
    baseline = rng.choice([0.0, 1.0, 2.0], p=[0.5, 0.4, 0.1], size=48)
    # the aligned judge fixes some of the same cases' errors: strongly paired
    aligned = np.where(rng.random(48) < 0.6, 0.0, baseline)
    _, improvement = bootstrap_mae({"baseline": baseline, "full": aligned},
                                   n_resamples=B, seed=3, baseline="baseline")
    (low, high), sd = _scipy_interval(
        lambda a, b, axis: np.mean(a, axis=axis) - np.mean(b, axis=axis),
        baseline, aligned, paired=True,
    )
    imp = improvement["full"]
    assert imp.estimate == pytest.approx(baseline.mean() - aligned.mean())
    assert imp.low == pytest.approx(low, abs=TOLERANCE_SD * sd)
    assert imp.high == pytest.approx(high, abs=TOLERANCE_SD * sd)
    assert imp.excludes_zero


def test_pooled_columns_resample_cases_not_items():
    # two items per case that always err together: resampling items would halve the width
    case_errors = (np.arange(30) % 3).astype(float)
    pooled = np.column_stack([case_errors, case_errors])
    mae, _ = bootstrap_mae({"single": case_errors, "pooled": pooled}, n_resamples=B, seed=4)
    assert mae["pooled"].estimate == pytest.approx(mae["single"].estimate)
    assert (mae["pooled"].low, mae["pooled"].high) == (mae["single"].low, mae["single"].high)


def test_explicit_baseline_pairs_and_the_same_seed_give_the_same_intervals():
    rng = np.random.default_rng(9)
    columns = {name: rng.integers(0, 3, 25).astype(float) for name in ("b1", "v1", "b2", "v2")}
    first = bootstrap_mae(columns, n_resamples=500, seed=11, baseline={"v1": "b1", "v2": "b2"})
    again = bootstrap_mae(columns, n_resamples=500, seed=11, baseline={"v1": "b1", "v2": "b2"})
    assert first == again
    assert set(first[1]) == {"v1", "v2"}
    assert first[1]["v2"].estimate == pytest.approx(columns["b2"].mean() - columns["v2"].mean())


def test_undefined_intervals_are_nan_and_bad_input_is_a_clear_error():
    mae, _ = bootstrap_mae({"never": np.full(10, np.nan)}, n_resamples=100)
    assert np.isnan(mae["never"].estimate) and np.isnan(mae["never"].low)
    assert not Interval(float("nan"), float("nan"), float("nan")).excludes_zero
    with pytest.raises(MemAlignError, match="one non-zero length"):
        bootstrap_mae({"a": np.zeros(3), "b": np.zeros(4)})
    with pytest.raises(MemAlignError, match="unknown columns: nope"):
        bootstrap_mae({"a": np.zeros(3)}, baseline={"a": "nope"})
    with pytest.raises(MemAlignError, match="confidence"):
        bootstrap_mae({"a": np.zeros(3)}, confidence=95)


def test_absolute_errors_align_to_case_order_with_nan_for_not_applicable():
    out = absolute_errors(["c", "a", "b"], np.array([2.0, 0.0, 3.0]),
                          np.array([1.0, 2.0, np.nan]), ["a", "b", "c", "d"])
    assert np.isnan(out[0]) and np.isnan(out[1]) and out[2] == 1.0 and np.isnan(out[3])
