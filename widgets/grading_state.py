"""What the grading panel knows, without any widget: the queue, the position, the rules.

:class:`GradingSession` is the pure-Python model behind :class:`memalign_nb_widgets.GradingPanel`:

- the queue of :class:`Item` objects (one per case and dimension) in the order chosen by
  :func:`order_items` (``"ungraded"`` first, ``"disagreement"`` with the judge first, or
  ``"useful"``: the items whose grades should teach the aligned judge most first);
- the position, which starts at the first item the rater has not graded (resume);
- the rater's own grades, their progress per dimension, and the items skipped this session;
- :func:`check_grade_input`, the rule that a grade differing from the judge's needs a
  rationale;
- :func:`adjudication_items`, the queue of the ``adjudicate`` mode: the items raters
  disagree on.

:class:`JudgeScores` wraps an optional judge (or judgments computed earlier) and scores
each item at most once. Everything here is testable without a browser or a kernel.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from memalign_nb.datasets.model import Case
from memalign_nb.dimensions import check_score
from memalign_nb.errors import MemAlignError, ProblemError, UnknownNameError
from memalign_nb.feedback.agreement import reference_scores
from memalign_nb.feedback.disagreements import Disagreement, disagreements
from memalign_nb.feedback.model import Grade
from memalign_nb.judges.base import Judge, Judgment

logger = logging.getLogger(__name__)

ORDERS: tuple[str, ...] = ("ungraded", "disagreement", "useful")
"""Queue orders: this rater's ungraded items first, judge-vs-humans disagreement first, or
most useful first (the utilities of :func:`memalign_nb.suggest`)."""


class GradingError(ProblemError, ValueError):
    """Grading cannot go on as asked: a grade that cannot be saved, no rater, no items.

    Attributes
    ----------
    where : str
        What it is about: ``"case_id / dimension"`` for a grade, else ``"rater"``,
        ``"items"`` or ``"order"``.
    problem : str
        What is missing or wrong, in words a grader understands.
    """


@dataclass(frozen=True)
class Item:
    """One thing to grade: a case on a dimension.

    Attributes
    ----------
    case_id : str
        The case (notebook) id.
    dimension : str
        The dimension id.
    """

    case_id: str
    dimension: str

    @property
    def key(self) -> tuple[str, str]:
        """``(case_id, dimension)``, the same key as :attr:`memalign_nb.Grade.key`."""
        return (self.case_id, self.dimension)


def latest_grades(grades: Iterable[Grade]) -> dict[tuple[str, str, str], Grade]:
    """The newest grade per ``(case_id, dimension, rater)``.

    Newer means a later ``created_at`` (ISO 8601 strings sort in time order); on a tie,
    or when timestamps are missing, the grade that comes later in ``grades`` wins.
    """
    latest: dict[tuple[str, str, str], Grade] = {}
    for grade in grades:
        key = (grade.case_id, grade.dimension, grade.rater)
        held = latest.get(key)
        if held is None or grade.created_at >= held.created_at:
            latest[key] = grade
    return latest


def disagreement(
    item: Item, rater: str, grades: Mapping[tuple[str, str, str], Grade], judge_score: int | None
) -> float | None:
    """``|judge score - the other raters' reference score|`` for ``item``.

    The reference is :func:`~memalign_nb.feedback.reference_scores` over the other raters'
    grades: an adjudication when there is one, else their median. None when the judge has
    no score or no other rater graded the item.
    """
    others = [g for (c, d, r), g in grades.items() if (c, d) == item.key and r != rater]
    if judge_score is None or not others:
        return None
    return abs(judge_score - reference_scores(others)[item.key])


def order_items(
    items: Sequence[Item],
    rater: str,
    grades: Mapping[tuple[str, str, str], Grade],
    order: str = "ungraded",
    judge_scores: Mapping[tuple[str, str], int | None] | None = None,
    utilities: Mapping[tuple[str, str], float] | None = None,
) -> tuple[Item, ...]:
    """The grading queue.

    Parameters
    ----------
    items : sequence of Item
        Every item, in dataset order (the tie-breaker).
    rater : str
        Who is grading.
    grades : mapping
        Latest grade per ``(case_id, dimension, rater)``, as :func:`latest_grades` returns.
    order : {"ungraded", "disagreement", "useful"}
        ``"ungraded"``: items ``rater`` has not graded first. ``"disagreement"``: largest
        :func:`disagreement` first; items it is undefined for come last. ``"useful"``:
        highest utility first; items without one (graded already) come last.
    judge_scores : mapping, optional
        Judge score per ``(case_id, dimension)``; needed for ``"disagreement"``.
    utilities : mapping, optional
        Utility per ``(case_id, dimension)`` (:attr:`memalign_nb.Suggestion.utility`);
        needed for ``"useful"``.

    Raises
    ------
    UnknownNameError
        For an order other than those in :data:`ORDERS`.
    """
    if order not in ORDERS:
        raise UnknownNameError("grading order", order, ORDERS)
    position = {item: i for i, item in enumerate(items)}
    if order == "ungraded":
        return tuple(
            sorted(items, key=lambda it: ((*it.key, rater) in grades, position[it]))
        )
    if order == "useful":
        useful = utilities or {}
        return tuple(sorted(items, key=lambda it: (it.key not in useful,
                                                    -useful.get(it.key, 0.0), position[it])))
    scores = judge_scores or {}

    def key(item: Item) -> tuple[bool, float, int]:
        gap = disagreement(item, rater, grades, scores.get(item.key))
        return (gap is None, -(gap or 0.0), position[item])

    return tuple(sorted(items, key=key))


def adjudication_items(
    grades: Iterable[Grade],
    adjudicator: str,
    case_ids: Iterable[str],
    dimensions: Iterable[str],
) -> dict[Item, Disagreement]:
    """The items to adjudicate, each with its disagreement, in the order to walk them.

    Every item of ``case_ids`` and ``dimensions`` whose raters disagree and that is still
    open or was decided by ``adjudicator`` (so a returning adjudicator sees their own
    decisions), in :func:`~memalign_nb.feedback.disagreements` order: dimension by
    dimension, so one rubric line is settled at a time.
    """
    cases = set(case_ids)
    return {
        Item(found.case_id, found.dimension): found
        for found in disagreements(grades, dimensions, include_resolved=True)
        if found.case_id in cases
        and (found.adjudication is None or found.adjudication.rater == adjudicator)
    }


def check_grade_input(
    item: Item, score: int | None, rationale: str, judge_score: int | None
) -> tuple[int, str]:
    """Validate what a grader entered; return ``(score, rationale stripped)``.

    Raises
    ------
    GradingError
        No score chosen, or the score differs from the judge's and the rationale is blank
        (the rationale is what MemAlign learns from, so a disagreement must say why).
    """
    where = f"{item.case_id} / {item.dimension}"
    if score is None:
        raise GradingError(where, "choose a score from 0 to 3 first")
    value = check_score(score, where)
    text = (rationale or "").strip()
    if judge_score is not None and value != judge_score and not text:
        raise GradingError(
            where, "a rationale is required when your score differs from the judge's"
        )
    return value, text


class JudgeScores:
    """A judge's verdicts per item, computed at most once each.

    Parameters
    ----------
    judge : Judge, iterable of Judgment, or None
        A live judge (scored on demand) or judgments computed earlier; None for no judge.
    case_lookup : callable
        ``case_id -> Case``, used to score with a live judge.

    Attributes
    ----------
    available : bool
        Whether there is a judge at all (live or precomputed).
    """

    def __init__(
        self,
        judge: Judge | Iterable[Judgment] | None,
        case_lookup: Callable[[str], Case],
    ) -> None:
        self._judge = judge if isinstance(judge, Judge) else None
        self._case_lookup = case_lookup
        self._cache: dict[tuple[str, str], Judgment | None] = {}
        if judge is not None and self._judge is None:
            for judgment in judge:
                self._cache[(judgment.case_id, judgment.dimension)] = judgment
        self.available = judge is not None

    def judgment(self, item: Item) -> Judgment | None:
        """The judge's verdict on ``item``; None with no judge or none for this item.

        A judge that raises a :class:`~memalign_nb.errors.MemAlignError` (an unknown
        dimension, say) is logged and recorded as a failed judgment, never as a score.
        """
        if item.key in self._cache or self._judge is None:
            return self._cache.get(item.key)
        try:
            result: Judgment | None = self._judge.score(
                self._case_lookup(item.case_id), item.dimension
            )
        except MemAlignError as exc:
            logger.warning("judge could not score %s / %s: %s", *item.key, exc)
            result = Judgment(item.case_id, item.dimension, None, error=str(exc))
        self._cache[item.key] = result
        return result

    def score(self, item: Item) -> int | None:
        """The judge's score of ``item``, or None when it has none."""
        judgment = self.judgment(item)
        return judgment.score if judgment is not None and judgment.ok else None

    def scores(self, items: Iterable[Item]) -> dict[tuple[str, str], int | None]:
        """The judge's score per item key.

        Items not scored yet are scored in one :meth:`Judge.score_many` batch per dimension
        (concurrent, no progress bar), so ordering a whole dataset by disagreement does
        not wait for one model call after another.
        """
        items = list(items)
        if self._judge is not None:
            todo: dict[str, list[str]] = {}
            for item in items:
                if item.key not in self._cache:
                    todo.setdefault(item.dimension, []).append(item.case_id)
            for dimension, case_ids in todo.items():
                self._score_batch(self._judge, dimension, case_ids)
        return {item.key: self.score(item) for item in items}

    def _score_batch(self, judge: Judge, dimension: str, case_ids: list[str]) -> None:
        try:
            judgments = judge.score_many(
                [self._case_lookup(c) for c in case_ids], [dimension], progress=False
            )
        except MemAlignError as exc:
            logger.warning("judge could not score %s: %s", dimension, exc)
            judgments = [Judgment(c, dimension, None, error=str(exc)) for c in case_ids]
        for judgment in judgments:
            self._cache[(judgment.case_id, judgment.dimension)] = judgment


class GradingSession:
    """The queue, the position and one rater's grades.

    Parameters
    ----------
    items : sequence of Item
        Every item, in dataset order.
    rater : str
        Who grades; must not be blank.
    grades : iterable of Grade
        Grades already held (every rater's); the newest per rater and item counts.
    order : {"ungraded", "disagreement", "useful"}
        Initial queue order, see :func:`order_items`.
    judge_scores : mapping, optional
        Judge score per ``(case_id, dimension)``, for the ``"disagreement"`` order.
    utilities : mapping, optional
        Utility per ``(case_id, dimension)``, for the ``"useful"`` order.

    Attributes
    ----------
    rater : str
        The rater, stripped.
    order : str
        The current queue order.
    queue : tuple of Item
        The items in grading order.
    position : int
        Index in :attr:`queue` of the item shown; starts at :meth:`resume_position`.
    skipped : set of Item
        Items skipped in this session; :meth:`skip` passes over them.
    """

    def __init__(
        self,
        items: Sequence[Item],
        rater: str,
        grades: Iterable[Grade] = (),
        order: str = "ungraded",
        judge_scores: Mapping[tuple[str, str], int | None] | None = None,
        utilities: Mapping[tuple[str, str], float] | None = None,
    ) -> None:
        if not rater or not rater.strip():
            raise GradingError("rater", "the rater name must not be blank")
        if not items:
            raise GradingError("items", "nothing to grade: no cases or no dimensions")
        self.rater = rater.strip()
        self._items = tuple(items)
        self._grades = latest_grades(grades)
        self.skipped: set[Item] = set()
        self.order = order
        self.queue = order_items(self._items, self.rater, self._grades, order, judge_scores,
                                 utilities)
        self.position = self.resume_position()

    @property
    def current(self) -> Item:
        """The item at :attr:`position`."""
        return self.queue[self.position]

    def grade_of(self, item: Item) -> Grade | None:
        """This rater's newest grade of ``item``, or None."""
        return self._grades.get((*item.key, self.rater))

    def is_graded(self, item: Item) -> bool:
        """Whether this rater has graded ``item``."""
        return self.grade_of(item) is not None

    def resume_position(self) -> int:
        """Index of the first queued item this rater has not graded (0 when all are)."""
        for i, item in enumerate(self.queue):
            if not self.is_graded(item):
                return i
        return 0

    def reorder(
        self,
        order: str,
        judge_scores: Mapping[tuple[str, str], int | None] | None = None,
        utilities: Mapping[tuple[str, str], float] | None = None,
    ) -> None:
        """Re-sort the queue, staying on the current item."""
        current = self.current
        self.queue = order_items(self._items, self.rater, self._grades, order, judge_scores,
                                 utilities)
        self.order = order
        self.position = self.queue.index(current)

    def go_to(self, index: int) -> Item:
        """Move to queue index ``index`` (clamped to the queue) and return the item."""
        self.position = max(0, min(index, len(self.queue) - 1))
        return self.current

    def next(self) -> Item:
        """Move one item forward (staying on the last) and return the item."""
        return self.go_to(self.position + 1)

    def previous(self) -> Item:
        """Move one item back (staying on the first) and return the item."""
        return self.go_to(self.position - 1)

    def skip(self) -> Item:
        """Leave the current item ungraded and move to the next ungraded, unskipped one.

        The search wraps around the queue; when every other item is graded or skipped
        it simply moves one item forward.
        """
        self.skipped.add(self.current)
        return self._forward_to_ungraded(pass_skipped=True)

    def record(self, grade: Grade) -> None:
        """Hold ``grade`` as saved (call it after the store accepted the grade)."""
        self._grades[(grade.case_id, grade.dimension, grade.rater)] = grade
        self.skipped.discard(Item(grade.case_id, grade.dimension))

    def advance_after_save(self) -> Item:
        """Where to go after a save: the next ungraded item, else one forward."""
        return self._forward_to_ungraded(pass_skipped=False)

    def _forward_to_ungraded(self, pass_skipped: bool) -> Item:
        n = len(self.queue)
        for step in range(1, n):
            index = (self.position + step) % n
            item = self.queue[index]
            if not self.is_graded(item) and not (pass_skipped and item in self.skipped):
                return self.go_to(index)
        return self.next()

    def progress(self) -> dict[str, tuple[int, int]]:
        """``{dimension: (graded by this rater, total)}`` in first-seen dimension order."""
        counts: dict[str, list[int]] = {}
        for item in self._items:
            graded_total = counts.setdefault(item.dimension, [0, 0])
            graded_total[0] += self.is_graded(item)
            graded_total[1] += 1
        return {dim: (graded, total) for dim, (graded, total) in counts.items()}

    def make_grade(self, score: int | None, rationale: str, judge_score: int | None) -> Grade:
        """The :class:`~memalign_nb.Grade` for the current item, validated.

        Raises
        ------
        GradingError
            See :func:`check_grade_input`.
        """
        item = self.current
        value, text = check_grade_input(item, score, rationale, judge_score)
        return Grade(item.case_id, item.dimension, value, text, self.rater)
