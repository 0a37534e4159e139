"""The tasks the sample generator writes notebooks for, in the order cases draw them."""

from __future__ import annotations

from memalign_nb.datasets.generator.classification_tasks import CHURN, FRAUD, LOANS, TITANIC
from memalign_nb.datasets.generator.regression_tasks import BIKES, HOUSES, STORE_SALES
from memalign_nb.datasets.generator.task_spec import TaskSpec

TASKS: tuple[TaskSpec, ...] = (TITANIC, CHURN, HOUSES, STORE_SALES, FRAUD, BIKES, LOANS)
"""Every task the generator writes notebooks for, in a fixed order (it decides the draws)."""
