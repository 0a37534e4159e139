"""The alignment study: K-fold cross-validation of MemAlign variants, with bootstrap CIs.

For each fold, every aligned variant is fitted on the other folds' feedback only (its own
memories, its own Chroma collection) and scores the held-out cases. The baseline judge
needs no fitting and scores every case once. Metrics, case-level bootstrap intervals and
paired improvements over the baseline follow.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from memalign_nb.datasets.model import Dataset
from memalign_nb.errors import MemAlignError, UnknownNameError
from memalign_nb.judges.base import Judge, Judgment
from memalign_nb.study.bootstrap import Interval, absolute_errors, bootstrap_mae
from memalign_nb.study.folds import case_folds
from memalign_nb.study.metrics import DimensionMetrics, agreement_metrics, paired_scores

logger = logging.getLogger(__name__)

VARIANTS: dict[str, tuple[bool, bool] | None] = {
    "baseline": None,
    "semantic": (True, False),
    "episodic": (False, True),
    "full": (True, True),
}
"""The published ablation: variant -> (semantic memory, episodic memory); None = unaligned."""


@dataclass(frozen=True)
class StudyResult:
    """Everything a study measured; :meth:`to_dict` is the documented ``results.json``.

    Attributes
    ----------
    params : dict
        The study's parameters (judge id, folds, k, seeds, ...), as logged.
    dimensions : tuple of str
    variants : tuple of str
    folds : tuple of tuple of str
        The held-out case ids of each fold.
    judgments : dict of str to tuple of Judgment
        Per variant, every held-out judgment (baseline: every case).
    metrics : dict of str to dict of str to DimensionMetrics
        Per variant and dimension.
    mae : dict of str to dict of str to Interval
        Per variant and dimension ("all" pools every dimension), the MAE and its CI.
    improvement : dict of str to dict of str to Interval
        Per aligned variant and dimension ("all" pooled), baseline MAE minus variant MAE;
        significant when its CI excludes 0.
    noise_floor : dict of str to object
        Per dimension, the inter-rater agreement (:class:`memalign_nb.feedback.NoiseFloor`).
    guidelines : tuple
        The full variant's guidelines from every fold, with their fold in ``fold``.
    timings : dict of str to float
        Wall seconds: ``baseline``, ``align`` (all fits), ``align_per_fold_dimension``,
        ``score`` (aligned scoring), ``bootstrap``, ``total``.
    usage : dict of str to int
        Model calls, cache hits, failures and tokens over the whole study.
    """

    params: dict[str, Any]
    dimensions: tuple[str, ...]
    variants: tuple[str, ...]
    folds: tuple[tuple[str, ...], ...]
    judgments: dict[str, tuple[Judgment, ...]]
    metrics: dict[str, dict[str, DimensionMetrics]]
    mae: dict[str, dict[str, Interval]]
    improvement: dict[str, dict[str, Interval]]
    noise_floor: dict[str, Any] = field(default_factory=dict)
    guidelines: tuple[dict[str, Any], ...] = ()
    timings: dict[str, float] = field(default_factory=dict)
    usage: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The machine-readable results (``results.json``); see docs/results-json.md."""
        from dataclasses import asdict

        def interval(i: Interval) -> dict[str, float | None]:
            return {k: _finite(v) for k, v in asdict(i).items()}

        per_dimension: dict[str, dict[str, Any]] = {}
        for dim in (*self.dimensions, "all"):
            row: dict[str, Any] = {}
            for variant in self.variants:
                m = self.metrics[variant].get(dim)
                ci = self.mae[variant].get(dim)
                entry: dict[str, Any] = {
                    "n": m.n if m else sum(x.n for x in self.metrics[variant].values()),
                    "mae": _finite(ci.estimate) if ci else None,
                    "ci_low": _finite(ci.low) if ci else None,
                    "ci_high": _finite(ci.high) if ci else None,
                }
                if m:
                    entry |= {
                        "signed_error": _finite(m.signed_error),
                        "exact_agreement": _finite(m.exact_agreement),
                        "kappa": _finite(m.kappa),
                        "applicability_accuracy": _finite(m.applicability_accuracy),
                        "n_failed": m.n_failed,
                        "confusion": [list(r) for r in m.confusion],
                    }
                imp = self.improvement.get(variant, {}).get(dim)
                if imp:
                    entry["improvement"] = interval(imp)
                    entry["significant"] = imp.excludes_zero
                row[variant] = entry
            floor = self.noise_floor.get(dim)
            if floor is not None:
                row["noise_floor"] = {
                    k: _finite(v) if isinstance(v, float) else v
                    for k, v in asdict(floor).items()
                }
            per_dimension[dim] = row
        return {
            "params": self.params,
            "dimensions": per_dimension,
            "variants": {
                v: {
                    "mae": interval(self.mae[v]["all"]),
                    **(
                        {
                            "improvement": interval(self.improvement[v]["all"]),
                            "significant": self.improvement[v]["all"].excludes_zero,
                        }
                        if "all" in self.improvement.get(v, {})
                        else {}
                    ),
                }
                for v in self.variants
            },
            "folds": [list(f) for f in self.folds],
            "timings": self.timings,
            "usage": self.usage,
        }


def _finite(value: float | None) -> float | None:
    return None if value is None or np.isnan(value) else round(float(value), 6)


class AlignmentStudy:
    """Cross-validated comparison of a judge with its MemAlign-aligned variants.

    Parameters follow scikit-learn: stored unchanged, validated in :meth:`fit`.

    Parameters
    ----------
    judge : str or Judge
        The base judge, or a model string for :func:`memalign_nb.judges.make_judge`.
    n_folds : int
        K of the K-fold cross-validation (by case).
    variants : sequence of str
        Among ``baseline``, ``semantic``, ``episodic``, ``full``.
    k : int
        Episodic neighbours retrieved per judgment.
    n_bootstrap : int
        Bootstrap resamples of cases.
    confidence : float
        Confidence level of the intervals.
    seed : int
        Seeds folds and bootstrap.
    dimensions : sequence of str, optional
        Defaults to every dimension that has grades.
    embeddings, reflection_model, episodic_policy :
        Passed to :class:`memalign_nb.align.MemAlign`.
    concurrency : int
        Judgments in flight at once.
    progress : bool
        Show progress bars.
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
        concurrency: int = 8,
        progress: bool = True,
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

    def get_params(self) -> dict[str, Any]:
        """The constructor parameters, as logged to MLflow (objects as their ids)."""
        params = dict(vars(self))
        params.pop("result_", None)
        if isinstance(self.judge, Judge):
            params["judge"] = self.judge.judge_id
        for name in ("embeddings", "reflection_model"):
            if params[name] is not None and not isinstance(params[name], str):
                params[name] = type(params[name]).__name__
        params["variants"] = list(self.variants)
        params["dimensions"] = list(self.dimensions) if self.dimensions else None
        return params

    def fit(self, dataset: Dataset) -> AlignmentStudy:
        """Run the study on ``dataset`` (cases with human grades); sets ``result_``."""
        from tqdm.auto import tqdm

        from memalign_nb.align import MemAlign
        from memalign_nb.feedback import noise_floor, reference_scores
        from memalign_nb.judges import make_judge

        started = time.perf_counter()
        for variant in self.variants:
            if variant not in VARIANTS:
                raise UnknownNameError("study variant", variant, tuple(VARIANTS))
        if not dataset.feedback:
            raise MemAlignError(f"{dataset.path}: the dataset has no human grades to study")
        judge = make_judge(self.judge) if isinstance(self.judge, str) else self.judge
        graded = {g.dimension for g in dataset.feedback}
        dimensions = tuple(self.dimensions or [d for d in judge.dimensions if d in graded])
        reference = {
            key: score
            for key, score in reference_scores(dataset.feedback).items()
            if key[1] in dimensions
        }
        graded_cases = sorted({case_id for case_id, _ in reference})
        cases = [c for c in dataset.cases if c.case_id in set(graded_cases)]
        task_types = {c.case_id: c.task_type or "unknown" for c in cases}
        folds = case_folds(
            graded_cases,
            self.n_folds,
            strata=[task_types.get(c, "unknown") for c in graded_cases],
            seed=self.seed,
        )

        judgments: dict[str, list[Judgment]] = {v: [] for v in self.variants}
        timings = {"baseline": 0.0, "align": 0.0, "score": 0.0}
        if "baseline" in self.variants:
            t0 = time.perf_counter()
            judgments["baseline"] = judge.score_many(
                cases, dimensions, concurrency=self.concurrency, progress=self.progress
            )
            timings["baseline"] = time.perf_counter() - t0

        guidelines: list[dict[str, Any]] = []
        aligned_variants = [v for v in self.variants if VARIANTS[v] is not None]
        steps = tqdm(
            total=len(folds) * len(aligned_variants),
            desc="study folds x variants",
            disable=not self.progress or not aligned_variants,
        )
        for fold, (train_ids, test_ids) in enumerate(folds):
            train = dataset.subset(train_ids)
            held_out = [c for c in cases if c.case_id in set(test_ids)]
            for variant in aligned_variants:
                semantic, episodic = VARIANTS[variant]  # type: ignore[misc]
                t0 = time.perf_counter()
                aligned = MemAlign(
                    semantic=semantic,
                    episodic=episodic,
                    k=self.k,
                    embeddings=self.embeddings,
                    reflection_model=self.reflection_model,
                    episodic_policy=self.episodic_policy,
                    dimensions=dimensions,
                ).fit(judge, train)
                t1 = time.perf_counter()
                judgments[variant] += aligned.score_many(
                    held_out, dimensions, concurrency=self.concurrency, progress=False
                )
                timings["align"] += t1 - t0
                timings["score"] += time.perf_counter() - t1
                if variant == "full" or (variant == "semantic" and "full" not in self.variants):
                    guidelines += [
                        {**g.to_dict(), "fold": fold} for g in aligned.guidelines
                    ]
                steps.update()
        steps.close()
        n_fits = max(1, len(folds) * len(aligned_variants) * len(dimensions))
        timings["align_per_fold_dimension"] = timings["align"] / n_fits

        t0 = time.perf_counter()
        metrics = {v: agreement_metrics(judgments[v], reference) for v in self.variants}
        mae, improvement = self._bootstrap(judgments, reference, graded_cases, dimensions)
        timings["bootstrap"] = time.perf_counter() - t0
        timings["total"] = time.perf_counter() - started

        all_judgments = [j for js in judgments.values() for j in js]
        self.result_ = StudyResult(
            params={**self.get_params(), "judge": judge.judge_id, "n_cases": len(cases)},
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
            usage=_usage(all_judgments),
        )
        return self

    def _bootstrap(
        self,
        judgments: dict[str, list[Judgment]],
        reference: dict[tuple[str, str], float],
        cases: list[str],
        dimensions: tuple[str, ...],
    ) -> tuple[dict[str, dict[str, Interval]], dict[str, dict[str, Interval]]]:
        errors: dict[str, np.ndarray] = {}
        for variant in self.variants:
            paired = paired_scores(judgments[variant], reference)
            per_dim = [
                absolute_errors(*paired[d], cases) if d in paired else np.full(len(cases), np.nan)
                for d in dimensions
            ]
            for dim, column in zip(dimensions, per_dim, strict=True):
                errors[f"{variant}\t{dim}"] = column
            errors[f"{variant}\tall"] = np.column_stack(per_dim)
        mae: dict[str, dict[str, Interval]] = {v: {} for v in self.variants}
        improvement: dict[str, dict[str, Interval]] = {}
        baseline = "baseline" in self.variants
        for dim in (*dimensions, "all"):
            columns = {v: errors[f"{v}\t{dim}"] for v in self.variants}
            cis, imps = bootstrap_mae(
                columns,
                n_resamples=self.n_bootstrap,
                seed=self.seed,
                confidence=self.confidence,
                baseline="baseline" if baseline else None,
            )
            for variant, ci in cis.items():
                mae[variant][dim] = ci
            for variant, ci in imps.items():
                improvement.setdefault(variant, {})[dim] = ci
        return mae, improvement


def _usage(judgments: Sequence[Judgment]) -> dict[str, int]:
    return {
        "judgments": len(judgments),
        "model_calls": sum(1 for j in judgments if not j.cached and j.prompt_tokens),
        "cache_hits": sum(1 for j in judgments if j.cached),
        "failures": sum(1 for j in judgments if not j.ok),
        "prompt_tokens": sum(j.prompt_tokens for j in judgments),
        "completion_tokens": sum(j.completion_tokens for j in judgments),
    }
