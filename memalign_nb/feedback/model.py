"""The :class:`Grade` record: one human expert's score of one (case, dimension)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Grade:
    """A human grade, as stored in ``feedback.jsonl`` and the :class:`FeedbackStore`.

    Attributes
    ----------
    case_id : str
        The graded notebook's case id.
    dimension : str
        The dimension graded.
    score : int
        1 (bad) to 3 (good), 0 = not applicable.
    rationale : str
        The expert's short reason; MemAlign distils guidelines from it.
    rater : str
        Who graded. Several raters per item are allowed.
    created_at : str
        When, as an ISO 8601 UTC timestamp.
    """

    case_id: str
    dimension: str
    score: int
    rationale: str = ""
    rater: str = "expert"
    created_at: str = ""

    @property
    def key(self) -> tuple[str, str]:
        """The graded item: ``(case_id, dimension)``."""
        return (self.case_id, self.dimension)
