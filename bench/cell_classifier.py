"""Benchmark :func:`memalign_nb.sections.classify.classify_cell` on hand-labelled cells.

The corpus is ``../shared/corpus/cells/jupylabel_train_cells.jsonl`` (relative to the repo
root): 2,504 code cells from public Kaggle notebooks, each labelled by the JupyLabel authors
with ML-pipeline activities. Activities are compared with dimensions as the corpus README
maps them:

=========  ===========================================  ==================================
activity   JupyLabel tags                               dimension(s) predicted
=========  ===========================================  ==================================
setup      setup_notebook                               library_installation
EDA        validate_data, visualize_data                exploratory_data_analysis
process    process_data                                 data_imputation or
                                                        feature_engineering
train      train_model                                  model_training
evaluate   evaluate_model                               metrics_evaluation
transfer   transfer_results                             model_use
=========  ===========================================  ==================================

``ingest_data`` (loading data) maps to no dimension and is not scored.

The split is by notebook, not by cell: the labelled cells are stored in notebook order,
so a random split of cells (or of small blocks) puts cells of one notebook, with its
dataset's column and variable names, on both sides and overstates F1 on unseen notebooks.
The first 60% of ids are the development part, the rules' reading material; the last 40%
are one contiguous held-out block (at most the one notebook at the boundary is shared).
The held-out F1 must reach :data:`TARGET_F1` for setup, EDA, process, train and evaluate;
the report says for each whether it does. A caveat: the rules written before this split
was adopted were developed on a seeded random half of 20-id blocks, about half of which
lie in today's held-out block; rules changed since are developed on the first 60% only.

``transfer`` is lower than the rest by design: the labellers tag ``transfer_results`` only
when results are written out, while ``model_use`` also covers predicting on new data
(``model.predict(test_df)``), which the labellers call evaluation.

The rules also run over every code cell of the 60 real notebooks of
``../shared/corpus/real`` (read with :func:`memalign_nb.notebooks.read_notebooks`), and the
report counts the cells on which :func:`~memalign_nb.sections.classify.classify_cell`
raised (it must never).

Usage::

    python bench/cell_classifier.py [--corpus PATH]
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.metrics import precision_recall_fscore_support

from memalign_nb.sections.classify import classify_cell
from memalign_nb.sections.source import parse_source

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
CELLS = "cells/jupylabel_train_cells.jsonl"

ACTIVITIES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    # activity: (JupyLabel tags, dimensions that count as predicting it)
    "setup": (frozenset({"setup_notebook"}), frozenset({"library_installation"})),
    "EDA": (
        frozenset({"validate_data", "visualize_data"}),
        frozenset({"exploratory_data_analysis"}),
    ),
    "process": (
        frozenset({"process_data"}),
        frozenset({"data_imputation", "feature_engineering"}),
    ),
    "train": (frozenset({"train_model"}), frozenset({"model_training"})),
    "evaluate": (frozenset({"evaluate_model"}), frozenset({"metrics_evaluation"})),
    "transfer": (frozenset({"transfer_results"}), frozenset({"model_use"})),
}
"""Each scored activity: the tags that mark it and the dimensions that predict it."""

HELD_OUT_SHARE = 0.4
"""Share of the labelled cells, the last ids, held out."""

TARGET_F1 = 0.85
"""F1 each targeted activity must reach on the held-out block."""

TARGETED = ("setup", "EDA", "process", "train", "evaluate")
"""Activities with a held-out target (``transfer`` is lower by design, see above)."""


def load_cells(path: Path) -> list[dict]:
    """Read the labelled cells: dicts with ``id``, ``source`` and ``tags``."""
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def split_cells(
    cells: Sequence[dict], held_out_share: float = HELD_OUT_SHARE
) -> tuple[list[dict], list[dict]]:
    """Split into (development, held-out): the first ids, and the last ``held_out_share``
    of them as one contiguous block (cells are stored in notebook order)."""
    ordered = sorted(cells, key=lambda cell: cell["id"])
    cut = round(len(ordered) * (1 - held_out_share))
    return ordered[:cut], ordered[cut:]


def indicator_matrices(
    cells: Sequence[dict], predictions: Sequence[frozenset[str]]
) -> tuple[np.ndarray, np.ndarray]:
    """Return (truth, predicted) 0/1 matrices, one column per activity."""
    truth = [[bool(tags & set(cell["tags"])) for tags, _ in ACTIVITIES.values()] for cell in cells]
    predicted = [[bool(dims & found) for _, dims in ACTIVITIES.values()] for found in predictions]
    return np.array(truth, dtype=int), np.array(predicted, dtype=int)


def scores(truth: np.ndarray, predicted: np.ndarray) -> dict[str, tuple[float, float, float, int]]:
    """Precision, recall, F1 and support per activity, plus ``micro`` and ``macro`` rows."""
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, predicted, zero_division=0
    )
    table = {
        name: (precision[i], recall[i], f1[i], int(support[i]))
        for i, name in enumerate(ACTIVITIES)
    }
    for average in ("micro", "macro"):
        p, r, f, _ = precision_recall_fscore_support(
            truth, predicted, average=average, zero_division=0
        )
        table[average] = (p, r, f, int(support.sum()))
    return table


def format_scores(title: str, table: dict[str, tuple[float, float, float, int]]) -> str:
    """Render one score table as text."""
    lines = [title, f"  {'activity':<9} {'precision':>9} {'recall':>7} {'F1':>6} {'support':>8}"]
    for name, (p, r, f, n) in table.items():
        lines.append(f"  {name:<9} {p:>9.3f} {r:>7.3f} {f:>6.3f} {n:>8d}")
    return "\n".join(lines)


def classify_real(folder: Path) -> tuple[int, list[str]]:
    """Classify every code cell of the notebooks in ``folder``: (cells, failures), each
    failure ``"<notebook> cell <i>: <error>"``."""
    from memalign_nb.notebooks import read_notebooks

    cells, failures = 0, []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the notebooks' schema problems are not figures
        notebooks = read_notebooks(folder).notebooks
    for notebook in notebooks:
        for cell in notebook.code_cells:
            cells += 1
            try:
                classify_cell(cell.source)
            except Exception as exc:  # the figure counts them; it must stay at zero
                failures.append(f"{Path(notebook.path).name} cell {cell.index}: "
                                f"{type(exc).__name__}: {exc}")
    return cells, failures


def measure(corpus: Path) -> dict:
    """Everything the report shows: timings, parse failures, the score table of all
    cells, of the development part and of the held-out block, and the real notebooks."""
    cells = load_cells(corpus / CELLS)
    start = time.perf_counter()
    by_id = {cell["id"]: classify_cell(cell["source"]) for cell in cells}
    elapsed = time.perf_counter() - start
    development, held_out = split_cells(cells)
    tables = {}
    for name, part in (("all", cells), ("development", development), ("held_out", held_out)):
        tables[name] = scores(*indicator_matrices(part, [by_id[c["id"]] for c in part]))
    real_cells, failures = classify_real(corpus / "real") if (corpus / "real").is_dir() else (
        0, [])
    return {
        "cells": len(cells), "seconds": elapsed, "tables": tables,
        "development_ids": (development[0]["id"], development[-1]["id"]),
        "held_out_ids": (held_out[0]["id"], held_out[-1]["id"]),
        "raw_failures": sum(1 for cell in cells if not _parses(cell["source"])),
        "still_failing": sum(1 for cell in cells if parse_source(cell["source"]).tree is None),
        "real_cells": real_cells, "real_failures": failures,
    }


def run(quick: bool = False) -> dict[str, float | int | str | None]:
    """The figures for ``bench/run_all.py`` (the same in quick mode: seconds): F1 per
    activity of the development part and the held-out block, and the real cells that
    made the classifier raise; None, with the reason, without the labelled corpus."""
    keys = [(part, name) for part in ("development", "held_out")
            for name in (*ACTIVITIES, "macro")]
    if not (CORPUS / CELLS).is_file():
        return {**{f"cell_classifier.{part}.{name}.f1": None for part, name in keys},
                "cell_classifier.real.cells": None, "cell_classifier.real.raised": None,
                "cell_classifier.skipped": f"labelled cells not found at {CORPUS / CELLS}"}
    result = measure(CORPUS)
    tables = result["tables"]
    return {**{f"cell_classifier.{part}.{name}.f1": round(float(tables[part][name][2]), 4)
               for part, name in keys},
            "cell_classifier.real.cells": result["real_cells"],
            "cell_classifier.real.raised": len(result["real_failures"])}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print its report; return the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="the shared corpus folder")
    args = parser.parse_args(argv)
    path = args.corpus / CELLS
    if not path.is_file():
        print(f"corpus not found: {path} (expected ../shared/corpus from the repo root)")
        return 1
    result = measure(args.corpus)
    n = result["cells"]
    print(f"{n} labelled cells from {path}")
    print(f"classified in {result['seconds']:.2f} s ({1000 * result['seconds'] / n:.2f} ms "
          "per cell)")
    print(f"AST parse failed on the raw source: {result['raw_failures']} cells; after "
          f"setting IPython magics aside: {result['still_failing']} (read line by line)")
    (d0, d1), (h0, h1) = result["development_ids"], result["held_out_ids"]
    for title, name in (
        ("all cells", "all"),
        (f"development part (ids {d0}-{d1}, read while writing rules)", "development"),
        (f"held-out block (ids {h0}-{h1}, the last {HELD_OUT_SHARE:.0%}, contiguous)",
         "held_out"),
    ):
        print()
        print(format_scores(title, result["tables"][name]))
    print()
    held = result["tables"]["held_out"]
    for name in TARGETED:
        f1 = held[name][2]
        print(f"target held-out F1 {name} >= {TARGET_F1}: {f1:.3f} -> "
              f"{'met' if f1 >= TARGET_F1 else 'NOT met'}")
    print()
    failures = result["real_failures"]
    print(f"real notebooks: {result['real_cells']} code cells classified, "
          f"{len(failures)} raised" + ("".join(f"\n  {f}" for f in failures[:20])))
    return 0


def _parses(source: str) -> bool:
    """Whether the raw source, magics and all, is valid Python 3."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ast.parse(source)
        except (SyntaxError, ValueError, RecursionError):
            return False
    return True


if __name__ == "__main__":
    sys.exit(main())
