"""Tests for memalign_nb.dimensions: dimension ids and the score scale."""

from __future__ import annotations

import pytest

from memalign_nb.dimensions import check_dimension, check_score, score_from_text
from memalign_nb.errors import InvalidScoreError, UnknownNameError


def test_a_misspelt_dimension_gets_a_suggestion():
    with pytest.raises(UnknownNameError) as info:
        check_dimension("data_imputaton")
    assert str(info.value).startswith(
        "unknown dimension 'data_imputaton' (did you mean data_imputation?); known: ")
    assert info.value.suggestion == "data_imputation"


def test_a_name_like_none_gets_no_suggestion():
    with pytest.raises(UnknownNameError) as info:
        check_dimension("fairness")
    assert info.value.suggestion is None and "did you mean" not in str(info.value)


@pytest.mark.parametrize("value", ["3", " 2 ", True, 2.5, 4, -1, None])
def test_text_booleans_and_out_of_range_values_are_not_scores(value):
    with pytest.raises(InvalidScoreError):
        check_score(value)


def test_integral_floats_are_scores_and_text_converts_only_when_asked():
    assert check_score(2.0) == 2 and isinstance(check_score(2.0), int)
    assert [score_from_text(v) for v in ("3", " 2 ", "2.0", "high", 1)] == [3, 2, 2, "high", 1]
