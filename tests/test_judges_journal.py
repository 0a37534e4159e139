"""Tests for memalign_nb.judges.journal: judgments saved as they come, files replaced whole."""

from __future__ import annotations

import json

import pytest

from memalign_nb.judges.base import Judgment
from memalign_nb.judges.journal import JudgmentJournal


def judgment(case: str, score: int | None = 2, judge: str = "heuristic") -> Judgment:
    error = None if score is not None else "timeout"
    return Judgment(case, "model_use", score, "why", judge, error=error)


def test_the_file_is_replaced_only_on_commit(tmp_path):
    out = tmp_path / "j.jsonl"
    out.write_text("old\n")
    with JudgmentJournal(out) as journal:
        journal.append(judgment("a"))
        assert out.read_text() == "old\n"
        assert len(journal.partial.read_text().splitlines()) == 1
        assert journal.commit([judgment("a"), judgment("b")]) == 2
    assert [json.loads(line)["case_id"] for line in out.read_text().splitlines()] == ["a", "b"]
    assert not journal.partial.exists()


def test_a_rerun_resumes_scored_judgments_of_the_same_judge(tmp_path):
    out = tmp_path / "j.jsonl"
    with JudgmentJournal(out) as journal:
        for made in (judgment("a"), judgment("b", None), judgment("c", judge="other")):
            journal.append(made)
    with journal.partial.open("a") as handle:
        handle.write('{"case_id": "d", "dimen')  # cut short by a kill
    with JudgmentJournal(out) as again:
        assert list(again.resumable("heuristic")) == [("a", "model_use")]
        assert again.saved == 3


def test_an_unwritable_folder_fails_on_entering(tmp_path):
    with pytest.raises(OSError), JudgmentJournal(tmp_path / "missing" / "j.jsonl"):
        pass


def test_append_outside_the_with_block_is_an_error(tmp_path):
    with pytest.raises(RuntimeError, match="outside its with-block"):
        JudgmentJournal(tmp_path / "j.jsonl").append(judgment("a"))
