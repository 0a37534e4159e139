"""Static analysis of notebooks: which cells bear on which dimension, facts, sections.

Nothing here runs a notebook: cells are parsed with :mod:`ast` and read as data.
"""

from memalign_nb.sections.classify import classify_cell
from memalign_nb.sections.facts import NotebookFacts, extract_facts
from memalign_nb.sections.model import Section
from memalign_nb.sections.sectioner import DEFAULT_TOKEN_BUDGET, build_section, build_sections
from memalign_nb.sections.tokens import count_tokens

__all__ = [
    "DEFAULT_TOKEN_BUDGET",
    "NotebookFacts",
    "Section",
    "build_section",
    "build_sections",
    "classify_cell",
    "count_tokens",
    "extract_facts",
]
