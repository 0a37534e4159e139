"""Datasets: folders of notebooks with prompts and human grades, and the bundled sample.

>>> from memalign_nb.datasets import load_dataset, validate_dataset
>>> for problem in validate_dataset("my-dataset"):   # doctest: +SKIP
...     print(problem)                               # notebooks/x.ipynb: not valid JSON ...
>>> dataset = load_dataset("my-dataset")             # doctest: +SKIP

``generate_dataset`` comes from the generator subpackage
(:mod:`memalign_nb.datasets.generator`), imported on first use.
"""

from __future__ import annotations

from memalign_nb.datasets.loader import TASK_TYPES, load_dataset, sample_path, validate_dataset
from memalign_nb.datasets.model import Case, Dataset
from memalign_nb.errors import DatasetError, Problem
from memalign_nb.lazy import lazy_getattr

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

__getattr__ = lazy_getattr(__name__, {"generate_dataset": "memalign_nb.datasets.generator"})
