"""Rubrics: what each dimension grades, as YAML data files, and their loader.

>>> from memalign_nb.rubrics import load_rubrics
>>> rubrics = load_rubrics()                       # the nine built-in dimensions
>>> print(rubrics["data_imputation"].render())     # doctest: +SKIP
"""

from memalign_nb.rubrics.loader import builtin_rubric_dir, load_rubric, load_rubrics, parse_rubric
from memalign_nb.rubrics.model import Rubric

__all__ = ["Rubric", "builtin_rubric_dir", "load_rubric", "load_rubrics", "parse_rubric"]
