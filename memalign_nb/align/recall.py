"""What the memories bring to one (case, dimension): :class:`Recall` and :func:`recall`."""

from __future__ import annotations

from dataclasses import dataclass

from memalign_nb.align.sectioning import SectionReader
from memalign_nb.align.state import AlignmentState
from memalign_nb.datasets.model import Case
from memalign_nb.memory.examples import Neighbour
from memalign_nb.memory.guidelines import Guideline
from memalign_nb.memory.profile import Profile
from memalign_nb.sections.model import Section


@dataclass(frozen=True)
class Recall:
    """What the memories bring to one (case, dimension).

    Attributes
    ----------
    case_id : str
        The case being scored.
    dimension : str
        The dimension being scored.
    section : Section
        The case's section for the dimension.
    profile : Profile
        What retrieval searched by: the section's code, facts and static finding.
    guidelines : tuple of Guideline
        The dimension's guidelines, best supported first.
    neighbours : tuple of Neighbour
        The most similar graded examples of the dimension, never of the case itself.
    """

    case_id: str
    dimension: str
    section: Section
    profile: Profile
    guidelines: tuple[Guideline, ...]
    neighbours: tuple[Neighbour, ...]


def recall(state: AlignmentState, reader: SectionReader, case: Case, dimension: str, *,
           k: int, neighbours: bool = True) -> Recall:
    """The guidelines and the ``k`` nearest graded neighbours ``state`` holds for ``case``.

    With ``neighbours=False`` episodic memory is not searched. A case is never its own
    neighbour.
    """
    section = reader.section(case, dimension)
    profile = reader.profile(case, dimension)
    found: list[Neighbour] = []
    if state.episodic is not None and neighbours:
        found = state.episodic.search(dimension, profile, k=k, exclude_case_id=case.case_id)
    return Recall(case.case_id, dimension, section, profile,
                  tuple(state.guidelines.for_dimension(dimension)), tuple(found))
