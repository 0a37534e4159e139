"""Fault injection: alignment studies through a loopback LLM that fails on purpose.

Every study runs an LLM judge (``openai:bench`` through langchain-openai) against one
:class:`~memalign_nb.testing.FakeOpenAIServer` (one ``base_url``, so runs share cache
keys) with variants ``baseline`` and ``full``: judgments, reflection calls distilling
guidelines, and aligned judgments with guidelines and retrieved examples in the prompt.

1. 20% of requests fail: rate limits, timeouts, 200s with an HTML body and replies that
   are not judgments (``bench/_common.py`` ``FaultInjector``). The study completes; at
   most 1% of judgments are unscored, each carrying its error; a rerun with the same
   cache requests exactly the unscored judgments and ends with the results of a run that
   never saw a fault.
2. An outage: every request about one dimension fails. Its judgments are unscored and
   listed; once the server is back, a rerun requests only them (and the reflection calls
   that failed) and again ends with the fault-free results.
"""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from memalign_nb.datasets import Dataset, generate_dataset, load_dataset
from memalign_nb.errors import MemAlignWarning
from memalign_nb.judges import Judgment
from memalign_nb.judges.llm import LLMJudge
from memalign_nb.study import AlignmentStudy, StudyResult, save_study
from memalign_nb.testing import FakeOpenAIServer, ServerReply

pytest.importorskip(
    "langchain_openai",
    reason="langchain-openai is missing: the whole file needs the dev extra, "
    "pip install -e '.[dev]'",
)
pytestmark = [
    pytest.mark.slow,
    # LangChain's with_retry names the first wait 'initial', deprecated by tenacity
    pytest.mark.filterwarnings("ignore:The 'initial' parameter:DeprecationWarning"),
]

REPO = Path(__file__).resolve().parents[1]
DIMS = ("data_imputation", "feature_engineering", "model_training", "metrics_evaluation")
DOWN = "metrics_evaluation"


def _bench_common() -> Any:
    spec = importlib.util.spec_from_file_location("bench_common", REPO / "bench" / "_common.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


common = _bench_common()


def _study(server: FakeOpenAIServer, responder: Any, dataset: Dataset, cache: Path,
           dimensions: tuple[str, ...] = DIMS, timeout: float = 10.0) -> dict[str, Any]:
    """One study with ``responder`` answering; its result and the requests it made.

    ``kinds`` counts the distinct requests by schema name: a request sent again by the
    client's own transport retry (a reply slower than ``timeout`` on a loaded machine) is
    the same call, not a second one, and ``requests`` still counts every arrival.
    """
    server.responder = responder
    server.reset()
    judge = LLMJudge("openai:bench", base_url=server.base_url, cache_dir=cache,
                     timeout=timeout, max_retries=3, retry_wait=0.05)
    result = AlignmentStudy(judge, n_folds=2, variants=("baseline", "full"), n_bootstrap=200,
                            dimensions=dimensions, progress=False).fit(dataset).result_
    distinct = {json.dumps(request["messages"], sort_keys=True): request
                for request in server.requests}
    kinds = Counter(common.request_schema(request)[0] for request in distinct.values())
    return {"result": result, "requests": server.request_count, "kinds": kinds,
            "prompts": set(distinct)}


def _scores(result: StudyResult) -> dict[tuple[str, str, str], int | None]:
    return {(v, j.case_id, j.dimension): j.score
            for v, js in result.judgments.items() for j in js}


def _unscored(result: StudyResult) -> list[Judgment]:
    return [j for js in result.judgments.values() for j in js if not j.ok]


@pytest.fixture(scope="module")
def server():
    with common.loopback_env(), FakeOpenAIServer() as fake:
        yield fake


@pytest.fixture(scope="module")
def faults(server: FakeOpenAIServer, tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("faults")
    dataset = load_dataset(generate_dataset(root / "dataset", 40, seed=5))
    clean = _study(server, common.judge_reply, dataset, root / "clean-cache")
    injector = common.FaultInjector(0.2, delay=3.0, seed=1)
    faulty = _study(server, injector, dataset, root / "cache", timeout=1.0)
    # a longer timeout than the faulty run's: transport settings must not miss the cache
    rerun = _study(server, common.judge_reply, dataset, root / "cache")
    return {"clean": clean, "faulty": faulty, "rerun": rerun, "injector": injector,
            "root": root}


def test_a_fifth_of_the_requests_failed_in_every_way(faults: dict) -> None:
    injected = faults["injector"].faults
    assert set(injected) == set(common.FaultInjector.KINDS)
    share = sum(injected.values()) / faults["faulty"]["requests"]
    assert 0.12 < share < 0.28


def test_the_study_completes_with_at_most_one_percent_unscored(faults: dict) -> None:
    result = faults["faulty"]["result"]
    total = sum(len(js) for js in result.judgments.values())
    assert total == 2 * 40 * len(DIMS)
    assert len(_unscored(result)) <= 0.01 * total
    assert result.usage["failures"] == len(_unscored(result))


def test_every_unscored_judgment_is_listed_with_its_error(faults: dict, tmp_path: Path) -> None:
    result = faults["faulty"]["result"]
    for judgment in _unscored(result):
        assert judgment.score is None and judgment.error
        assert judgment.error.startswith(("model call failed", "malformed reply"))
    paths = save_study(result, tmp_path / "out")
    rows = [json.loads(line) for line in paths.judgments_jsonl.read_text().splitlines()]
    listed = {(r["case_id"], r["dimension"], r["error"]) for r in rows if r["score"] is None}
    assert listed == {(j.case_id, j.dimension, j.error) for j in _unscored(result)}


def test_the_rerun_requests_only_the_unscored_judgments(faults: dict) -> None:
    faulty, rerun = faults["faulty"]["result"], faults["rerun"]["result"]
    # An unscored baseline judgment is asked again when its case trains a fold (and then
    # cached), so the rerun asks for at most the unscored ones, once each, and no more.
    assert len(faults["rerun"]["prompts"]) <= len(_unscored(faulty))
    assert set(faults["rerun"]["kinds"]) <= {"JudgeReply"}
    assert rerun.usage["model_calls"] == len(faults["rerun"]["prompts"])  # no re-asks
    assert rerun.usage["failures"] == 0
    before = {(v, j.case_id, j.dimension): j for v, js in faulty.judgments.items() for j in js}
    for variant, judgments in rerun.judgments.items():
        for judgment in judgments:
            if before[(variant, judgment.case_id, judgment.dimension)].ok:
                assert judgment.cached, (variant, judgment.case_id, judgment.dimension)


def test_the_rerun_ends_with_the_fault_free_results(faults: dict) -> None:
    clean, rerun = faults["clean"]["result"], faults["rerun"]["result"]
    assert _scores(rerun) == _scores(clean)
    assert None not in _scores(rerun).values()
    assert rerun.guidelines == clean.guidelines
    assert rerun.to_dict()["dimensions"] == clean.to_dict()["dimensions"]


def _outage(request: dict[str, Any]) -> Any:
    """503 for every request about :data:`DOWN` (its judgments and its reflection)."""
    if DOWN in common.request_text(request, first=1):
        return ServerReply.error(503, retry_after=0.01)
    return common.judge_reply(request)


@pytest.fixture(scope="module")
def outage(server: FakeOpenAIServer, tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("outage")
    dataset = load_dataset(generate_dataset(root / "dataset", 12, seed=6))
    dims = ("data_imputation", DOWN)
    clean = _study(server, common.judge_reply, dataset, root / "clean-cache", dims)
    with pytest.warns(MemAlignWarning, match=f"distilling {DOWN}"):
        down = _study(server, _outage, dataset, root / "cache", dims)
    rerun = _study(server, common.judge_reply, dataset, root / "cache", dims)
    return {"clean": clean, "down": down, "rerun": rerun}


def test_an_outage_leaves_its_judgments_unscored_and_the_rest_scored(outage: dict) -> None:
    result = outage["down"]["result"]
    unscored = _unscored(result)
    assert {j.dimension for j in unscored} == {DOWN}
    assert len(unscored) == 2 * 12  # baseline and full, every case
    assert all("503" in j.error for j in unscored)
    assert all(j.ok for js in result.judgments.values() for j in js if j.dimension != DOWN)


def test_after_an_outage_the_rerun_requests_only_what_failed(outage: dict) -> None:
    rerun = outage["rerun"]
    reflections = outage["clean"]["kinds"]["Distillation"] // 2  # those of the DOWN dimension
    assert rerun["kinds"] == Counter({"JudgeReply": 2 * 12, "Distillation": reflections})
    assert _scores(rerun["result"]) == _scores(outage["clean"]["result"])
