"""Alignment overhead per fold per dimension: everything ``MemAlign.fit`` does but model calls.

On the bundled sample (50 notebooks, two raters; 20 notebooks and three dimensions with
``--quick``), split into 4 cross-validation folds (2 with ``--quick``) as a study splits
it, ``MemAlign().fit`` aligns on each fold's training cases:

* LLM engine: an :class:`~memalign_nb.judges.LLMJudge` on an in-process
  :class:`~memalign_nb.judges.ScriptedChatModel` (no cache), which the base judge asks for
  every graded item and which distils the guidelines. A LangChain callback times every
  model call; the overhead is the fit's wall time minus that time: sectioning, prompts,
  reply parsing, embedding, Chroma, guideline bookkeeping.
* heuristic engine: the offline judge (whose scoring is local computation, so its whole
  fit is overhead), rules learned from facts, episodic votes.

The published MemAlign study reports about 25 s per dimension per fold, model calls
included.

Usage::

    python bench/alignment_overhead.py [--quick]
"""

from __future__ import annotations

import sys
import threading
import time
import zlib
from typing import Any

from _common import Figures, bench_main, rounded, stopwatch

FIGURES = (
    "alignment.folds",
    "alignment.dimensions",
    "alignment.llm.fit_s_per_fold_dim",
    "alignment.llm.model_s_per_fold_dim",
    "alignment.llm.overhead_s_per_fold_dim",
    "alignment.llm.calls_per_fold_dim",
    "alignment.heuristic.fit_s_per_fold_dim",
)


def _timer() -> Any:
    """A LangChain callback handler that adds up the wall time of every model call."""
    from langchain_core.callbacks import BaseCallbackHandler

    class ModelTimer(BaseCallbackHandler):
        def __init__(self) -> None:
            self.total = 0.0
            self.calls = 0
            self._started: dict[Any, float] = {}
            self._lock = threading.Lock()

        def on_chat_model_start(self, serialized: Any, messages: Any, *, run_id: Any,
                                **kwargs: Any) -> None:
            with self._lock:
                self._started[run_id] = time.perf_counter()

        def on_llm_end(self, response: Any, *, run_id: Any, **kwargs: Any) -> None:
            with self._lock:
                self.total += time.perf_counter() - self._started.pop(run_id)
                self.calls += 1

        on_llm_error = on_llm_end

    return ModelTimer()


def _reply(messages: list[Any]) -> dict[str, Any]:
    """A judgment and a guideline in one reply (each schema reads its own fields)."""
    digest = zlib.crc32("".join(m.text for m in messages[:2]).encode())
    return {
        "rationale": "scripted reply",
        "score": 1 + digest % 3,
        "guidelines": [{"text": f"Penalise leakage (rule {digest % 5}).", "source_case_ids": []}],
    }


def run(quick: bool = False) -> Figures:
    """The alignment-overhead figures (see :data:`FIGURES`)."""
    from memalign_nb.align import MemAlign
    from memalign_nb.datasets import load_dataset, sample_path
    from memalign_nb.judges import LLMJudge, ScriptedChatModel, make_judge
    from memalign_nb.study import case_folds

    dataset = load_dataset(sample_path())
    dimensions = ("data_imputation", "model_training", "metrics_evaluation") if quick else None
    if quick:
        dataset = dataset.subset([c.case_id for c in dataset.cases[:20]])
    n_folds = 2 if quick else 4
    folds = case_folds([c.case_id for c in dataset.cases], n_folds, seed=0)
    timer = _timer()
    llm = LLMJudge(ScriptedChatModel(default_reply=_reply, callbacks=[timer]), cache_dir=None)
    heuristic = make_judge("heuristic")
    fit = {"llm": 0.0, "heuristic": 0.0}
    for train, _ in folds:
        for engine, judge in (("llm", llm), ("heuristic", heuristic)):
            with stopwatch() as elapsed:
                aligned = MemAlign(dimensions=dimensions).fit(judge, dataset.subset(train))
            fit[engine] += elapsed[0]
    fits = len(folds) * len(aligned.aligned_dimensions)
    return rounded({
        "alignment.folds": len(folds),
        "alignment.dimensions": len(aligned.aligned_dimensions),
        "alignment.llm.fit_s_per_fold_dim": fit["llm"] / fits,
        "alignment.llm.model_s_per_fold_dim": timer.total / fits,
        "alignment.llm.overhead_s_per_fold_dim": (fit["llm"] - timer.total) / fits,
        "alignment.llm.calls_per_fold_dim": timer.calls / fits,
        "alignment.heuristic.fit_s_per_fold_dim": fit["heuristic"] / fits,
    })


if __name__ == "__main__":
    sys.exit(bench_main(run, __doc__, "20 notebooks, 2 folds, 3 dims"))
