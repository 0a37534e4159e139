"""Step writers for the data half of a sample notebook: load, explore, impute, features.

Each writer appends fragments to a :class:`~memalign_nb.datasets.generator.context.Ctx`
according to the practice chosen for its dimension, records the facts the experts'
rationales quote, and the lines needed to preprocess new data the same way (or not).
"""

from __future__ import annotations

from memalign_nb.datasets.generator import outputs as out
from memalign_nb.datasets.generator.context import Ctx
from memalign_nb.datasets.generator.narrative import heading, say

PD, NP = "import pandas as pd", "import numpy as np"
SNS, PLT = "import seaborn as sns", "import matplotlib.pyplot as plt"
IMPUTER = "from sklearn.impute import SimpleImputer"


def write_load(ctx: Ctx) -> None:
    """Read the training (and scoring) data."""
    s, task = ctx.style, ctx.task
    heading(ctx, "load")
    names = [(s.df, task.train_name)] + ([(s.test, task.test_name)] if ctx.predicts else [])
    lines = []
    for var, table in names:
        if s.spark:
            lines.append(f'{var} = spark.table("{table}").toPandas()')
        else:
            folder = ctx.rng.choice(("", "", "data/", "/dbfs/FileStore/tables/"))
            parse = ', parse_dates=["date"]' if task.date_col else ""
            lines.append(f'{var} = pd.read_csv("{folder}{table}.csv"{parse})')
    if task.date_col and s.spark:
        lines += [f'{var}["date"] = pd.to_datetime({var}["date"])' for var, _ in names]
    test_cols = len(task.columns) - 1 - len(task.leaky)
    if ctx.predicts:
        lines.append(f"print({s.df}.shape, {s.test}.shape)")
        shown = f"({task.n_train}, {len(task.columns)}) ({task.n_test}, {test_cols})"
        outputs = [out.stream(shown)]
    else:
        lines.append(f"{s.df}.shape")
        outputs = [out.result(out.shape(task))]
    ctx.code("load", ctx.comment("training data" if ctx.predicts else "the data")
             + "\n".join(lines), PD, outputs=outputs)


def write_eda(ctx: Ctx) -> None:
    """Explore the data as the chosen practice does."""
    practice = ctx.practice("exploratory_data_analysis")
    task, df = ctx.task, ctx.style.df
    ctx.facts.update(
        target_finding=task.target_finding,
        relation_finding=task.relation[2],
        relation_short=task.relation[2].split(" (")[0].split(",")[0],
        claim=_misleading_claim(ctx),
    )
    if practice == "absent":
        return
    heading(ctx, "eda")
    if practice in ("head_describe", "plots_no_follow"):
        ctx.code("eda", f"{df}.head()", outputs=[out.result(out.head(task))])
        if practice == "head_describe":
            ctx.code("eda", f"{df}.info()", outputs=[out.stream(out.info(task))])
            ctx.code("eda", f"{df}.describe()", outputs=[out.result(out.describe(task))])
        else:
            _generic_plots(ctx)
        return
    ctx.code("eda", f"{df}.info()", outputs=[out.stream(out.info(task))])
    _missingness(ctx)
    _target(ctx, plot=practice == "thorough_plots")
    _relation(ctx, plot=practice == "thorough_plots")
    if practice == "misleading":
        say(ctx, "eda", f"**Takeaway:** {ctx.facts['claim']}.")
        return
    bullets = [task.target_finding, task.relation[2]]
    if task.has_missing:
        worst = task.missing[0]
        bullets.append(f"{worst.name} is {worst.missing / task.n_train:.0%} missing and needs "
                       "a strategy of its own")
    else:
        bullets.append("there are no missing values, so nothing needs imputing")
    say(ctx, "eda", "**Findings**\n\n" + "\n".join(f"- {b[0].upper()}{b[1:]}." for b in bullets))


def _misleading_claim(ctx: Ctx) -> str:
    task = ctx.task
    if task.imbalanced:
        ctx.facts["evidence"] = f"only {task.positive_rate:.1%} of rows are positive"
        return "the classes are balanced enough to use plain accuracy"
    if task.leaky:
        ctx.facts["evidence"] = "casual + registered equal count on every row"
        return "casual and registered are the strongest predictors and should be kept"
    worst = task.missing[0]
    ctx.facts["evidence"] = f"{worst.name} missing in {worst.missing / task.n_train:.0%} of rows"
    return "missing values are negligible and can be ignored"


def _missingness(ctx: Ctx) -> None:
    df, task = ctx.style.df, ctx.task
    if ctx.rng.random() < 0.5 or not task.has_missing:
        ctx.code("eda", f"{df}.isnull().sum()", outputs=[out.result(out.missing_counts(task))])
    else:
        code = f"missing = {df}.isna().mean()\nmissing[missing > 0].sort_values(ascending=False)"
        ctx.code("eda", code, outputs=[out.result(out.missing_counts(task, share=True))])


def _plot_lines(ctx: Ctx, kind: str, column: str) -> tuple[str, tuple[str, ...]]:
    """Code drawing a histogram (``hist``) or count plot (``count``) of ``column``."""
    s, df = ctx.style, ctx.style.df
    if s.plots == "seaborn":
        call = (f"sns.countplot(x={column}, data={df})" if kind == "count"
                else f"sns.histplot({df}[{column}], bins=50)")
        return f"{call}\nplt.title({column})\nplt.show()", (SNS, PLT)
    if s.plots == "matplotlib":
        call = (f"counts = {df}[{column}].value_counts()\nplt.bar(counts.index.astype(str), "
                "counts.values)" if kind == "count" else f"plt.hist({df}[{column}], bins=50)")
        return f"plt.figure(figsize=(8, 4))\n{call}\nplt.title({column})\nplt.show()", (PLT,)
    call = (f"{df}[{column}].value_counts().plot(kind=\"bar\")" if kind == "count"
            else f"{df}[{column}].plot(kind=\"hist\", bins=50)")
    return f"{call}\nplt.show()", (PLT,)


def _target(ctx: Ctx, plot: bool) -> None:
    task, df, T = ctx.task, ctx.style.df, ctx.T
    if task.task_type == "forecasting":
        code = (f'daily = {df}.groupby("date")[{T}].sum()\n'
                'daily.plot(figsize=(12, 4), title="Total daily sales")\nplt.show()')
        ctx.code("eda", code, PLT, outputs=[out.figure(size="1200x400")])
        return
    if task.task_type == "classification":
        ctx.code("eda", f"{df}[{T}].value_counts(normalize=True)",
                 outputs=[out.result(out.target_counts(task))])
        kind = "count"
    else:
        mean, std, _, _, median, _, _ = next(
            c.stats for c in task.columns if c.name == task.target)
        ctx.code("eda", f"{df}[{T}].describe()",
                 outputs=[out.result(_target_describe(ctx))])
        skew = 3 * (mean - median) / std  # Pearson's median skewness
        ctx.code("eda", f"{df}[{T}].skew()", outputs=[out.result(f"{skew:.6f}")])
        kind = "hist"
    if plot:
        code, imports = _plot_lines(ctx, kind, T)
        ctx.code("eda", code, *imports, outputs=[out.figure()])


def _target_describe(ctx: Ctx) -> str:
    task = ctx.task
    col = next(c for c in task.columns if c.name == task.target)
    labels = ("count", "mean", "std", "min", "25%", "50%", "75%", "max")
    values = (float(task.n_train - col.missing), *map(float, col.stats))
    return out.series([(k, f"{v:.6f}") for k, v in zip(labels, values, strict=True)],
                      task.target, "float64")


def _relation(ctx: Ctx, plot: bool) -> None:
    code, output, _ = ctx.task.relation
    df = ctx.style.df
    ctx.code("eda", code.format(df=df), outputs=[out.result(output)])
    numeric_target = ctx.task.positive_label != "Yes"
    if plot and ctx.task.categorical and ctx.style.plots == "seaborn" and numeric_target:
        col = ctx.task.categorical[0]
        ctx.code("eda", f'sns.barplot(x="{col}", y={ctx.T}, data={df})\nplt.show()', SNS, PLT,
                 outputs=[out.figure()])
    elif plot:
        ctx.code("eda", f"sns.heatmap({df}.corr(numeric_only=True), cmap=\"coolwarm\")\n"
                 "plt.show()", SNS, PLT, outputs=[out.figure(size="1000x800")])


def _generic_plots(ctx: Ctx) -> None:
    df = ctx.style.df
    ctx.facts["plot_kinds"] = ("Histograms of every column and an annotated correlation heatmap"
                               if ctx.style.plots == "seaborn" else
                               "Histograms of every column and a scatter matrix")
    ctx.code("eda", f"{df}.hist(figsize=(14, 10), bins=30)\nplt.tight_layout()\nplt.show()",
             PLT, outputs=[out.figure(axes=len(ctx.task.numeric), size="1400x1000")])
    if ctx.style.plots == "seaborn":
        code = (f"plt.figure(figsize=(10, 8))\nsns.heatmap({df}.corr(numeric_only=True), "
                "annot=True, fmt=\".2f\")\nplt.show()")
        ctx.code("eda", code, SNS, PLT, outputs=[out.figure(axes=2, size="1000x800")])
    else:
        ctx.code("eda", f"pd.plotting.scatter_matrix({df}.select_dtypes(\"number\").iloc[:, :5],"
                 " figsize=(12, 12))\nplt.show()", PLT,
                 outputs=[out.figure(axes=25, size="1200x1200")])


def _q(names: list[str]) -> str:
    return "[" + ", ".join(f'"{n}"' for n in names) + "]"


def write_prep_pre(ctx: Ctx) -> None:
    """Column choice and everything done on the whole frame before the split."""
    task, df = ctx.task, ctx.style.df
    feat, imp = ctx.practice("feature_engineering"), ctx.practice("data_imputation")
    heading(ctx, "features")
    ctx.num, ctx.cat = list(task.numeric), list(task.categorical)
    drop = [c for c in task.dropped if c != task.date_col]
    leaky = list(task.leaky) if feat != "leaky_columns" else []
    if feat == "leaky_columns":
        ctx.num += list(task.leaky)
    if imp == "drop_columns":
        gone = [c.name for c in task.missing if c.name != task.target]
        ctx.num = [c for c in ctx.num if c not in gone]
        ctx.cat = [c for c in ctx.cat if c not in gone]
    ctx.facts.update(
        num_col=next((c.name for c in task.missing if c.name in task.numeric), task.numeric[0]),
        cat_col=(task.categorical or ("",))[0],
        derived=" and ".join(f.name for f in task.features[:2]),
        missed=task.features[0].name,
        dropped_info=(", ".join(task.categorical[:2]) + " are dropped" if task.categorical
                      else "the skewed raw columns are used as they are"),
    )
    if feat in ("pipeline_encode", "fit_on_train"):
        _derived_features(ctx)
    lines = [f"num_cols = {_q(ctx.num)}", f"cat_cols = {_q(ctx.cat)}",
             f"drop_cols = {_q(drop + [task.date_col] * bool(task.date_col) + leaky)}"]
    if task.key == "fraud":
        lines = [f"num_cols = [c for c in {df}.columns if c != {ctx.T}]", "cat_cols = []",
                 "drop_cols = []"]
    cols_comment = ctx.comment(f"drop {', '.join(drop)}" if drop else "model inputs")
    ctx.code("features", cols_comment + "\n".join(lines))
    if task.target_missing and imp != "impute_target" and imp != "left_missing":
        ctx.code("impute", ctx.comment("rows without a known outcome cannot be used")
                 + f"{df} = {df}.dropna(subset=[{ctx.T}])")
    _impute_pre(ctx, imp)
    _features_pre(ctx, feat)


def _derived_features(ctx: Ctx) -> None:
    task, s = ctx.task, ctx.style
    feats = list(task.features)
    body = [f"    frame[\"{f.name}\"] = {f.expr.format(F='frame')}" for f in feats]
    if task.date_col:
        body.insert(0, '    frame = frame.sort_values("date")')
    code = ("def add_features(frame):\n" + ctx.comment(feats[0].why).replace("# ", "    # ")
            + "    frame = frame.copy()\n" + "\n".join(body) + "\n    return frame\n\n")
    if task.date_col and ctx.predicts:
        code += (f'cutoff = {s.df}["date"].max()\n'
                 + ctx.comment("lags for the future rows need the history before them")
                 + f"full = add_features(pd.concat([{s.df}, {s.test}], ignore_index=True))\n"
                 f'{s.df}, {s.test} = full[full["date"] <= cutoff], full[full["date"] > cutoff]')
    else:
        code += f"{s.df} = add_features({s.df})"
        ctx.prep_lines.insert(0, "{F} = add_features({F})")
    ctx.code("features", code, *((NP,) if "np." in code else ()))
    ctx.num += [f.name for f in feats]
    ctx.adhoc_lines.insert(0, "\n".join(f"{{F}}[\"{f.name}\"] = {f.expr}" for f in feats))
    ctx.refit_lines.insert(0, "{F} = add_features({F})")


def _impute_pre(ctx: Ctx, imp: str) -> None:
    task, df, test = ctx.task, ctx.style.df, ctx.style.test
    if not task.has_missing:
        if ctx.rng.random() < 0.4:
            ctx.code("impute", ctx.comment("sanity check") + f"{df}.isnull().sum().sum()",
                     outputs=[out.result("0")])
        return
    num = [c.name for c in task.missing if c.name in ctx.num]
    cat = [c.name for c in task.missing if c.name in ctx.cat]
    if imp == "constant_fill":
        const = ctx.rng.choice(("0", "-1"))
        ctx.facts["fill_constant"] = const
        code = f'{df}[num_cols] = {df}[num_cols].fillna({const})\n'
        code += f'{df}[cat_cols] = {df}[cat_cols].fillna("missing")' if cat else ""
        ctx.code("impute", code.strip())
        ctx.prep_lines.append(f"{{F}}[num_cols] = {{F}}[num_cols].fillna({const})")
        ctx.adhoc_lines.append(f"{{F}} = {{F}}.fillna({const})")
    elif imp == "drop_rows":
        kept = int(task.n_train * 0.79) if task.key != "titanic" else 183
        ctx.facts["dropped_rows"] = f"{task.n_train - kept:,}"
        ctx.code("impute", f"{df} = {df}.dropna()\n{df}.shape",
                 outputs=[out.result(f"({kept}, {len(task.columns)})")])
    elif imp == "drop_columns":
        gone = [c.name for c in task.missing if c.name != task.target]
        ctx.code("impute", ctx.comment("drop the incomplete columns")
                 + f"{df} = {df}.drop(columns={_q(gone)})")
    elif imp in ("full_frame_stats", "impute_target"):
        stat = ctx.rng.choice(("mean", "median"))
        ctx.facts["stat"] = stat
        if imp == "impute_target":
            code = f"{df} = {df}.fillna({df}.{stat}(numeric_only=True))"
        else:
            code = "\n".join(f'{df}["{c}"] = {df}["{c}"].fillna({df}["{c}"].{stat}())' for c in num)
        code += "".join(f'\n{df}["{c}"] = {df}["{c}"].fillna({df}["{c}"].mode()[0])' for c in cat)
        ctx.code("impute", code)
        ctx.prep_lines.append(f"{{F}} = {{F}}.fillna({df}[num_cols].{stat}())")
        ctx.adhoc_lines.append(_hardcoded(ctx))
    elif imp == "imputer_before_split":
        ctx.code("impute", f'imputer = SimpleImputer(strategy="median")\n'
                 f"{df}[num_cols] = imputer.fit_transform({df}[num_cols])"
                 + "".join(f'\n{df}["{c}"] = {df}["{c}"].fillna("missing")' for c in cat),
                 IMPUTER)
        ctx.prep_lines.append("{F}[num_cols] = imputer.transform({F}[num_cols])")
        ctx.adhoc_lines.append(_hardcoded(ctx))
    elif imp == "concat_train_test":
        frames = f"[{df}, {test}]" if ctx.predicts else f"[{df}]"
        code = (f"full = pd.concat({frames}, keys=[\"train\", \"test\"])\n"
                "full[num_cols] = full[num_cols].fillna(full[num_cols].median())\n"
                + ("full[cat_cols] = full[cat_cols].fillna(full[cat_cols].mode().iloc[0])\n"
                   if cat else "")
                + f'{df}, {test} = full.loc["train"], full.loc["test"]')
        ctx.code("impute", code, PD)
    elif imp == "forward_fill":
        ctx.code("impute", ctx.comment("oil price: carry the last known value forward in time")
                 + f'{df} = {df}.sort_values("date")\n'
                 f'{df}["dcoilwtico"] = {df}["dcoilwtico"].ffill().bfill()\n'
                 f'{df}["transactions"] = {df}.groupby("store_nbr")["transactions"]'
                 ".transform(lambda s: s.fillna(s.median()))")
        ctx.prep_lines.append('{F}["dcoilwtico"] = {F}["dcoilwtico"].ffill()')
        ctx.adhoc_lines.append('{F}["dcoilwtico"] = {F}["dcoilwtico"].fillna(47.6)')
    ctx.refit_lines.append("{F} = {F}.fillna({F}.median(numeric_only=True))")


def _fill_constants(ctx: Ctx) -> dict[str, str]:
    """The training medians (numeric) or most common values (other) as literals."""
    task, values = ctx.task, {}
    for col in task.missing:
        if col.name not in ctx.num + ctx.cat:
            continue
        if col.stats:
            values[col.name] = repr(col.stats[4])
        else:
            at = task.column_names.index(col.name)
            seen = [row[at] for row in task.head_rows if row[at] != "NaN"]
            values[col.name] = f'"{max(seen, key=seen.count)}"'
    return values


def _hardcoded(ctx: Ctx) -> str:
    values = _fill_constants(ctx)
    return "\n".join(f'{{F}}["{k}"] = {{F}}["{k}"].fillna({v})' for k, v in values.items())


def _features_pre(ctx: Ctx, feat: str) -> None:
    task, df = ctx.task, ctx.style.df
    if feat == "basic" and ctx.cat:
        ctx.code("features", f"{df} = pd.get_dummies({df}, columns=cat_cols, drop_first=True)",
                 PD)
        ctx.prep_lines.append("{F} = pd.get_dummies({F}, columns=cat_cols, drop_first=True)")
        ctx.adhoc_lines.append("{F} = pd.get_dummies({F}, columns=cat_cols, drop_first=True)")
        ctx.refit_lines.append("{F} = pd.get_dummies({F}, columns=cat_cols)")
        ctx.num, ctx.cat = ctx.num + ["<dummies>"], []
    elif feat == "numeric_only":
        ctx.code("features", ctx.comment("keep it simple: numeric columns only")
                 + "cat_cols = []")
        ctx.cat = []
    elif feat == "scaler_before_split":
        scaler = ctx.rng.choice(("StandardScaler", "MinMaxScaler"))
        ctx.facts["scaler"] = f"{scaler}()"
        ctx.code("features", f"scaler = {scaler}()\n"
                 f"{df}[num_cols] = scaler.fit_transform({df}[num_cols])",
                 f"from sklearn.preprocessing import {scaler}")
        ctx.prep_lines.append("{F}[num_cols] = scaler.transform({F}[num_cols])")
        ctx.adhoc_lines.append("{F}[num_cols] = scaler.transform({F}[num_cols])")
        ctx.refit_lines.append("{F}[num_cols] = scaler.fit_transform({F}[num_cols])")
    elif feat == "target_encoding_full":
        target_num = (f"({df}[{ctx.T}] == \"Yes\")" if task.positive_label == "Yes"
                      else f"{df}[{ctx.T}]")
        code = ("encodings = {}\nfor col in cat_cols:\n"
                f"    encodings[col] = {target_num}.groupby({df}[col]).mean()\n"
                f"    {df}[col + \"_te\"] = {df}[col].map(encodings[col])\n"
                "num_cols = num_cols + [c + \"_te\" for c in cat_cols]\ncat_cols = []")
        ctx.code("features", ctx.comment("target encoding") + code)
        ctx.prep_lines.append("for col, means in encodings.items():\n"
                              "    {F}[col + \"_te\"] = {F}[col].map(means)")
        ctx.num, ctx.cat = ctx.num + [f"{c}_te" for c in ctx.cat], []
    elif feat == "label_encode_linear":
        code = ("encoders = {}\nfor col in cat_cols:\n"
                f"    encoders[col] = LabelEncoder().fit({df}[col].astype(str))\n"
                f"    {df}[col] = encoders[col].transform({df}[col].astype(str))")
        ctx.code("features", code, "from sklearn.preprocessing import LabelEncoder")
        ctx.prep_lines.append("for col, encoder in encoders.items():\n"
                              "    {F}[col] = encoder.transform({F}[col].astype(str))")
        ctx.refit_lines.append("{F}[cat_cols] = {F}[cat_cols].apply(lambda s: "
                               "LabelEncoder().fit_transform(s.astype(str)))")
        ctx.num, ctx.cat = ctx.num + ctx.cat, []
    elif feat == "future_lags":
        code = (f'{df} = {df}.sort_values(["store_nbr", "family", "date"])\n'
                f'{df}["sales_roll_7"] = {df}.groupby(["store_nbr", "family"])["sales"]'
                ".transform(lambda s: s.rolling(7, min_periods=1).mean())\n"
                f'{df}["dayofweek"] = {df}["date"].dt.dayofweek')
        ctx.code("features", code)
        ctx.num += ["sales_roll_7", "dayofweek"]
    elif feat == "leaky_columns":
        ctx.code("features", f"{df}[num_cols].corrwith({df}[{ctx.T}]).sort_values()",
                 outputs=[out.result(out.series(
                     [("windspeed", "0.101369"), ("temp", "0.394454"), ("casual", "0.690414"),
                      ("registered", "0.970948")], dtype="float64"))])


def write_prep_post(ctx: Ctx) -> None:
    """Imputation and encodings fitted after the split (manual flow) or the preprocessor."""
    if ctx.style.pipeline:
        _preprocessor(ctx)
        return
    s, task = ctx.style, ctx.task
    imp, feat = ctx.practice("data_imputation"), ctx.practice("feature_engineering")
    Xt, Xv = s.X_train, s.X_valid
    if imp == "train_stats":
        pairs = [(c.name, f"{c.missing / task.n_train:.6f}") for c in task.missing
                 if c.name in ctx.num + ctx.cat]
        share = out.series(pairs, dtype="float64") if pairs else "Series([], dtype: float64)"
        ctx.code("impute", f"{Xt}.isna().mean()[lambda s: s > 0]", outputs=[out.result(share)])
        code = ctx.comment("fill values come from the training split only")
        code += f"fill_values = {Xt}[num_cols].median().to_dict()\n"
        if ctx.cat:
            code += f"fill_values.update({Xt}[cat_cols].mode().iloc[0].to_dict())\n"
        code += f"{Xt} = {Xt}.fillna(fill_values)\n{Xv} = {Xv}.fillna(fill_values)"
        ctx.code("impute", code)
        ctx.prep_lines.append("{F} = {F}.fillna(fill_values)")
        ctx.adhoc_lines.append(_hardcoded(ctx))
    if feat == "fit_on_train" or (ctx.cat and feat != "label_encode_linear"):
        _manual_encoding(ctx, scale=feat == "fit_on_train" and ctx.linear)


def _manual_encoding(ctx: Ctx, scale: bool) -> None:
    s = ctx.style
    Xt, Xv = s.X_train, s.X_valid
    code = ""
    if ctx.cat:
        code = (f"{Xt} = pd.get_dummies({Xt}, columns=cat_cols)\n"
                f"{Xv} = pd.get_dummies({Xv}, columns=cat_cols).reindex(columns={Xt}.columns, "
                "fill_value=0)\n")
        ctx.prep_lines.append(f"{{F}} = pd.get_dummies({{F}}, columns=cat_cols).reindex("
                              f"columns={Xt}.columns, fill_value=0)")
        ctx.adhoc_lines.append(f"{{F}} = pd.get_dummies({{F}}, columns=cat_cols)\n"
                               f"for col in set({Xt}.columns) - set({{F}}.columns):\n"
                               f"    {{F}}[col] = 0\n{{F}} = {{F}}[{Xt}.columns]")
        ctx.refit_lines.append("{F} = pd.get_dummies({F}, columns=cat_cols)")
    imports = [PD]
    if scale:
        code += (f"scaler = StandardScaler().fit({Xt}[num_cols])\n"
                 f"{Xt}[num_cols] = scaler.transform({Xt}[num_cols])\n"
                 f"{Xv}[num_cols] = scaler.transform({Xv}[num_cols])")
        imports.append("from sklearn.preprocessing import StandardScaler")
        ctx.prep_lines.append("{F}[num_cols] = scaler.transform({F}[num_cols])")
        ctx.adhoc_lines.append("{F}[num_cols] = scaler.transform({F}[num_cols])")
        ctx.refit_lines.append("{F}[num_cols] = StandardScaler().fit_transform({F}[num_cols])")
    ctx.facts["encoding"] = _encoding_words(ctx, scale, "aligned to the training columns")
    if code:
        ctx.code("features", ctx.comment("encoders are fitted on the training split")
                 + code.strip(), *imports)


def _encoding_words(ctx: Ctx, scale: bool, aligned: str) -> str:
    """How the encodings are described in the feature-engineering rationale."""
    parts = []
    if ctx.cat:
        parts.append("categoricals are one-hot encoded" + (f" ({aligned})" if aligned else ""))
    if scale:
        parts.append("numeric columns are standardised for the linear model")
    if not parts:
        return "the numeric inputs need no encoding and the tree model no scaling"
    return " and ".join(parts)


def _preprocessor(ctx: Ctx) -> None:
    """Build the ColumnTransformer the pipeline starts with (or none)."""
    imp, feat = ctx.practice("data_imputation"), ctx.practice("feature_engineering")
    impute = imp == "pipeline_imputer"
    scale = feat == "pipeline_encode" and ctx.linear
    ctx.facts["encoding"] = _encoding_words(ctx, scale, "")
    num_steps, cat_steps, imports = [], [], ["from sklearn.compose import ColumnTransformer"]
    if impute:
        add_indicator = ", add_indicator=True" if ctx.rng.random() < 0.4 else ""
        num_steps.append(f'("impute", SimpleImputer(strategy="median"{add_indicator}))')
        cat_steps.append('("impute", SimpleImputer(strategy="most_frequent"))')
        imports.append(IMPUTER)
    if scale:
        num_steps.append('("scale", StandardScaler())')
        imports.append("from sklearn.preprocessing import StandardScaler")
    if ctx.cat:
        cat_steps.append('("onehot", OneHotEncoder(handle_unknown="ignore"))')
        imports.append("from sklearn.preprocessing import OneHotEncoder")
    if not num_steps and not cat_steps:
        ctx.facts["preprocess"] = ""
        return
    parts = []
    for name, steps, cols in (("num", num_steps, "num_cols"), ("cat", cat_steps, "cat_cols")):
        if name == "cat" and not ctx.cat:
            continue
        if not steps:
            parts.append(f'("{name}", "passthrough", {cols})')
        elif len(steps) == 1:
            parts.append(f'("{name}", {steps[0].split(", ", 1)[1][:-1]}, {cols})')
        else:
            imports.append("from sklearn.pipeline import Pipeline")
            inner = ",\n        ".join(steps)
            parts.append(f'("{name}", Pipeline([\n        {inner},\n    ]), {cols})')
    code = ctx.comment("everything is fitted inside the pipeline, on training rows only")
    rest = ', remainder="passthrough"' if feat == "label_encode_linear" else ""
    code += "preprocess = ColumnTransformer([\n    " + ",\n    ".join(parts) + f",\n]{rest})"
    ctx.code("features", code, *imports)
    ctx.facts["preprocess"] = "preprocess"
