"""What every per-dimension fact means: :data:`FACT_KEYS`, the documentation of the keys.

The keys are stable: the heuristic judge and MemAlign's learned guideline conditions refer
to them by name, and they appear as words in learned guidelines.
:mod:`memalign_nb.sections.dimension_facts` computes them.
"""

from __future__ import annotations

__all__ = ["FACT_KEYS"]

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
        "only_predicts_on_training_data": "every prediction is on training rows (or on all "
                                          "rows, when the model was fitted on all rows)",
        "model_reused_for_predictions": "the model fitted on training data is the one that "
                                        "predicts on held-out data",
        "model_refit_on_test": "a model is fitted again on held-out rows",
        "transform_refit_on_test": "preprocessing is fitted again on held-out rows (a bare "
                                   "transformer, or a preprocessing-only ColumnTransformer)",
        "predicts_with_pipeline": "predictions go through a pipeline with its preprocessing",
        "new_rows_dropped": "rows of the held-out or new data are dropped (dropna) before "
                            "the last prediction, so they get no prediction",
        "predicts_through_function": "new data go through a user function that refits "
                                     "nothing (the fitted values reused) before predicting",
        "loads_saved_model": "a saved model or its weights are loaded (joblib, pickle, "
                             "MLflow, Keras)",
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
        "metrics_failed": "every cell computing a metric shows an error in its saved output "
                          "(no metric is actually reported)",
        "swapped_metric_arguments": "metrics called with the predictions first and the true "
                                    "values second (precision and recall exchanged)",
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
