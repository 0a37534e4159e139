"""The committed notebooks in ``notebooks/``: clean, valid, parameterized, public API only.

Executing them is ``tests/test_notebooks_papermill.py``; this file reads them as data.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import nbformat
import papermill
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ("01_grade", "02_align", "03_study", "04_score")
PATHS = [REPO_ROOT / "notebooks" / f"{name}.ipynb" for name in NOTEBOOKS]
TYPE_NAMES = {"str": str, "int": int, "float": float, "bool": bool, "list": list}


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=nbformat.NO_CONVERT)


def code_cells(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def parameters_cell(notebook: nbformat.NotebookNode) -> tuple[int, nbformat.NotebookNode]:
    tagged = [(i, c) for i, c in enumerate(notebook.cells)
              if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{len(tagged)} cells tagged 'parameters'"
    return tagged[0]


def test_only_the_four_notebooks_are_committed():
    found = sorted(p.stem for p in (REPO_ROOT / "notebooks").glob("*.ipynb")
                   if not p.name.endswith(".out.ipynb"))
    assert found == list(NOTEBOOKS)


@pytest.mark.parametrize("path", PATHS, ids=NOTEBOOKS)
def test_valid_nbformat_with_a_python3_kernel(path):
    notebook = read(path)
    nbformat.validate(notebook)
    assert (notebook.nbformat, notebook.nbformat_minor) >= (4, 5)  # cell ids
    assert notebook.metadata.kernelspec.name == "python3"
    assert notebook.metadata.kernelspec.language == "python"


@pytest.mark.parametrize("path", PATHS, ids=NOTEBOOKS)
def test_committed_without_outputs_or_run_state(path):
    notebook = read(path)
    for cell in code_cells(notebook):
        assert cell.outputs == [], f"cell {cell.id} has outputs"
        assert cell.execution_count is None, f"cell {cell.id} has an execution count"
        assert "papermill" not in cell.metadata and "execution" not in cell.metadata
    assert "papermill" not in notebook.metadata
    assert "widgets" not in notebook.metadata  # saved ipywidgets state


@pytest.mark.parametrize("path", PATHS, ids=NOTEBOOKS)
def test_narrated_title_then_markdown_before_each_step(path):
    notebook = read(path)
    assert notebook.cells[0].cell_type == "markdown"
    assert notebook.cells[0].source.startswith("# ")
    markdown = [c for c in notebook.cells if c.cell_type == "markdown"]
    assert len(markdown) >= len(code_cells(notebook)) // 2


@pytest.mark.parametrize("path", PATHS, ids=NOTEBOOKS)
def test_one_parameters_cell_that_papermill_reads_completely(path):
    notebook = read(path)
    index, cell = parameters_cell(notebook)
    assert cell.cell_type == "code"
    statements = ast.parse(cell.source).body
    assert statements, "the parameters cell is empty"
    declared = {}
    for statement in statements:  # only `name: type = literal`, so papermill can inject
        assert isinstance(statement, ast.AnnAssign), ast.unparse(statement)
        annotation = ast.unparse(statement.annotation)
        assert annotation in TYPE_NAMES, annotation
        default = ast.literal_eval(statement.value)
        assert isinstance(default, TYPE_NAMES[annotation]), ast.unparse(statement)
        declared[statement.target.id] = annotation
    for line in cell.source.splitlines():
        assert "  # " in line, f"no help comment: {line}"
    inspected = papermill.inspect_notebook(str(path))
    assert {n: p["inferred_type_name"] for n, p in inspected.items()} == declared
    assert all(p["help"] for p in inspected.values())
    # the next code cell checks exactly these parameters, with the same types
    checker = notebook.cells[index + 1]
    assert checker.cell_type == "code"
    calls = [node for node in ast.walk(ast.parse(checker.source))
             if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "resolve_params"]
    assert len(calls) == 1
    types = calls[0].args[1]
    assert isinstance(types, ast.Dict)
    checked = {ast.literal_eval(k): ast.unparse(v) for k, v in zip(types.keys, types.values,
                                                                    strict=True)}
    assert checked == declared


@pytest.mark.parametrize("path", PATHS, ids=NOTEBOOKS)
def test_the_install_cell_comes_first_and_is_databricks_only(path, monkeypatch):
    first = code_cells(read(path))[0]
    index, _ = parameters_cell(read(path))
    assert read(path).cells.index(first) < index
    calls = []

    class Shell:
        def run_line_magic(self, name, line):
            calls.append((name, line))

    namespace = {"get_ipython": Shell}
    monkeypatch.delenv("DATABRICKS_RUNTIME_VERSION", raising=False)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    exec(compile(first.source, "install", "exec"), dict(namespace))
    assert calls == []  # not on Databricks: nothing happens

    monkeypatch.setenv("DATABRICKS_RUNTIME_VERSION", "15.4")
    exec(compile(first.source, "install", "exec"), dict(namespace))
    assert calls == [("pip", "install --quiet 'memalign-nb[widgets]'")]

    monkeypatch.setenv("MEMALIGN_NB_PIP", "/Volumes/main/tools/memalign_nb-0.1.0.whl")
    exec(compile(first.source, "install", "exec"), dict(namespace))
    assert calls[-1] == ("pip", "install --quiet '/Volumes/main/tools/memalign_nb-0.1.0.whl'")

    monkeypatch.undo()  # installed already: nothing to do on Databricks either
    monkeypatch.setenv("DATABRICKS_RUNTIME_VERSION", "15.4")
    exec(compile(first.source, "install", "exec"), dict(namespace))
    assert len(calls) == 2


@pytest.mark.parametrize("path", PATHS, ids=NOTEBOOKS)
def test_code_parses_and_imports_only_public_names(path):
    for cell in code_cells(read(path)):
        tree = ast.parse(cell.source)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                module = node.module or ""
                assert not any(part.startswith("_") for part in module.split(".")), module
                assert not any(alias.name.startswith("_") for alias in node.names), module
                if module.split(".")[0] == "memalign_nb":
                    assert importlib.util.find_spec(module) is not None, module
            elif isinstance(node, ast.Import):
                assert not any(a.name.split(".")[0] in {"memalign_nb", "widgets"}
                               and "._" in a.name for a in node.names)
