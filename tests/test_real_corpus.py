"""Real Kaggle notebooks (../shared/corpus/real) load, and cut into sections, without error."""

from __future__ import annotations

import warnings

from memalign_nb import MemAlignWarning, read_notebook, read_notebooks
from memalign_nb.notebooks.outputs import DEFAULT_MAX_CHARS


def read_all(paths):
    """Every corpus notebook, with schema warnings (expected on a few files) silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MemAlignWarning)
        return [read_notebook(path) for path in paths]


def test_every_real_notebook_loads(real_notebook_paths):
    failures = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MemAlignWarning)
        for path in real_notebook_paths:
            try:
                notebook = read_notebook(path)
            except Exception as exc:  # collect every failure, then report
                failures.append(f"{path.name}: {type(exc).__name__}: {exc}")
                continue
            assert notebook.cells, path.name
            assert [cell.index for cell in notebook.cells] == list(range(len(notebook.cells)))
            assert notebook.code_cells, f"{path.name} has no code cell"
            assert all(len(c.output_text) <= DEFAULT_MAX_CHARS for c in notebook.cells)
    assert not failures, "\n".join(failures)


def test_the_corpus_folder_reads_as_one_batch(corpus_dir, real_notebook_paths):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MemAlignWarning)
        report = read_notebooks(corpus_dir / "real")
    assert report.ok, report.summary()
    assert [notebook.path for notebook in report.notebooks] == [
        str(path) for path in real_notebook_paths
    ]
    stored = sum(cell.output_bytes for nb in report.notebooks for cell in nb.cells)
    shown = sum(len(cell.output_text) for nb in report.notebooks for cell in nb.cells)
    assert shown < stored / 4  # plots and HTML tables stay out of the text


def test_every_real_notebook_cuts_into_sections(real_notebook_paths):
    from memalign_nb.sections import build_sections

    problems = []
    for notebook in read_all(real_notebook_paths):
        sections = build_sections(notebook)
        assert sections, notebook.path
        for dimension, section in sections.items():
            where = f"{notebook.path} [{dimension}]"
            if not isinstance(section.text, str):
                problems.append(f"{where}: text is {type(section.text).__name__}")
            if not (isinstance(section.tokens, int) and section.tokens >= 0):
                problems.append(f"{where}: tokens = {section.tokens!r}")
            bad = [i for i in section.cell_indices if not 0 <= i < len(notebook.cells)]
            if bad:
                problems.append(f"{where}: cell indices out of range: {bad}")
            if section.dimension != dimension or section.notebook_path != notebook.path:
                problems.append(f"{where}: labelled {section.dimension} / {section.notebook_path}")
    assert not problems, "\n".join(problems[:20])
