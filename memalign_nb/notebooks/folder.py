"""Read many notebooks at once, going on past the ones that fail.

:func:`read_notebooks` takes a folder (or several files and folders) and returns a
:class:`LoadReport`: the notebooks that were read and, for every file that could not be, the
:class:`~memalign_nb.errors.NotebookError` saying why. One bad file never stops a batch.
Every entry of a folder matching the pattern is accounted for: a dangling or looping
symbolic link, a FIFO or a socket is a failure, never skipped in silence.

A batch warns once about schema problems (how many notebooks have them, and the most
common); each notebook's own problems are logged at INFO level (``memalign-nb -v``) and
kept in :attr:`~memalign_nb.notebooks.Notebook.schema_problems`.
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from memalign_nb.errors import MemAlignWarning, NotebookError
from memalign_nb.notebooks.limits import DEFAULT_LIMITS, NotebookLimits
from memalign_nb.notebooks.model import Notebook
from memalign_nb.notebooks.outputs import DEFAULT_MAX_CHARS
from memalign_nb.notebooks.reader import read_notebook

logger = logging.getLogger(__name__)

PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class LoadReport:
    """What :func:`read_notebooks` read and what it could not.

    Attributes
    ----------
    notebooks : tuple of Notebook
        The notebooks read, in the order their files were found (sorted within a folder).
    failures : tuple of NotebookError
        One error per file that could not be read, in the same order; each names the file
        (``error.path``) and the problem (``error.problem``).
    """

    notebooks: tuple[Notebook, ...] = ()
    failures: tuple[NotebookError, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether every file was read."""
        return not self.failures

    def summary(self) -> str:
        """A few lines for a person: how many were read, and each failure.

        Returns
        -------
        str
            ``"read 58 notebooks; 2 failed:"`` followed by one line per failure.
        """
        head = f"read {len(self.notebooks)} notebooks"
        if not self.failures:
            return head
        lines = [f"{head}; {len(self.failures)} failed:"]
        lines += [f"  {error}" for error in self.failures]
        return "\n".join(lines)


def read_notebooks(
    folder_or_paths: PathLike | Iterable[PathLike],
    pattern: str = "*.ipynb",
    *,
    recursive: bool = False,
    max_output_chars: int = DEFAULT_MAX_CHARS,
    limits: NotebookLimits = DEFAULT_LIMITS,
    progress: bool = False,
) -> LoadReport:
    """Read every notebook in a folder, or a list of files and folders.

    Parameters
    ----------
    folder_or_paths : path-like or iterable of path-like
        A folder, a single notebook file, or several of either. Files named explicitly are
        read whatever their name; folders contribute the files matching ``pattern``.
    pattern : str, default "*.ipynb"
        Glob pattern for the files to read inside folders.
    recursive : bool, default False
        Also look in sub-folders. Hidden files and folders (such as
        ``.ipynb_checkpoints``) are skipped either way.
    max_output_chars : int, default 1500
        Character budget for each code cell's output summary.
    limits : NotebookLimits, optional
        Bounds on each notebook (:mod:`memalign_nb.notebooks.limits`); a notebook over one
        is a failure like any other.
    progress : bool, default False
        Show a progress bar (``tqdm.auto``, so a widget in Jupyter).

    Returns
    -------
    LoadReport
        The notebooks read and one :class:`NotebookError` per file that failed. Files from
        one folder come in sorted order; a file named twice is read once.

    Raises
    ------
    NotebookError
        If ``folder_or_paths`` is a single path that does not exist. In a list, a missing
        path is recorded as a failure and the rest are read.

    Warns
    -----
    MemAlignWarning
        Once, when some notebooks do not fully match the nbformat schema (they are read).
    """
    if isinstance(folder_or_paths, str | os.PathLike):
        single = Path(folder_or_paths).expanduser()
        if not single.exists() and not single.is_symlink():
            raise NotebookError(single, "no such file or folder")
        entries = [single]
    else:
        entries = [Path(entry).expanduser() for entry in folder_or_paths]
    notebooks: list[Notebook] = []
    failures: list[NotebookError] = []
    for item in _progress(_expand(entries, pattern, recursive), progress):
        result = item if isinstance(item, NotebookError) else _read(item, max_output_chars, limits)
        if isinstance(result, NotebookError):
            logger.info("not read: %s", result)  # the caller reports the LoadReport's failures
            failures.append(result)
        else:
            notebooks.append(result)
    logger.info("read %d notebooks; %d failed", len(notebooks), len(failures))
    _warn_schema(notebooks)
    return LoadReport(notebooks=tuple(notebooks), failures=tuple(failures))


def _warn_schema(notebooks: list[Notebook]) -> None:
    """One warning for the batch: how many notebooks depart from the schema, and how."""
    odd = [nb for nb in notebooks if nb.schema_problems]
    if not odd:
        return
    for notebook in odd:
        logger.info("%s: read despite nbformat schema problems: %s", notebook.path,
                    "; ".join(notebook.schema_problems))
    kinds = Counter(
        kind for nb in odd for kind in {_CELL_NUMBER.sub(r"\1 N", p) for p in nb.schema_problems}
    )
    common, count = kinds.most_common(1)[0]
    warnings.warn(
        f"{len(odd)} of {len(notebooks)} notebooks read despite nbformat schema problems "
        f"(the most common, in {count}: {common}); details with -v (INFO logging)",
        MemAlignWarning,
        stacklevel=3,
    )


_CELL_NUMBER = re.compile(r"\b(cell|output) \d+")


def _expand(entries: list[Path], pattern: str, recursive: bool) -> list[Path | NotebookError]:
    """The files to read in order (folders expanded, duplicates dropped).

    An entry that does not exist stands in the list as the error to report for it.
    """
    items: list[Path | NotebookError] = []
    seen: set[Path] = set()
    for entry in entries:
        if entry.is_dir():
            found = _glob(entry, pattern, recursive)
            if not found:
                logger.warning("no files matching %r in %s", pattern, entry)
        elif entry.exists() or entry.is_symlink():  # a broken link is read, and reported
            found = [entry]
        else:
            items.append(NotebookError(entry, "no such file or folder"))
            continue
        for file in found:
            key = _identity(file)
            if key not in seen:
                seen.add(key)
                items.append(file)
    return items


def _identity(file: Path) -> Path:
    """What makes two entries the same file: the resolved path (the link itself if broken)."""
    try:
        return file.resolve(strict=True)
    except (OSError, RuntimeError):  # dangling link or loop: stands for itself
        return file.absolute()


def _read(file: Path, max_output_chars: int, limits: NotebookLimits) -> Notebook | NotebookError:
    """The notebook in ``file``, or the error saying why it could not be read."""
    try:
        return read_notebook(file, max_output_chars=max_output_chars, limits=limits, warn=False)
    except NotebookError as error:
        return error


def _glob(folder: Path, pattern: str, recursive: bool) -> list[Path]:
    """Entries of ``folder`` matching ``pattern`` that are not folders, sorted.

    Hidden parts are skipped. Anything else that matches (a dangling or looping link, a
    FIFO) is kept, so that reading it reports why it is no notebook.
    """
    matches = folder.rglob(pattern) if recursive else folder.glob(pattern)
    return sorted(
        path
        for path in matches
        if not path.is_dir()
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )


def _progress(items: list[Path | NotebookError], enabled: bool) -> Iterable[Path | NotebookError]:
    """``items``, wrapped in a tqdm progress bar when asked."""
    if not enabled:
        return items
    from tqdm.auto import tqdm

    return tqdm(items, desc="reading notebooks", unit="notebook")
