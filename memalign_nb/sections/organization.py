"""The shape of a notebook, for judging ``cell_organization`` without its code.

Organisation is a property of the whole notebook: markdown sections, one idea per cell,
cell lengths, and whether it runs top to bottom. :func:`outline_notebook` measures these
into a :class:`NotebookOutline`; :func:`render_outline` writes it as a compact text a judge
reads instead of the code (one line per cell: its type, length, execution count, and the
dimensions a code cell bears on, or a markdown cell's headers).
"""

from __future__ import annotations

import logging
import re
import statistics
from collections.abc import Mapping
from dataclasses import dataclass

from memalign_nb.notebooks.model import Notebook
from memalign_nb.sections.tokens import count_tokens

logger = logging.getLogger(__name__)

LONG_CELL_LINES = 40
"""A code cell with more non-blank lines than this counts as long."""

MULTI_TOPIC_LABELS = 3
"""A code cell bearing on at least this many dimensions does more than one thing."""

_HEADER = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$|^\s*<h([1-6])[^>]*>(.*?)</h\3>", re.I)
_ERROR = re.compile(r"^(\w*(?:Error|Exception|Interrupt))\b", re.M)


@dataclass(frozen=True)
class CellShape:
    """One cell as the outline sees it.

    Attributes
    ----------
    index : int
        Position in the notebook.
    cell_type : str
        ``code``, ``markdown`` or ``raw``.
    lines : int
        Non-blank source lines.
    headers : tuple of (int, str)
        For markdown cells: ``(level, text)`` of each header (``#`` is level 1).
    execution_count : int or None
        The recorded execution counter of a code cell.
    labels : tuple of str
        The dimensions a code cell bears on (from the cell classifier), sorted.
    error : str or None
        The exception name when the cell's output shows an error (``"ValueError"``).
    """

    index: int
    cell_type: str
    lines: int
    headers: tuple[tuple[int, str], ...] = ()
    execution_count: int | None = None
    labels: tuple[str, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class NotebookOutline:
    """The measured shape of a notebook.

    Attributes
    ----------
    cells : tuple of CellShape
        Every cell, in order.
    execution_order : str
        ``in_order`` (execution counts increase down the notebook), ``out_of_order``,
        ``partially_run`` (some non-empty code cells have no count, the rest in order) or
        ``not_run``.
    """

    cells: tuple[CellShape, ...]
    execution_order: str

    @property
    def code(self) -> tuple[CellShape, ...]:
        """The non-empty code cells."""
        return tuple(c for c in self.cells if c.cell_type == "code" and c.lines)

    @property
    def headers(self) -> tuple[tuple[int, int, str], ...]:
        """``(cell, level, text)`` for every markdown header."""
        return tuple((c.index, level, text) for c in self.cells for level, text in c.headers)

    def as_facts(self) -> dict[str, object]:
        """Flat, JSON-serialisable measurements (the ``cell_organization`` facts).

        Keys: ``cells``, ``code_cells``, ``markdown_cells``, ``markdown_ratio`` (markdown
        cells / all cells), ``headers``, ``header_levels`` (distinct levels used),
        ``median_code_lines``, ``longest_code_lines``, ``long_code_cells`` (over
        :data:`LONG_CELL_LINES` lines), ``multi_topic_cells`` (code cells bearing on at
        least :data:`MULTI_TOPIC_LABELS` dimensions), ``empty_code_cells``,
        ``execution_order``, ``error_cells`` (cells whose output shows an error).
        """
        code = self.code
        lengths = [c.lines for c in code]
        markdown = sum(c.cell_type == "markdown" for c in self.cells)
        return {
            "cells": len(self.cells),
            "code_cells": len(code),
            "markdown_cells": markdown,
            "markdown_ratio": round(markdown / len(self.cells), 3) if self.cells else 0.0,
            "headers": len(self.headers),
            "header_levels": sorted({level for _, level, _ in self.headers}),
            "median_code_lines": float(statistics.median(lengths)) if lengths else 0.0,
            "longest_code_lines": max(lengths, default=0),
            "long_code_cells": sum(n > LONG_CELL_LINES for n in lengths),
            "multi_topic_cells": sum(len(c.labels) >= MULTI_TOPIC_LABELS for c in code),
            "empty_code_cells": sum(
                c.cell_type == "code" and not c.lines for c in self.cells),
            "execution_order": self.execution_order,
            "error_cells": [c.index for c in self.cells if c.error],
        }


def outline_notebook(
    notebook: Notebook, labels: Mapping[int, frozenset[str]] | None = None
) -> NotebookOutline:
    """Measure the shape of ``notebook``.

    Parameters
    ----------
    notebook : Notebook
        The notebook (never executed).
    labels : mapping of int to frozenset of str, optional
        The dimensions each code cell bears on, by cell index (from
        :func:`~memalign_nb.sections.classify.classify_cell`); cells not in it get none.

    Returns
    -------
    NotebookOutline
    """
    labels = labels or {}
    shapes = []
    for cell in notebook.cells:
        lines = sum(1 for line in cell.source.splitlines() if line.strip())
        headers: tuple[tuple[int, str], ...] = ()
        if cell.is_markdown:
            headers = tuple(_headers(cell.source))
        error = None
        if cell.is_code and cell.output_text:
            match = _ERROR.search(cell.output_text)
            error = match.group(1) if match and "Traceback" in cell.output_text else None
        shapes.append(CellShape(
            cell.index, cell.cell_type, lines, headers,
            cell.execution_count if cell.is_code else None,
            tuple(sorted(labels.get(cell.index, ()))), error,
        ))
    return NotebookOutline(tuple(shapes), _execution_order(shapes))


def _headers(source: str) -> list[tuple[int, str]]:
    found = []
    in_fence = False
    for line in source.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        match = None if in_fence else _HEADER.match(line)
        if match:
            level = len(match.group(1)) if match.group(1) else int(match.group(3))
            text = re.sub(r"<[^>]+>", "", match.group(2) or match.group(4)).strip()
            if text:
                found.append((level, text[:80]))
    return found


def _execution_order(shapes: list[CellShape]) -> str:
    code = [c for c in shapes if c.cell_type == "code" and c.lines]
    counts = [c.execution_count for c in code if c.execution_count is not None]
    if not counts:
        return "not_run"
    if any(later <= earlier for earlier, later in zip(counts, counts[1:], strict=False)):
        return "out_of_order"
    return "in_order" if len(counts) == len(code) else "partially_run"


def render_outline(outline: NotebookOutline, token_budget: int | None = None) -> tuple[str, str]:
    """The outline as text, made coarser until it fits ``token_budget``.

    Parameters
    ----------
    outline : NotebookOutline
    token_budget : int, optional
        Largest size in tokens (:func:`~memalign_nb.sections.tokens.count_tokens`). At full
        detail every cell has a line; if that is too long, runs of code cells between
        markdown cells collapse to one line each; if still too long, only the summary
        and the headers remain (cut at the budget).

    Returns
    -------
    text : str
        The rendered outline.
    trimmed : str
        What was left out to fit, in words ("" when nothing was).
    """
    facts = outline.as_facts()
    head = _summary(outline, facts)
    levels = (
        ("", [_cell_line(c) for c in outline.cells]),
        ("runs of code cells collapsed to one line each", _collapsed(outline)),
        ("only headers kept", [_cell_line(c) for c in outline.cells if c.headers]),
    )
    for trimmed, lines in levels:
        text = "\n".join([*head, *lines])
        if token_budget is None or count_tokens(text) <= token_budget:
            return text, trimmed
    kept: list[str] = []
    used = count_tokens("\n".join(head))
    for line in levels[-1][1]:
        used += count_tokens(line) + 1
        if used > token_budget:
            break
        kept.append(line)
    omitted = len(levels[-1][1]) - len(kept)
    return "\n".join([*head, *kept]), f"only headers kept, {omitted} of them cut"


def _summary(outline: NotebookOutline, facts: Mapping[str, object]) -> list[str]:
    counts = [c.execution_count for c in outline.code if c.execution_count is not None]
    shown = ", ".join(map(str, counts[:12])) + (", ..." if len(counts) > 12 else "")
    lines = [
        f"# Notebook outline: {facts['cells']} cells ({facts['code_cells']} code, "
        f"{facts['markdown_cells']} markdown), markdown ratio {facts['markdown_ratio']}, "
        f"{facts['headers']} headers",
        f"# Execution: {str(facts['execution_order']).replace('_', ' ')}"
        + (f" (execution counts {shown})" if counts else ""),
        f"# Code cell length (non-blank lines): median {facts['median_code_lines']:g}, "
        f"longest {facts['longest_code_lines']}, {facts['long_code_cells']} over "
        f"{LONG_CELL_LINES} lines; {facts['multi_topic_cells']} cells bear on "
        f"{MULTI_TOPIC_LABELS}+ dimensions",
    ]
    errors = [f"{c.index} ({c.error})" for c in outline.cells if c.error]
    if errors:
        lines.append(f"# Errors in outputs: cells {', '.join(errors)}")
    return lines


def _cell_line(cell: CellShape) -> str:
    if cell.cell_type == "markdown":
        if cell.headers:
            shown = " | ".join(f"{'#' * level} {text}" for level, text in cell.headers[:3])
            return f"[{cell.index}] markdown  {shown}"
        return f"[{cell.index}] markdown  ({cell.lines} lines of text)"
    if cell.cell_type != "code":
        return f"[{cell.index}] {cell.cell_type}  ({cell.lines} lines)"
    run = f"  [exec {cell.execution_count}]" if cell.execution_count is not None else ""
    labels = f"  {', '.join(cell.labels)}" if cell.labels else ""
    error = f"  ERROR {cell.error}" if cell.error else ""
    return f"[{cell.index}] code  {cell.lines} lines{run}{labels}{error}"


def _collapsed(outline: NotebookOutline) -> list[str]:
    lines: list[str] = []
    run: list[CellShape] = []

    def flush() -> None:
        if len(run) == 1:
            lines.append(_cell_line(run[0]))
        elif run:
            sizes = [c.lines for c in run]
            lines.append(f"[{run[0].index}-{run[-1].index}] {len(run)} code cells, "
                         f"{min(sizes)}-{max(sizes)} lines")
        run.clear()

    for cell in outline.cells:
        if cell.cell_type == "code":
            run.append(cell)
            continue
        flush()
        lines.append(_cell_line(cell))
    flush()
    return lines
