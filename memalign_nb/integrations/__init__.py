"""MLflow GenAI and Spark integrations: grades from traces, scorers, logged judges, batch jobs.

- :func:`grades_from_traces` / :func:`log_assessments`: human feedback on MLflow traces
  (labeling sessions, the Databricks review app) in as grades; judgments and grades out
  as assessments.
- :func:`as_mlflow_scorer`: any judge as ``mlflow.genai.evaluate`` scorers.
- :func:`resolve_judge`: the one way from any judge reference (a name, a model string, a
  saved judge folder, an MLflow model URI, an object) to a judge (:func:`judge_ref_kind`
  says which kind a reference is);
- :func:`log_judge` / :func:`load_judge_from_mlflow`: a judge as an MLflow pyfunc model, and
  back.
- :func:`score_with_spark`: score a Spark DataFrame of notebooks, one judge per executor
  process (``pip install 'memalign-nb[spark]'``).

Everything is imported on first use, so importing this package imports neither MLflow
nor Spark.
"""

from __future__ import annotations

from memalign_nb.lazy import lazy_getattr

_EXPORTS: dict[str, str] = {
    "CASE_ID_TAG": "memalign_nb.integrations.mlflow_assessments",
    "case_id_of": "memalign_nb.integrations.mlflow_assessments",
    "grades_from_traces": "memalign_nb.integrations.mlflow_assessments",
    "log_assessments": "memalign_nb.integrations.mlflow_assessments",
    "to_feedback": "memalign_nb.integrations.mlflow_assessments",
    "trace_ids_by_case": "memalign_nb.integrations.mlflow_assessments",
    "NotebookScorer": "memalign_nb.integrations.mlflow_scorer",
    "as_mlflow_scorer": "memalign_nb.integrations.mlflow_scorer",
    "JudgeModel": "memalign_nb.integrations.mlflow_model",
    "load_judge_from_mlflow": "memalign_nb.integrations.mlflow_model",
    "log_judge": "memalign_nb.integrations.mlflow_model",
    "judge_ref_kind": "memalign_nb.integrations.judge_refs",
    "resolve_judge": "memalign_nb.integrations.judge_refs",
    "JUDGMENT_COLUMNS": "memalign_nb.integrations.rows",
    "judgments_frame": "memalign_nb.integrations.rows",
    "JUDGMENT_SCHEMA": "memalign_nb.integrations.spark",
    "score_with_spark": "memalign_nb.integrations.spark",
}

__all__ = sorted(_EXPORTS)


__getattr__ = lazy_getattr(__name__, _EXPORTS)


def __dir__() -> list[str]:
    return __all__
