"""Loading and sectioning throughput, and the memory it takes.

Two sets of notebooks, each read with :func:`memalign_nb.notebooks.read_notebooks` (nbformat
read, upgrade, validate, output summaries) and cut with
:func:`memalign_nb.sections.build_sections` (all nine dimensions):

* the real Kaggle notebooks of ``../shared/corpus/real`` (best of three passes);
* 5,000 generated notebooks (``generate_dataset``; 200 with ``--quick``), measured in a
  fresh child process so that its peak resident memory (``VmHWM``) is the pass's own: the
  peak, and its growth over the child's footprint after imports. All notebooks stay in
  memory, as :func:`~memalign_nb.notebooks.read_notebooks` returns them.

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

FIGURES = tuple(
    f"throughput.{kind}.{name}"
    for kind in ("corpus", "generated")
    for name in ("notebooks", "failed", "load_per_s", "section_per_s", "notebooks_per_s")
) + ("throughput.generated.peak_rss_mb", "throughput.generated.rss_growth_mb")


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
    return rounded(figures, 2)


if __name__ == "__main__":
    sys.exit(bench_main(run, __doc__, "200 generated notebooks"))
