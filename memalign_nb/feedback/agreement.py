"""Agreement among human raters: the reference score per item and the human noise floor.

A judge cannot be expected to agree with experts more closely than experts agree with each
other. :func:`noise_floor` measures that spread per dimension, in the same terms the study
reports for judges (MAE over applicable items, exact agreement, applicability agreement),
plus ordinal Krippendorff's alpha.

Scores are 1-3 with 0 meaning "not applicable". 0 is not a point on the quality scale, so
the quality statistics (MAE, exact agreement, alpha) use only ratings where the rater
marked the item applicable; agreement on applicability is reported separately.
"""

from __future__ import annotations

import itertools
import logging
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from memalign_nb.dimensions import DIMENSIONS, NOT_APPLICABLE
from memalign_nb.feedback.model import Grade, is_adjudicator

logger = logging.getLogger(__name__)

_QUALITY_SCORES = (1, 2, 3)


@dataclass(frozen=True)
class NoiseFloor:
    """How closely human raters agree on one dimension.

    Attributes
    ----------
    dimension : str
        The dimension id.
    n_items : int
        Items (cases) graded on this dimension by at least two raters; only these
        contribute rater pairs.
    n_raters : int
        Distinct raters who graded this dimension.
    n_pairs : int
        Rater pairs (two raters, one item) in which both marked the item applicable;
        the population of ``mae`` and ``exact_agreement``. Every pair is counted, so an
        item with three raters gives three pairs.
    mae : float or None
        Mean absolute score difference over those pairs; None when there are none
        (single-rater data, or no item that two raters found applicable).
    exact_agreement : float or None
        Fraction of those pairs giving the same score; None as for ``mae``.
    applicability_agreement : float or None
        Fraction of all rater pairs (0 included) that agree on whether the dimension
        applies (both 0 or both 1-3); None when no item has two raters.
    alpha : float or None
        Ordinal Krippendorff's alpha over the applicable ratings (0 counts as missing),
        computed with the ``krippendorff`` package on the 1-2-3 scale. 1 is perfect
        agreement, 0 what chance gives, below 0 systematic disagreement. None when no
        item has two applicable ratings, or when every paired rating has the same value
        (alpha is then 0/0, undefined).
    """

    dimension: str
    n_items: int
    n_raters: int
    n_pairs: int
    mae: float | None
    exact_agreement: float | None
    applicability_agreement: float | None
    alpha: float | None


def reference_scores(grades: Iterable[Grade]) -> dict[tuple[str, str], float]:
    """The reference score of each graded item: its adjudication, else its raters' median.

    An adjudicated item (graded by a rater named ``adjudicator:...``, see
    :data:`~memalign_nb.feedback.model.ADJUDICATOR_PREFIX`) takes the latest adjudicator's
    score as is: the latest by ``created_at``, on a tie the one that comes later.

    Otherwise applicability is decided first: the item is not applicable (reference 0.0)
    when more raters gave 0 than gave 1-3; else the reference is the median of the 1-3
    scores, so one rater's 0 never drags a median into a fake quality score (0 and 2 give
    2.0, not 1.0). When all raters agree on applicability this is the plain median. The
    median of an even number of scores is the mean of the middle two (1 and 2 give 1.5).

    Parameters
    ----------
    grades : iterable of Grade
        Current grades; if a rater appears twice for one item, the later grade counts.

    Returns
    -------
    dict of (case_id, dimension) to float
    """
    reference = {}
    for item, by_rater in grades_by_item(grades).items():
        decided = adjudication(by_rater.values())
        if decided is not None:
            reference[item] = float(decided.score)
            continue
        scores = [g.score for g in by_rater.values()]
        applicable = [s for s in scores if s != NOT_APPLICABLE]
        if len(applicable) * 2 < len(scores):
            reference[item] = float(NOT_APPLICABLE)
        else:
            reference[item] = float(statistics.median(applicable))
    return reference


def grades_by_item(grades: Iterable[Grade]) -> dict[tuple[str, str], dict[str, Grade]]:
    """``{(case_id, dimension): {rater: grade}}``, the later grade of a rater winning.

    Raters are in the order of their latest grade, so among equal timestamps the grade
    that came later is last.
    """
    items: dict[tuple[str, str], dict[str, Grade]] = defaultdict(dict)
    for grade in grades:
        by_rater = items[grade.key]
        by_rater.pop(grade.rater, None)
        by_rater[grade.rater] = grade
    return dict(items)


def adjudication(grades: Iterable[Grade]) -> Grade | None:
    """The deciding adjudication among one item's grades, or None when there is none.

    The adjudicators' grade with the latest ``created_at``; on a tie, the later one.
    """
    adjudications = [g for g in grades if is_adjudicator(g.rater)]
    return max(reversed(adjudications), key=lambda g: g.created_at, default=None)


def noise_floor(
    grades: Iterable[Grade], dimensions: Iterable[str] | None = None
) -> dict[str, NoiseFloor]:
    """The human noise floor per dimension: inter-rater MAE, exact agreement and alpha.

    Parameters
    ----------
    grades : iterable of Grade
        Current grades of any number of raters; if a rater appears twice for one item,
        the later grade counts. Adjudications (``adjudicator:...`` raters) are left out:
        they settle disagreements, they do not measure them.
    dimensions : iterable of str, optional
        The dimensions to report, in this order (one with no grades reports zero counts
        and None statistics). Defaults to every dimension graded, built-in ones in
        :data:`~memalign_nb.dimensions.DIMENSIONS` order, then custom ones as first seen.

    Returns
    -------
    dict of str to NoiseFloor
        With single-rater data every statistic is None and ``n_items`` is 0.
    """
    by_dimension: dict[str, dict[str, dict[str, int]]] = defaultdict(dict)
    for (case_id, dimension), by_rater in _scores_by_item(grades).items():
        by_dimension[dimension][case_id] = by_rater
    if dimensions is None:
        dimensions = [d for d in DIMENSIONS if d in by_dimension]
        dimensions += [d for d in by_dimension if d not in DIMENSIONS]
    return {d: _noise_floor(d, by_dimension.get(d, {})) for d in dimensions}


def _scores_by_item(grades: Iterable[Grade]) -> dict[tuple[str, str], dict[str, int]]:
    """``{(case_id, dimension): {rater: score}}`` of the raters (not adjudicators)."""
    items: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for grade in grades:
        if not is_adjudicator(grade.rater):
            items[grade.key][grade.rater] = grade.score
    return dict(items)


def _noise_floor(dimension: str, items: dict[str, dict[str, int]]) -> NoiseFloor:
    applicable_diffs: list[int] = []
    applicability_same: list[bool] = []
    for by_rater in items.values():
        for a, b in itertools.combinations(by_rater.values(), 2):
            applicability_same.append((a == NOT_APPLICABLE) == (b == NOT_APPLICABLE))
            if NOT_APPLICABLE not in (a, b):
                applicable_diffs.append(abs(a - b))
    n_pairs = len(applicable_diffs)
    return NoiseFloor(
        dimension=dimension,
        n_items=sum(1 for by_rater in items.values() if len(by_rater) >= 2),
        n_raters=len({r for by_rater in items.values() for r in by_rater}),
        n_pairs=n_pairs,
        mae=_mean(applicable_diffs),
        exact_agreement=_mean([d == 0 for d in applicable_diffs]),
        applicability_agreement=_mean(applicability_same),
        alpha=_ordinal_alpha(items) if n_pairs else None,
    )


def _ordinal_alpha(items: dict[str, dict[str, int]]) -> float | None:
    """Ordinal Krippendorff's alpha over applicable ratings; None when undefined."""
    import krippendorff
    import numpy as np

    raters = sorted({r for by_rater in items.values() for r in by_rater})
    data = np.full((len(raters), len(items)), np.nan)
    row = {r: i for i, r in enumerate(raters)}
    for column, by_rater in enumerate(items.values()):
        for rater, score in by_rater.items():
            if score != NOT_APPLICABLE:
                data[row[rater], column] = score
    with np.errstate(invalid="ignore", divide="ignore"):
        value = krippendorff.alpha(
            reliability_data=data,
            value_domain=_QUALITY_SCORES,
            level_of_measurement="ordinal",
        )
    return float(value) if np.isfinite(value) else None


def _mean(values: list[int] | list[bool]) -> float | None:
    return sum(values) / len(values) if values else None
