"""Log an alignment study to MLflow, observing its result from outside.

One parent run per study carries the parameters (judge, folds, k, seeds, package
versions), the headline metrics per variant and dimension, the noise floor, timings and
usage, and the study's files as artifacts (report, results.json, judgments, guidelines,
plots). One nested run per variant carries that variant's full metrics. The study itself
never calls MLflow.

Tracking goes to, in order: the ``tracking_uri`` argument, ``MLFLOW_TRACKING_URI`` or a URI
set with ``mlflow.set_tracking_uri``, else a SQLite file in the working directory
(``sqlite:///mlflow.db``); a new experiment in a SQLite store keeps its artifacts in
``mlartifacts/`` beside the database file. Logging uses an ``MlflowClient`` bound to that
URI, so the caller's global MLflow state (tracking URI, active run) is left untouched.

Parameters and tags never carry secrets: keys that name one (``api_key``, ``token``,
``password``, ...) are redacted, and so are values that look like one (provider keys,
bearer tokens, credentials in URLs), by the rule of :mod:`memalign_nb.redaction`.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from memalign_nb.redaction import REDACTED, is_secret_key, scrub_value
from memalign_nb.study.result import POOLED, StudyResult

if TYPE_CHECKING:
    from memalign_nb.study.report import StudyPaths

logger = logging.getLogger(__name__)

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
"""Where studies are tracked when nothing else is configured: a file in the working dir."""

DEFAULT_EXPERIMENT = "memalign-nb"
"""The MLflow experiment studies are logged to by default."""

_MAX_PARAM_CHARS = 6000
_METRIC_NAME = re.compile(r"[^\w\-. /:]")
_QUIET_LOGGERS = ("alembic", "mlflow.store.db.utils", "mlflow.store.db.db_types")


def resolve_tracking_uri(tracking_uri: str | None = None) -> str:
    """The tracking URI a study is logged to (see the module's docstring for the order)."""
    if tracking_uri:
        return tracking_uri
    import mlflow

    return mlflow.get_tracking_uri() if mlflow.is_tracking_uri_set() else DEFAULT_TRACKING_URI


def default_artifact_location(tracking_uri: str) -> str | None:
    """``mlartifacts/`` beside a local SQLite store's file, as a file URI; else None.

    Keeps a study's artifacts next to its runs instead of in the working directory's
    ``mlruns/`` (MLflow's own default for a SQLite store).
    """
    path = tracking_uri.removeprefix("sqlite:///")
    if path == tracking_uri or path in ("", ":memory:"):
        return None
    return (Path(path).resolve().parent / "mlartifacts").as_uri()


def scrub_params(params: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Flatten ``params`` to MLflow strings, with every secret redacted.

    Nested mappings become dotted keys (``judge.base_url``); lists and other values are
    JSON or ``str``; values are cut to MLflow's 6,000 characters; None is left out.
    """
    flat: dict[str, str] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if value is None:
            continue
        if is_secret_key(name):
            flat[name] = REDACTED
        elif isinstance(value, Mapping):
            flat |= scrub_params(value, prefix=f"{name}.")
        else:
            text = value if isinstance(value, str) else json.dumps(value, default=str)
            flat[name] = scrub_value(text)[:_MAX_PARAM_CHARS]
    return flat


def log_study(
    result: StudyResult,
    paths: StudyPaths | None = None,
    *,
    experiment: str = DEFAULT_EXPERIMENT,
    tracking_uri: str | None = None,
    artifact_location: str | None = None,
    run_name: str | None = None,
    extra_params: Mapping[str, Any] | None = None,
) -> str:
    """Log a study as a parent MLflow run with one nested run per variant.

    Parameters
    ----------
    result : StudyResult
        A fitted study's ``result_``.
    paths : StudyPaths, optional
        What :func:`memalign_nb.study.save_study` wrote; logged as artifacts. Without
        it only ``results.json`` is logged (from ``result``).
    experiment : str
        The experiment's name; created when missing.
    tracking_uri : str, optional
        See the module's docstring for the default.
    artifact_location : str, optional
        Where a newly created experiment stores artifacts; default ``mlartifacts/``
        beside a SQLite store's file (:func:`default_artifact_location`), else MLflow's
        default. An existing experiment keeps its own.
    run_name : str, optional
        The parent run's name; default ``study-<judge>``.
    extra_params : mapping, optional
        More parameters to log on the parent run (scrubbed like the others).

    Returns
    -------
    str
        The parent run's id.

    """
    from mlflow import MlflowClient
    from mlflow.utils.mlflow_tags import MLFLOW_PARENT_RUN_ID

    uri = resolve_tracking_uri(tracking_uri)
    data = result.to_dict()
    with _quiet_store_logs():
        client = MlflowClient(tracking_uri=uri)
        experiment_id = _experiment_id(
            client, experiment, artifact_location or default_artifact_location(uri))
    parent = client.create_run(
        experiment_id,
        run_name=scrub_value(run_name or f"study-{result.params.get('judge', 'judge')}"),
        tags=_tags(data),
    )
    run_id = parent.info.run_id
    try:
        params = {**data["params"], "dataset": data["dataset"],
                  "versions": data["environment"], **(extra_params or {})}
        _log_batch(client, run_id, scrub_params(params), _parent_metrics(data))
        _log_curve(client, run_id, data.get("learning_curve"))
        for variant in result.variants:
            child = client.create_run(
                experiment_id, run_name=variant,
                tags={MLFLOW_PARENT_RUN_ID: run_id, "memalign_nb.variant": variant},
            )
            child_params = {"variant": variant, "judge": data["params"].get("judge"),
                            "n_folds": data["params"].get("n_folds"),
                            "k": data["params"].get("k")}
            _log_batch(client, child.info.run_id, scrub_params(child_params),
                       _variant_metrics(data, variant))
            client.set_terminated(child.info.run_id)
        _log_artifacts(client, run_id, data, paths)
    except BaseException:
        client.set_terminated(run_id, status="FAILED")
        raise
    client.set_terminated(run_id)
    logger.info("logged study to %s (experiment %r, run %s)", uri, experiment, run_id)
    return run_id


@contextmanager
def _quiet_store_logs() -> Iterator[None]:
    """Hide the INFO lines of a new SQLite store's schema migrations; keep warnings."""
    loggers = [logging.getLogger(name) for name in _QUIET_LOGGERS]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(max(lg.getEffectiveLevel(), logging.WARNING))
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def _experiment_id(client: Any, name: str, artifact_location: str | None) -> str:
    found = client.get_experiment_by_name(name)
    if found is not None:
        if artifact_location and found.artifact_location != artifact_location:
            logger.info("experiment %r exists; its artifacts stay at %s", name,
                        found.artifact_location)
        return found.experiment_id
    return client.create_experiment(name, artifact_location=artifact_location)


def _tags(data: Mapping[str, Any]) -> dict[str, str]:
    head = data.get("headline_variant")
    pooled = data["dimensions"][POOLED]
    summary = f"Alignment study of {data['params'].get('judge')} on {data['dataset'].get('path')}"
    if head and "baseline" in pooled and pooled[head].get("mae") is not None:
        summary += (f": pooled MAE {pooled['baseline']['mae']:.3f} (baseline) -> "
                    f"{pooled[head]['mae']:.3f} ({head})")
    tags = {
        "mlflow.note.content": summary,
        "memalign_nb.kind": "alignment-study",
        "memalign_nb.judge": str(data["params"].get("judge")),
        "memalign_nb.dataset": str(data["dataset"].get("path")),
        "memalign_nb.schema_version": str(data["schema_version"]),
    }
    return {k: REDACTED if is_secret_key(k) else scrub_value(v) for k, v in tags.items()}


def _metric_name(*parts: str) -> str:
    return "/".join(_METRIC_NAME.sub("_", part) for part in parts)


def _parent_metrics(data: Mapping[str, Any]) -> dict[str, float]:
    metrics: dict[str, float] = {}
    for dim, row in data["dimensions"].items():
        for variant in data["variants"]:
            entry = row[variant]
            metrics[_metric_name("mae", variant, dim)] = entry.get("mae")
            if "improvement" in entry:
                metrics[_metric_name("improvement", variant, dim)] = entry["improvement"][
                    "estimate"]
                metrics[_metric_name("reduction", variant, dim)] = entry.get("reduction")
                metrics[_metric_name("significant", variant, dim)] = float(entry["significant"])
        floor = row.get("noise_floor") or {}
        metrics[_metric_name("noise_floor_mae", dim)] = floor.get("mae")
    for key, value in (data.get("timings") or {}).items():
        metrics[_metric_name("time_s", key)] = value
    for key, value in (data.get("usage") or {}).items():
        metrics[_metric_name("usage", key)] = value
    return {k: float(v) for k, v in metrics.items() if isinstance(v, int | float)}


def _variant_metrics(data: Mapping[str, Any], variant: str) -> dict[str, float]:
    metrics: dict[str, Any] = {}
    for dim, row in data["dimensions"].items():
        entry = row[variant]
        for key in ("n", "mae", "ci_low", "ci_high", "signed_error", "exact_agreement",
                    "kappa", "applicability_accuracy", "n_failed", "reduction"):
            metrics[_metric_name(key, dim)] = entry.get(key)
        imp = entry.get("improvement") or {}
        for key, name in (("estimate", "improvement"), ("low", "improvement_ci_low"),
                          ("high", "improvement_ci_high")):
            metrics[_metric_name(name, dim)] = imp.get(key)
    return {k: float(v) for k, v in metrics.items()
            if isinstance(v, int | float) and not isinstance(v, bool)}


def _log_batch(client: Any, run_id: str, params: Mapping[str, str],
               metrics: Mapping[str, float]) -> None:
    import time

    from mlflow.entities import Metric, Param

    now = int(time.time() * 1000)
    params_list = [Param(k, v) for k, v in params.items()]
    metric_list = [Metric(k, v, now, 0) for k, v in metrics.items()]
    for start in range(0, max(len(params_list), len(metric_list)), 100):  # MLflow's batch cap
        client.log_batch(run_id, metrics=metric_list[start:start + 100],
                         params=params_list[start:start + 100])


def _log_curve(client: Any, run_id: str, curve: Mapping[str, Any] | None) -> None:
    """The learning curve as stepped metrics, step = percent of the training fold, so
    the MLflow UI draws it; ``learning_curve/flattened`` is 1 when it has flattened."""
    if not curve:
        return
    import time

    from mlflow.entities import Metric

    now = int(time.time() * 1000)
    metrics = [Metric("learning_curve/flattened", float(curve["flattened"]), now, 0)]
    for point in curve["points"]:
        step = round(point["fraction"] * 100)
        values = {"mae": point["mae"]["estimate"], "ci_low": point["mae"]["low"],
                  "ci_high": point["mae"]["high"], "n_notebooks": point["n_notebooks"]}
        metrics += [Metric(f"learning_curve/{name}", float(value), now, step)
                    for name, value in values.items() if value is not None]
    client.log_batch(run_id, metrics=metrics)


def _log_artifacts(client: Any, run_id: str, data: Mapping[str, Any],
                   paths: StudyPaths | None) -> None:
    if paths is None:
        client.log_dict(run_id, dict(data), "results.json")
        return
    for path in (paths.report_md, paths.report_html, paths.results_json,
                 paths.judgments_jsonl, paths.guidelines_md):
        if path.is_file():
            client.log_artifact(run_id, str(path))
    if paths.plots:
        client.log_artifacts(run_id, str(next(iter(paths.plots.values())).parent), "plots")
