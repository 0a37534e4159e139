"""Tests for memalign_nb.sections.deprecations: the table and its matching."""

from __future__ import annotations

from memalign_nb.sections.deprecations import (
    DEPRECATED_APIS,
    match_keyword,
    match_module,
)


def test_table_entries_are_well_formed():
    kinds = {"module", "name", "attribute", "frame_method", "keyword"}
    for entry in DEPRECATED_APIS:
        assert entry.kind in kinds and entry.status in ("removed", "deprecated"), entry
        assert entry.version and entry.replacement and entry.match, entry
    assert len({(e.kind, e.match, e.callee, e.value) for e in DEPRECATED_APIS}) == len(
        DEPRECATED_APIS)


def test_modules_match_themselves_and_what_is_under_them():
    assert match_module("sklearn.cross_validation").api == "sklearn.cross_validation"
    assert match_module("sklearn.cross_validation.KFold").api == "sklearn.cross_validation"
    imputer = match_module("sklearn.preprocessing.Imputer")
    assert imputer.version == "scikit-learn 0.22" and "SimpleImputer" in imputer.replacement
    assert match_module("sklearn.impute.SimpleImputer") is None
    assert match_module("sklearn.preprocessing") is None


def test_keywords_match_their_callee_and_value():
    assert match_keyword("OneHotEncoder", "sparse", False).replacement == "sparse_output="
    assert match_keyword("TfidfVectorizer", "sparse", False) is None
    assert match_keyword("RandomForestRegressor", "criterion", "mse").api == "criterion='mse'"
    assert match_keyword("RandomForestRegressor", "criterion", "squared_error") is None
    assert match_keyword("LinearRegression", "normalize", True) is not None
    assert match_keyword("value_counts", "normalize", True) is None
