"""The :class:`StudyResult` record and its machine-readable form, ``results.json``.

:meth:`StudyResult.to_dict` is the single source of every figure the report shows: the
report renders that dict, so each number in ``report.md`` is also in ``results.json``.
docs/results-json.md documents the format field by field.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from memalign_nb.judges.base import Judgment
from memalign_nb.study.bootstrap import Interval
from memalign_nb.study.curve import MIN_RELATIVE_GAIN, LearningCurve, curve_verdict
from memalign_nb.study.metrics import DimensionMetrics

SCHEMA_VERSION = 1
"""Version of the ``results.json`` layout; bumped on any incompatible change."""

POOLED = "all"
"""Key of the row that pools every dimension's items."""

TOP_GUIDELINES = 3
"""Guidelines per dimension shown in the report and kept in ``results.json``."""


@dataclass(frozen=True)
class StudyResult:
    """Everything a study measured; :meth:`to_dict` is the documented ``results.json``.

    Attributes
    ----------
    params : dict of str to object
        The study's parameters (judge id, folds, k, seeds, ...), JSON-serialisable; what
        tracking logs as parameters.
    dimensions : tuple of str
        The dimensions studied, in reporting order.
    variants : tuple of str
        The variants studied, among ``baseline``, ``semantic``, ``episodic``, ``full``.
    folds : tuple of tuple of str
        The held-out case ids of each fold (fold 1 first).
    judgments : dict of str to tuple of Judgment
        Per variant, every judgment of a held-out case (the baseline: every case, scored
        once).
    metrics : dict of str to dict of str to DimensionMetrics
        Per variant and dimension, the agreement metrics over all folds' held-out cases.
    mae : dict of str to dict of str to Interval
        Per variant and dimension (``"all"`` pools every dimension), the MAE and its
        bootstrap interval.
    improvement : dict of str to dict of str to Interval
        Per aligned variant and dimension (``"all"`` pooled), baseline MAE minus variant
        MAE with its paired bootstrap interval; significant when the interval excludes 0.
    noise_floor : dict of str to NoiseFloor
        Per dimension, how closely the human raters agree
        (:class:`memalign_nb.feedback.NoiseFloor`).
    guidelines : tuple of dict
        Every guideline an aligned variant with semantic memory learned, one per fold:
        :meth:`memalign_nb.memory.Guideline.to_dict` plus ``variant`` and ``fold`` (the
        fold number, from 1).
    timings : dict of str to float
        Wall seconds: ``baseline`` (scoring every case), ``align`` (every fit),
        ``align_per_fold_dimension``, ``score`` (aligned scoring), ``statistics``
        (metrics and bootstrap), ``total``.
    usage : dict of str to int
        Over every judgment of the study: ``judgments``, ``model_calls``,
        ``cache_hits``, ``failures``, ``prompt_tokens``, ``completion_tokens``.
    dataset : dict of str to object
        ``path``, ``n_cases`` (graded cases studied), ``n_grades``, ``n_raters``.
    comparison : dict of str to object
        ``items`` (graded items), ``compared`` (those every variant scored: the only ones
        metrics and intervals use) and ``max_failed`` (the share of items that may be left
        out while differences are still tested for significance).
    environment : dict of str to str
        Versions of Python and of the packages the figures depend on.
    created_at : str
        When the study finished, ISO 8601 UTC.
    learning_curve : LearningCurve or None
        Aligned MAE as the training feedback grows; None unless the study was asked for it
        (``AlignmentStudy(learning_curve=...)``).
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
    dataset: dict[str, Any] = field(default_factory=dict)
    environment: dict[str, str] = field(default_factory=dict)
    created_at: str = ""
    comparison: dict[str, Any] = field(default_factory=dict)
    learning_curve: LearningCurve | None = None

    @property
    def aligned_variants(self) -> tuple[str, ...]:
        """The studied variants other than ``baseline``."""
        return tuple(v for v in self.variants if v != "baseline")

    @property
    def headline_variant(self) -> str | None:
        """The variant the report compares with the baseline: the best aligned one.

        The aligned variant with the lowest pooled MAE; on a tie (or without figures),
        the one with more memory (``full`` first, then the last studied).
        """
        aligned = self.aligned_variants
        if not aligned:
            return None
        preference = sorted(aligned, key=lambda v: (v != "full", -aligned.index(v)))

        def pooled(variant: str) -> float:
            interval = self.mae.get(variant, {}).get(POOLED)
            value = interval.estimate if interval is not None else float("nan")
            return float("inf") if np.isnan(value) else round(float(value), 6)

        return min(preference, key=pooled)

    @property
    def left_out(self) -> int:
        """Graded items left out of the comparison because a judgment of them failed."""
        return int(self.comparison.get("items", 0)) - int(self.comparison.get("compared", 0))

    @property
    def too_many_failures(self) -> bool:
        """Whether more than ``max_failed`` of the graded items were left out, so that no
        difference is called significant."""
        items = int(self.comparison.get("items", 0))
        return bool(items) and self.left_out / items > float(
            self.comparison.get("max_failed", 1.0))

    def fold_of(self) -> dict[str, int]:
        """Each case id's fold number, from 1 (the fold that holds it out)."""
        return {case_id: i for i, fold in enumerate(self.folds, start=1) for case_id in fold}

    def learned_guidelines(self, variant: str | None = None) -> dict[str, list[dict[str, Any]]]:
        """Per dimension, the distinct guidelines a variant learned over the folds.

        Guidelines are grouped by id across folds and ranked by the number of folds that
        learned them, then by their summed support.

        Parameters
        ----------
        variant : str, optional
            Defaults to ``full`` when it learned guidelines, else ``semantic``.

        Returns
        -------
        dict of str to list of dict
            Per studied dimension (in order), entries with ``dimension``, ``text``,
            ``id``, ``engine``, ``folds`` (sorted fold numbers), ``n_folds`` and
            ``support`` (summed over folds), best first.
        """
        variant = variant or self._guideline_variant()
        grouped: dict[str, dict[str, Any]] = {}
        for row in self.guidelines:
            if row.get("variant") != variant:
                continue
            entry = grouped.setdefault(row["id"], {
                "dimension": row["dimension"], "text": row["text"], "id": row["id"],
                "engine": row.get("engine", ""), "folds": [], "support": 0,
            })
            entry["folds"] = sorted({*entry["folds"], row["fold"]})
            entry["n_folds"] = len(entry["folds"])
            entry["support"] += int(row.get("support") or 0)
        return {
            dim: sorted((g for g in grouped.values() if g["dimension"] == dim),
                        key=lambda g: (-g["n_folds"], -g["support"], g["text"]))
            for dim in self.dimensions
        }

    def top_guidelines(self, per_dimension: int = TOP_GUIDELINES) -> list[dict[str, Any]]:
        """The first ``per_dimension`` of :meth:`learned_guidelines` per dimension, flat."""
        return [g for mine in self.learned_guidelines().values() for g in mine[:per_dimension]]

    def _guideline_variant(self) -> str | None:
        learned = {g.get("variant") for g in self.guidelines}
        for variant in ("full", "semantic"):
            if variant in learned:
                return variant
        return None

    def to_dict(self) -> dict[str, Any]:
        """The machine-readable results (``results.json``); see docs/results-json.md.

        Every float is rounded to 6 decimals; NaN (undefined) becomes None.
        """
        return {
            "schema_version": SCHEMA_VERSION,
            "created_at": self.created_at,
            "params": self.params,
            "dataset": self.dataset,
            "environment": self.environment,
            "headline_variant": self.headline_variant,
            "dimensions": {
                dim: self._dimension_row(dim) for dim in (*self.dimensions, POOLED)
            },
            "variants": {v: self._variant_summary(v) for v in self.variants},
            "guidelines": self.top_guidelines(),
            "n_guidelines": sum(len(g) for g in self.learned_guidelines().values()),
            "folds": [list(f) for f in self.folds],
            "timings": self.timings,
            "usage": self.usage,
            "comparison": {
                **self.comparison,
                "left_out": self.left_out,
                "significance_tested": not self.too_many_failures,
            },
            "learning_curve": self._curve_dict(),
        }

    def _curve_dict(self) -> dict[str, Any] | None:
        curve = self.learning_curve
        if curve is None:
            return None
        data: dict[str, Any] = {
            "variant": "full",
            "n_seeds": curve.n_seeds,
            "points": [
                {"fraction": p.fraction, "n_notebooks": p.n_notebooks, "n_grades": p.n_grades,
                 "n_fits": p.n_fits, "mae": interval_dict(p.mae),
                 "gain": interval_dict(p.gain) if p.gain is not None else None}
                for p in curve.points
            ],
            "baseline": interval_dict(curve.baseline) if curve.baseline is not None else None,
            "flattened": curve.flattened,
            "min_relative_gain": MIN_RELATIVE_GAIN,
        }
        data["verdict"] = curve_verdict(data, ci_label({"params": self.params}))
        return data

    def _dimension_row(self, dim: str) -> dict[str, Any]:
        row: dict[str, Any] = {}
        for variant in self.variants:
            metrics = self.metrics[variant]
            m = metrics.get(dim)
            pooled_n = sum(x.n for x in metrics.values()) if dim == POOLED else 0
            entry: dict[str, Any] = {
                "n": m.n if m else pooled_n,
                **_mae_fields(self.mae[variant].get(dim)),
            }
            if m is not None:
                entry |= {
                    "signed_error": finite(m.signed_error),
                    "exact_agreement": finite(m.exact_agreement),
                    "kappa": finite(m.kappa),
                    "applicability_accuracy": finite(m.applicability_accuracy),
                    "n_failed": m.n_failed,
                    "confusion": [list(r) for r in m.confusion],
                }
            elif dim == POOLED:
                entry["signed_error"] = _pooled_signed_error(metrics.values())
                entry["n_failed"] = sum(x.n_failed for x in metrics.values())
            entry |= self._improvement_fields(variant, dim)
            row[variant] = entry
        floor = self.noise_floor.get(dim)
        if floor is not None:
            row["noise_floor"] = {
                k: finite(v) if isinstance(v, float) else v
                for k, v in dataclasses.asdict(floor).items()
            }
        return row

    def _improvement_fields(self, variant: str, dim: str) -> dict[str, Any]:
        imp = self.improvement.get(variant, {}).get(dim)
        if imp is None:
            return {}
        base = self.mae.get("baseline", {}).get(dim)
        reduction = (
            imp.estimate / base.estimate
            if base is not None and base.estimate > 0 and not np.isnan(imp.estimate)
            else float("nan")
        )
        return {
            "improvement": interval_dict(imp),
            "reduction": finite(reduction),
            "significant": imp.excludes_zero and not self.too_many_failures,
        }

    def _variant_summary(self, variant: str) -> dict[str, Any]:
        summary: dict[str, Any] = {"mae": interval_dict(self.mae[variant][POOLED])}
        fields = self._improvement_fields(variant, POOLED)
        if fields:
            summary |= fields
            better = [d for d in self.dimensions if self._significant(variant, d, +1)]
            worse = [d for d in self.dimensions if self._significant(variant, d, -1)]
            summary |= {"significantly_better": better, "significantly_worse": worse}
        return summary

    def _significant(self, variant: str, dim: str, sign: int) -> bool:
        imp = self.improvement.get(variant, {}).get(dim)
        return (imp is not None and imp.excludes_zero and not self.too_many_failures
                and np.sign(imp.estimate) == sign)


def ci_label(data: Mapping[str, Any]) -> str:
    """``"95% CI"``: the interval level of a ``results.json`` dict (95% when absent)."""
    return f"{(data.get('params') or {}).get('confidence', 0.95):.0%} CI"


def finite(value: float | None) -> float | None:
    """``value`` rounded to 6 decimals; None when it is None or NaN."""
    return None if value is None or np.isnan(value) else round(float(value), 6)


def interval_dict(interval: Interval) -> dict[str, float | None]:
    """``{"estimate", "low", "high"}`` of an interval, as :func:`finite` values."""
    return {k: finite(v) for k, v in dataclasses.asdict(interval).items()}


def _mae_fields(interval: Interval | None) -> dict[str, float | None]:
    if interval is None:
        return {"mae": None, "ci_low": None, "ci_high": None}
    return {"mae": finite(interval.estimate), "ci_low": finite(interval.low),
            "ci_high": finite(interval.high)}


def _pooled_signed_error(metrics: Iterable[DimensionMetrics]) -> float | None:
    pairs = [(m.signed_error, m.n) for m in metrics if m.n]
    total = sum(n for _, n in pairs)
    return finite(sum(e * n for e, n in pairs) / total) if total else None


def mae_change(row: Mapping[str, Any]) -> str:
    """A variant's MAE relative to the baseline's, signed: ``-37%`` is 37% fewer errors.

    The one rendering of the change, shared by the report's tables and ``mae.png``.
    """
    value = row.get("reduction")
    if value is None:
        return "\u2014"
    return f"{-value:+.0%}" if round(value, 2) else "\u00b10%"
