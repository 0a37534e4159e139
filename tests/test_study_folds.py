"""Tests of memalign_nb.study.folds: K-fold by case, seeded, stratified when possible."""

from __future__ import annotations

import logging
from collections import Counter

import pytest

from memalign_nb.errors import MemAlignError
from memalign_nb.study.folds import case_folds

IDS = [f"case-{i:02d}" for i in range(22)]


def test_every_case_is_held_out_exactly_once_and_never_trained_on_then():
    folds = case_folds(IDS, 4, seed=0)
    assert len(folds) == 4
    held_out = [case for _, test in folds for case in test]
    assert sorted(held_out) == sorted(IDS)
    for train, test in folds:
        assert not set(train) & set(test)
        assert set(train) | set(test) == set(IDS)
    assert sorted(len(test) for _, test in folds) == [5, 5, 6, 6]


def test_folds_are_seeded():
    assert case_folds(IDS, 4, seed=1) == case_folds(IDS, 4, seed=1)
    assert case_folds(IDS, 4, seed=1) != case_folds(IDS, 4, seed=2)


def test_strata_are_spread_evenly_when_every_stratum_fills_the_folds():
    strata = ["forecasting"] * 4 + ["regression"] * 8 + ["classification"] * 10
    folds = case_folds(IDS, 4, strata=strata, seed=0)
    label = dict(zip(IDS, strata, strict=True))
    for _, test in folds:
        assert Counter(label[c] for c in test)["forecasting"] == 1
        assert Counter(label[c] for c in test)["regression"] == 2


def test_small_strata_fall_back_to_plain_kfold_and_say_so(caplog):
    strata = ["forecasting"] * 2 + ["classification"] * 20
    with caplog.at_level(logging.INFO, logger="memalign_nb.study.folds"):
        folds = case_folds(IDS, 4, strata=strata, seed=0)
    assert "using KFold" in caplog.text
    assert sorted(c for _, test in folds for c in test) == sorted(IDS)


@pytest.mark.parametrize(("n_cases", "n_folds"), [(3, 4), (10, 1)])
def test_impossible_folds_raise_a_clear_error(n_cases, n_folds):
    with pytest.raises(MemAlignError, match=f"cannot make {n_folds} folds from {n_cases} cases"):
        case_folds(IDS[:n_cases], n_folds)
