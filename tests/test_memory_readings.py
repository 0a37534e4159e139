"""Tests of memalign_nb.memory.readings: the statements a section's facts support."""

from __future__ import annotations

import pytest

from memalign_nb.errors import MemoryDataError
from memalign_nb.memory.readings import Reading, readable, readings, thresholds


def test_facts_are_read_by_type_and_odd_values_give_nothing():
    facts = {"split_found": True, "strategy": "median", "n_plots": 0, "ratio": 0.25,
             "methods": ["dropna", "fillna", 3], "empty": [], "unknown": None,
             "nested": {"a": 1}, "nan": float("nan")}
    assert [r.token() for r in readings(facts)] == [
        "split_found equals True", "strategy equals 'median'", "n_plots positive False",
        "ratio positive True", "methods nonempty True", "methods contains 'dropna'",
        "methods contains 'fillna'", "empty nonempty False"]


@pytest.mark.parametrize(("reading", "value", "holds"), [
    (Reading("f", "equals", True), True, True),
    (Reading("f", "equals", True), 1, False),  # a count is not a flag
    (Reading("f", "equals", 2), 2, True),
    (Reading("f", "equals", 2), True, False),
    (Reading("f", "positive", True), 3, True),
    (Reading("f", "positive", False), 0.0, True),
    (Reading("f", "positive", True), "3", False),
    (Reading("f", "nonempty", False), [], True),
    (Reading("f", "nonempty", True), "text", False),
    (Reading("f", "contains", "dropna"), ["dropna"], True),
    (Reading("f", "contains", "dropna"), "dropna", False),
    (Reading("f", "at_most", 2.0), 2, True),
    (Reading("f", "at_most", 2.0), 3, False),
    (Reading("f", "above", 2.0), 3, True),
    (Reading("f", "above", 2.0), True, False),
    (Reading("f", "above", 2.0), float("inf"), False),
])
def test_holds(reading, value, holds):
    assert reading.holds({"f": value}) is holds
    assert reading.holds({"other": value}) is False


def test_thresholds_are_quantiles_of_counts_with_enough_distinct_values():
    rows = [{"calls": n, "flag": True, "few": n % 2, "share": n / 10}
            for n in (0, 1, 2, 5, 8, 13)]
    found = thresholds(rows)
    assert {r.fact for r in found} == {"calls", "share"}
    calls = sorted({r.value for r in found if r.fact == "calls"})
    assert calls == [1, 3, 7] and all(type(v) is int for v in calls)  # counts: whole cuts
    assert sorted({r.value for r in found if r.fact == "share"}) == [0.125, 0.35, 0.725]
    assert {r.test for r in found} == {"at_most", "above"}


def test_words_and_round_trip():
    assert Reading("imputer_fit_before_split", "equals", False).words() == (
        "imputer fit before split is false")
    assert Reading("judge_score", "equals", 0).words() == "the unaligned judge scores 0"
    assert Reading("finding", "equals", "x.y").words() == "the static reading is x.y"
    assert Reading("eda_calls", "above", 2.0).words() == "eda calls is above 2"
    reading = Reading("methods", "contains", "dropna")
    assert Reading.from_dict(reading.to_dict()) == reading
    assert readable("imputerFitBefore_split") == "imputer fit before split"
    with pytest.raises(MemoryDataError, match="test must be one of"):
        Reading("f", "like", 1)
    with pytest.raises(MemoryDataError, match="not a reading"):
        Reading.from_dict({"fact": "f"})
