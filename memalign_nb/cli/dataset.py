"""``memalign-nb dataset``: check a dataset folder and summarise its grades.

``memalign-nb dataset validate DATASET`` prints every problem as ``file:line: message`` and
exits 1 when there is any; ``memalign-nb dataset stats DATASET`` prints the cases, raters,
score distribution per dimension and the human inter-rater agreement, counting the grades
of ``feedback.jsonl`` and of the dataset's feedback store (``DATASET/feedback.sqlite``, or
``--store``), whose current grades win over the file's for the same rater and item.
"""

from __future__ import annotations

import argparse
import logging
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from memalign_nb.cli.options import text_table

if TYPE_CHECKING:
    from memalign_nb.feedback import Grade
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
    for sub, func in ((validate, _validate), (stats, _stats)):
        sub.add_argument("dataset", metavar="DATASET", help="the dataset folder")
        sub.add_argument(
            "--rubrics",
            metavar="PATH",
            action="append",
            default=[],
            help="rubric file or folder adding custom dimensions (repeatable)",
        )
        sub.set_defaults(func=func)
    stats.add_argument(
        "--store",
        metavar="FILE",
        help="feedback store whose grades to count too (default DATASET/feedback.sqlite "
        "when it exists)",
    )


def _validate(args: argparse.Namespace) -> int:
    from memalign_nb.datasets import DatasetError, load_dataset

    try:
        dataset = load_dataset(args.dataset, rubrics=_rubrics(args))
    except DatasetError as exc:
        for problem in exc.problems:
            print(problem)
        count = len(exc.problems)
        print(f"{count} problem{'s' if count != 1 else ''} in {args.dataset}")
        return 1
    print(f"ok: {len(dataset.cases)} cases, {len(dataset.feedback)} grades")
    return 0


def _stats(args: argparse.Namespace) -> int:
    from memalign_nb.datasets import load_dataset
    from memalign_nb.feedback import noise_floor

    rubrics = _rubrics(args)
    dataset = load_dataset(args.dataset, rubrics=rubrics)
    stored = stored_grades(args, rubrics)
    grades = list(dataset.with_grades(stored).feedback)
    task_types = Counter(case.task_type or "unknown" for case in dataset.cases)
    raters = sorted({g.rater for g in grades})
    print(f"dataset  {dataset.path}")
    print(f"cases    {len(dataset.cases)} ({_counts(task_types)})")
    print(f"raters   {len(raters)}{': ' + ', '.join(raters) if raters else ''}")
    sources = f"feedback.jsonl {len(dataset.feedback)}, store {len(stored)}" if stored else ""
    print(f"grades   {len(grades)}{f' ({sources})' if sources else ''}")
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
    return 0


def stored_grades(args: argparse.Namespace, rubrics: dict[str, Rubric]) -> list[Grade]:
    """The current grades of the store named by ``--store`` or found in the dataset."""
    from memalign_nb.datasets.loader import STORE_FILE
    from memalign_nb.errors import FeedbackStoreError
    from memalign_nb.feedback import FeedbackStore

    path = Path(args.store) if args.store else Path(args.dataset) / STORE_FILE
    if not path.is_file():
        if args.store:
            raise FeedbackStoreError(str(path), "no such feedback store file")
        return []
    with FeedbackStore(path, dimensions=rubrics) as store:
        return store.grades()


def _rubrics(args: argparse.Namespace) -> dict[str, Rubric]:
    from memalign_nb.rubrics import load_rubrics

    return load_rubrics(args.rubrics)


def _counts(counter: Counter) -> str:
    return ", ".join(f"{name} {count}" for name, count in sorted(counter.items())) or "none"


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
