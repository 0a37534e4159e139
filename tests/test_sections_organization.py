"""Tests for memalign_nb.sections.organization: the notebook outline for cell_organization."""

from __future__ import annotations

import pytest

from memalign_nb.notebooks.model import Cell, Notebook
from memalign_nb.sections.organization import (
    LONG_CELL_LINES,
    outline_notebook,
    render_outline,
)
from memalign_nb.sections.tokens import count_tokens

TRACEBACK = ("---------------------------------------------------------------------------\n"
             "ValueError                                Traceback (most recent call last)\n"
             "<ipython-input-3> in <module>\nValueError: Input contains NaN")


def notebook(*cells: tuple[str, str, int | None], outputs: dict[int, str] | None = None):
    outputs = outputs or {}
    return Notebook("nb.ipynb", tuple(
        Cell(i, kind, source, execution_count=count, output_text=outputs.get(i, ""))
        for i, (kind, source, count) in enumerate(cells)))


def test_measures_headers_lengths_and_ratio():
    long_code = "\n".join(f"x{i} = {i}" for i in range(LONG_CELL_LINES + 5))
    nb = notebook(
        ("markdown", "# Title\nintro\n## Data", None),
        ("code", "import pandas as pd\n\n\ndf = pd.read_csv('a.csv')", 1),
        ("markdown", "<h2>Model</h2>\n```\n# not a header\n```", None),
        ("code", long_code, 2),
        ("code", "", None),
    )
    facts = outline_notebook(nb, {1: frozenset({"library_installation"})}).as_facts()
    assert facts["cells"] == 5 and facts["code_cells"] == 2 and facts["markdown_cells"] == 2
    assert facts["markdown_ratio"] == 0.4
    assert facts["headers"] == 3 and facts["header_levels"] == [1, 2]
    assert facts["longest_code_lines"] == LONG_CELL_LINES + 5
    assert facts["median_code_lines"] == (2 + LONG_CELL_LINES + 5) / 2  # blank lines skipped
    assert facts["long_code_cells"] == 1 and facts["empty_code_cells"] == 1
    assert facts["execution_order"] == "in_order"


@pytest.mark.parametrize(("counts", "order"), [
    ((1, 2, 5), "in_order"),
    ((1, 3, 2), "out_of_order"),
    ((1, None, 2), "partially_run"),
    ((None, None, None), "not_run"),
    ((2, 2, 3), "out_of_order"),
])
def test_execution_order(counts, order):
    nb = notebook(*(("code", f"x = {i}", c) for i, c in enumerate(counts)))
    assert outline_notebook(nb).execution_order == order


def test_errors_and_multi_topic_cells():
    nb = notebook(("code", "model.fit(X, y)", 1), ("code", "print('no error here')", 2),
                  outputs={0: TRACEBACK, 1: "ValueError is a word here"})
    labels = {0: frozenset({"model_training", "metrics_evaluation", "feature_engineering"})}
    outline = outline_notebook(nb, labels)
    assert [c.error for c in outline.cells] == ["ValueError", None]
    assert outline.as_facts()["error_cells"] == [0]
    assert outline.as_facts()["multi_topic_cells"] == 1


def test_render_shows_shape_and_labels_but_no_code():
    nb = notebook(("markdown", "# Titanic", None),
                  ("code", "secret_variable = train_test_split(X)", 3),
                  outputs={1: TRACEBACK})
    text, trimmed = render_outline(outline_notebook(nb, {1: frozenset({"model_training"})}))
    assert not trimmed
    assert "[0] markdown  # Titanic" in text
    assert "[1] code  1 lines  [exec 3]  model_training  ERROR ValueError" in text
    assert "secret_variable" not in text
    assert "# Errors in outputs: cells 1 (ValueError)" in text


def test_render_collapses_runs_then_keeps_only_headers_to_fit():
    cells = []
    for section in range(10):
        cells.append(("markdown", f"## Part {section}", None))
        cells += [("code", f"x = {i}\ny = {i}", None) for i in range(8)]
    outline = outline_notebook(notebook(*cells))
    full, cut = render_outline(outline)
    assert not cut
    budget = count_tokens(full) // 2
    collapsed, cut = render_outline(outline, budget)
    assert cut == "runs of code cells collapsed to one line each"
    assert "[1-8] 8 code cells, 2-2 lines" in collapsed and count_tokens(collapsed) <= budget
    headers, cut = render_outline(outline, 250)
    assert cut == "only headers kept" and "code cells" not in headers.split("\n", 4)[-1]
    tiny, cut = render_outline(outline, 130)
    assert cut.startswith("only headers kept,") and count_tokens(tiny) <= 130
