"""The error hierarchy: one root, located problems shown as ``where: problem``."""

from __future__ import annotations

import pytest

from memalign_nb import errors


@pytest.mark.parametrize(
    "error_class, alias",
    [
        (errors.NotebookError, "path"),
        (errors.RubricError, "path"),
        (errors.FeedbackStoreError, "path"),
        (errors.JudgeDirError, "path"),
        (errors.InvalidGradeError, "field"),
        (errors.IntegrationError, "target"),
        (errors.MemoryDataError, "where"),
    ],
)
def test_located_errors_name_where_and_what(error_class, alias):
    error = error_class("out/x.json", "unreadable")
    assert isinstance(error, errors.ProblemError) and isinstance(error, errors.MemAlignError)
    assert str(error) == "out/x.json: unreadable"
    assert getattr(error, alias) == error.where == "out/x.json"
    assert error.problem == "unreadable"


def test_value_errors_stay_value_errors():
    for error_class in (errors.InvalidGradeError, errors.MemoryDataError):
        with pytest.raises(ValueError):
            raise error_class("x", "bad")


def test_missing_dependency_names_the_extra():
    error = errors.MissingDependencyError("voila", "widgets")
    assert isinstance(error, ImportError)
    assert "pip install 'memalign-nb[widgets]'" in str(error)
