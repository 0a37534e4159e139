"""HTML fragments for the widgets: everything from a notebook escaped, code highlighted.

A judged notebook is untrusted data. Every string that came from a notebook, a dataset,
a judge or a grader passes through :func:`html.escape` or through Pygments (whose
``HtmlFormatter`` escapes its input) before it reaches an ``ipywidgets.HTML`` value, so a
cell holding ``<script>`` or ``<img onerror=...>`` shows as text. Styles are inline
(``HtmlFormatter(noclasses=True)``), so the fragments look the same in JupyterLab,
classic Notebook, VS Code, Databricks and Voila, none of which share a stylesheet.
:class:`View` is the small base the three views share.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping
from typing import Any

from memalign_nb.feedback.disagreements import Disagreement
from memalign_nb.feedback.model import Grade
from memalign_nb.judges.base import Judgment
from memalign_nb.notebooks.model import Cell, Notebook
from memalign_nb.rubrics.model import Rubric
from memalign_nb.sections.model import Section

logger = logging.getLogger(__name__)

PYGMENTS_STYLE = "friendly"
"""The Pygments style used for code (light background, readable in every front-end)."""

_STATUS_COLOURS = {"info": "#1f5f99", "ok": "#1b7a3a", "error": "#b00020"}
_BOX = (  # ipywidgets' HTML sets a 28px line height for one-line labels; text needs less
    "border:1px solid #d0d7de;border-radius:4px;padding:6px 10px;margin:4px 0;"
    "line-height:1.45;"
)


class View:
    """Base of the views: each displays as its root ipywidgets container, :attr:`widget`."""

    _root: Any

    @property
    def widget(self) -> Any:
        """The root ipywidgets container; displaying the view displays it."""
        return self._root

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self._root._repr_mimebundle_(**kwargs)


def esc(text: object) -> str:
    """``text`` as HTML-escaped text (quotes too), safe inside elements and attributes."""
    return html.escape(str(text), quote=True)


def highlight(source: str, language: str = "python") -> str:
    """``source`` highlighted by Pygments as an escaped HTML ``<div>`` with inline styles.

    Parameters
    ----------
    source : str
        The code or text to show.
    language : str
        A Pygments lexer name (``python``, ``markdown``, ``r``...); unknown names fall
        back to plain text.
    """
    from pygments import highlight as pygments_highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import TextLexer, get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        lexer = get_lexer_by_name(language, stripnl=False)
    except ClassNotFound:
        lexer = TextLexer(stripnl=False)
    formatter = HtmlFormatter(noclasses=True, style=PYGMENTS_STYLE, wrapcode=True)
    return pygments_highlight(source, lexer, formatter)


def render_cell(cell: Cell, language: str = "python") -> str:
    """One cell: a header with its index and type, its highlighted source, its outputs."""
    lexer = language if cell.is_code else "markdown" if cell.is_markdown else "text"
    parts = [
        f'<div style="font:12px monospace;color:#57606a;margin-top:8px">'
        f"[{cell.index}] {esc(cell.cell_type)}</div>",
        highlight(cell.source, lexer),
    ]
    if cell.output_text:
        parts.append(
            '<pre style="margin:0 0 0 12px;padding:4px;background:#f6f8fa;color:#444;'
            f'white-space:pre-wrap;max-height:12em;overflow:auto">{esc(cell.output_text)}</pre>'
        )
    return "".join(parts)


def render_cells(notebook: Notebook, indices: tuple[int, ...] | None = None) -> str:
    """The cells at ``indices`` (every cell when None) of ``notebook``, in order."""
    chosen = notebook.cells if indices is None else [notebook.cells[i] for i in indices]
    return "".join(render_cell(cell, notebook.language) for cell in chosen)


def render_section(section: Section, notebook: Notebook) -> str:
    """The section a dimension is judged on, cell by cell, with any trimming noted."""
    if section.is_empty:
        return note("No cell of this notebook bears on this dimension; 0 (not applicable) "
                    "may fit. Use \u201cwhole notebook\u201d to check.")
    trimmed = "".join(note(f"Trimmed: {reason}") for reason in section.trimmed)
    return trimmed + render_cells(notebook, section.cell_indices)


def render_prompt(prompt: str, case_id: str) -> str:
    """The case's task prompt as an escaped block, headed by the case id."""
    text = esc(prompt) if prompt.strip() else "<i>(no task prompt recorded)</i>"
    return (
        f'<div style="{_BOX}background:#fffbe6"><b>Task</b> '
        f'<span style="color:#57606a">({esc(case_id)})</span>'
        f'<div style="white-space:pre-wrap">{text}</div></div>'
    )


def render_rubric(rubric: Rubric) -> str:
    """The rubric's title, description and criteria per score, escaped."""
    rows = [(score, text) for score, text in rubric.levels]
    if rubric.not_applicable:
        rows.append((0, f"not applicable: {rubric.not_applicable}"))
    items = "".join(
        f"<li><b>{score}</b> \u2014 {esc(text.strip())}</li>" for score, text in rows
    )
    return (
        f'<div style="{_BOX}font-size:13px"><b>{esc(rubric.title)}</b> '
        f'<span style="color:#57606a">({esc(rubric.dimension)})</span>'
        f"<p>{esc(rubric.description.strip())}</p>"
        f'<ul style="padding-left:18px;margin:0">{items}</ul></div>'
    )


def render_judgment(judgment: Judgment | None) -> str:
    """The judge's score and rationale, or why there is none."""
    if judgment is None:
        return note("The judge has no verdict for this item.")
    if not judgment.ok:
        return note(f"The judge failed on this item: {judgment.error}")
    return (
        f'<div style="{_BOX}background:#f3f0ff"><b>Judge</b> '
        f'<span style="color:#57606a">{esc(judgment.judge_id)}</span>: '
        f"<b>{esc(judgment.score)}</b>"
        f'<div style="white-space:pre-wrap">{esc(judgment.rationale)}</div></div>'
    )


def render_disagreement(disagreement: Disagreement | None) -> str:
    """Every rater's score and rationale side by side, escaped; empty for None."""
    if disagreement is None:
        return ""
    boxes = "".join(
        f'<div class="memalign-rater" style="{_BOX}flex:1 1 220px;background:#f6f8fa">'
        f"<b>{esc(grade.rater)}</b>: <b>{'n/a' if grade.score == 0 else esc(grade.score)}</b>"
        f'<div style="white-space:pre-wrap">{esc(grade.rationale) or "<i>(no rationale)</i>"}'
        "</div></div>"
        for grade in disagreement.grades
    )
    return (
        f'<div class="memalign-raters"><b>Raters disagree</b> '
        f'<span style="color:#57606a">({esc(disagreement.pattern)}, {esc(disagreement.kind)})'
        f'</span><div style="display:flex;flex-wrap:wrap;gap:0 8px">{boxes}</div></div>'
    )


def render_saved(grade: Grade | None) -> str:
    """What this rater has saved for the item shown, or that it is not graded yet."""
    if grade is None:
        return '<span style="color:#57606a">Not graded yet.</span>'
    when = f" at {esc(grade.created_at)}" if grade.created_at else ""
    return (
        f'<span class="memalign-saved" style="color:{_STATUS_COLOURS["ok"]}">'
        f"\u2714 Saved: score <b>{esc(grade.score)}</b>{when}</span>"
    )


def render_progress(progress: Mapping[str, tuple[int, int]]) -> str:
    """Graded/total per dimension as compact chips with small bars, wrapping as needed."""
    chips = []
    for dimension, (graded, total) in progress.items():
        width = 100 * graded // total if total else 0
        chips.append(
            f"<span style='white-space:nowrap'>{esc(dimension)} "
            "<span style='display:inline-block;width:48px;height:7px;background:#eaeef2;"
            "vertical-align:middle'><span style='display:block;height:7px;"
            f"background:#2da44e;width:{width}%'></span></span> {graded}/{total}</span>"
        )
    return (
        "<div style='display:flex;flex-wrap:wrap;gap:2px 16px;font-size:12px;"
        f"line-height:1.6'>{''.join(chips)}</div>"
    )


def render_status(message: str, kind: str = "info") -> str:
    """A one-line status message; ``kind`` is ``info``, ``ok`` or ``error``."""
    colour = _STATUS_COLOURS.get(kind, _STATUS_COLOURS["info"])
    return (
        f'<div class="memalign-status memalign-status-{esc(kind)}" '
        f'style="color:{colour};white-space:pre-wrap;line-height:1.45">{esc(message)}</div>'
    )


def note(message: str) -> str:
    """A muted, escaped note."""
    return (
        '<div style="color:#57606a;font-style:italic;margin:4px 0;line-height:1.45">'
        f"{esc(message)}</div>"
    )
