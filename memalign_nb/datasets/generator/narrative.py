"""Markdown narration for sample notebooks: title, introduction, headings, conclusion.

Several phrasings exist for every piece, so two notebooks on the same task read like two
authors. Whether the narration survives into the notebook is decided later by the
cell-organization practice (``assemble``).
"""

from __future__ import annotations

from memalign_nb.datasets.generator.context import Ctx

_HEADINGS = {
    "setup": ("Setup", "Imports", "Libraries", "Environment"),
    "load": ("Load the data", "Data", "Reading the data", "Data loading"),
    "eda": ("Exploratory data analysis", "A first look at the data", "EDA",
            "Understanding the data"),
    "features": ("Preprocessing", "Data preparation", "Feature engineering",
                 "Cleaning and features"),
    "split": ("Train / validation split", "Hold-out split", "Splitting the data"),
    "train": ("Model training", "Modelling", "Training", "Fit the model"),
    "evaluate": ("Evaluation", "How good is it?", "Model evaluation", "Results"),
    "track": ("Experiment tracking", "Log to MLflow", "Tracking the run"),
    "use": ("Predictions on the new data", "Scoring", "Inference", "Submission"),
    "wrapup": ("Conclusion", "Summary", "Next steps", "Wrap-up"),
}

_LEADS = {
    "eda": ("Before modelling, a look at the shape, the gaps and the target.",
            "What do we have? Types, missing values and the target first.", ""),
    "features": ("Column choice and the transforms the model needs.",
                 "Turning the raw columns into model inputs.", ""),
    "split": ("Part of the labelled data is held back to measure the model honestly.", ""),
    "train": ("", "Fitting the model.", ""),
    "evaluate": ("", "Scores on the held-out rows.", ""),
    "track": ("The run goes to MLflow so it can be compared and reused.", ""),
    "use": ("", "Scoring the new rows with the trained model.", ""),
}


def heading(ctx: Ctx, step: str) -> None:
    """Append a section heading for ``step`` (and sometimes a one-line lead)."""
    title = ctx.rng.choice(_HEADINGS[step])
    number = sum(1 for f in ctx.frags if f.heading and f.source.startswith("## ")) + 1
    prefix = f"{number}. " if ctx.facts.get("_numbered") == "yes" else ""
    ctx.md(step, f"## {prefix}{title}", heading=True)
    lead = ctx.rng.choice(_LEADS.get(step, ("",)))
    if lead:
        ctx.md(step, lead)


def say(ctx: Ctx, step: str, text: str) -> None:
    """Append a narrative paragraph to ``step``."""
    ctx.md(step, text)


def write_intro(ctx: Ctx, prompt: str) -> None:
    """The notebook's title cell and introduction."""
    task = ctx.task
    ctx.facts["_numbered"] = "yes" if ctx.rng.random() < 0.35 else "no"
    kind = {"classification": "classifier", "regression": "regression model",
            "forecasting": "forecasting model"}[task.task_type]
    title = ctx.rng.choice((
        f"# {task.title}",
        f"# {task.title}: {kind}",
        f"# {task.title} with scikit-learn",
        f"# {task.title} - {ctx.rng.choice(('baseline', 'first model', 'analysis'))}",
    ))
    ctx.md("setup", title, heading=True)
    scores = task.task_type == "classification" and not task.predict_labels
    goal = ("predict " + ("the probability of " if scores else "")
            + f"`{task.target}` for the rows in `{task.test_name}`" if ctx.predicts
            else f"measure how well `{task.target}` can be predicted and what drives it")
    intro = ctx.rng.choice((
        f"**Task.** {prompt}\n\nThe goal is to {goal}, using `{task.train_name}`.",
        f"This notebook answers the request:\n\n> {prompt}\n\nWe {goal}.",
        f"Goal: {goal}.\n\nData: `{task.train_name}` ({task.n_train:,} rows)"
        + (f" and `{task.test_name}` ({task.n_test:,} rows)." if ctx.predicts else "."),
    ))
    ctx.md("setup", intro)


def write_wrapup(ctx: Ctx) -> None:
    """A closing section stating the result (sometimes absent, as in real notebooks)."""
    if ctx.rng.random() < 0.2:
        return
    heading(ctx, "wrapup")
    result = f"The {ctx.facts['model_name']} reaches {ctx.facts['_result']}."
    nxt = ctx.rng.choice((
        "Next: tune the decision threshold with the business owner."
        if ctx.task.task_type == "classification" else
        "Next: check the largest errors with the business owner.",
        "Next steps: more features and a proper hyper-parameter search.",
        "Predictions are saved for review." if ctx.predicts else "No predictions were "
        "requested; the model is ready to score new data when needed.",
    ))
    ctx.md("wrapup", f"{result} {nxt}")
