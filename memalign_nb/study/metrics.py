"""Agreement metrics between a judge and human experts, per dimension.

Conventions (the published evaluation's):

- the reference score of an item is the median of its raters' scores;
- MAE, signed error, exact agreement and kappa are computed over items a human marked
  applicable (reference > 0); a judge's 0 on such an item counts as an error of its size;
- applicability accuracy compares "applicable" (score > 0) on every item the judge scored;
- exact agreement and kappa compare with the reference rounded half up (1.5 -> 2);
- judgments that failed (no score) are counted, never scored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from memalign_nb.judges.base import Judgment

LEVELS = (0, 1, 2, 3)


@dataclass(frozen=True)
class DimensionMetrics:
    """How well one judge agrees with the experts on one dimension.

    Attributes
    ----------
    dimension : str
    n : int
        Items the experts marked applicable and the judge scored (the MAE's support).
    mae : float
        Mean absolute error over those items (NaN when ``n`` is 0).
    signed_error : float
        Mean of judge minus reference; positive means the judge is lenient.
    exact_agreement : float
        Share of those items where the judge equals the rounded reference.
    kappa : float
        Quadratic-weighted Cohen's kappa (NaN when undefined, e.g. one level only).
    applicability_accuracy : float
        Share of all scored items where judge and experts agree on applicable vs 0.
    n_failed : int
        Items the judge failed to score.
    confusion : tuple of tuple of int
        4x4 counts, rows = rounded reference 0-3, columns = judge 0-3, over all scored
        items.
    """

    dimension: str
    n: int
    mae: float
    signed_error: float
    exact_agreement: float
    kappa: float
    applicability_accuracy: float
    n_failed: int
    confusion: tuple[tuple[int, ...], ...]


def round_half_up(values: np.ndarray) -> np.ndarray:
    """Round reference medians half up (1.5 -> 2), as integers."""
    return np.floor(np.asarray(values, dtype=float) + 0.5).astype(int)


def dimension_metrics(
    dimension: str, reference: np.ndarray, predicted: np.ndarray
) -> DimensionMetrics:
    """Metrics for paired arrays of reference scores and judge scores (NaN = failed)."""
    from sklearn.metrics import cohen_kappa_score, confusion_matrix, mean_absolute_error

    reference = np.asarray(reference, dtype=float)
    predicted = np.asarray(predicted, dtype=float)
    scored = ~np.isnan(predicted)
    ref, pred = reference[scored], predicted[scored]
    applicable = ref > 0
    ref_a, pred_a = ref[applicable], pred[applicable]
    n = int(applicable.sum())
    nan = float("nan")
    kappa = nan
    if n and len(set(round_half_up(ref_a)) | set(pred_a.astype(int))) > 1:
        kappa = float(
            cohen_kappa_score(round_half_up(ref_a), pred_a.astype(int), weights="quadratic")
        )
    confusion = np.zeros((len(LEVELS), len(LEVELS)), dtype=int)
    if len(ref):
        confusion = confusion_matrix(round_half_up(ref), pred.astype(int), labels=list(LEVELS))
    return DimensionMetrics(
        dimension=dimension,
        n=n,
        mae=float(mean_absolute_error(ref_a, pred_a)) if n else nan,
        signed_error=float(np.mean(pred_a - ref_a)) if n else nan,
        exact_agreement=float(np.mean(round_half_up(ref_a) == pred_a)) if n else nan,
        kappa=kappa,
        applicability_accuracy=float(np.mean((ref > 0) == (pred > 0))) if len(ref) else nan,
        n_failed=int((~scored).sum()),
        confusion=tuple(tuple(int(v) for v in row) for row in confusion),
    )


def paired_scores(
    judgments: Iterable[Judgment], reference: Mapping[tuple[str, str], float]
) -> dict[str, tuple[list[str], np.ndarray, np.ndarray]]:
    """Pair judgments with reference scores, per dimension.

    Returns ``{dimension: (case_ids, reference, predicted)}`` over the items that have a
    reference; a failed judgment's predicted value is NaN.
    """
    table: dict[str, tuple[list[str], list[float], list[float]]] = {}
    for judgment in judgments:
        key = (judgment.case_id, judgment.dimension)
        if key not in reference:
            continue
        ids, refs, preds = table.setdefault(judgment.dimension, ([], [], []))
        ids.append(judgment.case_id)
        refs.append(reference[key])
        preds.append(float(judgment.score) if judgment.ok else float("nan"))
    return {dim: (ids, np.array(r), np.array(p)) for dim, (ids, r, p) in table.items()}


def agreement_metrics(
    judgments: Iterable[Judgment], reference: Mapping[tuple[str, str], float]
) -> dict[str, DimensionMetrics]:
    """Per-dimension :class:`DimensionMetrics` of ``judgments`` against ``reference``.

    ``reference`` maps ``(case_id, dimension)`` to the experts' median score, as
    :func:`memalign_nb.feedback.reference_scores` returns it.
    """
    return {
        dim: dimension_metrics(dim, ref, pred)
        for dim, (_, ref, pred) in paired_scores(judgments, reference).items()
    }
