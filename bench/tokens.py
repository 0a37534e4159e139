"""Tokens per judgment: the sectioned prompt against the whole notebook, per dimension.

For every real Kaggle notebook of ``../shared/corpus/real`` (the bundled sample when the
corpus is absent) and every dimension, the prompt an :class:`~memalign_nb.judges.LLMJudge`
sends (system text with the rubric, plus the dimension's section) is counted, next to the
same prompt carrying the whole notebook instead of the section (every cell's source and
output summary, headed as the sectioner heads them): what a judge that reads the notebook
unsectioned would send. Tokens are :func:`memalign_nb.sections.count_tokens`. Reported per
dimension: the median of each, and the ratio of the totals (what a batch pays).

Usage::

    python bench/tokens.py [--quick]
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Mapping
from pathlib import Path
from statistics import median
from typing import TYPE_CHECKING

from _common import CORPUS, Figures, bench_main, rounded

from memalign_nb.dimensions import DIMENSIONS

if TYPE_CHECKING:
    from memalign_nb.datasets import Case
    from memalign_nb.notebooks import Notebook
    from memalign_nb.rubrics import Rubric

QUICK_NOTEBOOKS = 12
"""Notebooks read with ``--quick``."""

FIGURES = tuple(
    f"tokens.{dim}.{name}" for dim in (*DIMENSIONS, "all")
    for name in ("section_median", "whole_median", "ratio")
)


def whole_text(notebook: Notebook) -> str:
    """Every cell of ``notebook`` as a judge reading it unsectioned would see it."""
    blocks = []
    for cell in notebook.cells:
        text = f"# [cell {cell.index}] {cell.cell_type}\n{cell.source}"
        if cell.output_text:
            text += f"\n# [cell {cell.index}] output\n{cell.output_text}"
        blocks.append(text)
    return "\n\n".join(blocks)


def prompt_tokens(
    notebook: Notebook, task: str, rubrics: Mapping[str, Rubric]
) -> dict[str, tuple[int, int]]:
    """Per dimension, tokens of the judge prompt with the section and with the whole notebook.

    The prompts are :func:`memalign_nb.judges.prompts.build_prompt`'s, as
    :meth:`~memalign_nb.judges.LLMJudge.build_prompt` builds them (no facts, no memory).
    """
    from memalign_nb.judges.prompts import build_prompt
    from memalign_nb.sections import build_sections, count_tokens

    text = whole_text(notebook)
    every_cell = tuple(cell.index for cell in notebook.cells)
    counts = {}
    for dimension, section in build_sections(notebook, DIMENSIONS).items():
        whole = dataclasses.replace(section, text=text, cell_indices=every_cell,
                                    tokens=count_tokens(text), trimmed=())
        counts[dimension] = tuple(
            sum(count_tokens(part) for _, part in build_prompt(
                rubrics[dimension], shown, task=task).pairs())
            for shown in (section, whole)
        )
    return counts


def cases(quick: bool) -> list[Case]:
    """The real notebooks as cases (the bundled sample's when the corpus is absent)."""
    from memalign_nb.datasets import Case, load_dataset, sample_path
    from memalign_nb.notebooks import read_notebooks

    if not CORPUS.is_dir():
        found = list(load_dataset(sample_path()).cases)
    else:
        report = read_notebooks(CORPUS)
        found = [Case(Path(nb.path).stem, nb) for nb in report.notebooks]
    return found[:QUICK_NOTEBOOKS] if quick else found


def run(quick: bool = False) -> Figures:
    """The token figures (see :data:`FIGURES`)."""
    from memalign_nb.rubrics import load_rubrics

    rubrics = load_rubrics()
    counts = [prompt_tokens(case.notebook, case.prompt, rubrics) for case in cases(quick)]
    figures: Figures = {}
    for dimension in DIMENSIONS:
        figures |= _row(dimension, [c[dimension] for c in counts])
    figures |= _row("all", [pair for c in counts for pair in c.values()])
    return rounded(figures, 3)


def _row(name: str, pairs: list[tuple[int, int]]) -> Figures:
    sectioned, whole = zip(*pairs, strict=True)
    return {
        f"tokens.{name}.section_median": median(sectioned),
        f"tokens.{name}.whole_median": median(whole),
        f"tokens.{name}.ratio": sum(sectioned) / sum(whole),
    }


if __name__ == "__main__":
    sys.exit(bench_main(run, __doc__, f"{QUICK_NOTEBOOKS} notebooks"))
