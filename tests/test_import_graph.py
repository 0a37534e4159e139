"""The library's import graph has no cycles.

Every ``import`` of a ``memalign_nb`` module counts, at module level or inside a function,
except those under ``if TYPE_CHECKING:`` (never run). ``from package import name`` is an
import of ``package.name`` when that is a module, else of the package itself.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return getattr(test, "id", getattr(test, "attr", None)) == "TYPE_CHECKING"


def imports_of(path: Path, name: str, modules: set[str]) -> set[str]:
    """The modules of ``modules`` that the file ``path`` (module ``name``) imports."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for statement in child.orelse:
                    visit_node(statement)
            else:
                visit_node(child)

    def visit_node(node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
        visit(node)

    visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    return (found & modules) - {name}


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    """Module -> the modules of ``package`` it imports, for every module under ``root``."""
    paths = {module_name(p, root): p for p in (root / package).rglob("*.py")}
    return {name: imports_of(path, name, set(paths)) for name, path in paths.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while not component or component[-1] != node:
                component.append(stack.pop())
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return sorted(found)


FOUNDATIONS = ("", "errors", "dimensions", "registry", "atomic", "lazy", "runtime",
               "grading_page", "redaction")
"""Top-level modules every stage may import (``""`` is ``memalign_nb/__init__.py``)."""

STAGES = ("notebooks", "rubrics", "sections", "feedback", "datasets", "judges", "memory",
          "align", "study", "tracking")
"""The stages in the order data flows, as docs/architecture.md draws them."""

ON_TOP = ("integrations", "testing", "cli", "__main__")
"""What may import any stage."""


def _stage(module: str) -> str:
    return module.split(".")[1] if "." in module else ""


def test_a_stage_imports_only_foundations_and_earlier_stages():
    graph = import_graph(REPO, "memalign_nb")
    assert {_stage(m) for m in graph} == {*FOUNDATIONS, *STAGES, *ON_TOP}
    rank = {**dict.fromkeys(FOUNDATIONS, -1), **{s: i for i, s in enumerate(STAGES)},
            **dict.fromkeys(ON_TOP, len(STAGES))}
    backwards = sorted(f"{m} -> {t}" for m, targets in graph.items() for t in targets
                       if rank[_stage(t)] > rank[_stage(m)]
                       or (rank[_stage(m)] == -1 and rank[_stage(t)] != -1 and _stage(t)))
    assert backwards == []


def test_the_library_has_no_import_cycles():
    graph = import_graph(REPO, "memalign_nb")
    assert len(graph) > 100 and "memalign_nb.judges.batch" in graph["memalign_nb.judges.base"]
    found = cycles(graph)
    assert found == [], "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


@pytest.fixture
def package(tmp_path: Path) -> Path:
    root = tmp_path / "pkg"
    root.mkdir()
    (root / "__init__.py").write_text("from pkg.a import A\n")
    (root / "a.py").write_text("from typing import TYPE_CHECKING\nA = 1\n"
                               "if TYPE_CHECKING:\n    from pkg.c import C\n")
    (root / "b.py").write_text("def f():\n    from pkg import c\n")
    (root / "c.py").write_text("from . import b\nfrom .a import A\n")
    return tmp_path


def test_function_level_and_relative_imports_count_type_checking_ones_do_not(package):
    graph = import_graph(package, "pkg")
    assert graph == {"pkg": {"pkg.a"}, "pkg.a": set(), "pkg.b": {"pkg.c"},
                     "pkg.c": {"pkg.b", "pkg.a"}}
    assert cycles(graph) == [["pkg.b", "pkg.c"]]
