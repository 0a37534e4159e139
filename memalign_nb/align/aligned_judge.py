"""The aligned judge: a base judge with semantic and episodic memory, itself a :class:`Judge`.

Two engines use the memories (chosen by :class:`~memalign_nb.align.MemAlign` from the base
judge):

* ``llm`` (an :class:`~memalign_nb.judges.llm.LLMJudge`): the prompt gains, after the
  rubric, the dimension's guidelines and the ``k`` most similar graded examples (each
  excerpt fenced as untrusted data, with the experts' score and rationale), cut to fit
  ``memory_tokens``; the model then scores as usual through
  :meth:`~memalign_nb.judges.llm.LLMJudge.score_with_memory`.
* ``heuristic`` (any other judge): the base score, the learned rules the section's facts
  meet and the neighbours' expert scores are weighed into one score
  (:mod:`memalign_nb.align.blend`).

A case is never its own neighbour: retrieval excludes the scored case id. Dimensions that
were not aligned are scored by the base judge unchanged (``metadata["aligned"]`` is False).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

from memalign_nb.datasets.model import Case, Dataset
from memalign_nb.feedback.model import Grade
from memalign_nb.judges.base import Judge, Judgment
from memalign_nb.memory.episodic import EpisodicMemory
from memalign_nb.memory.examples import Example, Neighbour, excerpt
from memalign_nb.memory.guidelines import Guideline, GuidelineSet
from memalign_nb.sections.model import Section
from memalign_nb.sections.tokens import count_tokens

if TYPE_CHECKING:
    from memalign_nb.align.blend import BlendWeights
    from memalign_nb.align.calibration import Calibration
    from memalign_nb.align.learning import FeedbackUpdate, ForgetResult
    from memalign_nb.align.memalign import MemAlign
    from memalign_nb.judges.prompts import Prompt

logger = logging.getLogger(__name__)

SECTION_CACHE_SIZE = 64
"""Notebooks whose sections an aligned judge keeps (all aligned dimensions at once)."""

_MIN_EXAMPLE_TOKENS = 60  # an example cut shorter than this shows too little to help
_EXAMPLE_OVERHEAD = 40  # fence markers and the "Example n, graded ..." line


@dataclass(frozen=True)
class Recall:
    """What the memories bring to one (case, dimension).

    Attributes
    ----------
    case_id : str
        The case being scored.
    dimension : str
        The dimension being scored.
    section : Section
        The case's section for the dimension (its text is the retrieval query).
    guidelines : tuple of Guideline
        The dimension's guidelines, best supported first.
    neighbours : tuple of Neighbour
        The most similar graded examples of the dimension, never of the case itself.
    """

    case_id: str
    dimension: str
    section: Section
    guidelines: tuple[Guideline, ...]
    neighbours: tuple[Neighbour, ...]


class AlignedJudge(Judge):
    """A judge aligned with expert feedback by :class:`~memalign_nb.align.MemAlign`.

    Build one with ``MemAlign(...).fit(judge, dataset)`` or
    :func:`~memalign_nb.align.load_judge`; the constructor is their common ground.

    Parameters
    ----------
    base_judge : Judge
        The judge being aligned.
    params : MemAlign
        The (validated) parameters it was aligned with.
    dimensions : sequence of str
        The aligned dimensions.
    engine : str
        ``"llm"`` or ``"heuristic"``.
    weights : BlendWeights
        The heuristic engine's configured weights (dimensions without a calibration).
    guidelines : GuidelineSet
        Semantic memory.
    episodic : EpisodicMemory, optional
        Episodic memory; None when ``params.episodic`` is False.
    items : mapping of (case_id, dimension) to Example, optional
        Every graded item learned (whatever the episodic policy stores).
    grades : mapping of (case_id, dimension, rater) to Grade, optional
        Every human grade learned.
    calibration : mapping of str to Calibration, optional
        The heuristic engine's blend per dimension, chosen on the feedback.
    path : path, optional
        The directory the judge lives in (loaded from, or ``persist_dir``).

    Attributes
    ----------
    guidelines : GuidelineSet
        Semantic memory: iterate it for :class:`~memalign_nb.memory.Guideline` records.
    episodic : EpisodicMemory or None
        Episodic memory (``episodic.examples()`` lists what it holds).
    items_ : dict
        Every graded item learned, as reference :class:`~memalign_nb.memory.Example`
        records (expert median, joined rationales, the base judge's verdict, facts).
    grades_ : dict
        Every human grade learned, by (case_id, dimension, rater).
    calibration_ : dict
        Heuristic engine with ``calibrate``: the blend chosen per dimension by
        leave-one-out on the feedback, as :class:`~memalign_nb.align.calibration.Calibration`
        records (see :mod:`memalign_nb.align.calibration`); empty otherwise.
    path : Path or None
        The judge's directory; when set, :meth:`add_feedback` and :meth:`forget` keep
        every file in it up to date.
    """

    def __init__(
        self,
        base_judge: Judge,
        params: MemAlign,
        *,
        dimensions: Sequence[str],
        engine: str,
        weights: BlendWeights,
        guidelines: GuidelineSet,
        episodic: EpisodicMemory | None = None,
        items: Mapping[tuple[str, str], Example] | None = None,
        grades: Mapping[tuple[str, str, str], Grade] | None = None,
        calibration: Mapping[str, Calibration] | None = None,
        path: str | PathLike[str] | None = None,
    ) -> None:
        self.base_judge = base_judge
        self.params = params
        self.aligned_dimensions = tuple(dimensions)
        self.engine = engine
        self.weights = weights
        self.guidelines = guidelines
        self.episodic = episodic
        self.items_ = dict(items or {})
        self.grades_ = dict(grades or {})
        self.calibration_ = dict(calibration or {})
        self.path = Path(path) if path is not None else None
        self._lock = threading.Lock()
        self._sections: OrderedDict[int, tuple[Any, dict[str, Section]]] = OrderedDict()
        self._reflection: Any = None

    def __repr__(self) -> str:
        stored = len(self.episodic) if self.episodic is not None else 0
        return (
            f"AlignedJudge(base={self.base_judge.judge_id!r}, engine={self.engine!r}, "
            f"{len(self.aligned_dimensions)} dimensions, {len(self.guidelines)} guidelines, "
            f"{stored} examples, {len(self.items_)} graded items)"
        )

    @property
    def judge_id(self) -> str:
        """``memalign:`` and the base judge's id."""
        return f"memalign:{self.base_judge.judge_id}"

    @property
    def dimensions(self) -> tuple[str, ...]:
        """The base judge's dimensions (aligned or not)."""
        return self.base_judge.dimensions

    @property
    def grades(self) -> tuple[Grade, ...]:
        """Every human grade learned, by case, dimension and rater."""
        return tuple(self.grades_[key] for key in sorted(self.grades_))

    def summary(self) -> dict[str, dict[str, int | str]]:
        """Per aligned dimension: graded ``items``, stored ``examples``, ``guidelines`` and,
        for the heuristic engine, the ``blend`` it scores with (a calibration's choice or
        ``"global"``)."""
        stored = self.episodic.examples() if self.episodic is not None else []
        summary: dict[str, dict[str, int | str]] = {
            d: {
                "items": sum(1 for key in self.items_ if key[1] == d),
                "examples": sum(1 for e in stored if e.dimension == d),
                "guidelines": len(self.guidelines.for_dimension(d)),
            }
            for d in self.aligned_dimensions
        }
        if self.engine == "heuristic":
            for dimension, row in summary.items():
                row["blend"] = self.blend_name(dimension)
        return summary

    def weights_for(self, dimension: str) -> BlendWeights:
        """The heuristic engine's weights for ``dimension``: its calibration's, or the
        configured ones."""
        calibration = self.calibration_.get(dimension)
        return calibration.weights if calibration is not None else self.weights

    def blend_name(self, dimension: str) -> str:
        """The calibrated blend of ``dimension`` by name, ``"global"`` when not calibrated."""
        from memalign_nb.align.calibration import GLOBAL

        calibration = self.calibration_.get(dimension)
        return calibration.choice if calibration is not None else GLOBAL

    # -- learning and forgetting ----------------------------------------------------------

    def add_feedback(self, dataset: Dataset) -> FeedbackUpdate:
        """Learn the grades of ``dataset`` that are new or changed.

        A (case, dimension, rater) grade already learned with the same score and
        rationale is ignored; for the items whose grades are new or changed, the
        reference is recomputed from every grade held, the base judge scores them, their
        examples are (re)stored and, for the LLM engine, only they are shown to the
        reflection model. The heuristic engine re-learns its rules over every item held
        (a recount, no model call). Grades on dimensions that are not aligned, or on cases
        without a notebook in ``dataset``, are skipped and reported.

        Not safe to run while the judge is scoring in another thread.

        Returns
        -------
        FeedbackUpdate
        """
        from memalign_nb.align.learning import learn_feedback

        update = learn_feedback(self, dataset)
        if update.grades_added:
            self._sync()
        return update

    def forget(self, case_ids: str | Iterable[str]) -> ForgetResult:
        """Withdraw cases: their grades, their examples and the guidelines they alone support.

        For the LLM engine, a guideline loses the withdrawn cases from its provenance and
        is dropped when none is left. The heuristic engine re-learns its rules from the
        remaining feedback, so its rules are exactly those that feedback supports.

        Parameters
        ----------
        case_ids : str or iterable of str
            A single string is one case id.
        """
        from memalign_nb.align.learning import forget_cases

        result = forget_cases(self, case_ids)
        self._sync()
        return result

    def save(self, path: str | PathLike[str], *, overwrite: bool = False) -> Path:
        """Save the judge to a directory that :func:`~memalign_nb.align.load_judge` reads.

        The directory is a copy: this judge goes on living where it lived (in memory, or
        in its own :attr:`path`); the judge that ``load_judge`` returns lives in the new
        directory. See :func:`memalign_nb.align.persistence.save_judge` for the layout,
        ``overwrite`` and the errors.
        """
        from memalign_nb.align.persistence import save_judge

        return save_judge(self, path, overwrite=overwrite)

    def _sync(self) -> None:
        if self.path is not None:
            self.save(self.path, overwrite=True)

    # -- what the memories recall -----------------------------------------------------------

    def section(self, case: Case, dimension: str) -> Section:
        """The section of ``case`` for an aligned ``dimension``, as the base judge cuts it.

        Sections of the last :data:`SECTION_CACHE_SIZE` notebooks are kept, all aligned
        dimensions cut in one pass.
        """
        from memalign_nb.sections import build_sections

        key = id(case.notebook)
        with self._lock:
            hit = self._sections.get(key)
            if hit is not None and hit[0] is case.notebook:
                self._sections.move_to_end(key)
                return hit[1][dimension]
        sections = build_sections(case.notebook, self.aligned_dimensions, **self._section_options())
        with self._lock:
            self._sections[key] = (case.notebook, sections)
            while len(self._sections) > SECTION_CACHE_SIZE:
                self._sections.popitem(last=False)
        return sections[dimension]

    def recall(self, case: Case, dimension: str, *, neighbours: bool = True) -> Recall:
        """The guidelines and graded neighbours the memories hold for ``case``.

        With ``neighbours=False`` episodic memory is not searched (the heuristic engine
        does not search where its blend gives neighbours no weight).
        """
        section = self.section(case, dimension)
        found: list[Neighbour] = []
        if self.episodic is not None and neighbours:
            found = self.episodic.search(
                dimension, excerpt(section.text), k=self.params.k, exclude_case_id=case.case_id
            )
        return Recall(case.case_id, dimension, section,
                      tuple(self.guidelines.for_dimension(dimension)), tuple(found))

    def admits(self, example: Example) -> bool:
        """Whether the episodic policy stores ``example``."""
        if self.params.episodic_policy == "all":
            return True
        return example.judge_score is None or example.judge_score != example.expert_score

    def rubric_text(self, dimension: str) -> str:
        """The rubric of ``dimension`` the base judge grades with, as text."""
        from memalign_nb.rubrics import load_rubrics

        rubrics = getattr(self.base_judge, "rubrics", None) or load_rubrics()
        rubric = rubrics.get(dimension)
        return rubric.render() if rubric is not None else dimension

    def reflection_chat_model(self) -> Any:
        """The LLM engine's reflection model, built once (see ``MemAlign.reflection_model``).

        By default the judge's own model; its answers are then cached in the judge's
        ``cache_dir`` (:func:`~memalign_nb.judges.cache.response_cache`).
        """
        from memalign_nb.judges.chat import make_chat_model

        if self._reflection is None:
            spec = self.params.reflection_model
            base = self.base_judge
            if spec is None:
                spec = base.model
            if not isinstance(spec, str):
                self._reflection = spec
            elif spec == getattr(base, "model", None):  # the judge's settings and rate limit
                settings = base.chat_settings()
                if base.cache_dir is not None:  # a rerun then learns the same guidelines
                    from memalign_nb.judges.cache import response_cache

                    settings["model_kwargs"].setdefault("cache", response_cache(base.cache_dir))
                self._reflection = make_chat_model(spec, **settings)
            else:
                self._reflection = make_chat_model(spec)
        return self._reflection

    def _section_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {}
        rubrics = getattr(self.base_judge, "rubrics", None)
        if isinstance(rubrics, Mapping):
            options["rubrics"] = rubrics
        budget = getattr(self.base_judge, "token_budget", None)
        if isinstance(budget, int) and not isinstance(budget, bool):
            options["token_budget"] = budget
        return options

    # -- scoring ----------------------------------------------------------------------------

    def build_prompt(self, case: Case, dimension: str) -> Prompt:
        """LLM engine: the prompt sent for ``case``, with the memories it recalls."""
        from memalign_nb.errors import MemAlignError

        if self.engine != "llm":
            raise MemAlignError(f"{self.judge_id} uses the heuristic engine: it sends no prompt")
        recall = self.recall(case, dimension)
        text, _, _ = self._memory_text(recall)
        return self.base_judge.build_prompt(case, dimension, memory_text=text,
                                            section=recall.section)

    def _score(self, case: Case, dimension: str) -> Judgment:
        if dimension not in self.aligned_dimensions:
            judgment = self.base_judge.score(case, dimension)
            return dataclasses.replace(judgment, judge_id=self.judge_id,
                                       metadata={**judgment.metadata, "aligned": False})
        started = time.perf_counter()
        if self.engine == "llm":
            return self._score_llm(case, self.recall(case, dimension))
        return self._score_votes(case, dimension, started)

    def _score_llm(self, case: Case, recall: Recall) -> Judgment:
        text, guidelines, neighbours = self._memory_text(recall)
        judgment = self.base_judge.score_with_memory(
            case, recall.dimension, text,
            retrieved_ids=[n.example.case_id for n in neighbours],
            metadata={"aligned": True, "engine": "llm",
                      "guideline_ids": [g.id for g in guidelines],
                      "similarities": [round(n.similarity, 4) for n in neighbours]},
            section=recall.section,
        )
        return dataclasses.replace(judgment, judge_id=self.judge_id)

    def _memory_text(
        self, recall: Recall
    ) -> tuple[str, list[Guideline], list[Neighbour]]:
        """Guidelines and examples as prompt text within ``memory_tokens``."""
        from memalign_nb.judges.prompts import render_examples

        budget = self.params.memory_tokens
        guideline_budget = budget // 2 if recall.neighbours else budget
        lines, guidelines, used = [], [], 0
        for guideline in recall.guidelines:
            line = f"- {guideline.text}"
            cost = count_tokens(line)
            if used + cost > guideline_budget:
                break
            lines.append(line)
            guidelines.append(guideline)
            used += cost
        parts = []
        if lines:
            parts.append("Guidelines learned from expert feedback on this dimension:\n"
                         + "\n".join(lines))
        shown: list[tuple[str, int, str]] = []
        neighbours: list[Neighbour] = []
        for index, neighbour in enumerate(recall.neighbours):
            example = neighbour.example
            share = (budget - used) // (len(recall.neighbours) - index)
            allowance = share - _EXAMPLE_OVERHEAD - count_tokens(example.rationale)
            text = _fit(example.text or "(no cells)", allowance)
            if text is None:
                continue
            cost = count_tokens(text) + _EXAMPLE_OVERHEAD + count_tokens(example.rationale)
            shown.append((text, example.expert_score, example.rationale or "(no reason given)"))
            neighbours.append(neighbour)
            used += cost
        if shown:
            parts.append("Graded examples of similar notebook sections (the experts' scores "
                         "are the reference):\n\n" + render_examples(shown))
        return "\n\n".join(parts), guidelines, neighbours

    def _score_votes(self, case: Case, dimension: str, started: float) -> Judgment:
        from memalign_nb.align.blend import blend
        from memalign_nb.memory.rules import apply_rules

        base = self.base_judge.score(case, dimension)
        extras = {"aligned": True, "engine": "heuristic", "base_score": base.score,
                  "blend": self.blend_name(dimension)}
        if not base.ok:
            return dataclasses.replace(base, judge_id=self.judge_id,
                                       metadata={**base.metadata, **extras})
        weights = self.weights_for(dimension)
        recall = self.recall(case, dimension, neighbours=weights.neighbour_weight > 0)
        rules = apply_rules(recall.guidelines, recall.section.facts, dimension=dimension)
        decision = blend(base.score, rules, recall.neighbours, weights,
                         base_ref=self.base_judge.judge_id)
        if decision is None:  # base_weight 0 and nothing recalled: the base score stands
            return dataclasses.replace(base, judge_id=self.judge_id,
                                       metadata={**base.metadata, **extras})
        voters = {v.ref for v in decision.votes}
        calibration = self.calibration_.get(dimension)
        return dataclasses.replace(
            base,
            score=decision.score,
            rationale=decision.explain(
                base.rationale, note=calibration.describe() if calibration is not None else ""),
            judge_id=self.judge_id,
            latency_s=time.perf_counter() - started,
            retrieved_ids=tuple(n.example.case_id for n in recall.neighbours),
            metadata={
                **base.metadata, **extras, **decision.to_metadata(),
                "guideline_ids": [g.id for g, _ in rules if g.id in voters],
            },
        )


def _fit(text: str, allowance: int) -> str | None:
    """``text`` excerpted to about ``allowance`` tokens; None when that is too few."""
    if allowance < _MIN_EXAMPLE_TOKENS:
        return None
    cut, chars, tokens = text, len(text), count_tokens(text)
    while tokens > allowance:
        chars = int(chars * allowance / tokens * 0.9)
        cut = excerpt(text, chars)
        tokens = count_tokens(cut)
    return cut
