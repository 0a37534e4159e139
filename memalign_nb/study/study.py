"""The alignment study: K-fold cross-validation of MemAlign variants, with bootstrap CIs.

For each fold, every aligned variant is fitted on the other folds' feedback only (its own
memories, its own Chroma collection) and scores the held-out cases. The baseline judge
needs no fitting and scores every case once. Metrics, case-level bootstrap intervals and
paired improvements over the baseline follow.

Variants are compared only on the items every one of them scored: an item whose judgment
failed in any variant (an LLM request that kept failing) is left out for all, and the
result says how many. When more than ``max_failed`` of the graded items are left out, no
difference is called significant: what failed may not fail at random.

>>> from memalign_nb.datasets import load_dataset, sample_path
>>> dataset = load_dataset(sample_path())
>>> study = AlignmentStudy("heuristic", n_folds=4).fit(dataset)         # doctest: +SKIP
>>> study.result_.to_dict()["dimensions"]["data_imputation"]["full"]    # doctest: +SKIP
"""

from __future__ import annotations

import logging
import platform
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from memalign_nb.datasets.model import Case, Dataset
from memalign_nb.dimensions import check_dimension
from memalign_nb.errors import MemAlignError, UnknownNameError
from memalign_nb.judges.base import Judge, Judgment
from memalign_nb.judges.batch import DEFAULT_CONCURRENCY
from memalign_nb.study.bootstrap import Interval, absolute_errors, bootstrap_mae
from memalign_nb.study.curve import (
    DEFAULT_CURVE_SEEDS,
    LearningCurve,
    check_fractions,
    learning_curve,
)
from memalign_nb.study.folds import case_folds
from memalign_nb.study.metrics import agreement_metrics, paired_scores
from memalign_nb.study.result import POOLED, StudyResult

logger = logging.getLogger(__name__)

VARIANTS: dict[str, tuple[bool, bool] | None] = {
    "baseline": None,
    "semantic": (True, False),
    "episodic": (False, True),
    "full": (True, True),
}
"""The published ablation: variant -> (semantic memory, episodic memory); None = unaligned."""

VERSIONED_PACKAGES: tuple[str, ...] = (
    "memalign-nb", "numpy", "scikit-learn", "chromadb", "langchain-core", "mlflow",
)
"""Packages whose versions a study records (``StudyResult.environment``)."""

DEFAULT_MAX_FAILED = 0.05
"""Largest share of graded items left out for a failed judgment before no difference is
called significant (``AlignmentStudy(max_failed=...)``, ``memalign-nb study --max-failed``)."""


class AlignmentStudy(BaseEstimator):
    """Cross-validated comparison of a judge with its MemAlign-aligned variants.

    A scikit-learn estimator: parameters are stored unchanged (so ``get_params``,
    ``set_params`` and ``sklearn.base.clone`` work) and validated in :meth:`fit`.

    Parameters
    ----------
    judge : str or Judge
        The base judge, or a model string for :func:`memalign_nb.judges.make_judge`.
    n_folds : int
        K of the K-fold cross-validation (by case, stratified by task type when every
        task type has at least K cases).
    variants : sequence of str
        Among ``baseline``, ``semantic``, ``episodic``, ``full``. Improvements need
        ``baseline``.
    k : int
        Episodic neighbours retrieved per judgment.
    n_bootstrap : int
        Bootstrap resamples of cases.
    confidence : float
        Confidence level of the intervals.
    seed : int
        Seeds the folds and the bootstrap.
    dimensions : sequence of str, optional
        Defaults to every dimension of the judge that has grades.
    embeddings, reflection_model, episodic_policy :
        Passed to :class:`memalign_nb.align.MemAlign`.
    concurrency : int
        Judgments in flight at once.
    progress : bool
        Show progress bars (``tqdm.auto``: widgets in Jupyter, text in a terminal).
    max_failed : float
        Largest share (0-1) of graded items whose judgment may fail in some variant
        while differences are still tested for significance (:data:`DEFAULT_MAX_FAILED`).
    learning_curve : sequence of float, optional
        Shares of each training fold, in (0, 1], at least two, such as
        :data:`memalign_nb.study.curve.DEFAULT_FRACTIONS`: the ``full`` variant is also
        fitted on random samples of that size of each training fold's notebooks and
        scores the held-out fold (:mod:`memalign_nb.study.curve`). None (the default):
        no learning curve.
    curve_seeds : int
        Random training samples per fold and share.

    Attributes
    ----------
    result_ : StudyResult
        Set by :meth:`fit`.
    """

    def __init__(
        self,
        judge: str | Judge = "heuristic",
        *,
        n_folds: int = 4,
        variants: Sequence[str] = tuple(VARIANTS),
        k: int = 5,
        n_bootstrap: int = 10_000,
        confidence: float = 0.95,
        seed: int = 0,
        dimensions: Sequence[str] | None = None,
        embeddings: Any = None,
        reflection_model: Any = None,
        episodic_policy: str = "all",
        concurrency: int = DEFAULT_CONCURRENCY,
        progress: bool = True,
        max_failed: float = DEFAULT_MAX_FAILED,
        learning_curve: Sequence[float] | None = None,
        curve_seeds: int = DEFAULT_CURVE_SEEDS,
    ) -> None:
        self.judge = judge
        self.n_folds = n_folds
        self.variants = variants
        self.k = k
        self.n_bootstrap = n_bootstrap
        self.confidence = confidence
        self.seed = seed
        self.dimensions = dimensions
        self.embeddings = embeddings
        self.reflection_model = reflection_model
        self.episodic_policy = episodic_policy
        self.concurrency = concurrency
        self.progress = progress
        self.max_failed = max_failed
        self.learning_curve = learning_curve
        self.curve_seeds = curve_seeds

    def _tracked_params(self) -> dict[str, Any]:
        """The parameters, JSON-serialisable (objects as their ids or types) for the result."""
        params = self.get_params(deep=False)
        if isinstance(self.judge, Judge):
            params["judge"] = self.judge.judge_id
        for name in ("embeddings", "reflection_model"):
            if params[name] is not None and not isinstance(params[name], str):
                params[name] = type(params[name]).__name__
        params["variants"] = list(self.variants)
        params["dimensions"] = list(self.dimensions) if self.dimensions else None
        params["learning_curve"] = (
            [float(f) for f in self.learning_curve] if self.learning_curve else None)
        return params

    def fit(self, dataset: Dataset) -> AlignmentStudy:
        """Run the study on ``dataset`` (cases with human grades); sets ``result_``.

        Raises
        ------
        UnknownNameError
            An unknown variant, or a dimension the judge does not know.
        MemAlignError
            Invalid parameters, a dataset without grades, or fewer graded cases than
            folds.
        """
        from memalign_nb.feedback import noise_floor, reference_scores
        from memalign_nb.judges import make_judge

        started = time.perf_counter()
        self._validate()
        if not dataset.feedback:
            raise MemAlignError(f"{dataset.path}: the dataset has no human grades to study")
        judge = make_judge(self.judge) if isinstance(self.judge, str) else self.judge
        graded = {g.dimension for g in dataset.feedback}
        dimensions = tuple(self.dimensions or [d for d in judge.dimensions if d in graded])
        for dimension in dimensions:
            check_dimension(dimension, judge.dimensions)
        cases, reference = _graded_cases(dataset, dimensions, reference_scores(dataset.feedback))
        if not cases:
            raise MemAlignError(
                f"{dataset.path}: no graded case on {', '.join(dimensions) or 'any dimension'} "
                f"that {judge.judge_id} scores"
            )
        case_ids = [c.case_id for c in cases]
        folds = case_folds(
            case_ids, self.n_folds, strata=[c.task_type or "unknown" for c in cases],
            seed=self.seed,
        )
        timings = {"baseline": 0.0, "align": 0.0, "score": 0.0}
        judgments: dict[str, list[Judgment]] = {v: [] for v in self.variants}
        if "baseline" in self.variants:
            t0 = time.perf_counter()
            judgments["baseline"] = judge.score_many(
                cases, dimensions, concurrency=self.concurrency, progress=self.progress
            )
            timings["baseline"] = time.perf_counter() - t0
        studied = Dataset(dataset.path, tuple(cases), tuple(
            g for g in dataset.feedback if g.dimension in dimensions and g.key in reference))
        guidelines = self._cross_validate(judge, studied, folds, dimensions, judgments, timings)
        aligned = [v for v in self.variants if VARIANTS[v] is not None]
        n_fits = max(1, len(folds) * len(aligned) * len(dimensions))
        timings["align_per_fold_dimension"] = timings["align"] / n_fits

        t0 = time.perf_counter()
        compared = _scored_by_all(judgments, reference)
        metrics = {v: _metrics(judgments[v], reference, compared) for v in self.variants}
        mae, improvement = self._bootstrap(judgments, compared, case_ids, dimensions)
        timings["statistics"] = time.perf_counter() - t0
        curve, curve_judgments = None, []
        if self.learning_curve:
            t0 = time.perf_counter()
            curve, curve_judgments = self._learning_curve(
                judge, studied, folds, dimensions, judgments, compared,
                mae.get("baseline", {}).get(POOLED))
            timings["learning_curve"] = time.perf_counter() - t0
        timings["total"] = time.perf_counter() - started
        self.result_ = StudyResult(
            params={**self._tracked_params(), "judge": judge.judge_id, "n_cases": len(cases)},
            dimensions=dimensions,
            variants=tuple(self.variants),
            folds=tuple(test for _, test in folds),
            judgments={v: tuple(js) for v, js in judgments.items()},
            metrics=metrics,
            mae=mae,
            improvement=improvement,
            noise_floor=dict(noise_floor(dataset.feedback, dimensions)),
            guidelines=tuple(guidelines),
            timings={k: round(v, 4) for k, v in timings.items()},
            usage=_usage([j for js in judgments.values() for j in js] + curve_judgments),
            comparison={"items": len(reference), "compared": len(compared),
                        "max_failed": float(self.max_failed)},
            dataset={
                "path": str(dataset.path),
                "n_cases": len(cases),
                "n_grades": sum(1 for g in dataset.feedback if g.dimension in dimensions),
                "n_raters": len({g.rater for g in dataset.feedback}),
            },
            environment=_environment(),
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            learning_curve=curve,
        )
        logger.info("study of %s on %d cases done in %.1f s", judge.judge_id, len(cases),
                    timings["total"])
        return self

    def _validate(self) -> None:
        for variant in self.variants:
            if variant not in VARIANTS:
                raise UnknownNameError("study variant", variant, tuple(VARIANTS))
        if not self.variants or len(set(self.variants)) != len(self.variants):
            raise MemAlignError(f"variants must be distinct and not empty, got {self.variants!r}")
        if self.n_bootstrap < 1 or not 0 < self.confidence < 1 or self.k < 1:
            raise MemAlignError(
                "need n_bootstrap >= 1, 0 < confidence < 1 and k >= 1; got "
                f"{self.n_bootstrap}, {self.confidence}, {self.k}"
            )
        if not 0 <= self.max_failed <= 1:
            raise MemAlignError(f"max_failed is a share from 0 to 1, got {self.max_failed!r}")
        if self.learning_curve is not None:
            check_fractions(self.learning_curve)
            if self.curve_seeds < 1:
                raise MemAlignError(f"curve_seeds must be at least 1, got {self.curve_seeds!r}")

    def _cross_validate(
        self,
        judge: Judge,
        dataset: Dataset,
        folds: Sequence[tuple[tuple[str, ...], tuple[str, ...]]],
        dimensions: tuple[str, ...],
        judgments: dict[str, list[Judgment]],
        timings: dict[str, float],
    ) -> list[dict[str, Any]]:
        """Fit every aligned variant per fold on training feedback; score the held-out.

        ``dataset`` holds the studied cases and their grades on the studied dimensions.
        """
        aligned_variants = [v for v in self.variants if VARIANTS[v] is not None]
        guidelines: list[dict[str, Any]] = []
        if not aligned_variants:
            return guidelines
        from tqdm.auto import tqdm

        with tqdm(total=len(folds) * len(aligned_variants), desc="study (folds x variants)",
                  disable=not self.progress, unit="fit") as steps:
            for fold, (train_ids, test_ids) in enumerate(folds):
                # Only the training cases and their grades: nothing held out reaches memory.
                train = dataset.subset(train_ids)
                test_set = set(test_ids)
                held_out = [c for c in dataset.cases if c.case_id in test_set]
                for variant in aligned_variants:
                    semantic, episodic = VARIANTS[variant]  # type: ignore[misc]
                    steps.set_postfix(fold=fold + 1, variant=variant, refresh=False)
                    t0 = time.perf_counter()
                    aligned = self._memalign(semantic, episodic, dimensions).fit(judge, train)
                    t1 = time.perf_counter()
                    judgments[variant] += aligned.score_many(
                        held_out, dimensions, concurrency=self.concurrency, progress=False
                    )
                    timings["align"] += t1 - t0
                    timings["score"] += time.perf_counter() - t1
                    if semantic:
                        guidelines += [
                            {**g.to_dict(), "variant": variant, "fold": fold + 1}
                            for g in aligned.guidelines
                        ]
                    steps.update()
        return guidelines

    def _memalign(self, semantic: bool, episodic: bool, dimensions: tuple[str, ...]) -> Any:
        """An unfitted MemAlign with this study's memory settings."""
        from memalign_nb.align import MemAlign

        return MemAlign(
            semantic=semantic, episodic=episodic, k=self.k, embeddings=self.embeddings,
            reflection_model=self.reflection_model, episodic_policy=self.episodic_policy,
            dimensions=dimensions, concurrency=self.concurrency,
        )

    def _learning_curve(
        self,
        judge: Judge,
        dataset: Dataset,
        folds: Sequence[tuple[tuple[str, ...], tuple[str, ...]]],
        dimensions: tuple[str, ...],
        judgments: dict[str, list[Judgment]],
        compared: dict[tuple[str, str], float],
        baseline: Interval | None,
    ) -> tuple[LearningCurve, list[Judgment]]:
        """The ``full`` variant fitted on growing samples of each training fold."""

        def fit_score(train: Dataset, held_out: Sequence[Case]) -> list[Judgment]:
            aligned = self._memalign(True, True, dimensions).fit(judge, train)
            return aligned.score_many(held_out, dimensions, concurrency=self.concurrency,
                                      progress=False)

        known = None
        if "full" in self.variants:  # the whole training fold: the study's own fits
            known = {fold: [j for j in judgments["full"] if j.case_id in test]
                     for fold, test in enumerate(set(held) for _, held in folds)}
        return learning_curve(
            fit_score, dataset, folds, compared, fractions=check_fractions(self.learning_curve),
            n_seeds=self.curve_seeds, seed=self.seed, n_bootstrap=self.n_bootstrap,
            confidence=self.confidence, known=known, baseline=baseline,
            progress=self.progress,
        )

    def _bootstrap(
        self,
        judgments: dict[str, list[Judgment]],
        reference: dict[tuple[str, str], float],
        cases: list[str],
        dimensions: tuple[str, ...],
    ) -> tuple[dict[str, dict[str, Interval]], dict[str, dict[str, Interval]]]:
        """One bootstrap over every variant x dimension column, paired by case."""
        columns: dict[tuple[str, str], np.ndarray] = {}
        for variant in self.variants:
            paired = paired_scores(judgments[variant], reference)
            per_dim = [
                absolute_errors(*paired[d], cases) if d in paired else np.full(len(cases), np.nan)
                for d in dimensions
            ]
            columns |= {(variant, d): column for d, column in zip(dimensions, per_dim,
                                                                   strict=True)}
            columns[(variant, POOLED)] = np.column_stack(per_dim)
        names = {key: "\t".join(key) for key in columns}
        pairs = (
            {names[(v, d)]: names[("baseline", d)] for v, d in columns if v != "baseline"}
            if "baseline" in self.variants
            else None
        )
        cis, imps = bootstrap_mae(
            {names[key]: column for key, column in columns.items()},
            n_resamples=self.n_bootstrap, seed=self.seed, confidence=self.confidence,
            baseline=pairs,
        )
        mae: dict[str, dict[str, Interval]] = {v: {} for v in self.variants}
        improvement: dict[str, dict[str, Interval]] = {}
        for (variant, dim), name in names.items():
            mae[variant][dim] = cis[name]
            if name in imps:
                improvement.setdefault(variant, {})[dim] = imps[name]
        return mae, improvement


def _graded_cases(
    dataset: Dataset, dimensions: Sequence[str], reference: dict[tuple[str, str], float]
) -> tuple[list[Case], dict[tuple[str, str], float]]:
    """The dataset's cases with a grade on a studied dimension, and their references."""
    reference = {key: score for key, score in reference.items() if key[1] in dimensions}
    graded = {case_id for case_id, _ in reference}
    cases = [c for c in dataset.cases if c.case_id in graded]
    orphans = graded - {c.case_id for c in cases}
    if orphans:
        logger.warning("%s: %d graded case ids have no notebook and are left out: %s",
                       dataset.path, len(orphans), ", ".join(sorted(orphans)[:5]))
    known = {c.case_id for c in cases}
    return cases, {key: score for key, score in reference.items() if key[0] in known}


def _scored_by_all(
    judgments: dict[str, list[Judgment]], reference: dict[tuple[str, str], float]
) -> dict[tuple[str, str], float]:
    """The references of the items every variant scored (none failed on them)."""
    failed = {(j.case_id, j.dimension) for js in judgments.values() for j in js if not j.ok}
    scored = [{(j.case_id, j.dimension) for j in js if j.ok} for js in judgments.values()]
    left_out = failed | {key for key in reference if not all(key in s for s in scored)}
    if left_out & set(reference):
        logger.warning("%d of %d graded items left out: a judgment failed in some variant",
                       len(left_out & set(reference)), len(reference))
    return {key: score for key, score in reference.items() if key not in left_out}


def _metrics(
    judgments: Sequence[Judgment],
    reference: dict[tuple[str, str], float],
    compared: dict[tuple[str, str], float],
) -> dict[str, Any]:
    """Agreement on the items every variant scored; failures counted over all graded."""
    import dataclasses

    failed = {d: m.n_failed for d, m in agreement_metrics(judgments, reference).items()}
    return {
        d: dataclasses.replace(m, n_failed=failed.get(d, 0))
        for d, m in agreement_metrics(judgments, compared).items()
    }


def _usage(judgments: Sequence[Judgment]) -> dict[str, int]:
    from memalign_nb.judges.batch import BatchStats

    stats = BatchStats.from_judgments(judgments, 0.0)
    return {
        "judgments": stats.judgments,
        "model_calls": stats.calls,
        "retries": stats.retries,
        "cache_hits": stats.cache_hits,
        "failures": stats.failures,
        "prompt_tokens": stats.prompt_tokens,
        "completion_tokens": stats.completion_tokens,
    }


def _environment() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    versions = {"python": platform.python_version()}
    for package in VERSIONED_PACKAGES:
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = "not installed"
    return versions
