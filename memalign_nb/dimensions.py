"""The nine built-in evaluation dimensions and the score scale."""

from __future__ import annotations

from collections.abc import Iterable

from memalign_nb.errors import InvalidScoreError, UnknownNameError

DIMENSIONS: tuple[str, ...] = (
    "library_installation",
    "exploratory_data_analysis",
    "data_imputation",
    "feature_engineering",
    "model_training",
    "model_use",
    "metrics_evaluation",
    "mlflow_logging",
    "cell_organization",
)
"""Built-in dimension ids, in their fixed reporting order."""

NOT_APPLICABLE = 0
"""Score meaning the dimension does not apply to the notebook."""

SCORES: tuple[int, ...] = (0, 1, 2, 3)
"""Every valid score: 1 (bad) to 3 (good), 0 = not applicable."""


def check_dimension(name: str, known: Iterable[str] = DIMENSIONS) -> str:
    """Return ``name`` if it is a known dimension id, else raise :class:`UnknownNameError`."""
    known = tuple(known)
    if name not in known:
        raise UnknownNameError("dimension", name, known)
    return name


def check_score(value: object, where: str = "") -> int:
    """Return ``value`` as an int score 0-3, else raise :class:`InvalidScoreError`.

    Integral floats (``2.0``) are accepted; text (``"2"``) and ``True`` are not: a score
    in quotes in a grades file or a model's reply is a mistake to fix, not to guess at.
    Sources whose values are text by nature convert them first with
    :func:`score_from_text`.
    """
    if isinstance(value, bool | str):
        raise InvalidScoreError(value, where)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or value not in SCORES:
        raise InvalidScoreError(value, where)
    return value


def score_from_text(value: object) -> object:
    """A score written as text (``"2"``, ``" 3 "``, ``"2.0"``) as a number; else unchanged.

    For sources that only hold text: CSV cells, labels of MLflow's review app. The result
    still goes through :func:`check_score`.
    """
    if not isinstance(value, str):
        return value
    try:
        number = float(value.strip())
    except ValueError:
        return value
    return int(number) if number.is_integer() else number
