"""Tests of memalign_nb.judges.registry: make_judge and the judge-engine registry."""

from __future__ import annotations

import subprocess
import sys

import pytest

from memalign_nb.errors import ModelConfigError, UnknownNameError
from memalign_nb.judges.registry import JUDGE_ENGINES, LLM_ENGINE, make_judge, resolve_engine
from memalign_nb.judges.scripted import ScriptedChatModel, ScriptedJudge


def test_builtin_engines_are_registered() -> None:
    assert {"heuristic", "llm"} <= set(JUDGE_ENGINES.names())


@pytest.mark.parametrize(
    ("model", "engine"),
    [
        ("heuristic", "heuristic"),
        ("llm", "llm"),
        ("openai:gpt-4o-mini", "llm"),
        ("ollama:llama3.1", "llm"),
        ("gpt-4o-mini", "llm"),
    ],
)
def test_resolve_engine(model: str, engine: str) -> None:
    assert resolve_engine(model) == engine


def test_model_strings_give_llm_judges_with_options_and_no_network() -> None:
    judge = make_judge("openai:gpt-4o-mini", cache_dir=None, requests_per_second=2)
    assert type(judge).__name__ == "LLMJudge"
    assert judge.judge_id == "openai:gpt-4o-mini"
    assert judge.get_params()["requests_per_second"] == 2
    assert judge.get_params()["cache_dir"] is None


def test_llm_engine_factory_and_chat_model_objects() -> None:
    named = JUDGE_ENGINES.get(LLM_ENGINE)("anthropic:claude-x", cache_dir=None)
    assert named.judge_id == "anthropic:claude-x"
    chat = ScriptedChatModel(replies=[])
    judge = make_judge(chat, cache_dir=None)
    assert judge.model is chat
    assert judge.judge_id == "scripted-chat-model"


def test_judges_pass_through() -> None:
    judge = ScriptedJudge({}, default=1)
    assert make_judge(judge) is judge
    with pytest.raises(TypeError, match="options"):
        make_judge(judge, cache_dir=None)


@pytest.mark.parametrize("model", ["  ", "llm"])
def test_a_model_must_be_named(model: str) -> None:
    with pytest.raises(ModelConfigError, match="name the model"):
        make_judge(model)


def test_third_party_engines_register_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        JUDGE_ENGINES._factories,
        "always_two",
        lambda **options: ScriptedJudge({}, default=2, **options),
    )
    judge = make_judge("always_two", judge_id="two")
    assert resolve_engine("always_two") == "always_two"
    assert judge.judge_id == "two"


def test_heuristic_engine_is_imported_on_demand() -> None:
    code = (
        "import sys\n"
        "from memalign_nb.judges import make_judge, JUDGE_ENGINES\n"
        "assert 'heuristic' in JUDGE_ENGINES.names()\n"
        "assert 'memalign_nb.judges.heuristic' not in sys.modules\n"
        "assert 'memalign_nb.judges.llm' not in sys.modules\n"
        "assert not [m for m in sys.modules if m.startswith('langchain')]\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_make_judge_heuristic() -> None:
    judge = make_judge()
    assert type(judge).__name__ == "HeuristicJudge"
    assert "data_imputation" in judge.dimensions


@pytest.mark.parametrize("typo", ["heuristc", "Heuristic ", "heurisitc"])
def test_a_misspelt_engine_is_an_unknown_judge_with_a_suggestion(typo):
    with pytest.raises(UnknownNameError) as info:
        make_judge(typo)
    assert str(info.value).startswith(f"unknown judge {typo!r} (did you mean heuristic?)")


def test_a_bare_model_name_langchain_can_place_is_still_a_model():
    assert make_judge("gpt-4o-mini", cache_dir=None).judge_id == "gpt-4o-mini"
