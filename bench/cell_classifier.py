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

How the rules were kept from fitting these cells: before any rule was written the cells
were cut into blocks of 20 consecutive ids (consecutive cells come from the same notebook,
so a notebook's cells, with their dataset's column and variable names, stay together) and a
seeded random half of the blocks was set aside. Rules were developed by reading only the
other half ("development"); the held-out half was scored after the rules were written and
its cells were never read. Both halves are reported; a large gap would mean over-fitting.

``transfer`` is lower than the rest by design: the labellers tag ``transfer_results`` only
when results are written out, while ``model_use`` also covers predicting on new data
(``model.predict(test_df)``), which the labellers call evaluation.

Usage::

    python bench/cell_classifier.py [--corpus PATH] [--seed N]
"""

from __future__ import annotations

import argparse
import ast
import json
import random
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

SPLIT_SEED = 2403
SPLIT_BLOCK = 20


def load_cells(path: Path) -> list[dict]:
    """Read the labelled cells: dicts with ``id``, ``source`` and ``tags``."""
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def split_cells(
    cells: Sequence[dict], seed: int = SPLIT_SEED, block: int = SPLIT_BLOCK
) -> tuple[list[dict], list[dict]]:
    """Split into (development, held-out) halves by seeded random blocks of ``block`` ids."""
    blocks = sorted({cell["id"] // block for cell in cells})
    held = set(random.Random(seed).sample(blocks, len(blocks) // 2))
    development = [cell for cell in cells if cell["id"] // block not in held]
    held_out = [cell for cell in cells if cell["id"] // block in held]
    return development, held_out


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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print its report; return the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="the shared corpus folder")
    parser.add_argument("--seed", type=int, default=SPLIT_SEED, help="seed of the split")
    args = parser.parse_args(argv)
    path = args.corpus / CELLS
    if not path.is_file():
        print(f"corpus not found: {path} (expected ../shared/corpus from the repo root)")
        return 1
    cells = load_cells(path)
    start = time.perf_counter()
    predictions = [classify_cell(cell["source"]) for cell in cells]
    elapsed = time.perf_counter() - start
    by_id = dict(zip((cell["id"] for cell in cells), predictions, strict=True))

    raw_failures = sum(1 for cell in cells if not _parses(cell["source"]))
    still_failing = sum(1 for cell in cells if parse_source(cell["source"]).tree is None)
    print(f"{len(cells)} labelled cells from {path}")
    print(f"classified in {elapsed:.2f} s ({1000 * elapsed / len(cells):.2f} ms per cell)")
    print(f"AST parse failed on the raw source: {raw_failures} cells; after setting IPython "
          f"magics aside: {still_failing} (read line by line)")
    development, held_out = split_cells(cells, seed=args.seed)
    for title, part in (
        ("all cells", cells),
        (f"development half ({len(development)} cells, read while writing rules)", development),
        (f"held-out half ({len(held_out)} cells, never read; seed {args.seed})", held_out),
    ):
        truth, predicted = indicator_matrices(part, [by_id[cell["id"]] for cell in part])
        print()
        print(format_scores(title, scores(truth, predicted)))
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
