"""Tests of memalign_nb.judges.llm: LLMJudge on a scripted LangChain chat model."""

from __future__ import annotations

import pickle
import sys
import time
from pathlib import Path

import pytest
from sklearn.base import clone

from memalign_nb.datasets.model import Case
from memalign_nb.errors import MissingDependencyError, ModelConfigError, UnknownNameError
from memalign_nb.judges.batch import run_batch_with_stats
from memalign_nb.judges.llm import LLMJudge
from memalign_nb.judges.scripted import ScriptedChatModel
from memalign_nb.notebooks.model import Cell, Notebook
from memalign_nb.rubrics.model import Rubric

# LangChain passes ``initial`` to tenacity, which deprecates it; the tests use tiny waits.
pytestmark = pytest.mark.filterwarnings("ignore:The 'initial' parameter:DeprecationWarning")

GOOD = '{"rationale": "mean imputation on the full frame before the split", "score": 1}'
DIM = "data_imputation"


def _case(case_id: str = "titanic", extra: str = "") -> Case:
    cells = (
        Cell(0, "markdown", "# Titanic survival"),
        Cell(
            1, "code", "import pandas as pd\nfrom sklearn.model_selection import train_test_split"
        ),
        Cell(2, "code", "df = pd.read_csv('titanic_train.csv')\ndf.isna().sum()"),
        Cell(3, "code", "df['Age'] = df['Age'].fillna(df['Age'].mean())" + extra),
        Cell(4, "code", "X_train, X_test, y_train, y_test = train_test_split(X, y)"),
        Cell(
            5,
            "code",
            "from sklearn.ensemble import RandomForestClassifier\n"
            "model = RandomForestClassifier().fit(X_train, y_train)",
        ),
    )
    return Case(
        case_id,
        Notebook(f"{case_id}.ipynb", cells),
        prompt="Who survived?",
        task_type="classification",
    )


def _judge(
    *replies: object, default_reply: object = None, **options: object
) -> tuple[LLMJudge, ScriptedChatModel]:
    model = ScriptedChatModel(replies=list(replies), default_reply=default_reply)
    options.setdefault("cache_dir", None)
    options.setdefault("retry_wait", 0.01)
    return LLMJudge(model, **options), model


def test_structured_reply_becomes_a_judgment_with_tokens_and_latency() -> None:
    judge, model = _judge(GOOD)
    judgment = judge.score(_case(), DIM)
    assert judgment.ok and judgment.score == 1
    assert judgment.rationale.startswith("mean imputation")
    assert judgment.judge_id == "scripted-chat-model"
    assert judgment.prompt_tokens > 100 and judgment.completion_tokens > 5
    assert judgment.latency_s > 0
    assert judgment.metadata["model_calls"] == 1
    assert 3 in judgment.metadata["cell_indices"]
    assert model.tool_calls_made == 1  # went through with_structured_output
    system, human = model.prompts[0]
    assert "(data_imputation)" in system.text and "0 = not applicable" in system.text
    assert "Who survived?" in human.text
    assert "fillna(df['Age'].mean())" in human.text


def test_text_reply_without_a_tool_call_is_parsed_tolerantly() -> None:
    judge, _ = _judge("Score: 2\nRationale: fills Age after the split")
    judgment = judge.score(_case(), DIM)
    assert (judgment.score, judgment.rationale) == (2, "fills Age after the split")


def test_structured_output_can_be_turned_off() -> None:
    judge, model = _judge("```json\n" + GOOD + "\n```", structured_output=False)
    assert judge.score(_case(), DIM).score == 1
    assert model.tool_calls_made == 0


def test_malformed_reply_is_reasked_once_naming_the_problem() -> None:
    judge, model = _judge("The notebook is fine overall.", GOOD)
    judgment = judge.score(_case(), DIM)
    assert judgment.score == 1
    assert judgment.metadata["model_calls"] == 2
    assert judgment.metadata["reply_problems"] == [
        'no JSON object with a "score" and no "Score: N" line'
    ]
    followup = model.prompts[1]
    assert [m.type for m in followup] == ["system", "human", "ai", "human"]
    assert followup[2].text == "The notebook is fine overall."
    assert "could not be used: no JSON object" in followup[3].text
    first_usage = judgment.prompt_tokens
    assert first_usage > sum(len(m.text.split()) for m in model.prompts[0])


def test_out_of_range_score_twice_is_a_recorded_failure_never_a_score(tmp_path: Path) -> None:
    bad = '{"rationale": "excellent", "score": 7}'
    judge, model = _judge(bad, bad, cache_dir=tmp_path)
    judgment = judge.score(_case(), DIM)
    assert not judgment.ok and judgment.score is None
    assert judgment.error == (
        "malformed reply after one re-ask: score 7 is not an integer from 0 to 3"
    )
    assert judgment.metadata["raw_reply"] == '{"rationale": "excellent", "score": 7}'
    assert len(model.prompts) == 2
    assert not list(tmp_path.rglob("*.json"))  # failures are not cached


def test_transient_errors_are_retried_then_succeed() -> None:
    judge, model = _judge(
        TimeoutError("read timed out"), ConnectionError("reset"), GOOD, max_retries=3
    )
    judgment = judge.score(_case(), DIM)
    assert judgment.score == 1
    assert len(model.prompts) == 3
    assert (judgment.metadata["model_calls"], judgment.metadata["retries"]) == (3, 2)


def test_persistent_transient_errors_become_a_failure_after_max_retries() -> None:
    judge, model = _judge(*[ConnectionError("refused")] * 5, max_retries=1)
    judgment = judge.score(_case(), DIM)
    assert judgment.error == "model call to scripted-chat-model failed: ConnectionError: refused"
    assert len(model.prompts) == 2


def test_non_transient_errors_are_not_retried() -> None:
    judge, model = _judge(ValueError("400 bad request"), GOOD)
    assert judge.score(_case(), DIM).error == (
        "model call to scripted-chat-model failed: ValueError: 400 bad request")
    assert len(model.prompts) == 1


def test_second_run_is_served_from_the_cache(tmp_path: Path) -> None:
    cases = [_case("a"), _case("b", extra="\n# b differs")]
    dims = (DIM, "model_training")
    first, _ = _judge(default_reply=GOOD, cache_dir=tmp_path)
    result = run_batch_with_stats(first, cases, dims, 2, False)
    assert result.stats.calls == 4 and result.stats.cache_hits == 0
    second, replay = _judge(cache_dir=tmp_path)  # no replies: any call would fail
    again = run_batch_with_stats(second, cases, dims, 2, False)
    assert replay.prompts == []
    assert again.stats.calls == 0 and again.stats.cache_hits == 4
    assert again.stats.prompt_tokens == 0
    assert [(j.case_id, j.dimension, j.score) for j in again.judgments] == [
        (j.case_id, j.dimension, j.score) for j in result.judgments
    ]
    assert all(j.cached for j in again.judgments)


def test_failures_are_retried_on_the_next_run(tmp_path: Path) -> None:
    judge, _ = _judge(ValueError("boom"), cache_dir=tmp_path)
    assert not judge.score(_case(), DIM).ok
    retry, model = _judge(GOOD, cache_dir=tmp_path)
    assert retry.score(_case(), DIM).score == 1 and len(model.prompts) == 1


def test_a_changed_prompt_misses_the_cache(tmp_path: Path) -> None:
    judge, _ = _judge(GOOD, cache_dir=tmp_path)
    judge.score(_case(), DIM)
    with_facts, model = _judge(GOOD, cache_dir=tmp_path, include_facts=True)
    assert not with_facts.score(_case(), DIM).cached
    assert "STATIC FACTS" in model.prompts[0][1].text


def test_score_with_memory_adds_guidelines_and_records_retrieval() -> None:
    judge, model = _judge(GOOD, GOOD)
    memory = "Guideline 1: a global mean fill before the split leaks test statistics."
    judgment = judge.score_with_memory(
        _case(), DIM, memory, retrieved_ids=("case-7", "case-9"), metadata={"guidelines": [1]}
    )
    assert judgment.retrieved_ids == ("case-7", "case-9")
    assert judgment.metadata["guidelines"] == [1]
    assert memory in model.prompts[0][0].text
    judge.score(_case(), DIM)
    assert memory not in model.prompts[1][0].text


def test_requests_per_second_limits_calls() -> None:
    judge, model = _judge(default_reply=GOOD, requests_per_second=10)
    started = time.perf_counter()
    for _ in range(4):
        judge.score(_case(), DIM)
    assert time.perf_counter() - started >= 0.3
    assert len(model.prompts) == 4  # the rate-limited copy records into the same model


def test_custom_rubrics_define_the_dimensions() -> None:
    rubric = Rubric(
        "reproducibility",
        "Reproducibility",
        "Seeds and versions.",
        ((3, "seeded"), (2, "partly"), (1, "not at all")),
        cells_from=("*",),
    )
    judge, model = _judge(GOOD, rubrics={"reproducibility": rubric})
    assert judge.dimensions == ("reproducibility",)
    assert judge.score(_case(), "reproducibility").score == 1
    assert "Reproducibility (reproducibility)" in model.prompts[0][0].text
    with pytest.raises(UnknownNameError, match="reproducibility"):
        judge.score(_case(), DIM)


def test_model_strings_build_the_provider_model_lazily_with_our_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "dummy")
    judge = LLMJudge(
        "openai:gpt-4o-mini",
        timeout=5,
        max_retries=2,
        cache_dir=None,
        base_url="http://127.0.0.1:9/v1",
        model_kwargs={"max_tokens": 300},
    )
    assert judge._runtime is None
    chat = judge._get_runtime().plain
    assert type(chat).__name__ == "ChatOpenAI"
    assert (chat.temperature, chat.request_timeout, chat.max_retries) == (0.0, 5, 2)
    assert chat.openai_api_base == "http://127.0.0.1:9/v1" and chat.max_tokens == 300
    assert judge._get_runtime() is judge._get_runtime()
    clone = pickle.loads(pickle.dumps(judge))
    assert clone._runtime is None and clone.get_params() == judge.get_params()


def test_missing_api_key_and_unknown_provider_are_config_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ModelConfigError, match="openai:gpt-4o-mini.*api_key"):
        LLMJudge("openai:gpt-4o-mini", cache_dir=None).score(_case(), DIM)
    with pytest.raises(ModelConfigError, match="nosuchprovider"):
        LLMJudge("nosuchprovider:model", cache_dir=None).score(_case(), DIM)
    with pytest.raises(ModelConfigError, match="BaseChatModel"):
        LLMJudge(42, cache_dir=None).score(_case(), DIM)


@pytest.mark.parametrize(
    ("model", "extra"), [("anthropic:claude-x", "anthropic"), ("databricks:endpoint", "databricks")]
)
def test_missing_provider_package_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, model: str, extra: str
) -> None:
    monkeypatch.setitem(sys.modules, "langchain_anthropic", None)
    monkeypatch.setitem(sys.modules, "databricks_langchain", None)
    judge = LLMJudge(model, cache_dir=None)
    with pytest.raises(MissingDependencyError, match=rf"memalign-nb\[{extra}\]"):
        run_batch_with_stats(judge, [_case("a"), _case("b")], (DIM,), 2, False)


def test_repr_params_and_object_judge_id() -> None:
    judge, _ = _judge(GOOD)
    assert repr(judge) == "LLMJudge(model='scripted-chat-model', cache_dir=None)"
    assert set(judge.get_params()) >= {"model", "temperature", "cache_dir", "include_facts"}


def test_real_corpus_notebook_is_judged(real_notebook_paths: list[Path]) -> None:
    from memalign_nb.notebooks import read_notebook

    notebook = read_notebook(real_notebook_paths[0])
    judge, model = _judge(GOOD, GOOD)
    case = Case("real", notebook)
    for dimension in ("model_training", "cell_organization"):
        assert judge.score(case, dimension).ok
    assert all("<<<BEGIN UNTRUSTED NOTEBOOK SECTION" in p[1].text for p in model.prompts)


def test_params_come_from_the_signature_and_clone_rebuilds_an_unbuilt_judge() -> None:
    import inspect

    judge = LLMJudge("openai:gpt-4o-mini", model_kwargs={"api_key": "sk-secret"},
                     requests_per_second=2, cache_dir=None)
    assert set(judge.get_params()) == set(inspect.signature(LLMJudge).parameters)
    assert judge.set_params(temperature=0.5) is judge and judge.temperature == 0.5
    with pytest.raises(ValueError, match="Invalid parameter"):
        judge.set_params(temprature=0.5)
    judge._get_runtime()
    copy = clone(judge)
    assert copy is not judge and copy._runtime is None
    assert copy.get_params() == judge.get_params()
    assert "sk-secret" not in repr(judge) and judge._repr_html_ is None


def test_chat_settings_build_a_model_sharing_the_judges_rate_limit() -> None:
    from memalign_nb.judges.chat import make_chat_model

    judge = LLMJudge(ScriptedChatModel(), requests_per_second=4, timeout=9.0, cache_dir=None)
    settings = judge.chat_settings()
    limiter = judge._get_runtime().limiter
    assert settings["rate_limiter"] is limiter and limiter.requests_per_second == 4
    assert settings["timeout"] == 9.0
    assert make_chat_model(ScriptedChatModel(), **settings).rate_limiter is limiter

