"""Tests for memalign_nb.cli.dataset: ``memalign-nb dataset validate`` and ``stats``."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from memalign_nb import cli


@pytest.fixture(autouse=True)
def only_dataset_command(monkeypatch):
    """Register just this command, so the test does not depend on the other command modules."""
    monkeypatch.setattr(cli, "COMMAND_MODULES", ("dataset",))


def make_dataset(root: Path, grades: list[dict], cases: int = 3) -> Path:
    (root / "notebooks").mkdir(parents=True)
    for i in range(cases):
        notebook = new_notebook(cells=[new_code_cell(f"x = {i}")])
        nbformat.write(notebook, root / "notebooks" / f"nb{i}.ipynb")
    (root / "cases.jsonl").write_text(
        json.dumps({"case_id": "nb0", "prompt": "p", "task_type": "regression"}) + "\n"
    )
    rows = [json.dumps({"rationale": "", **g}) for g in grades]
    (root / "feedback.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return root


def g(case_id: str, dimension: str, score: int, rater: str) -> dict:
    return {"case_id": case_id, "dimension": dimension, "score": score, "rater": rater}


GRADES = [
    g("nb0", "data_imputation", 1, "ana"),
    g("nb0", "data_imputation", 2, "bo"),
    g("nb1", "data_imputation", 3, "ana"),
    g("nb1", "data_imputation", 3, "bo"),
    g("nb2", "data_imputation", 0, "ana"),
    g("nb2", "data_imputation", 2, "bo"),
    g("nb0", "model_use", 2, "ana"),
]


def test_validate_ok(tmp_path, capsys):
    root = make_dataset(tmp_path / "ds", GRADES)
    assert cli.main(["dataset", "validate", str(root)]) == 0
    assert capsys.readouterr().out.strip() == "ok: 3 cases, 7 grades"


def test_validate_prints_every_problem_and_exits_1(tmp_path, capsys):
    root = make_dataset(tmp_path / "ds", [*GRADES, g("nb9", "model_use", 7, "ana")])
    (root / "notebooks" / "bad.ipynb").write_text("[]")
    assert cli.main(["dataset", "validate", str(root)]) == 1
    out = capsys.readouterr().out.splitlines()
    feedback = root / "feedback.jsonl"
    assert out == [
        f"{root / 'notebooks' / 'bad.ipynb'}: " + out[0].split(": ", 1)[1],
        f"{feedback}:8: score 7 is not an integer from 0 to 3",
        f"{feedback}:8: grade for case 'nb9', which has no notebook notebooks/nb9.ipynb",
        f"3 problems in {root}",
    ]


def test_stats_table(tmp_path, capsys):
    root = make_dataset(tmp_path / "ds", GRADES)
    assert cli.main(["dataset", "stats", str(root)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert "cases    3 (regression 1, unknown 2)" in lines
    assert "raters   2: ana, bo" in lines
    assert "grades   7" in lines
    header = next(line for line in lines if line.startswith("dimension"))
    columns = header.split("  ")
    columns = [c.strip() for c in columns if c.strip()]
    assert columns[:6] == ["dimension", "grades", "0 (n/a)", "1", "2", "3"]
    rows = {line.split()[0]: line for line in lines if line.split() and "_" in line.split()[0]}
    imputation = rows["data_imputation"].split()
    # 6 grades: one 0, one 1, two 2, two 3; 3 cases, all with 2 raters;
    # applicable pairs (1,2), (3,3): MAE 0.50, exact 0.50; applicability agrees 2 of 3.
    assert imputation[1:11] == ["6", "1", "1", "2", "2", "3", "3", "0.50", "0.50", "0.67"]
    assert rows["model_use"].split()[-4:] == ["-", "-", "-", "-"]
    assert rows["mlflow_logging"].split()[1] == "0"
    # aligned: every row as wide as the header, numbers right-aligned under it
    assert len(rows["model_use"]) == len(rows["data_imputation"]) == len(header)


def test_stats_with_custom_rubric(tmp_path, capsys):
    rubric = tmp_path / "fairness.yaml"
    rubric.write_text("dimension: fairness\ntitle: F\ndescription: d\nlevels: {3: a, 2: b, 1: c}\n")
    root = make_dataset(tmp_path / "ds", [g("nb0", "fairness", 2, "ana")])
    assert cli.main(["dataset", "stats", str(root)]) == 2
    assert "unknown dimension 'fairness'" in capsys.readouterr().err
    assert cli.main(["dataset", "stats", str(root), "--rubrics", str(rubric)]) == 0
    last = capsys.readouterr().out.splitlines()
    assert any(line.startswith("fairness ") for line in last)
    assert "agreement needs items graded by two or more raters" in last[-1]


def test_stats_counts_the_dataset_feedback_store(tmp_path, capsys):
    from memalign_nb.feedback import FeedbackStore, Grade

    root = make_dataset(tmp_path / "ds", GRADES)
    with FeedbackStore(root / "feedback.sqlite") as store:
        store.save(Grade("nb0", "model_use", 3, "", "bo"))  # a second rater on nb0
        store.save(Grade("nb0", "data_imputation", 2, "", "ana"))  # replaces ana's 1
    assert cli.main(["dataset", "stats", str(root)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "grades   8 (feedback.jsonl 7, store 2)" in lines
    row = next(line for line in lines if line.startswith("model_use")).split()
    assert row[1:9] == ["2", "0", "0", "1", "1", "1", "1", "1.00"]
    imputation = next(line for line in lines if line.startswith("data_imputation")).split()
    assert imputation[2:6] == ["1", "0", "3", "2"]
    missing = tmp_path / "absent.sqlite"
    assert cli.main(["dataset", "stats", str(root), "--store", str(missing)]) == 2
    assert "absent.sqlite: feedback store does not exist" in capsys.readouterr().err
    assert not missing.exists()


LONG = " ".join(f"word{i}" for i in range(120))


def pattern_rows(out: str) -> list[str]:
    """The rows of the table of how raters split (without its header)."""
    return out.split("where raters disagree\n", 1)[1].split("\n\n", 1)[0].splitlines()[1:]


def test_stats_disagreements_patterns_then_items_side_by_side(tmp_path, capsys, monkeypatch):
    from memalign_nb.feedback import FeedbackStore, Grade

    monkeypatch.setenv("COLUMNS", "80")
    grades = [{**row, "rationale": f"{row['rater']} says <{row['score']}> " + LONG}
              for row in GRADES]
    root = make_dataset(tmp_path / "ds", grades)
    assert cli.main(["dataset", "stats", str(root), "--disagreements"]) == 0
    out = capsys.readouterr().out
    assert [line.split() for line in pattern_rows(out)] == [
        ["data_imputation", "2", "vs", "n/a", "applicability", "1", "of", "3", "1"],
        ["data_imputation", "1", "vs", "2", "score", "1", "of", "3", "1"],
    ]
    assert "== data_imputation: 2 open ==" in out
    item = out.split("nb2  (2 vs n/a)\n", 1)[1].splitlines()
    assert item[0].split(" | ") == ["  " + "ana: n/a".ljust(37), "bo: 2"]  # (80-2-3)/2
    assert item[1].startswith("  ana says <0> word0") and " | bo says <2> word0" in item[1]
    assert all(len(line) <= 80 for line in item[:5])
    assert item[4].endswith("\u2026") and item[5] == "nb0  (1 vs 2)"  # 4 lines, trimmed

    assert cli.main(["dataset", "stats", str(root), "--disagreements", "--full"]) == 0
    assert "word119" in capsys.readouterr().out
    assert cli.main(["dataset", "stats", str(root), "--disagreements", "--limit", "1"]) == 0
    out = capsys.readouterr().out
    assert "nb2  (2 vs n/a)" in out and "nb0  (1 vs 2)" not in out
    assert "... and 1 more (raise --limit)" in out
    assert cli.main(["dataset", "stats", str(root), "--full"]) == 2
    assert "'--full': lists disagreements; add --disagreements" in capsys.readouterr().err

    # An adjudicated item is no longer open, but its pattern still counts.
    with FeedbackStore(root / "feedback.sqlite") as store:
        store.save(Grade("nb2", "data_imputation", 2, "measured", "adjudicator:cy"))
    assert cli.main(["dataset", "stats", str(root), "--disagreements"]) == 0
    out = capsys.readouterr().out
    assert [line.split()[-1] for line in pattern_rows(out)] == ["0", "1"]
    assert "raters   2: ana, bo (and adjudicator:cy)" in out.splitlines()
    assert "nb2  (2 vs n/a)" not in out and "== data_imputation: 1 open ==" in out


def test_stats_disagreements_when_raters_agree(tmp_path, capsys):
    root = make_dataset(tmp_path / "ds", GRADES[2:4])
    assert cli.main(["dataset", "stats", str(root), "--disagreements"]) == 0
    assert capsys.readouterr().out.endswith(
        "where raters disagree\nno item graded by two or more raters has different scores\n")


def test_stats_disagreements_on_the_graded_corpus(corpus_dir, capsys):
    assert cli.main(["dataset", "stats", str(corpus_dir / "graded"), "--disagreements",
                     "--limit", "2"]) == 0
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines() if line.startswith("mlflow_logging ")]
    assert ["mlflow_logging", "1", "vs", "n/a", "applicability", "17", "of", "60", "17"] in rows
    assert "== mlflow_logging: 17 open ==" in out


def test_export_writes_the_store_grades(tmp_path, capsys):
    from memalign_nb.feedback import FeedbackStore, Grade, read_grades_jsonl

    root = make_dataset(tmp_path / "ds", GRADES)
    with FeedbackStore(root / "feedback.sqlite") as store:
        store.save(Grade("nb0", "model_use", 3, "first", "bo"))
        store.save(Grade("nb0", "model_use", 2, "second thoughts", "bo"))
    out = tmp_path / "grades.jsonl"
    assert cli.main(["dataset", "export", str(root), "--out", str(out)]) == 0
    assert [(g.score, g.rationale) for g in read_grades_jsonl(out)] == [(2, "second thoughts")]
    assert "exported 1 grades" in capsys.readouterr().err
    assert cli.main(["dataset", "export", str(root), "--history"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2
    assert cli.main(["dataset", "export", str(root), "--out", str(tmp_path / "g.csv")]) == 0
    assert (tmp_path / "g.csv").read_text().startswith("case_id,")
    assert cli.main(["dataset", "export", str(tmp_path)]) == 2
    assert "no feedback store here" in capsys.readouterr().err


def test_validate_lists_an_unreadable_notebook_that_stats_skips(tmp_path, capsys):
    root = make_dataset(tmp_path / "ds", GRADES)
    (root / "notebooks" / "bad.ipynb").write_text('{"cells": [], "nbformat": 4}')
    assert cli.main(["dataset", "validate", str(root)]) == 1
    assert "bad.ipynb: notebook has no cells" in capsys.readouterr().out
    assert cli.main(["dataset", "stats", str(root)]) == 0
    captured = capsys.readouterr()
    assert "cases    3" in captured.out and "skipped 1 unreadable notebook" in captured.err
