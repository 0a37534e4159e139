"""Bounds on what one notebook may cost to read and analyse: :class:`NotebookLimits`.

Reading and sectioning grow with a notebook's size (about linearly), so a single huge or
hostile file (a 2 GB export, a cell of a million lines, JSON nested a thousand deep) could
stall a whole batch. Every notebook is checked against these bounds before any costly
work: the file size before it is read, depth, cells and source lines right after the JSON
is parsed. A notebook over a bound fails alone, with a
:class:`~memalign_nb.errors.NotebookLimitError` naming the bound, and a batch goes on.

The defaults are far above real notebooks (the 60 real Kaggle notebooks of the corpus have
at most 101 cells and 744 source lines, 240 KB) and keep one notebook's reading and
sectioning to a few seconds. Raise them per call (``read_notebook(path,
limits=NotebookLimits(max_cells=10_000))``) or on the command line (``--max-cells``,
``--max-lines``, ``--max-bytes``).
"""

from __future__ import annotations

from dataclasses import dataclass

from memalign_nb.errors import NotebookLimitError

__all__ = ["DEFAULT_LIMITS", "NotebookLimits"]


@dataclass(frozen=True)
class NotebookLimits:
    """The largest notebook that is read and judged.

    Attributes
    ----------
    max_bytes : int
        Size of the file (or text) in bytes; 50 MB by default. Outputs are summarised, so
        plots count here only.
    max_cells : int
        Cells of every type; 2,000 by default.
    max_lines : int
        Source lines over all cells; 10,000 by default (the cost per line depends on the
        code: 10,000 lines of dense assignments take about 4 s to analyse).
    max_depth : int
        Nesting depth of the JSON; 100 by default (notebooks nest about 10 deep; nbformat
        itself fails near 500).
    """

    max_bytes: int = 50 * 1024 * 1024
    max_cells: int = 2_000
    max_lines: int = 10_000
    max_depth: int = 100

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"NotebookLimits.{name} must be a positive integer, got {value!r}")

    def check_bytes(self, size: int, where: str) -> None:
        """Raise :class:`NotebookLimitError` when ``size`` exceeds :attr:`max_bytes`."""
        if size > self.max_bytes:
            raise NotebookLimitError(where, "max_bytes", size, self.max_bytes, "bytes")

    def check_json(self, raw: object, where: str) -> None:
        """Raise :class:`NotebookLimitError` when parsed JSON nests deeper than allowed.

        Iterative, and stops at the first container past the bound.
        """
        stack: list[tuple[object, int]] = [(raw, 1)]
        while stack:
            value, depth = stack.pop()
            children = value.values() if isinstance(value, dict) else value
            if not isinstance(value, dict | list):
                continue
            if depth > self.max_depth:
                raise NotebookLimitError(
                    where, "max_depth", depth, self.max_depth, "levels of JSON nesting (at least)"
                )
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))

    def check_cells(self, sources: list[object], where: str) -> None:
        """Raise :class:`NotebookLimitError` for too many cells or source lines.

        ``sources`` are the cells' ``source`` fields as stored (a string or a list of lines;
        anything else counts as one line).
        """
        if len(sources) > self.max_cells:
            raise NotebookLimitError(where, "max_cells", len(sources), self.max_cells, "cells")
        lines = 0
        for source in sources:
            if isinstance(source, str):
                lines += source.count("\n") + 1
            elif isinstance(source, list):
                lines += sum(line.count("\n") for line in source if isinstance(line, str)) + 1
            else:
                lines += 1
            if lines > self.max_lines:
                raise NotebookLimitError(
                    where, "max_lines", lines, self.max_lines, "source lines (at least)"
                )


DEFAULT_LIMITS = NotebookLimits()
"""The bounds every reader uses unless given others."""
