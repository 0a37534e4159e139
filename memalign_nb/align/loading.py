"""An aligned judge back from its directory: :func:`load_judge`."""

from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import Any

from memalign_nb.align.aligned_judge import AlignedJudge
from memalign_nb.align.engines import engine_name, make_engine
from memalign_nb.align.memalign import MemAlign
from memalign_nb.align.persistence import (
    CONFIG,
    read_config,
    read_state,
    rebuild_base_judge,
    saved_params,
)
from memalign_nb.errors import JudgeDirError, MemAlignError
from memalign_nb.judges.base import Judge


def load_judge(
    path: str | PathLike[str],
    *,
    judge: str | Judge | None = None,
    embeddings: Any = None,
    reflection_model: Any = None,
) -> AlignedJudge:
    """Load an aligned judge saved by :meth:`AlignedJudge.save`.

    Parameters
    ----------
    path : path
        The judge directory.
    judge : str or Judge, optional
        The base judge, replacing the saved spec: needed when the base judge cannot be
        rebuilt from a file (a chat model object, a scripted judge). A warning notes a
        different ``judge_id`` than the saved one.
    embeddings : str or Embeddings, optional
        Needed when the judge was aligned with an embedder object (must be the same
        embedder: Chroma checks it).
    reflection_model : str or BaseChatModel, optional
        The LLM engine's reflection model for later ``add_feedback``; needed when it was an
        object.

    Returns
    -------
    AlignedJudge
        Living in ``path``: later ``add_feedback`` and ``forget`` update it.

    Raises
    ------
    JudgeDirError
        ``path`` is not a judge directory, a file is missing or corrupted, it was written
        in another format version, or the base judge cannot be rebuilt.
    """
    root = Path(path).expanduser()
    config = read_config(root)
    try:
        params = MemAlign(**saved_params(config, root, embeddings=embeddings,
                                         reflection_model=reflection_model))
        params.blend_weights()
    except (TypeError, MemAlignError) as exc:
        raise JudgeDirError(str(root / CONFIG), f"invalid MemAlign parameters: {exc}") from None
    base = rebuild_base_judge(config, root / CONFIG, judge)
    if engine_name(base) != config["engine"]:
        raise JudgeDirError(str(root / CONFIG), f"the judge was aligned with the "
                            f"{config['engine']} engine; {base.judge_id} needs the "
                            f"{engine_name(base)} engine: align it again")
    state = read_state(root, config, params)
    return AlignedJudge(base, params, engine=make_engine(config["engine"], base, params),
                        state=state, path=root)
