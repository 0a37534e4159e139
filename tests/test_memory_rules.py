"""Tests of memalign_nb.memory.rules: learning and applying single-fact rules."""

from __future__ import annotations

import random

import pytest

from memalign_nb.errors import InvalidScoreError, MemoryDataError
from memalign_nb.memory.examples import Example
from memalign_nb.memory.guidelines import Guideline, GuidelineSet
from memalign_nb.memory.rules import apply_rules, learn_rules, readable

DIM = "data_imputation"


def items_with(fact: str, pairs: list[tuple[object, int, int | None]], dimension: str = DIM,
               prefix: str = "c"):
    """One item per (fact value, expert score, judge score)."""
    return [
        (f"{prefix}{i}", dimension, {fact: value}, expert, judge)
        for i, (value, expert, judge) in enumerate(pairs)
    ]


def by_fact(rules, fact, value=None):
    return [r for r in rules if r.condition["fact"] == fact
            and (value is None or r.condition["value"] == value)]


def test_a_perfect_predictor_is_learned_with_its_counts():
    items = items_with("imputer_fit_before_split", [(True, 1, 3)] * 6 + [(False, 3, 3)] * 2)
    rules = learn_rules(items)
    [leak] = by_fact(rules, "imputer_fit_before_split", True)
    assert leak.engine == "rules" and leak.dimension == DIM
    assert leak.condition == {
        "fact": "imputer_fit_before_split", "test": "equals", "value": True, "score": 1,
        "n": 6, "of": 6, "fixes": 6, "breaks": 0,
    }
    assert leak.support == 6 and leak.source_case_ids == tuple(f"c{i}" for i in range(6))
    assert leak.text == (
        "When imputer fit before split is true, experts score data imputation 1 "
        "(6 of 6 cases; the judge scored all 6 otherwise)."
    )
    assert by_fact(rules, "imputer_fit_before_split", False) == []  # only 2 cases


def test_noise_below_precision_or_support_is_not_learned():
    noisy = [(True, 1, None)] * 5 + [(True, 3, None)] * 3  # 5 of 8 = 0.62
    assert learn_rules(items_with("f", noisy)) == []
    assert len(learn_rules(items_with("f", noisy), min_precision=0.6)) == 1
    assert learn_rules(items_with("f", [(True, 2, None)] * 2)) == []
    assert len(learn_rules(items_with("f", [(True, 2, None)] * 2), min_support=2)) == 1


def test_rules_are_ranked_by_judge_errors_fixed():
    items = []
    for i in range(8):
        facts = {"a_fact": True, "b_fact": i < 4, "c_fact": "x"}
        judge = 3 if i < 4 else 1  # wrong on the first four only
        items.append((f"c{i}", DIM, facts, 1, judge))
    rules = learn_rules(items)
    ranked = [(r.condition["fact"], r.condition["value"], r.condition["fixes"]) for r in rules]
    assert set(ranked[:2]) == {("a_fact", True, 4), ("c_fact", "x", 4)}  # 4 fixes, 8 cases
    assert ranked[2:] == [("b_fact", True, 4), ("b_fact", False, 0)]  # 4 fixes, 4 cases


def test_a_rule_that_would_overturn_more_than_it_fixes_is_dropped():
    pairs = [(True, 1, 1)] * 6 + [(True, 2, 2)] * 2 + [(True, 1, 3)]  # 7 of 9 say 1
    rules = learn_rules(items_with("f", pairs))
    assert rules == []  # fixes 1, breaks 2
    pairs = [(True, 1, 3)] * 6 + [(True, 2, 2)] * 2
    [kept] = learn_rules(items_with("f", pairs))
    assert (kept.condition["fixes"], kept.condition["breaks"]) == (6, 2)


def test_fact_types_lists_numbers_strings_and_unusable_values():
    items = [
        (f"c{i}", DIM, {"imputed_columns": ["Age"], "n_missing": 3, "strategy": "median",
                        "unknown": None, "nested": {"a": 1}, "ratio": 0.0}, 3, None)
        for i in range(4)
    ]
    rules = learn_rules(items)
    tests = {(r.condition["fact"], r.condition["test"], r.condition["value"]) for r in rules}
    assert tests == {
        ("imputed_columns", "nonempty", True), ("imputed_columns", "contains", "Age"),
        ("n_missing", "positive", True), ("strategy", "equals", "median"),
        ("ratio", "positive", False),
    }
    texts = " ".join(r.text for r in rules)
    assert "imputed columns is non-empty" in texts and "n missing is above 0" in texts
    assert "strategy is 'median'" in texts and "ratio is 0 or less" in texts
    assert "imputed columns includes 'Age'" in texts


def test_list_members_predict_on_their_own():
    methods = [["dropna"], ["dropna", "fillna"], ["dropna"], ["SimpleImputer"],
               ["SimpleImputer", "fillna"], ["SimpleImputer"]]
    items = [(f"c{i}", DIM, {"imputation_methods": m, "split_cells": [3]}, 2 if i < 3 else 3,
              None) for i, m in enumerate(methods)]
    rules = learn_rules(items)
    found = {(r.condition["test"], r.condition["value"], r.condition["score"]) for r in rules}
    assert found == {("contains", "dropna", 2), ("contains", "SimpleImputer", 3)}
    facts = {"imputation_methods": ["fillna", "SimpleImputer"]}
    assert [score for _, score in apply_rules(rules, facts)] == [3]
    assert apply_rules(rules, {"imputation_methods": "SimpleImputer"}) == []


def test_not_applicable_scores_are_learned_too():
    [rule] = learn_rules(items_with("has_missing_values", [(False, 0, 2)] * 4))
    assert "score data imputation 0 (not applicable)" in rule.text


def test_dimensions_are_learned_separately_in_builtin_order():
    items = items_with("f", [(True, 1, None)] * 3, dimension="model_use", prefix="m")
    items += items_with("f", [(True, 3, None)] * 3, dimension="data_imputation")
    items += items_with("f", [(True, 2, None)] * 3, dimension="my_custom", prefix="x")
    rules = learn_rules(items)
    assert [(r.dimension, r.condition["score"]) for r in rules] == [
        ("data_imputation", 3), ("model_use", 1), ("my_custom", 2),
    ]


def test_learning_is_deterministic_and_duplicates_keep_the_last():
    items = []
    for i in range(30):
        facts = {"a": i % 2 == 0, "b": i % 3 == 0, "c": "x" if i < 20 else "y"}
        items.append((f"c{i}", DIM, facts, 1 if i % 2 == 0 else 3, 2))
    expected = learn_rules(items)
    shuffled = items[:]
    random.Random(0).shuffle(shuffled)
    assert learn_rules(shuffled) == expected
    relabelled = learn_rules([*items, ("c0", DIM, {"a": True}, 3, 2)])
    assert by_fact(relabelled, "a", True)[0].condition["n"] == 14


def test_examples_are_accepted_as_items():
    examples = [Example(f"c{i}", DIM, "text", 1, judge_score=3, facts={"leak": True})
                for i in range(3)]
    [rule] = learn_rules(examples)
    assert rule.condition["fixes"] == 3


def test_bad_items_raise_clear_errors():
    with pytest.raises(MemoryDataError, match="expected"):
        learn_rules([("c1", DIM, {})])
    with pytest.raises(MemoryDataError, match="facts must be a mapping"):
        learn_rules([("c1", DIM, ["a"], 1, None)])
    with pytest.raises(InvalidScoreError, match="c1"):
        learn_rules([("c1", DIM, {}, 7, None)])


def test_apply_rules_matches_facts_and_respects_types_and_dimension():
    items = items_with("leak", [(True, 1, 3)] * 4) + items_with(
        "n_plots", [(5, 3, 2)] * 3, prefix="p"
    ) + items_with("leak", [(True, 3, 2)] * 3, dimension="model_use", prefix="m")
    rules = learn_rules(items)
    matched = apply_rules(rules, {"leak": True, "n_plots": 2}, dimension=DIM)
    assert [(g.condition["fact"], score) for g, score in matched] == [("leak", 1), ("n_plots", 3)]
    assert apply_rules(rules, {"leak": 1, "n_plots": 0}, dimension=DIM) == []
    assert apply_rules(rules, {"unrelated": True}) == []
    assert {s for _, s in apply_rules(rules, {"leak": True})} == {1, 3}  # both dimensions


def test_apply_rules_after_a_json_roundtrip_and_ignores_llm_guidelines():
    rules = learn_rules(items_with("imputed_columns", [(["Age"], 1, 3)] * 3))
    saved = GuidelineSet(rules)
    saved.add([Guideline(DIM, "An LLM guideline.", ("z",))])
    loaded = list(GuidelineSet.from_json(saved.to_json()))
    matched = apply_rules(loaded, {"imputed_columns": ["Fare", "Age"]})
    assert sorted((g.condition["test"], score) for g, score in matched) == [
        ("contains", 1), ("nonempty", 1),
    ]
    assert apply_rules(loaded, {"imputed_columns": ["Fare"]})[0][0].condition["test"] == (
        "nonempty"
    )
    assert apply_rules(loaded, {"imputed_columns": []}) == []


def test_readable_names():
    assert readable("imputer_fit_before_split") == "imputer fit before split"
    assert readable("imputerFitBefore_split") == "imputer fit before split"
    assert readable("data_imputation") == "data imputation"
