"""Packaging: environment.yml matches pyproject.toml, imports stay light, entry points resolve."""

from __future__ import annotations

import ast
import importlib.metadata
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "memalign_nb"
WIDGETS_PACKAGE = "memalign_nb_widgets"
HEAVY_MODULES = ("mlflow", "chromadb", "langchain", "langchain_core", "matplotlib", "sklearn")
REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*?)\s*$")


def pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def normalise(requirement: str) -> tuple[str, str]:
    """``("scikit-learn", ">=1.3")`` from ``"scikit_learn >= 1.3"`` (PEP 503 name, no spaces)."""
    match = REQUIREMENT.match(requirement)
    assert match, f"cannot parse requirement {requirement!r}"
    name, _extras, spec = match.groups()
    return re.sub(r"[-_.]+", "-", name).lower(), re.sub(r"\s+", "", spec)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("scikit_learn >= 1.3", ("scikit-learn", ">=1.3")),
        ("PyYAML", ("pyyaml", "")),
        ("memalign-nb[widgets]>=0.1,<1", ("memalign-nb", ">=0.1,<1")),
    ],
)
def test_normalise(text, expected):
    assert normalise(text) == expected


def test_environment_yml_lists_runtime_and_widgets_dependencies_with_same_bounds():
    project = pyproject()["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["widgets"]]
    expected = dict(normalise(item) for item in wanted)

    environment = yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))
    conda, pip_lines = [], []
    for item in environment["dependencies"]:
        if isinstance(item, dict):
            assert set(item) == {"pip"}, f"unexpected entry {item}"
            pip_lines += item["pip"]
        else:
            conda.append(normalise(item))
    assert pip_lines == ["-e ."]
    names = [name for name, _ in conda]
    assert len(names) == len(set(names)), f"listed twice: {sorted(names)}"
    listed = {name: spec for name, spec in conda if name not in ("python", "pip")}
    assert listed == expected


def test_library_never_imports_widgets():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            elif (
                isinstance(node, ast.Call)
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
                and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            ):
                names = [node.args[0].value]
            else:
                continue
            offenders += [
                f"{path.relative_to(REPO)}:{node.lineno} imports {name}"
                for name in names
                if name.split(".")[0] in ("widgets", WIDGETS_PACKAGE)
            ]
    assert not offenders, "\n".join(offenders)


def test_setuptools_packages_are_every_package_folder_and_the_widgets_mapping():
    setuptools = pyproject()["tool"]["setuptools"]
    folders = sorted(
        ".".join(init.parent.relative_to(REPO).parts) for init in PACKAGE.rglob("__init__.py")
    )
    assert sorted(setuptools["packages"]) == sorted([*folders, WIDGETS_PACKAGE])
    assert setuptools["package-dir"] == {WIDGETS_PACKAGE: "widgets"}
    assert (REPO / "widgets" / "__init__.py").is_file()


def _run_python(code: str, cwd: Path) -> str:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=cwd, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_widgets_install_under_the_product_name_not_as_a_top_level_widgets(tmp_path):
    code = (
        "import importlib.util as u\n"
        "print(u.find_spec('widgets'))\n"
        f"print(u.find_spec({WIDGETS_PACKAGE!r}).origin)"
    )
    bare, widgets = _run_python(code, tmp_path).splitlines()
    assert bare == "None"
    assert widgets == str(REPO / "widgets" / "__init__.py")


def test_widgets_work_from_a_folder_holding_its_own_widgets_package(tmp_path):
    (tmp_path / "widgets").mkdir()
    (tmp_path / "widgets" / "__init__.py").write_text("raise ImportError('shadowed')\n")
    code = (
        f"from {WIDGETS_PACKAGE} import GradingPanel, MemoryBrowser, StudyView\n"
        "import sys\n"
        "print(sys.modules[GradingPanel.__module__].__file__)"
    )
    assert _run_python(code, tmp_path) == str(REPO / "widgets" / "grading.py")


def _modules_after(statement: str) -> list[str]:
    code = (
        f"import json, sys\n{statement}\n"
        f"heavy = {HEAVY_MODULES!r}\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in heavy)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout)


def test_import_memalign_nb_leaves_heavy_dependencies_unloaded():
    assert _modules_after("import memalign_nb") == []


def test_reading_notebooks_leaves_heavy_dependencies_unloaded():
    statement = (
        "import memalign_nb\n"
        f"memalign_nb.read_notebooks({str(REPO / 'tests' / 'data' / 'bad')!r})\n"
        "memalign_nb.LoadReport, memalign_nb.Notebook, memalign_nb.Cell"
    )
    assert _modules_after(statement) == []


def test_console_script_resolves_to_cli_main():
    assert pyproject()["project"]["scripts"]["memalign-nb"] == "memalign_nb.cli:main"
    (entry,) = importlib.metadata.entry_points(group="console_scripts", name="memalign-nb")
    assert entry.value == "memalign_nb.cli:main"
    from memalign_nb.cli import main

    assert entry.load() is main


def _package_data_patterns() -> list[tuple[Path, str]]:
    folders = {"memalign_nb": PACKAGE, WIDGETS_PACKAGE: REPO / "widgets"}
    data = pyproject()["tool"]["setuptools"]["package-data"]
    return [(folders[package], pattern) for package in data for pattern in data[package]]


@pytest.mark.parametrize("folder, pattern", _package_data_patterns())
def test_package_data_patterns_match_files(folder, pattern):
    matches = [path for path in folder.glob(pattern) if path.is_file()]
    assert matches, f"package data pattern {pattern!r} matches no file under {folder}"


def test_every_public_name_resolves():
    import importlib

    import memalign_nb

    missing = [
        name
        for name, module in memalign_nb._EXPORTS.items()
        if not hasattr(importlib.import_module(module), name)
    ]
    assert missing == []


def test_every_command_module_registers():
    from memalign_nb.cli import COMMAND_MODULES, build_parser

    parser = build_parser()
    (subparsers,) = [a for a in parser._actions if a.dest == "command"]
    assert set(COMMAND_MODULES) <= set(subparsers.choices)


def _user_code() -> list[tuple[str, str]]:
    """(where, code) of every Python block of the README and code cell of the notebooks."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    code = [("README.md", block) for block in re.findall(r"```python\n(.*?)```", readme, re.S)]
    for path in sorted((REPO / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        code += [(path.name, "".join(c["source"])) for c in cells if c["cell_type"] == "code"]
    return code


def test_readme_and_notebooks_import_the_public_api_one_way():
    import memalign_nb

    imports = []
    for where, code in _user_code():
        lines = [line for line in code.splitlines() if not line.lstrip().startswith(("%", "!"))]
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("memalign"):
                imports += [(where, node.module, alias.name) for alias in node.names]
    assert {module for _, module, _ in imports} == {"memalign_nb", WIDGETS_PACKAGE}
    unknown = [(w, name) for w, module, name in imports
               if module == "memalign_nb" and name not in memalign_nb.__all__]
    assert unknown == []
    used = {name for _, module, name in imports if module == "memalign_nb"}
    assert {"HeuristicJudge", "save_study", "sample_path", "log_study", "resolve_judge"} <= used


def test_every_public_error_is_exported_once_by_stage():
    import importlib
    import pkgutil

    import memalign_nb
    from memalign_nb.errors import MemAlignError

    errors = set()
    for module in pkgutil.walk_packages(memalign_nb.__path__, "memalign_nb."):
        if module.name.startswith("memalign_nb.testing") or module.name.endswith("__main__"):
            continue
        for name, value in vars(importlib.import_module(module.name)).items():
            if (isinstance(value, type) and issubclass(value, MemAlignError)
                    and value.__module__ == module.name and not name.startswith("_")):
                errors.add(name)
    assert len(errors) >= 15 and errors <= set(memalign_nb.__all__)
    exported = [name for names in memalign_nb._STAGES.values() for name in names]
    assert len(exported) == len(set(exported)), "a name is exported by two stages"
