"""Learning and forgetting feedback: the logic of ``AlignedJudge.add_feedback`` and ``forget``.

Both work on an :class:`~memalign_nb.align.state.AlignmentState`. Only (case, dimension,
rater) grades that are new or changed are read; their items get a reference grade (the
raters' median, rationales joined), the base judge's verdict, the section's facts and
static finding, and a fresh example in episodic memory. The engine then updates semantic
memory (:meth:`~memalign_nb.align.engine.Engine.learn`): the LLM engine shows only those
items to the reflection model; the heuristic engine re-learns its rules over every item
held (a recount) and, with ``calibrate``, chooses the blend again on the dimensions that
changed (:mod:`memalign_nb.align.calibration`).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from memalign_nb.align.engine import Engine
from memalign_nb.align.sectioning import SectionReader
from memalign_nb.align.state import AlignmentState, GradeKey, ItemKey
from memalign_nb.datasets.model import Case, Dataset
from memalign_nb.errors import MemAlignError
from memalign_nb.feedback.model import Grade
from memalign_nb.judges.base import Judgment
from memalign_nb.memory.examples import Example
from memalign_nb.memory.guidelines import Guideline

if TYPE_CHECKING:
    from memalign_nb.align.memalign import MemAlign

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeedbackUpdate:
    """What one :meth:`AlignedJudge.add_feedback` call learned.

    Attributes
    ----------
    grades_added : int
        (case, dimension, rater) grades that were new or changed (score or rationale).
    items : tuple of (str, str)
        The (case_id, dimension) items those grades changed, sorted.
    examples_stored : int
        Examples written to episodic memory (new or replaced).
    reflected_items : int
        Items shown to the reflection model (LLM engine); 0 for the heuristic engine.
    guidelines_written : int
        Guidelines the reflection model distilled or, for the heuristic engine, rules the
        learner found over all the feedback held (before merging into semantic memory).
    skipped : tuple of str
        Why some grades were not learned (no notebook in the dataset, dimension not
        aligned), one line each.
    """

    grades_added: int = 0
    items: tuple[ItemKey, ...] = ()
    examples_stored: int = 0
    reflected_items: int = 0
    guidelines_written: int = 0
    skipped: tuple[str, ...] = ()

    def __str__(self) -> str:
        text = (
            f"{self.grades_added} new grades on {len(self.items)} items; "
            f"{self.examples_stored} examples stored; {self.guidelines_written} guidelines "
            f"written"
        )
        return text + (f"; skipped: {'; '.join(self.skipped)}" if self.skipped else "")


@dataclass(frozen=True)
class ForgetResult:
    """What :meth:`AlignedJudge.forget` removed.

    Attributes
    ----------
    case_ids : tuple of str
        The cases withdrawn (sorted).
    grades_removed : int
        Their grades.
    examples_removed : int
        Their examples in episodic memory.
    guidelines_dropped : tuple of Guideline
        Guidelines no longer held: for the LLM engine, those whose every source was
        withdrawn; for the heuristic engine, rules the remaining feedback no longer
        supports.
    """

    case_ids: tuple[str, ...]
    grades_removed: int
    examples_removed: int
    guidelines_dropped: tuple[Guideline, ...]


def learn_feedback(state: AlignmentState, engine: Engine, reader: SectionReader,
                   dataset: Dataset) -> FeedbackUpdate:
    """Learn the new or changed grades of ``dataset`` into ``state``.

    The logic behind :meth:`AlignedJudge.add_feedback
    <memalign_nb.align.AlignedJudge.add_feedback>`; see there.
    """
    if not isinstance(dataset, Dataset):
        raise MemAlignError(f"expected a Dataset, got {type(dataset).__name__}")
    cases = {case.case_id: case for case in dataset.cases}
    latest: dict[GradeKey, Grade] = {}
    skipped: dict[str, list[str]] = defaultdict(list)
    for grade in dataset.feedback:
        if grade.dimension not in state.dimensions:
            skipped["dimension not aligned"].append(grade.dimension)
        elif grade.case_id not in cases:
            skipped["no notebook in the dataset"].append(grade.case_id)
        else:
            latest[(grade.case_id, grade.dimension, grade.rater)] = grade
    new = [
        grade for key, grade in latest.items()
        if (old := state.grades.get(key)) is None
        or (old.score, old.rationale) != (grade.score, grade.rationale)
    ]
    notes = []
    for why, what in skipped.items():
        names = sorted(set(what))
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        notes.append(f"{len(what)} grades, {why}: {shown}")
        logger.info("%s: %d grades not learned (%s: %s)", dataset.path, len(what), why, shown)
    if not new:
        return FeedbackUpdate(skipped=tuple(notes))
    grades = {**state.grades, **{(g.case_id, g.dimension, g.rater): g for g in new}}
    keys = sorted({(g.case_id, g.dimension) for g in new})
    examples = _examples(engine, reader, keys, cases, grades.values())
    state.grades = grades  # only now: a failure above leaves the grades to learn again
    state.items.update({(e.case_id, e.dimension): e for e in examples})
    stored = _store_examples(state, engine.params, examples) if state.episodic is not None else 0
    reflected, written = engine.learn(state, examples)
    return FeedbackUpdate(len(new), tuple(keys), stored, reflected, written, tuple(notes))


def forget_cases(state: AlignmentState, engine: Engine, case_ids: Iterable[str]) -> ForgetResult:
    """Withdraw cases from ``state`` (see :meth:`AlignedJudge.forget
    <memalign_nb.align.AlignedJudge.forget>`)."""
    gone = {case_ids} if isinstance(case_ids, str) else {str(c) for c in case_ids}
    grade_keys = [key for key in state.grades if key[0] in gone]
    for key in grade_keys:
        del state.grades[key]
    item_keys = [key for key in state.items if key[0] in gone]
    for key in item_keys:
        del state.items[key]
    removed = state.episodic.remove(gone) if state.episodic is not None else 0
    dropped = engine.forget(state, gone, {d for _, d in item_keys})
    return ForgetResult(tuple(sorted(gone)), len(grade_keys), removed, tuple(dropped))


def admits(params: MemAlign, example: Example) -> bool:
    """Whether the episodic policy of ``params`` stores ``example``."""
    if params.episodic_policy == "all":
        return True
    return example.judge_score is None or example.judge_score != example.expert_score


def reference_grade(grades: Sequence[Grade]) -> Grade:
    """One item's grades reduced to the reference grade memories store.

    The score is :func:`~memalign_nb.feedback.reference_scores`': an adjudicator's, else
    the raters' median (applicability first); a median halfway between two scores (raters
    split 1 and 2) takes the lower, stricter one, since a fault one expert flagged is worth
    learning. The rationales are joined, the adjudicator's first, each prefixed by its
    rater when there are several.
    """
    from memalign_nb.feedback.agreement import reference_scores
    from memalign_nb.feedback.model import is_adjudicator

    ordered = sorted(grades, key=lambda g: (not is_adjudicator(g.rater), g.rater))
    [reference] = reference_scores(ordered).values()
    several = len(ordered) > 1
    reasons = [f"{g.rater}: {g.rationale.strip()}" if several else g.rationale.strip()
               for g in ordered if g.rationale.strip()]
    first = ordered[0]
    return Grade(first.case_id, first.dimension, int(reference), " | ".join(reasons),
                 rater="reference", created_at=max(g.created_at for g in ordered))


def _examples(engine: Engine, reader: SectionReader, keys: Sequence[ItemKey],
              cases: Mapping[str, Case], grades: Iterable[Grade]) -> list[Example]:
    """The reference example of each item, with the base judge's verdict on it."""
    by_item: dict[ItemKey, list[Grade]] = defaultdict(list)
    for grade in grades:
        by_item[(grade.case_id, grade.dimension)].append(grade)
    judgments = _base_judgments(engine, keys, cases)
    return [
        Example.from_feedback(
            reader.section(cases[case_id], dimension),
            reference_grade(by_item[(case_id, dimension)]),
            judgments.get((case_id, dimension)),
            finding=reader.finding(cases[case_id], dimension),
        )
        for case_id, dimension in keys
    ]


def _base_judgments(engine: Engine, keys: Sequence[ItemKey],
                    cases: Mapping[str, Case]) -> dict[ItemKey, Judgment]:
    """The base judge's verdicts on exactly ``keys``: one batch per set of dimensions."""
    by_case: dict[str, list[str]] = defaultdict(list)
    for case_id, dimension in keys:
        by_case[case_id].append(dimension)
    groups: dict[tuple[str, ...], list[Case]] = defaultdict(list)
    for case_id, dimensions in by_case.items():
        groups[tuple(dimensions)].append(cases[case_id])
    found = {}
    params = engine.params
    for dimensions, group in groups.items():
        for judgment in engine.base_judge.score_many(
            group, dimensions, concurrency=params.concurrency, progress=params.progress
        ):
            found[(judgment.case_id, judgment.dimension)] = judgment
    failed = sum(not j.ok for j in found.values())
    if failed:
        logger.warning("the base judge failed on %d of %d graded items; their examples "
                       "carry no judge score", failed, len(found))
    return found


def _store_examples(state: AlignmentState, params: MemAlign, examples: Sequence[Example]
                    ) -> int:
    """Write ``examples`` to episodic memory as the policy says; returns how many."""
    memory = state.episodic
    admitted = [e for e in examples if admits(params, e)]
    rejected = [e for e in examples if not admits(params, e)]
    # A changed grade can take an item out of a "disagreements" memory; removal is per
    # case, so the case's other admitted items go back in.
    held = {d: set(memory.case_ids(d)) for d in {e.dimension for e in rejected}}
    stale = {e.case_id for e in rejected if e.case_id in held[e.dimension]}
    if stale:
        memory.remove(stale)
        admitted += [e for key, e in state.items.items()
                     if key[0] in stale and admits(params, e) and e not in admitted]
    memory.add(admitted)
    return len(admitted)
