"""Tracking: observes a finished study from outside and logs it to MLflow.

>>> from memalign_nb.study import save_study
>>> from memalign_nb.tracking import log_study
>>> run_id = log_study(study.result_, save_study(study.result_, "out"))   # doctest: +SKIP

mlflow is imported only when a study is logged.
"""

from memalign_nb.tracking.mlflow_study import (
    DEFAULT_EXPERIMENT,
    DEFAULT_TRACKING_URI,
    default_artifact_location,
    log_study,
    resolve_tracking_uri,
    scrub_params,
)

__all__ = [
    "DEFAULT_EXPERIMENT",
    "DEFAULT_TRACKING_URI",
    "default_artifact_location",
    "log_study",
    "resolve_tracking_uri",
    "scrub_params",
]
