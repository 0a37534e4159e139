"""The records of a notebook scan, and the calls recognised by their name.

:class:`CallRecorder` is the part of the :class:`~memalign_nb.sections.analysis.Scanner`
that holds the recorded events and handles the function calls known by name
(:data:`FUNCTION_HANDLERS`: splits, cross-validation, ``get_dummies``, booster APIs, ...).
It also keeps track of *baselines*: variables holding a baseline model or its predictions
(``DummyClassifier``, ``naive = y_test.shift(1)``), so that a metric computed on them (or
printed under a baseline label) is marked as a comparison with a baseline, and of metric
calls that only go to MLflow (``mlflow.log_metric("mae", mean_absolute_error(...))``).
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from dataclasses import dataclass, field

from memalign_nb.sections import apis
from memalign_nb.sections.deprecated_uses import DeprecationRecorder
from memalign_nb.sections.events import (
    CV,
    TEST,
    UNKNOWN,
    Event,
    last_name,
    method_name,
    string_constants,
    subscript_column,
    var_name,
)
from memalign_nb.sections.sources import IMAGES, source_kind

BASELINE_NAME = re.compile(r"baseline|naive|persistence|dummy", re.I)
"""Variable names and labels of baselines."""

LOGGING_CALLS = frozenset({"log_metric", "log_metrics"})
"""MLflow calls whose metric arguments are logged rather than shown."""

GROUP_COMPUTATIONS = frozenset({"transform", "fillna", "cumsum", "cumcount", "cumprod",
                                "rank", "diff", "pct_change", "ffill", "bfill"})
"""Grouped computations giving one value per row (features, not a look at the data)."""


@dataclass
class CallRecorder(DeprecationRecorder):
    """Recorded events, and the handlers of calls known by name.

    Attributes
    ----------
    events : list of Event
        Everything recorded, in scanning order.
    target_candidates : Counter
        Column name -> weight of the evidence that it is the target.
    baselines : set of str
        Variables holding a baseline model, its predictions, or a collection of candidate
        models that includes a baseline.
    """

    events: list[Event] = field(default_factory=list)
    target_candidates: Counter = field(default_factory=Counter)
    baselines: set[str] = field(default_factory=set)
    _logged_calls: set[int] = field(default_factory=set, init=False, repr=False)
    _baseline_calls: set[int] = field(default_factory=set, init=False, repr=False)
    selected: dict[int, tuple[str, ...]] = field(default_factory=dict, init=False, repr=False)
    """Calls whose result is subscripted (``df.groupby('Sex')['Survived']``) -> the columns
    selected from it (keyed by ``id`` of the call node; :func:`ast.walk` visits the
    subscript before the call)."""
    _scalar_codes: dict[tuple[int, str], list[str]] = field(default_factory=dict, init=False,
                                                            repr=False)
    """Categories coded one at a time (``df.replace('C', 0)``), by (cell, frame)."""
    computed: set[int] = field(default_factory=set, init=False, repr=False)
    """``groupby`` calls whose groups feed a per-row computation
    (``df.groupby('store')['sales'].shift(7)``): features, not an inspection."""

    def note_computed(self, func: ast.Attribute, last: str) -> None:
        """Remember the ``groupby`` under ``<groupby>[col].<last>(...)`` when ``last``
        computes one value per row (lags, transforms, fills)."""
        if last in apis.TIME_METHODS or last in GROUP_COMPUTATIONS:
            inner = func.value.value if isinstance(func.value, ast.Subscript) else func.value
            if method_name(inner) == "groupby":
                self.computed.add(id(inner))

    # -- baselines and logged metrics -----------------------------------------------------
    def mentions_baseline(self, node: ast.AST) -> bool:
        """Whether ``node`` builds or reads a baseline (``DummyRegressor()``, ``naive``).

        An entry picked from a collection by a key (``models["xgb"]``) reads only that
        entry: it is a baseline only when its key says so.
        """
        keyed: set[int] = set()  # ast.walk visits a subscript before the value it picks from
        for sub in ast.walk(node):
            if (isinstance(sub, ast.Subscript) and isinstance(sub.slice, ast.Constant)
                    and isinstance(sub.slice.value, str)
                    and not BASELINE_NAME.search(sub.slice.value)):
                keyed.add(id(sub.value))
            elif isinstance(sub, ast.Call) and last_name(sub.func) in apis.BASELINES:
                return True
            if isinstance(sub, ast.Name) and sub.id in self.baselines and id(sub) not in keyed:
                return True
        return False

    def note_baseline(self, name: str, value: ast.AST | None) -> None:
        """Remember (or forget) ``name`` as a baseline after ``name = value``."""
        if BASELINE_NAME.search(name) or (value is not None and self.mentions_baseline(value)):
            self.baselines.add(name)
        else:
            self.baselines.discard(name)

    def mark_nested(self, node: ast.Call, last: str) -> None:
        """Note the calls inside a ``log_metric`` (logged, not shown) and inside a call
        labelled as a baseline (``print("baseline MAE:", mae(...))``).

        :func:`ast.walk` visits a call before the calls in its arguments, so the marks are
        in place when those are recorded.
        """
        nested: list[int] = []
        labels: list[str] = []
        for sub in ast.walk(node):  # one walk finds both
            if isinstance(sub, ast.Call) and sub is not node:
                nested.append(id(sub))
            elif isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                labels.append(sub.value)
        if last in LOGGING_CALLS:
            self._logged_calls.update(nested)
        if any(BASELINE_NAME.search(text) for text in labels):
            self._baseline_calls.update(nested)

    def metric_flags(self, node: ast.Call, receiver: ast.AST | None = None) -> frozenset[str]:
        """``logged`` for a metric only sent to MLflow, ``baseline`` for one scoring a
        baseline (its arguments, or the model it is called on, are a baseline)."""
        flags = set()
        if id(node) in self._logged_calls:
            flags.add("logged")
        parts: list[ast.AST] = [*node.args, *(kw.value for kw in node.keywords)]
        if receiver is not None:
            parts.append(receiver)
        if id(node) in self._baseline_calls or any(self.mentions_baseline(p) for p in parts):
            flags.add("baseline")
        if len(node.args) >= 2 and _predicted(node.args[0]) and _truth(node.args[1]):
            flags.add("swapped")  # metric(y_pred, y_true): the arguments the other way round
        return frozenset(flags)

    def _time(self, what: str, line: int) -> None:
        self.events.append(Event("time_order", what, self.cell, line))

    def note_source(self, node: ast.Call, path: str, line: int) -> None:
        """A ``data_source`` event when the call reads data (see :mod:`.sources`)."""
        kind = source_kind(path, node)
        if kind is not None:
            self.events.append(Event("data_source", path.rsplit(".", 1)[-1], self.cell, line,
                                     group=kind, columns=string_constants(node)[:1]))

    def record_missing(self, how: str, receiver: ast.AST, line: int,
                 stat: tuple[str, ast.AST] | None) -> None:
        """A fill or drop of missing values; a fill learned from data is a transform too."""
        columns = string_constants(receiver)
        names = {n.id for n in ast.walk(receiver) if isinstance(n, ast.Name)}
        flags = {"target"} if names & self.target_vars else set()
        self.events.append(Event("missing_handling", how, self.cell, line,
                                 self.role(receiver) or "", variable=var_name(receiver),
                                 columns=columns,
                                 flags=frozenset(flags)))
        if stat is not None:
            name, source = stat
            data = self.role(source) or self.role(receiver) or UNKNOWN
            held = {"precomputed"} if var_name(source) in self.statistics else set()
            self.events.append(Event("transform", f"{how}({name})", self.cell, line, data,
                                     "imputer", var_name(receiver),
                                     frozenset(flags | held | {"statistic"}), columns=columns))


    def note_pixels(self, node: ast.BinOp | ast.AugAssign) -> None:
        """A ``data_source`` event for pixel data: values scaled by 255."""
        data = node.left if isinstance(node, ast.BinOp) else node.target
        self.events.append(Event("data_source", "/255", self.cell, node.lineno,
                                 self.role(data) or UNKNOWN, IMAGES))

    def note_codes(self, node: ast.Call, func: ast.Attribute, line: int) -> None:
        """``df['Embarked'].map({'S': 0, 'C': 1, 'Q': 2})``, ``df.replace({'Title': {...}})``,
        ``replace(['S', 'C', 'Q'], [0, 1, 2])`` or ``replace('S', 0)`` one category at a
        time in a cell: three or more categories given integer
        codes by hand, a ``category_codes`` event per column (``ordered`` when the names
        sit on a scale: low/medium/high, grades, sizes)."""
        args = [*node.args, *(kw.value for kw in node.keywords)]
        found: list[tuple[tuple[str, ...], list[str]]] = []
        if len(args) >= 2 and _codes(args[:1], args[1:2]):  # one at a time: replace('C', 0)
            one_by_one = self._scalar_codes.setdefault((self.cell, var_name(func.value)), [])
            one_by_one += _codes(args[:1], args[1:2])
            if len(one_by_one) == 3:
                found.append((self.columns(func.value), one_by_one))
        elif len(args) >= 2 and all(isinstance(a, ast.List | ast.Tuple) for a in args[:2]):
            found.append((self.columns(func.value), _codes(args[0].elts, args[1].elts)))
        elif args and (table := self._mapping(args[0])) is not None:
            nested = [(k, self._mapping(v)) for k, v in zip(table.keys, table.values,
                                                            strict=True)]
            if nested and all(isinstance(k, ast.Constant) and v is not None for k, v in nested):
                found += [((str(k.value),), _codes(v.keys, v.values))  # type: ignore[union-attr]
                          for k, v in nested]
            else:
                found.append((self.columns(func.value), _codes(table.keys, table.values)))
        for columns, keys in found:
            if len(keys) >= 3:
                ordered = 2 * sum(bool(apis.ORDINAL_WORDS.search(k)) for k in keys) >= len(keys)
                self.events.append(Event("category_codes", func.attr, self.cell, line,
                                         self.role(func.value) or "", columns=columns[:1],
                                         flags=frozenset({"ordered"} if ordered else ())))

    def _mapping(self, node: ast.AST) -> ast.Dict | None:
        if isinstance(node, ast.Name):
            return self.mappings.get(node.id)
        return node if isinstance(node, ast.Dict) else None

    def mlflow_call(self, node: ast.Call, last: str, line: int) -> None:
        """An ``mlflow`` event; ``signature`` and ``input_example`` given become flags."""
        flags = {kw.arg for kw in node.keywords if kw.arg in ("signature", "input_example")
                 and not (isinstance(kw.value, ast.Constant) and kw.value.value is None)}
        self.events.append(Event("mlflow", last, self.cell, line, flags=frozenset(flags)))

    # -- function calls handled by name (see FUNCTION_HANDLERS) ---------------------------
    def _split_call(self, node: ast.Call, last: str, line: int) -> None:
        kws = {kw.arg: kw.value for kw in node.keywords}
        shuffle, stratify = kws.get("shuffle"), kws.get("stratify")
        ordered = isinstance(shuffle, ast.Constant) and shuffle.value is False
        flags = {"time_based" if ordered else "shuffled"}
        if stratify is not None and not (
                isinstance(stratify, ast.Constant) and stratify.value is None):
            flags.add("stratified")
        if "random_state" in kws:
            flags.add("seeded")
        self.events.append(Event("split", last, self.cell, line,
                                 self.role_of_args(node) or UNKNOWN,
                                 "ordered" if ordered else "random", flags=frozenset(flags)))
        column = subscript_column(node.args[1]) if len(node.args) >= 2 else None
        if column:
            self.target_candidates[column] += 2

    def _library_split(self, node: ast.Call, last: str, line: int) -> None:
        """A deep-learning library's own hold-out split (fastai ``split_by_rand_pct``,
        ``RandomSplitter``): random rows set apart for validation."""
        seeded = {"seeded"} if any(kw.arg == "seed" for kw in node.keywords) else set()
        self.events.append(Event("split", last, self.cell, line, UNKNOWN, "random",
                                 flags=frozenset({"shuffled"} | seeded)))

    def note_hand_tuning(self, loop: ast.For | ast.AsyncFor) -> None:
        """A loop fitting a model whose hyper-parameter follows the loop variable and
        scoring it on test rows (``for d in range(2, 20): DecisionTreeClassifier(max_depth=d)
        ... accuracy_score(y_test, ...)``): a ``tuning`` event on ``test`` rows, flagged
        ``by_hand``."""
        varying = {n.id for n in ast.walk(loop.target) if isinstance(n, ast.Name)}
        body = ast.Module(body=loop.body, type_ignores=[])
        for node in ast.walk(body):  # names computed from the loop variable
            if isinstance(node, ast.Assign) and _reads(node.value, varying):
                varying |= {n.id for t in node.targets for n in ast.walk(t)
                            if isinstance(n, ast.Name)}
        calls = [n for n in ast.walk(body) if isinstance(n, ast.Call)]
        tuned = next((kw.arg for call in calls for kw in call.keywords
                      if kw.arg and _reads(kw.value, varying) and (apis.classify_class(
                          last_name(call.func), last_name(call.func)) or ("",))[0] == "model"),
                     None)
        scored = any((last_name(c.func) in apis.METRICS or method_name(c) in ("score",
                                                                                "evaluate"))
                     and any(isinstance(n, ast.Name) and "test" in n.id.lower()
                             for a in c.args for n in ast.walk(a)) for c in calls)
        if tuned and scored:
            self.events.append(Event("tuning", f"a loop over {tuned}", self.cell, loop.lineno,
                                     TEST, flags=frozenset({"by_hand"})))

    def _cv_call(self, node: ast.Call, last: str, line: int) -> None:
        kws = {kw.arg: kw.value for kw in node.keywords}
        cv = self.object_of(kws["cv"]) if "cv" in kws else None
        data_node = node.args[1] if len(node.args) > 1 else kws.get("X")
        data = (self.role(data_node) if data_node is not None else None) or UNKNOWN
        self.events.append(Event("cv", last, self.cell, line, data,
                                 flags=cv.flags if cv else frozenset()))
        scoring = kws.get("scoring")
        name = str(scoring.value) if isinstance(scoring, ast.Constant) else last
        self.events.append(Event("metric", name, self.cell, line, CV,
                                 apis.METRICS.get(name, "other"),
                                 flags=self.metric_flags(node)))

    def _get_dummies(self, node: ast.Call, last: str, line: int) -> None:
        arg = node.args[0] if node.args else None
        data = (self.role(arg) if arg is not None else None) or UNKNOWN
        self.events.append(Event("transform", "get_dummies", self.cell, line, data, "encoder",
                                 var_name(arg), columns=string_constants(arg or node)))

    def _booster_call(self, node: ast.Call, last: str, line: int) -> None:
        """``xgb.train(params, dtrain)``, ``lgb.train``, ``xgb.cv``: the functional APIs."""
        path = self.path(node.func) or ""
        if path.split(".")[0] not in ("xgboost", "lightgbm", "catboost"):
            return
        data_node = node.args[1] if len(node.args) > 1 else next(
            (kw.value for kw in node.keywords if kw.arg in ("dtrain", "train_set")), None)
        data = (self.role(data_node) if data_node is not None else None) or UNKNOWN
        if last == "cv":
            self.events.append(Event("cv", path, self.cell, line, data))
        else:
            self.events.append(Event("fit", path, self.cell, line, data, "unknown"))

    def _missingno(self, node: ast.Call, last: str, line: int) -> None:
        self.events.append(Event("missing_check", "missingno", self.cell, line))

    def _optimize(self, node: ast.Call, last: str, line: int) -> None:
        if last == "fmin" or method_name(node) == "optimize":  # hyperopt, Optuna
            self.events.append(Event("tuning", last, self.cell, line, UNKNOWN))

    def _dates(self, node: ast.Call, last: str, line: int) -> None:
        self._time(last, line)


FUNCTION_HANDLERS = {
    "train_test_split": CallRecorder._split_call,
    **dict.fromkeys(apis.CV_FUNCTIONS, CallRecorder._cv_call),
    "get_dummies": CallRecorder._get_dummies,
    "train": CallRecorder._booster_call,
    "cv": CallRecorder._booster_call,
    "missingno.matrix": CallRecorder._missingno,
    "missingno.bar": CallRecorder._missingno,
    "missingno.heatmap": CallRecorder._missingno,
    "optimize": CallRecorder._optimize,
    "fmin": CallRecorder._optimize,
    "to_datetime": CallRecorder._dates,
    "date_range": CallRecorder._dates,
    **dict.fromkeys(("split_by_rand_pct", "split_subsets", "split_by_idx", "RandomSplitter",
                     "IndexSplitter", "TrainTestSplitter"), CallRecorder._library_split),
}
"""Calls recognised by their last name (or full path), and the method recording them."""


def _codes(keys: list[ast.expr | None], values: list[ast.expr]) -> list[str]:
    """The category names a mapping gives integer codes, or [] when it does something
    else (groups names into other names, fills with a constant)."""
    pairs = list(zip(keys, values, strict=False))
    if not pairs or not all(
            isinstance(k, ast.Constant) and isinstance(k.value, str)
            and isinstance(v, ast.Constant) and type(v.value) is int for k, v in pairs):
        return []
    return [k.value for k, _ in pairs]  # type: ignore[union-attr]


def _reads(node: ast.AST, names: set[str]) -> bool:
    """Whether ``node`` reads one of ``names``."""
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(node))


_PREDICTED = re.compile(r"pred|y_?hat|forecast", re.I)
_TRUTH = re.compile(r"true|actual|^y$|^y_?(?:test|val|valid|train)|^labels?$", re.I)


def _predicted(node: ast.AST) -> bool:
    """Whether a metric argument holds predictions (``y_pred``, ``model.predict(X)``)."""
    return method_name(node).startswith("predict") or bool(
        isinstance(node, ast.Name) and _PREDICTED.search(node.id))


def _truth(node: ast.AST) -> bool:
    """Whether a metric argument holds the true labels (``y_test``, ``y_true``)."""
    return isinstance(node, ast.Name) and bool(_TRUTH.search(node.id)) and not _PREDICTED.search(
        node.id)
