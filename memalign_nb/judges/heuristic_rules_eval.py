"""The heuristic judge's rules for using and evaluating the trained model.

:func:`model_use` checks that new data goes through the preprocessing fitted on training
rows (no refit of a scaler, a ``ColumnTransformer`` or the model on the new rows, no
``get_dummies`` of the new rows left unaligned); :func:`metrics_evaluation` checks which
rows the reported metrics are computed on, that they suit the task (not accuracy alone
where the positive class is rare) and that a baseline is scored for comparison. Both are
part of :data:`~memalign_nb.judges.heuristic_rules.RULES`.
"""

from __future__ import annotations

from memalign_nb.judges import heuristic_evidence as read
from memalign_nb.judges.heuristic_evidence import (
    STATELESS_TRANSFORMS,
    Evidence,
    Finder,
    Verdict,
    describe,
    first,
)
from memalign_nb.sections.dimension_facts import loose
from memalign_nb.sections.events import TEST, TRAIN


def model_use(ev: Evidence) -> Verdict:
    """0: no predictions asked; 1: refit at inference, mismatched columns, training rows
    prepared unlike the new ones, predictions on training rows or none; 3: a pipeline,
    saved model, preparation function or no preparation at all feeds the fitted model the
    new rows, and outputs are written."""
    f = Finder(ev, "model_use")
    facts, asks = ev.facts, ev.task.asks_predictions
    uses = f.get("predicts_on_heldout") or f.get("loads_saved_model") or f.get("writes_outputs")
    if asks is False or (asks is None and not uses):
        f.add("the prompt asks for no predictions on new data" if asks is False else
              "no prompt asks for predictions and the notebook makes none on new data",
              asks_predictions=asks, predicts_on_heldout=f.get("predicts_on_heldout"))
        return f.verdict(0, "not_requested")
    fits = facts.of("fit")
    if f.get("model_refit_on_test"):
        f.add(f"{describe(first(fits, lambda e: e.data == TEST))} refits the model on new data",
              model_refit_on_test=True)
    refit = first(loose(facts.of("transform")), lambda e: e.data == TEST
                   and e.name not in STATELESS_TRANSFORMS
                   and not read.fill_from_other_frame(ev, e))
    if refit and f.get("transform_refit_on_test"):
        how = (" (a preprocessing-only pipeline fitted again)" if "preprocessor" in refit.flags
               else "")
        f.add(f"{describe(refit)} refits preprocessing on new data{how}, so the model sees "
              "features scaled or filled differently from training",
              transform_refit_on_test=True)
    dummies = first(facts.of("transform"), lambda e: e.name == "get_dummies"
                     and e.data == TEST and not read.dummies_aligned(ev, e))
    if dummies:
        f.add(f"{describe(dummies)} encodes the new data on its own, so its columns can differ "
              "from training", get_dummies_on_new_data=True, columns_aligned=False)
    final = read.final_prediction(ev)
    if f.get("only_predicts_on_training_data"):
        f.add("every prediction is on the training rows", only_predicts_on_training_data=True)
    elif final and final.data == TRAIN and read.argument_role(ev, final) == TRAIN:
        f.add(f"the predictions written out ({describe(final)}) are on the training rows",
              final_predictions_on_training_data=True)
    elif not f.get("predictions") and not f.get("loads_saved_model"):
        f.add("the task asks for predictions but the notebook makes none", predictions=0)
    elif not fits and not f.get("loads_saved_model"):
        f.add("predictions come from a model never fitted or loaded in the notebook",
              predicts_without_fit=f.get("predicts_without_fit"))
    through = f.get("predicts_through_function")
    packaged = f.get("predicts_with_pipeline") or f.get("loads_saved_model") or through
    new_steps, train_steps = (f.get("new_rows_prepared_by_hand"),
                              f.get("training_rows_prepared_by_hand"))
    if f.get("new_rows_dropped") and f.get("writes_outputs"):
        f.add("rows of the new data are dropped (dropna) before predicting, so the outputs "
              "written miss them", new_rows_dropped=True)
    if train_steps and not new_steps and not packaged and f.get("predicts_on_heldout"):
        f.add(f"{train_steps} preparation step(s) written for the training rows are never "
              "applied to the new rows, so the model sees inputs prepared differently",
              training_rows_prepared_by_hand=train_steps, new_rows_prepared_by_hand=0)
    if f.reasons:
        return f.verdict(1, "wrong_use")
    as_trained = f.get("predicts_on_heldout") and not new_steps and not train_steps
    consistent = packaged or as_trained
    how = ("the fitted pipeline predicts" if f.get("predicts_with_pipeline") else
           "the saved model is loaded and predicts" if f.get("loads_saved_model") else
           "new data go through one preparation function that refits nothing, then the "
           "fitted model predicts" if through else
           "the fitted model predicts new rows needing no preparation written twice (as "
           "loaded, or through fitted transformers)")
    written = f.get("writes_outputs") and not f.get("output_writes_failed")
    if consistent and written:
        f.add(f"{how} on new data; outputs written",
              predicts_with_pipeline=f.get("predicts_with_pipeline"),
              loads_saved_model=f.get("loads_saved_model"), writes_outputs=True,
              **({"predicts_through_function": True} if through else {}),
              **({} if packaged else {"new_rows_prepared_by_hand": 0}))
        return f.verdict(3, "consistent")
    unwritten = ("the output write fails (see its saved output)" if f.get("writes_outputs")
                 else "nothing is written out")
    if consistent:
        f.add(f"{how}, but {unwritten}",
              predicts_with_pipeline=f.get("predicts_with_pipeline"), writes_outputs=False)
    else:
        f.add("the fitted model predicts on new data with preprocessing repeated by hand "
              "(no pipeline)", predicts_with_pipeline=False,
              model_reused_for_predictions=f.get("model_reused_for_predictions"),
              new_rows_prepared_by_hand=new_steps)
        if not written:
            f.add(unwritten, writes_outputs=False)
    return f.verdict(2, "ad_hoc")


def _metric_faults(ev: Evidence, f: Finder, metrics: list[str]) -> None:
    task = ev.task.task_type
    shown = read.displayed_metrics(ev)
    if f.get("only_training_metrics"):
        f.add(f"{', '.join(metrics)} computed on training rows only",
              only_training_metrics=True)
    elif shown and all(e.data == TRAIN for e in shown):
        f.add(f"the reported {describe(shown[0])} is computed on training rows (held-out metrics "
              "only go to MLflow)", training_metrics=f.get("training_metrics"))
    families = set(f.get("metric_families")) - {"other"}
    if task == "classification" and families and "classification" not in families:
        f.add(f"{'/'.join(sorted(families))} metrics for a classification task",
              metric_families=sorted(families), task_type=task)
    elif task in ("regression", "forecasting") and families == {"classification"}:
        f.add(f"classification metrics for a {task} task", metric_families=sorted(families),
              task_type=task)
    elif task == "unknown" and f.get("metric_task_mismatch"):
        f.add("metrics of another family than the task", metric_task_mismatch=True)
    if f.get("full_data_metrics") and not f.get("heldout_metrics") and not f.get("cv_metrics"):
        f.add("metrics computed on all rows, training rows included",
              full_data_metrics=f.get("full_data_metrics"), heldout_metrics=0)
    if swapped := f.get("swapped_metric_arguments"):
        f.add(f"{', '.join(swapped)} called with the predictions first and the true values "
              "second, so precision and recall (or rows and columns) are exchanged",
              swapped_metric_arguments=swapped)
    if wrong := read.mislabelled_metric(ev):
        label, call, cell = wrong
        f.add(f"cell {cell} prints {call} under the label {label!r}", mislabelled_metric=call)
    share, cell = read.minority_share(ev)
    if (task == "classification" and share is not None and share < read.IMBALANCED_SHARE
            and not f.get("imbalance_aware_metrics")):
        f.add(f"accuracy-style metrics only, though the output of cell {cell} shows the "
              f"smallest class at {share:.1%}", imbalance_aware_metrics=False,
              minority_share=share)
    elif task in ("classification", "unknown") and ev.task.rare_positive and f.get(
            "accuracy_only"):
        f.add(f"only {', '.join(f.get('reported_metrics'))} is shown, though the prompt's "
              "target is a rare event (predicting the majority class scores about the same)",
              accuracy_only=True, rare_positive=True)


def metrics_evaluation(ev: Evidence) -> Verdict:
    """1: no metric, training-only, wrong-task, mislabelled or accuracy on an imbalanced
    target; 3: several held-out metrics suited to the task and a baseline; else 2."""
    f = Finder(ev, "metrics_evaluation")
    metrics, task = f.get("metrics"), ev.task.task_type
    if not metrics:
        f.add("no metric is computed", metrics=[])
        return f.verdict(1, "none")
    if f.get("metrics_failed"):
        f.add(f"every cell computing {', '.join(metrics[:3])} shows an error in its saved "
              "output, so no metric is reported", metrics_failed=True)
        return f.verdict(1, "none")
    _metric_faults(ev, f, metrics)
    if f.reasons:
        return f.verdict(1, "misleading")
    heldout, cv = f.get("heldout_metrics"), f.get("cv_metrics")
    reported = f.get("reported_metrics")
    # with a held-out split, what counts is what is shown for the held-out rows
    several = (f.get("heldout_reported_metrics") if heldout else len(reported)) >= 2
    compared = f.get("baseline_compared")
    suited = task != "classification" or f.get("imbalance_aware_metrics")
    if (heldout or cv) and several and compared and suited:
        f.add(f"{', '.join(reported)} on held-out data, compared with a baseline scored the "
              "same way", metrics=metrics, reported_metrics=reported, heldout_metrics=heldout,
              cv_metrics=cv, baseline_compared=True)
        return f.verdict(3, "complete")
    f.add(f"{', '.join(reported)} on "
          f"{'held-out data' if heldout or cv else 'rows of unknown role'}",
          metrics=metrics, reported_metrics=reported, heldout_metrics=heldout, cv_metrics=cv)
    if not several:
        f.add("a single metric" + (" for the held-out rows" if heldout else ""),
              heldout_reported_metrics=f.get("heldout_reported_metrics"))
    if not compared:
        f.add("a baseline model is built but never scored for comparison"
              if f.get("baseline_present") else "no baseline to compare with",
              baseline_present=f.get("baseline_present"), baseline_compared=False)
    if not suited:
        f.add("no F1, ROC-AUC or PR-AUC for a classification task",
              imbalance_aware_metrics=False)
    return f.verdict(2, "incomplete")
