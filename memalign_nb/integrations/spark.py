"""Score a Spark DataFrame of notebooks with any judge, on a Databricks cluster or locally.

:func:`score_with_spark` runs the judge inside ``mapInPandas``: each Python worker loads
the judge once (a module-level cache that lives as long as the worker, which Spark
reuses across tasks) and scores its partitions with at most ``concurrency`` judgments in
flight, which is what bounds the calls an LLM judge makes at once. The judge is named by
a reference: a :func:`~memalign_nb.judges.make_judge` string (``"heuristic"``), a judge
folder, an MLflow model URI, or a judge object with ``save``. Folders and MLflow models
are resolved on the driver and shipped to the executors with ``SparkContext.addArchive``,
so a folder on the driver's local disk works on a cluster too.

Notebook paths must be readable from the executors (``/Volumes/...``, ``/dbfs/...`` or
any shared mount on Databricks); notebooks stored as JSON text in a column need no
shared storage. Notebooks are read as data and never executed.

>>> judgments = score_with_spark(spark.table("notebooks"), "runs:/<run>/judge")  # doctest: +SKIP
>>> judgments.groupBy("dimension").avg("score").show()                           # doctest: +SKIP
"""

from __future__ import annotations

import atexit
import functools
import logging
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from memalign_nb.dimensions import check_dimension
from memalign_nb.errors import IntegrationError, MissingDependencyError
from memalign_nb.judges.base import Judge

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import DataFrame

logger = logging.getLogger(__name__)

JUDGMENT_SCHEMA = (
    "case_id string, dimension string, score int, rationale string, judge_id string, "
    "error string, latency_s double, prompt_tokens long, completion_tokens long, "
    "retrieved_ids array<string>"
)
"""Spark schema (DDL) of the judgments frame :func:`score_with_spark` returns.

``score`` is null exactly when ``error`` says why the item was not scored."""

_JUDGES: dict[tuple[str, str], Judge] = {}
_JUDGES_LOCK = threading.Lock()


def score_with_spark(
    df: DataFrame,
    judge_uri: str | os.PathLike[str] | Judge,
    *,
    notebook_col: str = "notebook",
    case_id_col: str | None = "case_id",
    dimensions: Sequence[str] | None = None,
    concurrency: int = 4,
    prompt_col: str | None = "prompt",
    task_type_col: str | None = "task_type",
) -> DataFrame:
    """Judge every notebook of ``df`` on every dimension, one output row per judgment.

    Parameters
    ----------
    df : pyspark.sql.DataFrame
        One row per notebook; ``notebook_col`` holds a ``.ipynb`` path or the notebook's
        JSON text.
    judge_uri : str, path-like or Judge
        A ``make_judge`` string, a judge folder, an MLflow model URI (``runs:/...``,
        ``models:/...``), or a judge object that has ``save`` (an aligned judge).
    notebook_col : str
        The notebook column.
    case_id_col : str or None
        The case id column; when absent (or None, or a null value) the id is the file
        stem of a path, or ``nb-<hash>`` of JSON content.
    dimensions : sequence of str, optional
        The dimensions to score; all of the judge's by default.
    concurrency : int
        Judgments in flight at once in each Python worker. Spark runs one worker per
        task slot, so an executor with ``c`` slots makes up to ``c * concurrency``
        concurrent model calls; size it to the model's rate limit.
    prompt_col, task_type_col : str or None
        Optional columns with the task prompt and type (used when present).

    Returns
    -------
    pyspark.sql.DataFrame
        Lazily computed, with :data:`JUDGMENT_SCHEMA`; a row whose notebook cannot be
        read gives judgments with ``error`` set instead of failing the job.

    Raises
    ------
    MissingDependencyError
        pyspark, pandas or pyarrow is not installed.
    IntegrationError
        ``notebook_col`` is not a column of ``df``, or the judge cannot be loaded.
    UnknownNameError
        A dimension the judge does not score.
    ValueError
        ``concurrency`` is below 1.
    """
    _require_spark()
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}")
    columns = list(df.columns)
    if notebook_col not in columns:
        raise IntegrationError(
            f"column {notebook_col!r}", f"not in the DataFrame (columns: {', '.join(columns)})"
        )
    judge, source = _prepare_judge(df.sparkSession, judge_uri)
    chosen = tuple(check_dimension(d, judge.dimensions) for d in (dimensions or judge.dimensions))
    keys = {"notebook_key": notebook_col}
    for key, col in (
        ("case_id_key", case_id_col),
        ("prompt_key", prompt_col),
        ("task_type_key", task_type_col),
    ):
        if col and col in columns:
            keys[key] = col
    score = functools.partial(
        _score_batches, source=source, keys=keys, dimensions=chosen, concurrency=concurrency
    )
    logger.info("scoring with %s on %s over Spark", judge.judge_id, ", ".join(chosen))
    return df.select(*dict.fromkeys(keys.values())).mapInPandas(score, JUDGMENT_SCHEMA)


def _score_batches(
    batches: Iterator[pd.DataFrame],
    *,
    source: tuple[str, str],
    keys: dict[str, str],
    dimensions: tuple[str, ...],
    concurrency: int,
) -> Iterator[pd.DataFrame]:
    """The ``mapInPandas`` function: runs on the executors, one call per partition."""
    from memalign_nb.integrations.rows import judge_rows, judgments_frame

    judge = _executor_judge(source)
    for batch in batches:
        rows = batch.to_dict("records")
        judgments = judge_rows(judge, rows, dimensions, concurrency=concurrency, keys=keys)
        yield judgments_frame(judgments)


def _executor_judge(source: tuple[str, str]) -> Judge:
    """The judge of this worker process, loaded on first use and kept for later tasks."""
    with _JUDGES_LOCK:
        judge = _JUDGES.get(source)
        if judge is None:
            judge = _load(source)
            _JUDGES[source] = judge
            logger.info("worker %d loaded judge %s", os.getpid(), judge.judge_id)
        return judge


def _load(source: tuple[str, str]) -> Judge:
    from memalign_nb.integrations.judge_refs import resolve_judge

    kind, ref = source
    if kind != "archive":
        return resolve_judge(ref)
    from pyspark import SparkFiles

    # A private copy: the workers of an executor share SparkFiles, and an aligned judge
    # keeps its Chroma store open (and writable) in its folder.
    private = Path(tempfile.mkdtemp(prefix="memalign-judge-"))
    shutil.copytree(SparkFiles.get(ref), private, dirs_exist_ok=True)
    atexit.register(shutil.rmtree, private, ignore_errors=True)
    return resolve_judge(private)


def _prepare_judge(session: Any, ref: str | os.PathLike[str] | Judge) -> tuple[Judge, tuple]:
    """Load the judge on the driver (to fail early) and decide how executors get it.

    Returns the judge and a picklable source: ``("archive", alias)`` for a folder shipped
    with ``addArchive``, or ``("ref", reference)`` that executors resolve themselves: a
    ``make_judge`` string, or on Spark Connect (no ``SparkContext`` to add archives to)
    the MLflow URI or folder path, which must then be reachable from the executors.
    """
    from memalign_nb.integrations.judge_folders import save_judge_dir
    from memalign_nb.integrations.judge_refs import judge_ref_kind, resolve_judge

    kind = judge_ref_kind(ref)
    if kind == "new":
        return resolve_judge(ref), ("ref", str(ref))
    if kind == "judge":
        folder = save_judge_dir(ref, _driver_tmp() / "judge")
    elif kind == "mlflow":
        folder = _download(str(ref))
    else:
        folder = Path(ref).expanduser().resolve()
    judge = resolve_judge(folder)
    try:
        context = session.sparkContext
    except Exception:  # Spark Connect has no SparkContext
        logger.info("no SparkContext (Spark Connect): executors load %s themselves", ref)
        return judge, ("ref", str(ref) if kind == "mlflow" else str(folder))
    alias = f"memalign-judge-{uuid.uuid4().hex[:12]}"
    archive = shutil.make_archive(str(_driver_tmp() / alias), "zip", root_dir=folder)
    context.addArchive(f"{archive}#{alias}")
    return judge, ("archive", alias)


def _download(uri: str) -> Path:
    import mlflow
    from mlflow.exceptions import MlflowException

    try:
        local = mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=str(_driver_tmp()))
    except (MlflowException, OSError) as exc:
        raise IntegrationError(uri, f"cannot download the model: {exc}") from exc
    return Path(local)


def _driver_tmp() -> Path:
    """A fresh driver-side folder that lives until the interpreter exits.

    The returned DataFrame is lazy: archives must outlive this call, until Spark runs it.
    """
    folder = Path(tempfile.mkdtemp(prefix="memalign-spark-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def _require_spark() -> None:
    for module in ("pyspark", "pandas", "pyarrow"):
        try:
            __import__(module)
        except ImportError:
            raise MissingDependencyError(module, "spark") from None
