"""``memalign-nb align`` and ``memalign-nb score``: align a judge, then score with it.

::

    memalign-nb align DATASET [--model JUDGE] [--k 5] [--no-semantic] [--no-episodic]
                      [--policy all|disagreements] [--dimensions D ...] [--out JUDGE_DIR]
    memalign-nb score JUDGE NOTEBOOK_OR_DIR... [--dimensions D ...] [--out FILE]

``align`` fits MemAlign on every human grade of DATASET, saves the aligned judge to
JUDGE_DIR (default ``aligned-judge``) and prints, per dimension, the graded items, the
examples stored and the guidelines learned. ``score`` scores notebooks (files, or folders
of ``*.ipynb``) with any judge reference (:mod:`memalign_nb.integrations.judge_refs`),
typically the folder ``align`` wrote; a notebook that cannot be read is reported
and the others are scored. Its table shows one row per notebook and one column per
dimension (``-`` for a failed judgment); ``--out`` also writes every judgment as a JSON
line. Its table shows every dimension by its full name and marks with ``*`` the ones the
judge was aligned on (the others are the base judge's scores). Both exit 2 on a bad dataset
or judge directory; ``score`` exits 1 when a notebook could not be read or a judgment
failed, 0 otherwise.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from memalign_nb.cli.options import (
    add_batch_arguments,
    add_dimensions_argument,
    add_judge_command,
    add_limit_arguments,
    add_model_server_arguments,
    dimension_list,
    judge_from_args,
    memory_options,
    notebook_limits,
    open_dataset,
    text_table,
)

logger = logging.getLogger(__name__)

DEFAULT_JUDGE_DIR = "aligned-judge"
"""Where ``memalign-nb align`` saves the judge unless ``--out`` says otherwise."""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``align`` and ``score`` commands."""
    from memalign_nb.align import EPISODIC_POLICIES

    align = add_judge_command(
        subparsers, "align", judge="the judge to align", memory=True,
        help="align a judge with a dataset's human grades and save it",
        description="Fit MemAlign on every human grade of DATASET: semantic memory "
        "(guidelines, or rules over static facts for the heuristic judge) and episodic "
        "memory (graded examples), per dimension; save the aligned judge to --out.",
    )
    align.add_argument("--no-semantic", action="store_true", help="no semantic memory")
    align.add_argument("--no-episodic", action="store_true", help="no episodic memory")
    align.add_argument(
        "--policy",
        choices=EPISODIC_POLICIES,
        default="all",
        help="examples to store: all, or only where the judge disagreed "
        "with the experts (default all)",
    )
    align.add_argument(
        "--out",
        default=DEFAULT_JUDGE_DIR,
        metavar="JUDGE_DIR",
        help=f"where to save the judge (default {DEFAULT_JUDGE_DIR})",
    )
    align.add_argument(
        "--overwrite", action="store_true", help="replace a judge already saved in --out"
    )
    score = subparsers.add_parser(
        "score",
        help="score notebooks with a saved aligned judge",
        description="Load the judge saved in JUDGE_DIR and score each notebook on each "
        "dimension; unreadable notebooks are reported and the rest scored.",
    )
    score.add_argument(
        "judge",
        metavar="JUDGE",
        help="the judge: a folder `align` wrote, another saved judge or MLflow model URI, "
        "'heuristic' or a LangChain model string",
    )
    score.add_argument(
        "paths", nargs="+", metavar="NOTEBOOK_OR_DIR", help="notebook files or folders of notebooks"
    )
    add_dimensions_argument(score, "every dimension of the judge")
    score.add_argument(
        "--out", metavar="FILE", help="also write the judgments as JSONL ('-' for standard output)"
    )
    add_batch_arguments(score)
    add_model_server_arguments(score)
    add_limit_arguments(score)
    align.set_defaults(func=run_align)
    score.set_defaults(func=run_score)


def run_align(args: argparse.Namespace) -> int:
    """The ``align`` command."""
    from memalign_nb.align import MemAlign
    from memalign_nb.align.persistence import check_target

    check_target(args.out, args.overwrite)  # before paying for any judgment
    judge = judge_from_args(args)  # a bad name is refused before the dataset is read
    dataset = open_dataset(args)
    started = time.perf_counter()
    aligned = MemAlign(
        semantic=not args.no_semantic,
        episodic=not args.no_episodic,
        episodic_policy=args.policy,
        **memory_options(args),
    ).fit(judge, dataset)
    root = aligned.save(args.out, overwrite=args.overwrite)
    summary = aligned.summary()
    rows = [[d, s["items"], s["examples"], s["guidelines"]] for d, s in summary.items()]
    totals = [sum(row[i] for row in rows) for i in (1, 2, 3)]
    print(
        f"aligned {aligned.base_judge.judge_id} ({aligned.engine.name} engine) on "
        f"{len(dataset.cases)} cases, {len(aligned.grades_)} grades in "
        f"{time.perf_counter() - started:.1f} s"
    )
    print(text_table(("dimension", "items", "examples", "guidelines"), [*rows, ["total", *totals]]))
    print(f"saved to {root}  (read the guidelines in {root / 'guidelines.md'})")
    return 0


def run_score(args: argparse.Namespace) -> int:
    """The ``score`` command."""
    from memalign_nb.atomic import atomic_write
    from memalign_nb.dimensions import check_dimension
    from memalign_nb.notebooks import read_notebooks

    judge = judge_from_args(args, args.judge)
    dimensions = dimension_list(args.dimensions) or judge.dimensions
    for dimension in dimensions:
        check_dimension(dimension, judge.dimensions)
    folder = Path(args.out or ".").absolute().parent
    if args.out not in (None, "-") and not (folder.is_dir() and os.access(folder, os.W_OK)):
        print(f"memalign-nb score: error: cannot write {args.out}: {folder} is not a "
              "writable folder", file=sys.stderr)  # said before any judgment is paid for
        return 2
    report = read_notebooks(
        [Path(p) for p in args.paths], limits=notebook_limits(args), progress=not args.no_progress
    )
    for failure in report.failures:
        print(f"memalign-nb score: skipped {failure}", file=sys.stderr)
    cases = _cases(report.notebooks)
    judgments = judge.score_many(
        cases, dimensions, concurrency=args.concurrency, progress=not args.no_progress
    )
    table_to = sys.stderr if args.out == "-" else sys.stdout
    if args.out == "-":
        sys.stdout.writelines(j.to_json_line() for j in judgments)
    elif args.out:
        lines = "".join(j.to_json_line() for j in judgments)
        try:  # replaced whole, and only now: a failed run leaves the old file
            atomic_write(args.out, lambda handle: handle.write(lines))
        except OSError as exc:
            print(f"memalign-nb score: error: cannot write {args.out}: {exc.strerror or exc}",
                  file=sys.stderr)
            return 2
    aligned = set(getattr(judge, "aligned_dimensions", ()))
    print(_score_table(judgments, [c.case_id for c in cases], dimensions, aligned),
          file=table_to)
    failed = [j for j in judgments if not j.ok]
    for judgment in failed[:3]:
        print(f"failed: {judgment.case_id}/{judgment.dimension}: {judgment.error}", file=sys.stderr)
    print(
        f"scored {len(cases)} notebooks x {len(dimensions)} dimensions with "
        f"{judge.judge_id}; {len(failed)} judgments failed, {len(report.failures)} "
        f"notebooks unreadable" + (f" -> {args.out}" if args.out else ""),
        file=table_to,
    )
    return 1 if failed or report.failures else 0


def _cases(notebooks: Sequence[Any]) -> list[Any]:
    """One case per notebook: its file stem, or its path where two stems collide."""
    from collections import Counter

    from memalign_nb.datasets.model import Case

    stems = Counter(Path(nb.path).stem for nb in notebooks)
    return [
        Case(Path(nb.path).stem if stems[Path(nb.path).stem] == 1 else nb.path, nb)
        for nb in notebooks
    ]


def _score_table(
    judgments: Sequence[Any], case_ids: Sequence[str], dimensions: Sequence[str],
    aligned: set[str],
) -> str:
    """One row per notebook, one column per dimension (full names; ``*`` = aligned)."""
    scores = {(j.case_id, j.dimension): j.score if j.ok else "-" for j in judgments}
    rows = [[case_id, *(scores.get((case_id, d), "-") for d in dimensions)] for case_id in case_ids]
    headers = ("notebook", *(f"{d}*" if d in aligned else d for d in dimensions))
    shown = [d for d in dimensions if d in aligned]
    legend = (f"* aligned with expert memory: {', '.join(shown)}; the others are scored by "
              "the base judge alone" if shown else "no dimension shown is aligned: every score "
              "is the base judge's alone")
    return text_table(headers, rows) + "\n" + legend
