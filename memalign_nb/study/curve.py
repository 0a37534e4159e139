"""The learning curve: aligned MAE on the held-out folds as the training feedback grows.

For each fold and seed, one random order of the fold's *training* notebooks is drawn; the
first ``fraction`` of it (at least one notebook, with every grade it has) is the training
sample. A seed's samples are nested (its 50% sample holds its 25% one), and only
training-fold cases ever reach memory. The aligned judge (``full``: both memories) fitted
on each sample scores the whole held-out fold. A point's MAE pools every held-out item
over every seed; its interval and the gain between consecutive points are paired case
bootstraps on the study's own resamples, so the 100% point is the study's ``full``
variant, interval included.

The curve has *flattened* when the last step's gain (the MAE before it minus the MAE
after it) is not significant (its interval reaches 0) or is below
:data:`MIN_RELATIVE_GAIN` of the MAE before it: paired over the same held-out items, a
tiny gain can be significant and still not worth more grading.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from memalign_nb.datasets.model import Case, Dataset
from memalign_nb.errors import MemAlignError
from memalign_nb.judges.base import Judgment
from memalign_nb.study.bootstrap import Interval, absolute_errors, bootstrap_mae
from memalign_nb.study.metrics import paired_scores

logger = logging.getLogger(__name__)

DEFAULT_FRACTIONS: tuple[float, ...] = (0.25, 0.5, 0.75, 1.0)
"""Shares of each training fold the curve fits on, unless told otherwise."""

DEFAULT_CURVE_SEEDS = 5
"""Random training samples per fold and fraction."""

MIN_RELATIVE_GAIN = 0.02
"""Smallest last-step gain, as a share of the MAE before it, that says more grades pay."""

FitScore = Callable[[Dataset, Sequence[Case]], list[Judgment]]
"""Fit the aligned judge on a training dataset and score held-out cases with it."""


@dataclass(frozen=True)
class CurvePoint:
    """One point of the learning curve.

    Attributes
    ----------
    fraction : float
        Share of each training fold the aligned judge learned from.
    n_notebooks : float
        Graded training notebooks per fit, averaged over folds and seeds.
    n_grades : float
        Training grades per fit, averaged over folds and seeds.
    n_fits : int
        Distinct fits behind the point (a sample drawn twice is fitted once).
    mae : Interval
        MAE pooled over every held-out item and seed, with its case-bootstrap interval.
    gain : Interval or None
        The previous point's MAE minus this one's (> 0: fewer errors), paired; None for
        the first point.
    """

    fraction: float
    n_notebooks: float
    n_grades: float
    n_fits: int
    mae: Interval
    gain: Interval | None


@dataclass(frozen=True)
class LearningCurve:
    """The learning curve of a study (``StudyResult.learning_curve``).

    Attributes
    ----------
    points : tuple of CurvePoint
        One per fraction, smallest first.
    n_seeds : int
        Random training samples per fold and fraction.
    baseline : Interval or None
        The unaligned judge's pooled MAE on the same items, for reference.
    """

    points: tuple[CurvePoint, ...]
    n_seeds: int
    baseline: Interval | None = None

    @property
    def flattened(self) -> bool:
        """Whether the last step's gain is not significant (its interval reaches 0) or is
        below :data:`MIN_RELATIVE_GAIN` of the MAE before it."""
        gain = self.points[-1].gain
        if gain is None or not gain.low > 0:
            return True
        return gain.estimate < MIN_RELATIVE_GAIN * self.points[-2].mae.estimate


def check_fractions(fractions: Iterable[float]) -> tuple[float, ...]:
    """``fractions`` as a tuple, checked: at least two increasing shares in (0, 1].

    Raises
    ------
    MemAlignError
        Fewer than two shares, shares out of order or repeated, or outside (0, 1].
    """
    values = tuple(float(f) for f in fractions)
    if len(values) < 2 or list(values) != sorted(set(values)) or not all(
            0 < v <= 1 for v in values):
        raise MemAlignError(
            f"a learning curve needs at least two increasing shares in (0, 1], got {values}")
    return values


def training_samples(
    train_ids: Sequence[str], fractions: Sequence[float], n_seeds: int, seed: int, fold: int
) -> dict[tuple[float, int], tuple[str, ...]]:
    """Per (fraction, seed index), the case ids of one training sample of a fold.

    Each seed index orders ``train_ids`` at random (seeded by ``seed``, ``fold`` and the
    index); a fraction takes the first ``round(fraction * n)`` of that order, at least one.
    Samples are drawn from ``train_ids`` only, and nested within a seed.
    """
    ids = list(train_ids)
    samples: dict[tuple[float, int], tuple[str, ...]] = {}
    for index in range(n_seeds):
        order = np.random.default_rng([seed, fold, index]).permutation(len(ids))
        for fraction in fractions:
            size = max(1, round(fraction * len(ids)))
            samples[(fraction, index)] = tuple(ids[i] for i in sorted(order[:size]))
    return samples


def learning_curve(
    fit_score: FitScore,
    dataset: Dataset,
    folds: Sequence[tuple[tuple[str, ...], tuple[str, ...]]],
    reference: Mapping[tuple[str, str], float],
    *,
    fractions: Sequence[float] = DEFAULT_FRACTIONS,
    n_seeds: int = DEFAULT_CURVE_SEEDS,
    seed: int = 0,
    n_bootstrap: int = 10_000,
    confidence: float = 0.95,
    known: Mapping[int, list[Judgment]] | None = None,
    baseline: Interval | None = None,
    progress: bool = True,
) -> tuple[LearningCurve, list[Judgment]]:
    """Fit on growing training samples of every fold, score the held-out fold, bootstrap.

    Parameters
    ----------
    fit_score : callable
        ``fit_score(train, held_out)``: the aligned judge fitted on ``train`` (a dataset)
        scoring ``held_out`` (cases).
    dataset : Dataset
        The studied cases and their grades.
    folds : sequence of (train ids, held-out ids)
        The study's folds.
    reference : mapping
        ``(case_id, dimension)`` to the experts' reference: the items the MAE counts.
    fractions, n_seeds :
        Shares of each training fold (ascending) and samples per fold and share.
    seed, n_bootstrap, confidence :
        As the study's: the same seed gives the study's resamples.
    known : mapping of int to list of Judgment, optional
        Per fold index, the held-out judgments of the judge fitted on the whole training
        fold (the study's ``full`` variant), reused rather than fitted again.
    baseline : Interval, optional
        The unaligned judge's pooled MAE, kept for reference.
    progress : bool
        Show a progress bar.

    Returns
    -------
    (LearningCurve, list of Judgment)
        The curve, and every judgment made for it (for the study's usage counts).
    """
    from tqdm.auto import tqdm

    by_sample: dict[tuple[int, tuple[str, ...]], list[Judgment]] = {}
    if known:
        by_sample |= {(fold, tuple(folds[fold][0])): js for fold, js in known.items()}
    plans = [training_samples(train, fractions, n_seeds, seed, fold)
             for fold, (train, _) in enumerate(folds)]
    todo = {(fold, sample) for fold, plan in enumerate(plans) for sample in plan.values()}
    made: list[Judgment] = []
    with tqdm(total=len(todo - by_sample.keys()), desc="learning curve (fits)",
              disable=not progress, unit="fit") as steps:
        for fold, plan in enumerate(plans):
            test_ids = set(folds[fold][1])
            held_out = [c for c in dataset.cases if c.case_id in test_ids]
            for sample in dict.fromkeys(plan.values()):
                if (fold, sample) not in by_sample:
                    by_sample[(fold, sample)] = fit_score(dataset.subset(sample), held_out)
                    made += by_sample[(fold, sample)]
                    steps.update()
    case_ids = [c.case_id for c in dataset.cases]
    grades_of = Counter(g.case_id for g in dataset.feedback)
    columns: dict[str, np.ndarray] = {}
    sizes: dict[float, tuple[float, float, int]] = {}
    for fraction in fractions:
        samples = [(fold, plan[(fraction, i)]) for i in range(n_seeds)
                   for fold, plan in enumerate(plans)]
        columns[str(fraction)] = np.column_stack([
            _errors([j for fold, sample in samples[i * len(folds):(i + 1) * len(folds)]
                     for j in by_sample[(fold, sample)]], reference, case_ids)
            for i in range(n_seeds)
        ])
        grades = [sum(grades_of[c] for c in s) for _, s in samples]
        sizes[fraction] = (float(np.mean([len(s) for _, s in samples])), float(np.mean(grades)),
                           len(set(samples)))
    names = [str(f) for f in fractions]
    mae, gains = bootstrap_mae(columns, n_resamples=n_bootstrap, seed=seed,
                               confidence=confidence,
                               baseline=dict(zip(names[1:], names[:-1], strict=True)))
    points = tuple(
        CurvePoint(fraction=float(f), n_notebooks=round(sizes[f][0], 1),
                   n_grades=round(sizes[f][1], 1), n_fits=sizes[f][2], mae=mae[str(f)],
                   gain=gains.get(str(f)))
        for f in fractions
    )
    logger.info("learning curve: %d fits over %d folds", len(todo), len(folds))
    return LearningCurve(points=points, n_seeds=n_seeds, baseline=baseline), made


def _errors(
    judgments: Sequence[Judgment], reference: Mapping[tuple[str, str], float],
    case_ids: Sequence[str],
) -> np.ndarray:
    """Absolute errors per case (rows) and dimension (columns); NaN where not counted."""
    paired = paired_scores(judgments, reference)
    return np.column_stack([absolute_errors(*paired[d], case_ids) for d in sorted(paired)])


def curve_verdict(curve: Mapping[str, Any], ci: str = "95% CI") -> str:
    """The curve in one sentence: flattened, or more grades would still pay.

    ``curve`` is ``results.json``'s ``learning_curve``; ``ci`` labels the interval.
    """
    before, last = curve["points"][-2], curve["points"][-1]
    gain = last["gain"]
    step = (f"the last step, from {before['fraction']:.0%} to {last['fraction']:.0%} of each "
            f"training fold ({before['n_notebooks']:.1f} to {last['n_notebooks']:.1f} graded "
            f"notebooks), changed the aligned MAE from {_num(before['mae']['estimate'])} to "
            f"{_num(last['mae']['estimate'])}, a gain of {_num(gain['estimate'], '+')} "
            f"[{ci} {_num(gain['low'], '+')}, {_num(gain['high'], '+')}]")
    if curve["flattened"]:
        why = ("within noise" if gain["low"] is None or not gain["low"] > 0
               else f"less than {curve['min_relative_gain']:.0%} of the MAE before it")
        return (f"The learning curve has flattened: {step}, {why}, so more grades like these "
                "are unlikely to pay.")
    return (f"More grades would still pay: {step}, a significant gain of at least "
            f"{curve['min_relative_gain']:.0%} of the MAE before it, so the curve has not "
            "flattened yet.")


def _num(value: float | None, sign: str = "") -> str:
    return "\u2014" if value is None else f"{value:{sign}.3f}"
