"""Tests of memalign_nb.integrations.judge_folders: judge folders and their specs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from memalign_nb.datasets.model import Case
from memalign_nb.errors import IntegrationError, JudgeDirError
from memalign_nb.integrations.judge_folders import SPEC_FILE, load_judge_dir, save_judge_dir
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
