"""Where a notebook uses deprecated or removed APIs: the scanner's matching of the table.

:class:`DeprecationRecorder` is the part of the
:class:`~memalign_nb.sections.analysis.Scanner` that matches
:data:`~memalign_nb.sections.deprecations.DEPRECATED_APIS` against what a cell imports,
the attributes and names it reads and the arguments of its calls (keywords, positional
arguments made keyword-only), and records a
:class:`~memalign_nb.sections.deprecations.DeprecatedUse` for each match. Entries that
require a library match only once the notebook has imported it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from memalign_nb.sections import deprecations
from memalign_nb.sections.deprecations import DeprecatedAPI, DeprecatedUse
from memalign_nb.sections.events import var_name
from memalign_nb.sections.symbols import SymbolTable

_AXES = frozenset({0, 1, "index", "columns", "rows"})
"""Values of an ``axis`` argument given by position (``df.drop('x', 1)``)."""


@dataclass
class DeprecationRecorder(SymbolTable):
    """Records uses of deprecated or removed APIs while the scanner walks the cells.

    Attributes
    ----------
    deprecated : list of DeprecatedUse
        Uses of deprecated or removed APIs, in scanning order.
    imported : set of str
        Top-level modules imported so far (star imports included).
    cell : int
        The cell being scanned.
    """

    deprecated: list[DeprecatedUse] = field(default_factory=list)
    imported: set[str] = field(default_factory=set)
    cell: int = 0

    def note_import(self, module: str, line: int) -> None:
        """An import of ``module`` (``sklearn.cross_validation``, ``keras.utils.np_utils``)."""
        self.imported.add(module.split(".")[0])
        self._record(deprecations.match_module(module), line)

    def note_attribute(self, node: ast.Attribute) -> None:
        """An attribute read: ``df.ix``, ``np.float``, gensim's ``model.vocab``, or a
        star-imported class (``TabularList.from_df``)."""
        entry = deprecations.ATTRIBUTES.get(node.attr)
        if entry is None:
            path = self.path(node)
            entry = deprecations.NAMES.get(path) if path else None
        if entry is None and isinstance(node.value, ast.Name):
            entry = deprecations.CLASSES.get(node.value.id)
        self._record(entry, node.lineno)

    def note_deprecated_call(self, node: ast.Call, last: str, path: str, line: int) -> None:
        """A call's keyword arguments, positional arguments made keyword-only, removed
        pandas methods and star-imported classes called directly."""
        func = node.func
        receiver = var_name(func.value) if isinstance(func, ast.Attribute) else ""
        owner = self.objects.get(receiver) if receiver else None
        if owner is None and isinstance(func, ast.Attribute):
            owner = self.object_of(func.value)  # LGBMRegressor(...).fit(...)
        also = (path, f"{owner.cls}.{last}") if owner is not None else (path,)
        for kw in node.keywords:
            value = kw.value.value if isinstance(kw.value, ast.Constant) else None
            self._record(deprecations.match_keyword(last, kw.arg or "", value, also=also), line)
        on_frame = receiver in self.frames
        entry = deprecations.POSITIONALS.get(path) or (
            deprecations.POSITIONALS.get(last) if receiver else None)
        if entry is not None and _too_many_positionals(node, entry, on_frame):
            self._record(entry, line)
        if isinstance(func, ast.Name):
            self._record(deprecations.CLASSES.get(func.id), line)
        elif last in deprecations.FRAME_METHODS and (on_frame or any(
                kw.arg in ("ignore_index", "sort") for kw in node.keywords)):
            self._record(deprecations.FRAME_METHODS[last], line)

    def _record(self, entry: DeprecatedAPI | None, line: int) -> None:
        if entry is not None and (entry.requires is None or entry.requires in self.imported):
            self.deprecated.append(DeprecatedUse(entry, self.cell, line))


def _too_many_positionals(node: ast.Call, entry: DeprecatedAPI, on_frame: bool) -> bool:
    """Whether a call passes more positional arguments than ``entry`` allows: to the
    qualified function, or to the pandas method (on a known frame, or with an axis given
    by position)."""
    allowed = int(entry.value or 0)
    if len(node.args) <= allowed or any(isinstance(a, ast.Starred) for a in node.args):
        return False
    extra = node.args[allowed]
    return "." in entry.match or on_frame or (
        isinstance(extra, ast.Constant) and extra.value in _AXES)
