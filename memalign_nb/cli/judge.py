"""``memalign-nb judge``: score a dataset with a judge, write JSONL, report agreement.

::

    memalign-nb judge DATASET [--model M] [--dimensions D ...] [--concurrency N] [--rps R]
                      [--base-url URL] [--out FILE] [--no-cache] [--strict] [--no-store]

Every judgment becomes one JSON line (:meth:`~memalign_nb.judges.base.Judgment.to_dict`),
saved to ``FILE.partial`` the moment it is made; ``FILE`` is replaced, whole, only when the
run is complete. A run that fails or is interrupted (Ctrl-C exits with code 130) leaves
``FILE`` as it was, and running the same command again resumes from ``FILE.partial``.
Notebooks that cannot be read are listed once and the others judged (``--strict`` stops
instead).
Where the dataset has human grades, a table per dimension follows: n (items the experts
marked applicable that the judge scored), MAE against the raters' median, mean signed error
(judge minus human; positive = lenient), exact agreement, and failures; then the calls,
cache hits, tokens and wall time of the run. Exits 1 when any judgment failed (run it again
to retry only those: the others come from the cache), 0 otherwise; 2 on a bad dataset (or,
with ``--strict``, an unreadable notebook).
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
from collections import Counter
from collections.abc import Sequence
from contextlib import ExitStack
from typing import Any

from memalign_nb.cli.options import (
    add_judge_command,
    dimension_list,
    judge_from_args,
    open_dataset,
    text_table,
)

logger = logging.getLogger(__name__)

_HEADERS = ("dimension", "judged", "n", "MAE", "signed", "exact", "failed")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``judge`` command."""

    parser = add_judge_command(
        subparsers, "judge", dimensions="all of the rubrics",
        help="score a dataset's notebooks with a judge and compare with human grades",
        description="Score every notebook of DATASET on each dimension, write the judgments "
        "as JSONL and, where human grades exist, print per dimension: n, MAE, mean signed "
        "error (judge minus human; positive = lenient), exact agreement and failures.",
    )
    parser.add_argument(
        "--include-facts",
        action="store_true",
        help="show the LLM the sectioner's static-analysis facts as hints",
    )
    parser.add_argument(
        "--out",
        default="judgments.jsonl",
        metavar="FILE",
        help="JSONL output, replaced only once the run is complete; judgments are saved "
        "to FILE.partial as they come, and a rerun resumes from it (default "
        "judgments.jsonl; '-' for standard output)",
    )
    parser.add_argument(
        "--rubrics",
        metavar="PATH",
        action="append",
        default=[],
        help="rubric file or folder overriding or adding dimensions (repeatable)",
    )
    parser.set_defaults(func=_judge)


def _judge(args: argparse.Namespace) -> int:
    from memalign_nb.dimensions import check_dimension
    from memalign_nb.judges.batch import run_batch_with_stats
    from memalign_nb.judges.journal import JudgmentJournal
    from memalign_nb.rubrics import load_rubrics

    rubrics = load_rubrics(args.rubrics)
    judge = judge_from_args(
        args,
        rubrics=rubrics if args.rubrics else None,
        include_facts=args.include_facts or None,
    )
    dimensions = dimension_list(args.dimensions) or judge.dimensions
    for dimension in dimensions:  # before the dataset is read or any model paid
        check_dimension(dimension, judge.dimensions)
    dataset = open_dataset(args, rubrics)
    report = sys.stderr if args.out == "-" else sys.stdout
    with ExitStack() as stack:
        journal = None
        if args.out != "-":
            try:  # opened before the batch, so an unwritable path fails before any model is paid
                journal = stack.enter_context(JudgmentJournal(args.out))
            except OSError as exc:
                print(
                    f"memalign-nb judge: error: cannot write {args.out}: {exc.strerror or exc}",
                    file=sys.stderr,
                )
                return 2
        try:
            result = run_batch_with_stats(
                judge,
                dataset.cases,
                dimensions,
                args.concurrency,
                progress=not args.no_progress,
                done=journal.resumable(judge.judge_id) if journal else None,
                on_judgment=journal.append if journal else None,
            )
        except KeyboardInterrupt:
            saved = f"{journal.saved} judgments are saved in {journal.partial}" if journal else (
                "nothing was written")
            print(
                f"\nmemalign-nb judge: interrupted; {saved}"
                + ("; run the same command again to resume" if journal else ""),
                file=sys.stderr,
            )
            return 130
        if journal is not None:
            journal.commit(result.judgments)
        else:
            sys.stdout.writelines(judgment.to_json_line() for judgment in result.judgments)
    print(
        f"judged {len(dataset.cases)} cases x {len(dimensions)} dimensions with "
        f"{judge.judge_id} -> {args.out}",
        file=report,
    )
    print(_agreement_table(result.judgments, dataset.feedback, dimensions), file=report)
    print(result.stats.summary(), file=report)
    failed = [j for j in result.judgments if not j.ok]
    for judgment in failed[:3]:
        print(f"failed: {judgment.case_id}/{judgment.dimension}: {judgment.error}", file=report)
    return 1 if failed else 0


def _agreement_table(
    judgments: Sequence[Any], grades: Sequence[Any], dimensions: Sequence[str]
) -> str:
    """Per-dimension agreement with the human grades (dashes where there are none)."""
    from memalign_nb.feedback import reference_scores
    from memalign_nb.study.metrics import agreement_metrics

    metrics = agreement_metrics(judgments, reference_scores(grades)) if grades else {}
    judged = Counter(j.dimension for j in judgments)
    failed = Counter(j.dimension for j in judgments if not j.ok)
    rows = []
    for dimension in dimensions:
        m = metrics.get(dimension)
        rows.append(
            [
                dimension,
                judged[dimension],
                m.n if m else 0,
                _fmt(m.mae if m else None),
                _fmt(m.signed_error if m else None, signed=True),
                _fmt(m.exact_agreement if m else None),
                failed[dimension],
            ]
        )
    table = text_table(_HEADERS, rows)
    if not grades:
        table += "\n(no human grades in the dataset: agreement columns are empty)"
    return table


def _fmt(value: float | None, *, signed: bool = False) -> str:
    if value is None or math.isnan(value):
        return "-"
    return f"{value:+.3f}" if signed else f"{value:.3f}"
