"""A judge's verdict on one (case, dimension): :class:`Judgment`."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Judgment:
    """A judge's verdict on one (case, dimension).

    Attributes
    ----------
    case_id : str
        The judged case.
    dimension : str
        The judged dimension.
    score : int or None
        0-3 (0 = not applicable); None exactly when ``error`` is set.
    rationale : str
        The judge's reason.
    judge_id : str
        Which judge or model produced it (``heuristic``, ``openai:gpt-4o-mini``, ...).
    prompt_tokens, completion_tokens : int
        Tokens the model call used (0 for offline judges or cache hits).
    latency_s : float
        Wall time of the call in seconds.
    retrieved_ids : tuple of str
        Episodic examples an aligned judge retrieved, as ``case_id`` strings.
    error : str or None
        Why no score was produced; a failed call is recorded here, never as a score.
    cached : bool
        Whether it came from the on-disk judgment cache.
    metadata : Mapping[str, Any]
        Judge-specific extras (decisive facts, guideline ids, ...), JSON-serialisable.
    """

    case_id: str
    dimension: str
    score: int | None
    rationale: str = ""
    judge_id: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    retrieved_ids: tuple[str, ...] = ()
    error: str | None = None
    cached: bool = False
    metadata: Mapping[str, Any] = field(default_factory=dict, hash=False)

    @property
    def ok(self) -> bool:
        """Whether the judgment carries a score."""
        return self.error is None and self.score is not None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (one JSONL row)."""
        row = dataclasses.asdict(self)
        row["retrieved_ids"] = list(self.retrieved_ids)
        row["metadata"] = dict(self.metadata)
        return row

    def to_json_line(self, **extra: Any) -> str:
        """One JSONL line: the ``extra`` fields first (``variant``, ``fold``), then
        :meth:`to_dict`'s, with a newline."""
        row = {**extra, **self.to_dict()}
        return json.dumps(row, ensure_ascii=False, default=str) + "\n"

    @classmethod
    def from_dict(cls, row: Mapping[str, Any]) -> Judgment:
        """The inverse of :meth:`to_dict`; unknown keys are ignored."""
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in row.items() if k in names}
        values["retrieved_ids"] = tuple(values.get("retrieved_ids", ()))
        return cls(**values)
