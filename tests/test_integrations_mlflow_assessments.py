"""Tests of memalign_nb.integrations.mlflow_assessments against a local SQLite MLflow store."""

from __future__ import annotations

import os
from datetime import datetime

import pytest

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

import mlflow  # noqa: E402
from mlflow.entities import AssessmentSource, AssessmentSourceType  # noqa: E402

from memalign_nb.errors import (  # noqa: E402
    DatasetError,
    IntegrationError,
    MemAlignWarning,
    UnknownNameError,
)
from memalign_nb.feedback.model import Grade  # noqa: E402
from memalign_nb.integrations.mlflow_assessments import (  # noqa: E402
    CASE_ID_TAG,
    case_id_of,
    grades_from_traces,
    log_assessments,
    to_feedback,
    trace_ids_by_case,
)
from memalign_nb.judges.base import Judgment  # noqa: E402


@pytest.fixture(scope="module")
def experiment(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A fresh experiment in a SQLite tracking store (traces need a SQL backend)."""
    root = tmp_path_factory.mktemp("mlflow")
    mlflow.set_tracking_uri(f"sqlite:///{root}/mlflow.db")
    experiment_id = mlflow.create_experiment("grades", artifact_location=(root / "a").as_uri())
    mlflow.set_experiment(experiment_id=experiment_id)
    yield experiment_id
    mlflow.set_tracking_uri(None)  # unset: nothing leaks into later tests or kernels


def _trace(inputs: dict, tags: dict | None = None) -> str:
    with mlflow.start_span(name="generate_notebook") as span:
        span.set_inputs(inputs)
        span.set_outputs({"cells": 12})
        if tags:
            mlflow.update_current_trace(tags=tags)
    mlflow.flush_trace_async_logging()
    return span.trace_id


def _human(trace_id: str, name: str, value: object, rater: str, why: str = "") -> str:
    source = AssessmentSource(source_type=AssessmentSourceType.HUMAN, source_id=rater)
    fb = mlflow.log_feedback(trace_id=trace_id, name=name, value=value, source=source,
                             rationale=why or None)
    return fb.assessment_id


@pytest.fixture(scope="module")
def graded(experiment: str) -> dict[str, str]:
    """Three traces graded the way a labeling session and the review app do."""
    tagged = _trace({"prompt": "who survived?"}, tags={CASE_ID_TAG: "titanic-1"})
    by_input = _trace({"case_id": "churn-2", "prompt": "will they churn?"})
    by_path = _trace({"notebook_path": "/Volumes/nb/house-3.ipynb"})
    _human(tagged, "Imputation", 1, "ann@x.org", "median of the full data: leakage")
    _human(tagged, "model_training", 3.0, "ann@x.org", "CV on training folds")
    _human(tagged, "model_training", "2", "bob@x.org", "no baseline")
    _human(tagged, "relevance", 3, "ann@x.org")  # not a dimension: skipped
    _human(tagged, "comment", 2, "ann@x.org")  # mapped to None: skipped
    mlflow.log_feedback(trace_id=tagged, name="data_imputation", value=3,
                        source=AssessmentSource(source_type="LLM_JUDGE", source_id="gpt"))
    old = _human(by_input, "model_use", 3, "ann@x.org", "first look")
    mlflow.override_feedback(trace_id=by_input, assessment_id=old, value=1,
                             rationale="refits on test",
                             source=AssessmentSource(source_type="HUMAN", source_id="ann@x.org"))
    _human(by_input, "model_use", "great", "bob@x.org")  # not a score
    _human(by_input, "mlflow_logging", 0, "bob@x.org", "no tracking asked")
    mlflow.log_expectation(trace_id=by_input, name="model_use", value=2)
    mlflow.log_feedback(trace_id=by_input, name="model_use", error=TimeoutError("late"),
                        source=AssessmentSource(source_type="HUMAN", source_id="cat@x.org"))
    _human(by_path, "cell_organization", 2, "ann@x.org", "long cells")
    _human(by_path, "cell_organization", 7, "cat@x.org")  # out of range
    return {"titanic-1": tagged, "churn-2": by_input, "house-3": by_path}


MAPPING = {"Imputation": "data_imputation", "comment": None}


def _keyed(grades: list[Grade]) -> dict[tuple[str, str, str], tuple[int, str]]:
    return {(g.case_id, g.dimension, g.rater): (g.score, g.rationale) for g in grades}


def test_human_feedback_becomes_grades(experiment: str, graded: dict[str, str]) -> None:
    with pytest.warns(MemAlignWarning, match="2 assessments skipped") as record:
        grades = grades_from_traces(experiment, MAPPING)
    message = str(record[0].message)
    assert f"trace {graded['churn-2']}" in message and "'great'" in message
    assert f"trace {graded['house-3']}" in message and "score 7" in message
    assert _keyed(grades) == {
        ("titanic-1", "data_imputation", "ann@x.org"): (1, "median of the full data: leakage"),
        ("titanic-1", "model_training", "ann@x.org"): (3, "CV on training folds"),
        ("titanic-1", "model_training", "bob@x.org"): (2, "no baseline"),
        ("churn-2", "model_use", "ann@x.org"): (1, "refits on test"),
        ("churn-2", "mlflow_logging", "bob@x.org"): (0, "no tracking asked"),
        ("house-3", "cell_organization", "ann@x.org"): (2, "long cells"),
    }
    assert grades == sorted(grades, key=lambda g: (g.case_id, g.dimension, g.rater))
    assert all(isinstance(g.score, int) for g in grades)
    assert all(datetime.fromisoformat(g.created_at).tzinfo is not None for g in grades)


def test_trace_list_other_sources_and_strict_mode(experiment: str, graded: dict) -> None:
    traces = [mlflow.get_trace(graded["titanic-1"])]
    judged = grades_from_traces(traces, MAPPING, source_type="LLM_JUDGE")
    assert [(g.dimension, g.score, g.rater) for g in judged] == [("data_imputation", 3, "gpt")]
    every = grades_from_traces(traces, MAPPING, source_type=None)
    assert len(every) == len(grades_from_traces(traces, MAPPING)) + 1
    without_mapping = grades_from_traces(traces)
    assert {g.dimension for g in without_mapping} == {"model_training"}
    with pytest.raises(DatasetError, match="2 problems") as info:
        grades_from_traces(experiment, MAPPING, on_error="raise")
    assert {p.file for p in info.value.problems} == {
        f"trace {graded['churn-2']}",
        f"trace {graded['house-3']}",
    }


def test_custom_case_ids_and_bad_arguments(experiment: str, graded: dict) -> None:
    traces = [mlflow.get_trace(graded["house-3"])]
    with pytest.warns(MemAlignWarning, match="score 7"):
        grades = grades_from_traces(traces, case_id=lambda t: "custom", on_error="warn")
    assert {g.case_id for g in grades} == {"custom"}
    with pytest.raises(UnknownNameError, match="dimension 'imputation'"):
        grades_from_traces(traces, {"Imputation": "imputation"})
    with pytest.raises(ValueError, match="on_error"):
        grades_from_traces(traces, on_error="ignore")
    with pytest.raises(IntegrationError, match="experiment 999999: no experiment"):
        grades_from_traces("999999")
    assert len(grades_from_traces("grades", on_error="raise", source_type="CODE")) == 0


def test_case_ids_of_traces(experiment: str, graded: dict) -> None:
    assert trace_ids_by_case(experiment) == graded
    anonymous = _trace({"prompt": "no id here"})
    assert case_id_of(mlflow.get_trace(anonymous)) == anonymous


def test_grades_round_trip_through_assessments(experiment: str) -> None:
    trace_id = _trace({"case_id": "bike-4"})
    grades = [
        Grade("bike-4", "data_imputation", 1, "leaky", "ann@x.org", "2025-03-03T09:00:00+00:00"),
        Grade("bike-4", "model_use", 0, "", "bob@x.org", "2025-03-04T10:30:15.250000+00:00"),
    ]
    logged = log_assessments(trace_id, grades, {"Imputation": "data_imputation"})
    assert [a.name for a in logged] == ["Imputation", "model_use"]
    assert all(a.source.source_type == "HUMAN" for a in logged)
    back = grades_from_traces([mlflow.get_trace(trace_id)], {"Imputation": "data_imputation"})
    assert [(g.case_id, g.dimension, g.score, g.rationale, g.rater) for g in back] == [
        (g.case_id, g.dimension, g.score, g.rationale, g.rater) for g in grades
    ]
    assert [datetime.fromisoformat(g.created_at) for g in back] == [
        datetime.fromisoformat(g.created_at) for g in grades
    ]


def test_judgments_are_logged_to_their_cases_traces(experiment: str) -> None:
    traces = {c: _trace({"case_id": c}) for c in ("a-1", "b-2")}
    judgments = [
        Judgment("a-1", "data_imputation", 2, "fit after split", "heuristic", latency_s=0.01),
        Judgment("b-2", "data_imputation", None, judge_id="openai:gpt-4o-mini", error="429"),
        Judgment("c-3", "data_imputation", 3, judge_id="heuristic"),
    ]
    with pytest.warns(MemAlignWarning, match="1 items not logged: c-3/data_imputation"):
        logged = log_assessments(traces, judgments)
    first, second = (mlflow.get_trace(traces[c]).info.assessments for c in ("a-1", "b-2"))
    assert [(a.name, a.value, a.source.source_type, a.source.source_id) for a in first] == [
        ("data_imputation", 2, "CODE", "heuristic")
    ]
    assert first[0].metadata[CASE_ID_TAG] == "a-1" and first[0].rationale == "fit after split"
    assert second[0].value is None and second[0].error.error_message == "429"
    assert second[0].source.source_type == "LLM_JUDGE"
    assert len(logged) == 2
    with pytest.raises(IntegrationError, match="1 items not logged.*tr-missing"):
        log_assessments("tr-missing", judgments[:1], on_error="raise")


def test_to_feedback_carries_retrieval_metadata() -> None:
    fb = to_feedback(Judgment("a", "model_use", 3, judge_id="memalign[heuristic]",
                              retrieved_ids=("x", "y"), prompt_tokens=7), name="Use")
    assert (fb.name, fb.value, fb.source.source_type) == ("Use", 3, "CODE")
    assert fb.metadata["memalign_nb.retrieved_ids"] == '["x", "y"]'
    assert fb.metadata["memalign_nb.prompt_tokens"] == "7"

