"""Rows in, judgments out: the shared plumbing of the MLflow scorer, model and Spark job.

MLflow evaluation rows, pyfunc model inputs and Spark partitions all carry a notebook as a
file path, as JSON text or as an nbformat dict. :func:`notebook_from_value` reads any of
them (as data: nothing is executed) and :func:`case_from_row` builds a
:class:`~memalign_nb.datasets.model.Case`; :func:`judge_rows` scores such rows and
:func:`judgments_frame` turns the judgments into a frame (:data:`JUDGMENT_COLUMNS`). A row
that cannot be read becomes failed judgments naming the problem; the other rows are
still scored.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from memalign_nb.datasets.model import Case
from memalign_nb.errors import MemAlignError, NotebookError
from memalign_nb.judges.base import Judge, Judgment
from memalign_nb.notebooks.model import Notebook
from memalign_nb.notebooks.reader import read_notebook, reads_notebook

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)

JUDGMENT_COLUMNS: tuple[str, ...] = (
    "case_id",
    "dimension",
    "score",
    "rationale",
    "judge_id",
    "error",
    "latency_s",
    "prompt_tokens",
    "completion_tokens",
    "retrieved_ids",
)
"""Columns of a judgments frame, in order: the scalar fields of
:class:`~memalign_nb.judges.base.Judgment`; ``score`` is null exactly when ``error`` is set."""

_NO_PATH = "<string>"


def notebook_from_value(value: Any, where: str = "<row>") -> Notebook:
    """Read a notebook given as a path, JSON text, an nbformat dict or a loaded notebook.

    Parameters
    ----------
    value : str, path-like, bytes, mapping or Notebook
        A ``.ipynb`` path; the notebook's JSON text (a string starting with ``{``) or
        bytes; an nbformat dict or ``NotebookNode``; or a :class:`Notebook` (returned as
        is).
    where : str
        Names the notebook in errors and becomes ``Notebook.path`` for text and dicts.

    Returns
    -------
    Notebook

    Raises
    ------
    NotebookError
        The value is missing or of another type, a dict is not a notebook, the file does
        not exist, or the text is not a readable notebook.
    """
    if isinstance(value, Notebook):
        return value
    if isinstance(value, Mapping):
        if "cells" not in value:
            keys = ", ".join(sorted(map(str, value))[:8]) or "none"
            raise NotebookError(where, f"a dict that is not a notebook (no 'cells'; keys: {keys})")
        return reads_notebook(json.dumps(value, default=str), path=where)
    if isinstance(value, bytes | bytearray):
        return reads_notebook(bytes(value), path=where)
    if isinstance(value, os.PathLike):
        return read_notebook(value)
    if isinstance(value, str) and value.strip():
        if value.lstrip().startswith("{"):
            return reads_notebook(value, path=where)
        return read_notebook(value.strip())
    kind = "an empty string" if isinstance(value, str) else type(value).__name__
    raise NotebookError(
        where, f"expected a notebook path, JSON text or nbformat dict, got {kind}"
    )


def default_case_id(value: Any) -> str:
    """A case id for a notebook given without one.

    The file stem for a path (``data/titanic-3.ipynb`` -> ``titanic-3``); for a notebook
    given as content, ``nb-`` and the first 12 hex digits of the SHA-1 of its JSON, so
    the same notebook gets the same id on every machine.
    """
    if isinstance(value, Notebook) and value.path != _NO_PATH:
        return Path(value.path).stem
    if isinstance(value, os.PathLike) or (
        isinstance(value, str) and value.strip() and not value.lstrip().startswith("{")
    ):
        return Path(os.fspath(value).strip()).stem
    if isinstance(value, Mapping):
        content = json.dumps(value, sort_keys=True, default=str).encode()
    elif isinstance(value, bytes | bytearray):
        content = bytes(value)
    else:
        content = str(value).encode()
    return "nb-" + hashlib.sha1(content, usedforsecurity=False).hexdigest()[:12]


def case_from_row(
    row: Mapping[str, Any],
    *,
    notebook_key: str = "notebook",
    case_id_key: str = "case_id",
    prompt_key: str = "prompt",
    task_type_key: str = "task_type",
) -> Case:
    """Build a :class:`Case` from one row (a dict, a pandas row, MLflow ``inputs``).

    Parameters
    ----------
    row : mapping
        Holds the notebook under ``notebook_key`` (see :func:`notebook_from_value`) and
        optionally a case id, the task prompt and the task type.
    notebook_key, case_id_key, prompt_key, task_type_key : str
        Where each field is; a missing or empty case id becomes :func:`default_case_id`.

    Raises
    ------
    NotebookError
        The row has no notebook, or it cannot be read; the error names the case.
    """
    value = row.get(notebook_key)
    case_id = _case_id(row, notebook_key, case_id_key)
    where = case_id or "<row>"
    if not _present(value):
        present = ", ".join(map(str, row)) or "none"
        raise NotebookError(where, f"no notebook under {notebook_key!r} (keys: {present})")
    notebook = notebook_from_value(value, where=where)
    return Case(
        case_id=case_id,
        notebook=notebook,
        prompt=_text(row.get(prompt_key)),
        task_type=_text(row.get(task_type_key)) or None,
    )


def judge_rows(
    judge: Judge,
    rows: Sequence[Mapping[str, Any]],
    dimensions: Sequence[str],
    *,
    concurrency: int = 4,
    keys: Mapping[str, str] | None = None,
) -> list[Judgment]:
    """Score every row on every dimension, in (row, dimension) order.

    Parameters
    ----------
    judge : Judge
    rows : sequence of mapping
        Rows as :func:`case_from_row` reads them.
    dimensions : sequence of str
        Checked against ``judge.dimensions`` before anything is read.
    concurrency : int
        Judgments in flight at once (threads); what an LLM judge's rate limit allows.
    keys : mapping, optional
        Keyword arguments of :func:`case_from_row` (``{"notebook_key": "path"}``).

    Returns
    -------
    list of Judgment
        ``len(rows) * len(dimensions)`` judgments; a row whose notebook cannot be read
        gives failed judgments carrying the reason.
    """
    from memalign_nb.dimensions import check_dimension

    dimensions = tuple(dimensions)
    for dimension in dimensions:
        check_dimension(dimension, judge.dimensions)
    keys = dict(keys or {})
    cases: list[Case | list[Judgment]] = []
    for position, row in enumerate(rows):
        try:
            cases.append(case_from_row(row, **keys))
        except MemAlignError as exc:
            case_id = _case_id(
                row, keys.get("notebook_key", "notebook"), keys.get("case_id_key", "case_id")
            ) or f"<row {position}>"
            logger.warning("row %d (%s) not judged: %s", position, case_id, exc)
            cases.append([
                Judgment(case_id, d, None, judge_id=judge.judge_id, error=str(exc))
                for d in dimensions
            ])
    readable = [c for c in cases if isinstance(c, Case)]
    scored = iter(
        judge.score_many(readable, dimensions, concurrency=concurrency, progress=False)
        if readable
        else ()
    )
    out: list[Judgment] = []
    for item in cases:
        out.extend(item if isinstance(item, list) else (next(scored) for _ in dimensions))
    return out


def judgments_frame(judgments: Sequence[Judgment]) -> pd.DataFrame:
    """The judgments as a pandas frame with :data:`JUDGMENT_COLUMNS`.

    ``score`` has the nullable ``Int64`` dtype (null for failures) and ``retrieved_ids``
    holds lists of strings.
    """
    import pandas as pd

    return pd.DataFrame(
        {
            "case_id": [j.case_id for j in judgments],
            "dimension": [j.dimension for j in judgments],
            "score": pd.array([j.score for j in judgments], dtype="Int64"),
            "rationale": [j.rationale for j in judgments],
            "judge_id": [j.judge_id for j in judgments],
            "error": pd.Series([j.error for j in judgments], dtype=object),
            "latency_s": pd.array([float(j.latency_s) for j in judgments], dtype="float64"),
            "prompt_tokens": pd.array([j.prompt_tokens for j in judgments], dtype="int64"),
            "completion_tokens": pd.array(
                [j.completion_tokens for j in judgments], dtype="int64"
            ),
            "retrieved_ids": [list(j.retrieved_ids) for j in judgments],
        },
        columns=list(JUDGMENT_COLUMNS),
    )


def _case_id(row: Mapping[str, Any], notebook_key: str, case_id_key: str) -> str:
    """The row's case id, else :func:`default_case_id` of its notebook, else ""."""
    value = row.get(notebook_key)
    return _text(row.get(case_id_key)) or (default_case_id(value) if _present(value) else "")


def _present(value: Any) -> bool:
    """Whether a row field holds something (not None, NaN or blank text)."""
    if value is None:
        return False
    if isinstance(value, float) and value != value:  # NaN from a pandas frame
        return False
    return not (isinstance(value, str) and not value.strip())


def _text(value: Any) -> str:
    return str(value).strip() if _present(value) else ""
