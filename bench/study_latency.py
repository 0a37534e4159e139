"""Study wall time against a loopback LLM with latency, by concurrency; and the cache.

An :class:`~memalign_nb.study.AlignmentStudy` (variants ``baseline`` and ``full``, 2 folds)
runs an LLM judge, ``openai:bench`` through langchain-openai, against
:class:`~memalign_nb.testing.FakeOpenAIServer` answering every call after 200 ms (50 ms
with ``--quick``), at concurrency 1, 4 and 16, each with an empty judgment cache. Next to
each wall time: the ideal, calls x latency / concurrency, and the efficiency, ideal / wall
(``efficiency_net`` first takes off the study's own overhead: the wall time of the cached
rerun, which does everything but model calls). Reflection calls (one per batch of
feedback, per dimension) run one after another, so they bound the efficiency from above.
Then the concurrency-16 study runs again on its cache: its wall time and model calls. A
warm-up study on four cases without latency comes first, unmeasured.

Usage::

    python bench/study_latency.py [--quick]
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from _common import Figures, bench_main, judge_reply, loopback_env, rounded, stopwatch

if TYPE_CHECKING:
    from memalign_nb.datasets import Dataset
    from memalign_nb.testing import FakeOpenAIServer

CONCURRENCY = (1, 4, 16)
SETTINGS = {
    # quick: (cases, dimensions, latency s)
    False: (24, ("data_imputation", "model_training", "metrics_evaluation"), 0.2),
    True: (8, ("data_imputation", "model_training"), 0.05),
}

FIGURES = (
    "study.cases", "study.dimensions", "study.latency_s", "study.calls",
    *(f"study.c{c}.{name}" for c in CONCURRENCY
      for name in ("wall_s", "ideal_s", "efficiency", "efficiency_net")),
    "study.cached.wall_s", "study.cached.calls", "study.cached.speedup",
)


def _study(server: FakeOpenAIServer, dataset: Dataset, dimensions: Sequence[str], cache: Path,
           concurrency: int) -> tuple[float, int]:
    """Wall time of one study and the requests it sent."""
    from memalign_nb.judges import LLMJudge
    from memalign_nb.study import AlignmentStudy

    before = server.request_count
    judge = LLMJudge("openai:bench", base_url=server.base_url, cache_dir=cache)
    study = AlignmentStudy(judge, n_folds=2, variants=("baseline", "full"), n_bootstrap=1000,
                           dimensions=dimensions, concurrency=concurrency, progress=False)
    with stopwatch() as elapsed:
        result = study.fit(dataset).result_
    if result.usage["failures"]:
        raise RuntimeError(f"{result.usage['failures']} judgments failed against the loopback")
    return elapsed[0], server.request_count - before


def run(quick: bool = False) -> Figures:
    """The study figures (see :data:`FIGURES`)."""
    from memalign_nb.datasets import generate_dataset, load_dataset
    from memalign_nb.testing import FakeOpenAIServer

    n_cases, dimensions, latency = SETTINGS[quick]
    figures: Figures = {"study.cases": n_cases, "study.dimensions": len(dimensions),
                        "study.latency_s": latency}
    with tempfile.TemporaryDirectory() as tmp, loopback_env(), \
            FakeOpenAIServer(judge_reply, latency=latency) as server:
        dataset = load_dataset(generate_dataset(Path(tmp) / "dataset", n_cases, seed=2))
        server.latency = 0.0  # warm-up: imports, clients, Chroma; not measured
        _study(server, dataset.subset([c.case_id for c in dataset.cases[:4]]), dimensions,
               Path(tmp) / "warm-up", 4)
        server.latency = latency
        for concurrency in CONCURRENCY:
            wall, calls = _study(server, dataset, dimensions, Path(tmp) / f"cache{concurrency}",
                                 concurrency)
            ideal = calls * latency / concurrency
            figures |= {f"study.c{concurrency}.wall_s": wall,
                        f"study.c{concurrency}.ideal_s": ideal,
                        f"study.c{concurrency}.efficiency": ideal / wall}
        figures["study.calls"] = calls
        wall, cached_calls = _study(server, dataset, dimensions, Path(tmp) / f"cache{concurrency}",
                                    concurrency)
    figures |= {"study.cached.wall_s": wall, "study.cached.calls": cached_calls,
                "study.cached.speedup": figures[f"study.c{concurrency}.wall_s"] / wall}
    for c in CONCURRENCY:  # the cached run is the study without model calls: its overhead
        figures[f"study.c{c}.efficiency_net"] = (
            figures[f"study.c{c}.ideal_s"] / max(figures[f"study.c{c}.wall_s"] - wall, 1e-9))
    return rounded(figures, 3)


if __name__ == "__main__":
    sys.exit(bench_main(run, __doc__, "8 cases, 2 dimensions, 50 ms"))
