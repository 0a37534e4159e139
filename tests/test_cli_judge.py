"""Tests of ``memalign-nb judge`` (memalign_nb.cli.judge) against a loopback LLM server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
import pytest

from memalign_nb.cli import main
from memalign_nb.feedback import Grade, write_grades_jsonl
from memalign_nb.testing import FakeOpenAIServer

DIMS = ("data_imputation", "model_training")
LEAKY = "df['Age'] = df['Age'].fillna(df['Age'].mean())"


def _dataset(root: Path) -> Path:
    """Two notebooks; experts grade imputation 1 (leaky) and 2, training 2 and 2."""
    (root / "notebooks").mkdir(parents=True)
    bodies = {
        "leaky": [
            LEAKY,
            "X_train, X_test = train_test_split(df)",
            "RandomForestClassifier().fit(X_train, y_train)",
        ],
        "clean": [
            "X_train, X_test = train_test_split(df)",
            "X_train = X_train.dropna()",
            "LogisticRegression().fit(X_train, y_train)",
        ],
    }
    for case_id, sources in bodies.items():
        cells = [nbformat.v4.new_code_cell("import pandas as pd")]
        cells += [nbformat.v4.new_code_cell(source) for source in sources]
        nbformat.write(
            nbformat.v4.new_notebook(cells=cells), root / "notebooks" / f"{case_id}.ipynb"
        )
    (root / "cases.jsonl").write_text(
        "".join(
            json.dumps({"case_id": c, "prompt": "Who survived?", "task_type": "classification"})
            + "\n"
            for c in bodies
        )
    )
    when = "2024-05-01T12:00:00Z"
    write_grades_jsonl(
        root / "feedback.jsonl",
        [
            Grade("leaky", "data_imputation", 1, "mean from all rows", "ann", when),
            Grade("leaky", "data_imputation", 1, "leak", "bob", when),
            Grade("clean", "data_imputation", 2, "dropna after split", "ann", when),
            Grade("leaky", "model_training", 2, "no cv", "ann", when),
            Grade("clean", "model_training", 2, "no cv", "ann", when),
        ],
    )
    return root


def _lenient(request: dict[str, Any]) -> dict[str, Any]:
    """A judge that gives the leaky notebook 3 and everything else 2."""
    user = request["messages"][1]["content"]
    return {"rationale": "fake", "score": 3 if "fillna(df['Age'].mean())" in user else 2}


@pytest.fixture
def langchain_openai():
    """The OpenAI client the loopback tests drive (the dev extra); skips them without it."""
    return pytest.importorskip("langchain_openai", reason="langchain-openai is missing: the "
                               "loopback tests need the dev extra, pip install -e '.[dev]'")


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch, langchain_openai):
    monkeypatch.setenv("OPENAI_API_KEY", "dummy")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with FakeOpenAIServer(_lenient) as fake:
        yield fake


def _run(server: FakeOpenAIServer, dataset: Path, tmp_path: Path, *extra: str) -> int:
    return main(
        [
            "judge",
            str(dataset),
            "--model",
            "openai:test",
            "--base-url",
            server.base_url,
            "--dimensions",
            ",".join(DIMS),
            "--cache-dir",
            str(tmp_path / "cache"),
            "--no-progress",
            "--max-retries",
            "0",
            *extra,
        ]
    )


def _row(output: str, dimension: str) -> list[str]:
    return next(line.split() for line in output.splitlines() if line.startswith(dimension))


def test_judge_writes_jsonl_and_reports_agreement(server, tmp_path: Path, capsys) -> None:
    dataset = _dataset(tmp_path / "ds")
    out = tmp_path / "judgments.jsonl"
    assert _run(server, dataset, tmp_path, "--out", str(out)) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["case_id"], r["dimension"]) for r in rows] == [
        ("clean", "data_imputation"),
        ("clean", "model_training"),
        ("leaky", "data_imputation"),
        ("leaky", "model_training"),
    ]
    assert {r["judge_id"] for r in rows} == {"openai:test"}
    output = capsys.readouterr().out
    # imputation: judge 2 vs 2 and 3 vs 1 -> MAE 1.0, signed +1.0 (lenient), exact 0.5
    assert _row(output, "data_imputation") == [
        "data_imputation",
        "2",
        "2",
        "1.000",
        "+1.000",
        "0.500",
        "0",
    ]
    assert _row(output, "model_training") == [
        "model_training",
        "2",
        "2",
        "0.000",
        "+0.000",
        "1.000",
        "0",
    ]
    assert "4 judgments" in output and "4 model calls (0 of them retries), 0 cache hits" in output
    assert server.request_count == 4


def test_second_run_uses_the_cache_and_no_cache_does_not(server, tmp_path: Path, capsys) -> None:
    dataset = _dataset(tmp_path / "ds")
    out = str(tmp_path / "j.jsonl")
    _run(server, dataset, tmp_path, "--out", out)
    capsys.readouterr()
    assert _run(server, dataset, tmp_path, "--out", out) == 0
    assert "0 model calls (0 of them retries), 4 cache hits" in capsys.readouterr().out
    assert server.request_count == 4
    _run(server, dataset, tmp_path, "--out", out, "--no-cache")
    assert server.request_count == 8


def test_stdout_output_keeps_the_report_on_stderr(server, tmp_path: Path, capsys) -> None:
    assert _run(server, _dataset(tmp_path / "ds"), tmp_path, "--out", "-") == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == 4 and all(json.loads(line)["score"] in (2, 3) for line in lines)
    assert "data_imputation" in captured.err and "model calls" in captured.err


def test_failures_are_reported_and_exit_1(tmp_path: Path, capsys, monkeypatch,
                                         langchain_openai) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "dummy")
    with FakeOpenAIServer(fault_rate=1.0, fault_status=503) as broken:
        code = _run(broken, _dataset(tmp_path / "ds"), tmp_path, "--out", str(tmp_path / "j.jsonl"))
    output = capsys.readouterr().out
    assert code == 1
    assert _row(output, "data_imputation")[-1] == "2"
    assert "4 failures" in output
    assert sum(line.startswith("failed: ") for line in output.splitlines()) == 3
    assert "Error code: 503" in output


def test_dataset_without_grades_still_judges(server, tmp_path: Path, capsys) -> None:
    dataset = _dataset(tmp_path / "ds")
    (dataset / "feedback.jsonl").unlink()
    assert _run(server, dataset, tmp_path, "--out", str(tmp_path / "j.jsonl")) == 0
    output = capsys.readouterr().out
    assert _row(output, "data_imputation") == ["data_imputation", "2", "0", "-", "-", "-", "0"]
    assert "no human grades" in output


def test_bad_input_is_one_line_errors(server, tmp_path: Path, capsys, monkeypatch) -> None:
    dataset = _dataset(tmp_path / "ds")
    out = tmp_path / "kept.jsonl"
    out.write_text("earlier run\n")
    assert _run(server, dataset, tmp_path, "--dimensions", "nonsense", "--out", str(out)) == 2
    assert "unknown dimension 'nonsense'" in capsys.readouterr().err
    assert out.read_text() == "earlier run\n"
    monkeypatch.delenv("OPENAI_API_KEY")
    assert _run(server, dataset, tmp_path, "--out", str(tmp_path / "j.jsonl")) == 2
    assert "api_key" in capsys.readouterr().err
    assert _run(server, dataset, tmp_path, "--out", str(tmp_path / "missing" / "j.jsonl")) == 2
    assert "cannot write" in capsys.readouterr().err
    assert server.request_count == 0
    with pytest.raises(SystemExit):
        main(["judge", str(dataset), "--concurrency", "0"])
    assert "must be at least 1" in capsys.readouterr().err


def test_default_model_is_the_offline_heuristic(tmp_path: Path, capsys) -> None:
    out = tmp_path / "j.jsonl"
    assert main(["judge", str(_dataset(tmp_path / "ds")), "--out", str(out), "--no-progress"]) in (
        0,
        1,
    )
    assert json.loads(out.read_text().splitlines()[0])["judge_id"].startswith("heuristic")


def test_a_saved_judge_folder_is_a_judge_reference(tmp_path: Path, capsys) -> None:
    from memalign_nb.integrations.judge_folders import save_judge_dir
    from memalign_nb.judges.heuristic import HeuristicJudge

    spec = save_judge_dir(HeuristicJudge(tracking_expected=False), tmp_path / "spec")
    out = tmp_path / "j.jsonl"
    assert main(["judge", str(_dataset(tmp_path / "ds")), "--model", str(spec), "--dimensions",
                 "mlflow_logging", "--out", str(out), "--no-progress"]) in (0, 1)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert {row["score"] for row in rows} == {0}  # tracking not expected: not applicable


class _Stopping:
    """Builds a heuristic judge that is interrupted (Ctrl-C) after ``after`` judgments."""

    calls = 0

    def __init__(self, after: int | None) -> None:
        self.after = after

    def __call__(self, **options: Any):
        from memalign_nb.judges.heuristic import HeuristicJudge

        after = self.after

        class Stopping(HeuristicJudge):
            def _score(self, case, dimension):
                _Stopping.calls += 1
                if after is not None and _Stopping.calls > after:
                    raise KeyboardInterrupt
                return super()._score(case, dimension)

        return Stopping()


@pytest.fixture
def stopping_engine(monkeypatch):
    from memalign_nb.judges.registry import JUDGE_ENGINES

    def register(after):
        _Stopping.calls = 0
        monkeypatch.setitem(JUDGE_ENGINES._factories, "stopping", _Stopping(after))

    return register


def test_an_interrupted_run_keeps_the_old_file_saves_what_finished_and_resumes(
    tmp_path: Path, capsys, stopping_engine
) -> None:
    dataset = _dataset(tmp_path / "data")
    out = tmp_path / "judgments.jsonl"
    out.write_text("the previous run's judgments\n")
    stopping_engine(3)
    code = main(["judge", str(dataset), "--model", "stopping", "--out", str(out),
                 "--concurrency", "1", "--no-progress", "--dimensions", *DIMS])
    err = capsys.readouterr().err
    assert code == 130
    assert "interrupted; 3 judgments are saved in" in err and "Traceback" not in err
    assert out.read_text() == "the previous run's judgments\n"  # untouched until complete
    partial = Path(str(out) + ".partial")
    assert len(partial.read_text().splitlines()) == 3

    stopping_engine(None)
    assert main(["judge", str(dataset), "--model", "stopping", "--out", str(out),
                 "--concurrency", "1", "--no-progress", "--dimensions", *DIMS]) == 0
    assert _Stopping.calls == 1  # only the fourth item was left to judge
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["case_id"], r["dimension"]) for r in rows] == [
        (c, d) for c in ("clean", "leaky") for d in DIMS]
    assert not partial.exists()
    assert "3 resumed from the last run" in capsys.readouterr().out


def test_a_run_that_fails_leaves_the_old_file(tmp_path: Path, capsys, monkeypatch) -> None:
    from memalign_nb.errors import MissingDependencyError
    from memalign_nb.judges.heuristic import HeuristicJudge

    dataset = _dataset(tmp_path / "data")
    out = tmp_path / "judgments.jsonl"
    out.write_text("old\n")

    def fail(self, case, dimension):
        raise MissingDependencyError("somepackage", "extra")

    monkeypatch.setattr(HeuristicJudge, "_score", fail)
    assert main(["judge", str(dataset), "--out", str(out), "--no-progress"]) == 2
    assert out.read_text() == "old\n"


def test_unreadable_notebooks_are_listed_once_and_the_rest_judged(tmp_path: Path, capsys):
    dataset = _dataset(tmp_path / "data")
    (dataset / "notebooks" / "broken.ipynb").write_text('{"cells": [], "nbformat": 4}')
    out = tmp_path / "j.jsonl"
    assert main(["judge", str(dataset), "--out", str(out), "--no-progress",
                 "--dimensions", *DIMS]) == 0
    err = capsys.readouterr().err
    assert err.count("broken.ipynb") == 1
    assert "skipped 1 unreadable notebook (going on with the other 2" in err
    assert len(out.read_text().splitlines()) == 4
    assert main(["judge", str(dataset), "--out", str(out), "--no-progress", "--strict"]) == 2
    assert "broken.ipynb: notebook has no cells" in capsys.readouterr().err


def test_store_grades_count_in_the_agreement(tmp_path: Path, capsys) -> None:
    from memalign_nb.feedback import FeedbackStore

    dataset = _dataset(tmp_path / "data")
    with FeedbackStore(dataset / "feedback.sqlite") as store:
        store.save(Grade("clean", "model_training", 3, "good cv after all", "cy"))
    out = str(tmp_path / "j.jsonl")
    main(["judge", str(dataset), "--out", out, "--no-progress", "--dimensions", *DIMS])
    with_store = capsys.readouterr().out
    main(["judge", str(dataset), "--out", out, "--no-progress", "--dimensions", *DIMS,
          "--no-store"])
    assert with_store != capsys.readouterr().out


def test_schema_problems_are_one_warning_line_for_the_batch(tmp_path: Path, capsys) -> None:
    dataset = _dataset(tmp_path / "data")
    for path in (dataset / "notebooks").glob("*.ipynb"):
        doc = json.loads(path.read_text())
        doc["cells"].append({"cell_type": "markdown", "metadata": {}, "source": "x",
                             "execution_count": 3})
        path.write_text(json.dumps(doc))
    assert main(["judge", str(dataset), "--out", str(tmp_path / "j.jsonl"), "--no-progress",
                 "--dimensions", *DIMS]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err == ["memalign-nb: warning: 2 of 2 notebooks read despite nbformat schema "
                   "problems (the most common, in 2: cell N: Additional properties are not "
                   "allowed ('execution_count' was unexpected)); details with -v (INFO "
                   "logging)"]
