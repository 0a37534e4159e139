"""Tests for memalign_nb.cli.run: ``memalign-nb run NOTEBOOK -p NAME VALUE ...``."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from memalign_nb import cli
from memalign_nb.cli.run import output_path, typed_parameters
from memalign_nb.errors import NotebookError, ParameterError

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}

PARAMETERS = """\
folds: int = 4  # K of the cross-validation
rater: str = "ana"  # who grades
dimensions: list = []  # dimensions, a,b,c
threshold = 0.5
"""

BODY = """\
from pathlib import Path
from memalign_nb.runtime import resolve_params

params = resolve_params(globals(), {"folds": int, "rater": str, "dimensions": list})
Path("result.json").write_text(__import__("json").dumps({**params, "threshold": threshold}))
print(f"ran with folds={params['folds']}")
"""


@pytest.fixture(autouse=True)
def only_run_command(monkeypatch):
    """Register just this command, so the test does not depend on the other command modules."""
    monkeypatch.setattr(cli, "COMMAND_MODULES", ("run",))


def write_notebook(path: Path, *, tagged: bool = True) -> Path:
    tags = {"tags": ["parameters"]} if tagged else {}
    notebook = new_notebook(
        cells=[
            new_markdown_cell("# A parameterized notebook"),
            new_code_cell(PARAMETERS, metadata=tags),
            new_code_cell(BODY),
        ],
        metadata={"kernelspec": KERNELSPEC, "language_info": {"name": "python"}},
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


DECLARED = {
    "folds": {"inferred_type_name": "int"},
    "rater": {"inferred_type_name": "str"},
    "dimensions": {"inferred_type_name": "list"},
    "threshold": {"inferred_type_name": "None"},
}


def test_typed_parameters_follow_the_annotations():
    typed = typed_parameters(
        {"folds": "2", "rater": "007", "dimensions": "a, b", "threshold": "0.75"}, DECLARED
    )
    assert typed == {"folds": 2, "rater": "007", "dimensions": ["a", "b"], "threshold": 0.75}


def test_typed_parameters_keep_unconvertible_text_for_the_notebook_to_report():
    assert typed_parameters({"folds": "four"}, DECLARED) == {"folds": "four"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [("True", True), ("False", False), ("None", None), ("3", 3), ("2.5", 2.5), ("x", "x")],
)
def test_unannotated_parameters_follow_papermill_rules(text, expected):
    assert typed_parameters({"threshold": text}, DECLARED) == {"threshold": expected}


def test_non_text_values_pass_unchanged():
    assert typed_parameters({"folds": 3.5}, DECLARED) == {"folds": 3.5}


def test_unknown_parameter_lists_the_declared_ones():
    with pytest.raises(ParameterError) as info:
        typed_parameters({"fodls": "2"}, DECLARED, "study.ipynb")
    assert str(info.value) == (
        "parameter 'fodls': study.ipynb has no such parameter; its parameters: folds, rater, "
        "dimensions, threshold"
    )


def test_without_a_parameters_cell_any_name_is_accepted():
    assert typed_parameters({"anything": "1"}, {}) == {"anything": 1}


def test_output_path_defaults_next_to_the_input(tmp_path):
    assert output_path(tmp_path / "a" / "grade.ipynb", None) == tmp_path / "a" / "grade.out.ipynb"
    assert output_path("grade.ipynb", tmp_path) == tmp_path / "grade.out.ipynb"
    assert output_path("grade.ipynb", tmp_path / "x.ipynb") == tmp_path / "x.ipynb"
    assert output_path("grade.ipynb", f"{tmp_path}/new/") == tmp_path / "new" / "grade.out.ipynb"


def test_output_path_never_overwrites_the_input(tmp_path):
    notebook = write_notebook(tmp_path / "nb.ipynb")
    with pytest.raises(NotebookError, match="would overwrite the notebook"):
        output_path(notebook, notebook)


def test_list_params(tmp_path, capsys):
    notebook = write_notebook(tmp_path / "nb.ipynb")
    assert cli.main(["run", str(notebook), "--list-params"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "folds: int = 4  K of the cross-validation",
        'rater: str = "ana"  who grades',
        "dimensions: list = []  dimensions, a,b,c",
        "threshold: None = 0.5  ",
    ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-p", "fodls", "2"], "parameter 'fodls': nb.ipynb has no such parameter; its "
                               "parameters: folds, rater, dimensions, threshold"),
        (["--kernel", "no-such-kernel"], "unknown Jupyter kernel 'no-such-kernel'; known: "),
        (["--cwd", "missing-dir"], "the working directory (--cwd) is not a folder"),
    ],
)
def test_bad_arguments_fail_before_running(tmp_path, capsys, argv, message):
    notebook = write_notebook(tmp_path / "nb.ipynb")
    argv = [a.replace("missing-dir", str(tmp_path / "missing")) for a in argv]
    assert cli.main(["run", str(notebook), "--no-progress", *argv]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "nb.out.ipynb").exists()


def test_missing_notebook(tmp_path, capsys):
    assert cli.main(["run", str(tmp_path / "nope.ipynb")]) == 2
    assert "nope.ipynb: no such notebook file" in capsys.readouterr().err


def test_not_a_notebook(tmp_path, capsys):
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{ not json")
    assert cli.main(["run", str(bad)]) == 2
    assert "bad.ipynb: cannot be read as a notebook" in capsys.readouterr().err


@pytest.mark.slow
def test_run_injects_typed_parameters_and_writes_the_executed_notebook(tmp_path, capsys):
    notebook = write_notebook(tmp_path / "in" / "nb.ipynb")
    work = tmp_path / "work"
    work.mkdir()
    argv = ["run", str(notebook), "-p", "folds", "2", "-p", "rater", "007", "-p", "dimensions",
            "data_imputation,model_use", "-p", "threshold", "1", "--cwd", str(work),
            "--output", str(tmp_path / "out" / "executed.ipynb"), "--no-progress",
            "--stream-output"]
    assert cli.main(argv) == 0
    executed = tmp_path / "out" / "executed.ipynb"
    out = capsys.readouterr().out
    assert f"-> {executed}" in out
    assert "ran with folds=2" in out  # streamed from the kernel
    assert json.loads((work / "result.json").read_text()) == {
        "folds": 2, "rater": "007", "dimensions": ["data_imputation", "model_use"],
        "threshold": 1,
    }
    result = nbformat.read(executed, as_version=4)
    injected = [c for c in result.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1
    assert 'rater = "007"' in injected[0].source
    assert all(c.get("execution_count") for c in result.cells if c.cell_type == "code")
    original = nbformat.read(notebook, as_version=4)
    assert [c.source for c in original.cells][1] == PARAMETERS  # the input is untouched


@pytest.mark.slow
def test_a_bad_value_fails_in_the_executed_notebook(tmp_path, capsys):
    notebook = write_notebook(tmp_path / "nb.ipynb")
    assert cli.main(["run", str(notebook), "-p", "folds", "four", "--cwd", str(tmp_path),
                     "--no-progress"]) == 1
    message = "parameter 'folds': expected an integer, got 'four'"
    err = capsys.readouterr().err
    assert f"ParameterError: {message}" in err
    executed = nbformat.read(tmp_path / "nb.out.ipynb", as_version=4)
    errors = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert [(e.ename, e.evalue) for e in errors] == [("ParameterError", message)]
    assert not (tmp_path / "result.json").exists()


@pytest.mark.slow
def test_a_notebook_without_a_parameters_cell_still_runs(tmp_path, caplog):
    notebook = write_notebook(tmp_path / "nb.ipynb", tagged=False)
    assert cli.main(["run", str(notebook), "-p", "folds", "3", "--cwd", str(tmp_path),
                     "--no-progress"]) == 0
    assert "has no cell tagged 'parameters'" in caplog.text
    # papermill injects at the top, so the untagged cell's defaults win afterwards
    assert json.loads((tmp_path / "result.json").read_text())["folds"] == 4
