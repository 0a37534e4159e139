"""The one interface every scorer implements: :class:`Judge`, which returns a :class:`Judgment`.

An aligned judge is a judge, so everything that takes a judge takes an aligned one.
Subclasses implement one hook, :meth:`Judge._score`; the base class owns validation,
failure recording and batch scoring (:mod:`memalign_nb.judges.batch`). The record
:class:`~memalign_nb.judges.judgment.Judgment` lives in its own module and is importable
from here too.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence

from memalign_nb.datasets.model import Case
from memalign_nb.dimensions import DIMENSIONS, check_dimension
from memalign_nb.judges.batch import DEFAULT_CONCURRENCY, run_batch
from memalign_nb.judges.judgment import Judgment

__all__ = ["Judge", "Judgment"]


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
        check_dimension(dimension, self.dimensions)
        return self._score(case, dimension)

    def score_many(
        self,
        cases: Iterable[Case],
        dimensions: Sequence[str] | None = None,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
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
        return run_batch(
            self, list(cases), tuple(dimensions or self.dimensions), concurrency, progress
        )
