"""Side by side with the reference: MLflow's ``MemAlignOptimizer`` and memalign-nb.

Both align on the same graded notebooks and score the same held-out notebooks, against
the same :class:`~memalign_nb.testing.FakeOpenAIServer` (no latency), one judgment at a
time; the server's request log gives each side's model calls and prompt characters, and
:func:`memalign_nb.sections.count_tokens` their tokens (one tokenizer for both). The
per-judgment overhead is the wall time per judgment: with a zero-latency server it is all
client side (each side's first judgment, which pays for imports and clients, is left out).

Notebooks: the real Kaggle notebooks of ``../shared/corpus/real`` (the bundled sample when
absent); the first two thirds are graded, the rest scored, on three dimensions (8 graded
and 4 scored notebooks on one dimension with ``--quick``). The corpus has no human grades,
so the offline heuristic judge's score and rationale stand in for them: both sides learn
the very same grades, and the comparison is one of cost, not of accuracy.

memalign-nb: ``MemAlign(k=5)`` on an :class:`~memalign_nb.judges.LLMJudge` (``openai:bench``,
no cache), which sends the rubric and the dimension's section, plus guidelines and
excerpts of the five nearest graded examples. MLflow: ``make_judge`` with the same rubric,
``{{ inputs }}`` the task and ``{{ outputs }}`` the whole notebook (MLflow judges read
what they are given), aligned by ``MemAlignOptimizer(retrieval_k=5)``, which puts five
whole graded examples in the prompt. Each side embeds the way it does by default:
memalign-nb in process with its local hashing embedder, MLflow through an embeddings
endpoint (LiteLLM, ``openai:/bench-embed``), which the loopback server answers with that
same hashing embedder, so both retrieve by the same vectors and the figures count MLflow's
embedding calls. MLflow's judge and reflection model go through LiteLLM (and DSPy), routed
to the loopback server by ``OPENAI_BASE_URL``; LiteLLM's model price map is read from its
local copy (``LITELLM_LOCAL_MODEL_COST_MAP``).

The MLflow side needs ``dspy`` (the ``mlflow-memalign`` extra); without it, or with an
MLflow that has no ``MemAlignOptimizer``, it is skipped and the figures say why.

Targets: memalign-nb's prompt at most a quarter of MLflow's, its per-judgment overhead at
most a tenth.

Usage::

    python bench/vs_mlflow_memalign.py [--quick]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from _common import (
    Figures,
    bench_main,
    judge_reply,
    loopback_env,
    request_schema,
    request_text,
    rounded,
)
from tokens import cases, whole_text

if TYPE_CHECKING:
    from memalign_nb.datasets import Case, Dataset
    from memalign_nb.feedback import Grade
    from memalign_nb.testing import FakeOpenAIServer

SIDES = ("ours", "mlflow")
MEASURES = ("align_s", "align_calls", "judgments", "calls_per_judgment",
            "embedding_calls_per_judgment", "prompt_chars_per_judgment",
            "prompt_tokens_per_judgment", "overhead_s_per_judgment")
FIGURES = (
    *(f"vs_mlflow.{side}.{m}" for side in SIDES for m in MEASURES),
    "vs_mlflow.prompt_chars_ratio", "vs_mlflow.prompt_tokens_ratio", "vs_mlflow.overhead_ratio",
)
SETTINGS = {False: (("model_training", "model_use", "data_imputation"), None),
            True: (("data_imputation",), 12)}
"""quick -> (dimensions, notebooks)."""


OFFLINE = {
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # LiteLLM would fetch its price map
    "MLFLOW_MODEL_CATALOG_URI": "",  # MLflow would fetch its model catalog from GitHub
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "MLFLOW_ENABLE_ASYNC_TRACE_LOGGING": "false",  # feedback needs its trace stored first
}
"""Settings that keep MLflow, DSPy and LiteLLM off the network (and traces synchronous)."""


def skip_reason() -> str | None:
    """Why MLflow's MemAlign cannot run here, or None when it can.

    Finding MLflow's optimizer imports its package, which loads LiteLLM: call it with
    :data:`OFFLINE` set.
    """
    from importlib.util import find_spec

    if find_spec("dspy") is None:
        return ("dspy is not installed: MLflow's MemAlignOptimizer needs it "
                "(`make bench` installs it in .venv-bench, or pip install "
                "'memalign-nb[mlflow-memalign]')")
    if find_spec("mlflow.genai.judges.optimizers.memalign") is None:
        return "this MLflow has no MemAlignOptimizer (mlflow>=3.5 has it)"
    return None


def _stand_in_grades(graded: Sequence[Case], dimensions: Sequence[str]) -> list[Grade]:
    """The heuristic judge's verdicts as the expert grades both sides learn from."""
    from memalign_nb.feedback.model import Grade
    from memalign_nb.judges import make_judge

    judge = make_judge("heuristic")
    return [
        Grade(j.case_id, j.dimension, j.score, j.rationale or "no reason", rater="stand-in")
        for j in judge.score_many(graded, dimensions, progress=False)
    ]


def _judge_requests(server: FakeOpenAIServer, start: int) -> list[dict[str, Any]]:
    """Judgment requests since ``start`` (reflection requests left out)."""
    return [r for r in server.requests[start:] if "guidelines" not in repr(request_schema(r)[1])]


def _measure(server: FakeOpenAIServer, score_one: Callable[[Case, str], Any],
             held_out: Sequence[tuple[Case, str]]) -> dict[str, float]:
    """Score ``held_out`` one by one; per-judgment calls, prompt size and wall time."""
    from memalign_nb.sections import count_tokens

    score_one(*held_out[0])  # warm-up: imports, clients, first retrieval
    start, embedded = server.request_count, server.embedding_count
    began = time.perf_counter()
    for item in held_out[1:]:
        score_one(*item)
    wall = time.perf_counter() - began
    requests = _judge_requests(server, start)
    n = len(held_out) - 1
    texts = [request_text(r) for r in requests]
    return {
        "judgments": n,
        "calls_per_judgment": len(requests) / n,
        "embedding_calls_per_judgment": (server.embedding_count - embedded) / n,
        "prompt_chars_per_judgment": sum(map(len, texts)) / n,
        "prompt_tokens_per_judgment": sum(map(count_tokens, texts)) / n,
        "overhead_s_per_judgment": wall / n,
    }


def _ours(server: FakeOpenAIServer, train: Dataset, held_out: Sequence[tuple[Case, str]],
          dimensions: Sequence[str]) -> dict[str, float]:
    from memalign_nb.align import MemAlign
    from memalign_nb.judges import LLMJudge

    judge = LLMJudge("openai:bench", base_url=server.base_url, cache_dir=None)
    start, began = server.request_count, time.perf_counter()
    aligned = MemAlign(k=5, dimensions=dimensions).fit(judge, train)
    figures = {"align_s": time.perf_counter() - began,
               "align_calls": server.request_count - start}
    return figures | _measure(server, aligned.score, held_out)


def _mlflow(server: FakeOpenAIServer, train: Dataset, held_out: Sequence[tuple[Case, str]],
            dimensions: Sequence[str], folder: Path) -> dict[str, float]:
    os.environ.update(DSPY_CACHEDIR=str(folder / "dspy"),
                      OPENAI_BASE_URL=server.base_url, OPENAI_API_BASE=server.base_url)
    import dspy
    import mlflow
    from mlflow.entities import AssessmentSource, AssessmentSourceType
    from mlflow.genai.judges import make_judge
    from mlflow.genai.judges.optimizers import MemAlignOptimizer

    from memalign_nb.rubrics import load_rubrics

    dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=False)  # as ours: none
    mlflow.set_tracking_uri(f"sqlite:///{folder / 'mlflow.db'}")
    mlflow.set_experiment("memalign-nb-bench")
    expert = AssessmentSource(source_type=AssessmentSourceType.HUMAN, source_id="stand-in")
    traces = []
    for case in train.cases:
        with mlflow.start_span(name="notebook") as span:
            span.set_inputs({"task": case.prompt})
            span.set_outputs({"notebook": whole_text(case.notebook)})
        for grade in (g for g in train.feedback if g.case_id == case.case_id):
            mlflow.log_feedback(trace_id=span.trace_id, name=grade.dimension, value=grade.score,
                                rationale=grade.rationale, source=expert)
        traces.append(span.trace_id)
    traces = [mlflow.get_trace(trace_id) for trace_id in traces]
    rubrics = load_rubrics()
    judges, align_s, start = {}, 0.0, server.request_count
    for dimension in dimensions:
        judge = make_judge(
            name=dimension, model="openai:/bench", feedback_value_type=int,
            base_url=f"{server.base_url}/chat/completions",  # MLflow posts to it as is
            instructions=rubrics[dimension].render() + "\n\nThe task: {{ inputs }}\n"
            "The notebook: {{ outputs }}\n\nScore 1 (bad), 2 or 3 (good); 0 if not applicable.",
        )
        began = time.perf_counter()
        judges[dimension] = judge.align(traces=traces, optimizer=MemAlignOptimizer(
            reflection_lm="openai:/bench", embedding_model="openai:/bench-embed",
            retrieval_k=5))
        align_s += time.perf_counter() - began
    figures = {"align_s": align_s, "align_calls": server.request_count - start}

    def score(case: Case, dimension: str) -> Any:
        return judges[dimension](inputs={"task": case.prompt},
                                 outputs={"notebook": whole_text(case.notebook)})

    return figures | _measure(server, score, held_out)


def run(quick: bool = False) -> Figures:
    """The side-by-side figures (see :data:`FIGURES`); MLflow's are None when skipped."""
    from memalign_nb.datasets import Dataset
    from memalign_nb.testing import FakeOpenAIServer

    dimensions, limit = SETTINGS[quick]
    found = cases(False)[:limit]
    cut = len(found) * 2 // 3
    graded, scored = found[:cut], found[cut:]
    train = Dataset("corpus", tuple(graded), tuple(_stand_in_grades(graded, dimensions)))
    held_out = [(case, dim) for case in scored for dim in dimensions]
    figures: Figures = {}
    with tempfile.TemporaryDirectory() as tmp, loopback_env():
        saved = dict(os.environ)
        os.environ.update(OFFLINE)  # before anything imports LiteLLM (finding MLflow's does)
        try:
            reason = skip_reason()
            with FakeOpenAIServer(judge_reply) as server:
                sides = {"ours": _ours(server, train, held_out, dimensions)}
                if reason is None:
                    sides["mlflow"] = _mlflow(server, train, held_out, dimensions, Path(tmp))
        finally:
            os.environ.clear()
            os.environ.update(saved)
    for side, values in sides.items():
        figures |= {f"vs_mlflow.{side}.{m}": values[m] for m in MEASURES}
    if reason is not None:
        figures |= {f"vs_mlflow.mlflow.{m}": None for m in MEASURES}
        figures["vs_mlflow.skipped"] = reason
        figures |= dict.fromkeys(FIGURES[-3:])
        return rounded(figures)
    for ratio, measure in zip(FIGURES[-3:], ("prompt_chars", "prompt_tokens", "overhead_s"),
                              strict=True):
        key = f"{measure}_per_judgment"
        figures[ratio] = sides["ours"][key] / sides["mlflow"][key]
    return rounded(figures)


if __name__ == "__main__":
    sys.exit(bench_main(run, __doc__, "12 notebooks, one dimension"))
