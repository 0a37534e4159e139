"""Tests of memalign_nb.judges.parsing: the reply schema and the tolerant parser."""

from __future__ import annotations

import pytest

from memalign_nb.errors import MalformedReplyError, MemAlignError
from memalign_nb.judges.parsing import JudgeReply, check_reply, parse_reply


@pytest.mark.parametrize(
    ("text", "score", "rationale"),
    [
        ('{"score": 2, "rationale": "basic fillna"}', 2, "basic fillna"),
        ('  {"rationale": "leak", "score": 1}\n', 1, "leak"),
        ('```json\n{"score": 3, "rationale": "pipeline"}\n```', 3, "pipeline"),
        ('```\n{"score": 0, "rationale": "no missing values"}\n```', 0, "no missing values"),
        (
            'Here is my verdict: {"score": 1, "rationale": "fit on test"} Hope it helps!',
            1,
            "fit on test",
        ),
        ('{"score": 2.0, "rationale": "integral float"}', 2, "integral float"),
        ("Score: 2\nRationale: imputes after the split", 2, "imputes after the split"),
        (
            "**Score:** 3\n**Reasoning**: all transforms in a pipeline",
            3,
            "all transforms in a pipeline",
        ),
        ("The imputer is fitted on all rows.\nScore: 1", 1, "The imputer is fitted on all rows"),
    ],
)
def test_parse_reply_reads_common_reply_shapes(text: str, score: int, rationale: str) -> None:
    reply = parse_reply(text)
    assert reply.score == score
    assert reply.rationale == rationale


def test_parse_reply_prefers_the_object_with_a_score() -> None:
    text = 'Context {"cells": [1, 2]} then {"score": 1, "rationale": "second object"}'
    assert parse_reply(text).rationale == "second object"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty"),
        ("I think the notebook is quite good overall.", "no JSON object"),
        ('{"score": 7, "rationale": "too high"}', "score 7 is not an integer from 0 to 3"),
        ('{"score": -1, "rationale": "negative"}', "score -1"),
        ('{"score": 2.5, "rationale": "half"}', "score 2.5"),
        ('{"score": true, "rationale": "bool"}', "score True"),
        ('{"score": 2, "rationale": ["a list"]}', '"rationale" must be a string'),
        ("Score: 9", "score 9"),
        ('{"score": "3", "rationale": "quoted"}', "score '3' is not an integer from 0 to 3 (it is "
                                                  "text: write the number without quotes)"),
    ],
)
def test_parse_reply_rejects_unusable_replies(text: str, problem: str) -> None:
    with pytest.raises(MalformedReplyError) as info:
        parse_reply(text)
    assert problem in info.value.problem
    assert isinstance(info.value, MemAlignError)


def test_malformed_reply_error_shortens_long_replies() -> None:
    with pytest.raises(MalformedReplyError) as info:
        parse_reply("no verdict here " * 100)
    assert len(info.value.reply) == 300
    assert info.value.reply.endswith("...")


def test_check_reply_validates_structured_replies() -> None:
    assert check_reply(JudgeReply(score=3, rationale=" fine ")) == JudgeReply(
        score=3, rationale="fine"
    )
    assert check_reply({"score": 1}).rationale == ""
    with pytest.raises(MalformedReplyError, match="score 7"):
        check_reply(JudgeReply(score=7, rationale="out of range"))
    with pytest.raises(MalformedReplyError, match='no "score" field'):
        check_reply({"rationale": "missing score"})
    with pytest.raises(MalformedReplyError, match="expected a JSON object"):
        check_reply(["not", "an", "object"])  # type: ignore[arg-type]


def test_schema_puts_the_rationale_before_the_score() -> None:
    schema = JudgeReply.model_json_schema()
    assert list(schema["properties"]) == ["rationale", "score"]
    assert set(schema["required"]) == {"rationale", "score"}
