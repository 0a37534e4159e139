"""Judge references: the one way from a name, a model string, a saved judge folder, an
MLflow model URI or an object to a judge.

:func:`resolve_judge` takes any of them; every ``memalign-nb`` command that takes a judge
(``judge``, ``align``, ``score``, ``study``, ``grade``), the grading page and the
integrations go through it. :func:`judge_ref_kind` says what a reference names:

========== ======================================================= ===========================
kind       reference                                               judge
========== ======================================================= ===========================
``judge``  a :class:`~memalign_nb.judges.Judge` object              itself
``new``    an engine name (``heuristic``), a model string          built by
           (``openai:gpt-4o-mini``, ``gpt-4o``), a chat model       :func:`~memalign_nb.judges.
           object                                                  make_judge`
``folder`` a saved judge folder: an aligned judge                  read back
           (``AlignedJudge.save``), a spec folder
           (:mod:`~memalign_nb.integrations.judge_folders`), a
           local MLflow model; a path-like, or a string with a
           path separator or a leading ``.`` or ``~`` and no
           ``provider:`` prefix
``mlflow`` an MLflow model URI (``runs:/<run>/judge``,               loaded from MLflow
           ``models:/<name>/<version>``)
========== ======================================================= ===========================

Nothing here imports MLflow unless an MLflow model is involved.

>>> judge_ref_kind("heuristic"), judge_ref_kind("openai:gpt-4o-mini"), judge_ref_kind("./j")
('new', 'new', 'folder')
>>> judge_ref_kind("runs:/0a1b/judge")
'mlflow'
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from memalign_nb.judges.base import Judge

KINDS: tuple[str, ...] = ("judge", "new", "folder", "mlflow")
"""What a judge reference can name (see the module docs)."""

_MLFLOW_URI = re.compile(r"^[A-Za-z][\w+.-]+:/")  # a scheme of 2+ letters: not C:/
_MODEL_STRING = re.compile(r"^[A-Za-z][\w.-]+:")  # provider:model


def judge_ref_kind(ref: Any) -> str:
    """What ``ref`` names: one of :data:`KINDS`."""
    if isinstance(ref, Judge):
        return "judge"
    if isinstance(ref, os.PathLike):
        return "folder"
    if not isinstance(ref, str):
        return "new"  # a chat model object
    if _MLFLOW_URI.match(ref):
        return "mlflow"
    if Path(ref).expanduser().is_dir() or (not _MODEL_STRING.match(ref) and (
            "/" in ref or os.sep in ref or ref.startswith((".", "~")))):
        return "folder"
    return "new"


def resolve_judge(ref: Any, **options: Any) -> Judge:
    """The judge a reference names (see the module docs for what a reference can be).

    Parameters
    ----------
    ref : Judge, str, path-like or BaseChatModel
    **options
        Keyword arguments of the judge :func:`~memalign_nb.judges.make_judge` builds
        (``LLMJudge(cache_dir=...)``); a saved judge is read back as it was saved.

    Raises
    ------
    TypeError
        ``options`` given with a judge object or a saved judge.
    IntegrationError
        An MLflow URI or a folder that does not hold a judge, or a path (``./judge``,
        ``~/judges/x``, ``out/judge``) that is no folder.
    JudgeDirError
        A folder that looks like an aligned judge's but cannot be read back.
    ModelConfigError, UnknownNameError
        From :func:`~memalign_nb.judges.make_judge`.
    """
    kind = judge_ref_kind(ref)
    if kind in ("judge", "new"):
        from memalign_nb.judges.registry import make_judge

        return make_judge(ref, **options)
    if options:
        raise TypeError(f"options apply to a judge built from a name or a model string, not "
                        f"to the saved judge {ref}: set them on the judge it loads")
    if kind == "folder" and not (Path(ref).expanduser() / "MLmodel").is_file():
        from memalign_nb.integrations.judge_folders import load_judge_dir

        return load_judge_dir(ref)
    from memalign_nb.integrations.mlflow_model import load_judge_from_mlflow

    return load_judge_from_mlflow(str(Path(ref).expanduser()) if kind == "folder" else ref)

