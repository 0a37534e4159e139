"""Grades in files: JSONL and CSV reading and writing, and grade validation.

Both formats carry the fields of :class:`~memalign_nb.feedback.model.Grade`: ``case_id``,
``dimension``, ``score`` (required), ``rationale``, ``rater`` and ``created_at`` (optional;
missing ones take the :class:`Grade` defaults). Other keys or columns are ignored. Readers
check every row and raise one :class:`~memalign_nb.errors.DatasetError` listing every
problem with its file and line, so a file is either read whole or not at all. Writers
replace the target file atomically.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import MISSING
from datetime import datetime
from os import PathLike
from pathlib import Path
from typing import IO, Any

from memalign_nb.atomic import atomic_write
from memalign_nb.dimensions import DIMENSIONS, check_dimension, check_score, score_from_text
from memalign_nb.errors import DatasetError, InvalidGradeError, MemAlignError, Problem
from memalign_nb.feedback.model import Grade

logger = logging.getLogger(__name__)

GRADE_FIELDS: tuple[str, ...] = (
    "case_id",
    "dimension",
    "score",
    "rationale",
    "rater",
    "created_at",
)
"""Fields of a grade row, in file column order."""

REQUIRED_GRADE_FIELDS: tuple[str, ...] = ("case_id", "dimension", "score")
"""Fields a grade row must have; the others default as in :class:`Grade`."""

_DEFAULTS = {f.name: f.default for f in dataclasses.fields(Grade) if f.default is not MISSING}


def check_grade(grade: Grade, dimensions: Iterable[str] = DIMENSIONS) -> Grade:
    """Return ``grade`` with its score as an int, or raise on the first invalid field.

    Raises
    ------
    UnknownNameError
        The dimension is not in ``dimensions``.
    InvalidScoreError
        The score is not an integer from 0 to 3.
    InvalidGradeError
        ``case_id`` or ``rater`` is empty or not text, ``rationale`` is not text, or
        ``created_at`` is neither empty nor an ISO 8601 timestamp.
    """
    values, errors = _check_fields(grade_to_row(grade), tuple(dimensions))
    if errors:
        raise errors[0]
    return Grade(**values)


def parse_grade_row(
    row: Mapping[str, Any], dimensions: Iterable[str] = DIMENSIONS
) -> tuple[Grade | None, list[str]]:
    """Turn one JSONL object or CSV row into a :class:`Grade`.

    Returns
    -------
    grade : Grade or None
        The grade, or None when the row has problems.
    problems : list of str
        Every problem with the row, in words (missing fields, unknown dimension, bad
        score, mistyped text); empty when ``grade`` is set.
    """
    missing = [f for f in REQUIRED_GRADE_FIELDS if f not in row]
    problems = [f"missing field(s) {', '.join(missing)}"] if missing else []
    present = {k: row.get(k, _DEFAULTS.get(k)) for k in GRADE_FIELDS if k in row or k in _DEFAULTS}
    values, errors = _check_fields(present, tuple(dimensions))
    problems += [str(e) for e in errors]
    if problems:
        return None, problems
    return Grade(**values), []


def read_jsonl(path: str | PathLike[str], problems: list[Problem]) -> list[tuple[int, dict]]:
    """The JSON objects of a JSONL file with their 1-based line numbers.

    Blank lines are skipped. Malformed JSON, a line that is not an object, or an
    unreadable file is appended to ``problems`` and the reading goes on.
    """
    path = Path(path)
    rows: list[tuple[int, dict]] = []
    try:
        with path.open(encoding="utf-8-sig") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    value = json.loads(line)
                except json.JSONDecodeError as exc:
                    problems.append(
                        Problem(
                            str(path), number, f"malformed JSON: {exc.msg} (column {exc.colno})"
                        )
                    )
                    continue
                if not isinstance(value, dict):
                    problems.append(
                        Problem(
                            str(path), number, f"expected a JSON object, not {_json_kind(value)}"
                        )
                    )
                    continue
                rows.append((number, value))
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(str(path), None, f"cannot read file: {exc}"))
    return rows


def _grades_from_rows(
    rows: Iterable[tuple[int, Mapping[str, Any]]],
    file: str,
    dimensions: Iterable[str],
    problems: list[Problem],
) -> list[tuple[int, Grade]]:
    """Parse numbered rows into grades, appending each bad row's problems to ``problems``."""
    dimensions = tuple(dimensions)
    grades = []
    for number, row in rows:
        grade, row_problems = parse_grade_row(row, dimensions)
        problems += [Problem(file, number, message) for message in row_problems]
        if grade is not None:
            grades.append((number, grade))
    return grades


def read_grades_jsonl(
    path: str | PathLike[str], *, dimensions: Iterable[str] = DIMENSIONS
) -> list[Grade]:
    """Read every grade of a JSONL file, in file order.

    Raises
    ------
    DatasetError
        Listing every malformed line and invalid row, with file and line.
    """
    problems: list[Problem] = []
    rows = read_jsonl(path, problems)
    grades = _grades_from_rows(rows, str(path), dimensions, problems)
    if problems:
        raise DatasetError(sorted(problems, key=_line_order))
    return [grade for _, grade in grades]


def read_grades_csv(
    path: str | PathLike[str], *, dimensions: Iterable[str] = DIMENSIONS
) -> list[Grade]:
    """Read every grade of a CSV file with a header row, in file order.

    Quoted fields may span lines (a rationale with line breaks); a problem is reported at
    the line where its row starts. A UTF-8 byte-order mark (as Excel writes) is accepted.

    Raises
    ------
    DatasetError
        Listing every invalid row, or the missing header columns, with file and line.
    """
    path = Path(path)
    problems: list[Problem] = []
    rows: list[tuple[int, dict]] = []
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            missing = [f for f in REQUIRED_GRADE_FIELDS if f not in header]
            if missing:
                raise DatasetError(
                    [Problem(str(path), 1, f"header lacks column(s) {', '.join(missing)}")]
                )
            start = reader.line_num + 1
            for row in reader:
                # An empty cell counts as absent: required -> "missing", optional -> default.
                values = {k: v for k, v in row.items() if k in GRADE_FIELDS and v not in (None, "")}
                if "score" in values:  # every CSV cell is text: the score is read as a number
                    values["score"] = score_from_text(values["score"])
                rows.append((start, values))
                start = reader.line_num + 1
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DatasetError([Problem(str(path), None, f"cannot read CSV: {exc}")]) from exc
    grades = _grades_from_rows(rows, str(path), dimensions, problems)
    if problems:
        raise DatasetError(problems)
    return [grade for _, grade in grades]


def write_grades_jsonl(path: str | PathLike[str], grades: Iterable[Grade]) -> int:
    """Write ``grades`` as JSONL (one object per line, UTF-8); returns how many."""

    def write(handle: IO[str]) -> int:
        count = 0
        for grade in grades:
            handle.write(json.dumps(grade_to_row(grade), ensure_ascii=False) + "\n")
            count += 1
        return count

    return _atomic_write(Path(path), write, newline=None)


def write_grades_csv(path: str | PathLike[str], grades: Iterable[Grade]) -> int:
    """Write ``grades`` as CSV with a header row (UTF-8); returns how many."""

    def write(handle: IO[str]) -> int:
        writer = csv.DictWriter(handle, fieldnames=GRADE_FIELDS)
        writer.writeheader()
        count = 0
        for grade in grades:
            writer.writerow(grade_to_row(grade))
            count += 1
        return count

    return _atomic_write(Path(path), write, newline="")


def grade_to_row(grade: Grade) -> dict[str, Any]:
    """A grade as a row dict in :data:`GRADE_FIELDS` order."""
    return {name: getattr(grade, name) for name in GRADE_FIELDS}


def _check_fields(
    values: Mapping[str, Any], dimensions: tuple[str, ...]
) -> tuple[dict[str, Any], list[MemAlignError]]:
    """Validate the present fields; returns the clean values and every error found."""
    checks: dict[str, Callable[[Any], Any]] = {
        "case_id": lambda v: _nonempty_text("case_id", v),
        "dimension": lambda v: check_dimension(_nonempty_text("dimension", v), dimensions),
        "score": check_score,
        "rationale": _rationale,
        "rater": lambda v: _nonempty_text("rater", v),
        "created_at": _timestamp,
    }
    clean: dict[str, Any] = {}
    errors: list[MemAlignError] = []
    for name, value in values.items():
        try:
            clean[name] = checks[name](value)
        except MemAlignError as exc:
            errors.append(exc)
    return clean, errors


def _nonempty_text(field: str, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidGradeError(field, f"must be text, not {_json_kind(value)}")
    if not value.strip():
        raise InvalidGradeError(field, "is empty")
    return value


def _rationale(value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidGradeError("rationale", f"must be text, not {_json_kind(value)}")
    return value


def _timestamp(value: object) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        raise InvalidGradeError("created_at", f"must be text, not {_json_kind(value)}")
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise InvalidGradeError("created_at", f"{value!r} is not an ISO 8601 timestamp") from None
    return value


def _json_kind(value: object) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return names.get(type(value), "a number" if isinstance(value, int | float) else "a value")


def _line_order(problem: Problem) -> tuple[str, int]:
    return problem.file, problem.line or 0


def _atomic_write(path: Path, write: Callable[[IO[str]], int], *, newline: str | None) -> int:
    """Write grades atomically (see :func:`memalign_nb.atomic.atomic_write`) and log it."""
    count = atomic_write(path, write, newline=newline)
    logger.info("wrote %d grades to %s", count, path)
    return count
