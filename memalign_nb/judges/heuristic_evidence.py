"""What the heuristic judge's rules read, and how they report what decided.

:class:`Evidence` bundles one notebook, its :class:`~memalign_nb.sections.facts.
NotebookFacts` and the :class:`Task` read from the case's prompt; a rule collects its
findings with a :class:`Finder` and returns a :class:`Verdict`. The functions below
answer the narrow questions the rules of :mod:`memalign_nb.judges.heuristic_rules` ask
beyond the per-dimension fact dicts: what the saved outputs of a missing-value check or a
class-balance check say, whether a printed metric carries another metric's name, whether a
``get_dummies`` of new data is aligned to the training columns. They read the notebook's
text and saved outputs; nothing is executed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from memalign_nb.datasets.model import Case
from memalign_nb.notebooks.model import Notebook
from memalign_nb.sections.apis import METRICS
from memalign_nb.sections.events import TEST, TRAIN, Event, name_role
from memalign_nb.sections.facts import NotebookFacts
from memalign_nb.sections.findings import SHORT_CELL_LINES, code_lines, labelled_numbers

logger = logging.getLogger(__name__)

T = TypeVar("T")


STATELESS_TRANSFORMS = frozenset({"get_dummies"})
"""Transforms that learn nothing from the data they are applied to."""

IMBALANCED_SHARE = 0.2
"""A class-balance output whose smallest class is below this share shows imbalance."""

_TASK_TYPES = ("classification", "regression", "forecasting")
_NO_PREDICTIONS = re.compile(
    r"\bno\s+(?:scoring|predictions?|forecasts?|inference|submission)\b"
    r"|\b(?:only|just)\s+(?:need\s+)?(?:the\s+|an\s+)?analy[sz]is\b|\banaly[sz]is only\b"
    r"|\bno need to (?:predict|score|forecast)\b|\bwithout (?:scoring|predicting)\b", re.I)
_PREDICTIONS = re.compile(
    r"\bsubmission\b|\b(?:write|save|output|give me)\b.{0,30}\bpredictions\b"
    r"|\b(?:predict|forecast|score|flag|estimate|classify)\w*\b[^.?!]{0,80}\b(?:for|in|of)\b"
    r"|\bwill\s+(?:\w+\s+){0,2}(?:churn|sell|default|buy|leave|survive|be\s+\w+)\b"
    r"|\b\w+_(?:test|new|future|unseen|holdout|scoring)\b", re.I)
_ANALYSIS = re.compile(
    r"\bhow (?:well|accurately|good)\b|\bwhich (?:factors|features|attributes|variables|"
    r"properties)\b|\bwhat drives\b|\bexplain\b", re.I)
_TRACKING = re.compile(r"\bmlflow\b|\btrack(?:ed|ing)?\b|\bexperiments?\b|\bdatabricks\b"
                       r"|\blog (?:the )?(?:runs?|metrics|model)\b", re.I)
_NO_TRACKING = re.compile(r"\bno (?:need to )?(?:tracking|track|mlflow)\b"
                          r"|\b(?:quick|one-off|throwaway)\b", re.I)
_FORECAST = re.compile(r"\bforecast", re.I)
_RARE_POSITIVE = re.compile(
    r"\bfraud|\bdefault(?:s|ed|ing)?\b(?!\s+(?:settings?|param|values?|config|hyper))"
    r"|\banomal|\bintrusion|\brare\b|\bimbalanc|\bchargeback|\bfailures?\b|\bdefects?\b",
    re.I)

_NAN_ERROR = re.compile(r"Input\s+(?:\w+\s+)?contains\s+NaN|NaNs?\s+(?:values\s+)?(?:are|is)\s+"
                        r"not\s+(?:allowed|supported)", re.I)
_INFO_ENTRIES = re.compile(r"(\d+) entries")
_INFO_NON_NULL = re.compile(r"\b(\d+) non-null\b")
_BOOLEAN_LINE = re.compile(r"^[^\n]*?\b(True|False)\s*$", re.M)
_FILL_ARGUMENT = re.compile(r"fillna\(\s*(?:value\s*=\s*)?([A-Za-z_][\w.]*)\s*[,)]")
_CONSTANT_NAMES = frozenset({"None", "np.nan", "numpy.nan", "pd.NA", "math.nan", "True",
                             "False"})
_COLUMN_WRITE = re.compile(r"\w+\[\s*[^\]]+\]\s*=[^=]")
_QUOTED = re.compile(r"""(['"])(.*?)\1""")
_METRIC_CALL = re.compile(r"\b(" + "|".join(sorted(
    (m for m in METRICS if m.endswith(("_score", "_error", "_loss"))), key=len,
    reverse=True)) + r")\s*\(")
_LABELS: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = (
    (re.compile(r"\brmse\b"), frozenset({"root_mean_squared_error"})),
    (re.compile(r"\bmse\b"), frozenset({"mean_squared_error"})),
    (re.compile(r"\bmae\b"), frozenset({"mean_absolute_error"})),
    (re.compile(r"\bmape\b"), frozenset({"mean_absolute_percentage_error"})),
    (re.compile(r"\br2\b|\br²|r-squared"), frozenset({"r2_score"})),
    (re.compile(r"roc[- _]?auc|\bauc\b"), frozenset({"roc_auc_score"})),
    (re.compile(r"pr[- _]?auc|average precision"), frozenset({"average_precision_score"})),
    (re.compile(r"\bf1\b"), frozenset({"f1_score"})),
    (re.compile(r"\baccuracy\b"), frozenset({"accuracy_score", "balanced_accuracy_score"})),
)
"""Metric names as printed, and the functions that compute them."""


@dataclass(frozen=True)
class Task:
    """What the judge knows about the task, from the case and its prompt (never grades).

    Attributes
    ----------
    task_type : str
        ``classification``, ``regression``, ``forecasting`` or ``unknown``.
    task_source : str
        Where ``task_type`` came from: ``case`` (the dataset's ``task_type``), ``prompt``,
        ``code`` (guessed from the models and metrics) or ``none``.
    asks_predictions : bool or None
        Whether the prompt asks for predictions on new data; None when it does not say.
    tracking_expected : bool
        Whether experiment tracking is expected.
    rare_positive : bool
        Whether the prompt names a rare-event target (fraud, default, anomalies,
        failures, an imbalanced label), where accuracy alone says nothing.
    """

    task_type: str
    task_source: str
    asks_predictions: bool | None
    tracking_expected: bool
    rare_positive: bool = False


def read_task(case: Case, facts: NotebookFacts, tracking_expected: bool) -> Task:
    """What the task asks, from the case's task type and prompt, else from the code.

    Parameters
    ----------
    case : Case
        Its ``prompt`` and ``task_type`` are read; its id never is.
    facts : NotebookFacts
        The notebook's facts (for the task type guessed from the code).
    tracking_expected : bool
        Whether tracking is expected when the prompt does not say.

    Returns
    -------
    Task
    """
    prompt = case.prompt or ""
    if case.task_type in _TASK_TYPES:
        task_type, source = case.task_type, "case"
    elif _FORECAST.search(prompt):
        task_type, source = "forecasting", "prompt"
    elif facts.task_type != "unknown":
        task_type, source = facts.task_type, "code"
    else:
        task_type, source = "unknown", "none"
    asks: bool | None = None
    if _NO_PREDICTIONS.search(prompt):
        asks = False
    elif _PREDICTIONS.search(prompt):
        asks = True
    elif _ANALYSIS.search(prompt):
        asks = False
    expected = tracking_expected
    if _TRACKING.search(prompt):
        expected = True
    elif _NO_TRACKING.search(prompt):
        expected = False
    rare = task_type in ("classification", "unknown") and bool(_RARE_POSITIVE.search(prompt))
    return Task(task_type, source, asks, expected, rare)


class Evidence:
    """One notebook's facts, source and task, and a memo of what was read from them.

    Parameters
    ----------
    notebook : Notebook
    facts : NotebookFacts
        The notebook's facts.
    task : Task
        What the case's prompt asks.
    memo : dict, optional
        Readings of this notebook (per-dimension fact dicts, output scans), shared by the
        evidence of every dimension and prompt scored on the same notebook.
    """

    def __init__(self, notebook: Notebook, facts: NotebookFacts, task: Task,
                 memo: dict[Any, Any] | None = None) -> None:
        self.notebook = notebook
        self.facts = facts
        self.task = task
        self._memo = {} if memo is None else memo
        self._code = {c.index: c for c in notebook.code_cells}

    def cached(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``, once per notebook for ``key``."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def dim(self, dimension: str) -> dict[str, object]:
        """The facts of ``dimension`` (:meth:`NotebookFacts.for_dimension`), computed once."""
        return self.cached(("dim", dimension), lambda: self.facts.for_dimension(dimension))

    def line(self, event: Event) -> str:
        """The source line an event is on ("" when unknown)."""
        cell = self._code.get(event.cell)
        lines = cell.source.splitlines() if cell else []
        return lines[event.line - 1] if 0 < event.line <= len(lines) else ""

    def rest_of_cell(self, event: Event) -> str:
        """The event's line and the rest of its cell."""
        cell = self._code.get(event.cell)
        return "\n".join(cell.source.splitlines()[event.line - 1:]) if cell else ""

    def short_outputs(self, cells: set[int]) -> dict[int, str]:
        """Saved outputs of the given code cells that are short enough to be one check's."""
        return {i: self._code[i].output_text for i in sorted(cells) if i in self._code
                and code_lines(self._code[i].source) <= SHORT_CELL_LINES}


@dataclass(frozen=True)
class Verdict:
    """What a rule decided for one dimension.

    Attributes
    ----------
    score : int
        0-3 (0 = not applicable).
    rule : str
        The rule id, ``<dimension>.<name>`` (``data_imputation.leakage``).
    reasons : tuple of str
        The decisive findings in words, naming cells (``SimpleImputer in cell 4 learns
        fill values before train_test_split in cell 6``).
    facts : Mapping[str, object]
        The decisive fact keys and their values (JSON-serialisable).
    """

    score: int
    rule: str
    reasons: tuple[str, ...]
    facts: Mapping[str, Any] = field(default_factory=dict, hash=False)


class Finder:
    """Collects a rule's findings (reasons and decisive fact values) for one dimension.

    Parameters
    ----------
    evidence : Evidence
        The notebook being scored.
    dimension : str
        A built-in dimension: :meth:`get` reads its facts.
    """

    def __init__(self, evidence: Evidence, dimension: str) -> None:
        self.dimension = dimension
        self.values = evidence.dim(dimension)
        self.reasons: list[str] = []
        self.facts: dict[str, Any] = {}

    def add(self, reason: str, **facts: Any) -> None:
        """Record a finding in words and the fact values it rests on."""
        self.reasons.append(reason)
        self.facts.update(facts)

    def get(self, key: str) -> Any:
        """The value of fact ``key`` of the dimension."""
        return self.values.get(key)

    def verdict(self, score: int, rule: str) -> Verdict:
        """The verdict ``score`` by rule ``<dimension>.<rule>`` with the findings so far."""
        return Verdict(score, f"{self.dimension}.{rule}", tuple(self.reasons), dict(self.facts))


def describe(event: Event | None) -> str:
    """``SimpleImputer in cell 4``: an event as a rationale names it."""
    return "" if event is None else f"{event.name} in cell {event.cell}"


def first(events: Iterable[Event], test: Callable[[Event], bool]) -> Event | None:
    """The first event passing ``test``, or None."""
    return next((e for e in events if test(e)), None)


def split_name(facts: NotebookFacts) -> str:
    """``train_test_split in cell 6``, or ``the split`` when none was found."""
    return describe(facts.of("split")[0]) if facts.of("split") else "the split"


def cells_text(cells: Iterable[int]) -> str:
    """``cell 3`` or ``cells 3, 5``."""
    cells = list(cells)
    return ("cell " if len(cells) == 1 else "cells ") + ", ".join(map(str, cells))


RUNTIME_NAMES = frozenset({"spark", "sc", "sqlContext", "dbutils", "display", "displayHTML"})
"""Names a Databricks runtime defines in every notebook (not missing imports)."""

LIBRARY_ALIASES = frozenset({
    "np", "pd", "plt", "sns", "tf", "torch", "nn", "xgb", "lgb", "cb", "sm", "smf", "stats",
    "scipy", "sp", "px", "go", "keras", "K", "mlflow", "joblib", "pickle", "os", "sys", "re",
    "json", "math", "random", "time", "datetime", "warnings", "glob", "gc", "itertools",
    "collections", "train_test_split", "cross_val_score", "cross_validate", "GridSearchCV"})
"""Conventional names of libraries and their functions: undefined, they are missing imports."""
_CLASS_NAME = re.compile(r"^[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+$")


def library_name(name: str) -> bool:
    """Whether an undefined name is a library handle (a missing import), not a variable
    whose defining cell is gone (``X_train``): conventional aliases, metric functions and
    CamelCase classes such as ``RandomForestClassifier``."""
    if name in RUNTIME_NAMES:
        return False
    return name in LIBRARY_ALIASES or name in METRICS or bool(_CLASS_NAME.match(name))


def missing_counts(ev: Evidence) -> tuple[bool | None, list[int]]:
    """Whether the saved outputs of short missing-value checks show any missing value:
    counts, ``info()`` non-null counts, or the booleans of ``isnull().any()``.

    Returns
    -------
    tuple of (bool or None, list of int)
        None when no short check shows counts (not run, or the checks sit in long
        cells, whose outputs mix other numbers); the cells whose outputs decided.
    """
    checks = ev.facts.of("missing_check")
    cells = {e.cell for e in checks} | {e.cell for e in ev.facts.of("eda") if e.name == "info"}
    positive = {e.cell for e in checks if e.name in ("isnull", "isna")} - {
        e.cell for e in checks if e.name in ("notnull", "notna")}
    counts: list[float] = []
    seen: list[int] = []
    for cell, text in ev.short_outputs(cells).items():
        found = [value for _, value in labelled_numbers(text)]
        if entries := [int(n) for n in _INFO_ENTRIES.findall(text)]:
            found += [max(entries) - int(n) for n in _INFO_NON_NULL.findall(text)]
        if cell in positive:  # df.isnull().values.any() printing False
            found += [float(m == "True") for m in _BOOLEAN_LINE.findall(text)]
        if found:
            counts += found
            seen.append(cell)
    if not counts:
        return None, []
    return any(c > 0 for c in counts), seen


def nan_errors(ev: Evidence) -> list[int]:
    """Code cells whose saved output shows a model refusing missing values."""
    return ev.cached("nan_errors", lambda: [
        c.index for c in ev.notebook.code_cells if _NAN_ERROR.search(c.output_text)])


def minority_share(ev: Evidence) -> tuple[float | None, int | None]:
    """The smallest class share in a saved class-balance output of the target, and its cell.

    Read from short cells inspecting the target (``y.value_counts()``, with or without
    ``normalize=True``); (None, None) when no such output shows two to twenty classes.
    """
    cells = {e.cell for e in ev.facts.of("eda") if "target" in e.flags}
    for cell, text in ev.short_outputs(cells).items():
        values = [value for _, value in labelled_numbers(text)]
        if 2 <= len(values) <= 20 and sum(values) > 0:
            return round(min(values) / sum(values), 4), cell
    return None, None


def mislabelled_metric(ev: Evidence) -> tuple[str, str, int] | None:
    """A printed metric whose label names another metric: (label, function, cell).

    A line with one quoted label naming a metric (``"RMSE"``) and one metric call
    (``mean_squared_error(...)``) that computes something else; a square root on the
    line makes an MSE an RMSE.
    """
    for cell in ev.notebook.code_cells:
        for line in cell.source.splitlines():
            calls = set(_METRIC_CALL.findall(line))
            if len(calls) != 1 or "log_metric" in line:
                continue
            label = " ".join(re.sub(r"\{[^}]*\}", " ", text)
                             for _, text in _QUOTED.findall(line)).lower()
            named = [funcs for pattern, funcs in _LABELS if pattern.search(label)]
            if len(named) != 1:
                continue
            (call,) = calls
            if "sqrt" in line or "squared=False" in line:
                call = "root_mean_squared_error" if call == "mean_squared_error" else call
            if call not in named[0]:
                return label.strip(), call, cell.index
    return None


def displayed_metrics(ev: Evidence) -> list[Event]:
    """Metric events that are reported in the notebook, not only logged to MLflow."""
    return [e for e in ev.facts.of("metric") if "log_metric" not in ev.line(e)]


def training_time(ev: Evidence, events: list[Event]) -> list[Event]:
    """Transforms learned from data before the first model fit, stateless ones left out.

    What is learned after training is inference-time preprocessing, judged under
    ``model_use``; ``get_dummies`` learns nothing (its column alignment is checked apart).
    """
    first_fit = min((e.position for e in ev.facts.of("fit")), default=None)
    return [e for e in events if e.name not in STATELESS_TRANSFORMS
            and (first_fit is None or e.position < first_fit)]


def reused_fill(ev: Evidence) -> Event | None:
    """A ``fillna(values)`` on held-out rows after the split, with the values in a variable:
    fill values computed elsewhere (typically on the training split) and reused."""
    split = min((e.position for e in ev.facts.of("split")), default=None)
    for event in ev.facts.of("missing_handling"):
        if (event.name == "fillna" and split is not None and event.position > split
                and name_role(event.variable) == TEST
                and (m := _FILL_ARGUMENT.search(ev.line(event)))
                and m.group(1) not in _CONSTANT_NAMES):
            return event
    return None


def fill_from_other_frame(ev: Evidence, event: Event) -> bool:
    """Whether a fill takes its statistic from another frame than the one it fills
    (``X_new.fillna(df[cols].median())`` reuses training values; it refits nothing)."""
    m = re.search(r"(\w+)(?:\[[^\]]*\])?\.fillna\(\s*(\w+)", ev.line(event))
    return bool(m) and m.group(2) != m.group(1) and name_role(m.group(2)) != TEST


def untraced_imputer(ev: Evidence) -> str | None:
    """An imputer class imported and used although no imputer fit was traced."""
    unused = {i.name for i in ev.facts.unused_imports}
    return next((i.name for i in ev.facts.imports if i.name not in unused
                 and i.name.endswith("Imputer")), None)


def target_encoding_cell(ev: Evidence) -> int | None:
    """A cell before the split (or the first fit) mapping per-category means of the target
    into a column: target encoding learned from all rows."""
    facts = ev.facts
    target = facts.target
    split = min(facts.split_cells, default=min((e.cell for e in facts.of("fit")), default=None))
    if not target or split is None:
        return None
    quoted = re.compile(rf"""\[\s*['"]{re.escape(target)}['"]\s*\]""")
    for cell in ev.notebook.code_cells:
        text = cell.source
        if (cell.index < split and ".groupby(" in text and quoted.search(text)
                and re.search(r"\.(?:map|transform)\(", text) and _COLUMN_WRITE.search(text)):
            return cell.index
    return None


def dummies_aligned(ev: Evidence, event: Event | None = None) -> bool:
    """Whether held-out ``get_dummies`` output is reindexed or aligned to the training
    columns (on its line or later in its cell): that of ``event``, else any of them."""
    events = [event] if event is not None else [
        e for e in ev.facts.of("transform") if e.name == "get_dummies" and e.data == TEST]
    return any(re.search(r"\.(?:reindex|align)\(", ev.rest_of_cell(e)) for e in events)


def argument_role(ev: Evidence, event: Event) -> str | None:
    """``train`` or ``test`` when the first argument of the event's call is named so."""
    m = re.search(rf"\.{re.escape(event.name)}\(\s*([A-Za-z_]\w*)", ev.line(event))
    return name_role(m.group(1)) if m else None


def final_prediction(ev: Evidence) -> Event | None:
    """The last prediction before the last output write: the one delivered."""
    writes = ev.facts.of("output_write")
    if not writes:
        return None
    last_write = writes[-1].position
    return next((e for e in reversed(ev.facts.of("predict")) if e.position <= last_write),
                None)


def selected_on_training_rows(ev: Evidence) -> Event | None:
    """A metric on training rows in a cell fitting several candidate models."""
    for metric in ev.facts.of("metric"):
        fits = [e for e in ev.facts.of("fit") if e.cell == metric.cell]
        if metric.data == TRAIN and (len(fits) >= 2 or any(e.group == "unknown" for e in fits)):
            return metric
    return None


def unended_runs(ev: Evidence) -> list[Event]:
    """``start_run()`` calls outside a ``with`` block, with no ``end_run`` after them."""
    calls = ev.facts.of("mlflow")
    return [e for e in calls if e.name == "start_run"
            and not re.match(r"\s*(?:async\s+)?with\b", ev.line(e))
            and not any(c.name == "end_run" and c.position > e.position for c in calls)]
