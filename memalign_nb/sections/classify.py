"""Which dimensions one code cell bears on, by static analysis only.

:func:`classify_cell` reads a lone code cell's source (never runs it) and returns the set of
dimension ids it is relevant to. The knowledge lives in a :class:`Vocabulary`, a handful
of tables mapping API names to dimensions, plus a few rules about the shape of the code:

- an import, install, warnings filter, seed, version check, or a top-level UPPER_CASE
  constant (``DATA_DIR = "..."``, notebook configuration) is ``library_installation``;
- a value that is shown (a bare expression, the cell's last call, ``print``, ``display``)
  and inspection methods whose result is shown (``head``, ``describe``,
  ``isnull().sum()``) are ``exploratory_data_analysis``; assigned to a variable they are not;
- ``fit``/``transform`` follow what the receiver was built from in the cell
  (``StandardScaler()`` -> ``feature_engineering``, ``SimpleImputer()`` ->
  ``data_imputation``, anything else fitted -> ``model_training``);
- assigning to rows selected with ``isnull()``/``isna()`` is ``data_imputation``;
- a cell that derives new data (assignments computed from data) and shows no stronger
  signal, nor plots, is ``feature_engineering``;
- predicting is evaluation (``metrics_evaluation``), and ``model_use`` too when the input is
  not, by its conventional name, a split of the training data (``X_test``, ``val_x``);
  writing results out, saving or loading a model is ``model_use``.

IPython magics and shell lines are set aside by
:func:`memalign_nb.sections.source.parse_source` and read through
:attr:`Vocabulary.magics`; a cell that still does not parse (Python 2, half-written code)
is read line by line, and lines that do not parse are scanned for dotted names with the
same tables. ``cell_organization`` is judged on the whole notebook and never returned.
"""

from __future__ import annotations

import ast
import logging
import re
from collections.abc import Iterable

from memalign_nb.sections.source import PYTHON_CELL_MAGICS, parse_python, parse_source
from memalign_nb.sections.vocabulary import (
    DEFAULT_VOCABULARY,
    EDA,
    FE,
    IMP,
    LIB,
    METRICS,
    MLFLOW,
    TRAIN,
    USE,
    Dims,
    Vocabulary,
)

logger = logging.getLogger(__name__)

_STRONG = frozenset({IMP, FE, TRAIN, USE, METRICS, MLFLOW})
_FIT_METHODS = frozenset(
    {"fit", "fit_transform", "transform", "partial_fit", "fit_resample", "fit_sample"}
)
_TRANSFORMER_DIMS = frozenset({FE, IMP})
_MISSING_MASKS = frozenset({"isnull", "isna"})
_MUTATORS = frozenset(  # methods that change their object and return None
    [
        "append",
        "extend",
        "insert",
        "remove",
        "update",
        "sort",
        "clear",
        "add",
        "discard",
        "setdefault",
        "pop",
        "write",
        "mkdir",
    ]
)
_NAMED = re.compile(r"[A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*)*(\s*\()?")
_STRINGS = re.compile(r"(\"\"\"|'''|\"|')(?:\\.|(?!\1).)*\1")
_SHELL_WORD = re.compile(r"^[!%]*\s*([\w.-]*)\s*(.*)$")  # "!pip install x" -> pip
_CELL_MAGIC = re.compile(r"^\s*%%\s*(\w+)")
_AUTOMAGIC = re.compile(r"^\s*(pip3?|conda|mamba)\s+(un)?install\b")  # "pip install x"


def classify_cell(source: str, *, vocabulary: Vocabulary = DEFAULT_VOCABULARY) -> Dims:
    """Return the dimension ids one code cell is relevant to, by static analysis.

    Parameters
    ----------
    source : str
        The cell's source; a list of lines (as nbformat stores it on disk) is joined.
        The code is parsed, never executed. IPython magics and shell lines are allowed.
    vocabulary : Vocabulary, optional
        The API tables to use; :data:`DEFAULT_VOCABULARY` unless extended.

    Returns
    -------
    frozenset of str
        Ids among ``library_installation``, ``exploratory_data_analysis``,
        ``data_imputation``, ``feature_engineering``, ``model_training``, ``model_use``,
        ``metrics_evaluation`` and ``mlflow_logging``; empty for an empty cell, a
        comment-only cell, or prose.

    Raises
    ------
    TypeError
        If ``source`` is neither a string nor a list of strings.

    Examples
    --------
    >>> sorted(classify_cell("df['Age'] = df['Age'].fillna(df['Age'].median())"))
    ['data_imputation']
    >>> sorted(classify_cell("%pip install xgboost\\nimport xgboost as xgb"))
    ['library_installation']
    """
    if isinstance(source, list | tuple) and all(isinstance(line, str) for line in source):
        source = "".join(source)
    if not isinstance(source, str):
        raise TypeError(f"classify_cell expects the cell source as str, got {type(source)}")
    parsed = parse_source(source)
    analyzer = _Analyzer(vocabulary)
    analyzer.read_shell(parsed.shell)
    cell_magic = _CELL_MAGIC.match(source)
    if cell_magic:
        analyzer.dims |= vocabulary.magics.get(cell_magic.group(1), frozenset())
    if parsed.tree is not None:
        analyzer.visit(parsed.tree)
    elif cell_magic is None or cell_magic.group(1) in PYTHON_CELL_MAGICS:
        logger.debug("cell does not parse (%s); reading it line by line", parsed.error)
        analyzer.salvage(source, skip={line for line, _ in parsed.shell})
    return analyzer.result()


def _parse(code: str) -> ast.Module | None:
    """Parse ``code``, or return None when it is not valid Python 3."""
    try:
        return parse_python(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _dotted(node: ast.AST) -> str | None:
    """Return ``a.b.c`` for a Name/Attribute chain, else None."""
    if isinstance(node, ast.Name):
        return node.id
    base = _dotted(node.value) if isinstance(node, ast.Attribute) else None
    return None if base is None else f"{base}.{node.attr}"


def _is_literal(node: ast.AST, names: bool = False) -> bool:
    """Whether ``node`` is a constant or a container of constants (and, if ``names``,
    of plain variables: ``combine = [train, test]`` computes nothing)."""
    if isinstance(node, ast.Constant) or (names and isinstance(node, ast.Name)):
        return True
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return all(_is_literal(elt, names) for elt in node.elts)
    if isinstance(node, ast.Dict):
        return all(v is None or _is_literal(v, names) for v in (*node.keys, *node.values))
    if isinstance(node, ast.UnaryOp):
        return _is_literal(node.operand, names)
    return False


class _Analyzer(ast.NodeVisitor):
    """Collect the evidence of one cell; :meth:`result` turns it into dimension ids."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocab = vocabulary
        self.aliases: dict[str, str] = dict(vocabulary.aliases)
        self.bindings: dict[str, Dims] = {}  # variable -> dims of what it was built from
        self.dims: set[str] = set()
        self.shown = False  # whether the expression being visited is displayed
        self.plots = False  # a plotting (or other EDA) API was called, not just a display
        self.derives = False  # an assignment computes new data from data
        self.last: ast.stmt | None = None  # the statement whose value Jupyter shows
        self.body: list[ast.stmt] | None = None  # the cell's top-level statements

    # -- magics and code that does not parse -------------------------------------------
    def read_shell(self, commands: Iterable[tuple[int, str]]) -> None:
        """Read the magic and shell lines the parser set aside (``!pip install x``)."""
        for _, command in commands:
            word, rest = _SHELL_WORD.match(command).groups()
            if word in self.vocab.transparent_magics:  # %time model.fit(X): the code counts
                tree = _parse(rest)
                if tree is not None:
                    self.visit(tree)
            else:
                self.dims |= self.vocab.magics.get(word, frozenset())

    def salvage(self, source: str, skip: set[int]) -> None:
        """Read code that does not parse: each line alone, else its dotted names."""
        for lineno, line in enumerate(source.split("\n"), start=1):
            stripped = line.strip()
            if lineno in skip or not stripped:
                continue
            automagic = _AUTOMAGIC.match(stripped)
            if automagic:
                self.dims |= self.vocab.magics.get(automagic.group(1), frozenset())
                continue
            tree = _parse(stripped)
            if tree is not None:
                bare_name = len(tree.body) == 1 and isinstance(
                    getattr(tree.body[0], "value", None), ast.Name
                )  # a lone word in prose is not a displayed variable
                for statement in () if bare_name else tree.body:
                    self.visit(statement)  # not as a module: its last line is not shown
                continue
            self._scan_names(_STRINGS.sub('""', stripped).split("#", 1)[0])
        self.shown = False

    def _scan_names(self, text: str) -> None:
        """Look up the dotted names of a line that does not parse, calls as calls."""
        for match in _NAMED.finditer(text):
            name = re.sub(r"\s", "", match.group(0).rstrip("( \t"))
            if name == "print":  # a Python 2 print statement
                self.dims.add(EDA)
                continue
            node = _parse(f"{name}()" if match.group(1) else name)
            # A keyword parses as a statement of its own (``return``, ``pass``), not a name.
            if node is not None and node.body and isinstance(node.body[0], ast.Expr):
                self.shown = bool(match.group(1))
                self.visit(node.body[0].value)

    # -- lookups --------------------------------------------------------------------------
    def _resolve(self, dotted: str | None) -> str | None:
        """The full name of ``a.b.c`` when ``a`` is an imported or conventional module."""
        if dotted is None:
            return None
        root, _, rest = dotted.partition(".")
        module = self.aliases.get(root) or (root if root in self.vocab._roots else None)
        if module is None or root in self.bindings:
            return None
        return module + ("." + rest if rest else "")

    def _qualified(self, dotted: str | None) -> Dims | None:
        """Dims of a module-rooted dotted name: exact entry, known function, then prefix."""
        path = self._resolve(dotted)
        if path is None:
            return None
        if path in self.vocab.qualified:
            return self.vocab.qualified[path]
        parts = path.split(".")
        if parts[-1] in self.vocab.functions:  # a known function beats a module-wide prefix
            return self.vocab.functions[parts[-1]]
        for end in range(len(parts) - 1, 0, -1):
            dims = self.vocab.qualified.get(".".join(parts[:end]))
            if dims is not None:
                return dims
        return None

    def _pattern(self, name: str) -> Dims | None:
        for pattern, dims in self.vocab._compiled:
            if pattern.search(name):  # case-insensitive, so a "scaler" is a Scaler
                return dims
        return None

    def _receiver_dims(self, receiver: ast.expr) -> Dims | None:
        """Dims of the object a method is called on, when the cell shows what it is."""
        if isinstance(receiver, ast.Name):
            return self.bindings.get(receiver.id)
        if isinstance(receiver, ast.Call):
            return self._call_dims(receiver)
        return None

    def _call_dims(self, call: ast.Call) -> Dims | None:
        """Dims of one call from the tables, or None when no table knows it."""
        func = call.func
        dims = self._qualified(_dotted(func))
        if dims is not None:
            return dims
        if isinstance(func, ast.Name):
            if func.id in self.vocab.functions:
                return self.vocab.functions[func.id]
            return self._pattern(func.id)
        if not isinstance(func, ast.Attribute):
            return None
        name = func.attr
        if name in _FIT_METHODS:
            receiver = self._receiver_dims(func.value) or frozenset()
            if isinstance(func.value, ast.Name) and not receiver:  # pca.fit, scaler.fit
                receiver = self._pattern(func.value.id) or frozenset()
            if receiver & _TRANSFORMER_DIMS:
                return receiver & _TRANSFORMER_DIMS
        if name in self.vocab.functions:
            return self.vocab.functions[name]
        if name in self.vocab.methods:
            return self.vocab.methods[name]
        if name in self.vocab.inspections and self.shown:
            return frozenset({EDA})
        return self._pattern(name)

    # -- visitors -------------------------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        self.dims.add(LIB)
        for alias in node.names:
            if alias.asname:
                self.aliases[alias.asname] = alias.name
            else:
                root = alias.name.split(".")[0]
                self.aliases[root] = root

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        self.dims.add(LIB)
        for alias in node.names:
            if alias.name != "*":
                self.aliases[alias.asname or alias.name] = f"{node.module or ''}.{alias.name}"

    def _visit_shown(self, node: ast.AST, shown: bool) -> None:
        before, self.shown = self.shown, shown
        self.visit(node)
        self.shown = before

    def visit_Expr(self, node: ast.Expr) -> None:
        value = node.value
        if isinstance(value, ast.Constant):
            return  # a docstring or a stray string
        if not isinstance(value, ast.Call | ast.Await | ast.Yield | ast.YieldFrom):
            self.dims.add(EDA)  # a bare expression shows its value
        elif node is self.last and self._shows_result(value):
            self.dims.add(EDA)  # the cell's last call: Jupyter shows what it returns
        self._visit_shown(value, True)

    def _shows_result(self, call: ast.expr) -> bool:
        """Whether a last-line call no table knows returns something Jupyter shows."""
        if not isinstance(call, ast.Call) or self._call_dims(call) is not None:
            return False
        if isinstance(call.func, ast.Name):  # print() shows its arguments, returns None
            return call.func.id not in self.vocab.display_functions
        inplace = any(k.arg == "inplace" for k in call.keywords)
        return getattr(call.func, "attr", "") not in _MUTATORS and not inplace

    def visit_Module(self, node: ast.Module) -> None:
        self.body = node.body
        self.last = node.body[-1] if node.body else None
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name) and func.id in self.vocab.display_functions:
            if not all(_is_literal(arg) for arg in node.args):
                self.dims.add(EDA)
            for child in (*node.args, *node.keywords):
                self._visit_shown(child, True)
            return
        dims = self._call_dims(node)
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        self.derives |= dims is None and name in self.vocab.derivations
        self.derives |= any(  # df.reset_index(inplace=True) changes the data
            k.arg == "inplace" and getattr(k.value, "value", False) is True for k in node.keywords
        )
        if dims:
            self.dims |= dims
            self.plots |= EDA in dims and not (
                isinstance(func, ast.Attribute) and func.attr in self.vocab.inspections
            )
        if name in self.vocab.predictions and node.args and not self._is_split(node.args[0]):
            self.dims.add(USE)  # predicting on new data, not on a split of the training data
        if isinstance(func, ast.Attribute):
            if self._resolve(_dotted(func)) is None:
                self.visit(func.value)  # the receiver chain keeps the display context
        elif not isinstance(func, ast.Name):
            self.visit(func)  # Flatten()(x), layers[0](x)
        for child in (*node.args, *node.keywords):
            self._visit_shown(child, False)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        dims = self.vocab.attributes.get(node.attr)
        if self._resolve(_dotted(node)) is not None:  # np.nan, pd.options.display, ...
            self.dims |= dims or self._qualified(_dotted(node)) or frozenset()
            return
        if dims is None and self.shown and node.attr in self.vocab.inspections:
            dims = frozenset({EDA})
        self.dims |= dims or frozenset()
        self.visit(node.value)

    def _visit_assignment(
        self, node: ast.stmt, targets: list[ast.expr], value: ast.expr | None
    ) -> None:
        if value is None:  # a bare annotation
            return
        self._visit_shown(value, False)
        dims = self._call_dims(value) if isinstance(value, ast.Call) else None
        names = [target for target in targets if isinstance(target, ast.Name)]
        literal = _is_literal(value) or isinstance(value, ast.JoinedStr)
        if (
            literal
            and node in (self.body or ())
            and names
            and all(len(target.id) > 1 and target.id.isupper() for target in names)
        ):
            self.dims.add(LIB)  # DATA_DIR = "...", EPOCHS = 10: notebook configuration
        plain = literal or _is_literal(value, names=True)
        self.derives |= dims is None and not plain and not self._builds_object(value)
        if dims:  # what a variable was built from decides what its .fit means
            self.bindings.update((target.id, dims) for target in names)
        for target in targets:
            self._visit_shown(target, False)
            base = target
            while isinstance(base, ast.Subscript):
                base = base.value
            if base is not target or (
                isinstance(target, ast.Attribute) and not isinstance(value, ast.Constant)
            ):  # writes a column, a cell or an attribute of data, unless it configures a
                # library (os.environ[...], pd.options..., plt.rcParams[...])
                self.derives |= self._qualified(_dotted(base)) is None
            if isinstance(target, ast.Subscript) and self._selects_missing(target.slice):
                self.dims.add(IMP)

    def _is_split(self, node: ast.expr) -> bool:
        """Whether ``node`` is rooted at a variable named like a training-data split."""
        while isinstance(node, ast.Subscript | ast.Attribute | ast.Call):
            node = node.func if isinstance(node, ast.Call) else node.value
        name = node.id if isinstance(node, ast.Name) else ""
        return bool(re.search(self.vocab.split_names, name, re.IGNORECASE))

    def _builds_object(self, value: ast.expr) -> bool:
        """Whether ``value`` defines a function or instantiates a class (``Net()``)."""
        if isinstance(value, ast.Lambda):
            return True
        func = value.func if isinstance(value, ast.Call) else None
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        return name[:1].isupper() and name not in self.vocab.derivations

    def _selects_missing(self, node: ast.AST) -> bool:
        """Whether a subscript selects rows by missingness (``df.loc[df.x.isnull(), 'x']``)."""
        return any(
            isinstance(sub, ast.Attribute) and sub.attr in _MISSING_MASKS for sub in ast.walk(node)
        )

    def visit_Assign(self, node: ast.Assign) -> None:
        self._visit_assignment(node, node.targets, node.value)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._visit_assignment(node, [node.target], node.value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._visit_assignment(node, [node.target], node.value)

    def visit_Delete(self, node: ast.Delete) -> None:
        if any(isinstance(target, ast.Subscript) for target in node.targets):
            self.dims.add(FE)  # del df["column"] drops a feature
        self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for base in node.bases:  # class Net(nn.Module), class T(TransformerMixin)
            name = _dotted(base)
            dims = self._qualified(name)
            if dims is None and name:
                dims = self.vocab.functions.get(name.rsplit(".", 1)[-1])
            self.dims |= dims or frozenset()
        self.generic_visit(node)

    def result(self) -> Dims:
        """The dimension ids the evidence supports."""
        dims = set(self.dims)
        if self.derives and not dims & _STRONG and not self.plots:
            dims.add(FE)
        return frozenset(dims)
