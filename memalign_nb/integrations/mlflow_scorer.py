"""Any memalign-nb judge, aligned or not, as MLflow GenAI scorers.

:func:`as_mlflow_scorer` gives one :class:`NotebookScorer` per dimension, so
``mlflow.genai.evaluate(data, scorers=as_mlflow_scorer(judge))`` scores every notebook of
``data`` and logs one ``Feedback`` per dimension (value = the 0-3 score, the judge's
rationale) on each row's trace, with per-dimension metrics such as
``data_imputation/applicable_mean``.

Each evaluation row carries its notebook in ``inputs["notebook"]`` (a ``.ipynb`` path,
the notebook's JSON text or an nbformat dict) and optionally ``case_id``, ``prompt`` and
``task_type``. When the evaluated app *generates* notebooks, the notebook may instead be
its output: ``outputs`` itself, or ``outputs["notebook"]``. A row whose notebook cannot be
read, and a judgment that failed, give ``Feedback`` with an error, never a score.

>>> results = mlflow.genai.evaluate(                                   # doctest: +SKIP
...     data=[{"inputs": {"notebook": "runs/titanic.ipynb", "prompt": "..."}}],
...     scorers=as_mlflow_scorer(load_judge("aligned-judge")),
... )
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from mlflow.entities import Feedback
from mlflow.genai.scorers import Scorer
from pydantic import PrivateAttr

from memalign_nb.dimensions import NOT_APPLICABLE, check_dimension
from memalign_nb.integrations.mlflow_assessments import to_feedback
from memalign_nb.integrations.rows import judge_rows

if TYPE_CHECKING:
    from memalign_nb.judges.base import Judge

logger = logging.getLogger(__name__)


def applicable_mean(values: list[float]) -> float:
    """Mean score over the rows where the dimension applies (score 1-3); NaN if none."""
    scores = [v for v in values if v != NOT_APPLICABLE]
    return sum(scores) / len(scores) if scores else math.nan


def applicable_share(values: list[float]) -> float:
    """Share of rows where the dimension applies (score not 0); NaN if there are none."""
    return sum(v != NOT_APPLICABLE for v in values) / len(values) if values else math.nan


DEFAULT_AGGREGATIONS: tuple[Callable[[list[float]], float], ...] = (
    applicable_mean,
    applicable_share,
)
"""Run metrics per dimension: ``<dimension>/applicable_mean`` and ``.../applicable_share``.

A plain mean would count "not applicable" (0) as a very bad score."""


class NotebookScorer(Scorer):
    """An MLflow scorer of one dimension, backed by a memalign-nb judge.

    Build it with :func:`as_mlflow_scorer`. Fields are pydantic fields of MLflow's
    ``Scorer`` (``name`` is the dimension; ``aggregations`` the run metrics).

    Attributes
    ----------
    dimension : str
        The dimension scored; also the name of the feedback it returns.
    notebook_key : str
        Key of the notebook in a row's ``inputs`` (and ``outputs``, when a dict).
    """

    dimension: str
    notebook_key: str = "notebook"
    _judge: Any = PrivateAttr(default=None)

    @property
    def judge(self) -> Judge:
        """The memalign-nb judge behind the scorer."""
        return self._judge

    def __call__(self, *, inputs: Any = None, outputs: Any = None) -> Feedback:
        """Score the row's notebook on :attr:`dimension`.

        Returns
        -------
        mlflow.entities.Feedback
            Named by the dimension, valued by the 0-3 score; with ``error`` set (and no
            value) when the notebook is missing or unreadable or the judge failed.
        """
        row = dict(inputs) if isinstance(inputs, dict) else {}
        if row.get(self.notebook_key) is None:
            notebook = _notebook_in_outputs(outputs, self.notebook_key)
            if notebook is not None:
                row[self.notebook_key] = notebook
        [judgment] = judge_rows(
            self._judge, [row], [self.dimension], keys={"notebook_key": self.notebook_key}
        )
        if not judgment.ok:
            logger.info("%s not scored: %s", self.dimension, judgment.error)
        return to_feedback(judgment)


def as_mlflow_scorer(
    judge: Judge | str,
    dimensions: Sequence[str] | str | None = None,
    *,
    notebook_key: str = "notebook",
    aggregations: Sequence[str | Callable[[list[float]], float]] | None = None,
) -> list[NotebookScorer]:
    """MLflow GenAI scorers that score notebooks with ``judge``, one per dimension.

    Parameters
    ----------
    judge : Judge or str
        Any judge (heuristic, LLM, aligned); or a reference
        :func:`~memalign_nb.integrations.judge_refs.resolve_judge` loads: an MLflow
        model URI, a saved judge folder or a :func:`~memalign_nb.judges.make_judge` string.
    dimensions : str or sequence of str, optional
        The dimensions to score; all of the judge's by default.
    notebook_key : str
        Key of the notebook in each row's ``inputs`` (or ``outputs``).
    aggregations : sequence, optional
        Run metrics per dimension, as MLflow's ``Scorer.aggregations`` (``"mean"``,
        ``"min"``, ... or callables); :data:`DEFAULT_AGGREGATIONS` by default.

    Returns
    -------
    list of NotebookScorer
        Pass the list (or part of it) as ``scorers`` to ``mlflow.genai.evaluate``;
        MLflow runs them in parallel, each row's dimensions as separate scorers.

    Raises
    ------
    UnknownNameError
        A dimension the judge does not score.
    """
    from memalign_nb.integrations.judge_refs import resolve_judge

    judge = resolve_judge(judge)
    if isinstance(dimensions, str):
        dimensions = [dimensions]
    chosen = [check_dimension(d, judge.dimensions) for d in (dimensions or judge.dimensions)]
    scorers = []
    for dimension in chosen:
        scorer = NotebookScorer(
            name=dimension,
            dimension=dimension,
            notebook_key=notebook_key,
            description=f"memalign-nb judge {judge.judge_id} on {dimension} (0-3, 0 = n/a)",
            aggregations=list(aggregations or DEFAULT_AGGREGATIONS),
        )
        scorer._judge = judge
        scorers.append(scorer)
    return scorers


def _notebook_in_outputs(outputs: Any, key: str) -> Any:
    """The notebook an app returned: ``outputs[key]``, or ``outputs`` if it is one."""
    if isinstance(outputs, dict):
        return outputs.get(key) if "cells" not in outputs else outputs
    if isinstance(outputs, str | bytes) and outputs:
        return outputs
    return None
