"""Tests for ``memalign-nb sections`` (memalign_nb.cli.sections)."""

from __future__ import annotations

import json

import nbformat
import pytest

from memalign_nb.cli import main
from memalign_nb.dimensions import DIMENSIONS


@pytest.fixture()
def notebook_path(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Titanic"),
        nbformat.v4.new_code_cell("import pandas as pd\n"
                                  "from sklearn.model_selection import train_test_split"),
        nbformat.v4.new_code_cell("df = pd.read_csv('titanic.csv')\n"
                                  "df['Age'] = df['Age'].fillna(df['Age'].median())"),
        nbformat.v4.new_code_cell("X_train, X_test, y_train, y_test = train_test_split(X, y)"),
    ]
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", text="filled 177 ages\n")]
    path = tmp_path / "titanic.ipynb"
    nbformat.write(nb, path)
    return path


def test_prints_every_section_with_a_header_line(notebook_path, capsys):
    assert main(["sections", str(notebook_path)]) == 0
    out = capsys.readouterr().out
    headers = [line for line in out.splitlines() if line.startswith("=== ")]
    assert [h.split(" | ")[0][4:] for h in headers] == list(DIMENSIONS)
    imputation = next(h for h in headers if "data_imputation" in h)
    assert imputation.startswith("=== data_imputation | cells 0, 2, 3 | ")  # 0: its header
    assert imputation.endswith(" tokens")
    assert "# [cell 3] code (context: train/test split)" in out
    assert "filled 177 ages" in out


def test_json_lists_the_requested_sections(notebook_path, capsys):
    assert main(["sections", str(notebook_path), "--json", "-d", "data_imputation",
                 "--dimension", "cell_organization"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["dimension"] for r in rows] == ["data_imputation", "cell_organization"]
    first = rows[0]
    assert set(first) == {"dimension", "cell_indices", "tokens", "facts", "trimmed", "text"}
    assert first["cell_indices"] == [0, 2, 3]
    assert first["facts"]["imputer_fit_before_split"] is True
    assert first["trimmed"] == [] and first["tokens"] > 0


def test_token_budget_trims_and_says_so(notebook_path, capsys):
    assert main(["sections", str(notebook_path), "-d", "data_imputation",
                 "--token-budget", "60"]) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert "| trimmed: outputs of cells 2 removed" in header


def test_bad_input_is_one_line_and_exit_2(tmp_path, notebook_path, capsys):
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")
    assert main(["sections", str(broken)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("memalign-nb sections: error: ") and str(broken) in err
    assert "\n" not in err
    assert main(["sections", str(notebook_path), "-d", "fairness"]) == 2
    assert "unknown dimension 'fairness'" in capsys.readouterr().err


def test_token_budget_must_be_positive(notebook_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["sections", str(notebook_path), "--token-budget", "0"])
    assert exit_info.value.code == 2
    assert "must be at least 1, got 0" in capsys.readouterr().err
