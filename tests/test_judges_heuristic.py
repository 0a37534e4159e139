"""Tests for memalign_nb.judges.heuristic: the offline heuristic judge as a Judge.

Per-dimension scoring is tested in ``test_judges_heuristic_rules.py``; here: the engine's
interface, custom dimensions, determinism, caching, that grades and case ids are never
read, the real corpus, and the ``memalign-nb judge`` command.
"""

from __future__ import annotations

import dataclasses
import json
import pickle
import shutil
import warnings
from collections import Counter
from pathlib import Path

import pytest
from sklearn.base import clone

from memalign_nb.cli import main
from memalign_nb.datasets import generate_dataset, load_dataset
from memalign_nb.datasets.model import Case
from memalign_nb.dimensions import DIMENSIONS
from memalign_nb.errors import UnknownNameError
from memalign_nb.judges.heuristic import CUSTOM_SCORE, HeuristicJudge
from memalign_nb.judges.registry import make_judge
from memalign_nb.notebooks import read_notebook
from memalign_nb.notebooks.model import Cell, Notebook
from memalign_nb.rubrics import load_rubrics
from memalign_nb.rubrics.model import Rubric

LEAKY = (
    "import pandas as pd\nfrom sklearn.impute import SimpleImputer\n"
    "from sklearn.model_selection import train_test_split\n"
    "from sklearn.ensemble import RandomForestClassifier\n"
    'df = pd.read_csv("train.csv")\nX = df.drop(columns=["Survived"])\ny = df["Survived"]',
    "X = SimpleImputer().fit_transform(X)",
    "X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)",
    "model = RandomForestClassifier(random_state=0).fit(X_train, y_train)",
)


def _case(sources: tuple[str, ...] = LEAKY, case_id: str = "leaky", prompt: str = "") -> Case:
    cells = tuple(Cell(i, "code", source) for i, source in enumerate(sources))
    return Case(case_id, Notebook(f"{case_id}.ipynb", cells), prompt)


def _comparable(judgment) -> tuple:
    return judgment.dimension, judgment.score, judgment.rationale, json.dumps(
        dict(judgment.metadata), sort_keys=True)


@pytest.fixture(scope="module")
def dataset_dir(tmp_path_factory) -> Path:
    """A small generated dataset with human grades (independent of the bundled sample)."""
    return generate_dataset(tmp_path_factory.mktemp("ds") / "ds", 6, seed=5)


def test_make_judge_builds_the_heuristic_engine_with_sklearn_style_params():
    judge = make_judge("heuristic", token_budget=800, tracking_expected=False)
    assert isinstance(judge, HeuristicJudge) and judge.judge_id == "heuristic"
    assert judge.get_params() == {"rubrics": None, "token_budget": 800,
                                  "tracking_expected": False}
    assert judge.dimensions == DIMENSIONS
    assert "HeuristicJudge(" in repr(judge)


def test_judgment_names_the_decisive_facts_and_is_json_serialisable():
    judgment = HeuristicJudge().score(_case(), "data_imputation")
    assert judgment.score == 1 and judgment.error is None
    assert "SimpleImputer in cell 1" in judgment.rationale
    assert "train_test_split in cell 2" in judgment.rationale
    assert judgment.metadata["facts"]["imputer_fit_before_split"] is True
    assert judgment.metadata["rule"] == "data_imputation.leakage"
    assert judgment.prompt_tokens == judgment.completion_tokens == 0
    json.dumps(judgment.to_dict())


def test_custom_dimension_gets_the_documented_fallback_and_unknown_ones_raise():
    custom = Rubric("reproducibility", "Reproducibility", "Can it be rerun?",
                    ((3, "yes"), (2, "mostly"), (1, "no")), cells_from=("model_training",))
    judge = HeuristicJudge(rubrics={**load_rubrics(), "reproducibility": custom})
    assert judge.dimensions == (*DIMENSIONS, "reproducibility")
    judgment = judge.score(_case(), "reproducibility")
    assert judgment.ok and judgment.score == CUSTOM_SCORE
    assert judgment.metadata["rule"] == "custom.no_rules"
    assert "no rules for the custom dimension 'reproducibility'" in judgment.rationale
    assert judge.score(_case(), "model_training").metadata["rule"].startswith("model_training")
    with pytest.raises(UnknownNameError, match="nonsense"):
        judge.score(_case(), "nonsense")


def test_only_the_rubric_dimensions_are_scored_when_rubrics_are_given():
    judge = HeuristicJudge(rubrics={"data_imputation": load_rubrics()["data_imputation"]})
    assert judge.dimensions == ("data_imputation",)
    with pytest.raises(UnknownNameError):
        judge.score(_case(), "model_training")


def test_build_section_respects_the_token_budget():
    small = HeuristicJudge(token_budget=60).build_section(_case(), "data_imputation")
    whole = HeuristicJudge().build_section(_case(), "data_imputation")
    assert whole.cell_indices == (1, 2) and not whole.trimmed
    assert small.dimension == "data_imputation" and small.trimmed
    assert small.tokens < whole.tokens


def test_scores_are_deterministic_across_judges_copies_and_pickling():
    case = _case()
    first = [_comparable(HeuristicJudge().score(case, d)) for d in DIMENSIONS]
    copy = dataclasses.replace(case, notebook=dataclasses.replace(case.notebook))
    assert [_comparable(HeuristicJudge().score(copy, d)) for d in DIMENSIONS] == first
    revived = pickle.loads(pickle.dumps(HeuristicJudge()))
    assert [_comparable(revived.score(case, d)) for d in DIMENSIONS] == first


def test_a_notebook_is_parsed_once_for_all_dimensions(monkeypatch):
    from memalign_nb.sections import facts_cache

    calls = Counter()
    real = facts_cache.extract_facts

    def counting(notebook):
        calls[notebook.path] += 1
        return real(notebook)

    monkeypatch.setattr(facts_cache, "extract_facts", counting)
    case = _case(case_id="counted")
    judge = HeuristicJudge()
    for _ in range(3):
        for dimension in DIMENSIONS:
            judge.score(case, dimension)
    assert calls == {"counted.ipynb": 1}


def test_the_prompt_decides_model_use_applicability():
    sources = (*LEAKY, 'new = pd.read_csv("test.csv")\npred = model.predict(new)')
    judge = HeuristicJudge()
    asked = judge.score(_case(sources, prompt="Predict survival for titanic_test."), "model_use")
    analysis = judge.score(_case(sources, prompt="Which factors matter? Just the analysis."),
                           "model_use")
    assert asked.score in (1, 2, 3) and analysis.score == 0
    assert analysis.metadata["facts"]["asks_predictions"] is False


def test_scores_never_depend_on_grades_or_case_ids(dataset_dir, tmp_path):
    original = load_dataset(dataset_dir)
    assert original.feedback, "the generated dataset should carry grades"
    blind = tmp_path / "blind"
    shutil.copytree(dataset_dir, blind)
    (blind / "feedback.jsonl").unlink()
    renames = {}
    for index, path in enumerate(sorted((blind / "notebooks").glob("*.ipynb"))):
        renames[path.stem] = f"anonymous-{index}"
        path.rename(path.with_name(f"anonymous-{index}.ipynb"))
    rows = [json.loads(line) for line in (blind / "cases.jsonl").read_text().splitlines()]
    (blind / "cases.jsonl").write_text("".join(
        json.dumps({**row, "case_id": renames[row["case_id"]]}) + "\n" for row in rows))
    renamed = {c.case_id: c for c in load_dataset(blind).cases}
    assert not load_dataset(blind).feedback
    judge = HeuristicJudge()
    for case in original.cases:
        twin = renamed[renames[case.case_id]]
        assert [_comparable(judge.score(twin, d)) for d in DIMENSIONS] == [
            _comparable(judge.score(case, d)) for d in DIMENSIONS]


def test_real_corpus_scores_without_error(real_notebook_paths):
    paths = real_notebook_paths
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # schema warnings of old Kaggle files
        cases = [Case(p.stem, read_notebook(p)) for p in paths]
    judgments = HeuristicJudge().score_many(cases, progress=False)
    assert len(judgments) == len(cases) * len(DIMENSIONS)
    assert all(j.ok and j.score in (0, 1, 2, 3) and j.rationale for j in judgments)
    json.dumps([j.to_dict() for j in judgments])
    by_dimension = {d: Counter(j.score for j in judgments if j.dimension == d)
                    for d in DIMENSIONS}
    # Real notebooks vary: no dimension may collapse to one score, except MLflow (none of
    # these Kaggle notebooks tracks runs, and tracking is expected by default).
    assert all(len(counts) >= 2 for d, counts in by_dimension.items() if d != "mlflow_logging")
    assert by_dimension["mlflow_logging"] == Counter({1: len(cases)})


def test_cli_judge_prints_the_per_dimension_table(dataset_dir, tmp_path, capsys):
    out = tmp_path / "judgments.jsonl"
    code = main(["judge", str(dataset_dir), "--model", "heuristic", "--out", str(out),
                 "--no-progress", "--no-cache"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "MAE" in printed and "signed" in printed
    assert all(dimension in printed for dimension in DIMENSIONS)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 6 * len(DIMENSIONS)
    assert {row["judge_id"] for row in rows} == {"heuristic"}


def test_clone_and_set_params_work_the_scikit_learn_way():
    judge = HeuristicJudge(token_budget=800)
    copy = clone(judge).set_params(tracking_expected=False)
    assert copy.get_params() == {"rubrics": None, "token_budget": 800,
                                 "tracking_expected": False}
    assert judge.tracking_expected is True
    case = _case()
    assert copy.score(case, "mlflow_logging").score in (0, 1, 2, 3)
