"""Step writers for the modelling half of a sample notebook: split, train, evaluate.

Tracking and inference live in ``use_steps``. Each writer follows the practice
chosen for its dimension and records the facts the experts' rationales quote.
"""

from __future__ import annotations

from memalign_nb.datasets.generator import outputs as out
from memalign_nb.datasets.generator.context import Ctx
from memalign_nb.datasets.generator.narrative import heading, say

PD, NP = "import pandas as pd", "import numpy as np"
SPLIT = "from sklearn.model_selection import train_test_split"

_ESTIMATORS = {
    # family -> (classifier, regressor, module, tuned parameter and grid)
    "linear": ("LogisticRegression(max_iter=1000{seed})", "Ridge(alpha=1.0)",
               "sklearn.linear_model", ("C", "[0.01, 0.1, 1, 10]")),
    "forest": ("RandomForestClassifier(n_estimators=300, n_jobs=-1{seed})",
               "RandomForestRegressor(n_estimators=300, n_jobs=-1{seed})",
               "sklearn.ensemble", ("max_depth", "[None, 8, 16]")),
    "boosting": ("HistGradientBoostingClassifier(learning_rate=0.1{seed})",
                 "HistGradientBoostingRegressor(learning_rate=0.1{seed})",
                 "sklearn.ensemble", ("learning_rate", "[0.03, 0.1, 0.3]")),
    "xgboost": ("XGBClassifier(n_estimators=400, learning_rate=0.05, max_depth=5{seed})",
                "XGBRegressor(n_estimators=400, learning_rate=0.05, max_depth=5{seed})",
                "xgboost", ("max_depth", "[3, 5, 7]")),
    "lightgbm": ("LGBMClassifier(n_estimators=400, learning_rate=0.05, verbose=-1{seed})",
                 "LGBMRegressor(n_estimators=400, learning_rate=0.05, verbose=-1{seed})",
                 "lightgbm", ("num_leaves", "[15, 31, 63]")),
}


def _estimator(ctx: Ctx, seeded: bool = True) -> tuple[str, str, str]:
    """``(constructor expression, import line, class name)`` of the notebook's model."""
    if ctx.practice("model_training") == "regressor_for_class":
        return ("LinearRegression()", "from sklearn.linear_model import LinearRegression",
                "LinearRegression")
    clf, reg, module, _ = _ESTIMATORS[ctx.style.family]
    expr = clf if ctx.task.task_type == "classification" else reg
    expr = expr.format(seed=f", random_state={ctx.style.seed_expr}" if seeded else "")
    if ctx.task.imbalanced and ctx.style.family in ("linear", "forest") and seeded:
        expr = expr[:-1] + ', class_weight="balanced")'
    name = expr.split("(")[0]
    return expr, f"from {module} import {name}", name


def _wrap(ctx: Ctx, expr: str) -> str:
    """The estimator inside the pipeline when the author uses one."""
    if ctx.style.pipeline and ctx.facts.get("preprocess"):
        return f'Pipeline([("prep", preprocess), ("model", {expr})])'
    return expr


def write_split(ctx: Ctx) -> None:
    """Build X and y and split them as the training practice does."""
    s, task, df, T = ctx.style, ctx.task, ctx.style.df, ctx.T
    practice = ctx.practice("model_training")
    heading(ctx, "split")
    if ctx.practice("feature_engineering") == "basic":
        x_expr = f"{df}.drop(columns=drop_cols + [{T}])"
        ctx.prep_lines.append(f"{{F}} = {{F}}.reindex(columns={s.X}.columns, fill_value=0)")
    else:
        x_expr = f"{df}[num_cols + cat_cols]"
        ctx.prep_lines.append("{F} = {F}[num_cols + cat_cols]")
    y_expr = (f"({df}[{T}] == \"Yes\").astype(int)" if task.positive_label == "Yes"
              else f"{df}[{T}]")
    lines = [f"{s.X} = {x_expr}", f"{s.y} = {y_expr}"]
    parts = f"{s.X_train}, {s.X_valid}, {s.y_train}, {s.y_valid}"
    seed = "" if practice == "no_seed" else f", random_state={s.seed_expr}"
    imports: tuple[str, ...] = (SPLIT,)
    if task.task_type == "forecasting" and practice != "random_split_ts":
        ctx.facts["split_kind"] = "time-based"
        lines += [ctx.comment("hold out the last 16 days, as the forecast horizon").strip(),
                  f'cutoff = {df}["date"].max() - pd.Timedelta(days=16)',
                  f'is_train = {df}["date"] <= cutoff',
                  f"{s.X_train}, {s.X_valid} = {s.X}[is_train], {s.X}[~is_train]",
                  f"{s.y_train}, {s.y_valid} = {s.y}[is_train], {s.y}[~is_train]"]
        imports = (PD,)
    else:
        stratify = task.task_type == "classification" and (
            practice in ("cv_tuned", "cv_compare") or ctx.rng.random() < 0.4)
        ctx.facts["split_kind"] = "stratified" if stratify else "random"
        strat = f", stratify={s.y}" if stratify else ""
        lines.append(f"{parts} = train_test_split(\n"
                     f"    {s.X}, {s.y}, test_size=0.2{strat}{seed}\n)")
    lines.append(f"print({s.X_train}.shape, {s.X_valid}.shape)")
    n = task.n_train - task.target_missing
    # a time-based hold-out is the last 16 days: as many rows as the 16-day future file
    n_valid = task.n_test if ctx.facts["split_kind"] == "time-based" else round(n * 0.2)
    width = len(ctx.num) + len(ctx.cat)
    if "<dummies>" in ctx.num:
        width += 2 * len(task.categorical) - 1
    ctx.facts["_width"] = str(width)
    shapes = f"({n - n_valid}, {width}) ({n_valid}, {width})"
    ctx.code("split", "\n".join(filter(None, lines)), *imports, outputs=[out.stream(shapes)])


def write_train(ctx: Ctx) -> None:
    """Fit the model as the training practice does."""
    s, task = ctx.style, ctx.task
    practice = ctx.practice("model_training")
    heading(ctx, "train")
    expr, imp, name = _estimator(ctx, seeded=practice != "no_seed")
    ctx.facts.update(model_name=name, X=s.X, X_train=s.X_train, X_valid=s.X_valid)
    imports = [imp] + (["from sklearn.pipeline import Pipeline"]
                       if s.pipeline and ctx.facts.get("preprocess") else [])
    if ctx.practice("mlflow_logging") == "autolog":
        ctx.code("train", f'mlflow.set_experiment("{ctx.experiment}")\n'
                 "mlflow.sklearn.autolog(log_input_examples=True)", "import mlflow")
    m, Xt, yt = s.model, s.X_train, s.y_train
    clf = task.task_type == "classification"
    dummy = "DummyClassifier(strategy=\"most_frequent\")" if clf else "DummyRegressor()"
    dummy_imp = f"from sklearn.dummy import {dummy.split('(')[0]}"
    ctx.facts["baseline"] = "majority-class" if clf else "mean"
    cv_name = ("TimeSeriesSplit" if task.task_type == "forecasting"
               else "StratifiedKFold" if clf else "KFold")
    cv_expr = (f"{cv_name}(n_splits=5)" if cv_name == "TimeSeriesSplit"
               else f"{cv_name}(n_splits=5, shuffle=True, random_state={s.seed_expr})")
    cv_imp = f"from sklearn.model_selection import {cv_name}"
    scoring = _scoring(ctx)
    param, grid = _ESTIMATORS[s.family][3]
    if expr.startswith("Ridge"):
        param, grid = "alpha", "[0.1, 1.0, 10.0]"
    prefix = "model__" if s.pipeline and ctx.facts.get("preprocess") else ""
    ctx.facts.update(cv=f"{cv_name} cross-validation", tuned_param=param)
    if practice == "cv_tuned":
        code = (f"baseline = {dummy}.fit({Xt}, {yt})\n\n"
                f"search = GridSearchCV(\n    {_wrap(ctx, expr)},\n"
                f'    param_grid={{"{prefix}{param}": {grid}}},\n'
                f'    cv={cv_expr},\n    scoring="{scoring}",\n    n_jobs=-1,\n)\n'
                f"search.fit({Xt}, {yt})\n"
                "print(search.best_params_, round(search.best_score_, 4))\n"
                f"{m} = search.best_estimator_")
        best = grid.strip("[]").split(", ")[1]
        outputs = [out.stream(f"{{'{prefix}{param}': {best}}} {_score(ctx, 'cv'):.4f}")]
        ctx.code("train", code, *imports, dummy_imp, cv_imp,
                 "from sklearn.model_selection import GridSearchCV", outputs=outputs)
    elif practice == "cv_compare":
        code = (f"cv = {cv_expr}\ncandidates = {{\n    \"baseline\": {dummy},\n"
                f"    \"{s.family}\": {_wrap(ctx, expr)},\n}}\n"
                "for label, candidate in candidates.items():\n"
                f"    scores = cross_val_score(candidate, {Xt}, {yt}, cv=cv, "
                f"scoring=\"{scoring}\")\n"
                "    print(label, scores.mean().round(4), scores.std().round(4))\n\n"
                f"{m} = candidates[\"{s.family}\"].fit({Xt}, {yt})\n"
                f"baseline = candidates[\"baseline\"].fit({Xt}, {yt})")
        base, cv = _score(ctx, "baseline_cv"), _score(ctx, "cv")
        outputs = [out.stream(f"baseline {base:.4f} {abs(base) * 0.02:.4f}\n"
                              f"{s.family} {cv:.4f} {abs(cv) * 0.015:.4f}")]
        ctx.code("train", code, *imports, dummy_imp, cv_imp,
                 "from sklearn.model_selection import cross_val_score", outputs=outputs)
    elif practice in ("single_split", "no_seed", "random_split_ts", "regressor_for_class"):
        if practice == "no_seed":
            expr = expr.replace("n_estimators=300", "n_estimators=500").replace(
                "n_estimators=400", "n_estimators=250")
        ctx.code("train", f"{m} = {_wrap(ctx, expr)}\n{m}.fit({Xt}, {yt})", *imports)
    elif practice == "fit_on_all":
        ctx.code("train", ctx.comment("more data is better: fit on everything")
                 + f"{m} = {_wrap(ctx, expr)}\n{m}.fit({s.X}, {s.y})", *imports)
    elif practice == "tune_on_test":
        _tune_on_test(ctx, expr, imports, param, grid)
    elif practice == "select_on_train":
        _select_on_train(ctx, expr, imports)
    if ctx.practice("data_imputation") == "left_missing":
        fitting = [f for f in ctx.frags if f.step == "train" and ".fit(" in f.source][-1]
        fitting.outputs = [out.error(
            "ValueError", f"Input X contains NaN.\n{name} does not accept missing values "
            "encoded as NaN natively. Consider an imputer such as SimpleImputer, or drop "
            "the samples with missing values.", ["Cell In[12], line 2"])]


def _scoring(ctx: Ctx) -> str:
    if ctx.task.task_type == "classification":
        return "average_precision" if ctx.task.positive_rate < 0.05 else "roc_auc"
    return "neg_mean_absolute_error"


def _score(ctx: Ctx, kind: str) -> float:
    """A believable printed score.

    ``cv`` and ``baseline_cv`` follow the search's scoring (negative MAE for regressors),
    ``score`` and ``train_score`` follow ``estimator.score`` (accuracy or R2).
    """
    metrics, clf = ctx.task.metrics, ctx.task.task_type == "classification"
    if kind in ("cv", "baseline_cv"):
        if not clf:
            return -ctx.jitter(metrics["mae" if kind == "cv" else "baseline_mae"])
        pr = _scoring(ctx) == "average_precision"
        if kind == "baseline_cv":
            return ctx.task.positive_rate if pr else 0.5
        return ctx.jitter(metrics["pr_auc" if pr else "roc_auc"])
    value = metrics["accuracy" if clf else "r2"]
    if kind == "train_score":
        value += (1 - value) * 0.7
    return ctx.jitter(value)


def _tune_on_test(ctx: Ctx, expr: str, imports: list[str], param: str, grid: str) -> None:
    s = ctx.style
    base = expr.split("(")[0]
    args = [a for a in expr[len(base) + 1:-1].split(", ") if a and not a.startswith(param + "=")]

    def build(value: str) -> str:
        return _wrap(ctx, f"{base}({', '.join([f'{param}={value}', *args])})")

    code = (f"best_score, best_value = -1, None\nfor value in {grid}:\n"
            f"    candidate = {build('value')}\n"
            f"    candidate.fit({s.X_train}, {s.y_train})\n"
            f"    score = candidate.score({s.X_valid}, {s.y_valid})\n"
            "    if score > best_score:\n        best_score, best_value = score, value\n"
            f"print(\"best {param}:\", best_value, \"test score:\", round(best_score, 4))\n"
            f"{s.model} = {build('best_value')}.fit({s.X_train}, {s.y_train})")
    best = grid.strip("[]").split(", ")[-1]
    outputs = [out.stream(f"best {param}: {best} test score: {_score(ctx, 'score'):.4f}")]
    ctx.code("train", code, *imports, outputs=outputs)


def _select_on_train(ctx: Ctx, expr: str, imports: list[str]) -> None:
    s = ctx.style
    clf = ctx.task.task_type == "classification"
    tree = ("DecisionTreeClassifier" if clf else "DecisionTreeRegressor")
    code = (f"models = {{\n    \"{s.family}\": {_wrap(ctx, expr)},\n"
            f"    \"tree\": {_wrap(ctx, tree + '()')},\n}}\n"
            "for label, candidate in models.items():\n"
            f"    candidate.fit({s.X_train}, {s.y_train})\n"
            f"    print(label, round(candidate.score({s.X_train}, {s.y_train}), 4))\n"
            f"{s.model} = models[\"tree\"]  # highest score")
    outputs = [out.stream(f"{s.family} {_score(ctx, 'train_score'):.4f}\ntree 1.0")]
    ctx.facts["model_name"] = tree
    ctx.code("train", code, *imports, f"from sklearn.tree import {tree}", outputs=outputs)


_CLF_METRICS = ("accuracy_score", "f1_score", "roc_auc_score", "average_precision_score",
                "classification_report")
_REG_METRICS = ("mean_absolute_error", "mean_squared_error", "r2_score")


def write_evaluate(ctx: Ctx) -> None:
    """Evaluate as the metrics practice does."""
    s, task = ctx.style, ctx.task
    practice = ctx.practice("metrics_evaluation")
    heading(ctx, "evaluate")
    clf = task.task_type == "classification"
    m, Xv, yv = s.model, s.X_valid, s.y_valid
    if practice == "train_metrics":
        Xv, yv = s.X_train, s.y_train
    pred = f"pred = {m}.predict({Xv})"
    if ctx.practice("model_training") == "regressor_for_class":
        pred = f"raw = {m}.predict({Xv})\npred = (raw > 0.5).astype(int)"
    proba = ("raw" if "raw =" in pred else f"{m}.predict_proba({Xv})[:, 1]")
    values = _values(ctx)
    ctx.facts.update(accuracy=f"{values.get('accuracy', 0):.4f}",
                     positive_pct=f"{task.positive_rate:.1%}",
                     metric_names=_metric_names(ctx), single_metric=_single_name(ctx))
    lines, shown = [pred], []
    if clf:
        if practice == "full_report" or practice == "no_baseline":
            lines += [f"proba = {proba}", f"print(classification_report({yv}, pred, digits=3))",
                      ctx.show("ROC-AUC", f"roc_auc_score({yv}, proba)")]
            shown += [_report(ctx, values), f"ROC-AUC: {values['roc_auc']:.4f}"]
            if task.imbalanced:
                lines.append(ctx.show("PR-AUC", f"average_precision_score({yv}, proba)"))
                shown.append(f"PR-AUC: {values['pr_auc']:.4f}")
        elif practice in ("single_metric", "accuracy_imbalanced", "train_metrics"):
            lines.append(ctx.show("Accuracy", f"accuracy_score({yv}, pred)"))
            shown.append(f"Accuracy: {values['accuracy']:.4f}")
        elif practice == "mislabelled":
            lines.append(ctx.show("ROC-AUC", f"accuracy_score({yv}, pred)"))
            shown.append(f"ROC-AUC: {values['accuracy']:.4f}")
            ctx.facts["mislabel"] = "The value printed as ROC-AUC is accuracy_score"
        imports = _metric_imports(lines, _CLF_METRICS)
    else:
        lines += _regression_lines(ctx, practice, yv)
        shown += _regression_shown(ctx, practice, values)
        imports = _metric_imports(lines, _REG_METRICS)
        if "np." in "".join(lines):
            imports.append(NP)
    ctx.code("evaluate", "\n".join(lines), *imports, outputs=[out.stream("\n".join(shown))])
    where = "on the training data" if practice == "train_metrics" else "on held-out data"
    ctx.facts["_result"] = _phrase(shown[-1]) + " " + where
    ctx.facts["headline"] = next(
        _phrase(line) for line in shown if ": " in line and "\n" not in line)
    if practice == "full_report":
        _baseline_comparison(ctx, values)
    elif practice == "accuracy_imbalanced":
        say(ctx, "evaluate", f"The model is {values['accuracy']:.2%} accurate, which is "
            "excellent.")


def _phrase(line: str) -> str:
    """``"ROC-AUC: 0.8712"`` as ``"ROC-AUC 0.871"`` for a rationale."""
    label, value = line.rsplit(": ", 1)
    number = float(value) if value != "inf" else float("inf")
    shown = f"{number:,.0f}" if abs(number) >= 100 else f"{number:.3f}"
    return f"{label} {shown}"


def _metric_imports(lines: list[str], names: tuple[str, ...]) -> list[str]:
    used = [n for n in names if n + "(" in "\n".join(lines)]
    return ["from sklearn.metrics import " + ", ".join(used)] if used else []


def _values(ctx: Ctx) -> dict[str, float]:
    """The metric values this notebook prints, moved by its practices."""
    values = {k: ctx.jitter(v, 0.02) if v else v for k, v in ctx.task.metrics.items()}
    boost = 0.0
    if ctx.practice("feature_engineering") in ("leaky_columns", "future_lags",
                                               "target_encoding_full"):
        boost = 0.08
    if ctx.practice("model_training") in ("fit_on_all", "select_on_train") or (
            ctx.practice("metrics_evaluation") == "train_metrics"):
        boost = 0.12
    for key in values:
        if key.startswith("baseline"):
            continue
        if key in ("rmse", "mae", "mape", "rmsle"):
            values[key] *= max(0.05, 1 - 3 * boost)
        elif boost:
            values[key] = min(0.9995, values[key] + boost * (1 - values[key]) * 4)
    return values


def _metric_names(ctx: Ctx) -> str:
    if ctx.task.task_type == "classification":
        return "F1, ROC-AUC and PR-AUC" if ctx.task.imbalanced else "accuracy, F1 and ROC-AUC"
    if ctx.task.task_type == "forecasting":
        return "MAE and RMSLE"
    return "MAE, RMSE and R2"


def _single_name(ctx: Ctx) -> str:
    return {"classification": "accuracy", "regression": "RMSE",
            "forecasting": "MAE"}[ctx.task.task_type]


def _report(ctx: Ctx, values: dict[str, float]) -> str:
    task = ctx.task
    n = round((task.n_train - task.target_missing) * 0.2)
    pos = max(1, round(n * task.positive_rate))
    f1 = values["f1"]
    neg_f1 = min(0.999, 1 - (1 - values["accuracy"]) * 0.6)
    acc = values["accuracy"]
    rows = [
        ("0", f"{min(1.0, neg_f1 + 0.004):.3f}", f"{neg_f1 - 0.004:.3f}", f"{neg_f1:.3f}",
         n - pos),
        ("1", f"{min(1.0, f1 + 0.02):.3f}", f"{f1 - 0.02:.3f}", f"{f1:.3f}", pos),
    ]
    text = "              precision    recall  f1-score   support\n\n"
    text += "".join(f"{k:>12}{p:>12}{r:>10}{f:>10}{s:>10}\n" for k, p, r, f, s in rows)
    text += f"\n    accuracy{'':>22}{acc:>10.3f}{n:>10}\n"
    macro = (neg_f1 + f1) / 2
    text += f"   macro avg{macro:>12.3f}{macro:>10.3f}{macro:>10.3f}{n:>10}\n"
    return text + f"weighted avg{acc:>12.3f}{acc:>10.3f}{acc:>10.3f}{n:>10}\n"


def _regression_lines(ctx: Ctx, practice: str, yv: str) -> list[str]:
    mae = ctx.show("MAE", f"mean_absolute_error({yv}, pred)")
    rmse = ctx.show("RMSE", f"np.sqrt(mean_squared_error({yv}, pred))")
    if practice == "mape_zeros":
        return [ctx.show("MAPE %", f"np.mean(np.abs(({yv} - pred) / {yv})) * 100")]
    if practice == "mislabelled":
        ctx.facts["mislabel"] = "The value printed as RMSE is mean_squared_error, not its root"
        return [ctx.show("RMSE", f"mean_squared_error({yv}, pred)")]
    if practice in ("single_metric", "train_metrics"):
        return [rmse if ctx.task.task_type == "regression" else mae]
    if ctx.task.task_type == "forecasting":
        return [mae, ctx.show("RMSLE", f"np.sqrt(mean_squared_error(np.log1p({yv}), "
                              "np.log1p(pred.clip(0))))")]
    return [mae, rmse, ctx.show("R2", f"r2_score({yv}, pred)")]


def _regression_shown(ctx: Ctx, practice: str, values: dict[str, float]) -> list[str]:
    if practice == "mape_zeros":
        return ["MAPE %: inf"]
    if practice == "mislabelled":
        return [f"RMSE: {values.get('rmse', values['mae']) ** 2:.4f}"]
    if practice in ("single_metric", "train_metrics"):
        key = "rmse" if ctx.task.task_type == "regression" else "mae"
        return [f"{key.upper()}: {values[key]:.4f}"]
    if ctx.task.task_type == "forecasting":
        return [f"MAE: {values['mae']:.4f}", f"RMSLE: {values['rmsle']:.4f}"]
    return [f"MAE: {values['mae']:.4f}", f"RMSE: {values['rmse']:.4f}", f"R2: {values['r2']:.4f}"]


def _baseline_comparison(ctx: Ctx, values: dict[str, float]) -> None:
    s, task = ctx.style, ctx.task
    has_baseline = ctx.practice("model_training") in ("cv_tuned", "cv_compare")
    clf = task.task_type == "classification"
    if task.task_type == "forecasting":
        code = (f'naive = {s.df}.groupby(["store_nbr", "family"])["sales"].shift(7)'
                f".loc[{s.X_valid}.index].fillna(0)\n"
                + ctx.show("seasonal-naive MAE", f"mean_absolute_error({s.y_valid}, naive)"))
        shown = f"seasonal-naive MAE: {values['baseline_mae']:.4f}"
        imports: tuple[str, ...] = ("from sklearn.metrics import mean_absolute_error",)
    else:
        dummy = 'DummyClassifier(strategy="most_frequent")' if clf else "DummyRegressor()"
        fit = "" if has_baseline else f"baseline = {dummy}.fit({s.X_train}, {s.y_train})\n"
        metric = "accuracy_score" if clf else "mean_absolute_error"
        code = fit + ctx.show(f"baseline {'accuracy' if clf else 'MAE'}",
                              f"{metric}({s.y_valid}, baseline.predict({s.X_valid}))")
        key = "baseline_accuracy" if clf else "baseline_mae"
        shown = f"baseline {'accuracy' if clf else 'MAE'}: {values[key]:.4f}"
        imports = (f"from sklearn.metrics import {metric}",) + (
            () if has_baseline else (f"from sklearn.dummy import {dummy.split('(')[0]}",))
    ctx.code("evaluate", code, *imports, outputs=[out.stream(shown)])
    ctx.facts["baseline_value"] = _phrase(shown)
    say(ctx, "evaluate", _interpretation(ctx, values))


def _interpretation(ctx: Ctx, values: dict[str, float]) -> str:
    task = ctx.task
    if task.task_type == "classification":
        text = (f"ROC-AUC is {values['roc_auc']:.2f} against 0.50 for the majority-class "
                "baseline")
        if task.imbalanced:
            text += (f"; PR-AUC {values['pr_auc']:.2f} against a base rate of "
                     f"{task.positive_rate:.1%} is the number that matters here")
        return text + ". Most errors are positives the model misses, so the threshold " \
                      "should be chosen for the recall we need."
    if task.task_type == "forecasting":
        return (f"MAE {values['mae']:.0f} against {values['baseline_mae']:.0f} for the "
                "seasonal-naive forecast: the model beats the baseline by "
                f"{1 - values['mae'] / values['baseline_mae']:.0%}; errors are largest on "
                "holidays.")
    return (f"The typical error is about {values['mae']:,.0f} (MAE) against "
            f"{values['baseline_mae']:,.0f} for predicting the mean, and R2 is "
            f"{values['r2']:.2f}; the largest errors are on the largest values.")
