"""Judge references: judge folders, judge specs, MLflow URIs and ``make_judge`` strings.

A *judge folder* holds one judge: what ``AlignedJudge.save(dir)`` writes for an aligned
judge, or, for a judge without ``save`` (the heuristic judge, an unaligned LLM judge), a
JSON spec (:data:`SPEC_FILE`) from which ``make_judge`` rebuilds it, credentials left
out. A folder holding an MLflow model (``MLmodel``) logged by
:func:`~memalign_nb.integrations.mlflow_model.log_judge` is read too.

:func:`resolve_judge` is the one way the integrations turn a reference into a judge: a
judge object, an MLflow model URI (``runs:/<run>/judge``, ``models:/<name>/<version>``), a
judge folder, or a :func:`~memalign_nb.judges.make_judge` string (``"heuristic"``,
``"openai:gpt-4o-mini"``). Nothing here imports MLflow unless an MLflow model is involved.
"""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path
from typing import Any

from memalign_nb.atomic import atomic_write_text
from memalign_nb.errors import IntegrationError
from memalign_nb.judges.base import Judge

logger = logging.getLogger(__name__)

SPEC_FILE = "memalign-judge.json"
"""The spec file of a judge folder for a judge without ``save``."""

SPEC_FORMAT = "memalign-nb/judge-spec@1"
"""Value of the spec's ``format`` field; the other fields are those of
:func:`memalign_nb.align.persistence.judge_spec` (``model``, ``options``, ``judge_id``)."""

_MLFLOW_URI = re.compile(r"^[A-Za-z][\w+.-]+:/")  # a scheme of 2+ letters: not C:/
_MODEL_STRING = re.compile(r"^[A-Za-z][\w.-]+:")  # provider:model


def resolve_judge(ref: Judge | str | os.PathLike[str]) -> Judge:
    """The judge a reference names.

    Parameters
    ----------
    ref : Judge, str or path-like
        A judge (returned as is); an MLflow model URI; a judge folder; or a
        :func:`~memalign_nb.judges.make_judge` string.

    Raises
    ------
    IntegrationError
        An MLflow URI or a folder that does not hold a judge, or a path (``./judge``,
        ``~/judges/x``, ``out/judge``) that is no folder.
    JudgeDirError
        A folder that looks like an aligned judge's but cannot be read back.
    """
    if isinstance(ref, Judge):
        return ref
    if is_mlflow_uri(ref):
        from memalign_nb.integrations.mlflow_model import load_judge_from_mlflow

        return load_judge_from_mlflow(str(ref))
    if isinstance(ref, os.PathLike) or Path(str(ref)).expanduser().is_dir() or _looks_like_path(
            str(ref)):
        return load_judge_dir(ref)
    from memalign_nb.judges import make_judge

    return make_judge(str(ref))


def _looks_like_path(ref: str) -> bool:
    """A folder path, not a model string: no ``provider:`` prefix and a path separator or
    a leading ``.`` or ``~`` (``openai:gpt-4o`` and ``heuristic`` are not paths)."""
    return not _MODEL_STRING.match(ref) and (
        "/" in ref or os.sep in ref or ref.startswith((".", "~")))


def is_mlflow_uri(ref: object) -> bool:
    """Whether ``ref`` is an MLflow model or artifact URI (``runs:/``, ``models:/``, ...).

    Model strings such as ``openai:gpt-4o-mini`` are not: no ``/`` follows the colon.
    """
    return isinstance(ref, str) and bool(_MLFLOW_URI.match(ref))


def save_judge_dir(judge: Judge, folder: str | os.PathLike[str]) -> Path:
    """Write ``judge`` as a judge folder: with its own ``save`` if it has one, else a spec.

    Raises
    ------
    IntegrationError
        The judge has no ``save`` and ``make_judge`` cannot rebuild it from a spec (a
        chat model object, a scripted judge).
    """
    from memalign_nb.align.persistence import judge_spec

    folder = Path(folder)
    save = getattr(judge, "save", None)
    if callable(save):
        save(folder)
        return folder
    spec = judge_spec(judge)
    if not spec.get("rebuildable"):
        raise IntegrationError(
            f"judge {judge.judge_id}",
            f"cannot be saved as a spec: {spec.get('reason')}; give the judge a save(dir)",
        )
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"format": SPEC_FORMAT, **spec}, indent=2) + "\n"
    atomic_write_text(folder / SPEC_FILE, text)
    return folder


def load_judge_dir(folder: str | os.PathLike[str]) -> Judge:
    """Load a judge folder written by :func:`save_judge_dir` (or a local MLflow model).

    Raises
    ------
    IntegrationError
        The folder does not exist, or its spec cannot be read.
    JudgeDirError
        An aligned judge's folder that cannot be read back.
    """
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise IntegrationError(str(folder), "is not a judge folder (no such directory)")
    if (folder / SPEC_FILE).is_file():
        return _judge_from_spec(folder / SPEC_FILE)
    if (folder / "MLmodel").is_file():
        from memalign_nb.integrations.mlflow_model import load_judge_from_mlflow

        return load_judge_from_mlflow(str(folder))
    from memalign_nb.align import load_judge

    return load_judge(folder)


def _judge_from_spec(path: Path) -> Judge:
    from memalign_nb.align.persistence import judge_from_spec

    try:
        spec: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        if spec.get("format") != SPEC_FORMAT:
            raise ValueError(f"format is {spec.get('format')!r}, expected {SPEC_FORMAT!r}")
        return judge_from_spec(spec)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise IntegrationError(str(path), f"not a judge spec: {exc}") from exc
