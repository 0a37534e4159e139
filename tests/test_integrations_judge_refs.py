"""Tests of memalign_nb.integrations.judge_refs: every kind of reference to a judge."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from memalign_nb.align import MemAlign
from memalign_nb.datasets import generate_dataset, load_dataset
from memalign_nb.errors import IntegrationError
from memalign_nb.integrations.judge_folders import save_judge_dir
from memalign_nb.integrations.judge_refs import judge_ref_kind, resolve_judge
from memalign_nb.judges.heuristic import HeuristicJudge
from memalign_nb.judges.llm import LLMJudge
from memalign_nb.judges.scripted import ScriptedChatModel


@pytest.mark.parametrize(
    ("ref", "kind"),
    [
        ("heuristic", "new"),
        ("openai:gpt-4o-mini", "new"),
        ("gpt-4o-mini", "new"),
        ("huggingface:org/model", "new"),
        ("runs:/r/judge", "mlflow"),
        ("models:/m-1", "mlflow"),
        ("dbfs:/x", "mlflow"),
        ("/tmp/j", "folder"),
        ("./judge", "folder"),
        ("~/judges/x", "folder"),
        ("out/judge", "folder"),
        (Path("judge"), "folder"),
    ],
)
def test_every_reference_has_one_kind(ref, kind) -> None:
    assert judge_ref_kind(ref) == kind


def test_objects_are_judges_or_what_make_judge_builds() -> None:
    judge = HeuristicJudge()
    assert judge_ref_kind(judge) == "judge" and resolve_judge(judge) is judge
    chat = ScriptedChatModel()
    assert judge_ref_kind(chat) == "new"
    assert isinstance(resolve_judge(chat, cache_dir=None), LLMJudge)


def test_names_and_model_strings_are_built_with_their_options() -> None:
    assert isinstance(resolve_judge("heuristic"), HeuristicJudge)
    assert resolve_judge("heuristic", tracking_expected=False).tracking_expected is False
    judge = resolve_judge("openai:gpt-4o-mini", requests_per_second=2)
    assert judge.judge_id == "openai:gpt-4o-mini" and judge.requests_per_second == 2


def test_saved_folders_are_read_back_and_refuse_options(tmp_path: Path) -> None:
    save_judge_dir(HeuristicJudge(tracking_expected=False), tmp_path / "h")
    assert resolve_judge(str(tmp_path / "h")).tracking_expected is False
    assert resolve_judge(tmp_path / "h").tracking_expected is False
    with pytest.raises(TypeError, match="saved judge"):
        resolve_judge(tmp_path / "h", tracking_expected=True)


def test_an_aligned_judge_folder_is_read_back(tmp_path: Path) -> None:
    dataset = load_dataset(generate_dataset(tmp_path / "ds", 6, seed=5))
    MemAlign(dimensions=["model_use"]).fit(HeuristicJudge(), dataset).save(tmp_path / "aligned")
    loaded = resolve_judge(str(tmp_path / "aligned"))
    assert type(loaded).__name__ == "AlignedJudge" and loaded.aligned_dimensions == ("model_use",)


def test_a_missing_judge_folder_is_an_error_not_a_model(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    for ref in (str(tmp_path / "nowhere"), "./judge", "out/judge", "~/no-such-judge-xyz"):
        with pytest.raises(IntegrationError, match="no such directory"):
            resolve_judge(ref)


def test_spec_folders_load_without_importing_mlflow(tmp_path: Path) -> None:
    save_judge_dir(HeuristicJudge(), tmp_path / "h")
    code = (
        "import sys; from memalign_nb.integrations.judge_refs import resolve_judge; "
        f"print(resolve_judge({str(tmp_path / 'h')!r}).judge_id, 'mlflow' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["heuristic", "False"]
