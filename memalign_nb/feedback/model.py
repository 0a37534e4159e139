"""The :class:`Grade` record: one human expert's score of one (case, dimension).

A grade whose rater starts with :data:`ADJUDICATOR_PREFIX` (``adjudicator:ana``) is an
*adjudication*: the decision on an item its raters disagree on. It is not one more rater:
the reference score takes it as is, and the noise floor leaves it out.
"""

from __future__ import annotations

from dataclasses import dataclass

ADJUDICATOR_PREFIX = "adjudicator:"
"""Rater names starting with this are adjudicators (``adjudicator:ana``), not raters."""


def is_adjudicator(rater: str) -> bool:
    """Whether ``rater`` names an adjudicator (starts with :data:`ADJUDICATOR_PREFIX`)."""
    return rater.startswith(ADJUDICATOR_PREFIX)


def adjudicator_name(name: str) -> str:
    """The adjudicator rater name for the person ``name``: ``ana`` -> ``adjudicator:ana``.

    A name that already is an adjudicator's is returned stripped and unchanged.
    """
    name = name.strip()
    return name if is_adjudicator(name) else f"{ADJUDICATOR_PREFIX}{name}"


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
        Who graded. Several raters per item are allowed; ``adjudicator:NAME`` marks an
        adjudication (see :data:`ADJUDICATOR_PREFIX`).
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
