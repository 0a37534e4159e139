"""Chat models: :func:`make_chat_model`, the one factory of every chat model memalign-nb
calls (an LLM judge's, the reflection model that distils guidelines), with its retries and
rate limit.

A ``"provider:model"`` string becomes a LangChain chat model through LangChain's own
``init_chat_model`` (``databricks:<endpoint>`` through ``databricks-langchain``), built
once. The providers of :data:`PROVIDERS` get ``timeout`` and ``max_retries``, so their
client retries rate limits, timeouts and 5xx with its own backoff; a model whose class has
no ``max_retries`` (another provider, an object) gets :func:`retry_policy` through
``Runnable.with_retry`` instead (:func:`chat_runnables`), which also retries responses the
client could not decode, which no client retries by itself. A rate limit is a LangChain
``InMemoryRateLimiter`` (:func:`rate_limiter`) shared by every call of the model.

A missing provider package raises :class:`~memalign_nb.errors.MissingDependencyError`
naming the ``memalign-nb[extra]`` to install; anything else that stops the model from being
built (unknown provider, missing API key) raises
:class:`~memalign_nb.errors.ModelConfigError`.

Every request is counted, retries included: a model class that takes an ``http_client``
(the OpenAI family) gets one whose request hook counts what the provider client sends,
its own retries too (:class:`RequestCounter`); for the others, LangChain's callbacks count
each attempt the model is invoked for. :func:`endpoint_of` names where requests go, for
error messages.
"""

from __future__ import annotations

import contextvars
import importlib
import json
import logging
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from memalign_nb.errors import MissingDependencyError, ModelConfigError

logger = logging.getLogger(__name__)

PROVIDER_EXTRAS: dict[str, tuple[str, str]] = {
    "openai": ("langchain_openai", "openai"),
    "azure_openai": ("langchain_openai", "openai"),
    "anthropic": ("langchain_anthropic", "anthropic"),
    "ollama": ("langchain_ollama", "ollama"),
    "databricks": ("databricks_langchain", "databricks"),
}
"""Provider -> (its LangChain module, the ``memalign-nb[extra]`` that installs it)."""

PROVIDERS: dict[str, str] = {
    "openai": "ChatOpenAI",
    "azure_openai": "AzureChatOpenAI",
    "anthropic": "ChatAnthropic",
    "ollama": "ChatOllama",
    "databricks": "ChatDatabricks",
}
"""Provider -> its chat model class in the module of :data:`PROVIDER_EXTRAS`: the
providers whose ``timeout`` and ``max_retries`` settings memalign-nb passes."""

_TRANSIENT_NAMES: dict[str, tuple[str, ...]] = {
    "openai": ("APITimeoutError", "APIConnectionError", "RateLimitError", "InternalServerError"),
    "anthropic": ("APITimeoutError", "APIConnectionError", "RateLimitError", "InternalServerError"),
    "httpx": ("TimeoutException", "NetworkError"),
}


class RequestCounter:
    """Counts the HTTP requests each call sends through one client, retries included.

    :meth:`hook` is an ``httpx`` request hook. The count lives in a context variable, so
    each calling thread has its own, and it follows the call into the worker threads
    LangChain runs parts of a chain in (they copy the caller's context).
    """

    def __init__(self) -> None:
        self._count: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
            f"memalign_nb_requests_{id(self)}", default=None
        )

    def hook(self, request: Any) -> None:
        """Count one request (``httpx`` ``event_hooks={"request": [counter.hook]}``)."""
        box = self._count.get()
        if box is not None:
            box[0] += 1

    @contextmanager
    def counting(self) -> Iterator[Callable[[], int]]:
        """Count the requests made inside the block; yields a function reading the count."""
        box = [0]
        token = self._count.set(box)
        try:
            yield lambda: box[0]
        finally:
            self._count.reset(token)


def endpoint_of(chat: Any, fallback: str = "") -> str:
    """Where a chat model sends its requests (its base URL), or ``fallback``."""
    for name in ("openai_api_base", "base_url", "anthropic_api_url", "api_base", "endpoint"):
        value = getattr(chat, name, None)
        if isinstance(value, str) and value:
            return value
    for name in ("root_client", "client", "_client"):
        url = getattr(getattr(chat, name, None), "base_url", None)
        if url is not None and not callable(url):
            return str(url)
    return fallback


def make_chat_model(
    model: Any,
    *,
    temperature: float = 0.0,
    timeout: float = 60.0,
    max_retries: int = 3,
    base_url: str | None = None,
    rate_limiter: Any = None,
    model_kwargs: Mapping[str, Any] | None = None,
    requests: RequestCounter | None = None,
) -> Any:
    """The chat model ``model`` names, built once with these settings.

    Parameters
    ----------
    model : str or BaseChatModel
        ``"provider:model"`` as ``init_chat_model`` reads it, or ``"databricks:<endpoint>"``;
        a chat model object is used as configured (only ``rate_limiter`` applies to it).
    temperature : float
    timeout, max_retries
        Seconds per request and retries of a transient failure, passed to the classes of
        :data:`PROVIDERS` (which have these settings).
    base_url : str, optional
        The provider class's ``base_url``.
    rate_limiter : BaseRateLimiter, optional
        LangChain rate limiter shared by every call of the model (:func:`rate_limiter`).
    model_kwargs : mapping, optional
        Further keyword arguments of the model class (``api_key``, ``max_tokens``...).
    requests : RequestCounter, optional
        Counts every request, given to classes that take an ``http_client`` (unless
        ``model_kwargs`` brings one).

    Raises
    ------
    MissingDependencyError
        The provider's LangChain package is not installed.
    ModelConfigError
        Not a model string or chat model, an unknown provider, missing credentials or a
        rejected option.
    """
    from langchain_core.language_models import BaseChatModel

    if isinstance(model, BaseChatModel):
        return model if rate_limiter is None else model.model_copy(
            update={"rate_limiter": rate_limiter})
    if not isinstance(model, str):
        raise ModelConfigError(
            repr(model), "expected a 'provider:model' string or a LangChain BaseChatModel")
    provider, _, name = model.partition(":")
    kwargs: dict[str, Any] = {"temperature": temperature, **(model_kwargs or {})}
    if base_url is not None:
        kwargs["base_url"] = base_url
    if rate_limiter is not None:
        kwargs["rate_limiter"] = rate_limiter
    try:
        if provider in PROVIDERS:
            fields = _field_names(_chat_class(provider))
            settings = {"timeout": timeout, "max_retries": max_retries}
            kwargs.update({k: v for k, v in settings.items() if k in fields})
            if requests is not None and "http_client" in fields and "http_client" not in kwargs:
                kwargs["http_client"] = _counting_client(requests)
        if provider == "databricks":
            return _chat_class(provider)(model=name, **kwargs)
        from langchain.chat_models import init_chat_model

        return init_chat_model(model, **kwargs)
    except ImportError as exc:
        if provider not in PROVIDER_EXTRAS:
            raise ModelConfigError(model, str(exc)) from exc
        raise MissingDependencyError(*PROVIDER_EXTRAS[provider]) from exc
    except Exception as exc:  # unknown provider, missing API key, bad option
        if isinstance(exc, ValueError) and "Unable to infer model provider" in str(exc):
            raise ModelConfigError(
                model,
                "neither a judge engine (heuristic) nor a model LangChain knows the provider "
                "of; name it as 'provider:model', such as 'openai:gpt-4o-mini' or "
                "'ollama:llama3.1'",
            ) from exc
        raise ModelConfigError(model, f"{type(exc).__name__}: {exc}") from exc


def rate_limiter(requests_per_second: float | None) -> Any:
    """A LangChain ``InMemoryRateLimiter`` for ``requests_per_second``; None for no limit."""
    if not requests_per_second:
        return None
    from langchain_core.rate_limiters import InMemoryRateLimiter

    rps = float(requests_per_second)
    return InMemoryRateLimiter(requests_per_second=rps, check_every_n_seconds=min(0.1, 0.5 / rps))


def chat_runnables(
    chat: Any, schema: Any, *, max_retries: int, wait: float, method: str | None = None
) -> tuple[Any, Any]:
    """What to invoke: ``chat`` answering in ``schema`` (None when the model has no
    structured output, or ``schema`` is None) and ``chat`` answering in text.

    The structured runnable (``include_raw=True``) retries :func:`with_retries`' errors.
    The plain one does too for a model without its own ``max_retries``; a client with
    its own retries is left as it is, since an undecodable body fails there as a
    ``ValueError``, which cannot be told from a bad request.
    """
    structured = None
    if schema is not None:
        options = {} if method is None else {"method": method}
        try:
            structured = chat.with_structured_output(schema, include_raw=True, **options)
        except NotImplementedError:
            logger.info("%s has no structured output; reading JSON from text",
                        type(chat).__name__)
    plain = chat if has_native_retries(chat) else with_retries(chat, chat, max_retries, wait)
    if structured is not None:
        structured = with_retries(structured, chat, max_retries, wait)
    return structured, plain


def _counting_client(requests: RequestCounter) -> Any:
    """An ``httpx.Client`` as the OpenAI SDK makes its own, counting every request."""
    hooks = {"request": [requests.hook]}
    try:
        from openai import DefaultHttpxClient
    except ImportError:
        import httpx

        return httpx.Client(event_hooks=hooks)
    return DefaultHttpxClient(event_hooks=hooks)


def has_native_retries(chat: Any) -> bool:
    """Whether the chat model's class has its own ``max_retries`` (its client retries)."""
    return "max_retries" in _field_names(type(chat))


def transient_errors() -> tuple[type[BaseException], ...]:
    """Exception types worth retrying: timeouts, lost connections, rate limits, 5xx.

    LangChain's provider-neutral model errors, plus provider SDK classes when their module
    is already imported (it is, whenever a model of that provider is in use).
    """
    from langchain_core.exceptions import (
        ModelAPIError,
        ModelConnectionError,
        ModelRateLimitError,
        ModelTimeoutError,
    )

    found: list[type[BaseException]] = [
        TimeoutError,
        ConnectionError,
        ModelRateLimitError,
        ModelAPIError,
        ModelConnectionError,
        ModelTimeoutError,
    ]
    for module_name, names in _TRANSIENT_NAMES.items():
        module = sys.modules.get(module_name)
        found += [getattr(module, name) for name in names if hasattr(module, name)]
    return tuple(found)


def undecodable_errors() -> tuple[type[BaseException], ...]:
    """Exception types of a response the client could not decode, worth a retry.

    A 200 whose body is not the expected JSON (an HTML page from a proxy, a truncated
    body) passes the provider client's retries, which go by status code, and fails later
    as a ``json.JSONDecodeError``, the ``openai`` client's ``APIResponseValidationError``,
    or, once LangChain reads the text it got back as a completion object, an
    ``AttributeError``.
    """
    found: list[type[BaseException]] = [json.JSONDecodeError, AttributeError]
    openai = sys.modules.get("openai")
    if hasattr(openai, "APIResponseValidationError"):
        found.append(openai.APIResponseValidationError)
    return tuple(found)


def with_retries(runnable: Any, chat: Any, max_retries: int, wait: float) -> Any:
    """``runnable`` (``chat`` or a runnable built on it) retrying what the client does not.

    A chat model with its own ``max_retries`` retries rate limits, timeouts and 5xx in its
    client, so only :func:`undecodable_errors` are retried here; other models get
    :func:`transient_errors` retried as well.
    """
    errors = undecodable_errors()
    if not has_native_retries(chat):
        errors = transient_errors() + errors
    return runnable.with_retry(**retry_policy(max_retries, wait, errors))


def retry_policy(
    max_retries: int, wait: float, errors: tuple[type[BaseException], ...] | None = None
) -> dict[str, Any]:
    """Keyword arguments of ``Runnable.with_retry`` for ``errors`` (transient by default).

    Up to ``max_retries`` retries, waiting ``wait`` * 2^n seconds plus up to ``wait`` of
    jitter. LangChain names the first wait ``initial``, which tenacity 9.1 deprecates for
    ``multiplier`` (a name LangChain drops); it is passed only when it differs from the
    default of 1 s, so the default warns about nothing.
    """
    backoff = {"jitter": wait, "max": max(wait, 60.0)}
    if wait != 1:
        backoff["initial"] = wait
    return {
        "retry_if_exception_type": transient_errors() if errors is None else errors,
        "stop_after_attempt": max_retries + 1,
        "exponential_jitter_params": backoff,
    }


def _chat_class(provider: str) -> type:
    """The chat model class of a provider of :data:`PROVIDERS` (ImportError if missing)."""
    module = importlib.import_module(PROVIDER_EXTRAS[provider][0])
    return getattr(module, PROVIDERS[provider])


def _field_names(cls: type) -> set[str]:
    """Field names and aliases of a pydantic model class."""
    fields = getattr(cls, "model_fields", {})
    return set(fields) | {f.alias for f in fields.values() if getattr(f, "alias", None)}
