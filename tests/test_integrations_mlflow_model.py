"""Tests of memalign_nb.integrations.mlflow_model: judges logged to MLflow and loaded back."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

import mlflow  # noqa: E402
import pandas as pd  # noqa: E402

from memalign_nb.datasets.model import Case  # noqa: E402
from memalign_nb.errors import IntegrationError  # noqa: E402
from memalign_nb.integrations.judge_refs import resolve_judge  # noqa: E402
from memalign_nb.integrations.mlflow_model import (  # noqa: E402
    load_judge_from_mlflow,
    log_judge,
)
from memalign_nb.judges.heuristic import HeuristicJudge  # noqa: E402
from memalign_nb.notebooks import read_notebook  # noqa: E402


@pytest.fixture(scope="module")
def tracking(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A fresh experiment in a SQLite tracking store."""
    root = tmp_path_factory.mktemp("mlflow")
    mlflow.set_tracking_uri(f"sqlite:///{root}/mlflow.db")
    experiment_id = mlflow.create_experiment("judges", artifact_location=(root / "a").as_uri())
    mlflow.set_experiment(experiment_id=experiment_id)
    yield experiment_id
    mlflow.set_tracking_uri(None)  # unset: nothing leaks into later tests or kernels


@pytest.fixture(scope="module")
def cases(real_notebook_paths: list[Path]) -> list[Case]:
    return [Case(p.stem, read_notebook(p)) for p in real_notebook_paths[:3]]


def _scores(judge, cases: list[Case]) -> list[tuple[str, str, int | None, str]]:
    return [
        (j.case_id, j.dimension, j.score, j.rationale)
        for j in judge.score_many(
            cases, ["data_imputation", "model_training"], concurrency=1, progress=False
        )
    ]


def test_logged_judge_loads_back_from_model_and_run_uris(
    tracking: str, cases: list[Case]
) -> None:
    judge = HeuristicJudge(tracking_expected=False)
    with mlflow.start_run() as run:
        uri = log_judge(judge, name="judge")
    assert uri.startswith("models:/")
    for ref in (uri, f"runs:/{run.info.run_id}/judge"):
        loaded = load_judge_from_mlflow(ref)
        assert isinstance(loaded, HeuristicJudge) and loaded.tracking_expected is False
        assert _scores(loaded, cases) == _scores(judge, cases)
    assert resolve_judge(uri).get_params() == judge.get_params()
    local = mlflow.artifacts.download_artifacts(artifact_uri=uri)
    assert (Path(local) / "MLmodel").is_file()
    assert resolve_judge(Path(local)).get_params() == judge.get_params()
    info = mlflow.models.get_model_info(uri)
    assert info.metadata["judge_id"] == "heuristic"
    assert info.signature.params.to_dict()[0]["default"] == list(judge.dimensions)


def test_logged_model_predicts_a_judgments_frame(
    tracking: str, cases: list[Case], real_notebook_paths: list[Path]
) -> None:
    judge = HeuristicJudge()
    uri = log_judge(judge, name="predictor")
    model = mlflow.pyfunc.load_model(uri)
    paths = real_notebook_paths[:3]
    frame = pd.DataFrame(
        {
            "notebook": [str(paths[0]), paths[1].read_text(encoding="utf-8"), "missing.ipynb"],
            "case_id": [paths[0].stem, paths[1].stem, "gone"],
        }
    )
    out = model.predict(frame, params={"dimensions": ["model_training"], "concurrency": 2})
    assert out["case_id"].tolist() == [paths[0].stem, paths[1].stem, "gone"]
    expected = [judge.score(c, "model_training").score for c in cases[:2]]
    assert out["score"].tolist()[:2] == expected
    assert pd.isna(out["score"].iloc[2]) and "does not exist" in out["error"].iloc[2]


def test_non_judge_models_and_missing_uris_are_refused(tracking: str) -> None:
    class Echo(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):  # noqa: ANN001, ANN201
            return model_input

    other = mlflow.pyfunc.log_model(name="echo", python_model=Echo(), pip_requirements=[])
    with pytest.raises(IntegrationError, match="is a Echo, not a judge logged with log_judge"):
        load_judge_from_mlflow(other.model_uri)
    with pytest.raises(IntegrationError, match="runs:/0123456789abcdef/judge: cannot load"):
        load_judge_from_mlflow("runs:/0123456789abcdef/judge")



def test_aligned_judge_round_trips_through_mlflow(tracking: str, tmp_path: Path) -> None:
    from memalign_nb.align import AlignedJudge, MemAlign
    from memalign_nb.datasets import generate_dataset, load_dataset

    dataset = load_dataset(generate_dataset(tmp_path / "ds", n_cases=14, seed=3))
    dims = ["data_imputation", "model_use"]
    # memories kept whatever calibration says (the baseline may already agree with these
    # grades), so that the round trip carries episodic memory
    aligned = MemAlign(dimensions=dims, calibrate=False).fit(HeuristicJudge(), dataset.subset(
        [c.case_id for c in dataset.cases[:10]]))
    uri = log_judge(aligned)
    loaded = load_judge_from_mlflow(uri)
    assert isinstance(loaded, AlignedJudge) and loaded.judge_id == "memalign:heuristic"
    held_out = dataset.cases[10:]
    before = aligned.score_many(held_out, dims, concurrency=1, progress=False)
    after = loaded.score_many(held_out, dims, concurrency=1, progress=False)
    assert [(j.score, j.rationale, j.retrieved_ids) for j in after] == [
        (j.score, j.rationale, j.retrieved_ids) for j in before
    ]
    assert any(j.retrieved_ids for j in after)  # episodic memory travelled


def test_a_judge_is_logged_as_code_and_nothing_is_pickled(tracking: str, caplog) -> None:
    import logging

    with caplog.at_level(logging.WARNING), mlflow.start_run():
        uri = log_judge(HeuristicJudge(), name="judge")
    assert not [r for r in caplog.records if "CloudPickle" in r.getMessage()]
    local = Path(mlflow.artifacts.download_artifacts(uri))
    assert (local / "judge_model_code.py").is_file() or list(local.rglob("judge_model_code.py"))
    assert not list(local.rglob("python_model.pkl"))
