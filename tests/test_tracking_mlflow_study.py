"""Tests of memalign_nb.tracking.mlflow_study: the study as MLflow runs, read back.

One real study (heuristic judge, MemAlign, small generated dataset) is logged once to a
SQLite tracking store in a temporary folder; the tests read the runs back with
``MlflowClient``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from memalign_nb.study import AlignmentStudy, save_study
from memalign_nb.tracking import (
    DEFAULT_TRACKING_URI,
    default_artifact_location,
    log_study,
    resolve_tracking_uri,
)
from memalign_nb.tracking.mlflow_study import REDACTED, is_secret_key, scrub_params

SECRETS = {
    "api_key": "sk-proj-abcdefghijklmnop1234",
    "judge": {"options": {"OPENAI_API_KEY": "plain-words-but-secret", "token": "t0k3n"}},
    "base_url": "https://alice:hunter2@llm.internal/v1?api_key=qwerty123&model=x",
    "headers": "Authorization: Bearer eyJhbGciOi.payload.sig",
    "password": "correct horse",
}


@pytest.fixture(scope="module")
def tracked(tmp_path_factory):
    from memalign_nb.datasets import generate_dataset, load_dataset

    root = tmp_path_factory.mktemp("tracking")
    dataset = load_dataset(generate_dataset(root / "ds", n_cases=16, seed=1))
    result = AlignmentStudy("heuristic", n_folds=2, n_bootstrap=200,
                            progress=False).fit(dataset).result_
    paths = save_study(result, root / "out")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    with tempfile.TemporaryFile() as err:  # the store's own output, at the fd level
        saved_fd = os.dup(2)
        os.dup2(err.fileno(), 2)
        try:
            run_id = log_study(result, paths, tracking_uri=uri, experiment="study-test",
                               artifact_location=(root / "artifacts").as_uri(),
                               extra_params={"llm": SECRETS, "max_tokens": 512})
        finally:
            os.dup2(saved_fd, 2)
            os.close(saved_fd)
        err.seek(0)
        stderr = err.read().decode()
    from mlflow import MlflowClient

    return {"result": result, "client": MlflowClient(tracking_uri=uri), "run_id": run_id,
            "uri": uri, "stderr": stderr, "root": root, "paths": paths}


def children(tracked):
    client, run = tracked["client"], tracked["client"].get_run(tracked["run_id"])
    runs = client.search_runs(
        [run.info.experiment_id], f"tags.`mlflow.parentRunId` = '{tracked['run_id']}'")
    return {r.data.tags["memalign_nb.variant"]: r for r in runs}


def test_one_parent_run_with_the_study_parameters_and_versions(tracked):
    run = tracked["client"].get_run(tracked["run_id"])
    params = run.data.params
    assert run.info.status == "FINISHED"
    assert params["judge"] == "heuristic" and params["n_folds"] == "2"
    assert params["n_bootstrap"] == "200" and params["seed"] == "0" and params["k"] == "5"
    assert params["variants"] == '["baseline", "semantic", "episodic", "full"]'
    assert params["versions.mlflow"] and params["versions.memalign-nb"] == "0.1.0"
    assert params["dataset.n_cases"] == "16"
    assert run.data.tags["memalign_nb.judge"] == "heuristic"
    assert "pooled MAE" in run.data.tags["mlflow.note.content"]


def test_nested_runs_per_variant_carry_that_variants_metrics(tracked):
    data = tracked["result"].to_dict()
    nested = children(tracked)
    assert set(nested) == {"baseline", "semantic", "episodic", "full"}
    for variant, run in nested.items():
        assert run.info.status == "FINISHED"
        metrics = run.data.metrics
        for dim, row in data["dimensions"].items():
            entry = row[variant]
            if entry["mae"] is not None:
                assert metrics[f"mae/{dim}"] == pytest.approx(entry["mae"])
                assert metrics[f"ci_high/{dim}"] == pytest.approx(entry["ci_high"])
            if "improvement" in entry and entry["improvement"]["estimate"] is not None:
                assert metrics[f"improvement/{dim}"] == pytest.approx(
                    entry["improvement"]["estimate"])
        assert ("improvement/all" in metrics) == (variant != "baseline")


def test_parent_metrics_hold_the_headline_figures(tracked):
    data = tracked["result"].to_dict()
    metrics = tracked["client"].get_run(tracked["run_id"]).data.metrics
    pooled = data["dimensions"]["all"]
    assert metrics["mae/baseline/all"] == pytest.approx(pooled["baseline"]["mae"])
    improvement = pooled["full"]["improvement"]["estimate"]
    assert metrics["improvement/full/all"] == pytest.approx(improvement)
    assert metrics["significant/full/all"] == float(pooled["full"]["significant"])
    assert metrics["usage/judgments"] == data["usage"]["judgments"]
    assert metrics["time_s/total"] == pytest.approx(data["timings"]["total"])


def test_artifacts_are_the_study_files_and_plots(tracked):
    client, run_id = tracked["client"], tracked["run_id"]
    top = {a.path for a in client.list_artifacts(run_id)}
    assert {"report.md", "report.html", "results.json", "judgments.jsonl",
            "guidelines.md", "plots"} <= top
    plots = {a.path for a in client.list_artifacts(run_id, "plots")}
    assert {"plots/mae.png", "plots/improvement.png"} <= plots
    local = client.download_artifacts(run_id, "results.json", str(tracked["root"] / "dl"))
    assert Path(local).read_text() == tracked["paths"].results_json.read_text()
    assert (tracked["root"] / "artifacts").is_dir()  # the experiment's artifact location


def test_no_secret_reaches_params_or_tags(tracked):
    run = tracked["client"].get_run(tracked["run_id"])
    params = run.data.params
    assert params["llm.api_key"] == REDACTED
    assert params["llm.password"] == REDACTED
    assert params["llm.judge.options.OPENAI_API_KEY"] == REDACTED
    assert params["llm.judge.options.token"] == REDACTED
    assert params["llm.base_url"] == (
        f"https://{REDACTED}@llm.internal/v1?api_key={REDACTED}&model=x")
    assert params["llm.headers"] == f"Authorization: {REDACTED}"
    assert params["max_tokens"] == "512"  # a token count is not a token
    logged = " ".join([*params.values(), *run.data.tags.values()])
    for secret in ("sk-proj", "plain-words", "t0k3n", "hunter2", "qwerty", "eyJhb", "horse"):
        assert secret not in logged


def test_store_migrations_stay_quiet_and_global_mlflow_state_is_untouched(tracked):
    import mlflow

    assert "Creating initial MLflow database tables" not in tracked["stderr"]
    assert "INFO" not in tracked["stderr"]
    assert mlflow.active_run() is None
    assert mlflow.get_tracking_uri() != tracked["uri"]


def test_a_second_study_reuses_the_experiment(tracked):
    result = tracked["result"]
    second = log_study(result, None, tracking_uri=tracked["uri"], experiment="study-test")
    client = tracked["client"]
    assert client.get_run(second).info.experiment_id == client.get_run(
        tracked["run_id"]).info.experiment_id
    assert {a.path for a in client.list_artifacts(second)} == {"results.json"}


def test_artifacts_default_beside_a_sqlite_store(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert default_artifact_location("sqlite:///mlflow.db") == (tmp_path / "mlartifacts").as_uri()
    assert default_artifact_location(f"sqlite:///{tmp_path}/a/b.db") == (
        tmp_path / "a" / "mlartifacts").as_uri()
    assert default_artifact_location("http://127.0.0.1:5000") is None
    assert default_artifact_location("sqlite://") is None


def test_tracking_uri_order_argument_then_environment_then_sqlite_file(monkeypatch):
    import mlflow

    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5999")
    assert resolve_tracking_uri("sqlite:///x.db") == "sqlite:///x.db"
    assert resolve_tracking_uri() == "http://127.0.0.1:5999"
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    monkeypatch.setattr(mlflow, "is_tracking_uri_set", lambda: False)
    assert resolve_tracking_uri() == DEFAULT_TRACKING_URI == "sqlite:///mlflow.db"


@pytest.mark.parametrize(("key", "secret"), [
    ("api_key", True), ("OPENAI_API_KEY", True), ("hf-token", True), ("db.password", True),
    ("aws_secret_access_key", True), ("client_secret", True), ("Authorization", True),
    ("max_tokens", False), ("prompt_tokens", False), ("author", False), ("tokenizer", False),
    ("k", False), ("n_bootstrap", False),
])
def test_secret_key_names(key, secret):
    assert is_secret_key(key) is secret


def test_scrub_params_flattens_serialises_and_drops_none():
    flat = scrub_params({"a": {"b": [1, 2]}, "c": None, "d": 0.5, "e": "x" * 7000})
    assert flat == {"a.b": "[1, 2]", "d": "0.5", "e": "x" * 6000}
