"""Episodic memory's records: a graded example, a retrieved neighbour, section excerpts.

An :class:`Example` is one graded (case, dimension) as :class:`~memalign_nb.memory.episodic.
EpisodicMemory` stores it, with id ``"{dimension}::{case_id}"`` (:func:`example_id`); its
metadata form is what Chroma holds next to the section text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from memalign_nb.dimensions import check_score
from memalign_nb.errors import MemoryDataError
from memalign_nb.memory.guidelines import require_text

if TYPE_CHECKING:
    from memalign_nb.feedback.model import Grade
    from memalign_nb.judges.base import Judgment
    from memalign_nb.sections.model import Section

EXCERPT_CHARS = 6000
"""Default longest section text an :class:`Example` keeps (head and tail, middle elided)."""

_NO_SCORE = -1  # Chroma metadata cannot hold None


def excerpt(text: str, max_chars: int = EXCERPT_CHARS) -> str:
    """``text`` cut to about ``max_chars``: its head and tail, with the middle elided.

    The first two thirds of the budget keep the start (imports, loading, splitting), the
    last third the end (training, evaluation); a marker says how much was left out.
    """
    if len(text) <= max_chars:
        return text
    head = text[: max_chars * 2 // 3]
    tail = text[len(text) - max_chars // 3 :]
    return f"{head}\n[... {len(text) - len(head) - len(tail)} characters omitted ...]\n{tail}"


@dataclass(frozen=True)
class Example:
    """One graded (case, dimension) as episodic memory stores it.

    Attributes
    ----------
    case_id : str
        The graded notebook's case id.
    dimension : str
        The dimension graded.
    text : str
        The section text the grade is about, excerpted (see :func:`excerpt`).
    expert_score : int
        The expert (reference) score, 0-3.
    rationale : str
        The expert's reason.
    judge_score : int or None
        What the unaligned judge scored, None when unknown or when the judge failed.
    judge_rationale : str
        The judge's reason ("" when unknown).
    facts : Mapping[str, object]
        The section's static facts (flat, JSON-serialisable), as in
        :attr:`memalign_nb.sections.model.Section.facts`.
    finding : str
        The section's static finding: which verdict of the heuristic rules it falls under
        (``"data_imputation.coarse"``), "" when unknown
        (:func:`memalign_nb.judges.heuristic.static_finding`).

    Raises
    ------
    InvalidScoreError
        A score is not an integer from 0 to 3.
    MemoryDataError
        An id is empty or the facts are not JSON-serialisable.
    """

    case_id: str
    dimension: str
    text: str
    expert_score: int
    rationale: str = ""
    judge_score: int | None = None
    judge_rationale: str = ""
    facts: Mapping[str, Any] = field(default_factory=dict, hash=False)
    finding: str = ""

    def __post_init__(self) -> None:
        where = f"example {self.dimension}::{self.case_id}"
        require_text(self, where, ("case_id", "dimension"))
        if not isinstance(self.text, str):
            raise MemoryDataError(where, f"text must be a string, got {type(self.text).__name__}")
        object.__setattr__(self, "expert_score", check_score(self.expert_score, where))
        if self.judge_score is not None:
            object.__setattr__(self, "judge_score", check_score(self.judge_score, where))
        if not isinstance(self.finding, str):
            raise MemoryDataError(where, f"finding must be a string, got {self.finding!r:.60}")
        if not isinstance(self.facts, Mapping):
            raise MemoryDataError(where, f"facts must be a mapping, got {type(self.facts)}")
        try:
            json.dumps(dict(self.facts))
        except (TypeError, ValueError) as exc:
            raise MemoryDataError(where, f"facts are not JSON-serialisable: {exc}") from None

    @property
    def id(self) -> str:
        """The memory id, ``"{dimension}::{case_id}"``."""
        return example_id(self.dimension, self.case_id)

    @classmethod
    def from_feedback(
        cls,
        section: Section,
        grade: Grade,
        judgment: Judgment | None = None,
        *,
        finding: str = "",
        max_chars: int = EXCERPT_CHARS,
    ) -> Example:
        """The example for one human grade of one section.

        Parameters
        ----------
        section : Section
            The graded section (its text is excerpted, its facts kept).
        grade : Grade
            The expert's grade (a reference score: for several raters, pass their median).
        judgment : Judgment, optional
            The unaligned judge's verdict on the same item; a failed judgment counts as
            unknown.
        finding : str
            The section's static finding.
        max_chars : int
            Longest text kept.
        """
        where = f"example {grade.dimension}::{grade.case_id}"
        if section.dimension != grade.dimension:
            raise MemoryDataError(
                where, f"section is for {section.dimension!r}, grade for {grade.dimension!r}"
            )
        if judgment is not None and (judgment.case_id, judgment.dimension) != grade.key:
            raise MemoryDataError(
                where, f"judgment is for {judgment.dimension}::{judgment.case_id}"
            )
        judged = judgment is not None and judgment.ok
        return cls(
            case_id=grade.case_id,
            dimension=grade.dimension,
            text=excerpt(section.text, max_chars),
            expert_score=grade.score,
            rationale=grade.rationale,
            judge_score=judgment.score if judged else None,
            judge_rationale=judgment.rationale if judged else "",
            facts=dict(section.facts),
            finding=finding,
        )

    def to_metadata(self) -> dict[str, str | int]:
        """The Chroma metadata of this example (no None values; facts as JSON)."""
        return {
            "case_id": self.case_id,
            "dimension": self.dimension,
            "expert_score": self.expert_score,
            "rationale": self.rationale,
            "judge_score": _NO_SCORE if self.judge_score is None else self.judge_score,
            "judge_rationale": self.judge_rationale,
            "facts": json.dumps(dict(self.facts), sort_keys=True),
            "finding": self.finding,
        }

    @classmethod
    def from_metadata(cls, text: str, metadata: Mapping[str, Any], where: str) -> Example:
        """The inverse of :meth:`to_metadata`; ``where`` names the entry in errors."""
        try:
            facts = json.loads(metadata.get("facts") or "{}")
            judge_score = metadata.get("judge_score", _NO_SCORE)
            return cls(
                case_id=metadata["case_id"],
                dimension=metadata["dimension"],
                text=text or "",
                expert_score=metadata["expert_score"],
                rationale=metadata.get("rationale", ""),
                judge_score=None if judge_score == _NO_SCORE else judge_score,
                judge_rationale=metadata.get("judge_rationale", ""),
                facts=facts,
                finding=metadata.get("finding", ""),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise MemoryDataError(where, f"unreadable entry: {exc}") from None


@dataclass(frozen=True)
class Neighbour:
    """A retrieved example and how similar it is to the query.

    Attributes
    ----------
    example : Example
        The stored example.
    similarity : float
        Cosine similarity of the query and the example's text, at most 1.
    """

    example: Example
    similarity: float


def example_id(dimension: str, case_id: str) -> str:
    """The memory id of the example of ``case_id`` for ``dimension``."""
    return f"{dimension}::{case_id}"
