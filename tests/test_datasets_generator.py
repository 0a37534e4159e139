"""Tests of the seeded sample generator and the bundled sample it produced."""

from __future__ import annotations

import ast
import builtins
import itertools
import json
import re
import statistics
from collections import Counter
from datetime import datetime
from pathlib import Path

import nbformat
import pytest

from memalign_nb.datasets import sample_path
from memalign_nb.datasets.generator import describe_case, generate_dataset
from memalign_nb.datasets.generator.build import build_notebook
from memalign_nb.datasets.generator.draws import stream
from memalign_nb.dimensions import DIMENSIONS
from memalign_nb.errors import DatasetError, InvalidGradeError
from memalign_nb.feedback.model import Grade

FILES = ("README.md", "cases.jsonl", "feedback.jsonl")


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _code(notebook) -> str:
    return "\n".join(c["source"] for c in notebook["cells"] if c["cell_type"] == "code")


def _built(seed: int, index: int):
    spec = describe_case(seed, index)
    notebook, facts = build_notebook(spec, stream(seed, "write", index))
    return spec, notebook, facts


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    """A fresh 50-notebook dataset with seed 0, the recipe of the bundled sample."""
    return generate_dataset(tmp_path_factory.mktemp("gen") / "sample", 50, seed=0)


@pytest.fixture(scope="module")
def grades(sample: Path) -> list[dict]:
    return _rows(sample / "feedback.jsonl")


@pytest.fixture(scope="module")
def built() -> list:
    """300 cases of another seed, built in memory with their answer keys."""
    return [_built(1, i) for i in range(300)]


# --- determinism -------------------------------------------------------------------


def test_same_seed_gives_identical_bytes(tmp_path: Path) -> None:
    a = _files(generate_dataset(tmp_path / "a", 8, seed=11))
    b = _files(generate_dataset(tmp_path / "b", 8, seed=11))
    assert a == b
    assert len([k for k in a if k.endswith(".ipynb")]) == 8


def test_different_seed_gives_different_data(tmp_path: Path) -> None:
    a = _files(generate_dataset(tmp_path / "a", 8, seed=11))
    b = _files(generate_dataset(tmp_path / "b", 8, seed=12))
    assert a["feedback.jsonl"] != b["feedback.jsonl"]
    assert a["cases.jsonl"] != b["cases.jsonl"]


def test_small_dataset_is_a_prefix_of_a_larger_one(tmp_path: Path) -> None:
    small = generate_dataset(tmp_path / "small", 5, seed=3)
    large = generate_dataset(tmp_path / "large", 12, seed=3)
    for path in (small / "notebooks").iterdir():
        assert path.read_bytes() == (large / "notebooks" / path.name).read_bytes()
    small_rows = _rows(small / "feedback.jsonl")
    ids = {r["case_id"] for r in small_rows}
    assert small_rows == [r for r in _rows(large / "feedback.jsonl") if r["case_id"] in ids]


def test_generation_leaves_global_random_state_alone(tmp_path: Path) -> None:
    import random

    random.seed(5)
    expected = random.random()
    random.seed(5)
    generate_dataset(tmp_path / "x", 2, seed=0)
    assert random.random() == expected


def test_bundled_sample_is_exactly_what_the_generator_writes(sample: Path) -> None:
    bundled = sample_path()
    assert _files(bundled) == _files(sample)


# --- files and contracts -------------------------------------------------------------


def test_notebooks_are_valid_canonical_nbformat_4(sample: Path) -> None:
    paths = sorted((sample / "notebooks").glob("*.ipynb"))
    assert len(paths) == 50
    for path in paths:
        text = path.read_text(encoding="utf-8")
        notebook = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
        assert notebook.nbformat == 4 and notebook.nbformat_minor == 5
        nbformat.validate(notebook)
        assert nbformat.writes(notebook) + "\n" == text, path.name  # what nbformat writes
        assert len({c.id for c in notebook.cells}) == len(notebook.cells)


def test_feedback_has_every_case_dimension_and_rater(sample: Path, grades: list[dict]) -> None:
    cases = _rows(sample / "cases.jsonl")
    assert len(cases) == 50 and len(grades) == 50 * 9 * 2
    keys = Counter((g["case_id"], g["dimension"], g["rater"]) for g in grades)
    assert set(keys.values()) == {1}
    assert {g["rater"] for g in grades} == {"expert_a", "expert_b"}
    assert {g["case_id"] for g in grades} == {c["case_id"] for c in cases}
    stems = {p.stem for p in (sample / "notebooks").glob("*.ipynb")}
    assert stems == {c["case_id"] for c in cases}
    for row in grades:
        assert set(row) == {"case_id", "dimension", "score", "rationale", "rater", "created_at"}
        assert row["dimension"] in DIMENSIONS and row["score"] in (0, 1, 2, 3)
        assert datetime.strptime(row["created_at"], "%Y-%m-%dT%H:%M:%SZ")
        Grade(**row)


def test_rationales_are_short_specific_and_the_raters_word_them_differently(
        grades: list[dict]) -> None:
    by_item: dict[tuple, dict] = {}
    for row in grades:
        by_item.setdefault((row["case_id"], row["dimension"]), {})[row["rater"]] = row
        text = row["rationale"]
        assert 10 < len(text) <= 300 and text.count(". ") <= 2, text
        assert "{" not in text and "}" not in text, text
    for pair in by_item.values():
        assert pair["expert_a"]["rationale"] != pair["expert_b"]["rationale"]
    texts = Counter(r["rationale"] for r in grades if r["score"] and r["rater"] == "expert_a")
    assert len(texts) > 0.6 * sum(texts.values())  # specific to the notebook, not boilerplate


def test_prompts_and_task_types(sample: Path) -> None:
    cases = _rows(sample / "cases.jsonl")
    assert {c["task_type"] for c in cases} == {"classification", "regression", "forecasting"}
    for case in cases:
        spec = describe_case(0, int(case["case_id"][:4]))
        assert case["prompt"] == spec.prompt and case["task_type"] == spec.task_type
        assert spec.task.train_name in case["prompt"]
        assert spec.predicts == (spec.task.test_name in case["prompt"])


def test_answer_key_is_not_shipped_with_the_dataset(sample: Path) -> None:
    assert sorted(p.name for p in sample.iterdir()) == ["README.md", "cases.jsonl",
                                                        "feedback.jsonl", "notebooks"]
    text = "\n".join(p.read_text(encoding="utf-8") for p in sample.rglob("*") if p.is_file())
    for name in ("imputer_before_split", "tune_on_test", "pipeline_imputer", "not_applicable"):
        assert name not in text


# --- grades ---------------------------------------------------------------------------


def test_every_score_level_appears_on_every_dimension(grades: list[dict]) -> None:
    first = [g for g in grades if g["rater"] == "expert_a"]
    for dimension in DIMENSIONS:
        scores = Counter(g["score"] for g in first if g["dimension"] == dimension)
        assert {1, 2, 3} <= set(scores), dimension
        assert (0 in scores) == (dimension in ("data_imputation", "model_use")), dimension
        assert max(scores[s] for s in (1, 2, 3)) <= 25, dimension  # no level dominates


def test_grades_equal_the_answer_key(grades: list[dict]) -> None:
    for row in grades:
        if row["rater"] == "expert_a":
            spec = describe_case(0, int(row["case_id"][:4]))
            assert spec.scores[row["dimension"]] == row["score"]


def test_not_applicable_follows_the_data_and_the_prompt(sample: Path, grades: list[dict]) -> None:
    scores = {(g["case_id"], g["dimension"]): g["score"] for g in grades
              if g["rater"] == "expert_a"}
    for path in sorted((sample / "notebooks").glob("*.ipynb")):
        spec = describe_case(0, int(path.stem[:4]))
        code = _code(nbformat.read(path, as_version=4))
        assert (scores[(path.stem, "data_imputation")] == 0) == (not spec.task.has_missing)
        assert (scores[(path.stem, "model_use")] == 0) == (not spec.predicts)
        if not spec.predicts:
            assert spec.task.test_name not in code and "submission" not in code
        if not spec.task.has_missing:
            assert "fillna(" not in code and "Imputer(" not in code


def test_second_rater_disagrees_realistically(grades: list[dict]) -> None:
    pairs: dict[tuple, dict] = {}
    for row in grades:
        pairs.setdefault((row["case_id"], row["dimension"]), {})[row["rater"]] = row["score"]
    rate, gaps = {}, []
    for dimension in DIMENSIONS:
        items = [p for (c, d), p in pairs.items() if d == dimension and p["expert_a"]]
        differ = [abs(p["expert_a"] - p["expert_b"]) for p in items
                  if p["expert_a"] != p["expert_b"]]
        rate[dimension] = len(differ) / len(items)
        gaps += differ
    applicable = [p for p in pairs.values() if p["expert_a"]]
    overall = sum(p["expert_a"] != p["expert_b"] for p in applicable) / len(applicable)
    assert 0.10 <= overall <= 0.20
    assert max(rate, key=rate.get) == "exploratory_data_analysis"
    assert 0.2 <= rate["exploratory_data_analysis"] <= 0.4
    assert rate["mlflow_logging"] <= 0.1 and rate["library_installation"] <= 0.1
    assert gaps.count(1) >= 0.8 * len(gaps)
    zeros = [p for p in pairs.values() if p["expert_a"] == 0]
    assert zeros and all(p["expert_b"] == 0 for p in zeros)


def test_three_raters(tmp_path: Path) -> None:
    out = generate_dataset(tmp_path / "x", 4, seed=2, raters=("ann", "bob", "cy"))
    rows = _rows(out / "feedback.jsonl")
    assert len(rows) == 4 * 9 * 3
    assert [r["rater"] for r in rows[:3]] == ["ann", "bob", "cy"]
    assert "ann, bob, cy" in (out / "README.md").read_text()


# --- notebooks ---------------------------------------------------------------------


def test_notebooks_tell_a_story_in_markdown(sample: Path) -> None:
    for path in sorted((sample / "notebooks").glob("*.ipynb")):
        cells = nbformat.read(path, as_version=4).cells
        assert cells[0].cell_type == "markdown" and cells[0].source.startswith("# ")
        spec = describe_case(0, int(path.stem[:4]))
        if spec.practices["cell_organization"] == "sectioned":
            headings = [c for c in cells if c.cell_type == "markdown" and "## " in c.source]
            assert len(headings) >= 5
            assert any(c.source.startswith(("**", "This", "Goal", "The", "ROC", "MAE"))
                       for c in cells[1:] if c.cell_type == "markdown")


def test_no_two_notebooks_share_their_code(sample: Path) -> None:
    lines = {}
    for path in sorted((sample / "notebooks").glob("*.ipynb")):
        code = _code(nbformat.read(path, as_version=4))
        lines[path.stem] = {line.strip() for line in code.splitlines() if line.strip()}
    for a, b in itertools.combinations(lines, 2):
        assert lines[a] != lines[b]
        jaccard = len(lines[a] & lines[b]) / len(lines[a] | lines[b])
        assert jaccard < 0.6, (a, b)


def test_code_parses_and_every_name_is_defined_unless_the_practice_forgets_it(built) -> None:
    for spec, notebook, facts in built:
        defined = set(dir(builtins)) | {"spark"}
        used = set()
        for cell in notebook["cells"]:
            if cell["cell_type"] != "code":
                continue
            source = "\n".join(line for line in cell["source"].splitlines()
                               if not line.lstrip().startswith(("%", "!")))
            for node in ast.walk(ast.parse(source)):
                if isinstance(node, ast.Name):
                    (defined.add if isinstance(node.ctx, ast.Store) else used.add)(node.id)
                elif isinstance(node, ast.Import | ast.ImportFrom):
                    defined.update((a.asname or a.name).split(".")[0] for a in node.names)
                elif isinstance(node, ast.FunctionDef):
                    defined.add(node.name)
                elif isinstance(node, ast.arg):
                    defined.add(node.arg)
        forgotten = used - defined
        if spec.practices["library_installation"] == "missing_import":
            assert forgotten == {facts["missing"]}, spec.case_id
        else:
            assert not forgotten, (spec.case_id, forgotten)


def _split_at(code: str) -> int:
    found = re.search(r"train_test_split\(|is_train = ", code)
    return found.start() if found else len(code)


_SIGNS = {
    "imputer_before_split": lambda c, s: -1 < c.find("imputer.fit_transform(") < _split_at(c),
    "concat_train_test": lambda c, s: -1 < c.find("full = pd.concat(") < _split_at(c),
    "impute_target": lambda c, s: f"{s.style.df} = {s.style.df}.fillna({s.style.df}." in c,
    "full_frame_stats": lambda c, s: re.search(r"\.fillna\(\w+\[\"\w+\"\]\.(mean|median)\(\)\)",
                                               c.replace("'", '"')),
    "train_stats": lambda c, s: f"fill_values = {s.style.X_train}[num_cols].median()" in c,
    "scaler_before_split": lambda c, s: -1 < c.find("scaler.fit_transform(") < _split_at(c),
    "label_encode_linear": lambda c, s: "LabelEncoder()" in c,
    "fit_on_all": lambda c, s: f".fit({s.style.X}, {s.style.y})" in c,
    "tune_on_test": lambda c, s: f"candidate.score({s.style.X_valid}, {s.style.y_valid})" in c,
    "random_split_ts": lambda c, s: "train_test_split(" in c and s.task_type == "forecasting",
    "regressor_for_class": lambda c, s: "LinearRegression()" in c,
    "cv_tuned": lambda c, s: "GridSearchCV(" in c and "Dummy" in c,
    "refit_on_new": lambda c, s: re.search(r"fit_transform\(X_new|X_new\.median", c),
    "predict_on_train": lambda c, s: re.search(rf"predict(_proba)?\({s.style.X_train}\)", c),
    "load_logged_model": lambda c, s: "mlflow.pyfunc.load_model(" in c,
    "train_metrics": lambda c, s: f"({s.style.y_train}, pred)" in c,
    "full_manual": lambda c, s: all(k in c for k in ("set_experiment(", "signature=",
                                                      "input_example=")),
    "metrics_only": lambda c, s: "log_metric(" in c and "log_model(" not in c,
    "broken_install": lambda c, s: "pip install sklearn" in c,
    "removed_api": lambda c, s: re.search(r"cross_validation|import .*\bImputer\b|sparse=False"
                                          r"|sklearn\.externals", c),
}


def test_each_practice_is_visible_in_the_code(built) -> None:
    seen = set()
    for spec, notebook, _ in built:
        code = _code(notebook)
        if spec.practices["mlflow_logging"] == "none":
            assert "mlflow" not in code
        for practice in spec.practices.values():
            if practice in _SIGNS:
                seen.add(practice)
                assert _SIGNS[practice](code, spec), (spec.case_id, practice)
    assert seen == set(_SIGNS)


def test_outputs_look_saved_and_stop_at_the_first_error(built) -> None:
    kinds = Counter()
    for spec, notebook, _ in built:
        code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
        failed = False
        for cell in code:
            if failed:
                assert cell["outputs"] == [] and cell["execution_count"] is None
            kinds.update(o["output_type"] for o in cell["outputs"])
            failed = failed or any(o["output_type"] == "error" for o in cell["outputs"])
        if not spec.style.executed:
            assert all(c["execution_count"] is None for c in code)
    assert {"stream", "execute_result", "display_data", "error"} <= set(kinds)


def test_answer_key_is_stable_and_checked() -> None:
    spec = describe_case(4, 30)
    assert spec == describe_case(4, 30)
    assert spec.case_id.startswith("0030-") and set(spec.practices) == set(DIMENSIONS)
    with pytest.raises(ValueError):
        describe_case(0, -1)


def test_notebook_shape_is_within_the_range_of_real_kaggle_notebooks(
    sample: Path, real_notebook_paths: list[Path]
) -> None:
    def shape(paths):
        sizes, code_lines = [], []
        for path in paths:
            cells = nbformat.read(path, as_version=4).cells
            sizes.append(len(cells))
            code_lines += [len(c.source.splitlines()) for c in cells if c.cell_type == "code"]
        return statistics.median(sizes), statistics.median(code_lines)

    real = real_notebook_paths
    real_sizes = sorted(len(nbformat.read(p, as_version=4).cells) for p in real)
    ours_cells, ours_lines = shape(sorted((sample / "notebooks").glob("*.ipynb")))
    real_cells, real_lines = shape(real)
    assert real_sizes[len(real_sizes) // 10] <= ours_cells <= real_sizes[-len(real_sizes) // 10]
    assert real_lines / 3 <= ours_lines <= real_lines * 3


# --- arguments and folders -----------------------------------------------------------


def test_refuses_to_overwrite_unless_asked(tmp_path: Path) -> None:
    out = generate_dataset(tmp_path / "d", 6, seed=0)
    (out / "notes.txt").write_text("mine")
    with pytest.raises(DatasetError, match="overwrite=True"):
        generate_dataset(out, 3, seed=0)
    generate_dataset(out, 3, seed=0, overwrite=True)
    assert len(list((out / "notebooks").glob("*.ipynb"))) == 3
    assert len(_rows(out / "cases.jsonl")) == 3
    assert (out / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("n_cases", [0, -3, 2.5, True])
def test_rejects_bad_case_counts(tmp_path: Path, n_cases) -> None:
    with pytest.raises(DatasetError, match="n_cases"):
        generate_dataset(tmp_path / "d", n_cases)
    assert not (tmp_path / "d").exists()


@pytest.mark.parametrize("raters", [(), ("a", "a"), ("a", " "), "expert"])
def test_rejects_bad_raters(tmp_path: Path, raters) -> None:
    with pytest.raises(InvalidGradeError, match="rater"):
        generate_dataset(tmp_path / "d", 2, raters=raters)


def test_rejects_a_file_as_output_folder(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(DatasetError, match="not a folder"):
        generate_dataset(target, 2)


def test_sample_loads_with_the_dataset_loader() -> None:
    from memalign_nb.datasets import load_dataset

    dataset = load_dataset(sample_path())
    assert len(dataset.cases) == 50 and len(dataset.feedback) == 900
    assert {c.task_type for c in dataset.cases} == {"classification", "regression",
                                                   "forecasting"}


@pytest.mark.slow
def test_generates_500_notebooks(tmp_path: Path) -> None:
    out = generate_dataset(tmp_path / "big", 500, seed=9)
    assert len(list((out / "notebooks").glob("*.ipynb"))) == 500
    rows = _rows(out / "feedback.jsonl")
    assert len(rows) == 500 * 9 * 2
    tasks = Counter(r["case_id"].split("-", 1)[1] for r in _rows(out / "cases.jsonl"))
    assert len(tasks) == 7 and min(tasks.values()) >= 65
