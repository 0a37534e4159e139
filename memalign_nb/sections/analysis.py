"""Walk a notebook's parsed cells in order and record what it does: :class:`Scanner`.

The scanner visits every statement once, in notebook order, keeping its
:class:`~memalign_nb.sections.symbols.SymbolTable` up to date (which variables hold which
data, which hold models), and records an :class:`~memalign_nb.sections.events.Event` for
every split, fitted transformer, model fit, prediction, metric, seed, MLflow call,
missing-value check or fill, and inspection of data, with the role of the data involved.
Imports and deprecated or removed APIs are recorded too. Nothing is executed;
:mod:`memalign_nb.sections.facts` turns the records into
:class:`~memalign_nb.sections.facts.NotebookFacts`.
"""

from __future__ import annotations

import ast
import logging
import re
from dataclasses import dataclass, field, replace

from memalign_nb.sections import apis
from memalign_nb.sections.calls import FUNCTION_HANDLERS, CallRecorder
from memalign_nb.sections.events import (
    FULL,
    TEST,
    TRAIN,
    UNKNOWN,
    Event,
    ImportedName,
    last_name,
    method_name,
    name_role,
    path_role,
    string_constants,
    target_column,
    var_name,
)
from memalign_nb.sections.sources import pixel_scaling
from memalign_nb.sections.symbols import ObjectInfo, manual_split

logger = logging.getLogger(__name__)


@dataclass
class Scanner(CallRecorder):
    """Walks parsed cells in order and records :class:`Event` objects.

    Call :meth:`scan` once per parsed code cell, in notebook order, then read the
    attributes below (and those of :class:`SymbolTable`). Instances are single-use.

    Attributes
    ----------
    events : list of Event
        Everything recorded, in scanning order.
    imports : list of ImportedName
        Every name bound by an import.
    deprecated : list of DeprecatedUse
        Uses of deprecated or removed APIs
        (:class:`~memalign_nb.sections.deprecated_uses.DeprecationRecorder`).
    target_candidates : Counter
        Column name -> weight of the evidence that it is the target.
    target_vars : set of str
        Variables that hold the target (``y``, ``y_train``).
    functions : dict
        User functions -> whether they refit nothing on their input (reusing fitted
        values: ``def prepare(frame): ... frame[c].map(encodings[c])``).
    prepared : set of str
        Variables holding the output of such a function (``X_new = prepare(test)``).
    cell : int
        The cell being scanned.
    """

    imports: list[ImportedName] = field(default_factory=list)
    target_vars: set[str] = field(default_factory=set)
    functions: dict[str, bool] = field(default_factory=dict)
    prepared: set[str] = field(default_factory=set)

    def scan(self, cell: int, tree: ast.Module) -> None:
        """Record the events of one parsed code cell (cells must come in order)."""
        self.cell = cell
        self.selected.clear()
        self.computed.clear()
        for node in tree.body:
            self._stmt(node)

    # -- statements ---------------------------------------------------------------------
    def _stmt(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Import | ast.ImportFrom):
            self._import(node)
        elif isinstance(node, ast.Assign):
            self._exprs(node.value)
            for target in node.targets:
                self._bind(target, node.value)
        elif isinstance(node, ast.AnnAssign | ast.AugAssign) and node.value is not None:
            self._exprs(node.value)
            self._exprs(node.target)
            if isinstance(node, ast.AugAssign) and pixel_scaling(node):  # img /= 255.0
                self.note_pixels(node)
        elif isinstance(node, ast.For | ast.AsyncFor):
            self._exprs(node.iter)
            self._bind(node.target, node.iter)
            self.note_loop(node.target, node.iter)
            self._body(node.body + node.orelse)
            self.note_hand_tuning(node)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            self.bound.add(node.name)
            start = len(self.events)
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    self._stmt(child)
                else:
                    self._exprs(child)
            if not isinstance(node, ast.ClassDef):
                self.functions[node.name] = _refits_nothing(self.events[start:], node)
                self.events[start:] = [replace(e, flags=e.flags | {"in_function"})
                                       if e.kind == "feature" else e for e in self.events[start:]]
        else:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    self._stmt(child)
                elif isinstance(child, ast.expr | ast.withitem | ast.excepthandler
                                | ast.match_case | ast.arguments):
                    self._exprs(child)
            if isinstance(node, ast.Global | ast.Nonlocal):
                self.bound.update(node.names)

    def _body(self, nodes: list[ast.stmt]) -> None:
        for node in nodes:
            self._stmt(node)

    def _import(self, node: ast.Import | ast.ImportFrom) -> None:
        for alias in node.names:
            if isinstance(node, ast.Import):
                module = alias.name
                name = alias.asname or alias.name.split(".")[0]
                target = alias.name if alias.asname else name
            elif alias.name == "*":
                self.star_import = True
                module = node.module or ""
                name, target = "", module
            else:
                module = f"{node.module or ''}.{alias.name}"
                name = alias.asname or alias.name
                target = module
            self.note_import(module, node.lineno)
            if name and (node.level == 0 if isinstance(node, ast.ImportFrom) else True):
                self.aliases[name] = target
                self.bound.add(name)
                if module != "__future__" and not module.startswith("__future__."):
                    self.imports.append(ImportedName(name, target, self.cell, node.lineno))
            elif name:
                self.bound.add(name)

    # -- binding ------------------------------------------------------------------------
    def _bind(self, target: ast.expr, value: ast.expr) -> None:
        self._exprs(target)
        if isinstance(target, ast.Tuple | ast.List):
            self._bind_many(target.elts, value)
            return
        if isinstance(target, ast.Subscript):
            self._column_write(target, value)
            return
        if not isinstance(target, ast.Name):
            return
        name = target.id
        self.bound.add(name)
        # read the value before forgetting the name: ``X = f(X)`` keeps X's role and frame
        role, frame = self.role(value), self.makes_frame(value)
        joined = self.joins(value)
        self.note_baseline(name, value)
        self.note_value(name, value)
        if isinstance(value, ast.Call) and self.functions.get(var_name(value.func)):
            self.prepared.add(name)
        else:
            self.prepared.discard(name)
        for table in (self.roles, self.objects, self.fits, self.masks, self.strings):
            table.pop(name, None)
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            self.strings[name] = value.value
        self.frames.discard(name)
        self.rejoined.discard(name)
        obj = self.object_of(value)
        if obj is not None:
            self.objects[name] = obj
            if method_name(value) in apis.FIT_METHODS:
                data = self.data_of_call(value)
                self.fits[name] = [(self.cell, obj.data if data == UNKNOWN and obj.data
                                    else data)]
            return
        if isinstance(value, ast.Attribute) and value.attr == "best_estimator_":
            source = var_name(value.value)
            if source in self.objects:
                self.objects[name] = self.objects[source]
                self.fits[name] = list(self.fits.get(source, ()))
            return
        if self.is_load(value):
            self.fits[name] = [(self.cell, UNKNOWN)]
            self.events.append(Event("model_load", last_name(value.func), self.cell, value.lineno))
            return
        self._bind_data(name, value, role, frame, joined)

    def _bind_many(self, targets: list[ast.expr], value: ast.expr) -> None:
        if isinstance(value, ast.Call) and last_name(value.func) == "train_test_split":
            for i, target in enumerate(targets):
                if isinstance(target, ast.Name):
                    self.bound.add(target.id)
                    self.roles[target.id] = TEST if i % 2 else TRAIN
                    self.baselines.discard(target.id)
                    self.note_frame(target.id, value)
            return
        values = value.elts if isinstance(value, ast.Tuple | ast.List) else None
        for i, target in enumerate(targets):
            if isinstance(target, ast.Starred):
                target = target.value
            if values is not None and len(values) == len(targets):
                self._bind(target, values[i])
            elif isinstance(target, ast.Name):
                self.bound.add(target.id)
                self.roles.pop(target.id, None)
                self.note_baseline(target.id, value)  # for _, model in candidates.items()
                role = name_role(target.id)
                if role:
                    self.roles[target.id] = role
            else:
                self._bind_many(getattr(target, "elts", []), value)

    def _bind_data(self, name: str, value: ast.expr, computed: str | None,
                   frame: bool, joined: bool) -> None:
        """``name = value`` for data: its role (``computed``: the value's, read before the
        name was rebound), a split by hand, the target, a boolean row mask."""
        named = name_role(name)
        split = None
        # held-out rows carved by hand out of all rows, or out of a frame named "train"
        # (the labelled data of a Kaggle-style train.csv: X_valid = X[~is_train]); cutting
        # a concat of train and test apart again (after shared lags) splits nothing off
        if joined and named in (TRAIN, TEST):
            pass
        elif (named in (TRAIN, TEST) and computed not in (TRAIN, TEST)) or (
                named == TEST and computed == TRAIN):
            split = manual_split(value, self.masks)
        elif joined and manual_split(value, self.masks) is None:
            self.rejoined.add(name)
        if split is not None:
            kind, flags = split
            group = {"date_mask": "date", "slice": "ordered"}.get(kind, "random")
            self.events.append(Event("split", kind, self.cell, value.lineno, FULL, group,
                                     name, flags))
        role = None if _literal(value) else named or computed  # val = [5, 6]: no rows
        if role is None and self.is_source(value):
            role = path_role(value) or FULL
        if role is not None:
            self.roles[name] = role
        if frame:
            self.frames.add(name)
        self.note_mask(name, value)
        column, weight = target_column(name, value)
        if column:
            self.target_candidates[column] += weight
            if weight > 1:
                self.target_vars.add(name)
        if re.search(r"baseline|naive|persistence|dummy", name, re.I):
            self.events.append(Event("baseline", name, self.cell, value.lineno))

    def _column_write(self, target: ast.Subscript, value: ast.expr) -> None:
        selects_missing = any(
            isinstance(n, ast.Attribute) and n.attr in apis.MISSING_CHECKS
            for n in ast.walk(target.slice)
        )
        stat = self.statistic_of([value])
        scaled = self.statistic_of([value], apis.COLUMN_STATISTICS)
        fills = any(method_name(n) in apis.MISSING_HANDLERS for n in ast.walk(value))
        label = target.slice.value if isinstance(target.slice, ast.Constant) else None
        if selects_missing or (stat is not None and isinstance(label, int)):  # df.Fare[152]
            self.record_missing("assign", target, target.lineno, stat)
        elif stat is not None and (held := var_name(target.value)) in self.mappings:
            self.statistics[held] = stat[0]  # means[col] = df.groupby(col)['y'].mean()
            self.roles[held] = self.role(stat[1]) or UNKNOWN
        elif scaled is not None and not fills:
            self.events.append(Event(  # standardised or binned by hand: learned from rows
                "transform", f"column from {scaled[0]}", self.cell, target.lineno,
                self.role(scaled[1]) or UNKNOWN, "other",
                var_name(target.value), frozenset({"statistic"}), columns=self.columns(target)))
        elif (isinstance(target.slice, ast.Constant) and stat is None and not fills
              and (self.role(value) is not None or var_name(target.value) in {
                  n.id for n in ast.walk(value) if isinstance(n, ast.Name)})):
            self.events.append(Event("feature", "new_column", self.cell, target.lineno,
                                     self.role(target.value) or "",
                                     columns=(str(target.slice.value),)))

    # -- expressions --------------------------------------------------------------------
    def _exprs(self, node: ast.AST) -> None:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Call):
                self._call(sub)
            elif isinstance(sub, ast.Attribute):
                self._attribute(sub)
            elif isinstance(sub, ast.Subscript) and isinstance(sub.value, ast.Call):
                self.selected[id(sub.value)] = self.columns(sub.slice)
            elif isinstance(sub, ast.Name):
                (self.used if isinstance(sub.ctx, ast.Load) else self.bound).add(sub.id)
            elif isinstance(sub, ast.BinOp) and pixel_scaling(sub):
                self.note_pixels(sub)
            elif isinstance(sub, ast.arg):
                self.bound.add(sub.arg)
            elif isinstance(sub, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and sub.name:
                self.bound.add(sub.name)

    def _attribute(self, node: ast.Attribute) -> None:
        self.note_attribute(node)
        if node.attr in apis.EDA_ATTRIBUTES:
            self.events.append(Event("eda", node.attr, self.cell, node.lineno))

    def _call(self, node: ast.Call) -> None:
        func, line = node.func, node.lineno
        last = last_name(func)
        path = self.path(func) or last
        self.mark_nested(node, last)
        self.note_source(node, path, line)
        self.note_deprecated_call(node, last, path, line)
        for kw in node.keywords:
            value = kw.value.value if isinstance(kw.value, ast.Constant) else None
            if kw.arg in ("random_state", "seed") and not (
                    isinstance(kw.value, ast.Constant) and kw.value.value is None):
                shown = value if value is not None else ast.unparse(kw.value)[:40]
                self.events.append(Event("seed", f"{kw.arg}={shown}", self.cell, line))
            if kw.arg == "parse_dates":
                self._time("parse_dates", line)
            if kw.arg == "validation_split" and value:  # Keras: the last rows held out
                self.events.append(Event("split", kw.arg, self.cell, line, UNKNOWN, "ordered"))
            if kw.arg in ("validation_split", "validation_data") and last.startswith("fit"):
                self.events.append(Event("metric", "validation scores of fit", self.cell,
                                         line, TEST, "other"))
        if isinstance(func, ast.Attribute):
            self.note_computed(func, last)
            receiver = var_name(func.value)
            self._method_call(node, func, last, receiver, line)
        owner = self.objects.get(var_name(func.value)) if isinstance(func, ast.Attribute) else None
        if path.startswith("mlflow.") or (owner is not None and owner.kind == "client"):
            self.mlflow_call(node, last, line)
        handler = FUNCTION_HANDLERS.get(last) or FUNCTION_HANDLERS.get(path)
        if handler is not None:
            handler(self, node, last, line)
        elif path in apis.SEED_FUNCTIONS or last in apis.SEED_FUNCTIONS:
            self.events.append(Event("seed", path, self.cell, line))
        elif last in apis.METRICS:
            data = self.role_of_args(node) or UNKNOWN
            self.events.append(Event("metric", last, self.cell, line, data, apis.METRICS[last],
                                     flags=self.metric_flags(node)))
        elif path.split(".")[0] in apis.PLOT_MODULES:
            self.events.append(Event("plot", path, self.cell, line, columns=self.columns(node)))
        if last in apis.BASELINES:
            self.events.append(Event("baseline", last, self.cell, line))
        if last in apis.FORECASTERS or last == "TimeSeriesSplit":
            self._time(last, line)

    def _method_call(self, node: ast.Call, func: ast.Attribute, last: str, receiver: str,
                     line: int) -> None:
        if last == "apply" and node.args and (fit := node.args[0]) and isinstance(
                fit, ast.Attribute) and fit.attr in apis.FIT_METHODS:  # apply(le.fit_transform)
            self._fit(ast.Call(fit, [func.value], [], lineno=line), fit, fit.attr, line)
        elif last in apis.FIT_METHODS:
            self._fit(node, func, last, line)
        elif last in apis.PREDICT_METHODS:
            self._predict(node, func, receiver, last, line)
        elif last == "backward":  # a PyTorch training loop: loss.backward()
            self.events.append(Event("fit", "torch training loop", self.cell, line, UNKNOWN,
                                     "neural_net"))
        elif last in ("score", "evaluate") and (receiver in self.fits or receiver in self.objects):
            obj = self.objects.get(receiver)
            family = {"classifier": "classification", "regressor": "regression"}.get(
                obj.group if obj else "", "other")
            self.events.append(Event("metric", last, self.cell, line,
                                     self.role_of_args(node) or UNKNOWN, family, receiver,
                                     self.metric_flags(node, func.value)))
        elif last == "split" and receiver in self.objects:
            obj = self.objects[receiver]
            self.events.append(Event("cv", obj.cls, self.cell, line,
                                     self.role_of_args(node) or UNKNOWN, "", receiver,
                                     obj.flags))
        if last in apis.MISSING_CHECKS:
            self.events.append(Event("missing_check", last, self.cell, line,
                                     columns=self.columns(func.value)))
        elif last in apis.MISSING_HANDLERS:
            self.record_missing(last, func.value, line, self.statistic_of([*node.args, *(
                kw.value for kw in node.keywords)]))
        elif last in apis.TIME_METHODS:
            self._time(last, line)
        elif last in ("set_index", "sort_values") and any(
                apis.DATE_NAME.search(c) for c in string_constants(node)):
            self._time(f"{last}(date)", line)
        elif id(node) in self.computed:
            pass
        elif last in apis.EDA_METHODS or last in apis.PLOT_METHODS:
            columns = tuple(dict.fromkeys(self.columns(func.value) + self.columns(node)
                                          + self.selected.get(id(node), ())))
            kind = "plot" if last in apis.PLOT_METHODS else "eda"
            self.events.append(Event(kind, last, self.cell, line, columns=columns))
        elif last in apis.WRITE_METHODS:
            self.events.append(Event("output_write", last, self.cell, line))
        elif last == "load_weights" and receiver:  # a Keras model gets saved weights
            self.events.append(Event("model_load", last, self.cell, line))
            self.fits.setdefault(receiver, []).append((self.cell, UNKNOWN))
        elif last in ("map", "replace"):
            self.note_codes(node, func, line)

    # -- events -------------------------------------------------------------------------
    def _fit(self, node: ast.Call, func: ast.Attribute, method: str, line: int) -> None:
        receiver = var_name(func.value)
        obj = self.objects.get(receiver) or self.object_of(func.value)
        data = self.data_of_call(node)
        if obj is None:  # fitted, but built where we cannot see: guess from the method
            if method == "fit_resample":
                obj = ObjectInfo("unknown", "transformer", "resampler")
            elif method == "fit_transform":
                obj = ObjectInfo("unknown", "transformer", "other")
            else:
                obj = ObjectInfo("unknown", "model", "unknown")
        if obj.data is not None and not node.args:
            data = obj.data
        first = node.args[0] if node.args else None
        on_target = first is not None and any(
            isinstance(n, ast.Name) and n.id in self.target_vars for n in ast.walk(first))
        self._fit_object(obj, receiver, data, line, in_pipeline=False, on_target=on_target,
                         columns=string_constants(first))
        if receiver and obj.kind in ("model", "pipeline", "search"):
            self.fits.setdefault(receiver, []).append((self.cell, data))

    def _fit_object(self, obj: ObjectInfo, variable: str, data: str, line: int, *,
                    in_pipeline: bool, on_target: bool = False,
                    columns: tuple[str, ...] = (), preprocessor: bool = False) -> None:
        """Events for fitting ``obj``; the transformers of a pipeline holding no model (a
        ``ColumnTransformer`` fitted on its own) are marked ``preprocessor``: they learn
        from the data they are given like a bare scaler does."""
        flags = frozenset({"in_pipeline"} | ({"preprocessor"} if preprocessor else set())
                          if in_pipeline else ())
        if obj.kind == "transformer":
            self.events.append(Event("transform", obj.cls, self.cell, line, data, obj.group,
                                     variable, flags | ({"target"} if on_target else set()),
                                     columns=columns))
        elif obj.kind == "model":
            self.events.append(Event("fit", obj.cls, self.cell, line, data, obj.group,
                                     variable, flags | obj.flags))
        elif obj.kind in ("pipeline", "search"):
            if obj.kind == "search":
                self.events.append(Event("tuning", obj.cls, self.cell, line, data,
                                         variable=variable, flags=obj.flags))
            alone = preprocessor or (not in_pipeline and obj.kind == "pipeline" and all(
                kind == "transformer" for _, kind, _ in obj.steps))
            for cls, kind, group in obj.steps:
                self._fit_object(ObjectInfo(cls, kind, group), variable, data, line,
                                 in_pipeline=obj.kind == "pipeline" or in_pipeline
                                 or kind == "transformer", preprocessor=alone)

    def _predict(self, node: ast.Call, func: ast.Attribute, receiver: str, method: str,
                 line: int) -> None:
        if isinstance(func.value, ast.Attribute) and func.value.attr == "best_estimator_":
            receiver = var_name(func.value.value)
        fits = self.fits.get(receiver, [])
        obj = self.objects.get(receiver)
        if not fits and obj is None and not receiver:
            return
        data = self.data_of_call(node) if node.args else UNKNOWN
        refs = tuple(sorted({cell for cell, _ in fits}))
        fitted_on = fits[-1][1] if fits else ""
        flags = {f"fitted_on_{fitted_on}"} if fitted_on else set()
        if node.args and var_name(node.args[0]) in self.prepared:
            flags.add("prepared")
        if obj is not None and obj.kind in ("pipeline", "search") and any(
                kind == "transformer" for _, kind, _ in obj.steps):
            flags.add("pipeline")
        self.events.append(Event("predict", method, self.cell, line, data,
                                 obj.group if obj else "", receiver, frozenset(flags), refs))


def _refits_nothing(events: list[Event], function: ast.AST) -> bool:
    """Whether a function body (its ``events``) fits nothing on the data it is given: no
    model or transformer fit, no fill statistic computed there (one computed earlier is
    reused), and ``get_dummies`` only when its columns are aligned to others
    (``.reindex(columns=...)``, ``.align``)."""
    if any(e.kind in ("fit", "tuning") or (e.kind == "transform" and e.name != "get_dummies"
                                            and "precomputed" not in e.flags)
           for e in events):
        return False
    return not any(e.name == "get_dummies" for e in events) or any(
        method_name(n) in ("reindex", "align") for n in ast.walk(function))


def _literal(value: ast.expr) -> bool:
    """Whether ``value`` is a constant or a list of constants (settings, not data)."""
    return isinstance(value, ast.Constant) or isinstance(value, ast.List | ast.Tuple) and all(
        isinstance(e, ast.Constant) for e in value.elts)
