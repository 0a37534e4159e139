"""The :class:`Rubric` record: what one dimension grades and what earns each score."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rubric:
    """The grading criteria of one dimension.

    Attributes
    ----------
    dimension : str
        The dimension id (``data_imputation``; custom ids are allowed).
    title : str
        Short human name ("Data imputation").
    description : str
        What the dimension grades, in a paragraph.
    levels : tuple of (int, str)
        ``(3, criteria), (2, criteria), (1, criteria)``: what earns each score.
    not_applicable : str
        When the dimension scores 0 (not applicable); empty when it always applies.
    cells_from : tuple of str
        For custom dimensions: the built-in dimensions whose cells make up the section,
        or ``("*",)`` for every cell. Empty for built-in dimensions (they section
        themselves).
    """

    dimension: str
    title: str
    description: str
    levels: tuple[tuple[int, str], ...]
    not_applicable: str = ""
    cells_from: tuple[str, ...] = ()

    def criteria(self, score: int) -> str:
        """The criteria text for ``score`` (empty for an unknown level)."""
        return dict(self.levels).get(score, "")

    def render(self) -> str:
        """The rubric as plain text for a prompt or a grader."""
        lines = [f"{self.title} ({self.dimension})", self.description.strip(), ""]
        lines += [f"{score} = {text.strip()}" for score, text in self.levels]
        if self.not_applicable:
            lines.append(f"0 = not applicable: {self.not_applicable.strip()}")
        return "\n".join(lines)
