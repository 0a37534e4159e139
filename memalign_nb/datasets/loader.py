"""Load and validate dataset folders.

A dataset is a folder::

    DATASET/notebooks/<case_id>.ipynb   the notebooks to judge (the file stem is the case id)
    DATASET/cases.jsonl                 optional: {"case_id", "prompt", "task_type"} per line
    DATASET/feedback.jsonl              optional: human grades, one JSON object per line:
                                        {"case_id", "dimension", "score": 0-3,
                                         "rationale", "rater", "created_at"}
    DATASET/feedback.sqlite             optional: the feedback store the grading panel
                                        and page save to

:func:`load_dataset` is the one place that decides which grades a dataset has: those of
``feedback.jsonl`` and those of its feedback store, so every command, notebook and widget
sees the same grades. It goes on past notebooks that cannot be read (listed in
:attr:`Dataset.skipped`) and raises one :class:`DatasetError` for the other problems.
:func:`validate_dataset` reports every problem at once, unreadable notebooks included,
each with its file and line. Notebooks are read as data and never executed. Keys beyond
the documented ones are ignored, so files may carry extra metadata.
:func:`sample_path` is the bundled sample dataset, shipped with the package.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from os import PathLike
from pathlib import Path

from memalign_nb.datasets.model import Case, Dataset
from memalign_nb.dimensions import DIMENSIONS
from memalign_nb.errors import DatasetError, FeedbackStoreError, NotebookError, Problem
from memalign_nb.feedback.io import parse_grade_row, read_jsonl
from memalign_nb.feedback.model import Grade
from memalign_nb.notebooks import Notebook, read_notebooks
from memalign_nb.notebooks.limits import DEFAULT_LIMITS, NotebookLimits
from memalign_nb.rubrics.model import Rubric

logger = logging.getLogger(__name__)

NOTEBOOKS_DIR = "notebooks"
"""Sub-folder holding the notebooks."""

CASES_FILE = "cases.jsonl"
"""Optional file with each case's prompt and task type."""

FEEDBACK_FILE = "feedback.jsonl"
"""Optional file with the human grades."""

STORE_FILE = "feedback.sqlite"
"""Conventional :class:`~memalign_nb.feedback.FeedbackStore` file inside a dataset folder,
where grades entered in the grading panel or page go; ``load_dataset`` reads it."""

TASK_TYPES: tuple[str, ...] = ("classification", "regression", "forecasting")
"""Valid ``task_type`` values in ``cases.jsonl`` (null or absent means unknown)."""


def sample_path() -> Path:
    """The bundled sample dataset: 50 notebooks, two raters, seed 0.

    Raises
    ------
    DatasetError
        The package was installed without its data files.
    """
    path = Path(str(files("memalign_nb.datasets") / "sample"))
    if not (path / NOTEBOOKS_DIR).is_dir():
        raise DatasetError([Problem(str(path), None, "the bundled sample is missing; "
                                    "reinstall memalign-nb with its package data")])
    return path


def load_dataset(
    path: str | PathLike[str],
    *,
    rubrics: Mapping[str, Rubric] | None = None,
    store: bool | str | PathLike[str] = True,
    limits: NotebookLimits = DEFAULT_LIMITS,
) -> Dataset:
    """Load a dataset folder: its notebooks, their prompts and every human grade.

    Parameters
    ----------
    path : str or path-like
        The dataset folder.
    rubrics : mapping of str to Rubric, optional
        The rubrics grades may use, as returned by
        :func:`~memalign_nb.rubrics.load_rubrics`; pass it when the grades use custom
        dimensions. Defaults to the nine built-in dimensions.
    store : bool or path, default True
        The feedback store whose grades join ``feedback.jsonl``'s: True reads
        ``DATASET/feedback.sqlite`` when it exists, a path reads that store (which must
        exist), False reads ``feedback.jsonl`` only. A store's grade replaces the file's
        for the same case, dimension and rater (the store holds the latest).
    limits : NotebookLimits, optional
        Bounds on each notebook; one over a bound is skipped like any unreadable one.

    Returns
    -------
    Dataset
        Cases sorted by case id; grades in file order, then the store's;
        :attr:`Dataset.skipped` lists the notebooks that could not be read.

    Raises
    ------
    DatasetError
        Listing every problem other than an unreadable notebook (missing folders, bad
        ``cases.jsonl`` or ``feedback.jsonl`` lines), one ``file:line: message`` per line
        of the error message; or every unreadable notebook when none could be read.
    FeedbackStoreError
        The store cannot be read, or a store named by path does not exist.
    """
    root = Path(path)
    scan = _scan(root, rubrics, limits)
    problems = [p for p in scan.problems if p.file not in {e.path for e in scan.skipped}]
    if problems or not scan.cases:  # with no notebook readable, the unreadable ones are why
        raise DatasetError(problems or scan.problems)
    dataset = Dataset(
        path=str(path), cases=tuple(scan.cases), feedback=tuple(scan.grades),
        skipped=tuple(scan.skipped),
        sources=((FEEDBACK_FILE, len(scan.grades)),) if (root / FEEDBACK_FILE).exists() else (),
    )
    stored = _store_grades(root, store, rubrics)
    if stored is not None:
        location, grades = stored
        dataset = dataset.with_grades(grades)
        dataset = dataclasses.replace(dataset, sources=(*dataset.sources, (location, len(grades))))
    logger.info("loaded %s: %d cases, %d grades, %d notebooks skipped", path, len(dataset.cases),
                len(dataset.feedback), len(dataset.skipped))
    return dataset


def _store_grades(
    root: Path, store: bool | str | PathLike[str], rubrics: Mapping[str, Rubric] | None
) -> tuple[str, list[Grade]] | None:
    """``(store file, its current grades)``, or None when no store is to be read."""
    from memalign_nb.feedback.store import FeedbackStore

    if store is False:
        return None
    file = root / STORE_FILE if store is True else Path(store)
    if not file.is_file():
        if store is True:
            return None
        what = "is not a file" if file.exists() else "does not exist"
        raise FeedbackStoreError(str(file), f"feedback store {what}")
    dimensions = tuple(rubrics) if rubrics is not None else DIMENSIONS
    with FeedbackStore(file, dimensions=dimensions) as opened:
        return str(file), opened.grades()


def validate_dataset(
    path: str | PathLike[str],
    *,
    rubrics: Mapping[str, Rubric] | None = None,
    limits: NotebookLimits = DEFAULT_LIMITS,
) -> list[Problem]:
    """Every problem in a dataset folder, each with its file and line; empty when valid.

    Checked: the folder and ``notebooks/`` exist and hold notebooks; every notebook reads
    (:class:`~memalign_nb.errors.NotebookError` otherwise); in ``cases.jsonl`` and
    ``feedback.jsonl``, malformed JSON, missing or mistyped fields, duplicate case ids,
    cases or grades without a notebook, unknown task types; in ``feedback.jsonl``,
    unknown dimensions (those of ``rubrics``), scores that are not integers 0-3,
    malformed timestamps, and two grades of one item by one rater.

    Parameters
    ----------
    path : str or path-like
        The dataset folder.
    rubrics : mapping of str to Rubric, optional
        As for :func:`load_dataset`.
    limits : NotebookLimits, optional
        As for :func:`load_dataset`; a notebook over a bound is a problem.

    Returns
    -------
    list of Problem
        Notebook problems first, then ``cases.jsonl`` and ``feedback.jsonl`` in line order.
    """
    return _scan(Path(path), rubrics, limits).problems


@dataclass
class _Scan:
    """What one pass over a dataset folder found."""

    cases: list[Case] = field(default_factory=list)
    grades: list[Grade] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: list[NotebookError] = field(default_factory=list)


def _scan(root: Path, rubrics: Mapping[str, Rubric] | None, limits: NotebookLimits) -> _Scan:
    scan = _Scan()
    if not root.is_dir():
        what = "does not exist" if not root.exists() else "is a file"
        scan.problems.append(
            Problem(str(root), None, f"{what}; a dataset is a folder with a notebooks/ folder")
        )
        return scan
    notebooks, stems = _read_notebooks(root / NOTEBOOKS_DIR, scan, limits)
    prompts = _read_cases(root / CASES_FILE, stems, scan.problems)
    dimensions = tuple(rubrics) if rubrics is not None else DIMENSIONS
    scan.grades = _read_feedback(root / FEEDBACK_FILE, stems, dimensions, scan.problems)
    scan.cases = [
        Case(case_id, notebook, *prompts.get(case_id, ("", None)))
        for case_id, notebook in sorted(notebooks.items())
    ]
    return scan


def _read_notebooks(
    folder: Path, scan: _Scan, limits: NotebookLimits
) -> tuple[dict[str, Notebook], set[str]]:
    """The readable notebooks by case id, and the case ids of every notebook file.

    Unreadable notebooks are both problems (for :func:`validate_dataset`) and skipped
    notebooks (for :func:`load_dataset`).
    """
    problems = scan.problems
    if not folder.is_dir():
        problems.append(Problem(str(folder), None, "missing folder of notebooks"))
        return {}, set()
    report = read_notebooks(folder, limits=limits)
    scan.skipped += report.failures
    problems += [Problem(error.path, None, error.problem) for error in report.failures]
    notebooks = {Path(nb.path).stem: nb for nb in report.notebooks}
    stems = set(notebooks) | {Path(error.path).stem for error in report.failures}
    if not stems:
        problems.append(Problem(str(folder), None, "holds no .ipynb notebooks"))
    return notebooks, stems


def _read_cases(
    file: Path, stems: set[str], problems: list[Problem]
) -> dict[str, tuple[str, str | None]]:
    """``{case_id: (prompt, task_type)}`` from ``cases.jsonl`` (empty when absent)."""
    if not file.exists():
        return {}
    found: list[Problem] = []
    cases: dict[str, tuple[str, str | None]] = {}
    first_line: dict[str, int] = {}
    for number, row in read_jsonl(file, found):
        here = _Where(str(file), number, found)
        case_id = row.get("case_id")
        if not isinstance(case_id, str) or not case_id.strip():
            here.add(
                "missing field case_id" if case_id is None else "case_id must be non-empty text"
            )
            continue
        if case_id in first_line:
            here.add(f"duplicate case id {case_id!r} (first on line {first_line[case_id]})")
            continue
        first_line[case_id] = number
        if case_id not in stems:
            here.add(f"case {case_id!r} has no notebook {NOTEBOOKS_DIR}/{case_id}.ipynb")
        prompt = row.get("prompt")
        if prompt is not None and not isinstance(prompt, str):
            here.add("prompt must be text")
        task_type = row.get("task_type")
        if task_type is not None and task_type not in TASK_TYPES:
            here.add(f"unknown task_type {task_type!r}; known: {', '.join(TASK_TYPES)}")
        cases[case_id] = (prompt if isinstance(prompt, str) else "", task_type)
    problems += sorted(found, key=_line)
    return cases


def _read_feedback(
    file: Path, stems: set[str], dimensions: tuple[str, ...], problems: list[Problem]
) -> list[Grade]:
    """The grades of ``feedback.jsonl`` in file order (empty when absent)."""
    if not file.exists():
        return []
    found: list[Problem] = []
    grades: list[Grade] = []
    first_line: dict[tuple[str, str, str], int] = {}
    for number, row in read_jsonl(file, found):
        here = _Where(str(file), number, found)
        grade, row_problems = parse_grade_row(row, dimensions)
        for message in row_problems:
            here.add(message)
        case_id = row.get("case_id")
        if isinstance(case_id, str) and case_id.strip() and case_id not in stems:
            here.add(
                f"grade for case {case_id!r}, which has no notebook {NOTEBOOKS_DIR}/{case_id}.ipynb"
            )
        if grade is None:
            continue
        item = (*grade.key, grade.rater)
        if item in first_line:
            here.add(
                f"second grade of {grade.case_id!r} on {grade.dimension} by rater "
                f"{grade.rater!r} (first on line {first_line[item]}); keep one"
            )
        first_line.setdefault(item, number)
        grades.append(grade)
    problems += sorted(found, key=_line)
    return grades


@dataclass(frozen=True)
class _Where:
    """Adds problems at one line of one file."""

    file: str
    line: int
    problems: list[Problem]

    def add(self, message: str) -> None:
        self.problems.append(Problem(self.file, self.line, message))


def _line(problem: Problem) -> int:
    return problem.line or 0
