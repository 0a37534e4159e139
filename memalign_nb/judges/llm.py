"""LLM judges on any LangChain chat model: :class:`LLMJudge`.

A model is named by a string that LangChain's ``init_chat_model`` understands
(``openai:gpt-4o-mini``, ``anthropic:claude-...``, ``ollama:llama3.1``; ``databricks:<endpoint>``
uses ``databricks-langchain``) or passed as a ``BaseChatModel`` object. One call per
(case, dimension): the prompt of :mod:`memalign_nb.judges.prompts`, the reply through the
provider's structured output (:data:`~memalign_nb.judges.parsing.REPLY_SCHEMA`) with a
tolerant text fallback, one re-ask naming what was wrong with a malformed reply, then a
recorded failure, never a made-up score.

Transient errors (rate limits, timeouts, 5xx) are retried by the provider client's own
machinery (``max_retries``, honouring ``Retry-After``); a model without such a setting is
wrapped in ``Runnable.with_retry`` for the same errors; a structured reply the client could
not decode (a proxy's HTML page with status 200) is retried either way
(:mod:`memalign_nb.judges.chat`).
Finished judgments are cached on disk by (model, exact prompt), so re-runs, folds and
variants never pay twice.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from sklearn.base import BaseEstimator

from memalign_nb.datasets.model import Case
from memalign_nb.dimensions import check_dimension
from memalign_nb.errors import MalformedReplyError
from memalign_nb.judges.base import Judge, Judgment
from memalign_nb.judges.cache import DEFAULT_CACHE_DIR, JudgmentCache, cache_key
from memalign_nb.judges.chat import (
    RequestCounter,
    chat_runnables,
    endpoint_of,
    make_chat_model,
    rate_limiter,
    undecodable_errors,
)
from memalign_nb.judges.parsing import REPLY_SCHEMA, JudgeReply, check_reply, parse_reply
from memalign_nb.judges.prompts import Prompt, build_prompt, reask_text
from memalign_nb.redaction import redact
from memalign_nb.rubrics.model import Rubric
from memalign_nb.sections.model import Section

logger = logging.getLogger(__name__)


class LLMJudge(Judge, BaseEstimator):
    """A judge that asks a LangChain chat model to grade each section against its rubric.

    A scikit-learn estimator: ``__init__`` only stores the parameters, so ``get_params``,
    ``set_params`` and ``sklearn.base.clone`` work; the chat model is built once, on the
    first judgment (so a missing key or provider package surfaces there).

    Parameters
    ----------
    model : str or BaseChatModel
        ``"provider:model"`` for ``init_chat_model`` (``databricks:<endpoint>`` too), or a
        chat model object used as configured (``temperature``, ``timeout``,
        ``max_retries``, ``base_url`` and ``model_kwargs`` then do not apply).
    rubrics : mapping of str to Rubric, optional
        Rubrics by dimension; the built-in nine when None. Its keys are the dimensions
        this judge scores (custom dimensions included).
    include_facts : bool
        Show the section's static-analysis facts to the model as hints. Off by default:
        the facts come from heuristics that can be wrong and would anchor the model, and a
        baseline judge should see what a human reviewer sees (rubric and cells); turn it
        on to give a weaker model the checks it tends to miss (leakage, split order).
    temperature : float
        Sampling temperature; 0 for reproducible grades.
    max_retries : int
        Retries of a transient failure (429, timeout, 5xx, connection) per call.
    timeout : float
        Seconds before one request times out (and is retried).
    requests_per_second : float, optional
        Client-side rate limit shared by all threads of this judge (LangChain's
        ``InMemoryRateLimiter``); None for no limit.
    cache_dir : path or None
        Folder of the on-disk judgment cache, relative to the working directory by
        default (``.memalign-cache``, next to the notebook); None disables caching.
    token_budget : int, optional
        Token budget of each section; the sectioner's default when None.
    base_url : str, optional
        Endpoint of an OpenAI-compatible or self-hosted server (vLLM, Ollama, a gateway).
    model_kwargs : mapping, optional
        Extra keyword arguments for the chat model class (``api_key``, ``max_tokens``...).
    structured_output : bool or str
        True uses the provider's structured output (its default method); a string picks
        the method (``"json_schema"``, ``"function_calling"``, ``"json_mode"``); False asks
        for JSON in text and parses it tolerantly (for models without tool calling).
    retry_wait : float
        First backoff in seconds of the retries memalign-nb runs itself (models without
        their own ``max_retries``); provider clients use their own backoff.

    Examples
    --------
    >>> judge = LLMJudge("openai:gpt-4o-mini", requests_per_second=5)   # doctest: +SKIP
    >>> judge.score(case, "data_imputation").score                       # doctest: +SKIP
    1
    """

    def __init__(
        self,
        model: Any,
        *,
        rubrics: Mapping[str, Rubric] | None = None,
        include_facts: bool = False,
        temperature: float = 0.0,
        max_retries: int = 3,
        timeout: float = 60.0,
        requests_per_second: float | None = None,
        cache_dir: str | PathLike[str] | None = DEFAULT_CACHE_DIR,
        token_budget: int | None = None,
        base_url: str | None = None,
        model_kwargs: Mapping[str, Any] | None = None,
        structured_output: bool | str = True,
        retry_wait: float = 1.0,
    ) -> None:
        self.model = model
        self.rubrics = rubrics
        self.include_facts = include_facts
        self.temperature = temperature
        self.max_retries = max_retries
        self.timeout = timeout
        self.requests_per_second = requests_per_second
        self.cache_dir = cache_dir
        self.token_budget = token_budget
        self.base_url = base_url
        self.model_kwargs = model_kwargs
        self.structured_output = structured_output
        self.retry_wait = retry_wait
        self._lock = threading.Lock()
        self._rubric_map: dict[str, Rubric] | None = None
        self._runtime: _Runtime | None = None

    # Not BaseEstimator's views, which list every parameter: model_kwargs may hold credentials.
    _repr_html_ = None
    _repr_mimebundle_ = None

    def __repr__(self) -> str:
        return f"LLMJudge(model={self.judge_id!r}, cache_dir={self.cache_dir!r})"

    def __getstate__(self) -> dict[str, Any]:
        # The lock and the built chat model (HTTP clients) do not pickle; both are rebuilt.
        state = self.__dict__.copy()
        state.update(_lock=None, _runtime=None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    # -- identity and rubrics -----------------------------------------------------------

    @property
    def judge_id(self) -> str:
        """The model string, or ``<llm type>:<model name>`` for a model object."""
        if isinstance(self.model, str):
            return self.model
        llm_type = getattr(self.model, "_llm_type", type(self.model).__name__)
        name = getattr(self.model, "model_name", None) or getattr(self.model, "model", None)
        return f"{llm_type}:{name}" if isinstance(name, str) else str(llm_type)

    @property
    def dimensions(self) -> tuple[str, ...]:
        """The dimensions of :attr:`rubrics` (the built-in nine by default)."""
        return tuple(self._rubrics())

    def _rubrics(self) -> dict[str, Rubric]:
        if self._rubric_map is None:
            if self.rubrics is None:
                from memalign_nb.rubrics import load_rubrics

                self._rubric_map = load_rubrics()
            else:
                self._rubric_map = dict(self.rubrics)
        return self._rubric_map

    # -- prompts and scoring ------------------------------------------------------------

    def build_prompt(
        self, case: Case, dimension: str, *, memory_text: str = "", section: Section | None = None
    ) -> Prompt:
        """The prompt this judge sends for ``case`` on ``dimension``.

        Parameters
        ----------
        case : Case
        dimension : str
        memory_text : str
            Expert guidelines and graded examples an aligned judge adds after the rubric
            (see :func:`memalign_nb.judges.prompts.render_examples`).
        section : Section, optional
            The case's section for ``dimension`` if already cut with this judge's rubrics
            and token budget (an aligned judge cuts it to query its memory); else cut here.
        """
        from memalign_nb.sections import build_section

        check_dimension(dimension, self.dimensions)
        rubric = self._rubrics()[dimension]
        if section is None:
            options = {} if self.token_budget is None else {"token_budget": self.token_budget}
            section = build_section(case.notebook, dimension, rubric=rubric, **options)
        return build_prompt(
            rubric,
            section,
            task=case.prompt,
            facts=section.facts if self.include_facts else None,
            memory_text=memory_text,
        )

    def _score(self, case: Case, dimension: str) -> Judgment:
        return self.score_prompt(case.case_id, dimension, self.build_prompt(case, dimension))

    def score_with_memory(
        self,
        case: Case,
        dimension: str,
        memory_text: str,
        *,
        retrieved_ids: Sequence[str] = (),
        metadata: Mapping[str, Any] | None = None,
        section: Section | None = None,
    ) -> Judgment:
        """Score with expert memory in the prompt: the hook aligned judges build on.

        Parameters
        ----------
        case : Case
        dimension : str
        memory_text : str
            Guidelines and retrieved graded examples, as text for the system message.
        retrieved_ids : sequence of str
            Case ids of the retrieved examples, recorded in the judgment.
        metadata : mapping, optional
            Extras for the judgment (guideline ids, ...).
        section : Section, optional
            The section already cut (see :meth:`build_prompt`).
        """
        prompt = self.build_prompt(case, dimension, memory_text=memory_text, section=section)
        return self.score_prompt(
            case.case_id, dimension, prompt, retrieved_ids=retrieved_ids, metadata=metadata
        )

    def score_prompt(
        self,
        case_id: str,
        dimension: str,
        prompt: Prompt,
        *,
        retrieved_ids: Sequence[str] = (),
        metadata: Mapping[str, Any] | None = None,
    ) -> Judgment:
        """Send ``prompt`` (cache first), read the reply, re-ask once if it is malformed.

        A call that keeps failing, or a reply still malformed after the re-ask, gives a
        judgment with ``error`` set and no score; only scored judgments are cached.
        """
        runtime = self._get_runtime()
        started = time.perf_counter()
        extras = {**prompt.metadata, **(metadata or {})}
        key = cache_key(runtime.model_id, prompt.pairs(), runtime.key_params)
        if runtime.cache is not None and (hit := runtime.cache.get(key)) is not None:
            return dataclasses.replace(
                hit,
                case_id=case_id,
                dimension=dimension,
                prompt_tokens=0,
                completion_tokens=0,
                latency_s=time.perf_counter() - started,
                retrieved_ids=tuple(retrieved_ids),
                metadata={**hit.metadata, **extras, "model_calls": 0},
            )
        exchange = _Exchange()
        reply, error = None, None
        try:
            messages = prompt.to_messages()
            reply, raw_text = self._ask(runtime, messages, exchange)
            if reply is None:
                from langchain_core.messages import AIMessage, HumanMessage

                followup = [
                    AIMessage(content=raw_text),
                    HumanMessage(content=reask_text(exchange.problems[-1])),
                ]
                reply, raw_text = self._ask(runtime, [*messages, *followup], exchange)
                if reply is None:
                    error = f"malformed reply after one re-ask: {exchange.problems[-1]}"
                    extras["raw_reply"] = raw_text[:1000]
        except Exception as exc:  # the call failed after the client's retries
            error = _failure(runtime.endpoint, exc)
        if exchange.problems:
            extras["reply_problems"] = list(exchange.problems)
        judgment = Judgment(
            case_id=case_id,
            dimension=dimension,
            score=None if reply is None else reply.score,
            rationale="" if reply is None else reply.rationale,
            judge_id=self.judge_id,
            prompt_tokens=exchange.prompt_tokens,
            completion_tokens=exchange.completion_tokens,
            latency_s=time.perf_counter() - started,
            retrieved_ids=tuple(retrieved_ids),
            error=error,
            metadata={**extras, "model_calls": exchange.sent,
                      "retries": exchange.sent - exchange.calls},
        )
        if error:
            logger.warning("%s on %s/%s: %s", self.judge_id, case_id, dimension, error)
        elif runtime.cache is not None:
            runtime.cache.put(key, judgment)
        return judgment

    def _ask(
        self, runtime: _Runtime, messages: list[Any], exchange: _Exchange
    ) -> tuple[JudgeReply | None, str]:
        """One model call; returns the valid reply (or None) and the reply as text.

        Every request it takes is counted in ``exchange.sent``, retries included: those of
        the provider's client (its HTTP requests) or of LangChain (its attempts).
        """
        exchange.calls += 1
        attempts = _Attempts()
        with runtime.requests.counting() as sent:
            try:
                result = (runtime.structured or runtime.plain).invoke(
                    messages, config={"callbacks": [attempts]}
                )
            finally:
                exchange.sent += max(sent(), attempts.count, 1)
        raw = result["raw"] if isinstance(result, dict) else result
        usage = getattr(raw, "usage_metadata", None) or {}
        exchange.prompt_tokens += int(usage.get("input_tokens", 0))
        exchange.completion_tokens += int(usage.get("output_tokens", 0))
        text = _reply_text(raw)
        parsed = result.get("parsed") if isinstance(result, dict) else None
        try:
            reply = check_reply(parsed, text) if parsed is not None else parse_reply(text)
        except MalformedReplyError as exc:
            exchange.problems.append(exc.problem)
            return None, text
        return reply, text

    # -- the chat model, built once ------------------------------------------------------

    def _get_runtime(self) -> _Runtime:
        with self._lock:
            if self._runtime is None:
                self._runtime = self._build_runtime()
            return self._runtime

    def chat_settings(self) -> dict[str, Any]:
        """Keyword arguments of :func:`~memalign_nb.judges.chat.make_chat_model` that build
        a model as this judge's, sharing its rate limiter (the reflection model of an
        aligned judge calls the same endpoint)."""
        return {
            "temperature": self.temperature,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "base_url": self.base_url,
            "rate_limiter": self._get_runtime().limiter,
            "model_kwargs": dict(self.model_kwargs or {}),
        }

    def _build_runtime(self) -> _Runtime:
        limiter = rate_limiter(self.requests_per_second)
        requests = RequestCounter()
        if isinstance(self.model, str):
            chat = make_chat_model(
                self.model,
                temperature=self.temperature,
                timeout=self.timeout,
                max_retries=self.max_retries,
                base_url=self.base_url,
                rate_limiter=limiter,
                model_kwargs=dict(self.model_kwargs or {}),
                requests=requests,
            )
            key_params: dict[str, Any] = {
                "temperature": self.temperature,
                "base_url": self.base_url,
                "model_kwargs": redact(self.model_kwargs or {}, placeholder=None),
            }
        else:
            chat = make_chat_model(self.model, rate_limiter=limiter)
            key_params = {"model": dict(chat._identifying_params)}
        key_params["structured_output"] = self.structured_output
        structured, plain = chat_runnables(
            chat,
            None if self.structured_output is False else REPLY_SCHEMA,
            method=None if isinstance(self.structured_output, bool) else self.structured_output,
            max_retries=self.max_retries,
            wait=self.retry_wait,
        )
        cache = None if self.cache_dir is None else JudgmentCache(self.cache_dir)
        return _Runtime(self.judge_id, key_params, structured, plain, cache, limiter,
                        endpoint_of(chat, fallback=self.judge_id), requests)


@dataclass(frozen=True)
class _Runtime:
    """What an :class:`LLMJudge` builds on first use."""

    model_id: str
    key_params: Mapping[str, Any]
    structured: Any
    plain: Any
    cache: JudgmentCache | None
    limiter: Any
    endpoint: str
    requests: RequestCounter


@dataclass
class _Exchange:
    """Running totals of the calls behind one judgment."""

    calls: int = 0
    sent: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    problems: list[str] = field(default_factory=list)


class _Attempts(BaseCallbackHandler):
    """Counts the times a chat model is invoked (LangChain's own retries included)."""

    def __init__(self) -> None:
        self.count = 0

    def on_chat_model_start(self, *args: Any, **kwargs: Any) -> None:
        self.count += 1


def _failure(endpoint: str, exc: Exception) -> str:
    """Why a model call failed, naming the endpoint (``Connection error.`` alone says little)."""
    what = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, undecodable_errors()):
        return (f"model call to {endpoint} failed: the reply is not the JSON the API sends "
                f"(a proxy or login page answering, or a wrong --base-url?) ({what})")
    return f"model call to {endpoint} failed: {what}"


def _reply_text(message: Any) -> str:
    """A reply as text: its tool call's arguments as JSON, else its content."""
    if calls := getattr(message, "tool_calls", None):
        return json.dumps(calls[0].get("args", {}))
    if invalid := getattr(message, "invalid_tool_calls", None):
        return str(invalid[0].get("args") or "")
    text = getattr(message, "text", "")
    return text if isinstance(text, str) else str(message)
