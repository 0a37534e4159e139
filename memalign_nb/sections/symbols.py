"""What the fact scanner knows about a notebook's variables while it walks the cells.

:class:`SymbolTable` holds, for every variable seen so far: the *role* of the data it holds
(``full``, ``train``, ``test``; see :mod:`memalign_nb.sections.events`), whether it is a
pandas object, which estimator, transformer, pipeline, search or splitter it holds
(:class:`ObjectInfo`), and where it was fitted. Roles are inferred, in order, from how a
variable was made (``train_test_split`` outputs alternate train/test), its name
(``X_val``, ``trn_idx``), and the roles of the variables its value was computed from
(train and test together make ``full``).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from memalign_nb.sections import apis
from memalign_nb.sections.events import (
    FULL,
    TEST,
    TRAIN,
    UNKNOWN,
    last_name,
    method_name,
    name_role,
    statistic,
    string_constants,
)

_LABEL_ATTRIBUTES = frozenset({"columns", "dtypes"})
"""Attributes of a frame that name its columns, not its rows."""


@dataclass(frozen=True)
class ObjectInfo:
    """An ML object a variable holds.

    Attributes
    ----------
    cls : str
        Its class or factory name (``StandardScaler``, ``make_pipeline``).
    kind : str
        ``transformer``, ``model``, ``pipeline``, ``search``, ``splitter`` or ``client``.
    group : str
        The transformer or model family (see :func:`memalign_nb.sections.apis.classify_class`).
    steps : tuple of (str, str, str)
        For pipelines and searches: ``(cls, kind, group)`` of every object inside.
    data : str or None
        The role of data given to the constructor (statsmodels' ``OLS(y, X)``), if any.
    flags : frozenset of str
        ``shuffled``, ``stratified``, ``time_based`` (splitters and searches using them),
        ``seeded``, ``cv`` (estimators with built-in cross-validation).
    """

    cls: str
    kind: str
    group: str = ""
    steps: tuple[tuple[str, str, str], ...] = ()
    data: str | None = None
    flags: frozenset[str] = frozenset()


@dataclass
class SymbolTable:
    """Variables seen so far; :class:`~memalign_nb.sections.analysis.Scanner` fills it.

    Attributes
    ----------
    aliases : dict
        Name -> what an import bound it to (``np`` -> ``numpy``).
    roles : dict
        Data variable -> its role.
    frames : set
        Variables known to hold pandas objects.
    objects : dict
        Variable -> the :class:`ObjectInfo` it holds.
    fits : dict
        Model variable -> ``(cell, data role)`` of each fit (or load), in order.
    rejoined : set
        Frames joining training and held-out rows (``pd.concat([train, test])``): cutting
        them apart again is no hold-out split.
    masks : dict
        Boolean row masks (``is_train = df['date'] <= cutoff``) -> whether the
        comparison is on dates.
    strings : dict
        Variables holding a string constant (``TARGET = 'Survived'``) -> the string.
    statistics : dict
        Variables holding a statistic of data (``fare = test['Fare'].median()``, and
        values computed from one) -> the statistic; their role is the data's.
    collections : dict
        Variables holding a list or tuple of variables (``combine = [train, test]``) ->
        their names.
    mappings : dict
        Variables holding a dict literal (``title_codes = {'Mr': 1, ...}``) -> the literal.
    bound, used : set
        Every name bound / read anywhere.
    star_import : bool
        Whether a ``from x import *`` makes the bound names unknowable.
    """

    aliases: dict[str, str] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)
    frames: set[str] = field(default_factory=set)
    objects: dict[str, ObjectInfo] = field(default_factory=dict)
    fits: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    masks: dict[str, bool] = field(default_factory=dict)
    rejoined: set[str] = field(default_factory=set)
    strings: dict[str, str] = field(default_factory=dict)
    statistics: dict[str, str] = field(default_factory=dict)
    collections: dict[str, tuple[str, ...]] = field(default_factory=dict)
    mappings: dict[str, ast.Dict] = field(default_factory=dict)
    bound: set[str] = field(default_factory=set)
    used: set[str] = field(default_factory=set)
    star_import: bool = False

    def columns(self, node: ast.AST | None) -> tuple[str, ...]:
        """The string constants inside ``node`` and the strings its variables hold:
        ``df[TARGET]`` after ``TARGET = 'Survived'`` names ``Survived``."""
        named = () if node is None else tuple(
            self.strings[n.id] for n in ast.walk(node)
            if isinstance(n, ast.Name) and n.id in self.strings)
        return tuple(dict.fromkeys(string_constants(node) + named))

    def path(self, node: ast.AST) -> str | None:
        """``a.b.c`` for a Name/Attribute chain, its root resolved through imports."""
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        parts.append(self.aliases.get(node.id, node.id))
        return ".".join(reversed(parts))

    def statistic_of(self, nodes: list[ast.AST], names: frozenset[str] = apis.STATISTICS
                     ) -> tuple[str, ast.AST] | None:
        """:func:`~memalign_nb.sections.events.statistic`, also through variables holding
        one (``df.fillna(fare)`` after ``fare = test['Fare'].median()``)."""
        found = statistic(nodes, names)
        if found is None:
            held = next((n for node in nodes for n in ast.walk(node) if isinstance(n, ast.Name)
                         and self.statistics.get(n.id) in names), None)
            found = (self.statistics[held.id], held) if held is not None else None
        return found

    def note_value(self, name: str, value: ast.expr) -> None:
        """After ``name = value``: remember a statistic, a collection of variables, a dict
        literal or a module path (``mnist = keras.datasets.mnist``) ``name`` now holds."""
        stat = None if self.makes_frame(value) or method_name(value) in (
            apis.MISSING_HANDLERS) else self.statistic_of([value])
        for table in (self.statistics, self.collections, self.mappings):
            table.pop(name, None)
        if isinstance(value, ast.List | ast.Tuple):
            self.collections[name] = tuple(e.id for e in value.elts if isinstance(e, ast.Name))
        elif isinstance(value, ast.Dict):
            self.mappings[name] = value
        elif stat is not None:
            self.statistics[name] = stat[0]
        root = value
        while isinstance(root, ast.Attribute):
            root = root.value
        if isinstance(value, ast.Attribute) and isinstance(root, ast.Name) and (
                root.id in self.aliases):
            self.aliases[name] = self.path(value) or name
        else:
            self.aliases.pop(name, None)

    def note_loop(self, target: ast.expr, loop: ast.expr) -> None:
        """Roles of loop variables: ``for tr, te in kf.split(X)`` gives train and test
        indices; ``for df in [train, test]`` visits each frame, the held-out one included,
        so what is learned inside the loop is learned from held-out rows too."""
        if isinstance(loop, ast.Call) and last_name(loop.func) == "enumerate" and loop.args:
            loop = loop.args[0]
            target = target.elts[-1] if isinstance(target, ast.Tuple) else target
        if method_name(loop) == "split" and isinstance(target, ast.Tuple):
            for name, role in zip(target.elts, (TRAIN, TEST), strict=False):
                if isinstance(name, ast.Name):
                    self.roles[name.id] = role
            return
        members = (tuple(e.id for e in loop.elts if isinstance(e, ast.Name))
                   if isinstance(loop, ast.List | ast.Tuple) else
                   self.collections.get(loop.id, ()) if isinstance(loop, ast.Name) else ())
        roles = {self.roles.get(m) or name_role(m) for m in members}
        if isinstance(target, ast.Name) and TEST in roles and roles & {TRAIN, FULL}:
            self.roles[target.id] = TEST

    def object_of(self, value: ast.AST) -> ObjectInfo | None:
        """The ML object a value holds or builds (``Pipeline([...]).fit(X, y)``), if any."""
        while isinstance(value, ast.Call) and method_name(value) in apis.CHAIN_METHODS:
            value = value.func.value  # type: ignore[attr-defined]
        if isinstance(value, ast.Name):
            return self.objects.get(value.id)
        if isinstance(value, ast.Subscript) and isinstance(value.value, ast.Name) and (
                value.value.id in self.mappings):  # candidates["forest"].fit(X, y)
            table = self.mappings[value.value.id]
            return next((self.object_of(v) for k, v in zip(table.keys, table.values, strict=True)
                         if isinstance(k, ast.Constant) and isinstance(value.slice, ast.Constant)
                         and k.value == value.slice.value), None)
        if not isinstance(value, ast.Call):
            return None
        cls = last_name(value.func)
        known = apis.classify_class(cls, self.path(value.func) or cls)
        if known is None:
            return None
        kind, group = known
        flags = set()
        for kw in value.keywords:
            constant = kw.value.value if isinstance(kw.value, ast.Constant) else ...
            if kw.arg == "shuffle" and constant is True:
                flags.add("shuffled")
            elif kw.arg == "random_state" and constant is not None:
                flags.add("seeded")
            elif kw.arg == "cv" and (inner := self.object_of(kw.value)) is not None:
                flags |= inner.flags & {"shuffled", "stratified", "time_based"}
        if cls in apis.SHUFFLING_SPLITTERS:
            flags.add("shuffled")
        if cls.startswith("Stratified"):
            flags.add("stratified")
        if cls == "TimeSeriesSplit":
            flags.add("time_based")
        if kind in ("pipeline", "search"):
            return ObjectInfo(cls, kind, group, self._steps(value), None, frozenset(flags))
        data = self.role_of_args(value) if kind == "model" and value.args else None
        if kind == "model" and cls.endswith("CV"):
            flags.add("cv")
        return ObjectInfo(cls, kind, group, (), data, frozenset(flags))

    def _steps(self, call: ast.Call) -> tuple[tuple[str, str, str], ...]:
        steps: list[tuple[str, str, str]] = []
        for node in ast.walk(call):
            if node is call or not isinstance(node, ast.Call | ast.Name):
                continue
            obj = self.object_of(node)
            if obj is None or obj.kind in ("splitter", "client"):
                continue
            if obj.kind in ("pipeline", "search"):
                # a nested constructor's steps are walked anyway; a variable's are not
                steps.extend(obj.steps if isinstance(node, ast.Name) else ())
            else:
                steps.append((obj.cls, obj.kind, obj.group))
        return tuple(dict.fromkeys(steps))

    def joins(self, node: ast.AST) -> bool:
        """Whether ``node`` joins training and held-out rows, or reads a frame that does."""
        return _mixed(node, self._roles(node)) or any(
            isinstance(n, ast.Name) and n.id in self.rejoined for n in ast.walk(node))

    def role(self, node: ast.AST) -> str | None:
        """The role of the data an expression is computed from, or None if no data.

        Column names read from a frame (``X_new.reindex(columns=X_train.columns)``) carry
        no rows, so they give no role.
        """
        found = self._roles(node)
        if _mixed(node, found):
            return FULL
        if TRAIN in found and TEST in found:
            return FULL
        return next((role for role in (TEST, TRAIN, FULL) if role in found), None)

    def _roles(self, node: ast.AST) -> set[str]:
        found = set()
        labels: set[int] = set()  # ast.walk visits an attribute before the value it holds
        for sub in ast.walk(node):
            if isinstance(sub, ast.Attribute) and sub.attr in _LABEL_ATTRIBUTES:
                labels.add(id(sub.value))
            elif isinstance(sub, ast.Name) and sub.id not in self.objects and id(sub) not in labels:
                role = self.roles.get(sub.id)
                if role is None and sub.id not in self.aliases and sub.id not in self.bound:
                    role = name_role(sub.id)  # defined where we cannot see (or nowhere)
                if role is not None:
                    found.add(role)
        return found

    def role_of_args(self, node: ast.Call) -> str | None:
        """The role of the data passed to a call (settings like ``test_size`` ignored)."""
        parts = [*node.args, *(kw.value for kw in node.keywords
                               if kw.arg not in apis.NON_DATA_KEYWORDS)]
        return self.role(ast.Tuple(elts=parts, ctx=ast.Load())) if parts else None

    def data_of_call(self, node: ast.AST) -> str:
        """The role of the first (``X``) argument of a fit or predict call."""
        if not isinstance(node, ast.Call):
            return UNKNOWN
        first = node.args[:1] or [kw.value for kw in node.keywords if kw.arg in ("X", "x")]
        role = self.role(first[0]) if first else None
        if role is None and isinstance(node.func, ast.Attribute):
            inner = node.func.value
            if isinstance(inner, ast.Call) and method_name(inner) in apis.CHAIN_METHODS:
                return self.data_of_call(inner)
        return role or UNKNOWN

    def is_source(self, value: ast.AST) -> bool:
        """Whether ``value`` loads or makes a dataset (``pd.read_csv(...)``)."""
        if not isinstance(value, ast.Call):
            return False
        path = self.path(value.func) or ""
        return last_name(value.func) in apis.DATA_SOURCES or path.startswith(
            apis.SOURCE_PREFIXES)

    def is_load(self, value: ast.AST) -> bool:
        """Whether ``value`` loads a saved model (``joblib.load(...)``)."""
        return isinstance(value, ast.Call) and (
            last_name(value.func) in apis.MODEL_LOADERS
            or (self.path(value.func) or "") in apis.MODEL_LOADERS)

    def note_frame(self, name: str, value: ast.expr) -> None:
        """Remember ``name`` as a pandas object if ``value`` makes one."""
        if self.makes_frame(value):
            self.frames.add(name)

    def makes_frame(self, value: ast.expr) -> bool:
        """Whether ``value`` makes a pandas object (``pd.read_csv(...)``, ``df.dropna()``)."""
        base = value
        while isinstance(base, ast.Subscript | ast.Attribute | ast.Call):
            if isinstance(base, ast.Call):
                path = self.path(base.func) or ""
                if path.startswith("pandas.") or last_name(base.func) == "train_test_split":
                    return True
                if method_name(base) not in apis.FRAME_METHODS:
                    return False
                base = base.func
            elif isinstance(base, ast.Attribute) and base.attr in apis.NON_FRAME_ATTRIBUTES:
                return False
            base = base.value  # type: ignore[attr-defined]
        return isinstance(base, ast.Name) and base.id in self.frames

    def note_mask(self, name: str, value: ast.expr) -> None:
        """Remember ``name`` as a boolean row mask if ``value`` compares a column
        (``df['date'] <= cutoff``, ``~mask``, ``df['year'].isin([2016, 2017])``)."""
        node = value.operand if isinstance(value, ast.UnaryOp) else value
        if isinstance(node, ast.Name) and node.id in self.masks:
            self.masks[name] = self.masks[node.id]
        elif isinstance(node, ast.Compare) or method_name(node) in ("isin", "between"):
            self.masks[name] = _on_dates(node)


def manual_split(value: ast.expr, masks: dict[str, bool] | None = None
                 ) -> tuple[str, frozenset[str]] | None:
    """``(kind, flags)`` when ``value`` takes a share of rows by hand, else None.

    Kinds: ``slice`` (``df[:800]``, ``df.iloc[800:]``, ``head(n)``), ``date_mask``
    (``df[df['date'] < '2020-01-01']``, or ``X[~is_train]`` with ``is_train`` a mask on
    dates), ``mask`` (``X[~in_train]`` with another boolean mask of ``masks``) and
    ``sample`` (``df.sample(frac=0.8)``).
    """
    call = value if isinstance(value, ast.Call) else None
    if call is not None and method_name(call) == "sample":
        seeded = any(kw.arg == "random_state" for kw in call.keywords)
        return "sample", frozenset({"shuffled"} | ({"seeded"} if seeded else set()))
    if call is not None and method_name(call) in ("head", "tail") and call.args:
        return "slice", frozenset()
    if not isinstance(value, ast.Subscript):
        return None
    index = value.slice
    if isinstance(value.value, ast.Attribute) and value.value.attr in ("iloc", "loc"):
        index = index.elts[0] if isinstance(index, ast.Tuple) and index.elts else index
    if isinstance(index, ast.Slice) and index.step is None and (index.lower or index.upper):
        return "slice", frozenset()
    mask = index.operand if isinstance(index, ast.UnaryOp) else index
    if isinstance(mask, ast.Name) and masks and mask.id in masks:
        return ("date_mask", frozenset({"time_based"})) if masks[mask.id] else (
            "mask", frozenset())
    if any(isinstance(n, ast.Compare) for n in ast.walk(index)) and _on_dates(index):
        return "date_mask", frozenset({"time_based"})
    return None


def _on_dates(node: ast.AST) -> bool:
    """Whether a comparison mentions a date column or a date literal."""
    words = [*string_constants(node), *(
        n.attr if isinstance(n, ast.Attribute) else n.id
        for n in ast.walk(node) if isinstance(n, ast.Attribute | ast.Name))]
    text = " ".join(words)
    return bool(apis.DATE_NAME.search(text) or re.search(r"\d{4}-\d{2}", text))


_JOINS = frozenset({"concat", "append", "concatenate", "vstack", "row_stack", "union"})
"""Calls stacking the rows of several frames."""


def _mixed(node: ast.AST, roles: set[str]) -> bool:
    """Whether ``node`` mixes training and held-out rows: it reads both, or stacks
    held-out rows onto all labelled rows (``pd.concat([data, test])``)."""
    if roles >= {TRAIN, TEST}:
        return True
    return roles >= {FULL, TEST} and any(
        isinstance(n, ast.Call) and last_name(n.func) in _JOINS for n in ast.walk(node))
