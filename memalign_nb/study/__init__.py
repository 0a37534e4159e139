"""The alignment study: cross-validation, metrics, bootstrap CIs, plots and report.

>>> from memalign_nb.study import AlignmentStudy, save_study
>>> study = AlignmentStudy("heuristic", n_folds=4).fit(dataset)   # doctest: +SKIP
>>> paths = save_study(study.result_, "study-output")             # doctest: +SKIP

matplotlib is imported only when a plot is drawn.
"""

from memalign_nb.study.bootstrap import Interval, bootstrap_mae
from memalign_nb.study.curve import LearningCurve
from memalign_nb.study.folds import case_folds
from memalign_nb.study.metrics import DimensionMetrics, agreement_metrics
from memalign_nb.study.plots import (
    ablation_chart,
    confusion_matrices,
    improvement_forest,
    learning_curve_chart,
    leniency_chart,
    mae_chart,
    save_plots,
)
from memalign_nb.study.report import StudyPaths, headline_table, save_study
from memalign_nb.study.result import StudyResult
from memalign_nb.study.study import VARIANTS, AlignmentStudy

__all__ = [
    "VARIANTS",
    "AlignmentStudy",
    "DimensionMetrics",
    "Interval",
    "LearningCurve",
    "StudyPaths",
    "StudyResult",
    "ablation_chart",
    "agreement_metrics",
    "bootstrap_mae",
    "case_folds",
    "confusion_matrices",
    "headline_table",
    "improvement_forest",
    "learning_curve_chart",
    "leniency_chart",
    "mae_chart",
    "save_plots",
    "save_study",
]
