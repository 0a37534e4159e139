"""Loading and sectioning throughput, and the memory it takes.

Two sets of notebooks, each read with :func:`memalign_nb.notebooks.read_notebooks` (nbformat
read, upgrade, validate, output summaries) and cut with
:func:`memalign_nb.sections.build_sections` (all nine dimensions):

* the real Kaggle notebooks of ``../shared/corpus/real`` (best of three passes);
* 5,000 generated notebooks (``generate_dataset``; 200 with ``--quick``), measured in a
  fresh child process so that its peak resident memory (``VmHWM``) is the pass's own: the
  peak, and its growth over the child's footprint after imports. All notebooks stay in
  memory, as :func:`~memalign_nb.notebooks.read_notebooks` returns them;
* the largest notebooks: the corpus's largest (by source lines), then two built from the
  corpus's own cells, one cell of 100,000 lines and 10,000 cells (20,000 and 2,000 with
  ``--quick``). Each is read and sectioned once with its limits raised above it, which
  shows how the cost grows, and once with the default
  :class:`~memalign_nb.notebooks.limits.NotebookLimits`, which refuse it at once.

Usage::

    python bench/throughput.py [--quick]
"""

from __future__ import annotations

import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from _common import CORPUS, Figures, bench_main, rounded, rss_mb

GENERATED = {False: 5000, True: 200}
"""Generated notebooks: full run, ``--quick``."""

LARGEST = {False: (100_000, 10_000), True: (20_000, 2_000)}
"""Lines of the one-cell notebook and cells of the many-cell one: full run, ``--quick``."""

FIGURES = tuple(
    f"throughput.{kind}.{name}"
    for kind in ("corpus", "generated")
    for name in ("notebooks", "failed", "load_per_s", "section_per_s", "notebooks_per_s")
) + ("throughput.generated.peak_rss_mb", "throughput.generated.rss_growth_mb") + tuple(
    f"throughput.largest.{kind}.{name}"
    for kind in ("corpus", "one_cell", "many_cells")
    for name in ("cells", "lines", "seconds", "refused_seconds")
)


def measure(folder: Path) -> dict[str, float]:
    """Read every notebook of ``folder`` and section each; times, counts and memory."""
    import memalign_nb.sections  # noqa: F401  (imports before the memory baseline)
    from memalign_nb.notebooks import read_notebooks
    from memalign_nb.sections import build_sections

    baseline = rss_mb()
    started = time.perf_counter()
    report = read_notebooks(folder)
    loaded = time.perf_counter()
    for notebook in report.notebooks:
        build_sections(notebook)
    done = time.perf_counter()
    return {
        "notebooks": len(report.notebooks),
        "failed": len(report.failures),
        "load_s": loaded - started,
        "section_s": done - loaded,
        "baseline_rss_mb": baseline,
        "peak_rss_mb": rss_mb(peak=True),
    }


def _rates(kind: str, m: dict[str, float]) -> Figures:
    n = m["notebooks"]
    return {
        f"throughput.{kind}.notebooks": n,
        f"throughput.{kind}.failed": m["failed"],
        f"throughput.{kind}.load_per_s": n / m["load_s"],
        f"throughput.{kind}.section_per_s": n / m["section_s"],
        f"throughput.{kind}.notebooks_per_s": n / (m["load_s"] + m["section_s"]),
    }


def run(quick: bool = False) -> Figures:
    """The throughput figures (see :data:`FIGURES`)."""
    from memalign_nb.datasets import generate_dataset, sample_path

    corpus = CORPUS if CORPUS.is_dir() else sample_path() / "notebooks"
    passes = [measure(corpus) for _ in range(1 if quick else 3)]
    best = min(passes, key=lambda m: m["load_s"] + m["section_s"])
    figures = _rates("corpus", best)
    with tempfile.TemporaryDirectory() as tmp:
        folder = generate_dataset(Path(tmp) / "generated", GENERATED[quick], seed=11)
        # A fresh process: its peak memory is this pass's, not the benches' before it.
        with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
            generated = pool.submit(measure, folder / "notebooks").result()
    figures |= _rates("generated", generated)
    figures["throughput.generated.peak_rss_mb"] = generated["peak_rss_mb"]
    figures["throughput.generated.rss_growth_mb"] = (
        generated["peak_rss_mb"] - generated["baseline_rss_mb"]
    )
    figures |= largest(corpus, *LARGEST[quick])
    return rounded(figures, 2)


def largest(corpus: Path, lines: int, cells: int) -> Figures:
    """Read-and-section time of the largest notebooks, within raised and default limits."""
    import json
    import warnings

    from memalign_nb.notebooks import read_notebook

    warnings.simplefilter("ignore")  # schema warnings of the corpus notebooks
    paths = sorted(corpus.glob("*.ipynb"))
    sources = {p: [c.source for c in read_notebook(p).cells if c.is_code] for p in paths}
    biggest = max(paths, key=lambda p: sum(s.count("\n") + 1 for s in sources[p]))
    code = [s for p in paths for s in sources[p]]
    all_cells = [c for p in paths for c in json.loads(p.read_text(encoding="utf-8"))["cells"]]
    text_lines = [line for s in code for line in s.split("\n")]
    built = {
        "one_cell": [{"cell_type": "code", "source": "\n".join(
            text_lines[i % len(text_lines)] for i in range(lines)), "metadata": {},
            "outputs": [], "execution_count": 1}],
        "many_cells": [all_cells[i % len(all_cells)] for i in range(cells)],
    }
    figures = _time_notebook("corpus", biggest)
    with tempfile.TemporaryDirectory() as tmp:
        for kind, notebook_cells in built.items():
            path = Path(tmp) / f"{kind}.ipynb"
            path.write_text(json.dumps({"cells": notebook_cells, "metadata": {},
                                        "nbformat": 4, "nbformat_minor": 4}))
            figures |= _time_notebook(kind, path)
    return figures


def _time_notebook(kind: str, path: Path) -> Figures:
    """Seconds to read and cut ``path`` within raised limits, and to be refused by default."""
    from memalign_nb.errors import NotebookLimitError
    from memalign_nb.notebooks import read_notebook
    from memalign_nb.notebooks.limits import NotebookLimits
    from memalign_nb.sections import build_sections

    roomy = NotebookLimits(max_bytes=2**31, max_cells=10**7, max_lines=10**8)
    started = time.perf_counter()
    notebook = read_notebook(path, limits=roomy)
    build_sections(notebook)
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    try:
        read_notebook(path)
        refused = None
    except NotebookLimitError:
        refused = time.perf_counter() - started
    prefix = f"throughput.largest.{kind}"
    return {f"{prefix}.cells": len(notebook.cells),
            f"{prefix}.lines": sum(c.source.count("\n") + 1 for c in notebook.cells),
            f"{prefix}.seconds": seconds, f"{prefix}.refused_seconds": refused}


if __name__ == "__main__":
    sys.exit(bench_main(run, __doc__, "200 generated notebooks"))
