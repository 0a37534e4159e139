"""Human grades in and judgments out through MLflow trace assessments.

MLflow labeling sessions and the Databricks review app store what experts say about a
trace as ``Feedback`` assessments with a ``HUMAN`` source: one per label schema, named by
the schema, valued by the expert's answer, with the rationale they typed.
:func:`grades_from_traces` turns those into :class:`~memalign_nb.feedback.model.Grade`
records (assessment names mapped to dimensions), ready for a
:class:`~memalign_nb.feedback.store.FeedbackStore` and MemAlign. :func:`log_assessments`
goes the other way: judgments (``LLM_JUDGE`` or ``CODE`` source) and grades (``HUMAN``)
become assessments on the traces of their notebooks.

Which notebook a trace is about (its case id) is read, in order, from the trace tag
:data:`CASE_ID_TAG`, the ``case_id`` field of the trace's inputs, the stem of a notebook
path in its inputs, and finally the trace id itself.

>>> grades = grades_from_traces("1234", {"Imputation": "data_imputation"})  # doctest: +SKIP
>>> FeedbackStore("grades.db").save_many(grades)                            # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from memalign_nb.dimensions import DIMENSIONS, check_dimension
from memalign_nb.errors import (
    DatasetError,
    IntegrationError,
    MemAlignError,
    MemAlignWarning,
    Problem,
)
from memalign_nb.feedback.model import Grade
from memalign_nb.judges.base import Judgment

if TYPE_CHECKING:
    from mlflow.entities import Assessment, Feedback, Trace

logger = logging.getLogger(__name__)

CASE_ID_TAG = "memalign_nb.case_id"
"""Trace tag (and assessment metadata key) holding the case id of the judged notebook."""

HUMAN = "HUMAN"
"""MLflow's source type of assessments made by people (labeling sessions, review app)."""

_PATH_KEYS = ("notebook_path", "path", "notebook")
_SHOWN = 5

OnError = Literal["warn", "raise"]


def grades_from_traces(
    traces: str | Iterable[Trace],
    mapping: Mapping[str, str | None] | None = None,
    *,
    source_type: str | None = HUMAN,
    dimensions: Iterable[str] = DIMENSIONS,
    case_id: Callable[[Trace], str] | None = None,
    on_error: OnError = "warn",
) -> list[Grade]:
    """Read the human feedback on traces as grades.

    Parameters
    ----------
    traces : str or iterable of mlflow.entities.Trace
        An experiment id or name (every trace in it is read, with
        ``mlflow.search_traces``), or traces already fetched
        (``mlflow.search_traces(..., return_type="list")``).
    mapping : mapping of str to str or None, optional
        Assessment name -> dimension id, or None to ignore that name. It extends the
        default, which maps each id of ``dimensions`` to itself; assessments with other
        names (``relevance``, free comments) are skipped.
    source_type : str or None
        Only assessments from this source are read (``"HUMAN"``, ``"LLM_JUDGE"``,
        ``"CODE"``); None reads every source.
    dimensions : iterable of str
        The dimension ids the mapping may target (custom rubrics add their own).
    case_id : callable, optional
        ``trace -> case id``, replacing the default lookup (see the module docstring).
    on_error : {"warn", "raise"}
        What to do with assessments that are not a valid grade (a value that is not an
        integer 0-3, an empty rater): skip them with one :class:`MemAlignWarning`
        listing them, or raise :class:`DatasetError` listing every one.

    Returns
    -------
    list of Grade
        One grade per (case, dimension, rater), the most recently updated when a rater
        answered twice, sorted by case, dimension and rater. The rater is the
        assessment's ``source_id`` (the reviewer's e-mail in the review app);
        ``created_at`` is its last update time in UTC. Overridden (invalid) assessments
        and feedback that only carries an error are left out.

    Raises
    ------
    UnknownNameError
        ``mapping`` targets a dimension not in ``dimensions``.
    IntegrationError
        No experiment has this id or name, or it cannot be searched.
    DatasetError
        With ``on_error="raise"``, when any assessment is not a valid grade.
    """
    from memalign_nb.dimensions import score_from_text
    from memalign_nb.feedback.io import check_grade

    _check_on_error(on_error)
    known = tuple(dimensions)
    names = _name_map(mapping, known)
    latest: dict[tuple[str, str, str], tuple[int, Grade]] = {}
    problems: list[Problem] = []
    for trace in _traces(traces):
        trace_id = trace.info.trace_id
        item = case_id(trace) if case_id else case_id_of(trace)
        for feedback in _feedbacks(trace, source_type):
            dimension = names.get(feedback.name)
            if dimension is None:
                continue
            updated = feedback.last_update_time_ms or feedback.create_time_ms or 0
            try:
                grade = check_grade(
                    Grade(
                        case_id=item,
                        dimension=dimension,
                        score=score_from_text(feedback.value),  # review-app labels are text
                        rationale=feedback.rationale or "",
                        rater=(feedback.source.source_id or "").strip(),
                        created_at=_iso(updated),
                    ),
                    known,
                )
            except MemAlignError as exc:
                problems.append(Problem(f"trace {trace_id}", None, f"{feedback.name!r}: {exc}"))
                continue
            key = (grade.case_id, grade.dimension, grade.rater)
            if key not in latest or updated >= latest[key][0]:
                latest[key] = (updated, grade)
    _report(problems, on_error, "assessments skipped", DatasetError)
    grades = [grade for _, grade in latest.values()]
    logger.info("read %d grades from MLflow traces", len(grades))
    return sorted(grades, key=lambda g: (g.case_id, g.dimension, g.rater))


def log_assessments(
    trace_id: str | Mapping[str, str],
    items: Iterable[Judgment | Grade],
    mapping: Mapping[str, str | None] | None = None,
    *,
    on_error: OnError = "warn",
) -> list[Assessment]:
    """Log judgments and grades as ``Feedback`` assessments on traces.

    Parameters
    ----------
    trace_id : str or mapping of str to str
        The trace every item goes to, or ``case_id -> trace_id`` (see
        :func:`trace_ids_by_case`) to send each item to its notebook's trace.
    items : iterable of Judgment or Grade
        A judgment becomes feedback from an ``LLM_JUDGE`` source (``CODE`` for the
        offline heuristic judge) whose ``source_id`` is the judge id; a failed judgment
        is logged as feedback with an error, never as a score. A grade becomes ``HUMAN``
        feedback from its rater, timestamped with its ``created_at``.
    mapping : mapping, optional
        The assessment-name mapping used by :func:`grades_from_traces`; each dimension
        is logged under the first name mapped to it, or under its own id.
    on_error : {"warn", "raise"}
        Items that cannot be logged (no trace for their case, a trace MLflow does not
        know) are skipped and reported by one :class:`MemAlignWarning`, or, with
        ``"raise"``, by an :class:`IntegrationError` once every other item is logged.

    Returns
    -------
    list of mlflow.entities.Assessment
        The assessments as stored, with their ids.
    """
    import mlflow
    from mlflow.exceptions import MlflowException

    _check_on_error(on_error)
    names: dict[str, str] = {}
    for name, dimension in (mapping or {}).items():
        if dimension is not None:
            names.setdefault(dimension, name)
    logged: list[Assessment] = []
    problems: list[Problem] = []
    for item in items:
        target = trace_id if isinstance(trace_id, str) else trace_id.get(item.case_id)
        where = f"{item.case_id}/{item.dimension}"
        if target is None:
            problems.append(Problem(where, None, "no trace for this case"))
            continue
        feedback = to_feedback(item, names.get(item.dimension))
        try:
            logged.append(mlflow.log_assessment(target, feedback))
        except MlflowException as exc:
            problems.append(Problem(where, None, f"trace {target}: {exc.message}"))
    _report(problems, on_error, "items not logged", _not_logged)
    logger.info("logged %d assessments to MLflow", len(logged))
    return logged


def trace_ids_by_case(
    traces: str | Iterable[Trace], case_id: Callable[[Trace], str] | None = None
) -> dict[str, str]:
    """Map each case id to its trace id (the latest trace when a case has several).

    Takes an experiment id or traces, and the same ``case_id`` function as
    :func:`grades_from_traces`; the result is what :func:`log_assessments` takes to send
    judgments back to the traces their grades came from.
    """
    ordered = sorted(_traces(traces), key=lambda t: t.info.request_time or 0)
    return {(case_id(t) if case_id else case_id_of(t)): t.info.trace_id for t in ordered}


def case_id_of(trace: Trace) -> str:
    """The case id of the notebook a trace is about (see the module docstring)."""
    tagged = (trace.info.tags or {}).get(CASE_ID_TAG)
    if tagged:
        return str(tagged)
    inputs = _inputs(trace)
    if str(inputs.get("case_id") or "").strip():
        return str(inputs["case_id"]).strip()
    for key in _PATH_KEYS:
        value = inputs.get(key)
        if isinstance(value, str) and value.strip().endswith(".ipynb"):
            return Path(value.strip()).stem
    return trace.info.trace_id


def _name_map(
    mapping: Mapping[str, str | None] | None, known: tuple[str, ...]
) -> dict[str, str | None]:
    names: dict[str, str | None] = {d: d for d in known}
    for name, dimension in (mapping or {}).items():
        names[name] = None if dimension is None else check_dimension(dimension, known)
    return names


def _check_on_error(on_error: str) -> None:
    if on_error not in ("warn", "raise"):
        raise ValueError(f"on_error must be 'warn' or 'raise', not {on_error!r}")


def _traces(traces: str | Iterable[Trace]) -> list[Trace]:
    if not isinstance(traces, str):
        return list(traces)
    import mlflow
    from mlflow.exceptions import MlflowException

    try:
        experiment = mlflow.get_experiment(traces)
    except MlflowException:
        experiment = mlflow.get_experiment_by_name(traces)
    if experiment is None:
        raise IntegrationError(f"experiment {traces}", "no experiment with this id or name")
    try:
        return list(
            mlflow.search_traces(locations=[experiment.experiment_id], return_type="list")
        )
    except MlflowException as exc:
        raise IntegrationError(f"experiment {traces}", exc.message) from exc


def _feedbacks(trace: Trace, source_type: str | None) -> list[Feedback]:
    from mlflow.entities import Feedback

    wanted = None if source_type is None else source_type.upper()
    return [
        a
        for a in trace.info.assessments or ()
        if isinstance(a, Feedback)
        and a.valid is not False
        and a.error is None
        and a.value is not None
        and (wanted is None or a.source.source_type == wanted)
    ]


def _inputs(trace: Trace) -> dict[str, Any]:
    text = (trace.data.request if trace.data and trace.data.spans else None) or (
        trace.info.request_preview
    )
    try:
        inputs = json.loads(text) if text else {}
    except ValueError:
        return {}
    return inputs if isinstance(inputs, dict) else {}


def to_feedback(item: Judgment | Grade, name: str | None = None) -> Feedback:
    """An MLflow ``Feedback`` (not yet logged) for a judgment or a grade.

    Parameters
    ----------
    item : Judgment or Grade
        See :func:`log_assessments` for the source each kind gets.
    name : str, optional
        The assessment name; the dimension id by default.

    Returns
    -------
    mlflow.entities.Feedback
        Valued by the score, or carrying the judgment's error and no value; its
        metadata holds the case id (and, for a judgment, latency, tokens and the
        retrieved example ids).
    """
    from mlflow.entities import AssessmentSource, Feedback

    name = name or item.dimension
    if isinstance(item, Grade):
        stamp = _millis(item.created_at)
        return Feedback(
            name=name,
            value=item.score,
            rationale=item.rationale or None,
            source=AssessmentSource(source_type=HUMAN, source_id=item.rater),
            metadata={CASE_ID_TAG: item.case_id},
            create_time_ms=stamp,
            last_update_time_ms=stamp,
        )
    return Feedback(
        name=name,
        value=item.score,
        error=item.error,
        rationale=item.rationale or None,
        source=AssessmentSource(source_type=_judge_source(item.judge_id), source_id=item.judge_id),
        metadata={
            CASE_ID_TAG: item.case_id,
            "memalign_nb.latency_s": f"{item.latency_s:.3f}",
            "memalign_nb.prompt_tokens": str(item.prompt_tokens),
            "memalign_nb.completion_tokens": str(item.completion_tokens),
            "memalign_nb.retrieved_ids": json.dumps(list(item.retrieved_ids)),
        },
    )


def _judge_source(judge_id: str) -> str:
    """``CODE`` for the offline heuristic engine (aligned or not), else ``LLM_JUDGE``."""
    return "CODE" if "heuristic" in judge_id.lower() else "LLM_JUDGE"


def _iso(millis: int) -> str:
    moment = datetime.fromtimestamp(millis / 1000, tz=UTC)
    return moment.isoformat(timespec="milliseconds")


def _millis(stamp: str) -> int | None:
    if not stamp:
        return None
    moment = datetime.fromisoformat(stamp)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def _not_logged(problems: list[Problem]) -> IntegrationError:
    shown = "; ".join(map(str, problems[:_SHOWN]))
    return IntegrationError(f"{len(problems)} items not logged", shown)


def _report(
    problems: list[Problem],
    on_error: OnError,
    what: str,
    error: Callable[[list[Problem]], MemAlignError],
) -> None:
    """Raise ``error(problems)`` or warn once listing the first few problems."""
    if not problems:
        return
    if on_error == "raise":
        raise error(problems)
    shown = "; ".join(map(str, problems[:_SHOWN]))
    more = f" (and {len(problems) - _SHOWN} more)" if len(problems) > _SHOWN else ""
    warnings.warn(f"{len(problems)} {what}: {shown}{more}", MemAlignWarning, stacklevel=3)
