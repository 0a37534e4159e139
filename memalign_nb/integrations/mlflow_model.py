"""Log a judge to MLflow as a pyfunc model and load it back: :func:`log_judge`,
:func:`load_judge_from_mlflow`.

The model's artifact is a judge folder (:mod:`memalign_nb.integrations.judge_folders`): what
``AlignedJudge.save(dir)`` writes for an aligned judge (guidelines, graded examples and
the Chroma episodic store), or a JSON spec for a judge without ``save`` (the heuristic
judge, an unaligned LLM judge). The model is a :class:`JudgeModel`, logged as code
(MLflow's models from code), not pickled, so it also predicts:
a frame of notebooks in, one row per judgment out
(:data:`~memalign_nb.integrations.rows.JUDGMENT_COLUMNS`).

>>> uri = log_judge(aligned, name="judge")        # doctest: +SKIP
>>> judge = load_judge_from_mlflow(uri)           # doctest: +SKIP
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import mlflow.pyfunc
import pandas as pd

from memalign_nb.errors import IntegrationError
from memalign_nb.integrations.judge_folders import load_judge_dir, save_judge_dir
from memalign_nb.judges.base import Judge

logger = logging.getLogger(__name__)

ARTIFACT_KEY = "judge"
"""Key of the judge folder in the pyfunc model's artifacts."""

MODEL_CODE = Path(__file__).with_name("judge_model_code.py")
"""The file MLflow runs to build the model (:mod:`memalign_nb.integrations.judge_model_code`)."""


class JudgeModel(mlflow.pyfunc.PythonModel):
    """The pyfunc model :func:`log_judge` logs; its artifact ``judge`` is a judge folder.

    ``predict`` takes a frame with a ``notebook`` column (path or JSON text) and
    optionally ``case_id``, ``prompt`` and ``task_type``, and returns one row per
    (notebook, dimension) judgment. Params: ``dimensions`` (default: every dimension of
    the judge) and ``concurrency`` (judgments in flight at once, default 4).

    Attributes
    ----------
    judge : Judge
        The loaded judge (set by ``load_context``).
    """

    judge: Judge

    def load_context(self, context: Any) -> None:
        """Load the judge from the model's ``judge`` artifact."""
        self.judge = load_judge_dir(context.artifacts[ARTIFACT_KEY])

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        """Judge every notebook of ``model_input`` (a pandas frame or a list of dicts)."""
        from memalign_nb.integrations.rows import judge_rows, judgments_frame

        params = params or {}
        rows = model_input.to_dict("records") if hasattr(model_input, "to_dict") else model_input
        dimensions = params.get("dimensions") or self.judge.dimensions
        concurrency = int(params.get("concurrency") or 4)
        return judgments_frame(
            judge_rows(self.judge, list(rows), list(dimensions), concurrency=concurrency)
        )


def log_judge(
    judge: Judge,
    name: str = "judge",
    *,
    registered_model_name: str | None = None,
    pip_requirements: Sequence[str] | None = None,
) -> str:
    """Log ``judge`` to MLflow as a pyfunc model and return its model URI.

    Parameters
    ----------
    judge : Judge
        An aligned judge (saved with its ``save(dir)``) or a judge ``make_judge`` can
        rebuild from its ``get_params()`` (heuristic, LLM judge with a model string).
    name : str
        The model's name within the run (``runs:/<run id>/<name>``).
    registered_model_name : str, optional
        Also register it in the model registry under this name.
    pip_requirements : sequence of str, optional
        Requirements of the serving environment; ``memalign-nb==<this version>`` by
        default.

    Returns
    -------
    str
        The model URI (``models:/m-...``), which :func:`load_judge_from_mlflow`,
        :func:`~memalign_nb.integrations.judge_refs.resolve_judge` and
        :func:`~memalign_nb.integrations.spark.score_with_spark` accept. The model is
        logged to the active run, or to a new run when there is none.

    Raises
    ------
    IntegrationError
        The judge has no ``save`` and cannot be rebuilt from a spec.
    """
    import tempfile
    import warnings

    from memalign_nb import __version__

    with tempfile.TemporaryDirectory(prefix="memalign-judge-") as tmp, warnings.catch_warnings():
        # No input example on purpose: MLflow validates one by predicting on it, which for
        # an LLM judge is a paid model call; the explicit signature describes the input.
        warnings.filterwarnings("ignore", message=".*An input example was not provided")
        folder = Path(tmp) / ARTIFACT_KEY
        save_judge_dir(judge, folder)
        info = mlflow.pyfunc.log_model(
            name=name,
            python_model=str(MODEL_CODE),  # models from code: nothing pickled
            artifacts={ARTIFACT_KEY: str(folder)},
            signature=_signature(judge),
            pip_requirements=list(pip_requirements or [f"memalign-nb=={__version__}"]),
            registered_model_name=registered_model_name,
            metadata={
                "memalign_nb_version": __version__,
                "judge_id": judge.judge_id,
                "dimensions": list(judge.dimensions),
            },
        )
    logger.info("logged judge %s as %s", judge.judge_id, info.model_uri)
    return info.model_uri


def load_judge_from_mlflow(uri: str) -> Judge:
    """Load a judge logged by :func:`log_judge` from its model URI.

    Raises
    ------
    IntegrationError
        MLflow cannot find or load the model, or it is not a memalign-nb judge model.
    """
    from mlflow.exceptions import MlflowException

    try:
        model = mlflow.pyfunc.load_model(uri)
        python_model = model.unwrap_python_model()
    except (MlflowException, OSError) as exc:
        raise IntegrationError(uri, f"cannot load the model: {_message(exc)}") from exc
    if not isinstance(python_model, JudgeModel):
        raise IntegrationError(
            uri, f"is a {type(python_model).__name__}, not a judge logged with log_judge"
        )
    return python_model.judge


def _signature(judge: Judge) -> Any:
    from mlflow.models import ModelSignature
    from mlflow.types.schema import Array, ColSpec, ParamSchema, ParamSpec, Schema

    inputs = Schema(
        [
            ColSpec("string", "notebook"),
            ColSpec("string", "case_id", required=False),
            ColSpec("string", "prompt", required=False),
            ColSpec("string", "task_type", required=False),
        ]
    )
    outputs = Schema(
        [
            ColSpec("string", "case_id"),
            ColSpec("string", "dimension"),
            ColSpec("long", "score", required=False),
            ColSpec("string", "rationale"),
            ColSpec("string", "judge_id"),
            ColSpec("string", "error", required=False),
            ColSpec("double", "latency_s"),
            ColSpec("long", "prompt_tokens"),
            ColSpec("long", "completion_tokens"),
            ColSpec(Array("string"), "retrieved_ids"),
        ]
    )
    params = ParamSchema(
        [
            ParamSpec("dimensions", "string", list(judge.dimensions), shape=(-1,)),
            ParamSpec("concurrency", "long", 4),
        ]
    )
    return ModelSignature(inputs=inputs, outputs=outputs, params=params)


def _message(exc: BaseException) -> str:
    return str(getattr(exc, "message", None) or exc).splitlines()[0]
