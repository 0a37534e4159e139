"""The experts' grades of a generated case: the first rater's follow from its practices; a
further rater departs from them at a realistic, dimension-dependent rate, in their own
words, on their own days.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from memalign_nb.datasets.generator import practices as catalogue
from memalign_nb.datasets.generator.case_spec import NOT_APPLICABLE, CaseSpec
from memalign_nb.datasets.generator.draws import BLOCK, deck, stream
from memalign_nb.dimensions import DIMENSIONS

_DISAGREEMENT = {
    "library_installation": 0.05,
    "exploratory_data_analysis": 0.30,
    "data_imputation": 0.10,
    "feature_engineering": 0.15,
    "model_training": 0.10,
    "model_use": 0.10,
    "metrics_evaluation": 0.10,
    "mlflow_logging": 0.05,
    "cell_organization": 0.24,
}
"""How often a further rater departs from the first one, per applicable item."""

_START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def _disagrees(seed: int, dimension: str, index: int, rater: int) -> bool:
    block, pos = divmod(index, BLOCK)
    n = round(_DISAGREEMENT[dimension] * BLOCK)
    flags = (True,) * n + (False,) * (BLOCK - n)
    return deck(seed, block, f"disagree:{dimension}:{rater}", flags)[pos]


def _rationale(spec: CaseSpec, dimension: str, rater: int, score: int, facts: dict) -> str:
    practice_name = spec.practices[dimension]
    if practice_name == NOT_APPLICABLE:
        if dimension == "data_imputation":
            return ("The data have no missing values, so imputation does not apply."
                    if rater == 0 else "Complete data; nothing to impute.")
        return ("The prompt asks only for an analysis, so no predictions on new data are "
                "expected." if rater == 0 else "No inference requested; not applicable.")
    practice = catalogue.get(dimension, practice_name)
    if score != practice.score:
        text = catalogue.second_opinion(practice, score)
    else:
        text = practice.rationale_a if rater == 0 else practice.rationale_b
    return text.format_map(facts)


def _second_score(seed: int, spec: CaseSpec, dimension: str, rater: int) -> int:
    score = spec.scores[dimension]
    if score == 0 or not _disagrees(seed, dimension, spec.index, rater):
        return score
    rng = stream(seed, "rater", rater, spec.index, dimension)
    if score == 2:
        return rng.choice((1, 3))
    far = rng.random() < 0.1
    return (3 if far else 2) if score == 1 else (1 if far else 2)


def _timestamps(seed: int, index: int, rater: int) -> list[str]:
    """When ``rater`` saved each dimension's grade of case ``index``: 25 cases a day,
    about 14 minutes apart, the nine grades of a case seconds apart."""
    rng = stream(seed, "time", rater, index)
    day, slot = divmod(index, 25)
    start = _START + timedelta(days=day + 3 * rater, minutes=slot * 14 + rng.randint(0, 6),
                               seconds=rng.randint(0, 59))
    return [(start + timedelta(seconds=pos * 25 + rng.randint(0, 20))).strftime(
        "%Y-%m-%dT%H:%M:%SZ") for pos in range(len(DIMENSIONS))]


def grade_rows(seed: int, spec: CaseSpec, facts: dict, raters: Sequence[str]) -> list[dict]:
    """Feedback rows (one per dimension and rater) for a built case."""
    rows = []
    times = [_timestamps(seed, spec.index, r) for r in range(len(raters))]
    for pos, dimension in enumerate(DIMENSIONS):
        for r, rater in enumerate(raters):
            score = spec.scores[dimension] if r == 0 else _second_score(seed, spec, dimension, r)
            rows.append({
                "case_id": spec.case_id,
                "dimension": dimension,
                "score": score,
                "rationale": _rationale(spec, dimension, r, score, facts),
                "rater": rater,
                "created_at": times[r][pos],
            })
    return rows
