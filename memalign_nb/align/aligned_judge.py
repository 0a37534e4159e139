"""The aligned judge: a base judge with semantic and episodic memory, itself a :class:`Judge`.

What the judge learned lives in one :class:`~memalign_nb.align.state.AlignmentState`; how
the memories are put to work is its :class:`~memalign_nb.align.engine.Engine`'s business,
chosen from the base judge: the ``llm`` engine for an
:class:`~memalign_nb.judges.llm.LLMJudge` (memories as prompt text,
:mod:`memalign_nb.align.llm_engine`), the ``heuristic`` engine for any other judge
(rules that correct the judge and neighbours that vote, :mod:`memalign_nb.align.heuristic_engine`).

A case is never its own neighbour: retrieval excludes the scored case id. Dimensions that
were not aligned are scored by the base judge unchanged (``metadata["aligned"]`` is False).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

from memalign_nb.align.engine import Engine
from memalign_nb.align.recall import Recall, recall
from memalign_nb.align.sectioning import SectionReader
from memalign_nb.align.state import AlignmentState, GradeKey, ItemKey
from memalign_nb.datasets.model import Case, Dataset
from memalign_nb.errors import MemAlignError
from memalign_nb.feedback.model import Grade
from memalign_nb.judges.base import Judge, Judgment
from memalign_nb.memory.examples import Example
from memalign_nb.memory.guidelines import GuidelineSet
from memalign_nb.sections.model import Section

if TYPE_CHECKING:
    from memalign_nb.align.calibration import Calibration
    from memalign_nb.align.learning import FeedbackUpdate, ForgetResult
    from memalign_nb.align.memalign import MemAlign
    from memalign_nb.judges.prompts import Prompt
    from memalign_nb.memory.episodic import EpisodicMemory

logger = logging.getLogger(__name__)


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
    engine : Engine
        How the memories are used (its base judge is ``base_judge``).
    state : AlignmentState
        What the judge has learned.
    path : path, optional
        The directory the judge lives in (loaded from, or ``persist_dir``).

    Attributes
    ----------
    state : AlignmentState
        What the judge has learned: guidelines, episodic memory, graded items, grades and
        the heuristic engine's blend per dimension.
    engine : Engine
        ``engine.name`` is ``"llm"`` or ``"heuristic"``.
    path : Path or None
        The judge's directory; when set, :meth:`add_feedback` and :meth:`forget` keep
        every file in it up to date.
    """

    def __init__(self, base_judge: Judge, params: MemAlign, *, engine: Engine,
                 state: AlignmentState, path: str | PathLike[str] | None = None) -> None:
        if engine.base_judge is not base_judge:
            raise MemAlignError("the engine must use the aligned judge's base judge")
        self.base_judge = base_judge
        self.params = params
        self.engine = engine
        self.state = state
        self.path = Path(path) if path is not None else None
        self.reader = SectionReader(base_judge, state.dimensions)

    def __repr__(self) -> str:
        stored = len(self.episodic) if self.episodic is not None else 0
        return (
            f"AlignedJudge(base={self.base_judge.judge_id!r}, engine={self.engine.name!r}, "
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
    def aligned_dimensions(self) -> tuple[str, ...]:
        """The dimensions the memories score."""
        return self.state.dimensions

    @property
    def guidelines(self) -> GuidelineSet:
        """Semantic memory: iterate it for :class:`~memalign_nb.memory.Guideline` records."""
        return self.state.guidelines

    @property
    def episodic(self) -> EpisodicMemory | None:
        """Episodic memory (``episodic.examples()`` lists what it holds), or None."""
        return self.state.episodic

    @property
    def items_(self) -> dict[ItemKey, Example]:
        """Every graded item learned, as reference :class:`~memalign_nb.memory.Example`
        records (expert median, joined rationales, the base judge's verdict, facts)."""
        return self.state.items

    @property
    def grades_(self) -> dict[GradeKey, Grade]:
        """Every human grade learned, by (case_id, dimension, rater)."""
        return self.state.grades

    @property
    def calibration_(self) -> dict[str, Calibration]:
        """Heuristic engine with ``calibrate``: the blend chosen per dimension on the
        feedback (:mod:`memalign_nb.align.calibration`); empty otherwise."""
        return self.state.calibration

    @property
    def grades(self) -> tuple[Grade, ...]:
        """Every human grade learned, by case, dimension and rater."""
        return tuple(self.state.grades[key] for key in sorted(self.state.grades))

    def summary(self) -> dict[str, dict[str, Any]]:
        """Per aligned dimension: graded ``items``, stored ``examples``, ``guidelines`` and
        what the engine adds (the heuristic engine: the ``blend`` it scores with)."""
        stored = self.episodic.examples() if self.episodic is not None else []
        return {
            d: {
                "items": sum(1 for key in self.items_ if key[1] == d),
                "examples": sum(1 for e in stored if e.dimension == d),
                "guidelines": len(self.guidelines.for_dimension(d)),
                **self.engine.describe(self.state, d),
            }
            for d in self.aligned_dimensions
        }

    # -- learning and forgetting ----------------------------------------------------------

    def add_feedback(self, dataset: Dataset) -> FeedbackUpdate:
        """Learn the grades of ``dataset`` that are new or changed.

        A (case, dimension, rater) grade already learned with the same score and
        rationale is ignored; for the items whose grades are new or changed, the
        reference is recomputed from every grade held, the base judge scores them, their
        examples are (re)stored and the engine updates semantic memory: the LLM engine
        shows only those items to the reflection model, the heuristic engine re-learns
        its rules over every item held (a recount, no model call). Grades on dimensions
        that are not aligned, or on cases without a notebook in ``dataset``, are skipped
        and reported.

        Not safe to run while the judge is scoring in another thread.

        Returns
        -------
        FeedbackUpdate
        """
        from memalign_nb.align.learning import learn_feedback

        update = learn_feedback(self.state, self.engine, self.reader, dataset)
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

        result = forget_cases(self.state, self.engine, case_ids)
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

        return save_judge(path, self.state, params=self.params, base_judge=self.base_judge,
                          engine=self.engine.name, judge_id=self.judge_id,
                          summary=self.summary(), home=self.path, overwrite=overwrite)

    def _sync(self) -> None:
        if self.path is not None:
            self.save(self.path, overwrite=True)

    # -- what the memories recall -----------------------------------------------------------

    def section(self, case: Case, dimension: str) -> Section:
        """The section of ``case`` for an aligned ``dimension``, as the base judge cuts it."""
        return self.reader.section(case, dimension)

    def recall(self, case: Case, dimension: str, *, neighbours: bool = True) -> Recall:
        """The guidelines and graded neighbours the memories hold for ``case``.

        With ``neighbours=False`` episodic memory is not searched.
        """
        return recall(self.state, self.reader, case, dimension, k=self.params.k,
                      neighbours=neighbours)

    # -- scoring ----------------------------------------------------------------------------

    def build_prompt(self, case: Case, dimension: str) -> Prompt:
        """LLM engine: the prompt sent for ``case``, with the memories it recalls."""
        from memalign_nb.align.llm_engine import LLMEngine

        if not isinstance(self.engine, LLMEngine):
            raise MemAlignError(f"{self.judge_id} uses the {self.engine.name} engine: it "
                                "sends no prompt")
        return self.engine.build_prompt(self.state, self.reader, case, dimension)

    def _score(self, case: Case, dimension: str) -> Judgment:
        if dimension not in self.aligned_dimensions:
            judgment = self.base_judge.score(case, dimension)
            return dataclasses.replace(judgment, judge_id=self.judge_id,
                                       metadata={**judgment.metadata, "aligned": False})
        judgment = self.engine.score(self.state, self.reader, case, dimension)
        return dataclasses.replace(judgment, judge_id=self.judge_id)
