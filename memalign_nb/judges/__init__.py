"""Judges: the :class:`Judge` interface, its engines, batch scoring, cache and doubles.

>>> from memalign_nb.judges import make_judge
>>> judge = make_judge("openai:gpt-4o-mini", requests_per_second=5)  # doctest: +SKIP
>>> judgments = judge.score_many(dataset.cases)                         # doctest: +SKIP

Engines and doubles import lazily, so importing this package does not import LangChain.
"""

from __future__ import annotations

import importlib
from typing import Any

from memalign_nb.judges.base import Judge, Judgment
from memalign_nb.judges.registry import JUDGE_ENGINES, make_judge, resolve_engine

_LAZY: dict[str, str] = {
    "LLMJudge": "memalign_nb.judges.llm",
    "HeuristicJudge": "memalign_nb.judges.heuristic",
    "ScriptedJudge": "memalign_nb.judges.scripted",
    "ScriptedChatModel": "memalign_nb.judges.scripted",
    "JudgmentCache": "memalign_nb.judges.cache",
    "BatchStats": "memalign_nb.judges.batch",
    "BatchResult": "memalign_nb.judges.batch",
    "run_batch": "memalign_nb.judges.batch",
    "run_batch_with_stats": "memalign_nb.judges.batch",
}

__all__ = [
    "JUDGE_ENGINES",
    "BatchResult",
    "BatchStats",
    "HeuristicJudge",
    "Judge",
    "Judgment",
    "JudgmentCache",
    "LLMJudge",
    "ScriptedChatModel",
    "ScriptedJudge",
    "make_judge",
    "resolve_engine",
    "run_batch",
    "run_batch_with_stats",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'memalign_nb.judges' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
