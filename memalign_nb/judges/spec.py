"""Judge specs: how to rebuild a judge with ``make_judge``, as JSON, never with credentials.

:func:`judge_spec` describes a judge (its model string or engine name and its
``get_params()``, rubrics as data, secrets redacted); :func:`judge_from_spec` is its
inverse. A saved aligned judge keeps its base judge's spec
(:mod:`memalign_nb.align.persistence`), and a judge folder without ``save`` is one
(:mod:`memalign_nb.integrations.judge_folders`).
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from typing import Any

from memalign_nb.errors import MemAlignError
from memalign_nb.judges.base import Judge


def judge_spec(judge: Judge) -> dict[str, Any]:
    """How to rebuild ``judge``: ``make_judge(model, **options)``, never with credentials.

    ``options`` are the judge's ``get_params()`` without ``model``; rubrics are stored as
    data and credentials in ``model_kwargs`` are left out (supply them through the
    environment). A judge that cannot be rebuilt that way (a chat model object, a
    scripted judge) gets ``"rebuildable": false`` and a ``reason``.
    """
    from memalign_nb.judges.registry import make_judge

    spec: dict[str, Any] = {"judge_id": judge.judge_id,
                            "class": f"{type(judge).__module__}.{type(judge).__qualname__}"}
    getter = getattr(judge, "get_params", None)
    if not callable(getter):
        return {**spec, "rebuildable": False, "reason": "the judge has no get_params()"}
    options = dict(getter())
    model = options.pop("model", judge.judge_id)
    if isinstance(options.get("model_kwargs"), Mapping):  # secrets at any depth: dropped
        from memalign_nb.redaction import redact

        options["model_kwargs"] = redact(options["model_kwargs"], placeholder=None) or None
    if isinstance(options.get("rubrics"), Mapping):
        options["rubrics"] = [dataclasses.asdict(r) for r in options["rubrics"].values()]
    if options.get("cache_dir") is not None:
        options["cache_dir"] = os.fspath(options["cache_dir"])
    try:
        json.dumps(options)
        if not isinstance(model, str):
            raise TypeError(f"its model is a {type(model).__name__} object")
        rebuilt = make_judge(model, **_options(options))
    except (TypeError, ValueError, MemAlignError) as exc:
        return {**spec, "rebuildable": False, "reason": str(exc)}
    if type(rebuilt) is not type(judge) or rebuilt.judge_id != judge.judge_id:
        reason = f"make_judge({model!r}) builds {type(rebuilt).__name__} {rebuilt.judge_id!r}"
        return {**spec, "rebuildable": False, "reason": reason}
    return {**spec, "rebuildable": True, "model": model, "options": options}


def judge_from_spec(spec: Mapping[str, Any]) -> Judge:
    """The judge a rebuildable :func:`judge_spec` describes (its inverse).

    Raises
    ------
    KeyError, TypeError, ValueError
        A malformed spec.
    MemAlignError
        A model or option :func:`~memalign_nb.judges.make_judge` refuses.
    """
    from memalign_nb.judges.registry import make_judge

    return make_judge(spec["model"], **_options(spec.get("options") or {}))


def _options(options: Mapping[str, Any]) -> dict[str, Any]:
    """Saved options as ``make_judge`` takes them (rubrics back to Rubric records)."""
    from memalign_nb.rubrics.model import Rubric

    result = dict(options)
    if isinstance(result.get("rubrics"), list):
        result["rubrics"] = {
            row["dimension"]: Rubric(**{
                **row,
                "levels": tuple((int(s), str(t)) for s, t in row.get("levels", ())),
                "cells_from": tuple(row.get("cells_from", ())),
            })
            for row in result["rubrics"]
        }
    return result
