"""Step writers for tracking (MLflow) and inference on new data in a sample notebook."""

from __future__ import annotations

from memalign_nb.datasets.generator import outputs as out
from memalign_nb.datasets.generator.context import Ctx
from memalign_nb.datasets.generator.narrative import heading

MLFLOW = "import mlflow"
PD = "import pandas as pd"


def _held_out(ctx: Ctx) -> tuple[str, str, str]:
    """``(metric name, expression, import)`` of one held-out metric for logging."""
    s, task = ctx.style, ctx.task
    if task.task_type == "classification":
        if ctx.practice("model_training") == "regressor_for_class":
            expr = f"roc_auc_score({s.y_valid}, {s.model}.predict({s.X_valid}))"
        else:
            expr = f"roc_auc_score({s.y_valid}, {s.model}.predict_proba({s.X_valid})[:, 1])"
        return "valid_roc_auc", expr, "from sklearn.metrics import roc_auc_score"
    expr = f"mean_absolute_error({s.y_valid}, {s.model}.predict({s.X_valid}))"
    return "valid_mae", expr, "from sklearn.metrics import mean_absolute_error"


def write_track(ctx: Ctx) -> None:
    """Log the run to MLflow as the tracking practice does."""
    s, task = ctx.style, ctx.task
    practice = ctx.practice("mlflow_logging")
    if practice == "none":
        return
    experiment = ctx.experiment
    name, expr, metric_imp = _held_out(ctx)
    ctx.facts.update(logged_metric=name, experiment=experiment)
    params = _params(ctx)
    if practice == "import_only":
        ctx.code("track", f'mlflow.set_experiment("{experiment}")', MLFLOW)
        return
    heading(ctx, "track")
    if practice == "full_manual":
        code = (f'mlflow.set_experiment("{experiment}")\n\n'
                f'with mlflow.start_run(run_name="{s.family}-{task.key}") as run:\n'
                f"    mlflow.log_params({params})\n"
                f'    mlflow.log_metric("{name}", {expr})\n'
                f"    signature = infer_signature({s.X_train}, {s.model}.predict({s.X_train}))\n"
                "    model_info = mlflow.sklearn.log_model(\n"
                f'        {s.model}, name="model", signature=signature,\n'
                f"        input_example={s.X_train}.head(3),\n    )\n"
                f'    mlflow.log_text(str({s.model}), "model_description.txt")\n'
                '    mlflow.set_tag("task", "' + task.task_type + '")')
        ctx.code("track", code, MLFLOW, "from mlflow.models import infer_signature", metric_imp)
    elif practice == "autolog":
        code = ("run_id = mlflow.last_active_run().info.run_id\n"
                "with mlflow.start_run(run_id=run_id):\n"
                f'    mlflow.log_metric("{name}", {expr})')
        ctx.code("track", ctx.comment("autolog only saw the training data; add the held-out "
                                      "score") + code, MLFLOW, metric_imp)
    elif practice == "metrics_only":
        ctx.code("track", f'with mlflow.start_run():\n    mlflow.log_metric("{name}", {expr})',
                 MLFLOW, metric_imp)
    elif practice == "no_signature":
        code = (f"with mlflow.start_run():\n    mlflow.log_params({params})\n"
                f'    mlflow.sklearn.log_model({s.model}, "model")')
        ctx.code("track", code, MLFLOW)
    elif practice == "unended_run":
        ctx.code("track", f'mlflow.start_run()\nmlflow.log_metric("{name}", {expr})',
                 MLFLOW, metric_imp)
        run = "".join(ctx.rng.choice("0123456789abcdef") for _ in range(32))
        message = (f"Run with UUID {run} is already active. To start a new run, first end "
                   "the current run with mlflow.end_run(). To start a nested run, call "
                   "start_run with nested=True")
        ctx.code("track", f'with mlflow.start_run(run_name="final"):\n'
                 f'    mlflow.sklearn.log_model({s.model}, name="model")', MLFLOW,
                 outputs=[out.error("Exception", message,
                                    ["Cell In[1], line 1", "----> 1 with mlflow.start_run("
                                     'run_name="final"):'])])


def _params(ctx: Ctx) -> str:
    s = ctx.style
    pairs = {"model": f'"{ctx.facts["model_name"]}"', "seed": s.seed_expr,
             "n_features": f"{s.X_train}.shape[1]"}
    return "{" + ", ".join(f'"{k}": {v}' for k, v in pairs.items()) + "}"


def write_use(ctx: Ctx) -> None:
    """Predict on the new data as the model-use practice does (only when asked)."""
    if not ctx.predicts:
        return
    s, task = ctx.style, ctx.task
    practice = ctx.practice("model_use")
    heading(ctx, "use")
    ctx.facts["test"] = s.test
    body: list[str] = []
    imports_extra: tuple[str, ...] = ()
    X_new = "X_new"
    if practice in ("pipeline_predict", "not_saved", "load_logged_model"):
        body = [line.format(F=X_new) for line in ctx.prep_lines]
        body.insert(0, f"{X_new} = {s.test}.copy()")
    elif practice == "prepare_function":
        lines = "\n".join(line.format(F="frame") for line in ctx.prep_lines)
        ctx.code("use", "def prepare(frame):\n" + ctx.comment(
            "same steps and fitted values as for the training data").replace("# ", "    # ")
            + f"    frame = frame.copy()\n{_indent(lines)}\n    return frame")
        body = [f"{X_new} = prepare({s.test})"]
    elif practice == "adhoc_duplicate":
        body = [f"{X_new} = {s.test}.copy()"]
        body += [line.format(F=X_new) for line in ctx.adhoc_lines]
        body.append(f"{X_new} = {X_new}[{s.X_train}.columns]" if not s.pipeline
                    else f"{X_new} = {X_new}[num_cols + cat_cols]")
    elif practice == "refit_on_new":
        body = [f"{X_new} = {s.test}.copy()"] + [line.format(F=X_new) for line in ctx.refit_lines]
        if not any("fit" in line for line in ctx.refit_lines) and not ctx.facts.get("preprocess"):
            body.append(f"{X_new}[num_cols] = StandardScaler().fit_transform({X_new}[num_cols])")
            imports_extra = ("from sklearn.preprocessing import StandardScaler",)
        if s.pipeline and ctx.facts.get("preprocess"):
            body.append(f"{X_new} = preprocess.fit_transform({X_new}[num_cols + cat_cols])")
            ctx.facts["refit_call"] = "preprocess.fit_transform on the new rows"
        else:
            ctx.facts["refit_call"] = _refit_call(ctx)
            body.append(f"{X_new} = {X_new}.reindex(columns={s.X_train}.columns, fill_value=0)")
    elif practice == "predict_on_train":
        X_new = s.X_train
    elif practice == "columns_mismatch":
        body = [f"{X_new} = pd.get_dummies({s.test}[num_cols + cat_cols])"]
    predictor = s.model if not (s.pipeline and practice == "refit_on_new"
                                and ctx.facts.get("preprocess")) else (
        f'{s.model}.named_steps["model"]')
    imports: tuple[str, ...] = (PD, *imports_extra)
    if practice == "load_logged_model":
        body.append("loaded = mlflow.pyfunc.load_model(model_info.model_uri)")
        predictor = "loaded"
        imports = (PD, MLFLOW)
    body.append(_predict_line(ctx, predictor, X_new))
    outputs = []
    if practice == "columns_mismatch":
        outputs = [out.error("ValueError", "The feature names should match those that were "
                             "passed during fit.\nFeature names seen at fit time, yet now "
                             "missing:\n- " + _first_dummy(ctx), ["Cell In[1], line 2"])]
    elif practice == "not_saved":
        body.append("print(preds[:10])")
        outputs = [out.stream(_preview(ctx))]
    else:
        source = s.test if practice != "predict_on_train" else f"{s.df}.loc[{s.X_train}.index]"
        ids = f'{source}["{task.id_col}"]' if task.id_col else f"{source}.index"
        column = task.target if predictor == "loaded" else _out_name(ctx)
        body.append(f'submission = pd.DataFrame({{"{task.id_col or "row_id"}": {ids}, '
                    f'"{column}": preds}})')
        body.append('submission.to_csv("submission.csv", index=False)')
        body.append("submission.shape")
        n = (task.n_test if practice != "predict_on_train"
             else round((task.n_train - task.target_missing) * 0.8))
        outputs = [out.result(f"({n}, 2)")]
    ctx.code("use", "\n".join(body), *imports, outputs=outputs)


def _indent(text: str) -> str:
    return "\n".join("    " + line if line else line for line in text.split("\n"))


def _refit_call(ctx: Ctx) -> str:
    joined = "\n".join(ctx.refit_lines)
    if not any("fit" in line for line in ctx.refit_lines):
        return "a StandardScaler fitted on the new rows, though training used no scaling"
    if "StandardScaler().fit_transform" in joined:
        return "StandardScaler().fit_transform on the new rows"
    if "get_dummies" in joined:
        return "get_dummies on the new rows alone"
    return "fillna with the new data's own medians"


def _predict_line(ctx: Ctx, predictor: str, X_new: str) -> str:
    task = ctx.task
    if ctx.practice("model_training") == "regressor_for_class":
        return f"preds = ({predictor}.predict({X_new}) > 0.5).astype(int)"
    if _scores(task) and predictor != "loaded":
        return f"preds = {predictor}.predict_proba({X_new})[:, 1]"
    return f"preds = {predictor}.predict({X_new})"


def _scores(task) -> bool:
    """Whether the task asks for probabilities (risk scores) rather than labels."""
    return task.task_type == "classification" and not task.predict_labels


def _out_name(ctx: Ctx) -> str:
    task = ctx.task
    if _scores(task):
        return f"{task.target.lower()}_probability"
    return task.target


def _first_dummy(ctx: Ctx) -> str:
    cat = ctx.task.categorical
    return f"{cat[-1]}_{ctx.task.head_rows[0][ctx.task.column_names.index(cat[-1])]}" if cat \
        else "Hour"


def _preview(ctx: Ctx) -> str:
    task = ctx.task
    if _scores(task):
        vals = [f"{ctx.rng.uniform(0, 0.6):.4f}" for _ in range(10)]
    elif task.task_type == "classification":
        vals = [str(ctx.rng.randint(0, 1)) for _ in range(10)]
    else:
        base = task.metrics.get("baseline_mae", 100)
        vals = [f"{ctx.rng.uniform(0.2, 2.5) * base:.1f}" for _ in range(10)]
    return "[" + " ".join(vals) + "]"
