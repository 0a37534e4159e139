"""Reading a judge model's reply: the structured-output schema and a tolerant JSON parser.

A judge asks for ``{"rationale": str, "score": int}``. Models that support structured
output (tool calling or a JSON schema) return it as a dict following :data:`REPLY_SCHEMA`;
the rest reply in text, which :func:`parse_reply` reads tolerantly: plain JSON, JSON in a
code fence, JSON followed or preceded by prose, or a bare ``Score: 2`` line. Whatever the
route, the score must be an integer from 0 to 3 (:func:`check_reply`); anything else
raises :class:`~memalign_nb.errors.MalformedReplyError`, whose ``problem`` the judge sends
back to the model when it re-asks.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from memalign_nb.dimensions import check_score
from memalign_nb.errors import InvalidScoreError, MalformedReplyError

logger = logging.getLogger(__name__)

_FENCE = re.compile(r"```[a-zA-Z0-9_-]*\s*\n?(.*?)```", re.DOTALL)
_SCORE_LINE = re.compile(r"\bscore\b\**\s*[:=]?\s*\**\s*(-?\d+(?:\.\d+)?)", re.IGNORECASE)
_RATIONALE_LINE = re.compile(r"\b(?:rationale|reason(?:ing)?)\b\**\s*[:=]\s*(.+)", re.I | re.S)


class JudgeReply(BaseModel):
    """A judgment of one notebook dimension: the reasons first, then the score."""

    # This docstring and the field descriptions are sent to the model as the schema's
    # documentation; the rationale comes first so that a model writing fields in order
    # reasons before it scores.
    model_config = ConfigDict(extra="ignore")

    rationale: str = Field(
        description="Two to four sentences citing the cells that decided the score."
    )
    score: int = Field(
        description="1 (bad), 2 (acceptable) or 3 (good) per the rubric; 0 = not applicable."
    )


REPLY_SCHEMA: dict[str, Any] = JudgeReply.model_json_schema()
""":class:`JudgeReply` as a JSON schema, what judges hand to ``with_structured_output``.

A dict schema (rather than the class) makes providers return plain dicts, so a reply
that breaks the schema still reaches :func:`check_reply` / :func:`parse_reply` as text
instead of failing inside the client, and the judge can re-ask.
"""


def check_reply(reply: JudgeReply | Mapping[str, Any], raw: str = "") -> JudgeReply:
    """Validate a structured reply: a score from 0 to 3 and a string rationale.

    Parameters
    ----------
    reply : JudgeReply or mapping
        What the model returned.
    raw : str
        The reply as text, quoted in the error.

    Raises
    ------
    MalformedReplyError
        A field is missing or the score is not an integer from 0 to 3.
    """
    if isinstance(reply, JudgeReply):
        values: Mapping[str, Any] = reply.model_dump()
    elif isinstance(reply, Mapping):
        values = reply
    else:
        raise MalformedReplyError(raw or repr(reply), "expected a JSON object")
    raw = raw or json.dumps(dict(values), default=str)
    if "score" not in values:
        raise MalformedReplyError(raw, 'the JSON object has no "score" field')
    try:
        score = check_score(values["score"])
    except InvalidScoreError as exc:
        raise MalformedReplyError(raw, str(exc)) from None
    rationale = values.get("rationale", "")
    if not isinstance(rationale, str):
        raise MalformedReplyError(raw, '"rationale" must be a string')
    return JudgeReply(score=score, rationale=rationale.strip())


def parse_reply(text: str) -> JudgeReply:
    """Read a judgment from a model's free-text reply.

    Tried in order: the whole text as JSON; each fenced code block; the first JSON object
    with a ``score`` key anywhere in the text; a ``Score: N`` line (the rationale is then
    a ``Rationale:`` line, or the rest of the text).

    Raises
    ------
    MalformedReplyError
        No judgment could be read, or its score is not an integer from 0 to 3.

    Examples
    --------
    >>> parse_reply('```json\\n{"score": 2, "rationale": "ok"}\\n```').score
    2
    >>> parse_reply("Score: 1\\nRationale: imputer fitted on the full data").rationale
    'imputer fitted on the full data'
    """
    text = text.strip()
    if not text:
        raise MalformedReplyError(text, "the reply is empty")
    obj = _find_json_object(text)
    if obj is not None:
        return check_reply(obj, text)
    match = _SCORE_LINE.search(text)
    if match is None:
        raise MalformedReplyError(text, 'no JSON object with a "score" and no "Score: N" line')
    number = float(match.group(1))
    rationale_match = _RATIONALE_LINE.search(text)
    if rationale_match:
        rationale = rationale_match.group(1)
    else:
        rationale = (text[: match.start()] + text[match.end() :]).strip(" \n.:-*")
    return check_reply({"score": number, "rationale": rationale.strip()}, text)


def _find_json_object(text: str) -> dict[str, Any] | None:
    """The first JSON object with a ``score`` key in ``text``, or None."""
    candidates = [text, *(block.strip() for block in _FENCE.findall(text))]
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, dict) and "score" in value:
            return value
    decoder = json.JSONDecoder()
    for start in (m.start() for m in re.finditer(r"\{", text)):
        try:
            value, _ = decoder.raw_decode(text, start)
        except ValueError:
            continue
        if isinstance(value, dict) and "score" in value:
            return value
    return None
