"""Where raters disagree: the items they grade differently, and the patterns that recur.

:func:`disagreements` lists every item whose raters disagree, on applicability (one says
0, "not applicable", another 1-3) or on the score, with each rater's grade and rationale,
so the two readings can be compared side by side. :func:`disagreement_patterns` counts,
per dimension, how often each combination of scores recurs ("1 vs n/a" on 17 of 60
notebooks): a pattern that recurs points at a rubric line the raters read differently.

An item an adjudicator graded (a rater named ``adjudicator:...``, see
:data:`~memalign_nb.feedback.model.ADJUDICATOR_PREFIX`) is *resolved*: its reference score
is the adjudicated one (:func:`~memalign_nb.feedback.reference_scores`).

>>> from memalign_nb.feedback import Grade, disagreements
>>> [d.pattern for d in disagreements([Grade("t1", "mlflow_logging", 1, "none", "a"),
...                                    Grade("t1", "mlflow_logging", 0, "Kaggle", "b")])]
['1 vs n/a']
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from memalign_nb.dimensions import DIMENSIONS, NOT_APPLICABLE
from memalign_nb.feedback.agreement import adjudication, grades_by_item
from memalign_nb.feedback.model import Grade, is_adjudicator

logger = logging.getLogger(__name__)

KINDS: tuple[str, ...] = ("applicability", "score")
"""Kinds of disagreement: whether the dimension applies at all, or how well it is done."""


@dataclass(frozen=True)
class Disagreement:
    """One item whose raters disagree.

    Attributes
    ----------
    case_id : str
        The case (notebook) id.
    dimension : str
        The dimension id.
    grades : tuple of Grade
        Each rater's latest grade (score and rationale), by rater name; adjudications are
        not among them.
    kind : {"applicability", "score"}
        ``"applicability"`` when some raters gave 0 (not applicable) and others 1-3,
        ``"score"`` when all found it applicable and their scores differ.
    gap : int
        The largest difference between two raters' 1-3 scores (0 when only one rater
        found the item applicable).
    adjudication : Grade or None
        The adjudicator's grade that settles the item, or None while it is open.
    """

    case_id: str
    dimension: str
    grades: tuple[Grade, ...]
    kind: str
    gap: int
    adjudication: Grade | None = None

    @property
    def key(self) -> tuple[str, str]:
        """The item: ``(case_id, dimension)``."""
        return (self.case_id, self.dimension)

    @property
    def resolved(self) -> bool:
        """Whether an adjudicator has decided the item."""
        return self.adjudication is not None

    @property
    def scores(self) -> tuple[int, ...]:
        """The distinct scores the raters gave, ascending."""
        return tuple(sorted({g.score for g in self.grades}))

    @property
    def pattern(self) -> str:
        """The scores given, ascending with 0 last as ``n/a``: ``"1 vs n/a"``, ``"2 vs 3"``."""
        return pattern_label(self.scores)


@dataclass(frozen=True)
class DisagreementPattern:
    """A combination of scores raters split on, and how often it recurs on one dimension.

    Attributes
    ----------
    dimension : str
        The dimension id.
    scores : tuple of int
        The distinct scores the raters gave, ascending (``(0, 1)`` for 1 vs n/a).
    kind : {"applicability", "score"}
        As in :attr:`Disagreement.kind`.
    count : int
        Items of this dimension whose raters split this way (adjudicated ones included:
        the rubric line was read differently all the same).
    n_items : int
        Items of this dimension graded by two or more raters: the population of
        ``count``.
    case_ids : tuple of str
        The cases concerned, sorted.
    """

    dimension: str
    scores: tuple[int, ...]
    kind: str
    count: int
    n_items: int
    case_ids: tuple[str, ...]

    @property
    def label(self) -> str:
        """``"1 vs n/a"``, ``"2 vs 3"``: see :attr:`Disagreement.pattern`."""
        return pattern_label(self.scores)


def pattern_label(scores: Iterable[int]) -> str:
    """Scores as a label, ascending with 0 last as ``n/a``: ``(0, 1)`` -> ``"1 vs n/a"``."""
    ordered = sorted(set(scores), key=lambda s: (s == NOT_APPLICABLE, s))
    return " vs ".join("n/a" if s == NOT_APPLICABLE else str(s) for s in ordered)


def disagreements(
    grades: Iterable[Grade],
    dimensions: Iterable[str] | None = None,
    *,
    include_resolved: bool = False,
) -> list[Disagreement]:
    """The items whose raters disagree on applicability or score.

    Parameters
    ----------
    grades : iterable of Grade
        Current grades of any number of raters; if a rater appears twice for one item,
        the later grade counts (as in :func:`~memalign_nb.feedback.reference_scores`).
    dimensions : iterable of str, optional
        Only these dimensions; default every one graded.
    include_resolved : bool
        Also list the items an adjudicator has decided (default: only the open ones).

    Returns
    -------
    list of Disagreement
        By dimension (built-in ones in :data:`~memalign_nb.dimensions.DIMENSIONS` order,
        then custom ones by name), applicability before score, widest gap first, then
        by case id.
    """
    wanted = None if dimensions is None else set(dimensions)
    found = []
    for (case_id, dimension), by_rater in grades_by_item(grades).items():
        if wanted is not None and dimension not in wanted:
            continue
        raters = sorted((g for g in by_rater.values() if not is_adjudicator(g.rater)),
                        key=lambda g: g.rater)
        if len({g.score for g in raters}) < 2:
            continue
        decided = adjudication(by_rater.values())
        if decided is not None and not include_resolved:
            continue
        applicable = [g.score for g in raters if g.score != NOT_APPLICABLE]
        kind = "score" if len(applicable) == len(raters) else "applicability"
        gap = max(applicable) - min(applicable) if applicable else 0
        found.append(Disagreement(case_id, dimension, tuple(raters), kind, gap, decided))
    return sorted(found, key=_order)


def disagreement_patterns(
    grades: Iterable[Grade], dimensions: Iterable[str] | None = None
) -> dict[str, list[DisagreementPattern]]:
    """Per dimension, the ways raters split and how often each recurs, most frequent first.

    Parameters
    ----------
    grades : iterable of Grade
        As for :func:`disagreements`; adjudicated items count too.
    dimensions : iterable of str, optional
        The dimensions to report, in this order (one without disagreements maps to an
        empty list). Default: every dimension graded by two or more raters, ordered as in
        :func:`disagreements`.

    Returns
    -------
    dict of str to list of DisagreementPattern
    """
    grades = list(grades)
    double: dict[str, int] = defaultdict(int)
    for (_, dimension), by_rater in grades_by_item(grades).items():
        double[dimension] += sum(not is_adjudicator(r) for r in by_rater) >= 2
    groups: dict[tuple[str, tuple[int, ...]], list[Disagreement]] = defaultdict(list)
    for found in disagreements(grades, dimensions, include_resolved=True):
        groups[(found.dimension, found.scores)].append(found)
    if dimensions is None:
        dimensions = sorted((d for d, n in double.items() if n), key=_dimension_rank)
    patterns: dict[str, list[DisagreementPattern]] = {d: [] for d in dimensions}
    for (dimension, scores), items in groups.items():
        patterns[dimension].append(DisagreementPattern(
            dimension, scores, items[0].kind, len(items), double[dimension],
            tuple(sorted(d.case_id for d in items))))
    for found in patterns.values():
        found.sort(key=lambda p: (-p.count, KINDS.index(p.kind), p.scores))
    return patterns


def _dimension_rank(dimension: str) -> tuple[int, str]:
    return (DIMENSIONS.index(dimension) if dimension in DIMENSIONS else len(DIMENSIONS),
            dimension)


def _order(found: Disagreement) -> tuple[tuple[int, str], int, int, str]:
    return (_dimension_rank(found.dimension), KINDS.index(found.kind), -found.gap,
            found.case_id)
