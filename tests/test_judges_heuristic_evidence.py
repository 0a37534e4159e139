"""Tests for memalign_nb.judges.heuristic_evidence: the task read from a prompt, and the
readings of saved outputs and source lines the heuristic rules use."""

from __future__ import annotations

import pytest

from memalign_nb.datasets.model import Case
from memalign_nb.judges import heuristic_evidence as read
from memalign_nb.judges.heuristic_evidence import Evidence, Task, read_task
from memalign_nb.notebooks.model import Cell, Notebook
from memalign_nb.sections.facts import extract_facts

SETUP = ('import pandas as pd\nfrom sklearn.metrics import mean_squared_error\n'
         'df = pd.read_csv("train.csv")\ny = df["target"]')


def evidence(*cells: str | tuple[str, str], prompt: str = "") -> Evidence:
    built = tuple(Cell(i, "code", c[0], output_text=c[1]) if isinstance(c, tuple)
                  else Cell(i, "code", c) for i, c in enumerate(cells))
    notebook = Notebook("e.ipynb", built)
    facts = extract_facts(notebook)
    return Evidence(notebook, facts, read_task(Case("e", notebook, prompt), facts, True))


@pytest.mark.parametrize(("prompt", "asks"), [
    ("Build a model on titanic_train and write predictions for titanic_test.", True),
    ("Can you estimate what the houses in house_prices_test will sell for?", True),
    ("Using titanic_train, predict survival and give me a submission file.", True),
    ("What drives churn, and how well can a model predict it? I only need the analysis.",
     False),
    ("How accurately can we forecast sales two weeks ahead? No forecasts needed yet.", False),
    ("Which factors matter most for survival?", False),
    ("", None),
])
def test_read_task_reads_whether_predictions_are_asked(prompt, asks):
    ev = evidence(SETUP, prompt=prompt)
    assert ev.task.asks_predictions is asks


def test_read_task_prefers_the_case_task_type_then_the_prompt_then_the_code():
    notebook = Notebook("t.ipynb", (Cell(0, "code", SETUP),))
    facts = extract_facts(notebook)
    assert read_task(Case("t", notebook, "", "regression"), facts, True) == Task(
        "regression", "case", None, True)
    assert read_task(Case("t", notebook, "Forecast next week's demand."), facts,
                     True).task_type == "forecasting"
    assert read_task(Case("t", notebook), facts, True).task_source in ("code", "none")


def test_read_task_reads_whether_tracking_is_expected():
    notebook = Notebook("t.ipynb", (Cell(0, "code", SETUP),))
    facts = extract_facts(notebook)
    assert read_task(Case("t", notebook, "Log the run to MLflow."), facts,
                     False).tracking_expected
    assert not read_task(Case("t", notebook, "A quick one-off look, please."), facts,
                         True).tracking_expected
    assert not read_task(Case("t", notebook, "Predict churn."), facts, False).tracking_expected


def test_missing_counts_read_short_checks_only():
    assert read.missing_counts(evidence(SETUP, ("df.isna().sum()", "a    0\nb    3"))) == (
        True, [1])
    assert read.missing_counts(evidence(SETUP, ("df.isna().sum().sum()", "0"))) == (False, [1])
    long_cell = "\n".join(["df.isna().sum()", *(f"x{i} = {i}" for i in range(5))])
    assert read.missing_counts(evidence(SETUP, (long_cell, "a    0\nb    3"))) == (None, [])
    info = ("df.info()", "RangeIndex: 100 entries, 0 to 99\n 0  a  100 non-null  int64\n"
            " 1  b  97 non-null  float64")
    assert read.missing_counts(evidence(SETUP, info)) == (True, [1])


def test_minority_share_reads_a_class_balance_output():
    ev = evidence(SETUP, ('df["target"].value_counts()', "0    950\n1    50\nName: target"))
    assert read.minority_share(ev) == (0.05, 1)
    assert read.minority_share(evidence(SETUP)) == (None, None)


@pytest.mark.parametrize(("line", "wrong"), [
    ('print(f"RMSE: {mean_squared_error(y, p):.3f}")', ("rmse:", "mean_squared_error")),
    ('print("accuracy", mean_squared_error(y, p))', ("accuracy", "mean_squared_error")),
    ('print(f"RMSE: {np.sqrt(mean_squared_error(y, p)):.3f}")', None),
    ('print(f"MSE: {mean_squared_error(y, p):.3f}")', None),
    ('mlflow.log_metric("rmse", mean_squared_error(y, p))', None),
])
def test_mislabelled_metric(line, wrong):
    found = read.mislabelled_metric(evidence(SETUP, line))
    assert (found[:2] if found else None) == wrong


def test_unended_runs_ignore_with_blocks_and_ended_runs():
    assert read.unended_runs(evidence("import mlflow\nmlflow.start_run()"))
    assert not read.unended_runs(evidence("import mlflow\nwith mlflow.start_run():\n    pass"))
    assert not read.unended_runs(evidence("import mlflow\nmlflow.start_run()", "mlflow.end_run()"))


def test_evidence_computes_each_reading_once_per_memo():
    ev = evidence(SETUP)
    calls = []
    assert ev.cached("k", lambda: calls.append(1) or 7) == 7
    assert ev.cached("k", lambda: calls.append(1) or 8) == 7
    assert calls == [1]
    assert ev.dim("model_training") is ev.dim("model_training")
