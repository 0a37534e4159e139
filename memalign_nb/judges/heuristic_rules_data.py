"""The heuristic judge's rules for preparing the data: imputation and feature engineering.

:func:`data_imputation` decides first whether missing values can exist (the data's source,
saved outputs of missing-value checks, NaN errors), then how they are handled: fill values
learned from held-out rows or before the split, the target filled, coarse fills, fills
learned on training rows and reused. :func:`feature_engineering` looks for transforms
learned before the split or from held-out rows, target encoding on all rows, resampling
before the split, and categories coded as arbitrary integers for a model that reads them
as quantities; a 3 needs derived features built safely (fitted on training rows, or one
function for every frame) or images scaled by a constant. Both are part of
:data:`~memalign_nb.judges.heuristic_rules.RULES`.
"""

from __future__ import annotations

from memalign_nb.judges import heuristic_evidence as read
from memalign_nb.judges.heuristic_evidence import (
    STATELESS_TRANSFORMS,
    Evidence,
    Finder,
    Verdict,
    cells_text,
    describe,
    first,
    split_name,
)
from memalign_nb.sections.apis import CATEGORY_ENCODERS
from memalign_nb.sections.dimension_facts import loose
from memalign_nb.sections.events import FULL, TEST, Event

NAN_TOLERANT_MODELS = frozenset({
    "XGBClassifier", "XGBRegressor", "LGBMClassifier", "LGBMRegressor", "CatBoostClassifier",
    "CatBoostRegressor", "HistGradientBoostingClassifier", "HistGradientBoostingRegressor"})
"""Models that accept missing values natively (leaving NaNs to them breaks nothing)."""


def _leaks(ev: Evidence, events: list[Event], what: str, prefix: str, f: Finder) -> None:
    """Findings for training-time transforms fitted before the split or on all rows, and
    for transforms learned from held-out rows before the last model fit (pipelines
    excepted; encoders fitted on all rows learn only the categories)."""
    fitted = loose(read.training_time(ev, events))
    statistical = [e for e in fitted if e.name not in CATEGORY_ENCODERS]  # not a category list
    before = first(statistical, lambda e: "before_split" in e.flags and e.data != TEST)
    if before and f.get(f"{prefix}_fit_before_split"):
        f.add(f"{describe(before)} {what} before {split_name(ev.facts)}",
              **{f"{prefix}_fit_before_split": True})
    full = first(statistical, lambda e: e.data == FULL)
    if full and full is not before and f.get(f"{prefix}_fit_on_full_data"):
        f.add(f"{describe(full)} {what} on all rows, held-out rows included",
              **{f"{prefix}_fit_on_full_data": True})
    # learned from held-out rows before the last model is trained: those rows are prepared
    # with their own statistics or codes; refits after it are inference-time preprocessing,
    # judged under model_use
    last_fit = max((e.position for e in ev.facts.of("fit")), default=None)
    test = first(loose(events), lambda e: e.data == TEST and e.name not in STATELESS_TRANSFORMS
                 and (last_fit is None or e.position < last_fit))
    if test and f.get(f"{prefix}_fit_on_test"):
        f.add(f"{describe(test)} {what} on held-out rows", **{f"{prefix}_fit_on_test": True})


def data_imputation(ev: Evidence) -> Verdict:
    """0: no missing values (shown, or impossible for the data's source); 1: leakage, target
    imputed, NaNs break training; 2: coarse or unmeasured but safe; 3: learned on training
    rows only."""
    f = Finder(ev, "data_imputation")
    facts = ev.facts
    imputers = [e for e in facts.of("transform") if e.group == "imputer"]
    _leaks(ev, imputers, "learns fill values", "imputer", f)
    first_fit = min((e.position for e in facts.of("fit")), default=(1 << 30, 0))
    target = first([*imputers, *facts.of("missing_handling")], lambda e: "target" in e.flags
                    and e.name != "dropna" and e.position < first_fit)
    if target and f.get("target_imputed"):
        f.add(f"{describe(target)} fills the target column {facts.target!r} before training",
              target_imputed=True)
    if f.reasons:
        leak = f.get("imputation_leakage")
        f.facts["imputation_leakage"] = leak
        return f.verdict(1, "leakage" if leak else "target_imputed")
    handled = f.get("missing_values_handled")
    untraced = None if handled else read.untraced_imputer(ev)
    if not handled and not untraced:
        return _unhandled(ev, f)
    methods = f.get("imputation_methods") or ([untraced] if untraced else [])
    pipeline = f.get("imputer_in_pipeline") or bool(untraced and any(
        "pipeline" in e.flags for e in facts.of("predict")))
    reused = read.reused_fill(ev)
    time_fill = facts.time_ordered and bool({"ffill", "bfill", "interpolate"} & set(methods))
    if pipeline or f.get("imputer_fit_on_train") or reused or time_fill:
        where = ("inside a pipeline" if pipeline else
                 "on training rows after the split" if f.get("imputer_fit_on_train") else
                 "once" if reused else "along time (forward fill)")
        where += f" and reused on held-out rows ({describe(reused)})" if reused else ""
        f.add(f"{', '.join(methods) or 'fill values'} learned {where}",
              imputer_in_pipeline=pipeline, imputer_fit_on_train=f.get("imputer_fit_on_train"),
              imputation_leakage=False, imputation_methods=methods)
        f.add("missingness measured" if f.get("missingness_measured") else
              "missingness not measured, but the handling is sound",
              missingness_measured=f.get("missingness_measured"))
        return f.verdict(3, "train_only")
    f.add(f"leak-free but coarse handling ({', '.join(methods) or 'constant fill values'}); "
          "nothing learned from training rows", imputation_methods=methods,
          imputation_leakage=False, imputer_fit_on_train=False)
    if f.get("rows_dropped"):
        f.add("dropna discards rows", rows_dropped=True)
    if not f.get("missingness_measured"):
        f.add("missingness never measured", missingness_measured=False)
    return f.verdict(2, "coarse")


def _unhandled(ev: Evidence, f: Finder) -> Verdict:
    """No imputation at all: not applicable, acceptable, or left to break training."""
    if errors := read.nan_errors(ev):
        f.add(f"missing values are never handled and the output of cell {errors[0]} shows "
              "the model refusing NaN", missing_values_handled=False, nan_error_cells=errors)
        return f.verdict(1, "left_missing")
    missing, cells = read.missing_counts(ev)
    if missing is False:
        f.add(f"the missing-value counts in the output of {cells_text(cells)} are all zero",
              missing_values_handled=False, missing_counts_zero=True)
        return f.verdict(0, "no_missing_values")
    if missing:
        tolerant = sorted({e.name for e in ev.facts.of("fit")} & NAN_TOLERANT_MODELS)
        if tolerant:
            f.add(f"missing values shown in {cells_text(cells)} are left to {', '.join(tolerant)}"
                  ", which accepts them", missing_values_handled=False,
                  missing_counts_zero=False)
            return f.verdict(2, "left_to_model")
        f.add(f"the output of {cells_text(cells)} shows missing values and none are imputed; no "
              "NaN error is shown, so columns or rows may be dropped unmeasured",
              missing_values_handled=False, missing_counts_zero=False)
        return f.verdict(2, "unhandled_no_error")
    sources = f.get("data_sources")
    if f.get("data_complete_by_construction"):
        f.add(f"the data ({', '.join(sources)}) has no missing values by construction, and "
              "nothing is imputed", missing_values_handled=False, data_sources=sources,
              data_complete_by_construction=True)
        return f.verdict(0, "complete_by_construction")
    measured = f.get("missingness_measured")
    f.add(("missingness is measured but no saved output shows a count" if measured else
           "missingness is never measured") + f" in {' and '.join(sources) or 'the'} data "
          "and nothing is imputed: safe so far (no output shows a NaN error) but "
          "unexamined", missing_values_handled=False, missingness_measured=measured,
          data_sources=sources, data_complete_by_construction=False)
    return f.verdict(2, "unmeasured")


def feature_engineering(ev: Evidence) -> Verdict:
    """1: leakage, or unordered categories coded as integers for a model reading them as
    quantities; 3: derived features built safely, or pixels scaled by a constant; else 2."""
    f = Finder(ev, "feature_engineering")
    facts = ev.facts
    fitted = [e for e in facts.of("transform") if e.group not in ("imputer", "resampler")]
    _leaks(ev, fitted, "is fitted", "transform", f)
    if (cell := read.target_encoding_cell(ev)) is not None:
        f.add(f"cell {cell} encodes categories with means of the target {facts.target!r} "
              "computed on all rows, before the split", target_encoding_full_data=True)
    if f.get("resampling_before_split"):
        resampler = first(facts.of("transform"), lambda e: e.group == "resampler")
        f.add(f"{describe(resampler)} resamples before the split or on all rows",
              resampling_before_split=True)
    _invented_order(f)
    if f.reasons:
        f.facts["feature_leakage"] = f.get("feature_leakage")
        return f.verdict(1, "leakage")
    transformers, derived = f.get("transformers"), f.get("new_columns")
    misaligned = f.get("get_dummies_separately") and not read.dummies_aligned(ev)
    learned = [e for e in fitted if e.name not in STATELESS_TRANSFORMS]
    in_pipeline = f.get("transform_in_pipeline")
    safe = in_pipeline or any("after_split" in e.flags for e in learned)
    statistical = [e for e in learned if e.name not in CATEGORY_ENCODERS]
    unsafe = bool(statistical) and not safe
    in_function = f.get("features_in_function")
    if not misaligned and not unsafe and (
            derived and (safe or in_function) or f.get("pixels_scaled")):
        how = (" fitted in a pipeline" if in_pipeline else
               " fitted on training rows" if learned else "")
        built = (f"{derived} derived columns ({in_function} computed by a function applied "
                 "alike to every frame)" if in_function else f"{derived} derived columns")
        f.add((built if derived else "pixels scaled by a constant, the same for training and "
               "new images") + f"; {', '.join(transformers) or 'no encoders'}{how}",
              new_columns=derived, transformers=transformers, transform_in_pipeline=in_pipeline,
              features_in_function=in_function, pixels_scaled=f.get("pixels_scaled"),
              feature_leakage=False)
        return f.verdict(3, "fitted_on_train")
    if transformers:
        f.add(f"leak-free {', '.join(transformers)}", transformers=transformers,
              feature_leakage=False)
    else:
        f.add("no encoding or scaling: raw columns only", transformers=[])
    if not derived:
        f.add("no derived features", new_columns=0)
    elif not (safe or in_function):
        f.add(f"{derived} derived columns written by hand, with no transform fitted on "
              "training rows or function applying them alike to new data",
              new_columns=derived, features_in_function=0)
    if misaligned:
        f.add("get_dummies run separately on training and held-out data, columns not aligned",
              get_dummies_separately=True)
    if unsafe:
        f.add("not shown to be fitted on training rows only (no split or pipeline)",
              split_present=f.get("split_present"))
    return f.verdict(2, "basic")


def _invented_order(f: Finder) -> None:
    """Unordered categories given integer codes by hand feeding a model that reads numbers
    as quantities (linear, k-NN, SVM, neural networks), or LabelEncoder codes of features
    (of unknown cardinality: binary columns are harmless) feeding a linear model."""
    coded, sensitive = f.get("nominal_integer_codes"), f.get("order_sensitive_models")
    encoded = f.get("label_encoded_features") and f.get("linear_model_used")
    if not (coded and sensitive or encoded):
        return
    what = (f"{', '.join(coded[:3])} coded as arbitrary integers by hand" if coded else
            "LabelEncoder codes for nominal features")
    f.add(f"{what} feed {', '.join(sensitive[:3])}, which reads them as ordered quantities",
          nominal_integer_codes=coded, label_encoded_features=f.get("label_encoded_features"),
          linear_model_used=f.get("linear_model_used"), order_sensitive_models=sensitive)
