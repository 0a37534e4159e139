"""Case-level bootstrap confidence intervals for MAE and paired improvements.

Resampling is by case (the unit that was sampled), seeded, and vectorised: the B
resamples are drawn once as a (B, n_cases) matrix of multiplicities and every MAE of every
variant and dimension is one matrix product, so 10,000 resamples x 9 dimensions x 4
variants take a fraction of a second. Using the same resamples for every variant makes
the baseline-minus-variant improvement a paired statistic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Interval:
    """A point estimate with its percentile bootstrap confidence interval.

    Attributes
    ----------
    estimate : float
        The statistic on the original sample (NaN when undefined).
    low, high : float
        The interval's bounds (NaN when undefined).
    """

    estimate: float
    low: float
    high: float

    @property
    def excludes_zero(self) -> bool:
        """Whether 0 lies outside the interval (the improvement is significant)."""
        return bool(self.low > 0 or self.high < 0)


def resample_weights(n_cases: int, n_resamples: int, seed: int) -> np.ndarray:
    """A (n_resamples, n_cases) matrix: how often each case is drawn in each resample."""
    rng = np.random.default_rng(seed)
    return rng.multinomial(n_cases, np.full(n_cases, 1.0 / n_cases), size=n_resamples)


def bootstrap_mae(
    errors: Mapping[str, np.ndarray],
    *,
    n_resamples: int = 10_000,
    seed: int = 0,
    confidence: float = 0.95,
    baseline: str | None = None,
) -> tuple[dict[str, Interval], dict[str, Interval]]:
    """Bootstrap the MAE of several error columns over the same cases.

    Parameters
    ----------
    errors : mapping of str to array of shape (n_cases,) or (n_cases, n_items)
        Absolute errors per case for each column (a variant, or variant x dimension);
        NaN where the item does not count (not applicable, or failed). All columns are
        indexed by the same cases. A 2-D column pools several items per case (all
        dimensions of a variant): its MAE is over items, resampled by case.
    n_resamples, seed, confidence :
        The bootstrap's size, seed and interval level.
    baseline : str, optional
        A column of ``errors``; when given, the paired improvement ``baseline - column``
        is bootstrapped for every other column.

    Returns
    -------
    (mae, improvement) : dict of str to Interval
        Per column, its MAE interval; per non-baseline column, the improvement interval
        (empty without a baseline).
    """
    names = list(errors)
    if not names:
        return {}, {}
    columns = [np.asarray(errors[name], dtype=float).reshape(len(errors[name]), -1) for name in names]
    sums = np.column_stack([np.nansum(c, axis=1) for c in columns])
    counts = np.column_stack([(~np.isnan(c)).sum(axis=1) for c in columns]).astype(float)
    weights = resample_weights(sums.shape[0], n_resamples, seed).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        sampled = (weights @ sums) / (weights @ counts)
        point = sums.sum(axis=0) / counts.sum(axis=0)
    alpha = (1.0 - confidence) / 2.0
    mae = {
        name: _interval(point[j], sampled[:, j], alpha) for j, name in enumerate(names)
    }
    improvement: dict[str, Interval] = {}
    if baseline is not None:
        b = names.index(baseline)
        for j, name in enumerate(names):
            if j != b:
                improvement[name] = _interval(
                    point[b] - point[j], sampled[:, b] - sampled[:, j], alpha
                )
    return mae, improvement


def _interval(estimate: float, samples: np.ndarray, alpha: float) -> Interval:
    samples = samples[~np.isnan(samples)]
    if np.isnan(estimate) or not len(samples):
        return Interval(float(estimate), float("nan"), float("nan"))
    low, high = np.quantile(samples, [alpha, 1.0 - alpha])
    return Interval(float(estimate), float(low), float(high))


def absolute_errors(
    case_ids: Sequence[str], reference: np.ndarray, predicted: np.ndarray, cases: Sequence[str]
) -> np.ndarray:
    """Absolute errors aligned to ``cases`` (NaN where not applicable, failed or absent)."""
    position = {case_id: i for i, case_id in enumerate(cases)}
    out = np.full(len(cases), np.nan)
    for case_id, ref, pred in zip(case_ids, reference, predicted, strict=True):
        if ref > 0 and not np.isnan(pred):
            out[position[case_id]] = abs(pred - ref)
    return out
