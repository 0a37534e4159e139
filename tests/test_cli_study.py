"""Tests of memalign_nb.cli.study: ``memalign-nb study`` and ``memalign-nb demo``.

They run the real study (heuristic judge, MemAlign) on ``generate_dataset(n_cases=16,
seed=1)`` with 2 folds and 200 bootstrap resamples; the slow test runs the real demo on
the bundled sample.
"""

from __future__ import annotations

import json
import re

import pytest

from memalign_nb.cli import main
from memalign_nb.feedback import FeedbackStore
from memalign_nb.feedback.model import Grade

FAST = ["--folds", "2", "--bootstrap", "200", "--no-progress"]


@pytest.fixture(scope="module")
def dataset_dir(tmp_path_factory):
    from memalign_nb.datasets import generate_dataset

    return generate_dataset(tmp_path_factory.mktemp("cli") / "ds", n_cases=16, seed=1)


def test_study_writes_outputs_prints_the_table_and_survives_a_tracking_failure(
    dataset_dir, tmp_path, capsys
):
    store = tmp_path / "grades.sqlite"
    case_id = min(p.stem for p in (dataset_dir / "notebooks").glob("*.ipynb"))
    with FeedbackStore(store) as grades:
        grades.save(Grade(case_id, "model_use", 2, "third opinion", "expert_c"))
    out = tmp_path / "study"
    code = main(["study", str(dataset_dir), "--out", str(out), "--tracking-uri",
                 "sqlite:////proc/no-such-dir/mlflow.db", "--variants", "baseline", "full",
                 "--store", str(store), *FAST])
    printed, err = capsys.readouterr()
    assert code == 1  # the study is complete, its tracking is not
    assert "MLflow logging to sqlite:////proc/no-such-dir/mlflow.db failed" in err
    results = json.loads((out / "results.json").read_text())
    assert results["params"]["variants"] == ["baseline", "full"]
    assert results["params"]["n_folds"] == 2 and results["params"]["n_bootstrap"] == 200
    assert results["dataset"]["n_raters"] == 3  # the store's rater joined feedback.jsonl's
    assert (out / "report.html").is_file() and (out / "plots" / "mae.png").is_file()
    header = next(line for line in printed.splitlines() if line.startswith("dimension"))
    assert "baseline MAE [95% CI]" in header and "full MAE [95% CI]" in header
    pooled = results["dimensions"]["all"]["full"]
    assert re.search(rf"^all .*{pooled['mae']:.3f} \[{pooled['ci_low']:.3f}, "
                     rf"{pooled['ci_high']:.3f}\]", printed, re.MULTILINE)
    usage = results["usage"]
    assert f"{usage['judgments']} judgments: {usage['model_calls']} model calls" in printed
    assert re.search(r"^cost\s+Wall time [\d.]+ s: baseline scoring", printed, re.MULTILINE)
    assert "MLflow     run" not in printed


def test_demo_tracks_to_its_folder_and_says_how_to_open_mlflow(dataset_dir, tmp_path,
                                                              monkeypatch, capsys):
    from mlflow import MlflowClient

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setattr("memalign_nb.datasets.sample_path", lambda: dataset_dir)
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), *FAST]) == 0
    printed = capsys.readouterr().out
    uri = f"sqlite:///{out.resolve() / 'mlflow.db'}"
    assert f"mlflow ui --backend-store-uri {uri}" in printed
    run_id = re.search(r"MLflow\s+run (\w+)", printed).group(1)
    run = MlflowClient(tracking_uri=uri).get_run(run_id)
    assert run.info.status == "FINISHED" and run.data.params["judge"] == "heuristic"
    assert run.info.artifact_uri.startswith((out.resolve() / "mlartifacts").as_uri())
    assert (out / "report.md").is_file() and (out / "results.json").is_file()
    assert list((out / "mlartifacts").rglob("report.html"))


def test_demo_honours_mlflow_tracking_uri(dataset_dir, tmp_path, monkeypatch, capsys):
    logged = {}

    def fake_log_study(result, paths, **options):
        logged.update(options)
        return "run-123"

    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5999")
    monkeypatch.setattr("memalign_nb.datasets.sample_path", lambda: dataset_dir)
    monkeypatch.setattr("memalign_nb.tracking.log_study", fake_log_study)
    assert main(["demo", "--out", str(tmp_path / "demo"), "--folds", "2", "--bootstrap",
                 "50", "--no-progress"]) == 0
    assert logged["tracking_uri"] == "http://127.0.0.1:5999"
    assert "open it in the MLflow UI of http://127.0.0.1:5999" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "message"), [
    (["study", "x", "--folds", "1"], "must be at least 2"),
    (["study", "x", "--variants", "fancy"], "invalid choice: 'fancy'"),
    (["study", "x", "--bootstrap", "0"], "must be at least 1"),
    (["study", "x", "--max-failed", "5"], "must be from 0 to 1"),
    (["study", "x", "--timeout", "0"], "must be positive"),
    (["study", "x", "--learning-curve", "1,0.5"], "at least two increasing shares in (0, 1]"),
    (["study", "x", "--learning-curve", "half,1"], "not a list of shares like 0.25,0.5,1"),
    (["study", "x", "--learning-curve", "--curve-seeds", "0"], "must be at least 1"),
])
def test_bad_arguments_are_usage_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_learning_curve_flag_prints_the_curve_and_its_verdict(dataset_dir, tmp_path, capsys):
    out = tmp_path / "study"
    assert main(["study", str(dataset_dir), "--out", str(out), "--no-mlflow", "--variants",
                 "baseline", "full", "--learning-curve", "0.5,1", "--curve-seeds", "2",
                 *FAST]) == 0
    printed = capsys.readouterr().out
    results = json.loads((out / "results.json").read_text())
    curve = results["learning_curve"]
    assert [p["fraction"] for p in curve["points"]] == [0.5, 1.0] and curve["n_seeds"] == 2
    assert re.search(r"^share of training fold\s+training notebooks", printed, re.MULTILINE)
    assert curve["verdict"][:60] in " ".join(printed.split())
    assert f"curve      {out / 'plots' / 'learning_curve.png'}" in printed


def test_learning_curve_flag_alone_takes_the_default_shares():
    from memalign_nb.cli import build_parser
    from memalign_nb.study.curve import DEFAULT_FRACTIONS

    parse = build_parser().parse_args
    assert parse(["study", "x"]).learning_curve is None
    assert parse(["study", "x", "--learning-curve"]).learning_curve == DEFAULT_FRACTIONS
    assert parse(["demo", "--learning-curve", "0.2,0.6,1"]).learning_curve == (0.2, 0.6, 1.0)


def test_study_tracks_beside_its_outputs_like_the_demo(dataset_dir, tmp_path, monkeypatch,
                                                       capsys):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "study"
    assert main(["study", str(dataset_dir), "--out", str(out), "--variants", "baseline",
                 "full", *FAST]) == 0
    assert (out / "mlflow.db").is_file() and not (tmp_path / "mlflow.db").exists()
    assert f"sqlite:///{out.resolve() / 'mlflow.db'}" in capsys.readouterr().out


def test_study_passes_timeout_and_retries_to_an_llm_judge(dataset_dir, tmp_path, monkeypatch):
    from memalign_nb.study import AlignmentStudy

    made = {}

    def fit(self, dataset):
        made.update(timeout=self.judge.timeout, max_retries=self.judge.max_retries)
        raise SystemExit(0)

    monkeypatch.setattr(AlignmentStudy, "fit", fit)
    with pytest.raises(SystemExit):
        main(["study", str(dataset_dir), "--model", "openai:x", "--timeout", "7.5",
              "--max-retries", "5", "--out", str(tmp_path / "s"), *FAST])
    assert (made["timeout"], made["max_retries"]) == (7.5, 5)


def test_a_missing_dataset_is_a_one_line_error(tmp_path, capsys):
    assert main(["study", str(tmp_path / "nope"), "--no-mlflow", *FAST]) == 2
    err = capsys.readouterr().err
    assert err.startswith("memalign-nb study: error:") and "nope" in err


@pytest.mark.slow
def test_the_demo_on_the_bundled_sample_beats_the_baseline_where_it_is_worst(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    out = tmp_path / "demo-output"
    assert main(["demo", "--out", str(out), "--no-progress"]) == 0
    results = json.loads((out / "results.json").read_text())
    assert results["params"]["n_bootstrap"] == 10_000 and results["params"]["n_folds"] == 4
    rows = {d: r for d, r in results["dimensions"].items() if d != "all"}
    worst = max(rows, key=lambda d: rows[d]["baseline"]["mae"])
    assert rows[worst]["full"]["mae"] < rows[worst]["baseline"]["mae"], worst
    assert (out / "mlflow.db").is_file() and (out / "report.html").is_file()
    assert "mlflow ui --backend-store-uri sqlite:///" in capsys.readouterr().out


@pytest.mark.slow
def test_an_llm_study_reports_calls_and_tokens_and_resumes_from_the_cache(
    dataset_dir, tmp_path, monkeypatch, capsys
):
    from memalign_nb.testing import FakeOpenAIServer

    def responder(request):
        if "Distillation" in json.dumps(request):  # the reflection model's structured output
            return {"guidelines": [{"text": "Score 1 when an imputer is fitted before the "
                                            "train/test split.", "source_case_ids": []}]}
        return {"score": 2, "rationale": "scripted reply"}

    monkeypatch.setenv("OPENAI_API_KEY", "not-a-real-key")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with FakeOpenAIServer(responder) as server:
        argv = ["study", str(dataset_dir), "--model", "openai:judge-model", "--base-url",
                server.base_url, "--cache-dir", str(tmp_path / "cache"), "--no-mlflow",
                "--variants", "baseline", "full", "--dimensions", "data_imputation",
                "model_use", "--folds", "2", "--bootstrap", "50", "--no-progress"]
        runs = []
        for run in ("first", "again"):
            assert main([*argv, "--out", str(tmp_path / run)]) == 0
            runs.append((json.loads((tmp_path / run / "results.json").read_text())["usage"],
                         capsys.readouterr().out))
    (first, printed), (again, _) = runs
    assert first["model_calls"] == first["judgments"] > 0 and first["cache_hits"] == 0
    assert first["prompt_tokens"] > 0 and first["completion_tokens"] > 0
    assert (f"{first['model_calls']} model calls" in printed
            and f"{first['prompt_tokens']} prompt" in printed and "Wall time" in printed)
    assert again["cache_hits"] == again["judgments"] and again["model_calls"] == 0


def test_the_study_takes_a_saved_judge_folder(dataset_dir, tmp_path):
    from memalign_nb.integrations.judge_folders import save_judge_dir
    from memalign_nb.judges.heuristic import HeuristicJudge
    from memalign_nb.rubrics import load_rubrics

    rubrics = {d: r for d, r in load_rubrics().items() if d in ("model_use", "model_training")}
    spec = save_judge_dir(HeuristicJudge(rubrics), tmp_path / "spec")
    out = tmp_path / "study"
    assert main(["study", str(dataset_dir), "--model", str(spec), "--variants", "baseline",
                 "--out", str(out), "--no-mlflow", *FAST]) == 0
    results = json.loads((out / "results.json").read_text())
    assert set(results["dimensions"]) - {"all"} == set(rubrics)  # the saved judge's
