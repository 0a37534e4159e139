"""The answer key of one generated case: :class:`CaseSpec`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from memalign_nb.datasets.generator.context import Style
from memalign_nb.datasets.generator.task_spec import TaskSpec

NOT_APPLICABLE = "not_applicable"
"""Practice name recorded for a dimension that does not apply (score 0)."""


@dataclass(frozen=True)
class CaseSpec:
    """The answer key of one generated case (kept in memory, never written out).

    Attributes
    ----------
    index : int
        Position of the case in any dataset generated with the same seed.
    case_id : str
        The notebook's file stem, ``<index>-<task>`` (``0007-titanic``).
    task : TaskSpec
        The problem the notebook solves.
    prompt : str
        The user's request the notebook answers.
    predicts : bool
        Whether the prompt asks for predictions on new data (else model use is 0).
    style : Style
        The author's coding habits (names, idioms, pipeline or manual steps).
    practices : Mapping[str, str]
        Dimension id -> practice name (``not_applicable`` for score 0).
    scores : Mapping[str, int]
        Dimension id -> the grade that follows from the practice (0-3).
    """

    index: int
    case_id: str
    task: TaskSpec
    prompt: str
    predicts: bool
    style: Style
    practices: Mapping[str, str] = field(hash=False)
    scores: Mapping[str, int] = field(hash=False)

    @property
    def task_type(self) -> str:
        """``classification``, ``regression`` or ``forecasting``."""
        return self.task.task_type
