"""Execute every notebook of ``notebooks/`` through papermill on the bundled sample.

The four run in order in one working directory, as a user would run them (01 exports
grades, 02 aligns on them and saves the judge 04 scores with), offline, with the heuristic
judge and small folds and bootstrap for speed. Each test asserts the artifacts a notebook
promises; the last ones check that a bad parameter or a failed quality gate stops the run
with a clear message inside the executed notebook.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
STUDY_DIMENSIONS = ["data_imputation", "model_training", "model_use"]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """The kernel's working directory, and an environment that keeps every run local.

    The kernel imports this checkout first (as pytest does), so it runs the code under test
    even where an older install of the package is around; tracking goes to ``mlflow.db``
    in the working directory. The folder holds a ``widgets/`` package of its own, as a
    Jupyter user's may: the notebooks' widgets must not be shadowed by it.
    """
    work = tmp_path_factory.mktemp("notebooks")
    (work / "widgets").mkdir()
    (work / "widgets" / "__init__.py").write_text("raise ImportError('shadowed widgets')\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTHONPATH", os.pathsep.join(
            [str(REPO_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
        for name in ("MLFLOW_TRACKING_URI", "DATABRICKS_RUNTIME_VERSION", "MEMALIGN_NB_PIP"):
            patch.delenv(name, raising=False)
        yield work


def execute(name: str, workdir: Path, output: str | None = None, **parameters):
    """Run ``notebooks/<name>.ipynb`` with papermill; return the executed notebook."""
    import papermill

    target = workdir / (output or f"{name}.out.ipynb")
    papermill.execute_notebook(
        str(NOTEBOOKS_DIR / f"{name}.ipynb"), str(target), parameters=parameters,
        kernel_name="python3", cwd=str(workdir), progress_bar=False,
    )
    return nbformat.read(target, as_version=4)


def execute_failing(name: str, workdir: Path, output: str, **parameters):
    """Run a notebook that must fail; return (the papermill error, the executed notebook)."""
    from papermill.exceptions import PapermillExecutionError

    with pytest.raises(PapermillExecutionError) as info:
        execute(name, workdir, output, **parameters)
    return info.value, nbformat.read(workdir / output, as_version=4)


def outputs(notebook, output_type: str | None = None, mime: str | None = None) -> list:
    found = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    if output_type:
        found = [o for o in found if o.output_type == output_type]
    if mime:
        found = [o for o in found if mime in o.get("data", {})]
    return found


def assert_ran_clean(notebook) -> None:
    assert outputs(notebook, "error") == []
    assert all(c.execution_count for c in notebook.cells if c.cell_type == "code")


def assert_error_shown(notebook, ename: str, *fragments: str) -> None:
    """The notebook stopped with ``ename`` and every fragment is in the message it shows."""
    errors = outputs(notebook, "error")
    assert [e.ename for e in errors] == [ename]
    for fragment in fragments:
        assert fragment in errors[0].evalue
    assert "An Exception was encountered" in notebook.cells[0].source  # papermill's banner


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def sample():
    from memalign_nb.datasets import load_dataset, sample_path

    return load_dataset(sample_path())


@pytest.fixture(scope="module")
def graded(workdir):
    return execute("01_grade", workdir, demo_grades=True)


@pytest.fixture(scope="module")
def aligned(workdir, graded):
    return execute("02_align", workdir, grades="memalign-output/grades.jsonl")


@pytest.fixture(scope="module")
def studied(workdir):
    return execute("03_study", workdir, folds=2, bootstrap=200, dimensions=STUDY_DIMENSIONS,
                   out_dir="study")


@pytest.fixture(scope="module")
def scored(workdir, aligned):
    return execute("04_score", workdir)  # every default: the judge 02 saved, the sample


def test_01_grade_exports_the_store_and_the_baseline(graded, workdir, sample):
    from memalign_nb.feedback import read_grades_jsonl, reference_scores

    assert_ran_clean(graded)
    out = workdir / "memalign-output"
    exported = read_grades_jsonl(out / "grades.jsonl")
    key = lambda g: (g.case_id, g.dimension, g.rater, g.score)  # noqa: E731
    assert sorted(map(key, exported)) == sorted(map(key, sample.feedback))
    judgments = read_jsonl(out / "baseline_judgments.jsonl")
    assert len(judgments) == len(sample.cases) * 9
    assert {j["judge_id"] for j in judgments} == {"heuristic"}
    assert all(j["score"] in (0, 1, 2, 3) and j["error"] is None for j in judgments)
    assert (out / "feedback.sqlite").is_file()
    assert not (Path(sample.path) / "feedback.sqlite").exists()  # package data untouched
    panel = outputs(graded, mime="application/vnd.jupyter.widget-view+json")
    assert any("Grading as expert" in o.data["text/plain"] for o in panel)  # its header
    table = outputs(graded, mime="text/markdown")[-1].data["text/markdown"]
    applicable = sum(1 for (_, dim), ref in reference_scores(sample.feedback).items()
                     if dim == "data_imputation" and ref > 0)
    assert 0 < applicable < len(sample.cases)
    assert f"| data_imputation | {applicable} |" in table
    suggested = next(c for c in graded.cells if c.get("id") == "grade-suggest")
    printed = "".join(o.get("text", "") for o in suggested.outputs)
    assert "nothing to suggest: every item is graded" in printed  # demo grades: all of them


def test_02_align_saves_and_logs_the_judge(aligned, workdir, sample):
    from mlflow import MlflowClient

    from memalign_nb.align import load_judge

    assert_ran_clean(aligned)
    printed = "".join(o.text for c in aligned.cells for o in c.get("outputs", [])
                      if o.output_type == "stream")
    assert "INFO mlflow" not in printed and "CloudPickle" not in printed
    judge_dir = workdir / "memalign-output" / "judge"
    config = json.loads((judge_dir / "config.json").read_text(encoding="utf-8"))
    assert config  # written by AlignedJudge.save
    judge = load_judge(judge_dir)
    assert judge.judge_id == "memalign:heuristic"
    assert set(judge.summary()) == {g.dimension for g in sample.feedback}
    assert judge.score(sample.cases[0], "data_imputation").ok
    guidelines = outputs(aligned, mime="text/markdown")[0].data["text/markdown"]
    assert guidelines.startswith("# Learned guidelines")
    client = MlflowClient(f"sqlite:///{workdir / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("memalign-nb")
    runs = client.search_runs([experiment.experiment_id], "attributes.run_name = 'align-heuristic'")
    assert len(runs) == 1
    assert runs[0].data.params["n_grades"] == str(len(sample.feedback))
    models = client.search_logged_models(experiment_ids=[experiment.experiment_id])
    assert [(m.name, m.source_run_id) for m in models] == [("judge", runs[0].info.run_id)]


def test_03_study_writes_results_report_and_plots(studied, workdir):
    from mlflow import MlflowClient

    assert_ran_clean(studied)
    out = workdir / "study"
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["params"]["n_folds"] == 2
    assert results["params"]["n_bootstrap"] == 200
    assert list(results["dimensions"]) == [*STUDY_DIMENSIONS, "all"]
    assert list(results["variants"]) == ["baseline", "semantic", "episodic", "full"]
    assert sum(len(fold) for fold in results["folds"]) == results["dataset"]["n_cases"] == 50
    for name in ("report.md", "report.html", "judgments.jsonl", "guidelines.md",
                 "plots/mae.png", "plots/ablation.png", "plots/improvement.png"):
        assert (out / name).is_file(), name
    assert "| data_imputation |" in outputs(studied, mime="text/markdown")[0].data["text/markdown"]
    assert len(outputs(studied, mime="image/png")) == 5  # mae, ablation, forest, leniency, cm
    client = MlflowClient(f"sqlite:///{workdir / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("memalign-nb")
    parents = client.search_runs([experiment.experiment_id],
                                 "tags.`memalign_nb.kind` = 'alignment-study'")
    assert len(parents) == 1
    assert parents[0].data.tags["memalign_nb.judge"] == "heuristic"


def test_04_score_writes_scores_and_passes_without_a_gate(scored, workdir, sample):
    assert_ran_clean(scored)
    rows = read_jsonl(workdir / "memalign-output" / "scores.jsonl")
    assert len(rows) == len(sample.cases) * 9
    assert {r["judge_id"] for r in rows} == {"memalign:heuristic"}
    assert {r["case_id"] for r in rows} == {c.case_id for c in sample.cases}
    table = outputs(scored, mime="text/markdown")[-1].data["text/markdown"]
    assert table.count("\n") == 2 + 9 - 1  # header, rule, one row per dimension


def test_04_score_gate_fails_on_low_means_and_unreadable_notebooks(scored, workdir, sample):
    folder = workdir / "generated"
    folder.mkdir()
    for case in sample.cases[:3]:
        shutil.copy(case.notebook.path, folder)
    (folder / "broken.ipynb").write_text('{"cells": [', encoding="utf-8")
    error, executed = execute_failing(
        "04_score", workdir, "gate.ipynb", notebooks=str(folder), min_mean=2.9,
        dimensions=["model_use", "model_training"], scores="gate/scores.jsonl",
    )
    rows = read_jsonl(workdir / "gate" / "scores.jsonl")  # written before the gate
    assert {r["case_id"] for r in rows} == {c.case_id for c in sample.cases[:3]}
    reasons = []
    for dimension in ("model_use", "model_training"):
        applicable = [r["score"] for r in rows if r["dimension"] == dimension and r["score"]]
        if applicable and sum(applicable) / len(applicable) < 2.9:
            reasons.append(f"{dimension} mean {sum(applicable) / len(applicable):.2f} < 2.9")
    reasons.append(f"unreadable notebooks: {folder / 'broken.ipynb'}")
    expected = "quality gate failed for 3 notebooks: " + "; ".join(reasons)
    assert (error.ename, error.evalue) == ("MemAlignError", expected)
    assert_error_shown(executed, "MemAlignError", expected)


@pytest.mark.parametrize(
    ("name", "parameters", "ename", "fragments"),
    [
        ("03_study", {"folds": "four"}, "ParameterError",
         ["parameter 'folds': expected an integer, got 'four'"]),
        ("02_align", {"dimensions": ["data_imputaton"]}, "UnknownNameError",
         ["unknown dimension 'data_imputaton' (did you mean data_imputation?); known: "
          "library_installation"]),
        ("04_score", {"judge": "no-such/judge"}, "ParameterError",
         ["parameter 'judge': no judge folder there; run 02_align.ipynb first"]),
        ("01_grade", {"demo_grades": "maybe"}, "ParameterError",
         ["parameter 'demo_grades': expected true or false, got 'maybe'"]),
    ],
)
def test_a_bad_parameter_stops_at_the_top_with_a_clear_message(
    workdir, name, parameters, ename, fragments
):
    error, executed = execute_failing(name, workdir, f"bad-{name}.ipynb", **parameters)
    assert error.ename == ename
    assert_error_shown(executed, ename, *fragments)
    failed = next(c for c in executed.cells if c.cell_type == "code"
                  and any(o.output_type == "error" for o in c.outputs))
    assert "resolve_params" in failed.source  # the parameter check, before any work
