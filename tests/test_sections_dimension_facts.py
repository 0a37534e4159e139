"""Tests for memalign_nb.sections.dimension_facts: flattening events into per-dimension facts."""

from __future__ import annotations

import json

import pytest

from memalign_nb.dimensions import DIMENSIONS
from memalign_nb.sections.dimension_facts import FACT_BUILDERS
from memalign_nb.sections.events import Event
from memalign_nb.sections.fact_keys import FACT_KEYS
from memalign_nb.sections.facts import NotebookFacts
from memalign_nb.sections.organization import NotebookOutline


def facts(*events: Event, **fields) -> NotebookFacts:
    values = dict(notebook_path="x.ipynb", events=events, imports=(), unused_imports=(),
                  undefined_names=(), deprecated=(), installs=(), task_type="unknown",
                  task_evidence=(), target=None, time_ordered=False,
                  outline=NotebookOutline((), "not_run"))
    values.update(fields)
    return NotebookFacts(**values)


SPLIT = Event("split", "train_test_split", 3, 1, "full", "random", flags=frozenset({"shuffled"}))


def test_every_dimension_has_documented_keys_and_a_builder():
    assert list(FACT_KEYS) == list(DIMENSIONS) == list(FACT_BUILDERS)
    empty = facts()
    for dimension in DIMENSIONS:
        values = FACT_BUILDERS[dimension](empty)
        assert list(values) == list(FACT_KEYS[dimension]), dimension
        assert all(isinstance(v, bool | int | float | str | list) for v in values.values())
        json.dumps(values)


@pytest.mark.parametrize(("data", "flags", "leaks"), [
    ("full", {"before_split"}, {"before_split", "on_full_data"}),
    ("train", {"before_split"}, {"before_split"}),  # e.g. a train file split again later
    ("test", {"after_split"}, {"on_test"}),
    ("full", {"after_split"}, {"on_full_data"}),
    ("train", {"after_split"}, set()),
    ("full", {"before_split", "in_pipeline"}, set()),  # pipelines fit inside their own fit
])
def test_imputation_leaks(data, flags, leaks):
    imputer = Event("transform", "SimpleImputer", 2, 1, data, "imputer", flags=frozenset(flags))
    values = facts(imputer, SPLIT).for_dimension("data_imputation")
    found = {k for k in ("before_split", "on_full_data", "on_test") if values[f"imputer_fit_{k}"]}
    assert found == leaks
    assert values["imputation_leakage"] is bool(leaks)


def test_full_data_fit_without_held_out_data_is_not_a_leak():
    scaler = Event("transform", "StandardScaler", 2, 1, "full", "scaler")
    values = facts(scaler).for_dimension("feature_engineering")
    assert values["scaling"] and not values["transform_fit_on_full_data"]


def test_model_use_reuse_refit_and_training_only():
    fit = Event("fit", "SVC", 4, 1, "train", "classifier", "m")
    reuse = Event("predict", "predict", 5, 1, "test", "classifier", "m",
                  frozenset({"fitted_on_train"}), (4,))
    values = facts(fit, reuse).for_dimension("model_use")
    assert values["model_reused_for_predictions"] and values["predicts_on_heldout"]
    refit = Event("fit", "SVC", 6, 1, "test", "classifier", "m")
    again = Event("predict", "predict", 6, 2, "test", "classifier", "m",
                  frozenset({"fitted_on_test"}), (4, 6))
    values = facts(fit, refit, again).for_dimension("model_use")
    assert values["model_refit_on_test"] and not values["model_reused_for_predictions"]
    on_train = Event("predict", "predict", 5, 1, "train", "", "m", refs=(4,))
    assert facts(fit, on_train).for_dimension("model_use")["only_predicts_on_training_data"]


def test_metric_family_mismatches():
    accuracy = Event("metric", "accuracy_score", 5, 1, "test", "classification")
    regressor = Event("fit", "LinearRegression", 4, 1, "train", "regressor")
    training = facts(regressor, accuracy).for_dimension("model_training")
    assert training["model_family_mismatch"]
    metrics = facts(accuracy, task_type="regression").for_dimension("metrics_evaluation")
    assert metrics["metric_task_mismatch"] and metrics["heldout_metrics"] == 1


def test_mlflow_signature_needs_log_model_arguments():
    plain = Event("mlflow", "log_model", 1, 1)
    signed = Event("mlflow", "log_model", 1, 2, flags=frozenset({"input_example"}))
    assert not facts(plain).for_dimension("mlflow_logging")["model_signature"]
    assert facts(signed).for_dimension("mlflow_logging")["model_signature"]
    autolog = facts(Event("mlflow", "autolog", 1, 1)).for_dimension("mlflow_logging")
    assert autolog["model_logged"] and not autolog["mlflow_without_model"]


def test_preprocessor_refits_count_and_metrics_logged_only_do_not():
    prep = Event("transform", "StandardScaler", 9, 1, "test", "scaler",
                 flags=frozenset({"in_pipeline", "preprocessor"}))
    inside = Event("transform", "StandardScaler", 8, 1, "test", "scaler",
                   flags=frozenset({"in_pipeline"}))
    assert facts(SPLIT, inside).for_dimension("model_use")["transform_refit_on_test"] is False
    assert facts(SPLIT, prep).for_dimension("model_use")["transform_refit_on_test"] is True
    acc = Event("metric", "accuracy_score", 5, 1, "test", "classification")
    auc = Event("metric", "roc_auc_score", 5, 2, "test", "classification",
                flags=frozenset({"logged"}))
    base = Event("metric", "accuracy_score", 5, 3, "test", "classification",
                 flags=frozenset({"baseline"}))
    got = facts(SPLIT, acc, auc, base).for_dimension("metrics_evaluation")
    assert got["accuracy_only"] and not got["imbalance_aware_metrics"]
    assert got["reported_metrics"] == ["accuracy_score"] and got["baseline_compared"]
    assert got["heldout_reported_metrics"] == 1
    only_logged = facts(SPLIT, auc).for_dimension("metrics_evaluation")
    assert only_logged["imbalance_aware_metrics"] and not only_logged["baseline_compared"]
