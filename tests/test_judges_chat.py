"""Tests of memalign_nb.judges.chat: the one chat model factory, rate limits and retries."""

from __future__ import annotations

import sys

import pytest

from memalign_nb.errors import MissingDependencyError, ModelConfigError
from memalign_nb.judges.chat import (
    chat_runnables,
    has_native_retries,
    make_chat_model,
    rate_limiter,
    retry_policy,
    transient_errors,
)
from memalign_nb.judges.scripted import ScriptedChatModel

SETTINGS = {"temperature": 0.0, "timeout": 7.0, "max_retries": 4}


def test_openai_models_get_timeout_retries_base_url_and_kwargs() -> None:
    pytest.importorskip("langchain_openai")
    chat = make_chat_model(
        "openai:gpt-4o-mini",
        base_url="http://127.0.0.1:9/v1",
        model_kwargs={"api_key": "dummy", "max_tokens": 300},
        **SETTINGS,
    )
    assert type(chat).__name__ == "ChatOpenAI"
    assert (chat.model_name, chat.temperature, chat.request_timeout) == ("gpt-4o-mini", 0.0, 7.0)
    assert (chat.max_retries, chat.max_tokens) == (4, 300)
    assert chat.openai_api_base == "http://127.0.0.1:9/v1"
    assert has_native_retries(chat)


def test_a_model_string_is_built_once_with_its_settings(monkeypatch) -> None:
    langchain_openai = pytest.importorskip("langchain_openai")
    built = []
    original = langchain_openai.ChatOpenAI.__init__

    def counting(self, **kwargs):
        built.append(kwargs)
        original(self, **kwargs)

    monkeypatch.setattr(langchain_openai.ChatOpenAI, "__init__", counting)
    limiter = rate_limiter(5)
    chat = make_chat_model("openai:gpt-4o-mini", rate_limiter=limiter,
                           model_kwargs={"api_key": "dummy"}, **SETTINGS)
    assert len(built) == 1 and built[0]["max_retries"] == 4 and built[0]["timeout"] == 7.0
    assert chat.rate_limiter is limiter


def test_a_model_object_is_used_as_configured_with_the_rate_limit() -> None:
    model = ScriptedChatModel()
    assert make_chat_model(model) is model
    limited = make_chat_model(model, rate_limiter=rate_limiter(2.0))
    assert limited is not model and limited.rate_limiter.requests_per_second == 2.0
    assert rate_limiter(None) is None and rate_limiter(0) is None
    with pytest.raises(ModelConfigError, match="expected a 'provider:model' string"):
        make_chat_model(42)


def test_classes_without_retry_settings_do_not_get_them() -> None:
    assert not has_native_retries(ScriptedChatModel())


@pytest.mark.filterwarnings("ignore:The 'initial' parameter:DeprecationWarning")
def test_runnables_retry_transient_errors_of_a_model_without_its_own_retries() -> None:
    flaky = ScriptedChatModel(replies=[TimeoutError("t"), "ok"])
    structured, plain = chat_runnables(flaky, None, max_retries=2, wait=0.01)
    assert structured is None
    assert plain.invoke("x").content == "ok" and len(flaky.prompts) == 2


def test_missing_credentials_and_unknown_providers_are_config_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("langchain_openai")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ModelConfigError, match="'openai:gpt-4o-mini'.*api_key") as info:
        make_chat_model("openai:gpt-4o-mini", **SETTINGS)
    assert info.value.model == "openai:gpt-4o-mini"
    with pytest.raises(ModelConfigError, match="name it as 'provider:model'") as info:
        make_chat_model("nosuchprovider:model", **SETTINGS)
    assert "Supported providers" not in str(info.value)  # not LangChain's list of 30


@pytest.mark.parametrize(
    ("model", "module", "extra"),
    [
        ("anthropic:claude-x", "langchain_anthropic", "anthropic"),
        ("ollama:llama3.1", "langchain_ollama", "ollama"),
        ("databricks:my-endpoint", "databricks_langchain", "databricks"),
    ],
)
def test_missing_provider_package_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, model: str, module: str, extra: str
) -> None:
    for name in (
        "langchain_anthropic",
        "langchain_ollama",
        "databricks_langchain",
        "langchain_community",
        "langchain_community.chat_models",
    ):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(MissingDependencyError) as info:
        make_chat_model(model, **SETTINGS)
    assert info.value.extra == extra and info.value.package == module
    assert f"pip install 'memalign-nb[{extra}]'" in str(info.value)


def test_missing_package_of_a_provider_without_an_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "langchain_groq", None)
    with pytest.raises(ModelConfigError, match="pip install langchain-groq"):
        make_chat_model("groq:llama", **SETTINGS)


def test_transient_errors_cover_langchain_and_loaded_sdks() -> None:
    import openai
    from langchain_core.exceptions import ModelRateLimitError, ModelTimeoutError

    errors = transient_errors()
    assert {TimeoutError, ConnectionError, ModelRateLimitError, ModelTimeoutError} <= set(errors)
    assert openai.RateLimitError in errors and openai.InternalServerError in errors
    assert openai.BadRequestError not in errors and ValueError not in errors


def test_retry_policy_counts_attempts_and_scales_the_backoff() -> None:
    policy = retry_policy(2, 0.05)
    assert policy["stop_after_attempt"] == 3
    assert policy["exponential_jitter_params"] == {"jitter": 0.05, "max": 60.0, "initial": 0.05}
    assert "initial" not in retry_policy(3, 1.0)["exponential_jitter_params"]


@pytest.mark.filterwarnings("ignore:The 'initial' parameter:DeprecationWarning")
def test_retry_policy_retries_only_transient_errors() -> None:
    flaky = ScriptedChatModel(replies=[TimeoutError("t"), ConnectionError("c"), "ok"])
    assert flaky.with_retry(**retry_policy(2, 0.01)).invoke("x").content == "ok"
    assert len(flaky.prompts) == 3
    fatal = ScriptedChatModel(replies=[ValueError("bad request"), "never"])
    with pytest.raises(ValueError, match="bad request"):
        fatal.with_retry(**retry_policy(2, 0.01)).invoke("x")
    assert len(fatal.prompts) == 1
