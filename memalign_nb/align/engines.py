"""The alignment engines by name, and the choice of one for a base judge."""

from __future__ import annotations

from typing import TYPE_CHECKING

from memalign_nb.align.engine import Engine
from memalign_nb.align.heuristic_engine import HeuristicEngine
from memalign_nb.align.llm_engine import LLMEngine
from memalign_nb.errors import UnknownNameError
from memalign_nb.judges.base import Judge

if TYPE_CHECKING:
    from memalign_nb.align.memalign import MemAlign

ENGINES: dict[str, type[Engine]] = {engine.name: engine for engine in (HeuristicEngine, LLMEngine)}
"""Every engine by name: ``heuristic`` (memories as data) and ``llm`` (memories as text)."""


def engine_name(judge: Judge) -> str:
    """``"llm"`` for an :class:`~memalign_nb.judges.llm.LLMJudge`, else ``"heuristic"``."""
    from memalign_nb.judges.llm import LLMJudge

    return LLMEngine.name if isinstance(judge, LLMJudge) else HeuristicEngine.name


def make_engine(name: str, judge: Judge, params: MemAlign) -> Engine:
    """The engine ``name`` for ``judge``.

    Raises
    ------
    UnknownNameError
        ``name`` is not one of :data:`ENGINES`.
    """
    if name not in ENGINES:
        raise UnknownNameError("alignment engine", name, tuple(ENGINES))
    return ENGINES[name](judge, params)
