"""memalign-nb: align LLM judges of ML notebooks with human experts.

The public API is imported lazily, so ``import memalign_nb`` is fast and works without the
heavy optional dependencies.
"""

from __future__ import annotations

from memalign_nb.lazy import lazy_getattr

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    # name -> module that defines it
    "DIMENSIONS": "memalign_nb.dimensions",
    "MemAlignError": "memalign_nb.errors",
    "MemAlignWarning": "memalign_nb.errors",
    "NotebookError": "memalign_nb.errors",
    "UnknownNameError": "memalign_nb.errors",
    "InvalidScoreError": "memalign_nb.errors",
    "RubricError": "memalign_nb.errors",
    "DatasetError": "memalign_nb.errors",
    "Problem": "memalign_nb.errors",
    "InvalidGradeError": "memalign_nb.errors",
    "FeedbackStoreError": "memalign_nb.errors",
    "Notebook": "memalign_nb.notebooks.model",
    "Cell": "memalign_nb.notebooks.model",
    "read_notebook": "memalign_nb.notebooks.reader",
    "reads_notebook": "memalign_nb.notebooks.reader",
    "read_notebooks": "memalign_nb.notebooks.folder",
    "LoadReport": "memalign_nb.notebooks.folder",
    "Section": "memalign_nb.sections.model",
    "classify_cell": "memalign_nb.sections.classify",
    "build_sections": "memalign_nb.sections.sectioner",
    "build_section": "memalign_nb.sections.sectioner",
    "extract_facts": "memalign_nb.sections.facts",
    "NotebookFacts": "memalign_nb.sections.facts",
    "count_tokens": "memalign_nb.sections.tokens",
    "Rubric": "memalign_nb.rubrics.model",
    "Grade": "memalign_nb.feedback.model",
    "FeedbackStore": "memalign_nb.feedback.store",
    "reference_scores": "memalign_nb.feedback.agreement",
    "noise_floor": "memalign_nb.feedback.agreement",
    "load_rubrics": "memalign_nb.rubrics.loader",
    "load_dataset": "memalign_nb.datasets.loader",
    "validate_dataset": "memalign_nb.datasets.loader",
    "Case": "memalign_nb.datasets.model",
    "Dataset": "memalign_nb.datasets.model",
    "Judge": "memalign_nb.judges.base",
    "Judgment": "memalign_nb.judges.base",
    "HashingEmbeddings": "memalign_nb.memory.embeddings",
    "EpisodicMemory": "memalign_nb.memory.episodic",
    "Guideline": "memalign_nb.memory.guidelines",
    "GuidelineSet": "memalign_nb.memory.guidelines",
    "MemoryDataError": "memalign_nb.errors",
    "ParameterError": "memalign_nb.errors",
    "make_judge": "memalign_nb.judges.registry",
    "LLMJudge": "memalign_nb.judges.llm",
    "ScriptedJudge": "memalign_nb.judges.scripted",
    "ScriptedChatModel": "memalign_nb.judges.scripted",
    "AlignmentStudy": "memalign_nb.study.study",
    "StudyResult": "memalign_nb.study.result",
    "MemAlign": "memalign_nb.align.memalign",
    "AlignedJudge": "memalign_nb.align.aligned_judge",
    "load_judge": "memalign_nb.align.loading",
    "JudgeDirError": "memalign_nb.errors",
    "IntegrationError": "memalign_nb.errors",
    "grades_from_traces": "memalign_nb.integrations.mlflow_assessments",
    "log_assessments": "memalign_nb.integrations.mlflow_assessments",
    "as_mlflow_scorer": "memalign_nb.integrations.mlflow_scorer",
    "log_judge": "memalign_nb.integrations.mlflow_model",
    "load_judge_from_mlflow": "memalign_nb.integrations.mlflow_model",
    "score_with_spark": "memalign_nb.integrations.spark",
}

__all__ = sorted([*_EXPORTS, "__version__"])


__getattr__ = lazy_getattr(__name__, _EXPORTS)


def __dir__() -> list[str]:
    return __all__
