"""Tests for memalign_nb.datasets.loader: loading and validating dataset folders."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from memalign_nb.datasets import DatasetError, load_dataset, validate_dataset
from memalign_nb.errors import MemAlignError
from memalign_nb.rubrics import load_rubrics


def write_notebook(folder: Path, case_id: str, *sources: str) -> Path:
    notebook = new_notebook(
        cells=[new_markdown_cell(f"# {case_id}")] + [new_code_cell(s) for s in sources]
    )
    path = folder / "notebooks" / f"{case_id}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def write_jsonl(path: Path, rows: list) -> Path:
    lines = [row if isinstance(row, str) else json.dumps(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def grade_row(case_id="titanic", dimension="data_imputation", score=1, rater="ana", **extra):
    return {
        "case_id": case_id,
        "dimension": dimension,
        "score": score,
        "rationale": "imputer fitted on all rows",
        "rater": rater,
        "created_at": "2024-06-01T10:00:00Z",
        **extra,
    }


@pytest.fixture
def dataset(tmp_path) -> Path:
    write_notebook(tmp_path, "titanic", "import pandas as pd", "df = pd.read_csv('train.csv')")
    write_notebook(tmp_path, "sales", "model.fit(X_train, y_train)")
    write_jsonl(
        tmp_path / "cases.jsonl",
        [
            {"case_id": "titanic", "prompt": "who survived?", "task_type": "classification"},
            {"case_id": "sales", "prompt": "forecast sales", "task_type": "forecasting"},
        ],
    )
    write_jsonl(
        tmp_path / "feedback.jsonl",
        [grade_row(), grade_row(rater="bo", score=2), grade_row("sales", "model_use", 0)],
    )
    return tmp_path


def test_valid_dataset_loads_cases_and_grades(dataset):
    assert validate_dataset(dataset) == []
    loaded = load_dataset(dataset)
    assert loaded.path == str(dataset)
    assert [c.case_id for c in loaded.cases] == ["sales", "titanic"]
    titanic = loaded.case("titanic")
    assert (titanic.prompt, titanic.task_type) == ("who survived?", "classification")
    assert titanic.notebook.code_cells[1].source == "df = pd.read_csv('train.csv')"
    assert [(g.case_id, g.rater, g.score) for g in loaded.feedback] == [
        ("titanic", "ana", 1),
        ("titanic", "bo", 2),
        ("sales", "ana", 0),
    ]


def test_cases_and_feedback_files_are_optional(tmp_path):
    write_notebook(tmp_path, "only", "print(1)")
    loaded = load_dataset(tmp_path)
    assert [(c.case_id, c.prompt, c.task_type) for c in loaded.cases] == [("only", "", None)]
    assert loaded.feedback == ()


def test_every_problem_reported_at_once_with_file_and_line(dataset):
    (dataset / "notebooks" / "broken.ipynb").write_text("{not json", encoding="utf-8")
    write_jsonl(
        dataset / "cases.jsonl",
        [
            {"case_id": "titanic", "task_type": "classification"},
            {"case_id": "titanic", "prompt": "again"},
            {"case_id": "ghost", "prompt": "no notebook"},
            {"case_id": "sales", "task_type": "clustering"},
            "{oops",
            {"prompt": "who am I"},
        ],
    )
    write_jsonl(
        dataset / "feedback.jsonl",
        [
            grade_row(),
            grade_row(dimension="leakage"),
            grade_row(score=5),
            grade_row(score=1.5, rater="cy"),
            grade_row("ghost", rater="cy"),
            {"case_id": "titanic", "dimension": "model_use"},
            grade_row(score=3),
            "[1, 2]",
            grade_row(created_at="last tuesday", rater="dee"),
        ],
    )
    problems = validate_dataset(dataset)
    cases, feedback = str(dataset / "cases.jsonl"), str(dataset / "feedback.jsonl")
    where = [(p.file, p.line) for p in problems]
    assert where == [
        (str(dataset / "notebooks" / "broken.ipynb"), None),
        (cases, 2),
        (cases, 3),
        (cases, 4),
        (cases, 5),
        (cases, 6),
        (feedback, 2),
        (feedback, 3),
        (feedback, 4),
        (feedback, 5),
        (feedback, 6),
        (feedback, 7),
        (feedback, 8),
        (feedback, 9),
    ]
    text = [p.message for p in problems]
    assert "not valid JSON" in text[0]
    assert text[1] == "duplicate case id 'titanic' (first on line 1)"
    assert text[2] == "case 'ghost' has no notebook notebooks/ghost.ipynb"
    assert text[3].startswith("unknown task_type 'clustering'; known: classification")
    assert text[4].startswith("malformed JSON")
    assert text[5] == "missing field case_id"
    assert text[6].startswith("unknown dimension 'leakage'")
    assert text[7] == "score 5 is not an integer from 0 to 3"
    assert text[8] == "score 1.5 is not an integer from 0 to 3"
    assert text[9] == "grade for case 'ghost', which has no notebook notebooks/ghost.ipynb"
    assert text[10] == "missing field(s) score"
    assert text[11].startswith("second grade of 'titanic' on data_imputation by rater 'ana'")
    assert text[12] == "expected a JSON object, not an array"
    assert "ISO 8601" in text[13]

    with pytest.raises(DatasetError) as info:
        load_dataset(dataset)
    assert info.value.problems == tuple(problems[1:])  # an unreadable notebook is skipped
    lines = str(info.value).splitlines()
    assert lines[0] == "13 problems:"
    assert lines[1] == f"{cases}:2: duplicate case id 'titanic' (first on line 1)"
    assert isinstance(info.value, MemAlignError)


def test_custom_dimensions_validate_with_their_rubrics(dataset, tmp_path_factory):
    write_jsonl(dataset / "feedback.jsonl", [grade_row(dimension="fairness")])
    assert "unknown dimension 'fairness'" in validate_dataset(dataset)[0].message
    rubric_dir = tmp_path_factory.mktemp("rubrics")
    (rubric_dir / "fairness.yaml").write_text(
        "dimension: fairness\ntitle: Fairness\ndescription: Subgroup checks.\n"
        "levels: {3: all groups, 2: some, 1: none}\n",
        encoding="utf-8",
    )
    rubrics = load_rubrics([rubric_dir])
    assert validate_dataset(dataset, rubrics=rubrics) == []
    assert load_dataset(dataset, rubrics=rubrics).feedback[0].dimension == "fairness"


@pytest.mark.parametrize("layout", ["missing", "file", "no_notebooks_dir", "empty_notebooks"])
def test_folder_layout_problems(tmp_path, layout):
    target = tmp_path / "ds"
    if layout == "file":
        target.write_text("not a folder")
    elif layout == "no_notebooks_dir":
        target.mkdir()
    elif layout == "empty_notebooks":
        (target / "notebooks").mkdir(parents=True)
        (target / "notebooks" / "README.md").write_text("no notebooks here")
    problems = validate_dataset(target)
    assert len(problems) == 1
    message = {
        "missing": "does not exist",
        "file": "is a file",
        "no_notebooks_dir": "missing folder of notebooks",
        "empty_notebooks": "holds no .ipynb notebooks",
    }[layout]
    assert message in problems[0].message
    with pytest.raises(DatasetError, match=message):
        load_dataset(target)


def test_grade_for_unreadable_notebook_is_reported_once(dataset):
    (dataset / "notebooks" / "titanic.ipynb").write_text("", encoding="utf-8")
    problems = validate_dataset(dataset)
    assert [p.file for p in problems] == [str(dataset / "notebooks" / "titanic.ipynb")]


def test_an_unreadable_notebook_is_skipped_and_its_grades_kept(dataset):
    (dataset / "notebooks" / "titanic.ipynb").write_text('{"cells": []}', encoding="utf-8")
    (dataset / "notebooks" / "empty.ipynb").write_text("", encoding="utf-8")
    loaded = load_dataset(dataset)
    assert [c.case_id for c in loaded.cases] == ["sales"]
    assert [(Path(e.path).name, e.problem) for e in loaded.skipped] == [
        ("empty.ipynb", "file is empty"),
        ("titanic.ipynb", "not a notebook: the JSON object has no 'nbformat' field"),
    ]
    assert len(loaded.feedback) == 3  # no grade is lost with its notebook


def test_a_dataset_with_no_readable_notebook_is_an_error(tmp_path):
    write_notebook(tmp_path, "a")
    (tmp_path / "notebooks" / "a.ipynb").write_text("", encoding="utf-8")
    with pytest.raises(DatasetError, match="a.ipynb: file is empty"):
        load_dataset(tmp_path)


def test_the_store_s_grades_are_loaded_with_the_file_s(dataset):
    from memalign_nb.feedback import FeedbackStore, Grade

    with FeedbackStore(dataset / "feedback.sqlite") as store:
        store.save(Grade("titanic", "data_imputation", 3, "fixed it", rater="ana"))
        store.save(Grade("sales", "model_training", 2, "ok", rater="cy"))
    loaded = load_dataset(dataset)
    by_key = {(*g.key, g.rater): g for g in loaded.feedback}
    assert len(loaded.feedback) == 4
    assert by_key[("titanic", "data_imputation", "ana")].score == 3  # the store's is latest
    assert by_key[("sales", "model_training", "cy")].rationale == "ok"
    assert loaded.sources == (("feedback.jsonl", 3), (str(dataset / "feedback.sqlite"), 2))
    assert len(load_dataset(dataset, store=False).feedback) == 3


def test_a_store_named_by_path_must_exist(dataset, tmp_path_factory):
    from memalign_nb.errors import FeedbackStoreError

    missing = tmp_path_factory.mktemp("x") / "grades.sqlite"
    with pytest.raises(FeedbackStoreError, match="does not exist"):
        load_dataset(dataset, store=missing)
    assert not missing.exists()


def test_notebooks_are_not_executed(tmp_path):
    marker = tmp_path / "executed"
    write_notebook(tmp_path, "evil", f"open({str(marker)!r}, 'w').write('x')")
    load_dataset(tmp_path)
    assert not marker.exists()


def test_real_kaggle_notebooks_load_as_a_dataset(tmp_path, real_notebook_paths):
    real = real_notebook_paths[:12]
    (tmp_path / "notebooks").mkdir()
    for index, source in enumerate(real):
        shutil.copy(source, tmp_path / "notebooks" / f"case{index:02d}.ipynb")
    write_jsonl(
        tmp_path / "feedback.jsonl",
        [grade_row(f"case{i:02d}", "model_training", 1 + i % 3) for i in range(len(real))],
    )
    loaded = load_dataset(tmp_path)
    assert len(loaded.cases) == len(real)
    assert all(case.notebook.code_cells for case in loaded.cases)
    assert len(loaded.feedback) == len(real)


def test_with_grades_adds_store_grades_and_regrades_replace(tmp_path: Path) -> None:
    from memalign_nb.datasets import generate_dataset
    from memalign_nb.feedback import FeedbackStore, Grade

    data = load_dataset(generate_dataset(tmp_path / "d", 3, seed=2))
    first = data.feedback[0]
    store = FeedbackStore(tmp_path / "d" / "feedback.sqlite")
    regrade = Grade(first.case_id, first.dimension, (first.score + 1) % 4, "changed my mind",
                    rater=first.rater)
    new_rater = Grade(first.case_id, first.dimension, 2, "second opinion", rater="carol")
    store.save(regrade)
    store.save(new_rater)
    merged = data.with_grades(store.grades())
    assert len(merged.feedback) == len(data.feedback) + 1
    by_key = {(*g.key, g.rater): g for g in merged.feedback}
    assert by_key[(first.case_id, first.dimension, first.rater)].rationale == "changed my mind"
    assert by_key[(first.case_id, first.dimension, "carol")].score == 2
    assert merged.cases == data.cases and data.with_grades([]) == data
