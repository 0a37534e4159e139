"""``memalign-nb dataset``: check a dataset folder, summarise its grades, export its store.

``memalign-nb dataset validate DATASET`` prints every problem as ``file:line: message`` and
exits 1 when there is any; ``memalign-nb dataset stats DATASET`` prints the cases, raters,
score distribution per dimension and the human inter-rater agreement, counting the grades
of ``feedback.jsonl`` and of the dataset's feedback store (``DATASET/feedback.sqlite``, or
``--store``), whose current grades win over the file's for the same rater and item, as in
every command (:func:`~memalign_nb.datasets.load_dataset` decides);
``memalign-nb dataset stats DATASET --disagreements`` adds, per dimension, the ways raters
split (``1 vs n/a`` on 17 of 60 items) and the open items with each rater's score and
rationale side by side (:mod:`memalign_nb.feedback.disagreements`);
``memalign-nb dataset export DATASET --out FILE`` writes the store's grades as JSONL (or
CSV, by the file's suffix).
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import textwrap
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from memalign_nb.cli.options import (
    add_dataset_arguments,
    add_limit_arguments,
    notebook_limits,
    open_dataset,
    positive_int,
    text_table,
)

if TYPE_CHECKING:
    from memalign_nb.feedback import Disagreement, Grade
    from memalign_nb.rubrics import Rubric

logger = logging.getLogger(__name__)

_STATS_HEADERS = (
    "dimension",
    "grades",
    "0 (n/a)",
    "1",
    "2",
    "3",
    "cases",
    "2+ raters",
    "rater MAE",
    "exact",
    "n/a agree",
    "alpha",
)
_PATTERN_HEADERS = ("dimension", "raters split", "kind", "items of 2+ raters", "open")
_RATIONALE_LINES = 4  # per rater and item, unless --full
_COLUMN_GAP = " | "


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``dataset`` command and its ``validate`` and ``stats`` sub-commands."""
    parser = subparsers.add_parser(
        "dataset",
        help="validate a dataset folder or summarise its grades",
        description="Check a dataset folder (notebooks/, cases.jsonl, feedback.jsonl) "
        "or summarise its human grades.",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    validate = actions.add_parser(
        "validate",
        help="list every problem (file:line: message); exit 1 if there is any",
        description="List every problem in the dataset, one per line as file:line: message. "
        "Exits 1 when there are problems, 0 otherwise.",
    )
    stats = actions.add_parser(
        "stats",
        help="cases, raters, score distribution and inter-rater agreement per dimension",
        description="Summarise the dataset: cases, raters, the score distribution per "
        "dimension and how closely the raters agree: MAE and exact agreement over rater "
        "pairs that both found the item applicable, agreement on applicability (0 vs 1-3), "
        "and ordinal Krippendorff's alpha.",
    )
    export = actions.add_parser(
        "export",
        help="write the grades of the dataset's feedback store as JSONL or CSV",
        description="Write the current grades of the feedback store (DATASET/feedback.sqlite, "
        "or --store) to --out, atomically: JSONL, or CSV when the file ends in .csv; '-' "
        "writes JSONL to standard output. --history writes every version of every grade.",
    )
    for sub, func in ((validate, _validate), (stats, _stats), (export, _export)):
        sub.add_argument("dataset", metavar="DATASET", help="the dataset folder")
        sub.add_argument(
            "--rubrics",
            metavar="PATH",
            action="append",
            default=[],
            help="rubric file or folder adding custom dimensions (repeatable)",
        )
        sub.set_defaults(func=func)
    add_limit_arguments(validate)
    add_dataset_arguments(stats)
    stats.add_argument(
        "--disagreements",
        action="store_true",
        help="also list, per dimension, how raters split and the open items they disagree "
        "on, with each rater's score and rationale side by side",
    )
    stats.add_argument(
        "--limit",
        type=positive_int,
        metavar="N",
        help="with --disagreements: at most N items per dimension (default all)",
    )
    stats.add_argument(
        "--full",
        action="store_true",
        help=f"with --disagreements: whole rationales (default: {_RATIONALE_LINES} lines each)",
    )
    export.add_argument(
        "--store", metavar="FILE", help="the feedback store (default DATASET/feedback.sqlite)"
    )
    export.add_argument(
        "--out", default="-", metavar="FILE", help="where to write (default '-', standard output)"
    )
    export.add_argument(
        "--history", action="store_true", help="every version of every grade, oldest first"
    )


def _validate(args: argparse.Namespace) -> int:
    from memalign_nb.datasets import load_dataset, validate_dataset

    rubrics, limits = _rubrics(args), notebook_limits(args)
    problems = validate_dataset(args.dataset, rubrics=rubrics, limits=limits)
    for problem in problems:
        print(problem)
    if problems:
        count = len(problems)
        print(f"{count} problem{'s' if count != 1 else ''} in {args.dataset}")
        return 1
    dataset = load_dataset(args.dataset, rubrics=rubrics, limits=limits)
    print(f"ok: {len(dataset.cases)} cases, {len(dataset.feedback)} grades")
    return 0


def _stats(args: argparse.Namespace) -> int:
    from memalign_nb.datasets.loader import FEEDBACK_FILE
    from memalign_nb.errors import ParameterError
    from memalign_nb.feedback import is_adjudicator, noise_floor

    for option, value in (("--limit", args.limit), ("--full", args.full)):
        if value and not args.disagreements:
            raise ParameterError(option, value, "lists disagreements; add --disagreements")
    rubrics = _rubrics(args)
    dataset = open_dataset(args, rubrics)
    grades = list(dataset.feedback)
    task_types = Counter(case.task_type or "unknown" for case in dataset.cases)
    raters = sorted({g.rater for g in grades if not is_adjudicator(g.rater)})
    adjudicators = sorted({g.rater for g in grades if is_adjudicator(g.rater)})
    print(f"dataset  {dataset.path}")
    print(f"cases    {len(dataset.cases)} ({_counts(task_types)})")
    also = f" (and {', '.join(adjudicators)})" if adjudicators else ""
    print(f"raters   {len(raters)}{': ' + ', '.join(raters) if raters else ''}{also}")
    sources = ", ".join(
        f"{name if name == FEEDBACK_FILE else 'store'} {count}" for name, count in dataset.sources
    )
    print(f"grades   {len(grades)}{f' ({sources})' if len(dataset.sources) > 1 else ''}")
    print()
    floors = noise_floor(grades, dimensions=list(rubrics))
    rows = []
    for dimension, floor in floors.items():
        graded = [g for g in grades if g.dimension == dimension]
        scores = Counter(g.score for g in graded)
        rows.append(
            (
                dimension,
                len(graded),
                *(scores[s] for s in (0, 1, 2, 3)),
                len({g.case_id for g in graded}),
                floor.n_items,
                _number(floor.mae),
                _number(floor.exact_agreement),
                _number(floor.applicability_agreement),
                _number(floor.alpha),
            )
        )
    print(text_table(_STATS_HEADERS, rows))
    if not any(floor.n_items for floor in floors.values()):
        print("\nagreement needs items graded by two or more raters; there are none yet")
    if args.disagreements:
        _print_disagreements(grades, list(rubrics), args.limit, args.full)
    return 0


def _print_disagreements(
    grades: list[Grade], dimensions: list[str], limit: int | None, full: bool
) -> None:
    """The patterns per dimension, then the open items with rationales side by side."""
    from memalign_nb.feedback import disagreement_patterns, disagreements

    found = disagreements(grades, dimensions)
    patterns = disagreement_patterns(grades, dimensions)
    open_counts = Counter((d.dimension, d.scores) for d in found)
    rows = [
        (p.dimension, p.label, p.kind, f"{p.count} of {p.n_items}",
         open_counts[(p.dimension, p.scores)])
        for found_patterns in patterns.values() for p in found_patterns
    ]
    print("\nwhere raters disagree")
    if not rows:
        print("no item graded by two or more raters has different scores")
        return
    print(text_table(_PATTERN_HEADERS, rows))
    width = max(60, shutil.get_terminal_size((100, 24)).columns)
    for dimension in patterns:
        items = [d for d in found if d.dimension == dimension]
        if not items:
            continue
        print(f"\n== {dimension}: {len(items)} open ==")
        for item in items[:limit]:
            print(f"{item.case_id}  ({item.pattern})")
            print(_side_by_side(item, width, full))
        if limit is not None and len(items) > limit:
            print(f"... and {len(items) - limit} more (raise --limit)")


def _side_by_side(item: Disagreement, width: int, full: bool) -> str:
    """Each rater's score and wrapped rationale in a column of its own."""
    indent = "  "
    column = max(20, (width - len(indent) - len(_COLUMN_GAP) * (len(item.grades) - 1))
                 // len(item.grades))
    blocks = [_rater_block(grade, column, full) for grade in item.grades]
    height = max(len(block) for block in blocks)
    lines = []
    for i in range(height):
        cells = [(block[i] if i < len(block) else "").ljust(column) for block in blocks]
        lines.append((indent + _COLUMN_GAP.join(cells)).rstrip())
    return "\n".join(lines)


def _rater_block(grade: Grade, width: int, full: bool) -> list[str]:
    score = "n/a" if grade.score == 0 else str(grade.score)
    text = textwrap.wrap(grade.rationale.strip() or "(no rationale)", width,
                         max_lines=None if full else _RATIONALE_LINES, placeholder=" \u2026")
    return [f"{grade.rater}: {score}"[:width], *text]


def _export(args: argparse.Namespace) -> int:
    import sys

    from memalign_nb.datasets.loader import STORE_FILE
    from memalign_nb.errors import FeedbackStoreError
    from memalign_nb.feedback import FeedbackStore
    from memalign_nb.feedback.io import grade_to_row

    path = Path(args.store) if args.store else Path(args.dataset) / STORE_FILE
    if not path.is_file():
        raise FeedbackStoreError(str(path), "no feedback store here (grades are saved to it by "
                                 "the grading panel and page)")
    with FeedbackStore(path, dimensions=_rubrics(args)) as store:
        if args.out == "-":
            rows = store.every_version() if args.history else store.grades()
            for grade in rows:
                print(json.dumps(grade_to_row(grade), ensure_ascii=False))
            count = len(rows)
        elif args.out.endswith(".csv"):
            count = store.export_csv(args.out, history=args.history)
        else:
            count = store.export_jsonl(args.out, history=args.history)
    where = "standard output" if args.out == "-" else args.out
    print(f"exported {count} grades from {path} to {where}", file=sys.stderr)
    return 0


def _rubrics(args: argparse.Namespace) -> dict[str, Rubric]:
    from memalign_nb.rubrics import load_rubrics

    return load_rubrics(args.rubrics)


def _counts(counter: Counter) -> str:
    return ", ".join(f"{name} {count}" for name, count in sorted(counter.items())) or "none"


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
