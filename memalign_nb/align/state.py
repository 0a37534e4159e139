"""What an aligned judge has learned, in one record: :class:`AlignmentState`.

Learning (:mod:`memalign_nb.align.learning`), calibration
(:mod:`memalign_nb.align.calibration`), the engines and persistence
(:mod:`memalign_nb.align.persistence`) all work on this record; the
:class:`~memalign_nb.align.AlignedJudge` holds one and scores with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from memalign_nb.feedback.model import Grade
from memalign_nb.memory.examples import Example
from memalign_nb.memory.guidelines import GuidelineSet

if TYPE_CHECKING:
    from memalign_nb.align.calibration import Calibration
    from memalign_nb.memory.episodic import EpisodicMemory

ItemKey = tuple[str, str]
"""A graded item: ``(case_id, dimension)``."""

GradeKey = tuple[str, str, str]
"""A human grade: ``(case_id, dimension, rater)``."""


@dataclass
class AlignmentState:
    """The learned state of an aligned judge (updated in place as feedback comes and goes).

    Attributes
    ----------
    dimensions : tuple of str
        The aligned dimensions.
    guidelines : GuidelineSet
        Semantic memory: distilled guidelines (LLM engine) or learned rules (heuristic).
    episodic : EpisodicMemory or None
        Episodic memory; None when the judge was aligned without it.
    items : dict of (case_id, dimension) to Example
        Every graded item learned, as a reference example (the experts' median, their
        rationales, the base judge's verdict, the section's facts and finding), whatever
        the episodic policy stores.
    grades : dict of (case_id, dimension, rater) to Grade
        Every human grade learned.
    calibration : dict of str to Calibration
        Heuristic engine: the blend chosen per dimension on the training feedback.
    """

    dimensions: tuple[str, ...]
    guidelines: GuidelineSet
    episodic: EpisodicMemory | None = None
    items: dict[ItemKey, Example] = field(default_factory=dict)
    grades: dict[GradeKey, Grade] = field(default_factory=dict)
    calibration: dict[str, Calibration] = field(default_factory=dict)

    def items_of(self, dimension: str) -> list[Example]:
        """The graded items of ``dimension``, by case id."""
        return sorted((e for (_, d), e in self.items.items() if d == dimension),
                      key=lambda e: e.case_id)

    def references(self, dimension: str) -> Mapping[ItemKey, float]:
        """The experts' reference score (median of raters) of each item of ``dimension``."""
        from memalign_nb.feedback.agreement import reference_scores

        return reference_scores(g for g in self.grades.values() if g.dimension == dimension)
