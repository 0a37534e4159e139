"""memalign-nb: align LLM judges of ML notebooks with human experts.

The public API is imported lazily, so ``import memalign_nb`` is fast and works without the
heavy optional dependencies.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    # name -> module that defines it
    "DIMENSIONS": "memalign_nb.dimensions",
    "MemAlignError": "memalign_nb.errors",
    "MemAlignWarning": "memalign_nb.errors",
    "NotebookError": "memalign_nb.errors",
    "UnknownNameError": "memalign_nb.errors",
    "InvalidScoreError": "memalign_nb.errors",
    "Notebook": "memalign_nb.notebooks.model",
    "Cell": "memalign_nb.notebooks.model",
    "Section": "memalign_nb.sections.model",
    "Rubric": "memalign_nb.rubrics.model",
    "Grade": "memalign_nb.feedback.model",
    "Case": "memalign_nb.datasets.model",
    "Dataset": "memalign_nb.datasets.model",
    "Judge": "memalign_nb.judges.base",
    "Judgment": "memalign_nb.judges.base",
}

__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'memalign_nb' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
