"""Datasets: folders of notebooks with prompts and human grades, and the bundled sample.

>>> from memalign_nb.datasets import load_dataset, validate_dataset
>>> for problem in validate_dataset("my-dataset"):   # doctest: +SKIP
...     print(problem)                               # notebooks/x.ipynb: not valid JSON ...
>>> dataset = load_dataset("my-dataset")             # doctest: +SKIP

``generate_dataset`` and ``sample_path`` come from :mod:`memalign_nb.datasets.generator`,
imported on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from memalign_nb.datasets.loader import TASK_TYPES, load_dataset, validate_dataset
from memalign_nb.datasets.model import Case, Dataset
from memalign_nb.errors import DatasetError, Problem

_GENERATOR_NAMES = ("generate_dataset", "sample_path")

__all__ = [
    "TASK_TYPES",
    "Case",
    "Dataset",
    "DatasetError",
    "Problem",
    "generate_dataset",
    "load_dataset",
    "sample_path",
    "validate_dataset",
]


def __getattr__(name: str) -> Any:
    if name in _GENERATOR_NAMES:
        value = getattr(importlib.import_module("memalign_nb.datasets.generator"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
