"""Read ``.ipynb`` notebooks as data: nbformat reading, upgrading, validation, output summaries.

Nothing in a notebook is executed. Start with :func:`read_notebook` for one file or
:func:`read_notebooks` for a folder; both return :class:`Notebook` records.
"""

from memalign_nb.notebooks.folder import LoadReport, read_notebooks
from memalign_nb.notebooks.model import Cell, Notebook
from memalign_nb.notebooks.outputs import summarise_outputs
from memalign_nb.notebooks.reader import read_notebook, reads_notebook

__all__ = [
    "Cell",
    "LoadReport",
    "Notebook",
    "read_notebook",
    "read_notebooks",
    "reads_notebook",
    "summarise_outputs",
]
