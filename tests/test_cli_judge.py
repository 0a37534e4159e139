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
    assert "4 judgments" in output and "4 model calls, 0 cache hits" in output
    assert server.request_count == 4


def test_second_run_uses_the_cache_and_no_cache_does_not(server, tmp_path: Path, capsys) -> None:
    dataset = _dataset(tmp_path / "ds")
    out = str(tmp_path / "j.jsonl")
    _run(server, dataset, tmp_path, "--out", out)
    capsys.readouterr()
    assert _run(server, dataset, tmp_path, "--out", out) == 0
    assert "0 model calls, 4 cache hits" in capsys.readouterr().out
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
