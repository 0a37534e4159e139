"""Where a notebook's data comes from: tables, a library's built-in datasets, images, text.

Whether values can be missing depends on the source. A table read from a file or a
database (a CSV export, a spreadsheet, a SQL query) may have gaps however clean it looks,
and until a notebook measures them, handling them is unexamined. Some data is complete by
construction: a library's built-in benchmark datasets (``sklearn.datasets`` loaders and
generators, ``keras.datasets``, ``torchvision.datasets``; documented without missing
values), images (every pixel has a value) and raw text files. :func:`source_kind` names
the kind a call reads, :func:`pixel_scaling` recognises the ``x / 255`` that only pixel
data gets; the scanner records both as ``data_source`` events.
"""

from __future__ import annotations

import ast
import re

TABLE, LIBRARY, IMAGES, TEXT = "table", "library", "images", "text"
"""Kinds of data source (the ``group`` of ``data_source`` events)."""

COMPLETE_KINDS = frozenset({LIBRARY, IMAGES, TEXT})
"""Kinds of data that have no missing values by construction."""


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


TABLE_READERS = _words(
    "read_csv read_excel read_json read_parquet read_table read_sql read_sql_query"
    " read_sql_table read_feather read_pickle read_hdf read_fwf read_orc read_sas read_stata"
    " loadtxt genfromtxt make_csv_dataset CsvDataset DictReader")
"""Functions reading a table from a file or database."""

IMAGE_READERS = _words(
    "imread load_img image_dataset_from_directory flow_from_directory flow_from_dataframe"
    " ImageDataGenerator ImageFolder decode_jpeg decode_png decode_image decode_bmp")
"""Functions and classes reading image files (``cv2.imread``, Keras generators)."""

IMAGE_PATHS = ("PIL.Image.open", "torchvision.io.read_image", "torchvision.datasets.")
"""Qualified names (prefixes) that read images."""

LIBRARY_LOADERS = re.compile(
    r"^sklearn\.datasets\.(?:load_(?!files|svmlight)\w+|make_\w+|fetch_(?:california_housing"
    r"|covtype|20newsgroups\w*|lfw_\w+|olivetti_faces|rcv1|species_distributions))$"
    r"|\.datasets\.\w+\.load_data$|^torchvision\.datasets\.")
"""Loaders of built-in datasets documented as complete (``fetch_openml`` is left out: its
tables, Titanic among them, can have gaps)."""

TEXT_LOADERS = re.compile(r"^sklearn\.datasets\.load_files$")
"""Loaders of text corpora (a folder of documents)."""

FILE_OPENERS = _words("open codecs.open io.open")
"""Calls opening a file; a table, or raw text, by its extension."""

TABLE_FILE = re.compile(r"\.(?:csv|tsv|txt\.gz|json|jsonl|xlsx?|parquet|feather|sqlite|db)$", re.I)
"""File names of tables."""

NON_DATA_FILE = re.compile(r"\.(?:pkl|pickle|joblib|h5|hdf5|pt|pth|bin|model|sav|yaml|yml"
                           r"|cfg|ini|md|html)$", re.I)
"""File names of models, settings and documents (not data)."""

COMPLETE_COPIES = re.compile(r"mnist|cifar|(?<![a-z])iris(?![a-z])|boston|cov(?:er)?type",
                             re.I)
"""File names of copies of the built-in datasets (MNIST, CIFAR, Iris, Boston housing,
forest covertypes), complete like the originals."""


def source_kind(path: str, call: ast.Call) -> str | None:
    """The kind of data ``call`` (of the function qualified as ``path``) reads, or None.

    Parameters
    ----------
    path : str
        The called name, its root resolved through imports (``pandas.read_csv``).
    call : ast.Call
        The call, for its file name argument.
    """
    last = path.rsplit(".", 1)[-1]
    if LIBRARY_LOADERS.search(path):
        return IMAGES if path.startswith("torchvision.") else LIBRARY
    if TEXT_LOADERS.search(path):
        return TEXT
    if last in IMAGE_READERS or path.startswith(IMAGE_PATHS):
        return IMAGES
    name = _file_name(call)
    if last in TABLE_READERS or path.split(".")[0] in ("spark", "pyspark") and last in (
            "csv", "table", "sql", "parquet", "json", "load"):
        return LIBRARY if COMPLETE_COPIES.search(name) else TABLE
    if path in FILE_OPENERS and not _writes(call) and not NON_DATA_FILE.search(name):
        if COMPLETE_COPIES.search(name):
            return LIBRARY
        return TABLE if TABLE_FILE.search(name) else TEXT
    return None


def pixel_scaling(node: ast.BinOp | ast.AugAssign) -> bool:
    """Whether ``node`` scales values by the pixel maximum: ``x / 255``, ``x * (1 / 255)``,
    ``x /= 255.0``."""
    right = node.right if isinstance(node, ast.BinOp) else node.value
    if isinstance(node.op, ast.Div):
        return _is_255(right)
    if isinstance(node.op, ast.Mult):
        sides = (node.left, right) if isinstance(node, ast.BinOp) else (right,)
        return any(isinstance(side, ast.BinOp) and isinstance(side.op, ast.Div)
                   and _is_255(side.right) for side in sides)
    return False


def _is_255(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value in (255, 255.0)


def _file_name(call: ast.Call) -> str:
    """The last part of the first string argument (the file read), or ""."""
    first = call.args[0] if call.args else None
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        return first.value.rstrip("/").rsplit("/", 1)[-1]
    return ""


def _writes(call: ast.Call) -> bool:
    """Whether an ``open`` call opens for writing or as bytes (a model, not data)."""
    mode = call.args[1] if len(call.args) > 1 else next(
        (kw.value for kw in call.keywords if kw.arg == "mode"), None)
    return isinstance(mode, ast.Constant) and isinstance(mode.value, str) and bool(
        set(mode.value) & set("wab+"))
