"""The one interface every scorer implements: :class:`Judge` and its :class:`Judgment`.

An aligned judge is a judge, so everything that takes a judge takes an aligned one.
Subclasses implement one hook, :meth:`Judge._score`; the base class owns validation,
failure recording and batch scoring.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from memalign_nb.datasets.model import Case


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

    @classmethod
    def from_dict(cls, row: Mapping[str, Any]) -> Judgment:
        """The inverse of :meth:`to_dict`; unknown keys are ignored."""
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in row.items() if k in names}
        values["retrieved_ids"] = tuple(values.get("retrieved_ids", ()))
        return cls(**values)


class Judge(ABC):
    """Scores cases on dimensions.

    Subclasses implement :meth:`_score` and :attr:`judge_id`; callers use :meth:`score`
    and :meth:`score_many`.
    """

    @property
    @abstractmethod
    def judge_id(self) -> str:
        """A stable id of the judge (and model) used in judgments and cache keys."""

    @property
    def dimensions(self) -> tuple[str, ...]:
        """The dimensions this judge can score."""
        from memalign_nb.dimensions import DIMENSIONS

        return DIMENSIONS

    @abstractmethod
    def _score(self, case: Case, dimension: str) -> Judgment:
        """Score one case on one (already validated) dimension."""

    def score(self, case: Case, dimension: str) -> Judgment:
        """Score ``case`` on ``dimension``.

        Raises :class:`memalign_nb.errors.UnknownNameError` for a dimension this judge
        does not know. A failure inside the judge (a model call that kept failing, a
        malformed reply) is returned as a :class:`Judgment` with ``error`` set.
        """
        from memalign_nb.dimensions import check_dimension

        check_dimension(dimension, self.dimensions)
        return self._score(case, dimension)

    def score_many(
        self,
        cases: Iterable[Case],
        dimensions: Sequence[str] | None = None,
        *,
        concurrency: int = 8,
        progress: bool = True,
    ) -> list[Judgment]:
        """Score every case on every dimension, in (case, dimension) order.

        Parameters
        ----------
        cases : iterable of Case
        dimensions : sequence of str, optional
            Defaults to :attr:`dimensions`.
        concurrency : int
            How many judgments run at once (threads).
        progress : bool
            Show a tqdm progress bar.
        """
        from memalign_nb.judges.batch import run_batch

        return run_batch(
            self, list(cases), tuple(dimensions or self.dimensions), concurrency, progress
        )
