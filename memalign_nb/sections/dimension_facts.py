"""Per-dimension fact dicts: the flat view of :class:`NotebookFacts` a judge scores.

:data:`FACT_BUILDERS` computes, for every dimension, the keys that
:data:`~memalign_nb.sections.fact_keys.FACT_KEYS` documents. Keys are stable (the heuristic
judge and MemAlign's learned guideline conditions refer to them by name) and values are
JSON-serialisable: bool, int, float, str, or lists of str/int. "Held-out data" means rows
kept apart for evaluation: the test side of a split, or a separate test file.
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
    on_train = [e for e in predictions if e.data == TRAIN or (
        e.data == FULL and "fitted_on_full" in e.flags)]  # the very rows it was fitted on
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
        "new_rows_dropped": any(e.name == "dropna" and e.data == TEST for e in prepared),
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


SYMMETRIC_METRICS = frozenset({
    "accuracy_score", "mean_squared_error", "mean_absolute_error", "root_mean_squared_error",
    "median_absolute_error", "hamming_loss", "cohen_kappa_score", "matthews_corrcoef"})
"""Metrics giving the same value whichever way round truth and predictions are passed."""

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
        "metrics_failed": bool(metrics) and {e.cell for e in metrics} <= {
            c.index for c in facts.outline.cells if c.error},
        "swapped_metric_arguments": _names(e for e in metrics if "swapped" in e.flags
                                           and e.name not in SYMMETRIC_METRICS),
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
