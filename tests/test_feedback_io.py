"""Tests for memalign_nb.feedback.io: JSONL and CSV grade files and row validation."""

from __future__ import annotations

import csv
import json
import os

import pytest

from memalign_nb.errors import DatasetError, InvalidScoreError, Problem, UnknownNameError
from memalign_nb.feedback import (
    Grade,
    read_grades_csv,
    read_grades_jsonl,
    write_grades_csv,
    write_grades_jsonl,
)
from memalign_nb.feedback.io import check_grade, parse_grade_row, read_jsonl

AWKWARD = [
    Grade("titanic-01", "data_imputation", 1, 'fills "Age" with the mean, before the split', "ana"),
    Grade("titanic-01", "model_use", 0, "", "bo", "2024-03-01T12:00:00Z"),
    Grade("sales,q3", "metrics_evaluation", 3, "MAPE vs naive\nbaseline, 12% → 8%", "zoë"),
    Grade("x", "cell_organization", 2, "  leading spaces; tab\there  ", "ana"),
]


@pytest.mark.parametrize(
    ("write", "read", "suffix"),
    [(write_grades_jsonl, read_grades_jsonl, "jsonl"), (write_grades_csv, read_grades_csv, "csv")],
)
def test_round_trip_keeps_every_field(tmp_path, write, read, suffix):
    path = tmp_path / f"grades.{suffix}"
    assert write(path, AWKWARD) == len(AWKWARD)
    assert read(path) == AWKWARD
    assert not list(tmp_path.glob(".*.tmp")), "temporary file left behind"


def test_jsonl_rows_are_plain_utf8_objects(tmp_path):
    path = tmp_path / "g.jsonl"
    write_grades_jsonl(path, AWKWARD[2:3])
    text = path.read_text(encoding="utf-8")
    assert "zoë" in text and text.count("\n") == 1
    assert json.loads(text)["score"] == 3


def test_csv_has_header_and_quotes_awkward_text(tmp_path):
    path = tmp_path / "g.csv"
    write_grades_csv(path, AWKWARD)
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["case_id", "dimension", "score", "rationale", "rater", "created_at"]
    assert rows[3][0] == "sales,q3"


def test_jsonl_reports_every_bad_line_with_its_number(tmp_path):
    path = tmp_path / "bad.jsonl"
    lines = [
        '{"case_id": "a", "dimension": "model_use", "score": 2}',
        "",
        '{"case_id": "a", "dimension": "model_use", "score": 2',
        '{"case_id": "a", "dimension": "modelling", "score": "high"}',
        '{"dimension": "model_use"}',
        '"just a string"',
        '{"case_id": "a", "dimension": "model_use", "score": true, "rater": 7}',
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DatasetError) as info:
        read_grades_jsonl(path)
    found = [(p.line, p.message.split(":")[0].split(" ")[0]) for p in info.value.problems]
    assert [line for line, _ in found] == [3, 4, 4, 5, 6, 7, 7]
    message = str(info.value)
    assert message.splitlines()[0] == "7 problems:"
    assert f"{path}:3: malformed JSON" in message
    assert f"{path}:4: unknown dimension 'modelling'" in message
    assert f"{path}:4: score 'high'" in message
    assert f"{path}:5: missing field(s) case_id, score" in message
    assert f"{path}:6: expected a JSON object, not a string" in message
    assert f"{path}:7: score True" in message
    assert f"{path}:7: rater: must be text, not a number" in message


def test_csv_problem_lines_count_multiline_fields(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "case_id,dimension,score,rationale\n"
        'a,model_use,2,"two\nlines"\n'
        "b,model_use,7,\n"
        "c,model_use,,no score\n",
        encoding="utf-8",
    )
    with pytest.raises(DatasetError) as info:
        read_grades_csv(path)
    assert [(p.line, p.message) for p in info.value.problems] == [
        (4, "score 7 is not an integer from 0 to 3"),
        (5, "missing field(s) score"),
    ]


def test_csv_missing_columns_and_excel_bom(tmp_path):
    path = tmp_path / "cols.csv"
    path.write_text("case,dimension,grade\na,model_use,2\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="header lacks column"):
        read_grades_csv(path)
    excel = tmp_path / "excel.csv"
    excel.write_bytes("case_id,dimension,score,rater\r\na,model_use,2,\r\n".encode("utf-8-sig"))
    assert read_grades_csv(excel) == [Grade("a", "model_use", 2, "", "expert")]


def test_custom_dimensions_are_allowed_when_given(tmp_path):
    path = tmp_path / "g.jsonl"
    path.write_text('{"case_id": "a", "dimension": "fairness", "score": 1}\n')
    with pytest.raises(DatasetError, match="unknown dimension 'fairness'"):
        read_grades_jsonl(path)
    assert read_grades_jsonl(path, dimensions=["fairness"])[0].dimension == "fairness"


def test_missing_file_is_a_problem_not_a_crash(tmp_path):
    problems: list[Problem] = []
    assert read_jsonl(tmp_path / "absent.jsonl", problems) == []
    assert problems[0].line is None and "cannot read file" in problems[0].message
    with pytest.raises(DatasetError, match="cannot read CSV"):
        read_grades_csv(tmp_path / "absent.csv")


def test_parse_grade_row_defaults_and_extra_keys():
    grade, problems = parse_grade_row(
        {"case_id": "a", "dimension": "model_use", "score": 2.0, "rationale": None, "note": 1}
    )
    assert problems == []
    assert grade == Grade("a", "model_use", 2, "", "expert", "")
    assert isinstance(grade.score, int)


def test_check_grade_raises_first_problem():
    with pytest.raises(UnknownNameError):
        check_grade(Grade("a", "nope", 9))
    assert check_grade(Grade("a", "model_use", 3.0)).score == 3
    with pytest.raises(InvalidScoreError, match="it is text"):
        check_grade(Grade("a", "model_use", "3"))


def test_write_failure_leaves_existing_file_untouched(tmp_path):
    path = tmp_path / "g.jsonl"
    write_grades_jsonl(path, AWKWARD[:1])

    def broken():
        yield AWKWARD[1]
        raise RuntimeError("disk went away")

    with pytest.raises(RuntimeError):
        write_grades_jsonl(path, broken())
    assert read_grades_jsonl(path) == AWKWARD[:1]
    assert not list(tmp_path.glob(".*.tmp"))


def test_written_files_get_normal_permissions(tmp_path):
    fresh = tmp_path / "fresh.csv"
    write_grades_csv(fresh, AWKWARD)
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~_current_umask()
    fresh.chmod(0o640)
    write_grades_csv(fresh, AWKWARD[:1])
    assert fresh.stat().st_mode & 0o777 == 0o640


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_a_score_in_quotes_is_rejected_in_jsonl_and_read_as_a_number_in_csv(tmp_path):
    jsonl = tmp_path / "g.jsonl"
    jsonl.write_text('{"case_id": "a", "dimension": "model_use", "score": "3"}\n')
    with pytest.raises(DatasetError) as info:
        read_grades_jsonl(jsonl)
    assert info.value.problems[0].message == (
        "score '3' is not an integer from 0 to 3 (it is text: write the number without quotes)")
    csv_file = tmp_path / "g.csv"
    csv_file.write_text("case_id,dimension,score\na,model_use,3\nb,model_use,2.0\n")
    assert [g.score for g in read_grades_csv(csv_file)] == [3, 2]
