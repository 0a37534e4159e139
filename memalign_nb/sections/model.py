"""The :class:`Section` record: the part of a notebook one dimension is judged on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Section:
    """The cells (and context) of one notebook that bear on one dimension.

    Attributes
    ----------
    dimension : str
        The dimension id this section is for.
    notebook_path : str
        The notebook it was cut from.
    cell_indices : tuple of int
        Indices of the notebook cells shown, in notebook order (context cells included).
    text : str
        The section rendered for a judge: each cell headed by its index and type.
    tokens : int
        Token count of ``text`` (see :func:`memalign_nb.sections.tokens.count_tokens`).
    facts : Mapping[str, object]
        Static facts relevant to this dimension: flat, JSON-serialisable values (bool, int,
        str, or lists of them), documented in :mod:`memalign_nb.sections.facts`.
    trimmed : tuple of str
        What the token budget cut, in words; empty when nothing was cut.
    """

    dimension: str
    notebook_path: str
    cell_indices: tuple[int, ...]
    text: str
    tokens: int
    facts: Mapping[str, object] = field(default_factory=dict, hash=False)
    trimmed: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        """Whether no cell of the notebook bears on this dimension."""
        return not self.cell_indices
