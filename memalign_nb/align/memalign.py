"""The MemAlign estimator: align a judge with expert feedback through two memories.

:meth:`MemAlign.fit` reads the dataset's human grades (several raters per item: their
median is the reference, their rationales are joined), scores the graded items with the base
judge, and builds, per dimension:

* semantic memory (guidelines): for an :class:`~memalign_nb.judges.llm.LLMJudge`, distilled
  from the feedback by a reflection model (:func:`~memalign_nb.memory.distill_guidelines`);
  for any other judge (the heuristic judge, a scripted one), rules learned over the
  sections' static facts (:func:`~memalign_nb.memory.learn_rules`);
* episodic memory: one graded example per (case, dimension) in a Chroma collection of its
  own (:class:`~memalign_nb.memory.EpisodicMemory`), in memory unless ``persist_dir`` is
  given.

Feedback is learned incrementally by :meth:`AlignedJudge.add_feedback
<memalign_nb.align.AlignedJudge.add_feedback>`, which ``fit`` calls on a fresh judge: only
(case, dimension, rater) grades that are new or changed are read, and only their items are
shown to the reflection model. :func:`learn_feedback` and :func:`forget_cases` hold that
logic.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from os import PathLike
from typing import TYPE_CHECKING, Any

from memalign_nb.datasets.model import Case, Dataset
from memalign_nb.errors import MemAlignError, UnknownNameError
from memalign_nb.feedback.model import Grade
from memalign_nb.judges.base import Judge, Judgment
from memalign_nb.memory.episodic import Example
from memalign_nb.memory.guidelines import Guideline, GuidelineSet

if TYPE_CHECKING:
    from memalign_nb.align.aligned_judge import AlignedJudge
    from memalign_nb.align.blend import BlendWeights

logger = logging.getLogger(__name__)

EPISODIC_POLICIES: tuple[str, ...] = ("all", "disagreements")
"""Which graded examples enter episodic memory: every one, or only those the base judge
scored differently from the experts."""

ENGINES: tuple[str, ...] = ("heuristic", "llm")
"""How memories are used: as data (votes and rules) or as text in an LLM prompt."""

ItemKey = tuple[str, str]
"""A graded item: ``(case_id, dimension)``."""


class MemAlign:
    """Aligns a judge with expert feedback: semantic and episodic memory per dimension.

    Parameters follow scikit-learn: ``__init__`` stores them unchanged; :meth:`fit`
    validates them.

    Parameters
    ----------
    semantic : bool
        Build semantic memory (guidelines or learned rules).
    episodic : bool
        Build episodic memory (graded examples retrieved by similarity).
    k : int
        Examples retrieved per judgment (at least 1).
    embeddings : str, Embeddings or None
        Embedder of episodic memory and of guideline merging; None is the local hashing
        embedder (see :func:`~memalign_nb.memory.make_embeddings`).
    reflection_model : str, BaseChatModel or None
        LLM engine only: the chat model that distils guidelines; None uses the judge's own
        model (same endpoint and options).
    episodic_policy : str
        ``"all"`` stores every graded example; ``"disagreements"`` only those where the
        base judge's score differed from the experts' (or the judge failed).
    dimensions : sequence of str, optional
        The dimensions to align; default: every dimension of the judge with grades in the
        dataset. Other dimensions are scored by the base judge unchanged.
    base_weight, rule_weight, neighbour_weight, min_similarity : float
        Heuristic engine: how the base judge's score, matching learned rules and
        neighbour votes are weighed (:class:`~memalign_nb.align.blend.BlendWeights`).
        The defaults were chosen on generated datasets of other seeds than the bundled
        sample's.
    neighbour_mode : str
        Heuristic engine: ``"correction"`` (a neighbour carries the base judge's error on
        it over to the case) or ``"expert"`` (a neighbour votes for its expert score).
    min_support : int
        Heuristic engine: fewest supporting cases of a learned rule.
    min_precision : float
        Heuristic engine: smallest share of cases with the rule's fact value that the
        experts scored as the rule says.
    memory_tokens : int
        LLM engine: token budget of the guidelines and examples added to the prompt.
    distill_batch_size : int
        LLM engine: feedback items per reflection call.
    persist_dir : path, optional
        A new (or empty) directory the aligned judge lives in: the Chroma store is created
        there and every file of :meth:`AlignedJudge.save` is kept up to date. None keeps
        the memories in this process until saved.
    concurrency : int
        Base-judge judgments in flight at once while learning.
    progress : bool
        Show progress bars while learning.

    Attributes
    ----------
    judge_ : AlignedJudge
        The aligned judge :meth:`fit` returned.
    engine_ : str
        ``"llm"`` or ``"heuristic"`` (see :data:`ENGINES`).
    dimensions_ : tuple of str
        The aligned dimensions.
    """

    def __init__(
        self,
        *,
        semantic: bool = True,
        episodic: bool = True,
        k: int = 5,
        embeddings: Any = None,
        reflection_model: Any = None,
        episodic_policy: str = "all",
        dimensions: Sequence[str] | None = None,
        base_weight: float = 1.0,
        rule_weight: float = 1.0,
        neighbour_weight: float = 4.0,
        min_similarity: float = 0.3,
        neighbour_mode: str = "correction",
        min_support: int = 3,
        min_precision: float = 0.75,
        memory_tokens: int = 3000,
        distill_batch_size: int = 8,
        persist_dir: str | PathLike[str] | None = None,
        concurrency: int = 8,
        progress: bool = False,
    ) -> None:
        self.semantic = semantic
        self.episodic = episodic
        self.k = k
        self.embeddings = embeddings
        self.reflection_model = reflection_model
        self.episodic_policy = episodic_policy
        self.dimensions = dimensions
        self.base_weight = base_weight
        self.rule_weight = rule_weight
        self.neighbour_weight = neighbour_weight
        self.min_similarity = min_similarity
        self.neighbour_mode = neighbour_mode
        self.min_support = min_support
        self.min_precision = min_precision
        self.memory_tokens = memory_tokens
        self.distill_batch_size = distill_batch_size
        self.persist_dir = persist_dir
        self.concurrency = concurrency
        self.progress = progress

    def get_params(self) -> dict[str, Any]:
        """The constructor parameters, as scikit-learn's ``get_params`` (for tracking)."""
        return {name: value for name, value in vars(self).items() if not name.endswith("_")}

    def __repr__(self) -> str:
        changed = {
            name: value for name, value in self.get_params().items()
            if value != _DEFAULTS.get(name)
        }
        return f"MemAlign({', '.join(f'{k}={v!r}' for k, v in changed.items())})"

    def blend_weights(self) -> BlendWeights:
        """The heuristic engine's weights (validated) from these parameters."""
        from memalign_nb.align.blend import BlendWeights

        return BlendWeights(self.base_weight, self.rule_weight, self.neighbour_weight,
                            self.min_similarity, self.k, self.neighbour_mode)

    def fit(self, judge: Judge, dataset: Dataset) -> AlignedJudge:
        """Align ``judge`` with the human grades of ``dataset``.

        Unlike scikit-learn's ``fit``, this returns the fitted *judge* (also kept as
        :attr:`judge_`), so ``MemAlign(...).fit(judge, dataset).score(case, dim)`` reads as
        it should. Each call builds new memories from ``dataset`` alone; to add feedback
        to an aligned judge, use :meth:`AlignedJudge.add_feedback`.

        Parameters
        ----------
        judge : Judge
            The base judge (heuristic, LLM or any other :class:`Judge`), not an aligned one.
        dataset : Dataset
            Cases with human grades (:func:`memalign_nb.datasets.load_dataset`,
            ``Dataset.subset`` for a fold).

        Returns
        -------
        AlignedJudge

        Raises
        ------
        MemAlignError
            Invalid parameters, an aligned or non-judge ``judge``, a dataset without
            grades on the aligned dimensions, or a ``persist_dir`` that is not empty.
        UnknownNameError
            An unknown ``episodic_policy`` or ``neighbour_mode``, or a dimension the
            judge does not score.
        """
        from memalign_nb.align.aligned_judge import AlignedJudge

        weights = self._validate(judge, dataset)
        engine = _engine(judge)
        dimensions = self._dimensions(judge, dataset)
        aligned = AlignedJudge(
            judge, self, dimensions=dimensions, engine=engine, weights=weights,
            guidelines=GuidelineSet(embeddings=self.embeddings),
        )
        if self.persist_dir is not None:
            from memalign_nb.align.persistence import start_judge_dir

            start_judge_dir(aligned, self.persist_dir)
        elif self.episodic:
            from memalign_nb.memory.episodic import EpisodicMemory

            aligned.episodic = EpisodicMemory(self.embeddings)
        update = aligned.add_feedback(dataset)
        logger.info("aligned %s on %d dimensions: %s", judge.judge_id, len(dimensions), update)
        self.judge_, self.engine_, self.dimensions_ = aligned, engine, dimensions
        return aligned

    def _validate(self, judge: Judge, dataset: Dataset) -> BlendWeights:
        from memalign_nb.align.aligned_judge import AlignedJudge

        if isinstance(judge, AlignedJudge):
            raise MemAlignError(
                "the judge is already aligned: add feedback with aligned.add_feedback(dataset), "
                "or fit MemAlign on its base judge (aligned.base_judge)"
            )
        if not isinstance(judge, Judge):
            raise MemAlignError(f"expected a Judge to align, got {type(judge).__name__}")
        if not isinstance(dataset, Dataset):
            raise MemAlignError(
                f"expected a Dataset (memalign_nb.datasets.load_dataset), got "
                f"{type(dataset).__name__}"
            )
        if self.episodic_policy not in EPISODIC_POLICIES:
            raise UnknownNameError("episodic policy", str(self.episodic_policy),
                                   EPISODIC_POLICIES)
        if not (self.semantic or self.episodic):
            raise MemAlignError("nothing to align with: semantic and episodic are both False")
        for name in ("min_support", "memory_tokens", "distill_batch_size", "concurrency"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise MemAlignError(f"{name} must be an int >= 1, got {value!r}")
        if not 0 < self.min_precision <= 1:
            raise MemAlignError(f"min_precision must be in (0, 1], got {self.min_precision!r}")
        return self.blend_weights()  # validates k, the weights and min_similarity

    def _dimensions(self, judge: Judge, dataset: Dataset) -> tuple[str, ...]:
        from memalign_nb.dimensions import check_dimension

        graded = {g.dimension for g in dataset.feedback}
        if isinstance(self.dimensions, str):
            raise MemAlignError(f"dimensions must be a sequence of dimension ids, not the "
                                f"string {self.dimensions!r}")
        if self.dimensions is not None:
            chosen = tuple(dict.fromkeys(self.dimensions))
            for dimension in chosen:
                check_dimension(dimension, judge.dimensions)
        else:
            chosen = tuple(d for d in judge.dimensions if d in graded)
        if not chosen or not graded.intersection(chosen):
            raise MemAlignError(
                f"{dataset.path}: no human grades on the dimensions to align "
                f"({', '.join(chosen) or 'none of ' + judge.judge_id + ' dimensions'})"
            )
        return chosen


_DEFAULTS = MemAlign().get_params()


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
    return FeedbackUpdate(len(new), tuple(keys), stored, reflected, written, tuple(notes))


def forget_cases(aligned: AlignedJudge, case_ids: Iterable[str]) -> ForgetResult:
    """Withdraw cases from ``aligned``'s memories (see :meth:`AlignedJudge.forget`)."""
    gone = {case_ids} if isinstance(case_ids, str) else {str(c) for c in case_ids}
    grade_keys = [key for key in aligned.grades_ if key[0] in gone]
    for key in grade_keys:
        del aligned.grades_[key]
    for key in [key for key in aligned.items_ if key[0] in gone]:
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


def _rule_identity(guideline: Guideline) -> tuple[Any, ...]:
    """A rule's identity across re-learning: dimension, fact, test, value, score."""
    c = guideline.condition or {}
    return (guideline.dimension, c.get("fact"), c.get("test"), repr(c.get("value")),
            c.get("score"))


def _engine(judge: Judge) -> str:
    """``"llm"`` for an :class:`~memalign_nb.judges.llm.LLMJudge`, else ``"heuristic"``."""
    from memalign_nb.judges.llm import LLMJudge

    return "llm" if isinstance(judge, LLMJudge) else "heuristic"
