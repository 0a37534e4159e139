"""Per-dimension fact dicts: the flat view of :class:`NotebookFacts` a judge scores.

:data:`FACT_KEYS` documents every key of every dimension; :data:`FACT_BUILDERS` computes
them. Keys are stable (the heuristic judge and MemAlign's learned guideline conditions
refer to them by name) and values are JSON-serialisable: bool, int, float, str, or lists
of str/int. "Held-out data" means rows kept apart for evaluation: the test side of a
split, or a separate test file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from memalign_nb.sections.apis import (
    CATEGORY_ENCODERS,
    DATE_NAME,
    IMBALANCE_METRICS,
    ORDER_SENSITIVE,
)
from memalign_nb.sections.events import CV, FULL, TEST, TRAIN, UNKNOWN, Event
from memalign_nb.sections.findings import contradicted_claims, finding_cells
from memalign_nb.sections.sources import COMPLETE_KINDS, IMAGES

if TYPE_CHECKING:
    from memalign_nb.sections.facts import NotebookFacts

MAX_LISTED = 20
"""Longest list a fact value holds (names beyond it are dropped)."""

_LINEAR = ("LogisticRegression", "LinearRegression", "Ridge", "Lasso", "ElasticNet", "SGD",
           "LinearSVC", "LinearSVR", "Perceptron", "OLS", "ols")

FACT_KEYS: dict[str, dict[str, str]] = {
    "library_installation": {
        "installs": "number of package-install commands (%pip, !pip, conda)",
        "installed_packages": "requirement specifiers installed",
        "unpinned_packages": "installed packages without any version constraint",
        "installs_pinned": "at least one install, and every package pinned exactly",
        "installs_use_shell_pip": "uses !pip (may target another environment) not %pip",
        "install_cells": "cells with installs",
        "imports": "names bound by imports",
        "import_cells": "number of cells containing imports",
        "imports_after_code": "imports in cells after the first cell doing other work",
        "unused_imports": "imported names never used",
        "undefined_names": "names used but never defined or imported (likely missing imports)",
        "deprecated_apis": "deprecated or removed APIs used",
        "removed_api_used": "an API removed from current library releases is used",
        "deprecated_api_used": "a deprecated (still present) API is used",
        "unparsed_cells": "code cells that are not valid Python 3",
    },
    "exploratory_data_analysis": {
        "eda_calls": "calls inspecting data (head, info, describe, value_counts, shape, ...)",
        "eda_methods": "distinct inspection methods used",
        "shape_checked": "shape or info inspected",
        "types_checked": "dtypes or info inspected",
        "summary_statistics": "describe() used",
        "missingness_measured": "missing values counted (isnull/isna, missingno)",
        "target_distribution_checked": "the target column's distribution inspected or plotted",
        "correlations_checked": "correlations computed or plotted (corr, heatmap)",
        "plots": "plotting calls",
        "markdown_cells": "markdown cells (narration of findings)",
        "target_relationship_checked": "the target set against another column (groupby, "
                                       "crosstab, corrwith, a plot with both)",
        "finding_cells": "markdown cells after the first look at the data and before "
                         "modelling that quote numbers (stated findings)",
        "claims_contradicted": "markdown claims (missing values negligible, classes "
                               "balanced) that the notebook's own saved outputs contradict",
    },
    "data_imputation": {
        "missing_values_handled": "fillna, dropna, interpolate or an imputer is used",
        "missingness_measured": "missing values counted (isnull/isna, missingno)",
        "imputation_methods": "how missing values are handled (SimpleImputer, fillna(mean), ...)",
        "imputer_in_pipeline": "an imputer is fitted inside a Pipeline/ColumnTransformer",
        "imputer_fit_on_train": "an imputer or fill statistic is learned from training rows only",
        "imputer_fit_before_split": "an imputer or fill statistic is learned before the split",
        "imputer_fit_on_full_data": "a fill statistic is learned from all rows (train and "
                                    "held-out together) while held-out data exists",
        "imputer_fit_on_test": "a fill statistic is learned from held-out rows",
        "imputation_leakage": "any of the three leaks above",
        "target_imputed": "missing values of the target are filled",
        "rows_dropped": "dropna used",
        "split_present": "the data is split into training and held-out rows",
        "split_cells": "cells where the split happens",
        "data_sources": "kinds of data read: table (files, SQL), library (a library's "
                        "built-in dataset, or a file copy of one), images, text",
        "data_complete_by_construction": "the data cannot have missing values: images, "
                                         "raw text, or a library's built-in dataset, and "
                                         "no other table",
    },
    "feature_engineering": {
        "transformers": "fitted transformers other than imputers (scalers, encoders, ...)",
        "scaling": "a scaler is fitted",
        "encoding": "categorical encoding is done (encoders, get_dummies)",
        "transform_in_pipeline": "a transformer is fitted inside a Pipeline/ColumnTransformer",
        "transform_fit_before_split": "a transformer learning from the rows (more than "
                                      "the list of categories) is fitted before the split",
        "transform_fit_on_full_data": "a transformer learning from the rows is fitted on "
                                      "all rows while held-out data exists",
        "transform_fit_on_test": "a transformer is fitted on held-out rows",
        "feature_leakage": "any of the three leaks above",
        "resampling_before_split": "over/under-sampling (SMOTE, ...) before the split or on "
                                   "all rows",
        "get_dummies_separately": "get_dummies applied to training and held-out data apart",
        "label_encoded_features": "LabelEncoder used on columns other than the target",
        "linear_model_used": "a linear model is trained (label-encoded nominals hurt it)",
        "nominal_integer_codes": "columns whose unordered categories (3 or more) are given "
                                 "integer codes by hand (map/replace), the target excepted",
        "order_sensitive_models": "models trained that read integer codes as quantities "
                                  "(linear, k-NN, SVM, naive Bayes, neural networks)",
        "new_columns": "columns created from other columns",
        "features_in_function": "derived columns computed in a user function (one "
                                "definition applied alike to every frame it is given)",
        "pixels_scaled": "pixel values scaled by a fixed constant (x / 255): stateless, "
                         "the same for training and new images",
        "split_present": "the data is split into training and held-out rows",
    },
    "model_training": {
        "task_type": "classification, regression, forecasting or unknown (guessed from code)",
        "task_evidence": "why the task type was guessed",
        "target": "the target column, or '' when not visible",
        "models": "model classes trained",
        "model_families": "classifier, regressor, forecaster, clusterer, neural_net, unknown",
        "split_present": "the data is split into training and held-out rows",
        "split_kinds": "train_test_split, slice, date_mask, sample",
        "random_split": "rows are assigned to train/test at random",
        "stratified_split": "the split or cross-validation is stratified",
        "time_ordered": "the data is handled as a time series",
        "random_split_on_time_series": "a random split on time-ordered data",
        "cross_validation": "cross-validation is used",
        "tuning": "hyper-parameters are searched (GridSearchCV, Optuna, ...)",
        "tuning_on_test": "the hyper-parameter search is fitted on held-out rows, or a loop "
                          "picks a hyper-parameter by scores on test rows",
        "trains_on_test": "a model is fitted on held-out rows",
        "trains_on_full_data_after_split": "a model is fitted on all rows after splitting "
                                           "(held-out rows included), then held-out rows "
                                           "are scored",
        "baseline_present": "a baseline model (DummyClassifier, naive forecast) is present",
        "seed_set": "a random seed or random_state is set",
        "model_family_mismatch": "only regressors fitted but only classification metrics "
                                 "computed, or the reverse",
    },
    "model_use": {
        "predictions": "prediction calls",
        "predicts_on_heldout": "a fitted model predicts on held-out or new data",
        "predicts_on_training_data": "a model predicts on its training rows",
        "only_predicts_on_training_data": "every prediction is on training rows",
        "model_reused_for_predictions": "the model fitted on training data is the one that "
                                        "predicts on held-out data",
        "model_refit_on_test": "a model is fitted again on held-out rows",
        "transform_refit_on_test": "preprocessing is fitted again on held-out rows (a bare "
                                   "transformer, or a preprocessing-only ColumnTransformer)",
        "predicts_with_pipeline": "predictions go through a pipeline with its preprocessing",
        "predicts_through_function": "new data go through a user function that refits "
                                     "nothing (the fitted values reused) before predicting",
        "loads_saved_model": "a saved model is loaded (joblib, pickle, MLflow, Keras)",
        "writes_outputs": "predictions or models are written out (to_csv, save, dump)",
        "output_writes_failed": "every cell writing outputs shows an error in its saved "
                                "output (nothing was written)",
        "new_rows_prepared_by_hand": "preparation steps (fills, drops, derived columns, "
                                     "category codes, dummies) written by hand before "
                                     "the last prediction for held-out or new rows (or "
                                     "rows of unknown role)",
        "training_rows_prepared_by_hand": "such steps written for training rows (after "
                                          "the split, or a training file)",
        "predicts_without_fit": "predictions by a model never fitted or loaded in the notebook",
    },
    "metrics_evaluation": {
        "metrics": "metric functions used (and scoring= names)",
        "metric_families": "classification, regression, forecasting, other",
        "heldout_metrics": "metrics computed on held-out rows",
        "training_metrics": "metrics computed on training rows",
        "cv_metrics": "metrics from cross-validation",
        "full_data_metrics": "metrics computed on all rows (training rows included)",
        "only_training_metrics": "metrics exist and all are on training rows",
        "imbalance_aware_metrics": "F1, ROC-AUC, PR-AUC, balanced accuracy, ... reported "
                                   "(not only logged to MLflow, unless every metric is)",
        "reported_metrics": "metrics shown in the notebook (not only logged to MLflow)",
        "heldout_reported_metrics": "distinct metrics shown for held-out rows",
        "accuracy_only": "accuracy-style metrics (accuracy, score) are the only ones shown "
                         "for a classifier",
        "metric_task_mismatch": "metrics of another task family than the task",
        "baseline_present": "a baseline model (DummyClassifier, naive forecast) is present",
        "baseline_compared": "a metric is shown for a baseline (its predictions scored, a "
                             "cross-validation including it, or a value labelled baseline)",
        "task_type": "classification, regression, forecasting or unknown",
        "split_present": "the data is split into training and held-out rows",
    },
    "mlflow_logging": {
        "mlflow_used": "any MLflow call",
        "mlflow_calls": "number of MLflow calls",
        "experiment_set": "set_experiment or create_experiment",
        "run_started": "start_run",
        "params_logged": "log_param or log_params",
        "metrics_logged": "log_metric or log_metrics",
        "model_logged": "a log_model call, or autolog",
        "model_signature": "log_model with a signature or input_example (or autolog)",
        "autolog": "autolog is turned on",
        "artifacts_logged": "log_artifact(s), log_figure, log_dict, log_text or log_table",
        "tags_set": "set_tag or set_tags",
        "mlflow_without_model": "MLflow is used but no model is logged",
    },
    "cell_organization": {
        "cells": "cells in the notebook",
        "code_cells": "non-empty code cells",
        "markdown_cells": "markdown cells",
        "markdown_ratio": "markdown cells / all cells",
        "headers": "markdown headers",
        "header_levels": "distinct header levels used",
        "median_code_lines": "median non-blank lines per code cell",
        "longest_code_lines": "non-blank lines of the longest code cell",
        "long_code_cells": "code cells over 40 lines",
        "multi_topic_cells": "code cells bearing on 3 or more dimensions",
        "empty_code_cells": "empty code cells",
        "execution_order": "in_order, out_of_order, partially_run or not_run",
        "error_cells": "cells whose output shows an error",
    },
}
"""Every fact key, by dimension, with what it means."""


def _names(events: Iterable[Event]) -> list[str]:
    return list(dict.fromkeys(e.name for e in events))[:MAX_LISTED]


def _has_heldout(facts: NotebookFacts) -> bool:
    return bool(facts.split_cells) or any(e.data == TEST for e in facts.events)


def loose(events: Iterable[Event]) -> list[Event]:
    """Transforms fitted on the data they are given: not inside a pipeline with a model
    (whose fit sees only what the pipeline is fitted on), or in a preprocessing-only one."""
    return [e for e in events if "in_pipeline" not in e.flags or "preprocessor" in e.flags]


def _leaks(facts: NotebookFacts, transforms: list[Event]) -> tuple[bool, bool, bool]:
    """(fitted before the split, on all rows, on held-out rows), pipelines excepted."""
    loose_ = loose(transforms)
    heldout = _has_heldout(facts)
    before = any("before_split" in e.flags and e.data != TEST for e in loose_)
    full = heldout and any(e.data == FULL for e in loose_)
    test = any(e.data == TEST for e in loose_)
    return before, full, test


def _library_installation(facts: NotebookFacts) -> dict[str, object]:
    packages = [p for i in facts.installs for p in i.packages]
    first_work = next((c.index for c in facts.outline.code
                       if set(c.labels) - {"library_installation"}), None)
    return {
        "installs": len(facts.installs),
        "installed_packages": list(dict.fromkeys(packages))[:MAX_LISTED],
        "unpinned_packages": list(dict.fromkeys(
            p for i in facts.installs for p in i.unpinned))[:MAX_LISTED],
        "installs_pinned": bool(facts.installs) and all(i.pinned for i in facts.installs),
        "installs_use_shell_pip": any(i.magic == "!" for i in facts.installs),
        "install_cells": sorted({i.cell for i in facts.installs}),
        "imports": len(facts.imports),
        "import_cells": len({i.cell for i in facts.imports}),
        "imports_after_code": sum(
            first_work is not None and i.cell > first_work for i in facts.imports),
        "unused_imports": [i.name for i in facts.unused_imports][:MAX_LISTED],
        "undefined_names": list(facts.undefined_names[:MAX_LISTED]),
        "deprecated_apis": list(dict.fromkeys(d.api.api for d in facts.deprecated)),
        "removed_api_used": any(d.api.status == "removed" for d in facts.deprecated),
        "deprecated_api_used": any(d.api.status == "deprecated" for d in facts.deprecated),
        "unparsed_cells": len(facts.unparsed_cells),
    }


def _exploratory_data_analysis(facts: NotebookFacts) -> dict[str, object]:
    eda = facts.of("eda")
    names = {e.name for e in eda}
    plots = facts.of("plot")
    return {
        "eda_calls": len(eda),
        "eda_methods": sorted(names),
        "shape_checked": bool(names & {"shape", "info"}),
        "types_checked": bool(names & {"dtypes", "info"}),
        "summary_statistics": "describe" in names,
        "missingness_measured": bool(facts.of("missing_check")),
        "target_distribution_checked": any(_shows_target(e, facts) for e in [*eda, *plots]),
        "correlations_checked": "corr" in names or any(
            e.name.endswith("heatmap") for e in plots),
        "plots": len(plots),
        "markdown_cells": sum(c.cell_type == "markdown" for c in facts.outline.cells),
        "target_relationship_checked": any(_relates_target(e, facts.target)
                                           for e in [*eda, *plots]),
        "finding_cells": len(finding_cells(facts)),
        "claims_contradicted": contradicted_claims(facts)[:MAX_LISTED],
    }


_RELATING = frozenset({"groupby", "crosstab", "pivot_table", "corrwith", "corr"})


def _shows_target(event: Event, facts: NotebookFacts) -> bool:
    """Whether an inspection or plot shows the target's own distribution: the target
    alone (``y.value_counts()``, a histogram), or over time in a time series (its trend);
    the target split by another column is a relationship instead."""
    if "target" not in event.flags:
        return False
    if not _relates_target(event, facts.target):
        return True
    return facts.time_ordered and any(DATE_NAME.search(c) for c in event.columns)


def _relates_target(event: Event, target: str | None) -> bool:
    """Whether an inspection or plot sets the target against another column: a groupby
    or crosstab of the target by a column, its correlations, a plot naming both."""
    if target is None or "target" not in event.flags:
        return False
    if event.name in ("corr", "corrwith"):
        return True
    others = [c for c in event.columns if c != target and c.isidentifier()]
    return bool(others) and (event.kind == "plot" or event.name in _RELATING)


def _data_imputation(facts: NotebookFacts) -> dict[str, object]:
    imputers = [e for e in facts.of("transform") if e.group == "imputer"]
    handling = facts.of("missing_handling")
    before, full, test = _leaks(facts, imputers)
    methods = _names(e for e in [*imputers, *handling] if e.kind == "transform"
                     or e.name in ("dropna", "interpolate", "ffill", "bfill"))
    kinds = {e.group for e in facts.of("data_source")}
    return {
        "missing_values_handled": bool(imputers or handling),
        "missingness_measured": bool(facts.of("missing_check")),
        "imputation_methods": methods,
        "imputer_in_pipeline": any("in_pipeline" in e.flags for e in imputers),
        "imputer_fit_on_train": any(e.data == TRAIN and "before_split" not in e.flags
                                    for e in imputers),
        "imputer_fit_before_split": before,
        "imputer_fit_on_full_data": full,
        "imputer_fit_on_test": test,
        "imputation_leakage": before or full or test,
        "target_imputed": any("target" in e.flags for e in [*imputers, *handling]
                              if e.name != "dropna"),
        "rows_dropped": any(e.name == "dropna" for e in handling),
        "split_present": bool(facts.split_cells),
        "split_cells": list(facts.split_cells),
        "data_sources": sorted(kinds),
        "data_complete_by_construction": IMAGES in kinds or bool(kinds) and kinds <= (
            COMPLETE_KINDS),
    }


def _feature_engineering(facts: NotebookFacts) -> dict[str, object]:
    transforms = [e for e in facts.of("transform") if e.group != "imputer"]
    fitted = [e for e in transforms if e.group != "resampler"]
    before, full, _ = _leaks(facts, [e for e in fitted if e.name not in CATEGORY_ENCODERS])
    test = _leaks(facts, fitted)[2]
    fits = facts.of("fit")
    resamplers = [e for e in transforms if e.group == "resampler"]
    dummies = {e.data for e in transforms if e.name == "get_dummies"}
    return {
        "transformers": _names(transforms),
        "scaling": any(e.group == "scaler" for e in transforms),
        "encoding": any(e.group == "encoder" for e in transforms),
        "transform_in_pipeline": any("in_pipeline" in e.flags for e in transforms),
        "transform_fit_before_split": before,
        "transform_fit_on_full_data": full,
        "transform_fit_on_test": test,
        "feature_leakage": before or full or test,
        "resampling_before_split": any(
            "before_split" in e.flags or e.data == FULL for e in resamplers),
        "get_dummies_separately": {TRAIN, TEST} <= dummies,
        "label_encoded_features": any(
            e.name == "LabelEncoder" and "target" not in e.flags for e in transforms),
        "linear_model_used": any(e.name.endswith(_LINEAR) for e in fits),
        "nominal_integer_codes": list(dict.fromkeys(
            c for e in facts.of("category_codes") if not e.flags & {"ordered", "target"}
            for c in e.columns or ("(frame-wide replace)",)))[:MAX_LISTED],
        "order_sensitive_models": _names(e for e in fits if ORDER_SENSITIVE.match(e.name)
                                         or e.group == "neural_net"),
        "new_columns": len(facts.of("feature")),
        "features_in_function": sum("in_function" in e.flags for e in facts.of("feature")),
        "pixels_scaled": any(e.name == "/255" for e in facts.of("data_source")),
        "split_present": bool(facts.split_cells),
    }


def _model_training(facts: NotebookFacts) -> dict[str, object]:
    fits = [e for e in facts.of("fit") if e.group != "clusterer"]
    splits = facts.of("split")
    cvs = facts.of("cv")
    random_split = any("shuffled" in e.flags for e in [*splits, *cvs])
    families = {e.group for e in fits}
    metrics = {e.group for e in facts.of("metric")} & {"classification", "regression"}
    task = facts.task_type
    return {
        "task_type": task,
        "task_evidence": list(facts.task_evidence[:MAX_LISTED]),
        "target": facts.target or "",
        "models": _names(fits),
        "model_families": sorted(families),
        "split_present": bool(splits),
        "split_kinds": _names(splits),
        "random_split": random_split,
        "stratified_split": any("stratified" in e.flags for e in [*splits, *cvs]),
        "time_ordered": facts.time_ordered,
        "random_split_on_time_series": facts.time_ordered and random_split,
        "cross_validation": bool(cvs) or any("cv" in e.flags for e in fits),
        "tuning": any("by_hand" not in e.flags for e in facts.of("tuning")),
        "tuning_on_test": any(e.data == TEST for e in facts.of("tuning")),
        "trains_on_test": any(e.data == TEST for e in fits),
        "trains_on_full_data_after_split": bool(splits) and any(
            e.data == FULL and "after_split" in e.flags and any(
                m.data == TEST and m.position > e.position for m in facts.of("metric"))
            for e in fits),
        "baseline_present": bool(facts.of("baseline")),
        "seed_set": bool(facts.of("seed")),
        "model_family_mismatch": (families == {"regressor"} and metrics == {"classification"})
        or (families == {"classifier"} and metrics == {"regression"}),
    }


PREPARATION = frozenset({"missing_handling", "feature", "category_codes"})
"""Event kinds that prepare rows by hand (with ``get_dummies``)."""


def _model_use(facts: NotebookFacts) -> dict[str, object]:
    predictions = facts.of("predict")
    on_train = [e for e in predictions if e.data == TRAIN]
    elsewhere = [e for e in predictions if e.data in (TEST, UNKNOWN)]
    transforms = facts.of("transform")
    last = max((e.position for e in predictions), default=(-1, 0))
    prepared = [e for e in facts.events if (e.kind in PREPARATION or e.name == "get_dummies")
                and e.position < last]
    return {
        "predictions": len(predictions),
        "predicts_on_heldout": any(e.data == TEST and e.refs for e in predictions),
        "predicts_on_training_data": bool(on_train),
        "only_predicts_on_training_data": bool(predictions) and len(on_train) == len(
            predictions),
        "model_reused_for_predictions": any(
            e.refs and "fitted_on_test" not in e.flags for e in elsewhere),
        "model_refit_on_test": any(e.data == TEST for e in facts.of("fit")),
        "transform_refit_on_test": any(e.data == TEST for e in loose(transforms)),
        "predicts_with_pipeline": any("pipeline" in e.flags for e in predictions),
        "predicts_through_function": any(
            "prepared" in e.flags and e.data != TRAIN for e in predictions),
        "loads_saved_model": bool(facts.of("model_load")),
        "writes_outputs": bool(facts.of("output_write")),
        "output_writes_failed": bool(facts.of("output_write")) and {
            e.cell for e in facts.of("output_write")} <= {
                c.index for c in facts.outline.cells if c.error},
        "new_rows_prepared_by_hand": sum(e.data in (TEST, UNKNOWN, "") for e in prepared),
        "training_rows_prepared_by_hand": sum(e.data == TRAIN for e in prepared),
        "predicts_without_fit": sum(not e.refs for e in predictions),
    }


ACCURACY_METRICS = frozenset({"accuracy_score", "accuracy", "score", "evaluate"})
"""Metrics that say nothing about the rare class of an imbalanced target."""


def _metrics_evaluation(facts: NotebookFacts) -> dict[str, object]:
    metrics = facts.of("metric")
    reported = [e for e in metrics if "logged" not in e.flags] or list(metrics)
    classifier = facts.task_type == "classification" or any(
        e.group == "classification" for e in reported)
    by_data = {role: sum(e.data == role for e in metrics) for role in (TEST, TRAIN, CV, FULL)}
    families = {e.group for e in metrics} - {"other"}
    task = facts.task_type
    mismatch = (task == "classification" and bool(families) and "classification" not in
                families) or (task in ("regression", "forecasting") and families == {
                    "classification"})
    return {
        "metrics": _names(metrics),
        "metric_families": sorted({e.group for e in metrics}),
        "heldout_metrics": by_data[TEST],
        "training_metrics": by_data[TRAIN],
        "cv_metrics": by_data[CV],
        "full_data_metrics": by_data[FULL],
        "only_training_metrics": bool(metrics) and by_data[TRAIN] == len(metrics),
        "imbalance_aware_metrics": any(e.name in IMBALANCE_METRICS for e in reported),
        "reported_metrics": _names(reported),
        "heldout_reported_metrics": len({e.name for e in reported if e.data == TEST}),
        "accuracy_only": classifier and bool(reported) and all(
            e.name in ACCURACY_METRICS for e in reported),
        "metric_task_mismatch": mismatch,
        "baseline_present": bool(facts.of("baseline")),
        "baseline_compared": any("baseline" in e.flags and "logged" not in e.flags
                                 for e in metrics),
        "task_type": task,
        "split_present": bool(facts.split_cells),
    }


def _mlflow_logging(facts: NotebookFacts) -> dict[str, object]:
    calls = facts.of("mlflow")
    names = {e.name for e in calls}
    autolog = "autolog" in names
    logged = autolog or "log_model" in names
    return {
        "mlflow_used": bool(calls),
        "mlflow_calls": len(calls),
        "experiment_set": bool(names & {"set_experiment", "create_experiment"}),
        "run_started": "start_run" in names,
        "params_logged": bool(names & {"log_param", "log_params"}),
        "metrics_logged": bool(names & {"log_metric", "log_metrics"}),
        "model_logged": logged,
        "model_signature": autolog or any(
            e.name == "log_model" and e.flags & {"signature", "input_example"}
            for e in calls),
        "autolog": autolog,
        "artifacts_logged": bool(names & {"log_artifact", "log_artifacts", "log_figure",
                                          "log_dict", "log_text", "log_table"}),
        "tags_set": bool(names & {"set_tag", "set_tags"}),
        "mlflow_without_model": bool(calls) and not logged,
    }


FACT_BUILDERS: dict[str, Callable[[NotebookFacts], dict[str, object]]] = {
    "library_installation": _library_installation,
    "exploratory_data_analysis": _exploratory_data_analysis,
    "data_imputation": _data_imputation,
    "feature_engineering": _feature_engineering,
    "model_training": _model_training,
    "model_use": _model_use,
    "metrics_evaluation": _metrics_evaluation,
    "mlflow_logging": _mlflow_logging,
    "cell_organization": lambda facts: facts.outline.as_facts(),
}
"""The function computing each dimension's facts (keys as in :data:`FACT_KEYS`)."""
