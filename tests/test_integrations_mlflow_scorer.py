"""Tests of memalign_nb.integrations.mlflow_scorer: judges as ``mlflow.genai`` scorers."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import nbformat
import pytest

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

import mlflow  # noqa: E402

from memalign_nb.datasets.model import Case  # noqa: E402
from memalign_nb.errors import UnknownNameError  # noqa: E402
from memalign_nb.integrations.mlflow_scorer import (  # noqa: E402
    DEFAULT_AGGREGATIONS,
    NotebookScorer,
    applicable_mean,
    applicable_share,
    as_mlflow_scorer,
)
from memalign_nb.judges.base import Judgment  # noqa: E402
from memalign_nb.judges.scripted import ScriptedJudge  # noqa: E402

DIMS = ["data_imputation", "model_use"]


def _score_by_length(case: Case, dimension: str) -> tuple[int, str]:
    """Distinct, checkable scores: from the number of cells and the dimension."""
    score = (len(case.notebook.cells) + DIMS.index(dimension)) % 4
    return score, f"{case.case_id} has {len(case.notebook.cells)} cells"


@pytest.fixture()
def judge() -> ScriptedJudge:
    return ScriptedJudge(_score_by_length, judge_id="scripted-nb", dimensions=DIMS)


@pytest.fixture()
def notebooks(tmp_path: Path) -> list[Path]:
    paths = []
    for n_cells in (1, 2, 3, 5):
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(f"x = {i}") for i in range(n_cells)]
        path = tmp_path / f"nb-{n_cells}.ipynb"
        nbformat.write(nb, path)
        paths.append(path)
    return paths


def test_one_scorer_per_dimension_named_by_it(judge: ScriptedJudge) -> None:
    scorers = as_mlflow_scorer(judge)
    assert [s.name for s in scorers] == DIMS
    assert all(isinstance(s, NotebookScorer) and s.judge is judge for s in scorers)
    assert all(s.aggregations == list(DEFAULT_AGGREGATIONS) for s in scorers)
    assert [s.name for s in as_mlflow_scorer(judge, "model_use")] == ["model_use"]
    with pytest.raises(UnknownNameError, match="model_training"):
        as_mlflow_scorer(judge, ["model_training"])


def test_scorer_reads_the_notebook_from_inputs_or_outputs(
    judge: ScriptedJudge, notebooks: list[Path]
) -> None:
    imputation, use = as_mlflow_scorer(judge)
    feedback = imputation(inputs={"notebook": str(notebooks[2]), "case_id": "c3"})
    assert (feedback.name, feedback.value, feedback.rationale) == (
        "data_imputation", 3, "c3 has 3 cells"
    )
    assert feedback.source.source_type == "LLM_JUDGE"
    assert feedback.source.source_id == "scripted-nb"
    assert feedback.metadata["memalign_nb.case_id"] == "c3"
    text = notebooks[1].read_text(encoding="utf-8")
    assert use(inputs={"prompt": "p"}, outputs=text).value == 3
    assert use(inputs={}, outputs={"notebook": str(notebooks[0])}).value == 2
    assert use(outputs=nbformat.reads(text, as_version=4)).value == 3
    assert use(inputs={"notebook": str(notebooks[3])}).metadata["memalign_nb.case_id"] == "nb-5"


def test_unreadable_rows_and_failed_judgments_give_error_feedback(
    judge: ScriptedJudge, notebooks: list[Path]
) -> None:
    imputation = as_mlflow_scorer(judge, "data_imputation")[0]
    missing = imputation(inputs={"case_id": "c9", "prompt": "x"})
    assert missing.value is None and "no notebook under 'notebook'" in missing.error.error_message
    broken = imputation(inputs={"notebook": "{oops", "case_id": "c8"})
    assert broken.value is None and "c8" in broken.error.error_message
    failing = ScriptedJudge(
        lambda case, dim: Judgment(case.case_id, dim, None, judge_id="x", error="rate limited"),
        dimensions=DIMS,
    )
    feedback = as_mlflow_scorer(failing, "model_use")[0](inputs={"notebook": str(notebooks[0])})
    assert feedback.value is None and feedback.error.error_message == "rate limited"


def test_aggregations_leave_not_applicable_out() -> None:
    assert applicable_mean([0.0, 1.0, 3.0, 0.0]) == 2.0
    assert applicable_share([0.0, 1.0, 3.0, 0.0]) == 0.5
    assert math.isnan(applicable_mean([0.0, 0.0])) and math.isnan(applicable_share([]))


@pytest.fixture(scope="module")
def tracking(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A fresh experiment in a SQLite tracking store (traces need a SQL backend)."""
    root = tmp_path_factory.mktemp("mlflow")
    mlflow.set_tracking_uri(f"sqlite:///{root}/mlflow.db")
    experiment_id = mlflow.create_experiment("scorer", artifact_location=(root / "a").as_uri())
    mlflow.set_experiment(experiment_id=experiment_id)
    yield experiment_id
    mlflow.set_tracking_uri(None)  # unset: nothing leaks into later tests or kernels


def test_genai_evaluate_logs_one_feedback_per_dimension(
    tracking: str, judge: ScriptedJudge, notebooks: list[Path]
) -> None:
    data = [{"inputs": {"notebook": str(p), "case_id": p.stem}} for p in notebooks]
    data.append({"inputs": {"notebook": str(notebooks[0].with_name("gone.ipynb"))}})
    result = mlflow.genai.evaluate(data=data, scorers=as_mlflow_scorer(judge))
    expected = {
        p.stem: [_score_by_length(Case(p.stem, _nb(p)), d)[0] for d in DIMS] for p in notebooks
    }
    frame = result.result_df
    by_case = {row["request"].get("case_id", "gone"): row for _, row in frame.iterrows()}
    assert set(by_case) == {*expected, "gone"}
    for case_id, scores in expected.items():
        row = by_case[case_id]
        assert [row[f"{d}/value"] for d in DIMS] == scores
    assert "does not exist" in by_case["gone"]["data_imputation/error_message"]
    applicable = [s[0] for s in expected.values() if s[0]]
    assert result.metrics["data_imputation/applicable_mean"] == pytest.approx(
        sum(applicable) / len(applicable)
    )
    assert result.metrics["data_imputation/applicable_share"] == pytest.approx(
        len(applicable) / len(expected)
    )
    traces = mlflow.search_traces(run_id=result.run_id, return_type="list")
    names = sorted(a.name for t in traces for a in t.info.assessments)
    assert names == sorted(DIMS * len(data))


def _nb(path: Path):
    from memalign_nb.notebooks import read_notebook

    return read_notebook(path)


def test_round_trip_from_human_assessments_to_judge_assessments(
    tracking: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MLflow HUMAN feedback -> grades -> aligned judge -> genai.evaluate -> assessments."""
    from memalign_nb.align import MemAlign
    from memalign_nb.datasets import generate_dataset, load_dataset
    from memalign_nb.datasets.model import Dataset
    from memalign_nb.integrations import grades_from_traces, log_assessments
    from memalign_nb.judges import make_judge

    # One judgment at a time: CPython 3.11.7's ast.parse, which the heuristic
    # engine runs on every cell, is not thread-safe (gh-106905).
    monkeypatch.setenv("MLFLOW_GENAI_EVAL_MAX_WORKERS", "1")
    monkeypatch.setenv("MLFLOW_GENAI_EVAL_MAX_SCORER_WORKERS", "1")
    dataset = load_dataset(generate_dataset(tmp_path / "ds", n_cases=16, seed=3))
    train, test = dataset.cases[:12], dataset.cases[12:]
    dims = ["data_imputation", "model_training"]
    mapping = {"Imputation": "data_imputation", "Training": "model_training"}
    traces = {}
    for case in train:  # the notebook generator's traces, graded by experts in MLflow
        with mlflow.start_span(name="generate_notebook") as span:
            span.set_inputs({"case_id": case.case_id, "prompt": case.prompt})
        traces[case.case_id] = span.trace_id
    mlflow.flush_trace_async_logging()
    graded = [g for g in dataset.feedback if g.case_id in traces and g.dimension in dims]
    log_assessments(traces, graded, mapping, on_error="raise")

    grades = grades_from_traces(tracking, mapping, on_error="raise")
    assert sorted((g.case_id, g.dimension, g.rater, g.score, g.rationale) for g in grades) == \
        sorted((g.case_id, g.dimension, g.rater, g.score, g.rationale) for g in graded)
    aligned = MemAlign(dimensions=dims, calibrate=False).fit(  # memories kept, to travel
        make_judge("heuristic"), Dataset(dataset.path, tuple(train), tuple(grades))
    )
    assert aligned.judge_id == "memalign:heuristic"

    data = [
        {"inputs": {"notebook": c.notebook.path, "case_id": c.case_id, "prompt": c.prompt,
                    "task_type": c.task_type}}
        for c in test
    ]
    result = mlflow.genai.evaluate(data=data, scorers=as_mlflow_scorer(aligned, dims))
    direct = aligned.score_many(test, dims, concurrency=1, progress=False)
    assert all(j.ok for j in direct) and any(j.retrieved_ids for j in direct)
    judged = mlflow.search_traces(run_id=result.run_id, return_type="list")
    back = grades_from_traces(judged, source_type="CODE", on_error="raise")
    assert {(g.case_id, g.dimension): (g.score, g.rationale) for g in back} == {
        (j.case_id, j.dimension): (j.score, j.rationale) for j in direct
    }
    assert {g.rater for g in back} == {"memalign:heuristic"}
    retrieved = {
        case_id
        for t in judged for a in t.info.assessments
        for case_id in json.loads(a.metadata["memalign_nb.retrieved_ids"])
    }
    assert retrieved and retrieved <= set(traces)  # graded examples from the MLflow grades
