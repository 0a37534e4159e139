"""memalign-nb: align LLM judges of ML notebooks with human experts.

The public API, by stage in the order data flows (a stage imports only earlier ones; see
``docs/architecture.md``). Names are imported on first use, so ``import memalign_nb`` is
fast and works without the heavy optional dependencies.

>>> from memalign_nb import load_dataset, sample_path, make_judge, MemAlign
>>> dataset = load_dataset(sample_path())                     # doctest: +SKIP
>>> aligned = MemAlign().fit(make_judge("heuristic"), dataset)  # doctest: +SKIP
"""

from __future__ import annotations

from memalign_nb.lazy import lazy_getattr

__version__ = "0.1.0"

_STAGES: dict[str, dict[str, str]] = {
    # stage -> {name: module that defines it}
    "errors": {name: "memalign_nb.errors" for name in (
        "MemAlignError", "MemAlignWarning", "ProblemError", "FileProblemError", "Problem",
        "NotebookError", "NotebookLimitError", "RubricError", "DatasetError", "InvalidScoreError",
        "InvalidGradeError", "FeedbackStoreError", "UnknownNameError",
        "MissingDependencyError", "ModelConfigError", "MalformedReplyError",
        "MemoryDataError", "JudgeDirError", "IntegrationError", "ParameterError",
        "GradePageError",
    )},
    "dimensions and notebook parameters": {
        "DIMENSIONS": "memalign_nb.dimensions",
        "check_dimension": "memalign_nb.dimensions",
        "check_score": "memalign_nb.dimensions",
        "resolve_params": "memalign_nb.runtime",
        "on_databricks": "memalign_nb.runtime",
    },
    "notebooks": {
        "Notebook": "memalign_nb.notebooks.model",
        "Cell": "memalign_nb.notebooks.model",
        "read_notebook": "memalign_nb.notebooks.reader",
        "reads_notebook": "memalign_nb.notebooks.reader",
        "read_notebooks": "memalign_nb.notebooks.folder",
        "LoadReport": "memalign_nb.notebooks.folder",
        "NotebookLimits": "memalign_nb.notebooks.limits",
    },
    "rubrics": {
        "Rubric": "memalign_nb.rubrics.model",
        "load_rubrics": "memalign_nb.rubrics.loader",
    },
    "sections": {
        "Section": "memalign_nb.sections.model",
        "classify_cell": "memalign_nb.sections.classify",
        "build_sections": "memalign_nb.sections.sectioner",
        "build_section": "memalign_nb.sections.sectioner",
        "extract_facts": "memalign_nb.sections.facts",
        "NotebookFacts": "memalign_nb.sections.facts",
        "count_tokens": "memalign_nb.sections.tokens",
    },
    "feedback": {
        "Grade": "memalign_nb.feedback.model",
        "FeedbackStore": "memalign_nb.feedback.store",
        "read_grades_jsonl": "memalign_nb.feedback.io",
        "write_grades_jsonl": "memalign_nb.feedback.io",
        "reference_scores": "memalign_nb.feedback.agreement",
        "noise_floor": "memalign_nb.feedback.agreement",
        "Disagreement": "memalign_nb.feedback.disagreements",
        "DisagreementPattern": "memalign_nb.feedback.disagreements",
        "disagreements": "memalign_nb.feedback.disagreements",
        "disagreement_patterns": "memalign_nb.feedback.disagreements",
        "ADJUDICATOR_PREFIX": "memalign_nb.feedback.model",
        "adjudicator_name": "memalign_nb.feedback.model",
    },
    "datasets": {
        "Case": "memalign_nb.datasets.model",
        "Dataset": "memalign_nb.datasets.model",
        "load_dataset": "memalign_nb.datasets.loader",
        "validate_dataset": "memalign_nb.datasets.loader",
        "sample_path": "memalign_nb.datasets.loader",
        "generate_dataset": "memalign_nb.datasets.generator",
    },
    "judges": {
        "Judge": "memalign_nb.judges.base",
        "Judgment": "memalign_nb.judges.judgment",
        "make_judge": "memalign_nb.judges.registry",
        "HeuristicJudge": "memalign_nb.judges.heuristic",
        "LLMJudge": "memalign_nb.judges.llm",
        "make_chat_model": "memalign_nb.judges.chat",
        "ScriptedJudge": "memalign_nb.judges.scripted",
        "ScriptedChatModel": "memalign_nb.judges.scripted",
    },
    "memory": {
        "Guideline": "memalign_nb.memory.guidelines",
        "GuidelineSet": "memalign_nb.memory.guidelines",
        "EpisodicMemory": "memalign_nb.memory.episodic",
        "HashingEmbeddings": "memalign_nb.memory.embeddings",
    },
    "align": {
        "MemAlign": "memalign_nb.align.memalign",
        "AlignedJudge": "memalign_nb.align.aligned_judge",
        "load_judge": "memalign_nb.align.loading",
        "suggest": "memalign_nb.align.suggest",
        "Suggestion": "memalign_nb.align.suggest",
    },
    "study": {
        "AlignmentStudy": "memalign_nb.study.study",
        "VARIANTS": "memalign_nb.study.study",
        "StudyResult": "memalign_nb.study.result",
        "agreement_metrics": "memalign_nb.study.metrics",
        "save_study": "memalign_nb.study.report",
        "headline_table": "memalign_nb.study.report",
        "mae_chart": "memalign_nb.study.plots",
        "ablation_chart": "memalign_nb.study.plots",
        "improvement_forest": "memalign_nb.study.plots",
        "leniency_chart": "memalign_nb.study.plots",
        "learning_curve_chart": "memalign_nb.study.plots",
        "confusion_matrices": "memalign_nb.study.plots",
    },
    "tracking": {
        "log_study": "memalign_nb.tracking.mlflow_study",
        "resolve_tracking_uri": "memalign_nb.tracking.mlflow_study",
    },
    "integrations: any judge reference, MLflow, Spark": {
        "resolve_judge": "memalign_nb.integrations.judge_refs",
        "judge_ref_kind": "memalign_nb.integrations.judge_refs",
        "grades_from_traces": "memalign_nb.integrations.mlflow_assessments",
        "log_assessments": "memalign_nb.integrations.mlflow_assessments",
        "as_mlflow_scorer": "memalign_nb.integrations.mlflow_scorer",
        "log_judge": "memalign_nb.integrations.mlflow_model",
        "load_judge_from_mlflow": "memalign_nb.integrations.mlflow_model",
        "score_with_spark": "memalign_nb.integrations.spark",
    },
}

_EXPORTS: dict[str, str] = {name: module for names in _STAGES.values()
                            for name, module in names.items()}

__all__ = sorted([*_EXPORTS, "__version__"])

__getattr__ = lazy_getattr(__name__, _EXPORTS)


def __dir__() -> list[str]:
    return __all__
