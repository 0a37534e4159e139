"""The state shared while one sample notebook is written: its style, plan and fragments.

A notebook is written as a list of :class:`Frag` (one future cell each) by the step
writers in ``data_steps`` and ``model_steps``; ``narrative`` then assembles
them into cells according to the cell-organization practice. :class:`Style` holds the
choices that vary between authors but carry no grade (names, idioms, libraries).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from nbformat import NotebookNode

from memalign_nb.datasets.generator.task_spec import TaskSpec

STEPS: tuple[str, ...] = (
    "setup", "load", "eda", "impute", "features", "split", "train", "evaluate", "track",
    "use", "wrapup",
)
"""Pipeline stages in notebook order; each fragment belongs to one."""

_FAMILIES = {
    "classification": ("linear", "forest", "boosting", "xgboost", "lightgbm"),
    "regression": ("linear", "forest", "boosting", "xgboost", "lightgbm"),
    "forecasting": ("forest", "boosting", "boosting", "lightgbm", "xgboost"),
}


@dataclass(frozen=True)
class Style:
    """How one author writes code; chosen per notebook, independent of the grades.

    Attributes
    ----------
    pipeline : bool
        Preprocessing in a scikit-learn Pipeline/ColumnTransformer, else manual steps.
    family : str
        Model family: ``linear``, ``forest``, ``boosting``, ``xgboost`` or ``lightgbm``.
    df, test : str
        Names of the training and scoring frames.
    X, y : str
        Names of the feature matrix and target vector.
    X_train, X_valid, y_train, y_valid : str
        Names of the split parts.
    model : str
        Name of the fitted estimator (or pipeline).
    seed : int
        Random seed value used in the code.
    seed_const : bool
        Whether the seed is a ``SEED`` constant rather than a literal.
    target_const : bool
        Whether the target name is a ``TARGET`` constant rather than a literal.
    plots : str
        ``seaborn``, ``matplotlib`` or ``pandas`` plotting.
    comments : bool
        Whether the author writes inline ``#`` comments.
    single_quotes : bool
        Whether string literals use single quotes.
    executed : bool
        Whether the notebook was saved with its outputs.
    fstrings : bool
        Whether prints use f-strings rather than several arguments.
    spark : bool
        Whether data are read with ``spark.table`` (Databricks) rather than CSV files.
    """

    pipeline: bool
    family: str
    df: str
    test: str
    X: str
    y: str
    X_train: str
    X_valid: str
    y_train: str
    y_valid: str
    model: str
    seed: int
    seed_const: bool
    target_const: bool
    plots: str
    comments: bool
    single_quotes: bool
    executed: bool
    fstrings: bool
    spark: bool

    @property
    def seed_expr(self) -> str:
        """The seed as the code spells it."""
        return "SEED" if self.seed_const else str(self.seed)


def draw_style(rng: random.Random, task: TaskSpec) -> Style:
    """Draw an author's style for ``task``."""
    df = rng.choice(("df", "df", "data", "train_df", "train", "raw"))
    test = {"train": "test", "train_df": "test_df"}.get(df) or rng.choice(
        ("test", "test_df", "df_test", "new_data")
    )
    split = rng.choice((
        ("X_train", "X_valid", "y_train", "y_valid"),
        ("X_train", "X_test", "y_train", "y_test"),
        ("X_train", "X_test", "y_train", "y_test"),
        ("X_tr", "X_val", "y_tr", "y_val"),
    ))
    family = rng.choice(_FAMILIES[task.task_type])
    pipeline = rng.random() < 0.5
    kind = "clf" if task.task_type == "classification" else "reg"
    model = "pipe" if pipeline and rng.random() < 0.5 else rng.choice(("model", "model", kind))
    xs = rng.choice((("X", "y"), ("X", "y"), ("X", "y"), ("features", "labels")))
    return Style(
        pipeline=pipeline,
        family=family,
        df=df,
        test=test,
        X=xs[0],
        y=xs[1],
        X_train=split[0],
        X_valid=split[1],
        y_train=split[2],
        y_valid=split[3],
        model=model,
        seed=rng.choice((42, 42, 0, 1, 7, 123, 2024)),
        seed_const=rng.random() < 0.35,
        target_const=rng.random() < 0.4,
        plots=rng.choice(("seaborn", "seaborn", "matplotlib", "pandas")),
        comments=rng.random() < 0.6,
        single_quotes=rng.random() < 0.3,
        executed=rng.random() < 0.85,
        fstrings=rng.random() < 0.7,
        spark=rng.random() < 0.3,
    )


@dataclass
class Frag:
    """One future cell, written by a step writer.

    Attributes
    ----------
    step : str
        The pipeline stage it belongs to (one of :data:`STEPS`).
    source : str
        Code or markdown text.
    markdown : bool
        Whether it is a markdown cell.
    imports : tuple of str
        Import lines the code needs (placed by the library-installation practice).
    outputs : list of NotebookNode
        Outputs as saved, when the notebook was executed.
    heading : bool
        Whether it is a section heading (markdown).
    """

    step: str
    source: str
    markdown: bool = False
    imports: tuple[str, ...] = ()
    outputs: list[NotebookNode] = field(default_factory=list)
    heading: bool = False

    @property
    def fails(self) -> bool:
        """Whether the cell's saved outputs end in an error (later cells did not run)."""
        return any(o.get("output_type") == "error" for o in self.outputs)


@dataclass
class Ctx:
    """Mutable state while one notebook is written.

    Attributes
    ----------
    task : TaskSpec
        The problem solved.
    style : Style
        The author's habits.
    practices : dict
        Dimension id -> chosen practice name.
    predicts : bool
        Whether the prompt asks for predictions on new data.
    rng : random.Random
        The notebook's own random stream.
    frags : list of Frag
        Cells written so far, in order.
    facts : dict
        Specifics (column names, calls) that rationales quote; keys starting with ``_``
        are notes between step writers (numbered headings, the printed result).
    prep_lines : list of str
        Lines (``{F}`` = a frame) that apply the fitted preprocessing to new data.
    adhoc_lines : list of str
        The same preprocessing re-typed by hand with hard-coded values.
    refit_lines : list of str
        Preprocessing that refits on the new data (what a faulty notebook does).
    num, cat : list of str
        Numeric and categorical model inputs as the code currently has them.
    """

    task: TaskSpec
    style: Style
    practices: dict[str, str]
    predicts: bool
    rng: random.Random
    frags: list[Frag] = field(default_factory=list)
    facts: dict[str, str] = field(default_factory=dict)
    prep_lines: list[str] = field(default_factory=list)
    adhoc_lines: list[str] = field(default_factory=list)
    refit_lines: list[str] = field(default_factory=list)
    num: list[str] = field(default_factory=list)
    cat: list[str] = field(default_factory=list)

    @property
    def T(self) -> str:  # noqa: N802 - reads like the constant it stands for
        """The target column as the code refers to it."""
        return "TARGET" if self.style.target_const else f'"{self.task.target}"'

    def code(self, step: str, source: str, *imports: str,
             outputs: Sequence[NotebookNode] = ()) -> Frag:
        """Append a code fragment and return it."""
        frag = Frag(step, source.strip("\n"), imports=imports, outputs=list(outputs))
        self.frags.append(frag)
        return frag

    def md(self, step: str, text: str, heading: bool = False) -> Frag:
        """Append a markdown fragment and return it."""
        frag = Frag(step, text.strip("\n"), markdown=True, heading=heading)
        self.frags.append(frag)
        return frag

    def comment(self, text: str) -> str:
        """``# text`` plus a newline when the author writes comments, else nothing."""
        return f"# {text}\n" if self.style.comments else ""

    def show(self, label: str, expr: str) -> str:
        """A print statement in the author's idiom."""
        if self.style.fstrings:
            return f'print(f"{label}: {{{expr}:.4f}}")'
        return f'print("{label}:", round({expr}, 4))'

    def jitter(self, value: float, spread: float = 0.015) -> float:
        """``value`` moved by a small random amount (scores in (0, 1) stay below 1)."""
        if 0 < value < 1:
            return 1 - (1 - value) * (1 + self.rng.uniform(-5 * spread, 5 * spread))
        return value * (1 + self.rng.uniform(-spread, spread))

    @property
    def experiment(self) -> str:
        """The MLflow experiment the notebook logs to."""
        return f"/Shared/{self.task.key.replace('_', '-')}"

    @property
    def linear(self) -> bool:
        """Whether the fitted model is linear (and so needs scaled, one-hot inputs)."""
        return self.style.family == "linear" or (
            self.practices["model_training"] == "regressor_for_class")

    def practice(self, dimension: str) -> str:
        """The practice chosen for ``dimension``."""
        return self.practices[dimension]
