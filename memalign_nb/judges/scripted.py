"""Test doubles that ship with the package, for users' offline tests.

- :class:`ScriptedJudge`: a :class:`~memalign_nb.judges.base.Judge` with fixed scores per
  ``(case_id, dimension)`` or a callable; for testing code that consumes judgments.
- :class:`ScriptedChatModel`: a LangChain chat model that replays scripted replies
  (strings, structured dicts, messages, or exceptions to raise), records every prompt it
  receives and supports ``bind_tools`` / ``with_structured_output`` the way a
  tool-calling provider does; for testing :class:`~memalign_nb.judges.llm.LLMJudge` or any
  LangChain pipeline without a network.

>>> from memalign_nb.judges import LLMJudge, ScriptedChatModel
>>> model = ScriptedChatModel(replies=['{"score": 2, "rationale": "fine"}'])
>>> judge = LLMJudge(model, cache_dir=None)   # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from langchain_core.language_models import LanguageModelInput
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import Field, PrivateAttr, model_validator

from memalign_nb.datasets.model import Case
from memalign_nb.dimensions import DIMENSIONS, check_score
from memalign_nb.judges.base import Judge, Judgment

logger = logging.getLogger(__name__)

ScoreSource = Mapping[tuple[str, str], int] | Callable[[Case, str], Any]
"""Scores by ``(case_id, dimension)``, or a callable ``(case, dimension) -> reply``."""


class ScriptedJudge(Judge):
    """A judge that returns scripted scores, for tests.

    Parameters
    ----------
    scores : mapping or callable
        ``{(case_id, dimension): score}``, or a callable ``(case, dimension)`` returning a
        score, a ``(score, rationale)`` pair or a :class:`Judgment`. An exception it
        raises fails that item (a batch records it and goes on).
    default : int, optional
        Score for items the mapping lacks; without it such an item is recorded as a
        failure.
    rationale : str
        Rationale of mapped scores.
    judge_id : str
        The id judgments carry.
    dimensions : sequence of str
        The dimensions it accepts.

    Attributes
    ----------
    calls : list of (case_id, dimension)
        Every item asked for, in call order (thread-safe).

    Raises
    ------
    InvalidScoreError
        A mapped score or ``default`` is not an integer 0-3.
    """

    def __init__(
        self,
        scores: ScoreSource,
        *,
        default: int | None = None,
        rationale: str = "scripted",
        judge_id: str = "scripted",
        dimensions: Sequence[str] = DIMENSIONS,
    ) -> None:
        if isinstance(scores, Mapping):
            scores = {
                key: check_score(value, f"ScriptedJudge scores[{key!r}]")
                for key, value in scores.items()
            }
        self.scores = scores
        self.default = None if default is None else check_score(default, "ScriptedJudge default")
        self.rationale = rationale
        self._judge_id = judge_id
        self._dimensions = tuple(dimensions)
        self.calls: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    @property
    def judge_id(self) -> str:
        return self._judge_id

    @property
    def dimensions(self) -> tuple[str, ...]:
        return self._dimensions

    def _score(self, case: Case, dimension: str) -> Judgment:
        with self._lock:
            self.calls.append((case.case_id, dimension))
        base = Judgment(case.case_id, dimension, None, judge_id=self._judge_id)
        if callable(self.scores):
            reply = self.scores(case, dimension)
            if isinstance(reply, Judgment):
                return reply
            score, rationale = reply if isinstance(reply, tuple) else (reply, self.rationale)
            where = f"ScriptedJudge callable for {case.case_id}/{dimension}"
            return dataclasses.replace(base, score=check_score(score, where), rationale=rationale)
        score = self.scores.get((case.case_id, dimension), self.default)
        if score is None:
            missing = f"no scripted score for ({case.case_id!r}, {dimension!r})"
            return dataclasses.replace(base, error=missing)
        return dataclasses.replace(base, score=score, rationale=self.rationale)


class ScriptedChatModel(GenericFakeChatModel):
    """A chat model that replays scripted replies and records every prompt.

    A subclass of LangChain's ``GenericFakeChatModel`` (so streaming and callbacks work
    as there) that also binds tools: under ``bind_tools`` or the default
    ``with_structured_output`` (function calling with ``tool_choice="any"``), a dict reply
    or a string holding a JSON object becomes a call of the bound tool, as a
    tool-calling provider would return it; any other string stays plain content, like a
    model that ignored the tool. As in the parent class, ``stream`` yields text replies word
    by word but not tool calls; use ``invoke`` for those.

    Parameters
    ----------
    replies : sequence of reply
        Consumed one per call, in order: a string (content), a dict (structured reply),
        an ``AIMessage`` (returned as is) or an exception instance (raised, to simulate
        timeouts and rate limits).
    default_reply : reply or callable, optional
        Used once ``replies`` run out: a fixed reply, or a callable receiving the prompt
        messages and returning a reply. Without it, running out raises ``IndexError``.
    report_usage : bool
        Attach ``usage_metadata`` counting whitespace-separated words of prompt and
        reply, so token accounting can be tested.

    Attributes
    ----------
    prompts : list of list of BaseMessage
        Every prompt received, in call order (thread-safe).
    tool_calls_made : int
        How many replies were turned into tool calls.
    """

    replies: list[Any] = Field(default_factory=list)
    default_reply: Any = None
    report_usage: bool = True
    messages: Iterator[Any] = Field(default_factory=lambda: iter(()), exclude=True)
    """Inherited from ``GenericFakeChatModel``: the iterator ``replies`` are drawn from."""
    prompts: list[list[BaseMessage]] = Field(default_factory=list, exclude=True)
    tool_calls_made: int = 0
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @model_validator(mode="after")
    def _replay_replies(self) -> ScriptedChatModel:
        if self.replies:  # else keep ``messages`` as given, GenericFakeChatModel-style
            self.messages = iter(list(self.replies))
        return self

    @property
    def _llm_type(self) -> str:
        return "scripted-chat-model"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"name": self.name or "scripted"}

    @property
    def prompt_texts(self) -> list[str]:
        """Each recorded prompt as one string, ``role: content`` per message."""
        return [
            "\n".join(f"{message.type}: {message.text}" for message in prompt)
            for prompt in self.prompts
        ]

    def bind_tools(
        self,
        tools: Sequence[Any],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools (any form ``convert_to_openai_tool`` accepts) for later calls."""
        formatted = [convert_to_openai_tool(tool) for tool in tools]
        return self.bind(tools=formatted, tool_choice=tool_choice, **kwargs)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        with self._lock:
            self.prompts.append(list(messages))
            reply = next(self.messages, _EXHAUSTED)
            calls = len(self.prompts)
        if reply is _EXHAUSTED:
            if self.default_reply is None:
                raise IndexError(f"ScriptedChatModel ran out of replies at call {calls}")
            reply = self.default_reply
            if callable(reply) and not isinstance(reply, BaseException):
                reply = reply(list(messages))
        if isinstance(reply, BaseException):
            raise reply
        message = self._to_message(reply, kwargs.get("tools"), kwargs.get("tool_choice"))
        if self.report_usage and message.usage_metadata is None:
            prompt_words = sum(len(m.text.split()) for m in messages)
            reply_words = len(message.text.split()) + sum(
                len(json.dumps(call["args"]).split()) for call in message.tool_calls
            )
            message.usage_metadata = {
                "input_tokens": prompt_words,
                "output_tokens": reply_words,
                "total_tokens": prompt_words + reply_words,
            }
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _to_message(
        self, reply: Any, tools: list[dict[str, Any]] | None, tool_choice: Any
    ) -> AIMessage:
        if isinstance(reply, AIMessage):
            return reply.model_copy(deep=True)
        args = reply if isinstance(reply, Mapping) else _json_object(str(reply))
        if tools and tool_choice not in (None, "none") and args is not None:
            with self._lock:
                self.tool_calls_made += 1
                call_id = f"call_{self.tool_calls_made}"
            name = _chosen_tool(tools, tool_choice)
            return AIMessage(
                content="", tool_calls=[{"name": name, "args": dict(args), "id": call_id}]
            )
        if isinstance(reply, Mapping):
            return AIMessage(content=json.dumps(dict(reply)))
        return AIMessage(content=str(reply))


_EXHAUSTED = object()


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _chosen_tool(tools: list[dict[str, Any]], tool_choice: Any) -> str:
    """The tool a forced ``tool_choice`` names, else the first bound tool."""
    names = [tool["function"]["name"] for tool in tools]
    if isinstance(tool_choice, str) and tool_choice in names:
        return tool_choice
    if isinstance(tool_choice, Mapping):
        name = tool_choice.get("function", {}).get("name") or tool_choice.get("name")
        if name in names:
            return name
    return names[0]
