"""The records the fact scanner produces, and small pure helpers over :mod:`ast` nodes.

An :class:`Event` is one thing a notebook does (a split, a fitted transformer, a
prediction, a metric, ...), with the cell and line it came from and the *role* of the data
involved: ``full`` (all rows, or training and held-out rows mixed), ``train``, ``test``
(held-out rows: a test or validation set), ``cv`` (cross-validation folds) or ``unknown``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from memalign_nb.sections import apis

FULL, TRAIN, TEST, UNKNOWN, CV = "full", "train", "test", "unknown", "cv"
"""Data roles: all rows (or train and test mixed), training rows, held-out rows, not
known, and (for metrics) cross-validation folds."""


@dataclass(frozen=True)
class Event:
    """Something the notebook does, where, and on which data.

    Attributes
    ----------
    kind : str
        What happened: ``split``, ``transform`` (a fitted transformer, or a fill value
        learned from data), ``fit`` (a model), ``tuning``, ``cv``, ``predict``, ``metric``,
        ``seed``, ``baseline``, ``mlflow``, ``missing_check``, ``missing_handling``,
        ``time_order``, ``model_load``, ``output_write``, ``eda``, ``plot``, ``feature``,
        ``category_codes`` (categories given integer codes by hand), ``data_source``
        (data read; see :mod:`memalign_nb.sections.sources`).
    name : str
        The API or class involved (``"train_test_split"``, ``"SimpleImputer"``,
        ``"fillna(mean)"``, ``"accuracy_score"``, ``"log_model"``).
    cell : int
        Index of the cell.
    line : int
        Line within the cell, from 1.
    data : str
        Role of the data involved (see the module docstring); empty when no data is
        involved (a seed, an MLflow call).
    group : str
        A finer category: the transformer family (``imputer``, ``scaler``, ``encoder``,
        ``vectoriser``, ``decomposition``, ``selector``, ``resampler``, ``other``), the
        model family (``classifier``, ``regressor``, ``forecaster``, ``clusterer``,
        ``neural_net``, ``unknown``), the metric family (``classification``,
        ``regression``, ``forecasting``, ``other``), the split kind (``random``,
        ``ordered``, ``date``), the kind of data source (``table``, ``library``,
        ``images``, ``text``), or empty.
    variable : str
        The variable the event is about (the fitted model, the predicting model), or "".
    flags : frozenset of str
        Details: ``in_pipeline``, ``shuffled``, ``stratified``, ``seeded``, ``time_based``,
        ``cv``, ``pipeline``, ``fitted_on_<role>``, ``signature``, ``input_example``,
        ``statistic``, ``precomputed`` (a fill value held in a variable, computed
        earlier), ``target``, ``before_split``, ``after_split``, ``in_function`` (a
        derived column computed in a user function), ``ordered`` (category codes on a
        scale), ``by_hand`` (a hyper-parameter picked in a loop by test scores),
        ``swapped`` (a metric given the predictions before the true values).
    refs : tuple of int
        Cells this event depends on: for a prediction, where its model was fitted or loaded.
    columns : tuple of str
        Column names written as string constants in the call (``df['Age']``).
    """

    kind: str
    name: str
    cell: int
    line: int
    data: str = ""
    group: str = ""
    variable: str = ""
    flags: frozenset[str] = frozenset()
    refs: tuple[int, ...] = ()
    columns: tuple[str, ...] = ()

    @property
    def position(self) -> tuple[int, int]:
        """``(cell, line)``, for ordering."""
        return (self.cell, self.line)


@dataclass(frozen=True)
class ImportedName:
    """A name bound by an import.

    Attributes
    ----------
    name : str
        The bound name (``np``).
    module : str
        What it refers to (``numpy``; ``sklearn.impute.SimpleImputer``).
    cell, line : int
        Where it was imported.
    """

    name: str
    module: str
    cell: int
    line: int


def last_name(node: ast.AST) -> str:
    """``c`` for ``a.b.c`` or ``c``; "" for anything else."""
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def var_name(node: ast.AST | None) -> str:
    """The variable ``node`` is, or ""."""
    return node.id if isinstance(node, ast.Name) else ""


def method_name(node: ast.AST) -> str:
    """``m`` for a call ``x.m(...)``, else ""."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr
    return ""


def string_constants(node: ast.AST | None) -> tuple[str, ...]:
    """Short string constants inside ``node`` (column names, paths), first seen first."""
    if node is None:
        return ()
    return tuple(dict.fromkeys(
        n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(
            n.value, str) and 0 < len(n.value) <= 60))


def name_role(name: str) -> str | None:
    """``train`` or ``test`` when a variable or file name says so (``X_val``, ``trn_idx``)."""
    lowered = name.lower()
    test = bool(apis.TEST_NAME.search(lowered))
    train = bool(apis.TRAIN_NAME.search(lowered))
    if test != train:
        return TEST if test else TRAIN
    return None


def path_role(call: ast.Call) -> str | None:
    """The role a data source's file name gives (``read_csv('test.csv')`` -> test)."""
    for text in string_constants(ast.Tuple(elts=call.args[:1], ctx=ast.Load())):
        role = name_role(text.rsplit("/", 1)[-1])
        if role:
            return role
    return None


_MODULES = frozenset({"np", "numpy", "pd", "pandas", "torch", "tf", "math", "statistics"})
"""Conventional module names: ``np.mean(x)`` is a statistic of ``x``."""


def _statistic_calls(nodes: Iterable[ast.AST], names: frozenset[str]) -> Iterator[ast.Call]:
    for node in nodes:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Call) and method_name(sub) in names and not any(
                    kw.arg == "axis" and isinstance(kw.value, ast.Constant)
                    and kw.value.value in (1, "columns") for kw in sub.keywords):
                yield sub


def _bins_from_data(call: ast.Call) -> bool:
    """Whether ``pd.cut(x, 5)`` / ``pd.qcut(x, 4)`` places its edges by the data's range or
    quantiles (``pd.cut(x, [0, 18, 65, 120])`` has fixed edges)."""
    bins = call.args[1] if len(call.args) > 1 else next(
        (kw.value for kw in call.keywords if kw.arg in ("bins", "q")), None)
    return method_name(call) == "qcut" or (
        isinstance(bins, ast.Constant) and isinstance(bins.value, int))


def statistic(nodes: Iterable[ast.AST], names: frozenset[str] = apis.STATISTICS
              ) -> tuple[str, ast.AST] | None:
    """The statistic a value is computed with, and what it is computed on.

    ``df.fillna(df.mean())`` (``nodes`` = the call's arguments) gives ``("mean", df)``;
    ``pd.cut(df['Age'], 5)`` gives ``("cut", df['Age'])`` (edges from the data's range);
    None when the value is not learned from data (a constant, ``method='ffill'``, a
    row-wise ``sum(axis=1)``). ``names`` are the statistics looked for.
    """
    for call in _statistic_calls(nodes, names):
        if method_name(call) in apis.BINNINGS:
            if _bins_from_data(call) and call.args:
                return method_name(call), call.args[0]
            continue
        receiver = call.func.value  # type: ignore[attr-defined]
        if isinstance(receiver, ast.Name) and receiver.id in _MODULES:  # np.mean(x)
            if not call.args:
                continue
            receiver = call.args[0]
        return method_name(call), receiver
    return None


def subscript_column(node: ast.AST) -> str | None:
    """The column ``df['y']``, ``df[['y']]``, ``df.y`` or ``df.pop('y')`` selects."""
    if isinstance(node, ast.Subscript):
        index = node.slice
        if isinstance(index, ast.List) and len(index.elts) == 1:
            index = index.elts[0]
        if isinstance(index, ast.Constant) and isinstance(index.value, str):
            return index.value
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and (
            node.attr not in apis.EDA_ATTRIBUTES and node.attr not in ("values", "T")):
        return node.attr
    if method_name(node) == "pop" and node.args:  # type: ignore[attr-defined]
        first = node.args[0]  # type: ignore[attr-defined]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value
    return None


def target_column(name: str, value: ast.expr) -> tuple[str | None, int]:
    """The column ``name = value`` points at as the target, and how surely.

    ``y = df['Survived']`` and ``target = 'Survived'`` weigh 2; ``X = df.drop('Survived',
    axis=1)`` weighs 1 (the dropped column is only probably the target).
    """
    lowered = name.lower()
    if apis.TARGET_NAME.match(lowered):
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            return value.value, 2
        column = subscript_column(value)
        if column is None and isinstance(value, ast.Call | ast.Compare | ast.BinOp):
            # y = (df['Churn'] == 'Yes').astype(int), y = np.log1p(df['SalePrice'])
            found = {c for n in ast.walk(value) if isinstance(n, ast.Subscript)
                     and (c := subscript_column(n)) is not None}
            return (found.pop(), 1) if len(found) == 1 else (None, 0)
        return column, 2
    if apis.FEATURES_NAME.match(lowered) and isinstance(value, ast.Call) and method_name(
            value) == "drop":
        dropped = string_constants(ast.Tuple(elts=[*value.args, *(
            kw.value for kw in value.keywords if kw.arg == "columns")], ctx=ast.Load()))
        if len(dropped) == 1:
            return dropped[0], 1
    return None, 0
