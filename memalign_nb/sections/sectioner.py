"""Cut a notebook into one :class:`Section` per dimension: the cells a judge needs to see.

A judge scoring ``data_imputation`` should read the cells that handle missing values, not
the whole notebook: a median section is a fraction of the notebook (see
``bench/section_tokens.py``), which keeps prompts cheap and the evidence in focus.

Which cells a section shows:

* the code cells the classifier (:func:`~memalign_nb.sections.classify.classify_cell`)
  labels with the dimension, with their outputs, and the cells whose facts bear on it
  (a missing-value count for ``data_imputation``, a fitted transformer for
  ``feature_engineering``, a fit, search or cross-validation for ``model_training``, a
  prediction on non-training rows or a model load for ``model_use``, a metric, an MLflow
  call); an ``exploratory_data_analysis`` section leaves out cells that do other work
  and merely print a result (a training cell printing its score), keeping those that
  inspect data (``head``, ``describe``, ``value_counts``, missing-value counts, plots);
* context the dimension cannot be judged without (leakage is a matter of order):
  ``data_imputation`` and ``feature_engineering`` show where the train/test split happens,
  and the cells fitting a pipeline when their transformers are fitted inside one;
  ``model_training`` and ``metrics_evaluation`` show the split; ``model_use`` also shows
  every cell predicting on anything but training rows, and the cells fitting (or loading)
  the models that predict. Context cells are marked as such and shown without outputs;
* for every shown cell, the nearest markdown header above it (its header lines only);
* ``cell_organization`` is judged on the notebook's shape, not its code: its section is
  the outline of :mod:`memalign_nb.sections.organization`.

A section larger than its token budget is cut in this order, and the cuts are listed in
:attr:`Section.trimmed` and in a ``# Trimmed ...`` line of the text: outputs first (largest
first), then long code cells down to their first and last lines, then whole cells from the
end (context cells last).
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from memalign_nb.dimensions import DIMENSIONS
from memalign_nb.errors import UnknownNameError
from memalign_nb.notebooks.model import Cell, Notebook
from memalign_nb.rubrics.model import Rubric
from memalign_nb.sections.events import TRAIN, Event
from memalign_nb.sections.facts import NotebookFacts
from memalign_nb.sections.facts_cache import notebook_facts
from memalign_nb.sections.model import Section
from memalign_nb.sections.organization import render_outline
from memalign_nb.sections.tokens import count_tokens

logger = logging.getLogger(__name__)

_tokens = functools.lru_cache(maxsize=4096)(count_tokens)
"""Token counts of rendered cells, shared by the sections of a notebook."""

DEFAULT_TOKEN_BUDGET = 2500
"""Default token budget of one section.

Chosen with ``bench/section_tokens.py`` on the 60 real Kaggle notebooks of the corpus,
where a whole notebook (sources and output summaries) has a median of about 2,800 tokens
and sections, uncut, a median of about 600 and a 90th percentile of about 1,800. At 2,500
no section is larger than a typical whole notebook, while about 95% of sections are shown
whole; the rest lose outputs before any code.
"""

ALL_CELLS = "*"
"""The ``Rubric.cells_from`` entry that makes a custom dimension's section every cell."""

HEAD_LINES, TAIL_LINES = 12, 6
"""Lines a long code cell keeps at its start and end when the budget cuts it."""

MIN_HEAD_LINES, MIN_TAIL_LINES = 4, 2
"""Lines kept in the second, harder pass over code cells."""

OUTPUT_LINES, OUTPUT_CHARS = 15, 800
"""Most lines and characters of one cell's output a section shows (the rest is marked as
cut): enough for a metric, a shape or a missing-value count, not a whole table."""

LISTED_RUNS = 12
"""Runs of cell indices a trim note lists before it gives only their count."""

_JOIN_TOKENS = 1
"""Tokens of the blank line joining a block to the section, counted with the block."""

_CONTEXT_SPLIT = "context: train/test split"
_CONTEXT_PIPELINE = "context: pipeline fit"
_CONTEXT_FIT = "context: fit of the model that predicts"
_WORK_LABELS = frozenset({"data_imputation", "feature_engineering", "model_training",
                          "model_use", "metrics_evaluation", "mlflow_logging"})
_SPLIT_CONTEXT_DIMENSIONS = frozenset(
    {"data_imputation", "feature_engineering", "model_training", "metrics_evaluation"})


@dataclass
class _Block:
    """One cell in a section being rendered."""

    cell: Cell
    context: str = ""
    header_only: bool = False
    lines: list[str] = field(default_factory=list)
    output: str = ""

    def render(self) -> str:
        if self.header_only:
            return f"# [cell {self.cell.index}] markdown\n" + "\n".join(self.lines)
        note = f" ({self.context})" if self.context else ""
        text = f"# [cell {self.cell.index}] {self.cell.cell_type}{note}\n" + "\n".join(
            self.lines)
        if self.output:
            text += f"\n# [cell {self.cell.index}] output\n{self.output}"
        return text


def build_sections(
    notebook: Notebook,
    dimensions: Sequence[str] | None = None,
    *,
    rubrics: Mapping[str, Rubric] | None = None,
    token_budget: int = DEFAULT_TOKEN_BUDGET,
) -> dict[str, Section]:
    """Cut ``notebook`` into one section per dimension.

    Parameters
    ----------
    notebook : Notebook
        A loaded notebook (never executed).
    dimensions : sequence of str, optional
        Which dimensions; by default the nine built-in ones followed by any custom
        dimension in ``rubrics``.
    rubrics : mapping of str to Rubric, optional
        Rubrics by dimension; needed for custom dimensions (their ``cells_from`` says
        which cells to show).
    token_budget : int, default :data:`DEFAULT_TOKEN_BUDGET`
        Largest size of one section in tokens (see :func:`count_tokens`).

    Returns
    -------
    dict of str to Section
        In the order of ``dimensions``. The notebook is parsed and classified once, for
        all of them and for later calls (:mod:`memalign_nb.sections.facts_cache`).

    Raises
    ------
    memalign_nb.errors.UnknownNameError
        For a dimension that is neither built in nor in ``rubrics``, or a ``cells_from``
        entry that is not a built-in dimension.
    ValueError
        If ``token_budget`` is not positive.
    """
    rubrics = dict(rubrics or {})
    if dimensions is None:
        dimensions = [*DIMENSIONS, *(d for d in rubrics if d not in DIMENSIONS)]
    for dimension in dimensions:
        _sources(dimension, rubrics.get(dimension), rubrics)
    if token_budget <= 0:
        raise ValueError(f"token_budget must be positive, got {token_budget}")
    facts = notebook_facts(notebook)
    return {
        dimension: _section(notebook, facts, dimension, rubrics.get(dimension), token_budget)
        for dimension in dimensions
    }


def build_section(
    notebook: Notebook,
    dimension: str,
    *,
    rubric: Rubric | None = None,
    rubrics: Mapping[str, Rubric] | None = None,
    token_budget: int = DEFAULT_TOKEN_BUDGET,
) -> Section:
    """Cut the section of ``notebook`` that bears on one dimension.

    Parameters
    ----------
    notebook : Notebook
        A loaded notebook (never executed).
    dimension : str
        A built-in dimension id, or a custom one described by ``rubric``.
    rubric : Rubric, optional
        The dimension's rubric; a custom dimension needs one (its ``cells_from``).
    rubrics : mapping of str to Rubric, optional
        Rubrics by dimension, where ``rubric`` is looked up when not given.
    token_budget : int, default :data:`DEFAULT_TOKEN_BUDGET`
        Largest size of the section in tokens.

    Returns
    -------
    Section

    Raises
    ------
    memalign_nb.errors.UnknownNameError
        For an unknown dimension without a rubric.
    ValueError
        If ``token_budget`` is not positive.
    """
    if rubric is None and rubrics is not None:
        rubric = rubrics.get(dimension)
    extra = {dimension: rubric} if rubric is not None else None
    return build_sections(notebook, [dimension], rubrics=extra, token_budget=token_budget)[
        dimension]


def _sources(dimension: str, rubric: Rubric | None, rubrics: Mapping[str, Rubric]) -> tuple[
        str, ...]:
    """The built-in dimensions whose cells make up ``dimension``'s section."""
    if dimension in DIMENSIONS:
        return (dimension,)
    if rubric is None:
        raise UnknownNameError("dimension", dimension, (*DIMENSIONS, *rubrics))
    sources = rubric.cells_from or (ALL_CELLS,)
    for source in sources:
        if source != ALL_CELLS and source not in DIMENSIONS:
            raise UnknownNameError(f"cells_from entry of dimension {dimension!r}", source,
                                   (*DIMENSIONS, ALL_CELLS))
    if ALL_CELLS in sources:
        return (ALL_CELLS,)
    return tuple(dict.fromkeys(sources))


def _section(notebook: Notebook, facts: NotebookFacts, dimension: str, rubric: Rubric | None,
             budget: int) -> Section:
    sources = _sources(dimension, rubric, {})
    if sources == ("cell_organization",):
        title = f"# Section {dimension}: the shape of {_name(notebook)}"
        reserve = count_tokens(title) + count_tokens(_trim_line(["x" * 60], budget))
        text, cut = render_outline(facts.outline, budget - reserve)
        text = f"{title}\n{text}" + (f"\n{_trim_line([cut], budget)}" if cut else "")
        return Section(dimension, notebook.path, tuple(c.index for c in notebook.cells), text,
                       count_tokens(text), facts.for_dimension(dimension), (cut,) if cut else ())
    if sources == (ALL_CELLS,):
        shown = {cell.index: "" for cell in notebook.cells}
        fact_dims: Iterable[str] = DIMENSIONS
    else:
        shown = {}
        for source in sources:
            for index, note in _cells(facts, source).items():
                if not note or shown.get(index) == "":
                    shown[index] = ""  # relevant to one source: not mere context
                else:
                    shown.setdefault(index, note)
        fact_dims = sources
    merged: dict[str, object] = {}
    for source in fact_dims:
        merged.update(facts.for_dimension(source))
    full_markdown = sources == (ALL_CELLS,)
    blocks = _blocks(notebook, facts, shown, full_markdown=full_markdown)
    title_tokens = count_tokens(_title(dimension, notebook, blocks))
    available = budget - title_tokens
    # The blocks' counts are cached across dimensions; the whole text is counted only when
    # they say it may fit (a huge cell is not re-counted whole for every dimension).
    parts = title_tokens + sum(_tokens(b.render()) + _JOIN_TOKENS for b in blocks)
    text = "" if parts > 2 * budget else _render(dimension, notebook, blocks, [], budget)
    tokens = count_tokens(text) if text else parts
    trimmed: list[str] = []
    while tokens > budget and available > 0:
        # Token counts of the parts only roughly add up to the whole's: check, go again.
        blocks = _blocks(notebook, facts, shown, full_markdown=full_markdown)
        trimmed = _fit(blocks, available, budget)
        text = _render(dimension, notebook, blocks, trimmed, budget)
        tokens = count_tokens(text)
        available -= max(tokens - budget, 0)
    if not text:  # a budget smaller than the title: nothing could be trimmed to fit
        text = _render(dimension, notebook, blocks, trimmed, budget)
        tokens = count_tokens(text)
    indices = tuple(b.cell.index for b in blocks)
    return Section(dimension, notebook.path, indices, text, tokens, merged, tuple(trimmed))


def _render(dimension: str, notebook: Notebook, blocks: list[_Block], trimmed: list[str],
            budget: int) -> str:
    parts = [_title(dimension, notebook, blocks)]
    if trimmed:
        parts.append(_trim_line(trimmed, budget))
    return "\n\n".join([*parts, *(b.render() for b in blocks)])


def _title(dimension: str, notebook: Notebook, blocks: list[_Block]) -> str:
    if not blocks:
        return f"# Section {dimension}: no cell of {_name(notebook)} bears on it"
    return (f"# Section {dimension}: {sum(not b.header_only for b in blocks)} of "
            f"{len(notebook.cells)} cells of {_name(notebook)}")


def _name(notebook: Notebook) -> str:
    return re.split(r"[\\/]", notebook.path)[-1]


def _cells(facts: NotebookFacts, dimension: str) -> dict[int, str]:
    """Cell index -> "" for a relevant cell or the reason a context cell is shown."""
    cells = {c.index: "" for c in facts.outline.code if dimension in c.labels}
    if dimension == "exploratory_data_analysis":
        inspecting = {e.cell for e in facts.of("eda", "plot", "missing_check")}
        cells = {i: "" for i in cells if i in inspecting or not _WORK_LABELS & set(
            facts.outline.cells[i].labels)}
    cells.update((e.cell, "") for e in facts.events if _bears_on(e, dimension))
    if not cells:
        return {}
    context: dict[int, str] = {}
    if dimension in _SPLIT_CONTEXT_DIMENSIONS:
        context.update(dict.fromkeys(facts.split_cells, _CONTEXT_SPLIT))
    if dimension in ("data_imputation", "feature_engineering"):
        imputer = dimension == "data_imputation"
        for event in facts.of("transform"):
            if "in_pipeline" in event.flags and (event.group == "imputer") == imputer:
                context.setdefault(event.cell, _CONTEXT_PIPELINE)
    if dimension == "model_use":
        for event in facts.of("predict"):
            if event.cell in cells:
                context.update(dict.fromkeys(event.refs, _CONTEXT_FIT))
    for index, note in context.items():
        cells.setdefault(index, note)
    return dict(sorted(cells.items()))


def _bears_on(event: Event, dimension: str) -> bool:
    """Whether a fact makes its cell relevant to ``dimension`` (beyond the classifier)."""
    kind = event.kind
    if dimension == "data_imputation":
        return kind in ("missing_check", "missing_handling") or (
            kind == "transform" and event.group == "imputer")
    if dimension == "feature_engineering":
        return kind == "transform" and event.group != "imputer"
    if dimension == "model_training":
        return kind in ("fit", "tuning", "cv")
    if dimension == "model_use":  # predicting on anything but training rows is using it
        return (kind == "predict" and event.data != TRAIN) or kind == "model_load"
    return (dimension, kind) in (("metrics_evaluation", "metric"), ("mlflow_logging", "mlflow"))


def _blocks(notebook: Notebook, facts: NotebookFacts, shown: Mapping[int, str], *,
            full_markdown: bool) -> list[_Block]:
    shapes = facts.outline.cells
    headers: dict[int, int] = {}  # shown cell -> nearest markdown cell with a header above
    last_header = None
    for cell in notebook.cells:
        if shapes[cell.index].headers:
            last_header = cell.index
        if cell.index in shown and last_header is not None and last_header != cell.index:
            headers[cell.index] = last_header
    wanted = set(shown) | (set() if full_markdown else set(headers.values()))
    blocks = []
    for cell in notebook.cells:
        if cell.index not in wanted:
            continue
        if cell.index in shown and (cell.is_code or full_markdown):
            context = shown[cell.index]
            output = _short(cell.output_text.strip()) if cell.is_code and not context else ""
            blocks.append(_Block(cell, context, False, cell.source.rstrip().split("\n"),
                                 output))
        elif cell.is_markdown:
            lines = [f"{'#' * level} {text}" for level, text in shapes[cell.index].headers]
            blocks.append(_Block(cell, header_only=True, lines=lines))
    return blocks


def _short(output: str) -> str:
    """An output cut to :data:`OUTPUT_LINES` lines (head and tail) and :data:`OUTPUT_CHARS`."""
    lines = output.split("\n")
    if len(lines) > OUTPUT_LINES:
        tail = OUTPUT_LINES // 3
        lines = [*lines[:OUTPUT_LINES - tail], f"[... {len(lines) - OUTPUT_LINES} lines of "
                 "output cut ...]", *lines[-tail:]]
    text = "\n".join(lines)
    if len(text) > OUTPUT_CHARS:
        text = text[:OUTPUT_CHARS] + f" [... {len(text) - OUTPUT_CHARS:,} characters cut ...]"
    return text


def _fit(blocks: list[_Block], available: int, budget: int) -> list[str]:
    """Cut ``blocks`` in place until they and the notes fit ``available`` tokens.

    Returns what was cut, in words (the notes, whose line says ``budget`` and counts
    against ``available``). Linear in the number of blocks: sizes are kept as a running
    total, and the note line is only measured once the blocks alone fit.
    """
    sizes = {id(b): _tokens(b.render()) + _JOIN_TOKENS for b in blocks}
    total = sum(sizes.values())
    notes: list[str] = []

    def fits(extra: Callable[[], list[str]] = list) -> bool:
        if total > available:  # the notes only add to it
            return False
        return total + _tokens(_trim_line([*notes, *extra()], budget)) <= available

    def resize(block: _Block) -> None:
        nonlocal total
        size = _tokens(block.render()) + _JOIN_TOKENS
        total += size - sizes[id(block)]
        sizes[id(block)] = size

    removed = []
    for block in sorted((b for b in blocks if b.output), key=lambda b: -len(b.output)):
        if fits(lambda: [f"outputs of cells {_list(removed)} removed"] if removed else []):
            break
        block.output = ""
        resize(block)
        removed.append(block.cell.index)
    if removed:
        notes.append(f"outputs of cells {_list(removed)} removed")
    for head, tail in ((HEAD_LINES, TAIL_LINES), (MIN_HEAD_LINES, MIN_TAIL_LINES)):
        cut: list[int] = []
        note = f"cells {{}} cut to their first {head} and last {tail} lines"
        for block in sorted((b for b in blocks if not b.header_only),
                            key=lambda b: -sizes[id(b)]):
            if fits(lambda note=note, cut=cut: [note.format(_list(cut))] if cut else []):
                break
            if len(block.lines) > head + tail + 1:
                dropped = len(block.lines) - head - tail
                block.lines = [*block.lines[:head], f"# ... {dropped} lines cut ...",
                               *block.lines[-tail:]]
                resize(block)
                cut.append(block.cell.index)
        if cut:
            notes.append(note.format(_list(cut)))
    if fits():
        return notes
    omitted: list[int] = []
    gone: set[int] = set()
    for block in sorted(blocks, key=lambda b: (bool(b.context), -b.cell.index)):
        if len(blocks) - len(gone) == 1 or fits(
                lambda: [f"cells {_list(omitted)} omitted"] if omitted else []):
            break
        gone.add(id(block))
        total -= sizes.pop(id(block))
        omitted.append(block.cell.index)
    blocks[:] = [b for b in blocks if id(b) not in gone]
    if omitted:
        notes.append(f"cells {_list(omitted)} omitted")
    return notes


def _trim_line(trimmed: list[str], budget: int) -> str:
    return f"# Trimmed to fit {budget:,} tokens: " + "; ".join(trimmed) if trimmed else ""


def _list(indices: Iterable[int]) -> str:
    """``1, 3-6, 9``: cell indices, sorted, runs shortened, at most :data:`LISTED_RUNS` runs.

    A longer list keeps its first runs and the count: ``1, 3-6, ... (812 cells)``, so a
    note stays a line whatever the notebook's size.
    """
    ordered = sorted(indices)
    runs: list[list[int]] = []
    for index in ordered:
        if runs and index == runs[-1][-1] + 1:
            runs[-1].append(index)
        else:
            runs.append([index])
    text = ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 2 else ", ".join(map(str, r))
                     for r in runs[:LISTED_RUNS])
    return text if len(runs) <= LISTED_RUNS else f"{text}, ... ({len(ordered):,} cells)"
