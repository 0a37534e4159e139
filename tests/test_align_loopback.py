"""Integration: MemAlign's LLM engine through langchain-openai to a loopback server.

The base judge and the reflection model are ``openai:<name>`` models pointed at
:class:`~memalign_nb.testing.FakeOpenAIServer` on 127.0.0.1; structured output, retries and
HTTP are the ``openai`` client's own. The server answers judge prompts with a score and
reflection prompts with guidelines citing the batch's case ids.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

import pytest

from memalign_nb.align import MemAlign, load_judge
from memalign_nb.datasets import Dataset, generate_dataset, load_dataset
from memalign_nb.judges.llm import LLMJudge
from memalign_nb.testing import FakeOpenAIServer

pytest.importorskip(
    "langchain_openai",
    reason="langchain-openai is missing: the whole file needs the dev extra, "
    "pip install -e '.[dev]'",
)

DIM = "model_use"
SECRET = "sk-loopback-secret"


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Dataset:
    data = load_dataset(generate_dataset(tmp_path_factory.mktemp("ds") / "ds", 9, seed=31))
    return dataclasses.replace(data, feedback=tuple(g for g in data.feedback
                                                    if g.dimension == DIM))


def respond(request: dict[str, Any]) -> dict[str, Any]:
    system, human = (m["content"] for m in request["messages"][:2])
    if "You calibrate an automated grader" not in system:
        return {"rationale": "the model predicts on the new data", "score": 3}
    ids = re.search(r"Case ids in this batch: (.*)\.", human).group(1).split(", ")
    return {"guidelines": [
        {"text": "Score 1 when preprocessing is refitted on the new data before predicting.",
         "source_case_ids": ids[:2]},
        {"text": "Penalise predictions that are never written out with their ids.",
         "source_case_ids": [ids[-1], "not-in-batch"]},
    ]}


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with FakeOpenAIServer(responder=respond) as fake:
        yield fake


def judge(server: FakeOpenAIServer) -> LLMJudge:
    return LLMJudge("openai:judge-model", base_url=server.base_url, cache_dir=None,
                    timeout=5.0, max_retries=1, model_kwargs={"api_key": SECRET})


def messages(request: dict[str, Any]) -> tuple[str, str]:
    system, human = (m["content"] for m in request["messages"][:2])
    return system, human


def test_fit_distils_scores_and_round_trips_through_the_server(dataset, server, tmp_path,
                                                               monkeypatch):
    ids = [c.case_id for c in dataset.cases]
    train, held_out = dataset.subset(ids[:6]), dataset.subset(ids[6:]).cases

    aligned = MemAlign(k=2, distill_batch_size=6).fit(judge(server), train)
    reflections = [r for r in server.requests if "You calibrate" in messages(r)[0]]
    assert len(server.requests) == 6 + 1 and len(reflections) == 1
    _, shown = messages(reflections[0])
    assert shown.count("<<<BEGIN UNTRUSTED NOTEBOOK SECTION") == 6
    assert "The judge scored 3: the model predicts on the new data" in shown
    guidelines = aligned.guidelines.for_dimension(DIM)
    assert [g.source_case_ids for g in guidelines] == [tuple(sorted(ids[:2])), (ids[5],)]

    before = len(server.requests)
    judgment = aligned.score(held_out[0], DIM)
    assert judgment.score == 3 and len(server.requests) == before + 1
    system, human = messages(server.requests[-1])
    assert all(g.text in system for g in guidelines)
    assert system.count("<<<BEGIN UNTRUSTED EXAMPLE") == 2 == len(judgment.retrieved_ids)
    assert aligned.section(held_out[0], DIM).text.rstrip() in human  # the case, fenced
    assert "<<<BEGIN UNTRUSTED NOTEBOOK SECTION" in human
    # The examples shown are the neighbours by section profile (code, facts, finding).
    profile = aligned.reader.profile(held_out[0], DIM)
    assert profile.facts and profile.finding.startswith(f"{DIM}.")
    nearest = aligned.episodic.search(DIM, profile, k=2, exclude_case_id=held_out[0].case_id)
    assert judgment.retrieved_ids == tuple(n.example.case_id for n in nearest)
    assert all(n.example.rationale.split(" | ")[0][:30] in system for n in nearest)

    own = aligned.score(train.cases[0], DIM)
    assert train.cases[0].case_id not in own.retrieved_ids  # never its own neighbour

    root = aligned.save(tmp_path / "judge")
    assert SECRET not in "".join(p.read_text() for p in root.glob("*.json*"))
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    loaded = load_judge(root)
    again = loaded.score(held_out[0], DIM)
    assert (again.score, again.retrieved_ids) == (judgment.score, judgment.retrieved_ids)
    assert messages(server.requests[-1]) == (system, human)  # the very same prompt
    assert server.requests[-1]["response_format"]["json_schema"]["name"] == "JudgeReply"
    assert reflections[0]["response_format"]["json_schema"]["name"] == "Distillation"
    assert json.loads((root / "config.json").read_text())["base_judge"]["options"][
        "base_url"] == server.base_url
