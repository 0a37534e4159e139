"""Sections as an aligned judge reads them: cut once per notebook, with their profiles.

:class:`SectionReader` cuts a notebook's sections of every aligned dimension in one pass
(as the base judge would cut them: its rubrics and token budget) and keeps the last
:data:`SECTION_CACHE_SIZE` notebooks. It gives learning the sections and static findings
its examples are made of, and retrieval the :class:`~memalign_nb.memory.profile.Profile`
a case is searched by.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

from memalign_nb.datasets.model import Case
from memalign_nb.judges.base import Judge
from memalign_nb.memory.examples import excerpt
from memalign_nb.memory.profile import Profile
from memalign_nb.sections.model import Section

SECTION_CACHE_SIZE = 64
"""Notebooks whose sections a reader keeps (all aligned dimensions at once)."""


class SectionReader:
    """The sections, findings and profiles of cases for a set of aligned dimensions.

    Parameters
    ----------
    base_judge : Judge
        Its ``rubrics`` and ``token_budget`` (when it has them) shape the sections.
    dimensions : sequence of str
        The aligned dimensions, cut together.
    """

    def __init__(self, base_judge: Judge, dimensions: Sequence[str]) -> None:
        self.base_judge = base_judge
        self.dimensions = tuple(dimensions)
        self._lock = threading.Lock()
        self._sections: OrderedDict[int, tuple[Any, dict[str, Section]]] = OrderedDict()

    def section(self, case: Case, dimension: str) -> Section:
        """The section of ``case`` for an aligned ``dimension``, as the base judge cuts it."""
        from memalign_nb.sections import build_sections

        key = id(case.notebook)
        with self._lock:
            hit = self._sections.get(key)
            if hit is not None and hit[0] is case.notebook:
                self._sections.move_to_end(key)
                return hit[1][dimension]
        sections = build_sections(case.notebook, self.dimensions, **self._options())
        with self._lock:
            self._sections[key] = (case.notebook, sections)
            while len(self._sections) > SECTION_CACHE_SIZE:
                self._sections.popitem(last=False)
        return sections[dimension]

    def finding(self, case: Case, dimension: str) -> str:
        """The static finding of ``case`` for ``dimension``
        (:func:`~memalign_nb.judges.heuristic.static_finding`)."""
        from memalign_nb.judges.heuristic import static_finding

        return static_finding(case, dimension)

    def profile(self, case: Case, dimension: str) -> Profile:
        """What episodic memory searches by: the section excerpted as examples store it,
        its facts and its finding."""
        section = self.section(case, dimension)
        return Profile.of_section(section, self.finding(case, dimension),
                                  text=excerpt(section.text))

    def _options(self) -> dict[str, Any]:
        options: dict[str, Any] = {}
        rubrics = getattr(self.base_judge, "rubrics", None)
        if isinstance(rubrics, Mapping):
            options["rubrics"] = rubrics
        budget = getattr(self.base_judge, "token_budget", None)
        if isinstance(budget, int) and not isinstance(budget, bool):
            options["token_budget"] = budget
        return options
