"""Tests of memalign_nb.integrations.rows: notebooks from row values, cases, judgment frames."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from memalign_nb.datasets.model import Case
from memalign_nb.errors import NotebookError, UnknownNameError
from memalign_nb.integrations.rows import (
    JUDGMENT_COLUMNS,
    case_from_row,
    default_case_id,
    judge_rows,
    judgments_frame,
    notebook_from_value,
)
from memalign_nb.judges.base import Judgment
from memalign_nb.judges.scripted import ScriptedJudge


def _nb_node() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Titanic"),
        nbformat.v4.new_code_cell("import pandas as pd\ndf = pd.read_csv('train.csv')"),
    ]
    return nb


@pytest.fixture()
def nb_path(tmp_path: Path) -> Path:
    path = tmp_path / "titanic-3.ipynb"
    nbformat.write(_nb_node(), path)
    return path


def test_every_notebook_form_reads_to_the_same_cells(nb_path: Path) -> None:
    text = nb_path.read_text(encoding="utf-8")
    forms = [str(nb_path), nb_path, text, text.encode(), _nb_node(), json.loads(text)]
    sources = [[c.source for c in notebook_from_value(f).cells] for f in forms]
    assert sources[0][1].startswith("import pandas")
    assert all(s == sources[0] for s in sources)
    assert notebook_from_value(text, where="case-9").path == "case-9"
    loaded = notebook_from_value(nb_path)
    assert notebook_from_value(loaded) is loaded


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (None, "got NoneType"),
        ("   ", "got an empty string"),
        (42, "got int"),
        ({"metadata": {}}, "no 'cells'; keys: metadata"),
        ("{not json", "JSON"),
        ("missing/nowhere.ipynb", "does not exist"),
    ],
)
def test_bad_values_raise_notebook_error_naming_where(value: object, problem: str) -> None:
    with pytest.raises(NotebookError, match=problem) as info:
        notebook_from_value(value, where="row-7")
    assert "row-7" in str(info.value) or "nowhere" in str(info.value)


def test_real_corpus_notebook_reads_from_json_text(real_notebook_paths: list[Path]) -> None:
    path = real_notebook_paths[0]
    from_text = notebook_from_value(path.read_text(encoding="utf-8"), where=path.stem)
    assert [c.source for c in from_text.cells] == [
        c.source for c in notebook_from_value(path).cells
    ]


def test_default_case_id_is_the_stem_or_a_stable_content_hash(nb_path: Path) -> None:
    text = nb_path.read_text(encoding="utf-8")
    assert default_case_id(str(nb_path)) == "titanic-3"
    assert default_case_id(notebook_from_value(nb_path)) == "titanic-3"
    hashed = default_case_id(text)
    assert hashed.startswith("nb-") and len(hashed) == 15
    assert default_case_id(text) == hashed != default_case_id(text.replace("Titanic", "Churn"))
    node = _nb_node()
    assert default_case_id(node) == default_case_id(json.loads(json.dumps(node)))


def test_case_from_row_reads_fields_and_defaults_the_id(nb_path: Path) -> None:
    case = case_from_row(
        {"path": str(nb_path), "id": " c1 ", "task": "who survived?", "kind": "classification"},
        notebook_key="path",
        case_id_key="id",
        prompt_key="task",
        task_type_key="kind",
    )
    assert (case.case_id, case.prompt, case.task_type) == ("c1", "who survived?", "classification")
    unnamed = case_from_row({"notebook": str(nb_path), "case_id": float("nan"), "prompt": None})
    assert (unnamed.case_id, unnamed.prompt, unnamed.task_type) == ("titanic-3", "", None)


def test_case_from_row_without_a_notebook_names_the_case_and_keys() -> None:
    with pytest.raises(NotebookError, match=r"c1: no notebook under 'notebook' \(keys: case_id"):
        case_from_row({"case_id": "c1", "prompt": "x"})


def test_judge_rows_scores_in_row_order_and_isolates_bad_rows(nb_path: Path) -> None:
    judge = ScriptedJudge(lambda case, dim: (len(case.case_id) % 4, f"{case.case_id}:{dim}"))
    rows = [
        {"notebook": str(nb_path), "case_id": "abc"},
        {"notebook": "{broken", "case_id": "bad"},
        {"case_id": "empty"},
        {"notebook": "gone.ipynb"},
        {"notebook": nb_path.read_text(encoding="utf-8"), "case_id": "ab"},
    ]
    dims = ["data_imputation", "model_use"]
    out = judge_rows(judge, rows, dims, concurrency=2)
    assert [(j.case_id, j.dimension) for j in out] == [
        (c, d) for c in ("abc", "bad", "empty", "gone", "ab") for d in dims
    ]
    assert [j.score for j in out] == [3, 3, None, None, None, None, None, None, 2, 2]
    assert "JSON" in out[2].error and "no notebook" in out[4].error
    assert "does not exist" in out[6].error
    assert {j.judge_id for j in out} == {"scripted"}
    assert [c for c, _ in judge.calls].count("bad") == 0


def test_judge_rows_checks_dimensions_before_reading(nb_path: Path) -> None:
    judge = ScriptedJudge({}, default=1, dimensions=["model_use"])
    with pytest.raises(UnknownNameError, match="data_imputation"):
        judge_rows(judge, [{"notebook": "never read"}], ["data_imputation"])
    assert judge_rows(judge, [], ["model_use"]) == []


def test_judgments_frame_has_the_columns_and_nullable_scores() -> None:
    frame = judgments_frame(
        [
            Judgment("a", "model_use", 2, "ok", "h", 3, 4, 0.5, ("x", "y")),
            Judgment("b", "model_use", None, judge_id="h", error="boom"),
        ]
    )
    assert tuple(frame.columns) == JUDGMENT_COLUMNS
    assert str(frame["score"].dtype) == "Int64"
    assert frame["score"].isna().tolist() == [False, True]
    assert frame["error"].tolist() == [None, "boom"]
    assert frame["retrieved_ids"].tolist() == [["x", "y"], []]
    assert frame.loc[0, "prompt_tokens"] == 3 and frame.loc[0, "latency_s"] == 0.5
    assert list(judgments_frame([]).columns) == list(JUDGMENT_COLUMNS)


def test_cases_are_built_without_executing_code(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    nb = _nb_node()
    nb.cells.append(nbformat.v4.new_code_cell(f"open({str(marker)!r}, 'w').write('x')"))
    case = case_from_row({"notebook": nbformat.writes(nb), "case_id": "x"})
    assert isinstance(case, Case) and len(case.notebook.cells) == 3
    assert not marker.exists()
