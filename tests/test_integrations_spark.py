"""Tests of memalign_nb.integrations.spark: batch scoring with pyspark in ``local[2]`` mode."""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
from pathlib import Path

import pytest

from memalign_nb.datasets import generate_dataset, load_dataset
from memalign_nb.datasets.model import Dataset
from memalign_nb.errors import IntegrationError, UnknownNameError
from memalign_nb.integrations import spark as spark_module
from memalign_nb.integrations.judge_folders import save_judge_dir
from memalign_nb.integrations.rows import JUDGMENT_COLUMNS
from memalign_nb.integrations.spark import score_with_spark
from memalign_nb.judges.base import Judgment
from memalign_nb.judges.heuristic import HeuristicJudge
from memalign_nb.judges.scripted import ScriptedJudge

pytestmark = [
    pytest.mark.spark,
    # pyspark 4.0 warns that it does not fully support pandas 3 on every conversion
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
]

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
pyspark = pytest.importorskip("pyspark", reason="pyspark is not installed (memalign-nb[spark])")
pd = pytest.importorskip("pandas")


@pytest.fixture(scope="module")
def spark():
    """A ``local[2]`` session bound to loopback, its Python workers in this interpreter."""
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("pyspark needs a Java runtime: none on PATH (`make system-deps` installs one)")
    from pyspark.sql import SparkSession

    previous = {k: os.environ.get(k) for k in ("PYSPARK_PYTHON", "PYSPARK_DRIVER_PYTHON")}
    os.environ["PYSPARK_PYTHON"] = os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("memalign-nb-tests")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
    for key, value in previous.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    root = tmp_path_factory.mktemp("ds") / "generated"
    generate_dataset(root, n_cases=200, seed=3)
    return load_dataset(root)


def _frame(spark, dataset: Dataset, n: int, *, json_every: int = 0):
    """Rows of (notebook, case_id, prompt, task_type): paths, or JSON text every few rows."""
    rows = []
    for i, case in enumerate(dataset.cases[:n]):
        path = Path(case.notebook.path)
        notebook = path.read_text(encoding="utf-8") if json_every and i % json_every == 0 else str(
            path
        )
        rows.append((notebook, case.case_id, case.prompt, case.task_type))
    schema = "notebook string, case_id string, prompt string, task_type string"
    return spark.createDataFrame(rows, schema).repartition(4)


def _key(j: Judgment) -> tuple:
    return (j.case_id, j.dimension, j.score, j.rationale, j.judge_id, j.error, j.retrieved_ids)


def _collected(df) -> set[tuple]:
    return {
        (r.case_id, r.dimension, r.score, r.rationale, r.judge_id, r.error,
         tuple(r.retrieved_ids))
        for r in df.collect()
    }


@pytest.mark.slow
def test_200_notebooks_match_single_process_scores_exactly(spark, dataset: Dataset) -> None:
    df = _frame(spark, dataset, 200, json_every=3)
    # One thread per worker: CPython 3.11.7's ast.parse is not thread-safe (gh-106905),
    # and the heuristic judge parses cells; concurrency is covered by the test below.
    out = score_with_spark(df, "heuristic", concurrency=1)
    assert out.columns == list(JUDGMENT_COLUMNS)
    types = {f.name: f.dataType.simpleString() for f in out.schema.fields}
    assert (types["score"], types["retrieved_ids"]) == ("int", "array<string>")
    spark_rows = _collected(out)
    single = HeuristicJudge().score_many(dataset.cases, concurrency=1, progress=False)
    expected = {_key(j) for j in single}
    assert len(expected) == 200 * 9
    assert spark_rows == expected


@pytest.mark.slow
def test_judge_folders_and_bad_rows(spark, dataset: Dataset, tmp_path: Path) -> None:
    judge = HeuristicJudge(tracking_expected=False)
    folder = save_judge_dir(judge, tmp_path / "judge")
    df = _frame(spark, dataset, 8)
    bad = spark.createDataFrame(
        [(str(tmp_path / "gone.ipynb"), "gone", "", None), ("{oops", "broken", "", None)],
        df.schema,
    )
    dims = ["mlflow_logging", "model_training"]
    out = _collected(
        score_with_spark(df.unionByName(bad), str(folder), dimensions=dims, concurrency=1)
    )
    single = judge.score_many(dataset.cases[:8], dims, concurrency=1, progress=False)
    expected = {_key(j) for j in single}
    assert {row for row in out if row[0] not in ("gone", "broken")} == expected
    failures = {row[0]: row for row in out if row[0] in ("gone", "broken")}
    assert set(failures) == {"gone", "broken"}
    assert failures["gone"][2] is None and "does not exist" in failures["gone"][5]
    shipped = score_with_spark(df, judge, dimensions=dims, concurrency=1)  # a judge object
    assert _collected(shipped) == expected


@pytest.mark.slow
def test_aligned_judge_logged_to_mlflow_scores_on_executors(
    spark, dataset: Dataset, tmp_path: Path
) -> None:
    import mlflow

    from memalign_nb.align import MemAlign
    from memalign_nb.integrations.mlflow_model import log_judge

    dims = ["data_imputation", "model_training"]
    # memories kept whatever calibration says (the baseline may already agree with these
    # grades), so that the executors use episodic memory
    aligned = MemAlign(dimensions=dims, calibrate=False).fit(HeuristicJudge(), dataset.subset(
        [c.case_id for c in dataset.cases[:16]]))
    held_out = dataset.cases[16:24]
    single = aligned.score_many(held_out, dims, concurrency=1, progress=False)
    expected = {_key(j) for j in single}
    assert any(j.retrieved_ids for j in single)  # episodic memory in use
    df = spark.createDataFrame(
        [(c.notebook.path, c.case_id, c.prompt, c.task_type) for c in held_out],
        "notebook string, case_id string, prompt string, task_type string",
    ).repartition(3)

    mlflow.set_tracking_uri(f"sqlite:///{tmp_path}/mlflow.db")
    try:
        experiment = mlflow.create_experiment("spark", artifact_location=(tmp_path / "a").as_uri())
        with mlflow.start_run(experiment_id=experiment):
            uri = log_judge(aligned)
        out = score_with_spark(df, uri, dimensions=dims, concurrency=1)
    finally:
        mlflow.set_tracking_uri(None)  # unset: nothing leaks into later tests or kernels
    assert _collected(out) == expected


@pytest.mark.slow
def test_bad_arguments_fail_on_the_driver(spark, dataset: Dataset) -> None:
    df = _frame(spark, dataset, 2)
    with pytest.raises(IntegrationError, match="column 'path': not in the DataFrame"):
        score_with_spark(df, "heuristic", notebook_col="path")
    with pytest.raises(UnknownNameError, match="dimension 'imputation'"):
        score_with_spark(df, "heuristic", dimensions=["imputation"])
    with pytest.raises(ValueError, match="concurrency"):
        score_with_spark(df, "heuristic", concurrency=0)
    with pytest.raises(IntegrationError, match="no such directory|not a judge"):
        score_with_spark(df, Path("/nonexistent/judge"))


@pytest.mark.slow
def test_case_ids_default_to_file_stems(spark, dataset: Dataset) -> None:
    df = _frame(spark, dataset, 3).select("notebook", "prompt", "task_type")
    out = score_with_spark(df, "heuristic", dimensions=["cell_organization"], concurrency=1)
    out = out.collect()
    assert sorted(r.case_id for r in out) == sorted(c.case_id for c in dataset.cases[:3])


def test_each_worker_loads_a_judge_once(monkeypatch: pytest.MonkeyPatch) -> None:
    loads = []
    monkeypatch.setattr(spark_module, "_JUDGES", {})
    monkeypatch.setattr(
        spark_module, "_load", lambda source: loads.append(source) or ScriptedJudge({})
    )
    first = spark_module._executor_judge(("ref", "heuristic"))
    assert spark_module._executor_judge(("ref", "heuristic")) is first
    spark_module._executor_judge(("archive", "memalign-judge-x"))
    assert loads == [("ref", "heuristic"), ("archive", "memalign-judge-x")]


def test_workers_score_batches_with_bounded_concurrency(
    monkeypatch: pytest.MonkeyPatch, dataset: Dataset
) -> None:
    lock, in_flight, peak = threading.Lock(), [0], [0]

    def slow(case, dimension):
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        time.sleep(0.02)
        with lock:
            in_flight[0] -= 1
        return 2

    monkeypatch.setattr(spark_module, "_JUDGES", {("ref", "slow"): ScriptedJudge(slow)})
    batches = [
        pd.DataFrame({"nb": [c.notebook.path for c in dataset.cases[i : i + 4]]})
        for i in (0, 4)
    ]
    frames = list(
        spark_module._score_batches(
            iter(batches), source=("ref", "slow"), keys={"notebook_key": "nb"},
            dimensions=("model_use", "data_imputation"), concurrency=3,
        )
    )
    assert [len(f) for f in frames] == [8, 8]
    assert frames[1]["case_id"].tolist()[::2] == [c.case_id for c in dataset.cases[4:8]]
    assert set(frames[0]["score"]) == {2} and peak[0] == 3
