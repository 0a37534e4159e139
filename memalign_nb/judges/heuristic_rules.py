"""The heuristic judge's rules: one function per built-in dimension, evidence in, verdict out.

Each rule reads one notebook's static facts (the per-dimension dicts documented in
:data:`~memalign_nb.sections.fact_keys.FACT_KEYS`, their events, and the few readings
of :mod:`memalign_nb.judges.heuristic_evidence`) and follows its rubric's checkable
criteria in order of severity: the faults that earn a 1 first, then what a 3 needs; what
is left is a 2. A :class:`Verdict` says which facts decided, in words (with cells) and as
data. The rules for preparing the data (imputation, feature engineering) live in
:mod:`~memalign_nb.judges.heuristic_rules_data`, those for using and evaluating the model
in :mod:`~memalign_nb.judges.heuristic_rules_eval`.

What static analysis cannot see is not guessed: whether the exploration's findings are
used later, whether an interpretation is any good, a tuning loop scored on the validation
rows by hand, features derived from information not available at prediction time. There
the rules give the benefit of the doubt: the leniency MemAlign's feedback corrects.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from memalign_nb.judges import heuristic_evidence as read
from memalign_nb.judges.heuristic_evidence import (
    Evidence,
    Finder,
    Verdict,
    cells_text,
    describe,
    first,
    split_name,
)
from memalign_nb.judges.heuristic_rules_data import data_imputation, feature_engineering
from memalign_nb.judges.heuristic_rules_eval import metrics_evaluation, model_use
from memalign_nb.sections.events import FULL, TEST

logger = logging.getLogger(__name__)

DEAD_PACKAGES = frozenset({"sklearn"})
"""Package names that install nothing useful (``pip install sklearn`` errors today)."""


def library_installation(ev: Evidence) -> Verdict:
    """1: removed APIs, names never imported, dead package names; 2: untidy; 3: clean."""
    f = Finder(ev, "library_installation")
    removed: dict[str, Any] = {}
    for use in ev.facts.deprecated:
        if use.api.status == "removed":
            removed.setdefault(use.api.api, use)
    for use in list(removed.values())[:3]:
        f.add(f"{use.api.api} (cell {use.cell}) was removed in {use.api.version}; use "
              f"{use.api.replacement}", removed_api_used=True,
              deprecated_apis=f.get("deprecated_apis"))
    if missing := [n for n in f.get("undefined_names") if read.library_name(n)]:
        f.add(f"{', '.join(missing[:5])} used but never imported", undefined_names=missing)
    names = {re.split(r"[\[=<>!~;@\s]", p.strip())[0].lower()
             for p in f.get("installed_packages")}
    if dead := sorted(DEAD_PACKAGES & names):
        f.add(f"installs {', '.join(dead)}, a dead package name (install scikit-learn)",
              installed_packages=f.get("installed_packages"))
    if f.reasons:
        return f.verdict(1, "broken")
    if deprecated := [d for d in ev.facts.deprecated if d.api.status == "deprecated"]:
        f.add(f"deprecated {deprecated[0].api.api} (cell {deprecated[0].cell}); use "
              f"{deprecated[0].api.replacement}", deprecated_api_used=True)
    if late := f.get("imports_after_code"):
        f.add(f"{late} imports in later cells, not grouped at the top", imports_after_code=late)
    if unused := f.get("unused_imports"):
        f.add(f"unused imports: {', '.join(unused[:5])}", unused_imports=unused)
    if unpinned := f.get("unpinned_packages"):
        f.add(f"unpinned installs: {', '.join(unpinned[:5])}", unpinned_packages=unpinned)
    if f.reasons:
        return f.verdict(2, "untidy")
    f.add(f"imports grouped in {f.get('import_cells')} cell(s), all used; no deprecated API"
          + ("; installs pinned" if f.get("installs_pinned") else ""),
          import_cells=f.get("import_cells"), unused_imports=[], deprecated_apis=[],
          imports_after_code=0)
    return f.verdict(3, "clean")


_EDA_CHECKS = {"shape_checked": "shape", "types_checked": "dtypes",
               "missingness_measured": "missingness",
               "target_distribution_checked": "the target's distribution",
               "correlations_checked": "relationships (correlations)"}
_TARGETED = ("missingness_measured", "target_distribution_checked",
             "target_relationship_checked")
"""Checks that aim at the task (besides size or types): with all of them, 3."""
_GLANCES = frozenset({"shape", "head", "tail"})
NARRATION_CELLS = 2
"""Fewest markdown cells in which exploration findings can be stated."""


def exploratory_data_analysis(ev: Evidence) -> Verdict:
    """1: markdown conclusions the notebook's own outputs contradict, or no look beyond
    shape and head; 3: size or types, missingness, the target's distribution and the
    target set against other columns, or four of the five checks of the rubric with room
    for findings; else 2."""
    f = Finder(ev, "exploratory_data_analysis")
    calls, plots, notes = f.get("eda_calls"), f.get("plots"), f.get("markdown_cells")
    methods = f.get("eda_methods")
    if contradicted := f.get("claims_contradicted"):
        f.add(f"conclusions its own outputs contradict: {'; '.join(contradicted[:2])}",
              claims_contradicted=contradicted)
        return f.verdict(1, "misleading")
    if not plots and set(methods) <= _GLANCES:
        f.add(f"no look at the data before modelling beyond {', '.join(methods) or 'nothing'}"
              " (no info, describe, value_counts, missing-value counts or plots)",
              eda_methods=methods, plots=0)
        return f.verdict(1, "absent")
    done = [label for key, label in _EDA_CHECKS.items() if f.get(key)]
    missing = {key: label for key, label in _EDA_CHECKS.items() if not f.get(key)}
    if all(f.get(k) for k in _TARGETED) and (f.get("shape_checked") or f.get("types_checked")):
        found = f.get("finding_cells")
        f.add(f"checks {', '.join(done)}, the target against other columns; {calls} "
              f"inspection calls and {plots} plots"
              + (f"; {found} markdown cells quote findings" if found else ""),
              **dict.fromkeys(_TARGETED, True), finding_cells=found)
        return f.verdict(3, "targeted")
    if len(missing) <= 1 and notes >= NARRATION_CELLS:
        f.add(f"checks {', '.join(done)}; {calls} inspection calls and {plots} plots; "
              f"{notes} markdown cells for findings", **{k: True for k in _EDA_CHECKS
                                                           if k not in missing},
              markdown_cells=notes)
        if missing:
            f.add(f"no look at {', '.join(missing.values())}", **dict.fromkeys(missing, False))
        return f.verdict(3, "thorough")
    f.add(f"{calls} inspection calls and {plots} plots"
          + (f" ({', '.join(done)})" if done else ""), eda_calls=calls, plots=plots)
    if missing:
        f.add(f"no look at {', '.join(missing.values())}", **dict.fromkeys(missing, False))
    if notes < NARRATION_CELLS:
        f.add(f"only {notes} markdown cells to state findings", markdown_cells=notes)
    return f.verdict(2, "generic")


def _family_faults(ev: Evidence, f: Finder, models: str) -> None:
    families, task = set(f.get("model_families")), ev.task.task_type
    if task == "classification" and families and families <= {"regressor"}:
        f.add(f"only regressors ({models}) for a class label ({ev.task.task_source} says "
              "classification)", model_families=sorted(families), task_type=task)
    elif task == "regression" and families and families <= {"classifier"}:
        f.add(f"only classifiers ({models}) for a continuous target",
              model_families=sorted(families), task_type=task)
    elif f.get("model_family_mismatch"):
        f.add("the model family does not match the metrics computed",
              model_family_mismatch=True)


def model_training(ev: Evidence) -> Verdict:
    """1: invalid methodology; 3: CV or a search, seeds and a baseline; else 2."""
    f = Finder(ev, "model_training")
    facts = ev.facts
    fits = [e for e in facts.of("fit") if e.group != "clusterer"]
    if not fits:
        f.add("no model is trained", models=[])
        return f.verdict(1, "no_model")
    models = ", ".join([m for m in f.get("models") if m != "unknown"][:3]) or "a model"
    if f.get("trains_on_test"):
        f.add(f"{describe(first(fits, lambda e: e.data == TEST))} is fitted on held-out rows",
              trains_on_test=True)
    if f.get("tuning_on_test"):
        tuning = first(facts.of("tuning"), lambda e: e.data == TEST)
        f.add(f"{describe(tuning)} tunes on held-out rows", tuning_on_test=True)
    if f.get("trains_on_full_data_after_split"):
        full = first(fits, lambda e: e.data == FULL and "after_split" in e.flags)
        f.add(f"{describe(full)} is fitted on all rows after {split_name(facts)}, held-out rows "
              "included, and held-out rows are scored after it",
              trains_on_full_data_after_split=True)
    if f.get("random_split_on_time_series"):
        f.add(f"time-ordered data split at random ({split_name(facts)})",
              random_split_on_time_series=True, time_ordered=True)
    _family_faults(ev, f, models)
    metrics = ev.dim("metrics_evaluation")
    if metrics["only_training_metrics"]:
        f.add("the model is only evaluated on its training rows", only_training_metrics=True)
    elif (chosen := read.selected_on_training_rows(ev)) is not None:
        f.add(f"candidate models are compared by {chosen.name} on training rows in cell "
              f"{chosen.cell}", training_metrics=metrics["training_metrics"])
    elif not (f.get("split_present") or metrics["heldout_metrics"] or f.get("cross_validation")):
        f.add("no held-out split and no cross-validation", split_present=False,
              heldout_metrics=0, cross_validation=False)
    if f.reasons:
        return f.verdict(1, "invalid")
    validated = f.get("cross_validation") or f.get("tuning")  # searches cross-validate
    good = {"cross_validation": ("cross-validation", validated),
            "seed_set": ("seeds set", f.get("seed_set")),
            "baseline_present": ("a baseline", f.get("baseline_present")),
            "tuning": ("hyper-parameter tuning", f.get("tuning"))}
    split = (f"{'stratified ' if f.get('stratified_split') else ''}"
             f"{'time-ordered ' if facts.time_ordered else ''}{split_name(facts)}")
    if validated and f.get("seed_set") and f.get("baseline_present"):
        f.add(f"{models} with {split}; "
              f"{', '.join(label for label, ok in good.values() if ok)}",
              **{key: bool(ok) for key, (_, ok) in good.items()},
              split_present=f.get("split_present"))
        return f.verdict(3, "validated")
    f.add(f"{models} on {split}", split_present=f.get("split_present"))
    absent = {key: label for key, (label, ok) in good.items() if not ok}
    f.add(f"without {', '.join(absent.values())}", **dict.fromkeys(absent, False))
    return f.verdict(2, "plain")


_TRACKED = {"experiment_set": "experiment set", "params_logged": "params",
            "metrics_logged": "metrics",
            "model_signature": "a model with signature or input example"}


def mlflow_logging(ev: Evidence) -> Verdict:
    """0: tracking not expected and absent; 1: none or broken; 3: the full set; else 2."""
    f = Finder(ev, "mlflow_logging")
    if not f.get("mlflow_used"):
        if not ev.task.tracking_expected:
            f.add("no MLflow calls, and tracking is not expected", mlflow_used=False)
            return f.verdict(0, "not_expected")
        f.add("no MLflow tracking at all where runs are expected to be tracked",
              mlflow_used=False)
        return f.verdict(1, "absent")
    logged = [key for key in ("params_logged", "metrics_logged", "model_logged",
                              "artifacts_logged") if f.get(key)]
    if not logged:
        f.add("MLflow is set up but nothing is logged (no params, metrics or model)",
              **dict.fromkeys(("params_logged", "metrics_logged", "model_logged"), False))
    if (unended := read.unended_runs(ev)) and not f.get("autolog"):
        f.add(f"start_run in cell {unended[0].cell} is neither a with-block nor ended",
              run_started=True, run_ended=False)
    if f.reasons:
        return f.verdict(1, "broken")
    autolog = f.get("autolog")
    have = {key: bool(f.get(key)) or (autolog and key == "params_logged") for key in _TRACKED}
    if all(have.values()):
        f.add(f"{', '.join(_TRACKED.values())}{' (autolog)' if autolog else ''}"
              f"{'; artifacts' if f.get('artifacts_logged') else ''}", **have, autolog=autolog)
        return f.verdict(3, "complete")
    f.add(f"partial tracking: logs {', '.join(k.replace('_logged', '') for k in logged)}",
          **dict.fromkeys(logged, True))
    missing = [key for key, ok in have.items() if not ok]
    f.add(f"missing: {', '.join(_TRACKED[key] for key in missing)}",
          **dict.fromkeys(missing, False))
    return f.verdict(2, "partial")


def cell_organization(ev: Evidence) -> Verdict:
    """1: monolithic, chaotic or unnarrated; 3: sectioned, short cells, in order; else 2."""
    f = Finder(ev, "cell_organization")
    code, longest = f.get("code_cells"), f.get("longest_code_lines")
    headers, ratio, order = f.get("headers"), f.get("markdown_ratio"), f.get("execution_order")
    errors = f.get("error_cells")
    if code <= 2 and longest > 40:
        f.add(f"{code} code cell(s), the longest {longest} lines: one monolithic block",
              code_cells=code, longest_code_lines=longest)
    if order == "out_of_order" and errors:
        f.add(f"cells ran out of order and {cells_text(errors)} show errors",
              execution_order=order, error_cells=errors)
    if code >= 8 and headers == 0 and ratio < 0.05:
        f.add(f"{code} code cells with no headings or narration", headers=0,
              markdown_ratio=ratio)
    if f.reasons:
        return f.verdict(1, "chaotic")
    problems: list[tuple[str, dict[str, Any]]] = []
    if headers < 3:
        problems.append((f"{headers} headings", {"headers": headers}))
    if f.get("long_code_cells"):
        problems.append((f"{f.get('long_code_cells')} code cells over 40 lines",
                         {"long_code_cells": f.get("long_code_cells")}))
    if f.get("multi_topic_cells") > max(1, code // 5):
        problems.append((f"{f.get('multi_topic_cells')} cells mixing several steps",
                         {"multi_topic_cells": f.get("multi_topic_cells")}))
    if ratio < 0.2:
        problems.append((f"little narration (markdown ratio {ratio})", {"markdown_ratio": ratio}))
    if order == "out_of_order":
        problems.append(("cells executed out of order", {"execution_order": order}))
    if errors:
        problems.append((f"errors in the output of {cells_text(errors)}", {"error_cells": errors}))
    if not problems:
        f.add(f"{headers} headings, markdown ratio {ratio}, code cells of median "
              f"{f.get('median_code_lines')} lines, run {order.replace('_', ' ')}",
              headers=headers, markdown_ratio=ratio, long_code_cells=0, execution_order=order)
        return f.verdict(3, "sectioned")
    for reason, values in problems:
        f.add(reason, **values)
    return f.verdict(2, "some_structure")


RULES: dict[str, Callable[[Evidence], Verdict]] = {
    "library_installation": library_installation,
    "exploratory_data_analysis": exploratory_data_analysis,
    "data_imputation": data_imputation,
    "feature_engineering": feature_engineering,
    "model_training": model_training,
    "model_use": model_use,
    "metrics_evaluation": metrics_evaluation,
    "mlflow_logging": mlflow_logging,
    "cell_organization": cell_organization,
}
"""The rule of each built-in dimension, in :data:`~memalign_nb.dimensions.DIMENSIONS` order."""
