"""Learning and forgetting feedback: the logic of ``AlignedJudge.add_feedback`` and ``forget``.

Only (case, dimension, rater) grades that are new or changed are read; their items get a
reference grade (the raters' median, rationales joined), the base judge's verdict and a
fresh example in episodic memory. For the LLM engine only those items are shown to the
reflection model; the heuristic engine re-learns its rules over every item held (a recount)
and, with ``calibrate``, chooses the blend again on the dimensions that changed
(:mod:`memalign_nb.align.calibration`).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from memalign_nb.datasets.model import Case, Dataset
from memalign_nb.errors import MemAlignError
from memalign_nb.feedback.model import Grade
from memalign_nb.judges.base import Judgment
from memalign_nb.memory.examples import Example
from memalign_nb.memory.guidelines import Guideline, GuidelineSet

if TYPE_CHECKING:
    from memalign_nb.align.aligned_judge import AlignedJudge

logger = logging.getLogger(__name__)

ItemKey = tuple[str, str]
"""A graded item: ``(case_id, dimension)``."""


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


def learn_feedback(aligned: AlignedJudge, dataset: Dataset) -> FeedbackUpdate:
    """Learn the new or changed grades of ``dataset`` into ``aligned``'s memories.

    The logic behind :meth:`AlignedJudge.add_feedback`; see there.
    """
    if not isinstance(dataset, Dataset):
        raise MemAlignError(f"expected a Dataset, got {type(dataset).__name__}")
    cases = {case.case_id: case for case in dataset.cases}
    latest: dict[tuple[str, str, str], Grade] = {}
    skipped: dict[str, list[str]] = defaultdict(list)
    for grade in dataset.feedback:
        if grade.dimension not in aligned.aligned_dimensions:
            skipped["dimension not aligned"].append(grade.dimension)
        elif grade.case_id not in cases:
            skipped["no notebook in the dataset"].append(grade.case_id)
        else:
            latest[(grade.case_id, grade.dimension, grade.rater)] = grade
    new = [
        grade for key, grade in latest.items()
        if (old := aligned.grades_.get(key)) is None
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
    grades = {**aligned.grades_, **{(g.case_id, g.dimension, g.rater): g for g in new}}
    keys = sorted({(g.case_id, g.dimension) for g in new})
    examples = _examples(aligned, keys, cases, grades.values())
    aligned.grades_ = grades  # only now: a failure above leaves the grades to learn again
    aligned.items_.update({(e.case_id, e.dimension): e for e in examples})
    stored = _store_examples(aligned, examples) if aligned.episodic is not None else 0
    reflected, written = 0, 0
    if aligned.params.semantic:
        if aligned.engine == "llm":
            reflected, written = _distill(aligned, examples)
        else:
            written = _relearn_rules(aligned)
    _recalibrate(aligned, {d for _, d in keys})
    return FeedbackUpdate(len(new), tuple(keys), stored, reflected, written, tuple(notes))


def forget_cases(aligned: AlignedJudge, case_ids: Iterable[str]) -> ForgetResult:
    """Withdraw cases from ``aligned``'s memories (see :meth:`AlignedJudge.forget`)."""
    gone = {case_ids} if isinstance(case_ids, str) else {str(c) for c in case_ids}
    grade_keys = [key for key in aligned.grades_ if key[0] in gone]
    for key in grade_keys:
        del aligned.grades_[key]
    item_keys = [key for key in aligned.items_ if key[0] in gone]
    for key in item_keys:
        del aligned.items_[key]
    removed = aligned.episodic.remove(gone) if aligned.episodic is not None else 0
    dropped: list[Guideline] = []
    if aligned.engine == "llm":
        dropped = aligned.guidelines.forget(gone)
    elif aligned.params.semantic:
        before = {_rule_identity(g): g for g in aligned.guidelines if g.engine == "rules"}
        _relearn_rules(aligned)
        after = {_rule_identity(g) for g in aligned.guidelines if g.engine == "rules"}
        dropped = [g for key, g in before.items() if key not in after]
    _recalibrate(aligned, {d for _, d in item_keys})
    return ForgetResult(tuple(sorted(gone)), len(grade_keys), removed, tuple(dropped))


def reference_grade(grades: Sequence[Grade]) -> Grade:
    """One item's grades reduced to the reference grade memories store.

    The score is :func:`~memalign_nb.feedback.reference_scores`' median (applicability
    first); a median halfway between two scores (raters split 1 and 2) takes the lower,
    stricter one, since a fault one expert flagged is worth learning. The rationales are
    joined, each prefixed by its rater when there are several.
    """
    from memalign_nb.feedback.agreement import reference_scores

    ordered = sorted(grades, key=lambda g: g.rater)
    [reference] = reference_scores(ordered).values()
    several = len(ordered) > 1
    reasons = [f"{g.rater}: {g.rationale.strip()}" if several else g.rationale.strip()
               for g in ordered if g.rationale.strip()]
    first = ordered[0]
    return Grade(first.case_id, first.dimension, int(reference), " | ".join(reasons),
                 rater="reference", created_at=max(g.created_at for g in ordered))


def _examples(aligned: AlignedJudge, keys: Sequence[ItemKey], cases: Mapping[str, Case],
              grades: Iterable[Grade]) -> list[Example]:
    """The reference example of each item, with the base judge's verdict on it."""
    by_item: dict[ItemKey, list[Grade]] = defaultdict(list)
    for grade in grades:
        by_item[(grade.case_id, grade.dimension)].append(grade)
    judgments = _base_judgments(aligned, keys, cases)
    return [
        Example.from_feedback(
            aligned.section(cases[case_id], dimension),
            reference_grade(by_item[(case_id, dimension)]),
            judgments.get((case_id, dimension)),
        )
        for case_id, dimension in keys
    ]


def _base_judgments(aligned: AlignedJudge, keys: Sequence[ItemKey],
                    cases: Mapping[str, Case]) -> dict[ItemKey, Judgment]:
    """The base judge's verdicts on exactly ``keys``: one batch per set of dimensions."""
    by_case: dict[str, list[str]] = defaultdict(list)
    for case_id, dimension in keys:
        by_case[case_id].append(dimension)
    groups: dict[tuple[str, ...], list[Case]] = defaultdict(list)
    for case_id, dimensions in by_case.items():
        groups[tuple(dimensions)].append(cases[case_id])
    found = {}
    params = aligned.params
    for dimensions, group in groups.items():
        for judgment in aligned.base_judge.score_many(
            group, dimensions, concurrency=params.concurrency, progress=params.progress
        ):
            found[(judgment.case_id, judgment.dimension)] = judgment
    failed = sum(not j.ok for j in found.values())
    if failed:
        logger.warning("the base judge failed on %d of %d graded items; their examples "
                       "carry no judge score", failed, len(found))
    return found


def _store_examples(aligned: AlignedJudge, examples: Sequence[Example]) -> int:
    """Write ``examples`` to episodic memory as the policy says; returns how many."""
    memory = aligned.episodic
    admitted = [e for e in examples if aligned.admits(e)]
    rejected = [e for e in examples if not aligned.admits(e)]
    # A changed grade can take an item out of a "disagreements" memory; removal is per
    # case, so the case's other admitted items go back in.
    held = {d: set(memory.case_ids(d)) for d in {e.dimension for e in rejected}}
    stale = {e.case_id for e in rejected if e.case_id in held[e.dimension]}
    if stale:
        memory.remove(stale)
        admitted += [e for key, e in aligned.items_.items()
                     if key[0] in stale and aligned.admits(e) and e not in admitted]
    memory.add(admitted)
    return len(admitted)


def _distill(aligned: AlignedJudge, examples: Sequence[Example]) -> tuple[int, int]:
    """Reflect on the new items of each dimension; returns (items shown, guidelines)."""
    from memalign_nb.memory.distill import distill_guidelines

    by_dimension: dict[str, list[Example]] = defaultdict(list)
    for example in examples:
        by_dimension[example.dimension].append(example)
    model = aligned.reflection_chat_model()
    written = 0
    for dimension, items in by_dimension.items():
        distilled = distill_guidelines(
            model, dimension, aligned.rubric_text(dimension), items,
            existing=aligned.guidelines.for_dimension(dimension),
            batch_size=aligned.params.distill_batch_size,
        )
        aligned.guidelines.add(distilled)
        written += len(distilled)
    return len(examples), written


def _relearn_rules(aligned: AlignedJudge) -> int:
    """Learn the rules again over every item held; returns how many were found."""
    from memalign_nb.memory.rules import learn_rules

    params = aligned.params
    rules = learn_rules(aligned.items_.values(), min_support=params.min_support,
                        min_precision=params.min_precision)
    kept = [g for g in aligned.guidelines if g.engine != "rules"]
    aligned.guidelines = GuidelineSet([*kept, *rules], embeddings=params.embeddings)
    return len(rules)


def _recalibrate(aligned: AlignedJudge, dimensions: set[str]) -> None:
    """Choose the heuristic engine's blend again on the dimensions whose items changed."""
    if aligned.engine != "heuristic" or not aligned.params.calibrate or not dimensions:
        return
    from memalign_nb.align.calibration import calibrate

    ordered = [d for d in aligned.aligned_dimensions if d in dimensions]
    aligned.calibration_.update(calibrate(aligned, ordered))


def _rule_identity(guideline: Guideline) -> tuple[Any, ...]:
    """A rule's identity across re-learning: dimension, fact, test, value, score."""
    c = guideline.condition or {}
    return (guideline.dimension, c.get("fact"), c.get("test"), repr(c.get("value")),
            c.get("score"))
