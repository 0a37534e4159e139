"""The practices a sample notebook can show, per dimension, with the grade each earns.

Every :class:`Practice` is one way of doing a stage (good, passable or faulty) whose
grade follows from the rubric. Two experts explain the grade in their own words; when
the second expert disagrees, :func:`second_opinion` words the other score. Placeholders
such as ``{num_col}`` are filled from the facts the step writers record.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from memalign_nb.datasets.generator.context import Style
from memalign_nb.datasets.generator.task_spec import TaskSpec

When = Callable[[TaskSpec, Style, bool, dict], bool]


def _always(task: TaskSpec, style: Style, predicts: bool, chosen: dict) -> bool:
    return True


@dataclass(frozen=True)
class Practice:
    """One way of doing one stage, and the grade experts give it.

    Attributes
    ----------
    dimension : str
        The dimension it is graded on.
    name : str
        Short id, unique within the dimension.
    score : int
        The grade that follows from the rubric (1-3).
    gist : str
        What the notebook does, as a short phrase (used when the raters disagree).
    rationale_a, rationale_b : str
        The two experts' wordings of the grade.
    when : callable
        ``(task, style, predicts, chosen) -> bool``: whether the practice can occur in
        this notebook (``chosen`` maps dimensions decided so far to practice names).
    """

    dimension: str
    name: str
    score: int
    gist: str
    rationale_a: str
    rationale_b: str
    when: When = _always


def _p(dimension: str, name: str, score: int, gist: str, a: str, b: str,
       when: When = _always) -> Practice:
    return Practice(dimension, name, score, gist, a, b, when)


def _pipeline(t, s, p, c):
    return s.pipeline


def _manual(t, s, p, c):
    return not s.pipeline


def _clf(t, s, p, c):
    return t.task_type == "classification"


def _not_ts(t, s, p, c):
    return t.task_type != "forecasting"


def _ts(t, s, p, c):
    return t.task_type == "forecasting"


def _extra_lib(t, s, p, c):
    return s.family in ("xgboost", "lightgbm") and c.get(TRAIN) != "regressor_for_class"


def _cats(t, s, p, c):
    return bool(t.categorical)


def _dummies(t, s, p, c):
    return not s.pipeline and c.get("feature_engineering") in ("fit_on_train", "basic")


LIB, EDA, IMP, FEAT = ("library_installation", "exploratory_data_analysis",
                       "data_imputation", "feature_engineering")
TRAIN, USE, METRICS, MLF, ORG = ("model_training", "model_use", "metrics_evaluation",
                                 "mlflow_logging", "cell_organization")

PRACTICES: tuple[Practice, ...] = (
    # library_installation
    _p(LIB, "tidy_pinned", 3, "one import cell and a pinned install of {extra}",
       "Installs only {extra}, pinned ({pins}), which the runtime lacks; the {n_imports} "
       "imports are grouped at the top and all used.",
       "Pinned %pip install of the one missing package and a clean import cell.",
       _extra_lib),
    _p(LIB, "tidy", 3, "a single tidy import cell",
       "{libs} ship with the runtime, so nothing needs installing; the {n_imports} imports "
       "sit in one cell and every name is used.",
       "Clean imports up front, nothing unused, no installs needed.",
       lambda t, s, p, c: not _extra_lib(t, s, p, c)),
    _p(LIB, "scattered", 2, "imports scattered through later cells",
       "Works, but imports are scattered through the notebook ({late}) and some are "
       "repeated.",
       "Imports appear where first needed instead of up front; untidy but functional."),
    _p(LIB, "unpinned", 2, "unpinned installs including preinstalled packages",
       "Unpinned !pip install of {installs}, most of which the runtime already ships.",
       "Redundant, unversioned installs; it runs but is not reproducible."),
    _p(LIB, "unused", 2, "several imports that are never used",
       "Imports {unused} but never uses them.",
       "Import cell carries dead imports ({unused})."),
    _p(LIB, "removed_api", 1, "a removed API ({removed})",
       "Uses {removed}, which no longer exists in current versions, so the notebook fails "
       "there.",
       "{removed} was removed years ago; this breaks on a current runtime."),
    _p(LIB, "missing_import", 1, "{missing} used without an import",
       "{missing} is used but never imported, so the cell raises NameError.",
       "Missing import for {missing}; the notebook does not run as saved."),
    _p(LIB, "not_installed", 1, "{extra} imported without being installed",
       "Imports {extra} without installing it; the runtime lacks it and the import fails.",
       "{extra} is never installed, so ModuleNotFoundError on a clean cluster.",
       _extra_lib),
    _p(LIB, "broken_install", 1, "pip install sklearn (the dead package name)",
       "!pip install sklearn installs the deprecated dummy package and errors; the right "
       "name is scikit-learn.",
       "Broken install line (sklearn instead of scikit-learn)."),
    # exploratory_data_analysis
    _p(EDA, "thorough", 3, "shape, dtypes, missingness, target balance and a relationship",
       "Checks shape, dtypes and missingness, states that {target_finding}, and notes "
       "that {relation_finding}; the findings drive later choices.",
       "Good EDA: target distribution, missing values and {relation_short} are all "
       "examined and summarised."),
    _p(EDA, "thorough_plots", 3, "plots of the target and key relationships with findings",
       "Plots the target and the key relationship and writes the findings down "
       "({relation_finding}); missingness is measured per column.",
       "Plots are purposeful and the conclusions are stated and used later."),
    _p(EDA, "head_describe", 2, "head(), info() and describe() only",
       "Only {df}.head(), info() and describe(); the target's distribution is never "
       "examined and nothing is concluded.",
       "Generic inspection with no follow-through."),
    _p(EDA, "plots_no_follow", 2, "a batch of generic plots without conclusions",
       "{plot_kinds}, but nothing is concluded: neither the distribution of {target} nor "
       "the missing values are discussed.",
       "Plots without conclusions; volume is not insight."),
    _p(EDA, "absent", 1, "no exploration before modelling",
       "No exploration before modelling: nobody looks at the missing values or at the "
       "distribution of {target} in {train_name}.",
       "Jumps straight to modelling; EDA is missing."),
    _p(EDA, "misleading", 1, "a conclusion the outputs contradict ({claim})",
       "States that {claim}, but its own output shows {evidence}.",
       "The written conclusion ({claim}) is wrong according to its own output."),
    # data_imputation
    _p(IMP, "pipeline_imputer", 3, "imputers inside the ColumnTransformer",
       "Median imputation for numeric and most-frequent for categorical columns inside "
       "the ColumnTransformer, so they are fitted on the training split only and reused "
       "on new data.",
       "Imputation lives in the pipeline, per column type, no leakage.",
       _pipeline),
    _p(IMP, "train_stats", 3, "fill values learned on the training split per column type",
       "Missingness is measured, then medians and modes are computed on {X_train} only and "
       "the same values fill the validation and test rows.",
       "Per-type fill values fitted after the split and reused; correct.",
       _manual),
    _p(IMP, "forward_fill", 3, "time-ordered forward fill of {num_col}",
       "{num_col} is forward-filled in date order, so each gap uses only past values, and "
       "the rest are filled from training-period statistics.",
       "Forward fill along time is the right call for a price series; no look-ahead.",
       _ts),
    _p(IMP, "constant_fill", 2, "a global fillna with constants",
       "A global fillna({fill_constant}) for every column: leak-free but ignores the "
       "column types and the {num_col} distribution.",
       "Coarse constant fill; safe but crude."),
    _p(IMP, "drop_rows", 2, "dropna() without justification",
       "dropna() discards {dropped_rows} rows without saying why or checking what is lost.",
       "Unjustified row deletion, though it does not leak.",
       lambda t, s, p, c: not p),
    _p(IMP, "drop_columns", 2, "dropping every column with gaps",
       "Drops every column with missing values, including {num_col}, instead of imputing; "
       "safe but throws information away.",
       "Drops incomplete columns wholesale; coarse."),
    _p(IMP, "full_frame_stats", 1, "fill values computed on the full frame before the split",
       "{num_col} is filled with the {stat} of the full frame before train_test_split, so "
       "validation rows leak into the fill values.",
       "Imputation statistics come from all rows, not the training split: leakage."),
    _p(IMP, "imputer_before_split", 1, "SimpleImputer fitted before the split",
       "SimpleImputer is fitted on {num_col} and the other numeric columns of the full "
       "{df} before the split, so test statistics leak into training.",
       "fit_transform on all rows before splitting leaks; should be in a pipeline."),
    _p(IMP, "concat_train_test", 1, "fill values from train and test concatenated",
       "{df} and {test} are concatenated to compute the fill values, so the test data "
       "shape the imputation.",
       "Concatenating with the test file before imputing is leakage.",
       lambda t, s, p, c: p),
    _p(IMP, "impute_target", 1, "the target imputed along with the features",
       "df.fillna(df.mean()) also fills the {target} column, inventing labels for "
       "{target_missing} rows instead of dropping them.",
       "Imputes the target itself; those rows should be dropped.",
       lambda t, s, p, c: t.target_missing > 0),
    _p(IMP, "left_missing", 1, "missing values left in the data",
       "Missing values in {num_col} are never handled, so fitting {model_name} fails with "
       "'Input X contains NaN'.",
       "No imputation at all; training breaks on the NaNs.",
       lambda t, s, p, c: s.family == "linear"),
    # feature_engineering
    _p(FEAT, "pipeline_encode", 3, "derived features and encodings in the pipeline",
       "{derived} are derived as the EDA suggested and {encoding} inside the pipeline, so "
       "every transform is fitted on training data.",
       "Sensible encodings and features, all fitted within the pipeline.",
       _pipeline),
    _p(FEAT, "fit_on_train", 3, "derived features and encodings fitted on training data",
       "Adds {derived}; {encoding}, with every transform fitted on {X_train} only.",
       "Good features and train-only fitting, test aligned to training columns.",
       _manual),
    _p(FEAT, "basic", 2, "get_dummies with no derived features",
       "Only get_dummies on the categoricals; obvious features such as {missed} are not "
       "derived.",
       "Basic encoding, leak-free but thin.",
       _cats),
    _p(FEAT, "numeric_only", 2, "numeric columns only, nothing derived",
       "Keeps only the numeric columns: {dropped_info} and no features are derived "
       "({missed}).",
       "Just the raw numeric columns; misses easy signal."),
    _p(FEAT, "scaler_before_split", 1, "a scaler fitted on all rows before the split",
       "{scaler} is fitted on all rows before the split, so validation statistics leak "
       "into the features.",
       "Scaling before splitting: the test rows inform the transform."),
    _p(FEAT, "target_encoding_full", 1, "target encoding computed on the full data",
       "{cat_col} is replaced by the mean of {target} per category computed on all rows, "
       "so each row's own label leaks into its feature.",
       "Target encoding over the full data set, not within folds: leakage.",
       _cats),
    _p(FEAT, "label_encode_linear", 1, "LabelEncoder codes for nominal features in a linear model",
       "LabelEncoder turns nominal columns such as {cat_col} into integers fed to "
       "{model_name}, which then treats them as ordered.",
       "Label-encoded nominals in a linear model invent an ordering.",
       lambda t, s, p, c: _cats(t, s, p, c) and s.family == "linear"),
    _p(FEAT, "leaky_columns", 1, "casual and registered kept as features",
       "casual and registered add up to {target}, so keeping them as features leaks the "
       "answer.",
       "Features include the target's components; R2 near 1 is leakage.",
       lambda t, s, p, c: bool(t.leaky)),
    _p(FEAT, "future_lags", 1, "lag features that look into the future",
       "The rolling mean of {target} includes the current day (no shift), so each row "
       "sees its own target.",
       "Lag/rolling features are not shifted: the model sees the value it predicts.",
       _ts),
    # model_training
    _p(TRAIN, "cv_tuned", 3, "a baseline, a {split_kind} split and CV tuning on training folds",
       "Uses a {split_kind} split, compares with a {baseline} baseline and tunes "
       "{model_name} with {cv} on the training folds only, seeds set.",
       "Correct split, baseline, CV tuning on train only, reproducible."),
    _p(TRAIN, "cv_compare", 3, "cross-validated comparison against a baseline",
       "Compares {model_name} with a {baseline} baseline by {cv} on the training data, "
       "after a {split_kind} split, with fixed seeds.",
       "Cross-validated model choice against a baseline, held-out set untouched."),
    _p(TRAIN, "single_split", 2, "one fit with default settings on a plain split",
       "A reasonable {model_name} on a held-out split, but no cross-validation, no "
       "baseline and default hyper-parameters.",
       "Fine model and split, nothing more: no CV or tuning."),
    _p(TRAIN, "no_seed", 2, "hand-picked settings and no seeds",
       "A sensible {model_name} on a held-out split, but hyper-parameters are hand-picked "
       "and no random_state is set, so results are not reproducible.",
       "No seeds, no CV; acceptable but not rigorous."),
    _p(TRAIN, "tune_on_test", 1, "hyper-parameters chosen by test score",
       "{tuned_param} is chosen by the score on {X_valid} and that score is then reported, "
       "so the test set is used for tuning.",
       "Model selection on the test split; the final score is optimistic."),
    _p(TRAIN, "fit_on_all", 1, "a model fitted on all rows after splitting",
       "The split is made but {model_name} is fitted on the full {X}, including the rows "
       "it is then evaluated on.",
       "Fits on X, not {X_train}: the evaluation rows were seen in training."),
    _p(TRAIN, "random_split_ts", 1, "a shuffled split of a time series",
       "train_test_split shuffles the daily rows, so the model trains on days after "
       "those it is tested on.",
       "Random split on a time series: look-ahead leakage.",
       _ts),
    _p(TRAIN, "regressor_for_class", 1, "a regressor for a class label",
       "LinearRegression is fitted to the 0/1 {target} and thresholded at 0.5; a "
       "classifier is needed.",
       "Regression model for a classification target.",
       _clf),
    _p(TRAIN, "select_on_train", 1, "models compared on training-set score",
       "{model_name} is picked because it scores 1.0 on the training data, which only "
       "rewards the model that overfits most.",
       "Chooses the model by training score; no held-out comparison.",
       _not_ts),
    # model_use
    _p(USE, "pipeline_predict", 3, "the fitted pipeline predicting on the new data",
       "The fitted pipeline predicts on {test} with exactly the training preprocessing "
       "and the predictions are written out with their ids.",
       "Whole pipeline applied to the new data; clean and consistent.",
       lambda t, s, p, c: p and s.pipeline),
    _p(USE, "prepare_function", 3, "one prepare() reused with fitted values",
       "New data go through prepare(), which reuses the values and columns fitted on "
       "the training split, before {model_name} predicts; output saved with ids.",
       "Same fitted preprocessing reused through one function; correct.",
       lambda t, s, p, c: p and not s.pipeline),
    _p(USE, "load_logged_model", 3, "the logged MLflow model loaded for scoring",
       "Loads the logged pipeline with mlflow.pyfunc.load_model and scores {test} with "
       "it, so serving and notebook use the same artefact.",
       "Scores with the logged model, preprocessing included.",
       lambda t, s, p, c: p and s.pipeline and c.get(MLF) == "full_manual"),
    _p(USE, "adhoc_duplicate", 2, "preprocessing re-typed by hand for the new data",
       "Predictions work, but the preprocessing is re-typed by hand for {test} with "
       "hard-coded fill values instead of reusing the fitted steps.",
       "Duplicated ad-hoc preprocessing at inference; fragile.",
       lambda t, s, p, c: p),
    _p(USE, "not_saved", 2, "correct predictions that are never saved",
       "The fitted model predicts on {test} correctly, but the predictions are only "
       "printed, not saved with their ids as asked.",
       "Right inference, wrong deliverable: nothing is written out.",
       lambda t, s, p, c: p),
    _p(USE, "refit_on_new", 1, "preprocessing refitted on the new data",
       "The preprocessing is refitted on {test} ({refit_call}), so the model sees "
       "features scaled and filled differently from training.",
       "fit_transform at inference: preprocessing mismatch.",
       lambda t, s, p, c: p),
    _p(USE, "predict_on_train", 1, "'predictions' made on the training rows",
       "The 'predictions' come from {X_train}, not from {test}, and are saved to "
       "submission.csv as if they answered the request.",
       "Inference runs on the training data; the task's new data are never scored.",
       lambda t, s, p, c: p),
    _p(USE, "columns_mismatch", 1, "get_dummies on the new data without aligning columns",
       "get_dummies on {test} alone yields different columns from training and "
       "predict() fails on the mismatch.",
       "Encoding at inference does not match training; predict raises.",
       lambda t, s, p, c: p and _dummies(t, s, p, c)),
    # metrics_evaluation
    _p(METRICS, "full_report", 3, "{metric_names} on held-out data against a baseline",
       "Reports {metric_names} on held-out data ({headline}), compares them with the "
       "baseline ({baseline_value}) and interprets the result.",
       "Right metrics for the task, held-out, baseline comparison, interpreted."),
    _p(METRICS, "single_metric", 2, "one appropriate metric and nothing else",
       "Only {single_metric} on the held-out split ({headline}): right family, but no "
       "baseline or interpretation.",
       "A single number with no context.",
       lambda t, s, p, c: not (_clf(t, s, p, c) and t.positive_rate < 0.2)),
    _p(METRICS, "no_baseline", 2, "several metrics with no baseline or reading",
       "{metric_names} on held-out data ({headline}), but no baseline to compare with and "
       "no interpretation.",
       "Metrics are right but left uninterpreted."),
    _p(METRICS, "train_metrics", 1, "metrics computed on the training data",
       "The reported {single_metric} is computed on {X_train}, so it measures fit, not "
       "generalisation.",
       "Performance is reported on training data."),
    _p(METRICS, "accuracy_imbalanced", 1, "accuracy alone on an imbalanced target",
       "Reports only accuracy ({accuracy}) although only {positive_pct} of rows are "
       "positive; predicting all negatives scores about the same.",
       "Accuracy alone on a rare-positive problem is meaningless.",
       lambda t, s, p, c: _clf(t, s, p, c) and t.positive_rate < 0.2),
    _p(METRICS, "mislabelled", 1, "a metric printed under the wrong name",
       "{mislabel}, so the headline number is mislabelled.",
       "The metric is mislabelled; the reader is misled."),
    _p(METRICS, "mape_zeros", 1, "MAPE over a target full of zeros",
       "MAPE is computed over days with zero sales, so it explodes and says nothing; no "
       "naive baseline either.",
       "MAPE with zeros in the target is invalid.",
       _ts),
    # mlflow_logging
    _p(MLF, "full_manual", 3, "params, held-out metrics and a model with signature",
       "Sets the experiment {experiment}, logs params, {logged_metric} on held-out data, a "
       "text artifact and the model with a signature and input example.",
       "Complete tracking: experiment, params, metrics, signed model, artifacts."),
    _p(MLF, "autolog", 3, "autolog plus the held-out metrics",
       "mlflow.sklearn.autolog inside {experiment}, plus {logged_metric}, the held-out "
       "score autolog does not see.",
       "Autolog with the missing held-out metrics added; good."),
    _p(MLF, "metrics_only", 2, "metrics logged but no model",
       "Logs {logged_metric} in a run, but neither the {model_name} nor its parameters, so "
       "the run cannot be reproduced or served.",
       "Metrics only; the model is not logged."),
    _p(MLF, "no_signature", 2, "a model without signature, no experiment",
       "Logs params and the {model_name}, but no signature or input example, and no "
       "experiment is set.",
       "Partial: model logged without signature, default experiment."),
    _p(MLF, "none", 1, "no MLflow tracking",
       "The {model_name} and its scores are never tracked in MLflow, though runs are "
       "expected to be.",
       "Nothing is logged."),
    _p(MLF, "import_only", 1, "mlflow imported, nothing logged",
       "mlflow is imported and {experiment} set, but nothing is ever logged.",
       "Tracking set up but never used."),
    _p(MLF, "unended_run", 1, "a run started and never ended",
       "The run opened to log {logged_metric} is never ended, so the next start_run fails "
       "with 'Run ... is already active'.",
       "Broken tracking: run left open, second start_run raises."),
    # cell_organization
    _p(ORG, "sectioned", 3, "markdown sections and one idea per cell",
       "{n_headings} markdown sections for {n_code} single-purpose code cells (the longest "
       "{longest} lines), findings narrated, execution counts in order.",
       "Well organised and narrated."),
    _p(ORG, "long_cells", 2, "a few headings but long mixed cells",
       "Only {n_headings} headings, and code cells of up to {longest} lines mix several "
       "steps; little narration.",
       "Structure is there but cells are overloaded."),
    _p(ORG, "sparse", 2, "short cells with almost no narration",
       "{n_code} short code cells but no narration beyond the title, and scratch cells such "
       "as `{debug}` are left in.",
       "Readable code, little explanation, leftover scratch cells."),
    _p(ORG, "monolithic", 1, "one huge cell",
       "Everything from the imports to the {last_step} sits in one {longest}-line cell; "
       "nothing can be run or read in parts.",
       "Single giant cell."),
    _p(ORG, "chaotic", 1, "cells out of order with duplicates",
       "Execution counts jump ({counts}), the cell starting `{moved}` sits below code that "
       "needs it, and a duplicated training cell remains.",
       "Chaotic: does not run top to bottom."),
)
"""Every practice the generator knows, grouped by dimension."""

_OTHER_GRADE = {
    # dimension -> reasons for (3 -> 2, 2 -> 1, 1 -> 2, 2 -> 3)
    LIB: ("I would still pin every version in one requirements cell",
          "unpinned, untidy setup is a reproducibility failure in my book",
          "a one-line fix, so I would not call the setup broken",
          "it works on our runtime, which is what matters"),
    EDA: ("the findings are not carried far enough into the modelling for full marks",
          "nothing is concluded, which I count as no real exploration",
          "the later modelling choices are still sensible, so not the lowest grade",
          "enough exploration for data this familiar"),
    IMP: ("the strategy per column is not explained, so not full marks",
          "careless enough that I would not trust the model's inputs",
          "the effect on data this size is small, so not the lowest grade",
          "a reasonable choice for this amount of missingness"),
    FEAT: ("an obvious derived feature is still missing, so not full marks",
           "so thin that it barely counts as feature engineering",
           "the damage looks small for this model, so not the lowest grade",
           "enough for this model"),
    TRAIN: ("the search space is too small to call this tuned",
            "without any validation scheme I cannot trust the result",
            "the model itself is reasonable, so not the lowest grade",
            "a solid setup for a first model"),
    USE: ("the output is never checked against the request, so not full marks",
          "this fragility will break on the next batch of data",
          "the predictions would mostly still be usable, so not the lowest grade",
          "the predictions are right, which is what was asked"),
    METRICS: ("the interpretation is too brief for full marks",
              "without any context the number is not usable",
              "a reader still gets a rough idea, so not the lowest grade",
              "the numbers answer the question that was asked"),
    MLF: ("no artifacts beyond the model, so not full marks",
          "without the model the run is close to useless",
          "tracking is easy to add afterwards, so not the lowest grade",
          "enough to find and compare the run"),
    ORG: ("a couple of cells are still long, so not full marks",
          "without narration it is hard to follow at all",
          "it still reads top to bottom, so not the lowest grade",
          "easy enough to follow"),
}


def second_opinion(practice: Practice, score: int) -> str:
    """A second expert's rationale for grading ``practice`` ``score`` instead.

    The wording keeps to what the notebook does (the practice's gist) and explains the
    other grade, as a second expert reading the same cells would.
    """
    gist = practice.gist[0].upper() + practice.gist[1:]
    reasons = _OTHER_GRADE[practice.dimension]
    if practice.score == 1 and score == 3:
        reason = "I did not see a problem here"
    elif practice.score == 3 and score == 1:
        reason = reasons[1]
    else:
        reason = reasons[{(3, 2): 0, (2, 1): 1, (1, 2): 2, (2, 3): 3}[(practice.score, score)]]
    return f"{gist}; {reason}."


def by_dimension(dimension: str) -> tuple[Practice, ...]:
    """The practices of ``dimension``, in catalogue order."""
    return tuple(p for p in PRACTICES if p.dimension == dimension)


def get(dimension: str, name: str) -> Practice:
    """The practice ``name`` of ``dimension``."""
    for practice in PRACTICES:
        if practice.dimension == dimension and practice.name == name:
            return practice
    raise KeyError((dimension, name))
