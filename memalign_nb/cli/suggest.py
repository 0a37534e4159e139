"""``memalign-nb suggest``: which ungraded items to grade next, most useful first.

::

    memalign-nb suggest DATASET [--n 20] [--judge REF] [--dimensions D ...]

Prints one row per suggested (notebook, dimension) item with its utility and the reasons a
grader reads (:func:`memalign_nb.align.suggest`). A judge that is not aligned (the default
``heuristic``) is aligned on the dataset's grades first; with no grades yet, the items are
ordered by novelty and diversity alone. Exits 2 on a bad dataset, judge or dimension.
"""

from __future__ import annotations

import argparse

from memalign_nb.cli.options import (
    add_dataset_arguments,
    add_dimensions_argument,
    add_model_server_arguments,
    add_progress_argument,
    dimension_list,
    judge_from_args,
    open_dataset,
    positive_int,
    text_table,
)

DEFAULT_N = 20
"""Suggestions printed unless ``--n`` says otherwise."""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``suggest`` command."""
    parser = subparsers.add_parser(
        "suggest",
        help="which ungraded items to grade next, most useful first",
        description="Rank the ungraded (notebook, dimension) items of DATASET by what their "
        "grades are expected to teach the aligned judge (the judge disagrees with its "
        "memories, no graded notebook is like it, its neighbours' grades split), with the "
        "reasons; a batch holds no near-duplicates.",
    )
    parser.add_argument("dataset", metavar="DATASET", help="the dataset folder")
    parser.add_argument("--n", type=positive_int, default=DEFAULT_N,
                        help=f"how many items to suggest (default {DEFAULT_N})")
    parser.add_argument(
        "--judge", default="heuristic", metavar="REF",
        help="the judge to teach: an aligned judge's folder or MLflow model URI, or a judge "
        "('heuristic', the default, or a model string) aligned on DATASET's grades first",
    )
    add_dimensions_argument(parser, "every dimension of the judge")
    add_progress_argument(parser)
    add_model_server_arguments(parser)
    add_dataset_arguments(parser)
    parser.set_defaults(func=run_suggest)


def run_suggest(args: argparse.Namespace) -> int:
    """The ``suggest`` command."""
    from memalign_nb.align.suggest import suggest

    judge = judge_from_args(args, args.judge)  # a bad reference fails before the dataset
    dataset = open_dataset(args)
    found = suggest(judge, dataset, n=args.n, dimensions=dimension_list(args.dimensions) or None,
                    progress=not args.no_progress)
    if not found:
        print(f"nothing to suggest: every item of {dataset.path} is graded")
        return 0
    rows = [[s.case_id, s.dimension, f"{s.utility:.2f}"] for s in found]
    lines = text_table(("notebook", "dimension", "utility"), rows).splitlines()
    print(f"{lines[0]}  why")  # the reasons left-aligned, after the table's columns
    for line, suggestion in zip(lines[1:], found, strict=True):
        print(f"{line}  {suggestion.reason}")
    print(f"{len(found)} items to grade next on {dataset.path}, most useful first "
          f"(grade them with `memalign-nb grade {args.dataset} --rater NAME`)")
    return 0
