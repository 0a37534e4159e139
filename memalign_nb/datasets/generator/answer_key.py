"""The answer key of a generated case: task, prompt, style, practices and true grades.

:func:`describe_case` draws them for case ``index`` of a seed; it is kept in memory and
never written next to the notebooks. Grades follow the mix of :data:`GRADE_MIX` per
dimension; each dimension's practice is then chosen among those that fit the task, the
style and the practices already chosen.
"""

from __future__ import annotations

from memalign_nb.datasets.generator import practices as catalogue
from memalign_nb.datasets.generator.case_spec import NOT_APPLICABLE, CaseSpec
from memalign_nb.datasets.generator.context import draw_style
from memalign_nb.datasets.generator.draws import BLOCK, deck, quota, stream
from memalign_nb.datasets.generator.tasks import TASKS
from memalign_nb.dimensions import DIMENSIONS

GRADE_MIX = {
    "library_installation": (0.25, 0.35, 0.40),
    "exploratory_data_analysis": (0.30, 0.40, 0.30),
    "data_imputation": (0.35, 0.35, 0.30),
    "feature_engineering": (0.25, 0.40, 0.35),
    "model_training": (0.40, 0.35, 0.25),
    "model_use": (0.35, 0.35, 0.30),
    "metrics_evaluation": (0.30, 0.35, 0.35),
    "mlflow_logging": (0.30, 0.35, 0.35),
    "cell_organization": (0.25, 0.35, 0.40),
}
"""Share of grades 1, 2 and 3 per dimension: plenty of 1s and 2s where judges are lenient."""

_CHOICE_ORDER = ("model_training", "feature_engineering", "data_imputation",
                 "mlflow_logging", "model_use", "metrics_evaluation",
                 "exploratory_data_analysis", "library_installation", "cell_organization")
_EXPLORE_PER_BLOCK = 5


def _grade_for(seed: int, dimension: str, index: int) -> int:
    block, pos = divmod(index, BLOCK)
    counts = quota(GRADE_MIX[dimension], BLOCK)
    grades = tuple(g for g, n in zip((1, 2, 3), counts, strict=True) for _ in range(n))
    return deck(seed, block, f"grade:{dimension}", grades)[pos]


def describe_case(seed: int, index: int) -> CaseSpec:
    """The answer key of case ``index`` of any dataset generated with ``seed``.

    Parameters
    ----------
    seed : int
        The generator seed.
    index : int
        The case's position, from 0.

    Returns
    -------
    CaseSpec
        Task, prompt, style, practices and true grades of the case.
    """
    if index < 0:
        raise ValueError(f"case index must be >= 0, got {index}")
    block, pos = divmod(index, BLOCK)
    task_order = tuple(range(len(TASKS))) * (BLOCK // len(TASKS))
    task = TASKS[deck(seed, block, "task", task_order)[pos]]
    explore = (True,) * _EXPLORE_PER_BLOCK + (False,) * (BLOCK - _EXPLORE_PER_BLOCK)
    predicts = not deck(seed, block, "explore", explore)[pos]
    rng = stream(seed, "case", index)
    prompt = rng.choice(task.prompts_predict if predicts else task.prompts_explore)
    style = draw_style(rng, task)
    chosen: dict[str, str] = {}
    scores: dict[str, int] = {}
    for dimension in _CHOICE_ORDER:
        if (dimension == "data_imputation" and not task.has_missing) or (
                dimension == "model_use" and not predicts):
            chosen[dimension], scores[dimension] = NOT_APPLICABLE, 0
            continue
        wanted = _grade_for(seed, dimension, index)
        options = [p for p in catalogue.by_dimension(dimension)
                   if p.when(task, style, predicts, chosen)]
        for grade in sorted((1, 2, 3), key=lambda g: (abs(g - wanted), -g)):
            fitting = [p for p in options if p.score == grade]
            if fitting:
                practice = rng.choice(fitting)
                break
        chosen[dimension], scores[dimension] = practice.name, practice.score
    return CaseSpec(
        index=index,
        case_id=f"{index:04d}-{task.key.replace('_', '-')}",
        task=task,
        prompt=prompt,
        predicts=predicts,
        style=style,
        practices={d: chosen[d] for d in DIMENSIONS},
        scores={d: scores[d] for d in DIMENSIONS},
    )
