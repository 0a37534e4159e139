"""Read ``.ipynb`` files into :class:`~memalign_nb.notebooks.model.Notebook` records.

Reading follows nbformat's own split into separate steps, each done by nbformat:

1. decode the bytes as UTF-8 and parse the JSON (:func:`nbformat.reader.parse_json`);
2. check that the JSON is a notebook and read it as its own version (nbformat's
   per-version readers, as :func:`nbformat.reader.reads` does);
3. upgrade nbformat 3 to 4 (:func:`nbformat.converter.convert`);
4. validate against the nbformat schema (:func:`nbformat.validator.iter_validate`).

Any problem that stops judging (not JSON, not a notebook, no cells, not UTF-8, not a
regular file, over a :class:`~memalign_nb.notebooks.limits.NotebookLimits` bound, or
anything nbformat itself chokes on) raises :class:`~memalign_nb.errors.NotebookError`
naming the file and the problem: reading one notebook never raises anything else. Schema
problems that do not stop judging (an unexpected field, a missing cell id) are kept in
:attr:`Notebook.schema_problems` and, unless ``warn=False``, become one
:class:`~memalign_nb.errors.MemAlignWarning` per notebook. Nothing in the notebook is
executed.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import stat
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from memalign_nb.errors import MemAlignWarning, NotebookError
from memalign_nb.notebooks.limits import DEFAULT_LIMITS, NotebookLimits
from memalign_nb.notebooks.model import Cell, Notebook
from memalign_nb.notebooks.outputs import DEFAULT_MAX_CHARS, summarise_outputs

if TYPE_CHECKING:
    from nbformat import NotebookNode

logger = logging.getLogger(__name__)

SUPPORTED_VERSIONS: tuple[int, ...] = (3, 4)
"""Major nbformat versions that can be read (3 is upgraded to 4)."""

MAX_PROBLEMS = 20
"""Schema problems collected per notebook; validation stops looking after this many."""

_SHOWN_PROBLEMS = 3
_CELL_TYPES = ("code", "markdown", "raw")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def read_notebook(
    path: str | os.PathLike[str],
    *,
    max_output_chars: int = DEFAULT_MAX_CHARS,
    limits: NotebookLimits = DEFAULT_LIMITS,
    warn: bool = True,
) -> Notebook:
    """Read one ``.ipynb`` file.

    Parameters
    ----------
    path : str or path-like
        The notebook file (``~`` is expanded).
    max_output_chars : int, default 1500
        Character budget for each code cell's output summary (see
        :func:`~memalign_nb.notebooks.outputs.summarise_outputs`).
    limits : NotebookLimits, optional
        Bounds on the notebook's size, cells, source lines and JSON depth.
    warn : bool, default True
        Warn about schema problems (:attr:`Notebook.schema_problems` holds them anyway).

    Returns
    -------
    Notebook
        The notebook, read as :func:`reads_notebook` reads text (same upgrade, same
        schema problems).

    Raises
    ------
    NotebookError
        If the file does not exist, is a dangling or looping symbolic link, a folder, a
        FIFO, socket or device, cannot be read, is larger than ``limits.max_bytes``, or for
        any reason :func:`reads_notebook` gives. A FIFO is never opened for reading, so it
        cannot hang the caller.
    """
    file = Path(path).expanduser()
    data = _read_file(file, limits)
    return reads_notebook(
        data, path=str(file), max_output_chars=max_output_chars, limits=limits, warn=warn
    )


def _read_file(file: Path, limits: NotebookLimits) -> bytes:
    """The bytes of a regular file, or the :class:`NotebookError` saying why not."""
    try:
        # O_NONBLOCK: opening a FIFO does not wait for a writer; it is refused below.
        fd = os.open(file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise NotebookError(file, _open_problem(file, exc)) from None
    try:
        mode, size = os.fstat(fd).st_mode, os.fstat(fd).st_size
        if stat.S_ISDIR(mode):
            raise NotebookError(
                file, "is a folder, not a notebook file (read_notebooks reads folders)"
            )
        if not stat.S_ISREG(mode):
            raise NotebookError(file, f"is {_file_kind(mode)}, not a notebook file; not read")
        limits.check_bytes(size, str(file))
        with open(fd, "rb", closefd=False) as handle:
            data = handle.read(limits.max_bytes + 1)
    except OSError as exc:
        raise NotebookError(file, f"cannot read the file: {exc.strerror or exc}") from exc
    finally:
        os.close(fd)
    limits.check_bytes(len(data), str(file))  # it grew while being read
    return data


def _open_problem(file: Path, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "is a symbolic link loop"
    if isinstance(exc, FileNotFoundError):
        if file.is_symlink():
            return f"is a dangling symbolic link (to {os.readlink(file)}, which does not exist)"
        return "file does not exist"
    if isinstance(exc, IsADirectoryError):
        return "is a folder, not a notebook file (read_notebooks reads folders)"
    return f"cannot read the file: {exc.strerror or exc}"


def _file_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a regular file"


def reads_notebook(
    text: str | bytes,
    path: str | os.PathLike[str] = "<string>",
    *,
    max_output_chars: int = DEFAULT_MAX_CHARS,
    limits: NotebookLimits = DEFAULT_LIMITS,
    warn: bool = True,
) -> Notebook:
    """Read a notebook from its JSON text.

    Parameters
    ----------
    text : str or bytes
        The file's content; bytes must be UTF-8 (a UTF-8 byte-order mark is allowed).
    path : str or path-like, default "<string>"
        Where the text came from, used in errors and recorded as ``Notebook.path``.
    max_output_chars : int, default 1500
        Character budget for each code cell's output summary.
    limits : NotebookLimits, optional
        Bounds on size (bytes, or characters of a str), cells, source lines and JSON
        depth, checked before nbformat reads the notebook.
    warn : bool, default True
        Warn about schema problems (:attr:`Notebook.schema_problems` holds them anyway).

    Returns
    -------
    Notebook
        The notebook, upgraded to nbformat 4 if it was older.

    Raises
    ------
    NotebookError
        If the text is empty, not UTF-8, not valid JSON (the error gives line and column),
        not a notebook, of an unsupported nbformat version, has no cells, exceeds a bound
        of ``limits`` (:class:`~memalign_nb.errors.NotebookLimitError`), or anything else
        stops nbformat from reading it.
    TypeError
        If ``text`` is neither str nor bytes.

    Warns
    -----
    MemAlignWarning
        If the notebook does not fully match the nbformat schema but can still be judged.
    """
    if not isinstance(text, str | bytes | bytearray | memoryview):
        raise TypeError(f"notebook text must be str or bytes, not {type(text).__name__}")
    where = str(path)
    try:
        notebook = _read_text(text, where, max_output_chars, limits)
    except NotebookError:
        raise
    except RecursionError:
        raise NotebookError(where, "not a notebook: the JSON is nested too deeply") from None
    except Exception as exc:  # whatever nbformat chokes on is this notebook's problem
        raise NotebookError(
            where, f"cannot be read as a notebook: {type(exc).__name__}: {exc}"
        ) from exc
    if warn and notebook.schema_problems:
        _warn(where, list(notebook.schema_problems))
    return notebook


def _read_text(
    text: str | bytes, where: str, max_output_chars: int, limits: NotebookLimits
) -> Notebook:
    limits.check_bytes(len(text), where)
    raw = _parse(_decode(text, where), where)
    limits.check_json(raw, where)
    major, minor = _check_shape(raw, where)
    limits.check_cells(_sources(raw, major), where)
    problems = _repair(raw, major)
    node = _upgrade(_to_node(raw, major, minor, where), major, where)
    if not node.cells:
        raise NotebookError(where, "notebook has no cells")
    problems += _validate(node)
    metadata = node.metadata
    keep_ids = major >= 4  # upgraded cells get random ids that are not in the file
    cells = tuple(
        _to_cell(index, cell, keep_ids, max_output_chars) for index, cell in enumerate(node.cells)
    )
    logger.debug("read %s: %d cells, nbformat %d.%d", where, len(cells), major, minor)
    return Notebook(
        path=where,
        cells=cells,
        nbformat=major,
        language=_language(metadata),
        metadata=dict(metadata),
        schema_problems=tuple(problems),
    )


def _decode(text: str | bytes, where: str) -> str:
    """The text as str, with a byte-order mark dropped; empty text is an error."""
    if isinstance(text, bytes | bytearray | memoryview):
        data = bytes(text)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            if data.startswith(_UTF16_BOMS):
                raise NotebookError(where, "file is UTF-16 encoded; notebooks are UTF-8") from None
            line = data.count(b"\n", 0, exc.start) + 1
            raise NotebookError(
                where,
                f"not UTF-8 text: byte 0x{data[exc.start]:02x} at byte offset {exc.start} "
                f"(line {line}) is not valid UTF-8 ({exc.reason})",
            ) from None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise NotebookError(where, "file is empty" if not text else "file holds only whitespace")
    return text


def _parse(text: str, where: str) -> object:
    """The JSON value, or an error giving line and column of the first JSON mistake."""
    from nbformat.reader import NotJSONError, parse_json

    try:
        return parse_json(text)
    except RecursionError:
        raise NotebookError(where, "not a notebook: the JSON is nested too deeply") from None
    except NotJSONError as exc:
        cause = exc.__cause__
        if not isinstance(cause, json.JSONDecodeError):
            raise NotebookError(where, f"not valid JSON: {cause or exc}") from exc
        problem = f"not valid JSON at line {cause.lineno}, column {cause.colno}: {cause.msg}"
        if cause.pos >= len(text.rstrip()) or cause.msg.startswith("Unterminated string"):
            problem += " (the file ends too early: truncated?)"
        raise NotebookError(where, problem) from exc


def _check_shape(raw: object, where: str) -> tuple[int, int]:
    """The (major, minor) version of a JSON value that looks like a notebook, else an error."""
    if not isinstance(raw, dict):
        raise NotebookError(
            where, f"not a notebook: the JSON is {_kind(raw)}, not an object with cells"
        )
    if "nbformat" not in raw:
        missing = "'nbformat' or 'cells'" if "cells" not in raw else "'nbformat'"
        raise NotebookError(where, f"not a notebook: the JSON object has no {missing} field")
    major, minor = raw["nbformat"], raw.get("nbformat_minor", 0)
    if isinstance(major, bool) or not isinstance(major, int):
        raise NotebookError(where, f"not a notebook: 'nbformat' is {major!r}, not a version")
    if major not in SUPPORTED_VERSIONS:
        raise NotebookError(
            where,
            f"nbformat {major} is not supported (readable: "
            f"{', '.join(map(str, SUPPORTED_VERSIONS))})",
        )
    container = "cells" if major >= 4 else "worksheets"
    if not isinstance(raw.get(container), list):
        raise NotebookError(
            where, f"not a notebook: nbformat {major} needs a '{container}' list and has none"
        )
    if isinstance(minor, bool) or not isinstance(minor, int):
        minor = raw["nbformat_minor"] = 0
    return major, minor


def _sources(raw: dict, major: int) -> list[object]:
    """Every cell's source as stored (``input`` for nbformat 3 code cells)."""
    sheets = raw["worksheets"] if major < 4 else [raw]
    cells = [
        cell
        for sheet in sheets
        if isinstance(sheet, dict) and isinstance(sheet.get("cells"), list)
        for cell in sheet["cells"]
    ]
    return [
        cell.get("source", cell.get("input")) if isinstance(cell, dict) else None
        for cell in cells
    ]


def _repair(raw: dict, major: int) -> list[str]:
    """Fill in what nbformat's readers need and files often omit; report what was odd.

    Missing ``metadata`` objects are added silently (common and harmless); a cell that is not
    a JSON object becomes an empty raw cell, so cell indices stay those of the file.
    """
    problems = []
    if not isinstance(raw.get("metadata"), dict):
        if "metadata" in raw:
            problems.append(f"notebook metadata is {_kind(raw['metadata'])}; ignored")
        raw["metadata"] = {}
    sheets = raw["worksheets"] if major < 4 else [raw]
    for sheet in sheets:
        cells = sheet.get("cells") if isinstance(sheet, dict) else None
        for index, cell in enumerate(cells if isinstance(cells, list) else []):
            if not isinstance(cell, dict):
                problems.append(f"cell {index} is {_kind(cell)}; read as an empty raw cell")
                cells[index] = {"cell_type": "raw", "source": "", "metadata": {}}
                continue
            if not isinstance(cell.get("metadata"), dict):
                cell["metadata"] = {}
            if not isinstance(cell.get("cell_type"), str):
                problems.append(
                    f"cell {index} has cell_type {_kind(cell.get('cell_type'))}; read as a raw cell"
                )
                cell["cell_type"] = "raw"
    return problems


def _to_node(raw: dict, major: int, minor: int, where: str) -> NotebookNode:
    """The dict as an nbformat ``NotebookNode`` of its own version (lines joined)."""
    import nbformat

    try:
        return nbformat.versions[major].to_notebook_json(raw, minor=minor)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise NotebookError(
            where, f"malformed nbformat {major} notebook: {type(exc).__name__}: {exc}"
        ) from exc


def _upgrade(node: NotebookNode, major: int, where: str) -> NotebookNode:
    """The notebook converted to nbformat 4 by nbformat's converter."""
    from nbformat import ValidationError
    from nbformat.converter import convert

    if major == 4:
        return node
    try:
        upgraded = convert(node, 4)
    except (AttributeError, KeyError, TypeError, ValueError, ValidationError) as exc:
        raise NotebookError(
            where, f"cannot upgrade nbformat {major} to 4: {type(exc).__name__}: {exc}"
        ) from exc
    logger.info("upgraded %s from nbformat %d to 4", where, major)
    return upgraded


def _validate(node: NotebookNode) -> list[str]:
    """Schema problems of the notebook as short sentences (at most :data:`MAX_PROBLEMS`).

    A missing cell id is not a problem here: files written before nbformat 4.5 ids (or by
    tools that drop them) are common and judge the same. nbformat's fast validator
    (fastjsonschema) checks the whole notebook; only when it fails are the problems
    located with jsonschema, part by part (the notebook without its cells, then each cell
    the fast validator rejects), stopping at :data:`MAX_PROBLEMS`, so validation stays
    linear in the notebook's size.
    """
    from nbformat.validator import get_validator, iter_validate

    minor = node.get("nbformat_minor", 0)
    checked = dict(node)
    if minor >= 5:  # ids are required from 4.5 on: stand-ins keep the fast path fast
        checked["cells"] = [
            cell if "id" in cell else {**cell, "id": f"missing-id-{index}"}
            for index, cell in enumerate(node.cells)
        ]
    fast = get_validator(4, minor)
    if fast is None or next(iter(fast.iter_errors(checked)), None) is None:
        return []
    problems: list[str] = []
    header = dict(checked, cells=[])
    parts = [(None, header)] + [
        (index, dict(header, cells=[cell])) for index, cell in enumerate(checked["cells"])
    ]
    for index, part in parts:
        if len(problems) >= MAX_PROBLEMS:
            break
        if index is not None and next(iter(fast.iter_errors(part)), None) is None:
            continue
        for error in iter_validate(part, version=4, version_minor=minor):
            path = list(error.absolute_path)
            if index is not None and path[:2] == ["cells", 0]:
                path[1] = index
            location = _location(path)
            message = error.message.splitlines()[0] if error.message else "invalid"
            if error.validator in ("oneOf", "anyOf"):  # do not quote the whole instance
                message = "is not valid under any of the given schemas"
                if isinstance(error.instance, dict) and "cell_type" in error.instance:
                    message = f"is not a valid cell of type {error.instance['cell_type']!r}"
            if len(message) > 160:
                message = message[:157] + "..."
            problems.append(f"{location}: {message}" if location else message)
            if len(problems) >= MAX_PROBLEMS:
                break
    return problems


def _location(path: list[object]) -> str:
    """``['cells', 3, 'outputs', 0]`` as ``cell 3, output 0``."""
    words = []
    for key, nxt in zip(path, [*path[1:], None], strict=True):
        if isinstance(key, int):
            continue
        if key in ("cells", "outputs") and isinstance(nxt, int):
            words.append(f"{key[:-1]} {nxt}")
        else:
            words.append(str(key))
    return ", ".join(words)


def _warn(where: str, problems: list[str]) -> None:
    """One warning per notebook for schema problems that do not stop judging."""
    shown = "; ".join(problems[:_SHOWN_PROBLEMS])
    more = len(problems) - _SHOWN_PROBLEMS
    suffix = f"; and {more} more" if more > 0 else ""
    logger.debug("schema problems in %s: %s", where, problems)
    warnings.warn(
        f"{where}: read despite nbformat schema problems: {shown}{suffix}",
        MemAlignWarning,
        stacklevel=3,
    )


def _to_cell(index: int, cell: Mapping, keep_id: bool, max_output_chars: int) -> Cell:
    """One nbformat 4 cell as a :class:`Cell`; odd field types fall back to defaults."""
    cell_type = cell.get("cell_type")
    if cell_type not in _CELL_TYPES:
        cell_type = "raw"
    source = cell.get("source")
    if isinstance(source, list):
        source = "".join(line for line in source if isinstance(line, str))
    cell_id = cell.get("id") if keep_id else None
    count = cell.get("execution_count")
    output_text, output_bytes = "", 0
    outputs = cell.get("outputs")
    if cell_type == "code" and isinstance(outputs, list) and outputs:
        output_text, output_bytes = summarise_outputs(outputs, max_output_chars)
    return Cell(
        index=index,
        cell_type=cell_type,
        source=source if isinstance(source, str) else "",
        cell_id=cell_id if isinstance(cell_id, str) else None,
        execution_count=count if isinstance(count, int) and not isinstance(count, bool) else None,
        output_text=output_text,
        output_bytes=output_bytes,
    )


def _language(metadata: Mapping) -> str:
    """The kernel language from kernelspec or language_info, ``"python"`` when unstated."""
    for key, field in (("kernelspec", "language"), ("language_info", "name")):
        section = metadata.get(key)
        value = section.get(field) if isinstance(section, Mapping) else None
        if isinstance(value, str) and value.strip():
            return value.strip().lower()
    return "python"


def _kind(value: object) -> str:
    """``a list``, ``null``, ``a string``: a JSON value's type in words."""
    if value is None:
        return "null"
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    return names.get(type(value), "a number")
