"""The seeded sample generator: believable ML notebooks with expert grades.

:func:`generate_dataset` writes a dataset folder (see :mod:`memalign_nb.datasets`). Each
notebook solves one of several familiar problems (survival, churn, house prices, store
sales, card fraud, bike demand, loan default) and shows, per dimension and independently, a
good, passable or faulty practice, including the subtle faults lenient judges miss (leaky
imputation, tuning on the test set, random splits of a time series, accuracy on a rare
class ...). The grades follow from the practices; a second expert disagrees at a realistic
rate and in their own words.

Notebooks are built with nbformat and validated, never executed. Output is byte-identical
for a seed, and case ``i`` is the same whatever ``n_cases`` is, so a small dataset is a
prefix of a larger one. :func:`describe_case` returns the answer key of one case
(:class:`CaseSpec`: its task, style and practices) in memory; it is never written next to
the notebooks.

The modules, in the order a case is made:

- ``tasks`` (``classification_tasks``, ``regression_tasks``, records of ``task_spec``): the
  problems; ``practices``: the good and faulty practices per dimension;
- ``draws``: seeded random streams and decks; ``answer_key``: :func:`describe_case`;
- ``context``, ``narrative``, ``data_steps``, ``model_steps``, ``use_steps``, ``outputs``,
  ``assemble``, ``build``: the notebook's cells and saved outputs;
- ``grades``: the raters' grades; ``readme``: the dataset's README; ``write``:
  :func:`generate_dataset`.
"""

from __future__ import annotations

from memalign_nb.datasets.generator.answer_key import describe_case
from memalign_nb.datasets.generator.case_spec import NOT_APPLICABLE, CaseSpec
from memalign_nb.datasets.generator.write import generate_dataset

__all__ = ["NOT_APPLICABLE", "CaseSpec", "describe_case", "generate_dataset"]
