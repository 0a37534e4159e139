"""The records describing a task the sample generator writes notebooks for.

Each :class:`TaskSpec` describes one tabular problem as a data scientist would meet it: the
files, columns, missingness, target balance, a few rows to show as ``head()``, the domain
features worth deriving, one relationship worth looking at, and believable metric levels.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """One column of a task's training file.

    Attributes
    ----------
    name : str
        Column name as it appears in the file.
    dtype : str
        pandas dtype shown by ``info()`` (``int64``, ``float64``, ``object``).
    missing : int
        Missing values in the training file (0 when complete).
    stats : tuple of float
        ``(mean, std, min, 25%, 50%, 75%, max)`` for numeric columns shown by
        ``describe()``; empty for the others.
    """

    name: str
    dtype: str
    missing: int = 0
    stats: tuple[float, ...] = ()


@dataclass(frozen=True)
class Feature:
    """A derived feature the exploration motivates.

    Attributes
    ----------
    name : str
        The new column.
    expr : str
        Python expression computing it from a frame called ``{F}``.
    why : str
        Half a sentence saying why it helps, used in narration and rationales.
    """

    name: str
    expr: str
    why: str


@dataclass(frozen=True)
class TaskSpec:
    """One problem a notebook solves.

    Attributes
    ----------
    key : str
        Short id, used in case ids (``titanic``).
    title : str
        Human title for notebook headings.
    task_type : str
        ``classification``, ``regression`` or ``forecasting``.
    train_name, test_name : str
        Table names the prompt mentions; files are ``<name>.csv``.
    target : str
        The column to predict.
    id_col : str
        Row identifier written to the submission ("" when there is none).
    columns : tuple of Column
        Every column of the training file, in file order.
    numeric, categorical : tuple of str
        Model inputs by kind (nominal categoricals only).
    dropped : tuple of str
        Columns a sensible notebook drops (ids, free text, leaky duplicates).
    leaky : tuple of str
        Columns that encode the target (known only after the fact); empty when none.
    date_col : str
        The time column ("" when the rows are not a time series).
    n_train, n_test : int
        Rows in the training and scoring files.
    positive_rate : float
        Share of the positive class (classification), else 0.
    positive_label : str
        How the positive class is written in the target column.
    predict_labels : bool
        Whether the prompt asks for class labels rather than probabilities.
    head_rows : tuple of tuple of str
        Five rows of the training file, as ``head()`` shows them, in column order.
    features : tuple of Feature
        Domain features a good notebook derives.
    relation : tuple of str
        ``(code, output, finding)``: one target relationship worth exploring; ``code``
        uses ``{df}`` for the frame name.
    target_finding : str
        What the target distribution shows, in words.
    metrics : dict
        Believable held-out metric levels of a decent model, plus ``baseline_*`` levels.
    prompts_predict, prompts_explore : tuple of str
        User prompts that ask for predictions on new data, or only for an analysis.
    """

    key: str
    title: str
    task_type: str
    train_name: str
    test_name: str
    target: str
    id_col: str
    columns: tuple[Column, ...]
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    dropped: tuple[str, ...]
    n_train: int
    n_test: int
    head_rows: tuple[tuple[str, ...], ...]
    features: tuple[Feature, ...]
    relation: tuple[str, str, str]
    target_finding: str
    metrics: dict
    prompts_predict: tuple[str, ...]
    prompts_explore: tuple[str, ...]
    leaky: tuple[str, ...] = ()
    date_col: str = ""
    positive_rate: float = 0.0
    positive_label: str = "1"
    predict_labels: bool = False

    @property
    def missing(self) -> tuple[Column, ...]:
        """Columns with missing values in the training file, most missing first."""
        cols = [c for c in self.columns if c.missing]
        return tuple(sorted(cols, key=lambda c: -c.missing))

    @property
    def has_missing(self) -> bool:
        """Whether the training file has any missing value."""
        return bool(self.missing)

    @property
    def target_missing(self) -> int:
        """Missing values in the target column."""
        return next(c.missing for c in self.columns if c.name == self.target)

    @property
    def imbalanced(self) -> bool:
        """Whether the positive class is rare enough to need stratification."""
        return 0 < self.positive_rate < 0.3

    @property
    def column_names(self) -> tuple[str, ...]:
        """Names of every column, in file order."""
        return tuple(c.name for c in self.columns)
