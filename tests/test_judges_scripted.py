"""Tests of memalign_nb.judges.scripted: ScriptedJudge and ScriptedChatModel."""

from __future__ import annotations

import threading

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from memalign_nb.datasets.model import Case
from memalign_nb.errors import InvalidScoreError, UnknownNameError
from memalign_nb.judges.base import Judgment
from memalign_nb.judges.parsing import JudgeReply
from memalign_nb.judges.scripted import ScriptedChatModel, ScriptedJudge
from memalign_nb.notebooks.model import Cell, Notebook


def _case(case_id: str) -> Case:
    return Case(case_id, Notebook(f"{case_id}.ipynb", (Cell(0, "code", "print(1)"),)))


# -- ScriptedJudge ----------------------------------------------------------------------


def test_scripted_judge_returns_mapped_scores_and_records_calls() -> None:
    judge = ScriptedJudge({("a", "model_use"): 3, ("b", "model_use"): 1}, rationale="why")
    first = judge.score(_case("a"), "model_use")
    assert (first.score, first.rationale, first.judge_id) == (3, "why", "scripted")
    assert judge.score(_case("b"), "model_use").score == 1
    assert judge.calls == [("a", "model_use"), ("b", "model_use")]


def test_missing_item_is_a_recorded_failure_unless_a_default_is_given() -> None:
    missing = ScriptedJudge({}).score(_case("a"), "model_use")
    assert not missing.ok and "no scripted score" in missing.error
    assert ScriptedJudge({}, default=0).score(_case("a"), "model_use").score == 0


def test_invalid_scripted_scores_are_rejected_up_front() -> None:
    with pytest.raises(InvalidScoreError, match=r"scores\[\('a', 'model_use'\)\]"):
        ScriptedJudge({("a", "model_use"): 4})
    with pytest.raises(InvalidScoreError):
        ScriptedJudge({}, default=-1)


def test_callable_scores_may_return_int_pair_or_judgment() -> None:
    def script(case: Case, dimension: str):
        if case.case_id == "pair":
            return 2, "from a pair"
        if case.case_id == "judgment":
            return Judgment(case.case_id, dimension, 0, "custom", judge_id="x")
        if case.case_id == "bad":
            return 5
        return len(case.case_id) % 4

    judge = ScriptedJudge(script, judge_id="fn")
    assert judge.score(_case("abc"), "model_use").score == 3
    assert judge.score(_case("pair"), "model_use").rationale == "from a pair"
    assert judge.score(_case("judgment"), "model_use").judge_id == "x"
    with pytest.raises(InvalidScoreError, match="ScriptedJudge callable for bad/model_use"):
        judge.score(_case("bad"), "model_use")


def test_scripted_judge_limits_its_dimensions() -> None:
    judge = ScriptedJudge({}, default=2, dimensions=("custom_dim",))
    assert judge.score(_case("a"), "custom_dim").score == 2
    with pytest.raises(UnknownNameError, match="custom_dim"):
        judge.score(_case("a"), "model_use")


# -- ScriptedChatModel -------------------------------------------------------------------


def test_replays_replies_in_order_and_records_prompts() -> None:
    model = ScriptedChatModel(replies=["first", "second"])
    assert model.invoke("one").content == "first"
    assert model.invoke([SystemMessage("sys"), HumanMessage("two")]).content == "second"
    assert model.prompt_texts == ["human: one", "system: sys\nhuman: two"]
    with pytest.raises(IndexError, match="ran out of replies at call 3"):
        model.invoke("three")
    assert ScriptedChatModel(messages=iter(["parent-style"])).invoke("x").content == "parent-style"


def test_exceptions_are_raised_and_default_reply_takes_over() -> None:
    model = ScriptedChatModel(
        replies=[TimeoutError("slow")], default_reply=lambda messages: f"n={len(messages)}"
    )
    with pytest.raises(TimeoutError, match="slow"):
        model.invoke("x")
    assert model.invoke([SystemMessage("s"), HumanMessage("h")]).content == "n=2"
    assert ScriptedChatModel(default_reply="fixed").invoke("x").content == "fixed"


def test_usage_metadata_counts_words() -> None:
    message = ScriptedChatModel(replies=["three word reply"]).invoke("a b c d")
    assert message.usage_metadata["input_tokens"] == 4
    assert message.usage_metadata["output_tokens"] == 3
    quiet = ScriptedChatModel(replies=["x"], report_usage=False).invoke("a")
    assert quiet.usage_metadata is None


def test_with_structured_output_turns_json_into_a_tool_call() -> None:
    model = ScriptedChatModel(
        replies=[
            '{"score": 2, "rationale": "json text"}',
            {"score": 3, "rationale": "dict"},
            "Score: 1 (plain text, tool ignored)",
        ]
    )
    structured = model.with_structured_output(JudgeReply, include_raw=True)
    first = structured.invoke("grade")
    assert first["parsed"] == JudgeReply(score=2, rationale="json text")
    assert first["raw"].tool_calls[0]["name"] == "JudgeReply"
    assert structured.invoke("grade")["parsed"].rationale == "dict"
    third = structured.invoke("grade")
    assert third["parsed"] is None and third["raw"].content.startswith("Score: 1")
    assert model.tool_calls_made == 2


def test_bind_tools_uses_the_named_tool_and_plain_calls_stay_text() -> None:
    def lookup(city: str) -> str:
        """Look a city up."""
        return city

    def other(x: int) -> int:
        """Another tool."""
        return x

    model = ScriptedChatModel(replies=[{"city": "Oslo"}, {"city": "Rome"}])
    bound = model.bind_tools([other, lookup], tool_choice="lookup")
    assert bound.invoke("where?").tool_calls[0]["name"] == "lookup"
    assert model.invoke("no tools").content == '{"city": "Rome"}'


def test_aimessage_replies_are_returned_as_given() -> None:
    reply = AIMessage(content="", tool_calls=[{"name": "t", "args": {"a": 1}, "id": "1"}])
    assert ScriptedChatModel(replies=[reply]).invoke("x").tool_calls[0]["args"] == {"a": 1}


def test_streaming_reuses_the_generic_fake_model() -> None:
    chunks = list(ScriptedChatModel(replies=["a b"]).stream("x"))
    assert "".join(chunk.content for chunk in chunks) == "a b"


def test_thread_safe_replay() -> None:
    model = ScriptedChatModel(replies=[str(i) for i in range(50)])
    seen: list[str] = []
    lock = threading.Lock()

    def call() -> None:
        content = model.invoke("x").content
        with lock:
            seen.append(content)

    threads = [threading.Thread(target=call) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(seen, key=int) == [str(i) for i in range(50)]
    assert len(model.prompts) == 50
