"""Judges: the :class:`Judge` interface, its engines, batch scoring, cache and doubles.

>>> from memalign_nb.judges import make_judge
>>> judge = make_judge("openai:gpt-4o-mini", requests_per_second=5)  # doctest: +SKIP
>>> judgments = judge.score_many(dataset.cases)                         # doctest: +SKIP

Engines and doubles import lazily, so importing this package does not import LangChain.
"""

from __future__ import annotations

from memalign_nb.judges.base import Judge, Judgment
from memalign_nb.judges.registry import JUDGE_ENGINES, make_judge, resolve_engine
from memalign_nb.lazy import lazy_getattr

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


__getattr__ = lazy_getattr(__name__, _LAZY)


def __dir__() -> list[str]:
    return __all__
