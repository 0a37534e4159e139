"""The small interface behind which an aligned judge's engines put memories to work.

An :class:`Engine` is chosen from the base judge (:func:`memalign_nb.align.engines.engine_for`):
the ``llm`` engine gives the memories to the model as prompt text
(:mod:`memalign_nb.align.llm_engine`), the ``heuristic`` engine uses them as data: learned
rules that correct the judge, neighbours that vote (:mod:`memalign_nb.align.heuristic_engine`).
Both read and update an :class:`~memalign_nb.align.state.AlignmentState`; the
:class:`~memalign_nb.align.AlignedJudge` does the rest (grades, examples, episodic memory,
saving).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence, Set
from typing import TYPE_CHECKING, Any, ClassVar

from memalign_nb.align.sectioning import SectionReader
from memalign_nb.align.state import AlignmentState
from memalign_nb.datasets.model import Case
from memalign_nb.judges.base import Judge, Judgment
from memalign_nb.memory.examples import Example
from memalign_nb.memory.guidelines import Guideline

if TYPE_CHECKING:
    from memalign_nb.align.memalign import MemAlign


class Engine(ABC):
    """How an aligned judge learns semantic memory and scores with its memories.

    Parameters
    ----------
    base_judge : Judge
        The judge being aligned.
    params : MemAlign
        The (validated) parameters it is aligned with.
    """

    name: ClassVar[str]
    """The engine's name, saved with the judge."""

    def __init__(self, base_judge: Judge, params: MemAlign) -> None:
        self.base_judge = base_judge
        self.params = params

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base={self.base_judge.judge_id!r})"

    @abstractmethod
    def learn(self, state: AlignmentState, examples: Sequence[Example]) -> tuple[int, int]:
        """Update semantic memory after ``examples`` (new or changed items) joined ``state``.

        Returns
        -------
        (int, int)
            Items shown to a reflection model, and guidelines or rules written.
        """

    @abstractmethod
    def forget(self, state: AlignmentState, case_ids: Set[str], dimensions: Set[str]
               ) -> list[Guideline]:
        """Update semantic memory after ``case_ids`` left ``state`` (their items of
        ``dimensions`` are gone); returns the guidelines no longer held."""

    @abstractmethod
    def score(self, state: AlignmentState, reader: SectionReader, case: Case,
              dimension: str) -> Judgment:
        """Score an aligned ``dimension`` of ``case`` with the memories of ``state``."""

    def describe(self, state: AlignmentState, dimension: str) -> dict[str, Any]:
        """Engine-specific facts of one aligned dimension for a judge's summary."""
        return {}
