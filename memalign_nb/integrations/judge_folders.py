"""Judge folders: one judge saved in a folder, and read back.

A *judge folder* holds what ``AlignedJudge.save(dir)`` writes for an aligned judge, or, for
a judge without ``save`` (the heuristic judge, an unaligned LLM judge), a JSON spec
(:data:`SPEC_FILE`) from which ``make_judge`` rebuilds it, credentials left out. It is the
artifact of a judge logged to MLflow
(:func:`~memalign_nb.integrations.mlflow_model.log_judge`); any reference to a judge,
folders included, is read by :func:`~memalign_nb.integrations.judge_refs.resolve_judge`.
"""

from __future__ import annotations

import json
import logging
import os
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
:func:`memalign_nb.judges.spec.judge_spec` (``model``, ``options``, ``judge_id``)."""

def save_judge_dir(judge: Judge, folder: str | os.PathLike[str]) -> Path:
    """Write ``judge`` as a judge folder: with its own ``save`` if it has one, else a spec.

    Raises
    ------
    IntegrationError
        The judge has no ``save`` and ``make_judge`` cannot rebuild it from a spec (a
        chat model object, a scripted judge).
    """
    from memalign_nb.judges.spec import judge_spec

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
    """Load a judge folder written by :func:`save_judge_dir`.

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
    from memalign_nb.align import load_judge

    return load_judge(folder)


def _judge_from_spec(path: Path) -> Judge:
    from memalign_nb.judges.spec import judge_from_spec

    try:
        spec: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        if spec.get("format") != SPEC_FORMAT:
            raise ValueError(f"format is {spec.get('format')!r}, expected {SPEC_FORMAT!r}")
        return judge_from_spec(spec)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise IntegrationError(str(path), f"not a judge spec: {exc}") from exc
