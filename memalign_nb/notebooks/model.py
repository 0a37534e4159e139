"""Records for a loaded notebook: :class:`Notebook` and its :class:`Cell` objects.

A loaded notebook is data, never code: nothing here executes it. Outputs are kept only as
short text summaries (see :mod:`memalign_nb.notebooks.outputs`), so a notebook full of
plots never reaches a prompt whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Cell:
    """One cell of a notebook.

    Attributes
    ----------
    index : int
        Position in the notebook, from 0.
    cell_type : str
        ``"code"``, ``"markdown"`` or ``"raw"``.
    source : str
        The cell's text, joined into one string.
    cell_id : str or None
        The nbformat 4.5 cell id, when the file has one.
    execution_count : int or None
        The execution counter recorded for a code cell, if it ran.
    output_text : str
        A trimmed text summary of the cell's outputs; binary data (images, HTML
        widgets) appear as short placeholders such as ``[image/png output]``.
    output_bytes : int
        Size in bytes of the outputs as stored in the file, before summarising.
    """

    index: int
    cell_type: str
    source: str
    cell_id: str | None = None
    execution_count: int | None = None
    output_text: str = ""
    output_bytes: int = 0

    @property
    def is_code(self) -> bool:
        """Whether this is a code cell."""
        return self.cell_type == "code"

    @property
    def is_markdown(self) -> bool:
        """Whether this is a markdown cell."""
        return self.cell_type == "markdown"


@dataclass(frozen=True)
class Notebook:
    """A notebook as memalign-nb judges it.

    Attributes
    ----------
    path : str
        Where it was read from (``"<string>"`` when read from text).
    cells : tuple of Cell
        Every cell, in notebook order.
    nbformat : int
        The major nbformat version of the file as read (3 is upgraded to 4 on load).
    language : str
        The kernel language from the metadata, ``"python"`` when unstated.
    """

    path: str
    cells: tuple[Cell, ...]
    nbformat: int = 4
    language: str = "python"
    metadata: dict = field(default_factory=dict, compare=False, hash=False)
    """The notebook-level metadata as stored (kernelspec, language_info, ...)."""
    schema_problems: tuple[str, ...] = field(default=(), compare=False)
    """Where the file departs from the nbformat schema without stopping judging
    (``cell 3: Additional properties are not allowed ('execution_count' was unexpected)``);
    at most :data:`memalign_nb.notebooks.reader.MAX_PROBLEMS`."""

    @property
    def code_cells(self) -> tuple[Cell, ...]:
        """The code cells, in order."""
        return tuple(c for c in self.cells if c.is_code)

    @property
    def markdown_cells(self) -> tuple[Cell, ...]:
        """The markdown cells, in order."""
        return tuple(c for c in self.cells if c.is_markdown)
