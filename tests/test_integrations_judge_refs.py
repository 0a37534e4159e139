"""Tests of memalign_nb.integrations.judge_refs: judge folders, specs and references."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from memalign_nb.datasets.model import Case
from memalign_nb.errors import IntegrationError, JudgeDirError
from memalign_nb.integrations.judge_refs import (
    SPEC_FILE,
    is_mlflow_uri,
    load_judge_dir,
    resolve_judge,
    save_judge_dir,
)
from memalign_nb.judges.heuristic import HeuristicJudge
from memalign_nb.judges.llm import LLMJudge
from memalign_nb.judges.scripted import ScriptedChatModel, ScriptedJudge
from memalign_nb.notebooks import read_notebook
from memalign_nb.rubrics import load_rubrics


@pytest.fixture(scope="module")
def cases(real_notebook_paths: list[Path]) -> list[Case]:
    return [Case(p.stem, read_notebook(p)) for p in real_notebook_paths[:3]]


def _scores(judge, cases: list[Case]) -> list[tuple[str, str, int | None, str]]:
    dims = ["data_imputation", "mlflow_logging"]
    return [
        (j.case_id, j.dimension, j.score, j.rationale)
        for j in judge.score_many(cases, dims, concurrency=1, progress=False)
    ]


def test_spec_folder_rebuilds_the_heuristic_judge(tmp_path: Path, cases: list[Case]) -> None:
    judge = HeuristicJudge(tracking_expected=False)
    folder = save_judge_dir(judge, tmp_path / "j")
    spec = json.loads((folder / SPEC_FILE).read_text())
    assert (spec["model"], spec["options"]["tracking_expected"]) == ("heuristic", False)
    loaded = load_judge_dir(folder)
    assert isinstance(loaded, HeuristicJudge) and loaded.get_params() == judge.get_params()
    assert _scores(loaded, cases) == _scores(judge, cases)
    assert _scores(loaded, cases) != _scores(HeuristicJudge(), cases)


def test_custom_rubrics_survive_the_spec(tmp_path: Path) -> None:
    rubrics = dict(list(load_rubrics().items())[:2])
    folder = save_judge_dir(HeuristicJudge(rubrics), tmp_path / "r")
    assert load_judge_dir(folder).rubrics == rubrics


def test_spec_leaves_credentials_out(tmp_path: Path) -> None:
    judge = LLMJudge("openai:gpt-4o-mini", cache_dir=None,
                     model_kwargs={"api_key": "sk-secret", "max_tokens": 50})
    folder = save_judge_dir(judge, tmp_path / "llm")
    assert "sk-secret" not in (folder / SPEC_FILE).read_text()
    loaded = load_judge_dir(folder)
    assert loaded.judge_id == "openai:gpt-4o-mini"
    assert loaded.model_kwargs == {"max_tokens": 50} and loaded.cache_dir is None


def test_judges_a_spec_cannot_rebuild_are_refused(tmp_path: Path) -> None:
    with pytest.raises(IntegrationError, match=r"judge scripted: .*no get_params\(\)"):
        save_judge_dir(ScriptedJudge({}, default=1), tmp_path / "s")
    with pytest.raises(IntegrationError, match="judge scripted-chat-model.*cannot be saved"):
        save_judge_dir(LLMJudge(ScriptedChatModel(replies=[]), cache_dir=None), tmp_path / "c")
    assert not (tmp_path / "s").exists() and not (tmp_path / "c").exists()


def test_bad_folders_raise_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(IntegrationError, match="no such directory"):
        load_judge_dir(tmp_path / "nowhere")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / SPEC_FILE).write_text('{"format": "other"}')
    with pytest.raises(IntegrationError, match="not a judge spec: format is 'other'"):
        load_judge_dir(tmp_path / "bad")
    (tmp_path / "empty").mkdir()
    with pytest.raises(JudgeDirError):
        load_judge_dir(tmp_path / "empty")


def test_references_resolve_to_judges(tmp_path: Path) -> None:
    judge = HeuristicJudge()
    assert resolve_judge(judge) is judge
    assert isinstance(resolve_judge("heuristic"), HeuristicJudge)
    assert resolve_judge("openai:gpt-4o-mini").judge_id == "openai:gpt-4o-mini"
    save_judge_dir(HeuristicJudge(tracking_expected=False), tmp_path / "h")
    assert resolve_judge(str(tmp_path / "h")).tracking_expected is False
    assert resolve_judge(tmp_path / "h").tracking_expected is False
    assert [is_mlflow_uri(u) for u in ("runs:/r/judge", "models:/m-1", "dbfs:/x")] == [True] * 3
    assert [is_mlflow_uri(u) for u in ("openai:gpt-4o", "heuristic", "/tmp/j", "C:/j")] == [
        False
    ] * 4


def test_a_missing_judge_folder_is_an_error_not_a_model(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    for ref in (str(tmp_path / "nowhere"), "./judge", "out/judge", "~/no-such-judge-xyz"):
        with pytest.raises(IntegrationError, match="no such directory"):
            resolve_judge(ref)
    assert resolve_judge("huggingface:org/model").judge_id == "huggingface:org/model"


def test_spec_folders_load_without_importing_mlflow(tmp_path: Path) -> None:
    import subprocess

    save_judge_dir(HeuristicJudge(), tmp_path / "h")
    code = (
        "import sys; from memalign_nb.integrations.judge_refs import resolve_judge; "
        f"print(resolve_judge({str(tmp_path / 'h')!r}).judge_id, 'mlflow' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["heuristic", "False"]
