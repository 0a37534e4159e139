"""Tests of memalign_nb.memory.rules: the decision list of corrections experts made."""

from __future__ import annotations

import random

import pytest

from memalign_nb.errors import InvalidScoreError, MemoryDataError
from memalign_nb.memory.examples import Example
from memalign_nb.memory.guidelines import Guideline, GuidelineSet
from memalign_nb.memory.readings import Reading
from memalign_nb.memory.rules import RuleItem, learn_rules, match_rule, rule_readings

DIM = "data_imputation"


def items(rows: list[tuple[dict, float, int | None]], dimension: str = DIM,
          finding: str = "", prefix: str = "c") -> list[RuleItem]:
    """One item per (facts, reference, judge score)."""
    return [RuleItem(f"{prefix}{i}", dimension, facts, reference, judge, finding)
            for i, (facts, reference, judge) in enumerate(rows)]


def readings_of(rule: Guideline) -> set[tuple[str, str, object]]:
    return {(r.fact, r.test, r.value) for r in rule_readings(rule)}


def test_an_applicability_correction_under_a_fact_is_learned_with_its_evidence():
    """The judge says "not applicable" everywhere; the experts agree only where the data is
    known to be complete, and say 2 where missingness was never measured."""
    rows = ([({"missingness_measured": False, "builtin_data": False}, 2, 0)] * 6
            + [({"missingness_measured": False, "builtin_data": True}, 0, 0)] * 4)
    [rule] = learn_rules(items(rows))
    assert rule.engine == "rules" and rule.dimension == DIM
    assert readings_of(rule) == {("builtin_data", "equals", False)}
    c = rule.condition
    assert (c["score"], c["order"], c["n"], c["agree"], c["fixes"], c["breaks"]) == (
        2, 0, 6, 6, 6, 0)
    assert c["gain"] == pytest.approx(6 * (2 + 0.5))  # distance and applicability
    assert rule.source_case_ids == tuple(f"c{i}" for i in range(6)) and rule.support == 6
    assert rule.text == ("When builtin data is false, experts score data imputation 2, not "
                         "the unaligned judge's 0 (6 of 6 cases; it corrects the judge on "
                         "all 6).")


def test_a_leniency_offset_is_learned_on_a_threshold_and_the_judges_score():
    rows = [({"eda_calls": n}, 1, 2) for n in (0, 1, 1, 2, 2)]
    rows += [({"eda_calls": n}, 2, 2) for n in (6, 7, 9, 12)]
    rows += [({"eda_calls": n}, 3, 3) for n in (15, 20)]
    [rule] = learn_rules(items(rows))
    assert rule.condition["score"] == 1 and rule.condition["fixes"] == 5
    assert ("eda_calls", "at_most", 2.0) in readings_of(rule)
    assert "eda calls is at most 2" in rule.text
    assert match_rule([rule], {"eda_calls": 1}, dimension=DIM, judge_score=2) is rule
    assert match_rule([rule], {"eda_calls": 7}, dimension=DIM, judge_score=2) is None


def test_the_judges_own_score_and_finding_can_be_the_condition():
    rows = [({}, 2, 3)] * 4 + [({}, 3, 2)] * 4
    found = learn_rules(items(rows))
    by_score = {r.condition["score"]: readings_of(r) for r in found}
    assert by_score == {3: {("judge_score", "equals", 2)}, 2: {("judge_score", "equals", 3)}}
    assert "When the unaligned judge scores 2, experts score data imputation 3" in found[0].text
    rows = [({}, 1, 2)] * 4 + [({}, 2, 2)] * 4
    coarse = items(rows[:4], finding="data_imputation.coarse")
    fine = items(rows[4:], finding="data_imputation.fine", prefix="d")
    [rule] = learn_rules(coarse + fine)
    assert readings_of(rule) == {("finding", "equals", "data_imputation.coarse")}
    assert "the static reading is data_imputation.coarse" in rule.text


def test_noise_below_the_support_or_the_gain_is_not_learned():
    one_fix = [({"f": True}, 1, 2)] + [({"f": True}, 2, 2)] * 2 + [({"f": False}, 2, 2)] * 5
    assert learn_rules(items(one_fix)) == []
    two = [({"f": True}, 1, 3)] * 2 + [({"f": False}, 3, 3)] * 4
    assert learn_rules(items(two)) == []  # corrects two cases: below min_support 3
    assert len(learn_rules(items(two), min_support=2)) == 1
    small = [({"f": True}, 1, 2)] * 3 + [({"f": False}, 2, 2)] * 3
    assert learn_rules(items(small), min_gain=3.5) == []  # 3 x 1 point
    assert len(learn_rules(items(small), min_gain=3.0)) == 1
    split = [({"f": True}, 1.5, 2)] * 3 + [({"f": False}, 2, 2)] * 3
    assert learn_rules(items(split), min_gain=0.1) == []  # 1 and 2 are as far from 1.5


def test_a_rule_that_would_break_as_much_as_it_fixes_is_not_learned():
    rows = [({"f": True}, 1, 3)] * 3 + [({"f": True}, 3, 3)] * 3
    assert learn_rules(items(rows)) == []


def test_not_applicable_takes_most_cases_and_outweighing_the_distance_it_costs():
    """Saying 0 where experts say 2 costs 2.5 points; where they say 0, 2 costs 0.5."""
    rows = [({"images": True}, 0, 2)] * 9 + [({"images": True}, 2, 2)]
    rows += [({"images": False}, 2, 2)] * 4
    [rule] = learn_rules(items(rows))
    assert rule.condition["score"] == 0 and "(not applicable)" in rule.text
    assert (rule.condition["fixes"], rule.condition["breaks"]) == (9, 1)
    assert rule.condition["gain"] == pytest.approx(9 * 0.5 - 2.5)
    fewer = [({"images": True}, 0, 2)] * 5 + [({"images": True}, 2, 2)] * 2
    assert learn_rules(items(fewer)) == []


def test_the_decision_list_covers_what_the_first_rule_left_and_applies_in_order():
    rows = ([({"leak": True, "scaled": True}, 1, 3)] * 4
            + [({"leak": False, "scaled": True}, 2, 3)] * 4
            + [({"leak": False, "scaled": False}, 3, 3)] * 4)
    first, second = learn_rules(items(rows))
    assert (first.condition["order"], second.condition["order"]) == (0, 1)
    assert first.condition["gain"] >= second.condition["gain"]
    assert {first.condition["score"], second.condition["score"]} == {1, 2}
    leak = {"leak": True, "scaled": True}
    rule = match_rule([second, first], leak, dimension=DIM, judge_score=3)
    assert rule is not None and rule.condition["score"] == 1  # order, not list position
    assert match_rule([first, second], {"leak": False, "scaled": False}, dimension=DIM,
                      judge_score=3) is None
    assert match_rule([first, second], leak, dimension="model_use", judge_score=3) is None


def test_items_are_learned_per_dimension_and_items_without_a_judge_score_are_left_out():
    rows = [({"f": True}, 1, 3)] * 4
    mixed = items(rows) + items(rows, dimension="model_use") + items(
        [({"f": True}, 3, None)] * 6, prefix="x")
    found = learn_rules(mixed)
    assert [(r.dimension, r.condition["score"], r.condition["n"]) for r in found] == [
        ("data_imputation", 1, 4), ("model_use", 1, 4)]


def test_learning_is_deterministic_whatever_the_order():
    rng = random.Random(3)
    rows = [({"a": rng.random() < 0.5, "n": rng.randint(0, 9), "m": ["x"] * rng.randint(0, 1)},
             rng.choice([1, 2, 3]), rng.choice([1, 2, 3])) for _ in range(40)]
    some = items(rows)
    expected = learn_rules(some)
    assert expected, "the fixture should teach something"
    shuffled = some[:]
    rng.shuffle(shuffled)
    assert learn_rules(shuffled) == expected
    duplicated = learn_rules([*some, *some[:5]])  # a later duplicate replaces the earlier
    assert duplicated == expected


def test_examples_work_as_items_with_their_expert_score():
    examples = [Example(f"c{i}", DIM, "df.fillna(0)", 2, "ok", judge_score=0,
                        facts={"measured": False}, finding="data_imputation.none")
                for i in range(4)]
    [rule] = learn_rules(examples)
    assert rule.condition["score"] == 2 and rule.condition["fixes"] == 4
    assert RuleItem.from_example(examples[0], 1.5).reference == 1.5


def test_bad_items_are_refused():
    with pytest.raises(MemoryDataError, match="RuleItem or an Example"):
        learn_rules([("c1", DIM, {}, 1, None)])
    with pytest.raises(MemoryDataError, match="facts must be a mapping"):
        learn_rules([RuleItem("c1", DIM, ["a"], 1, 2)])
    with pytest.raises(MemoryDataError, match="reference must be in"):
        learn_rules([RuleItem("c1", DIM, {}, 7, 2)])
    with pytest.raises(InvalidScoreError):
        learn_rules([RuleItem("c1", DIM, {}, 1, 9)])


def test_rules_survive_a_json_roundtrip_and_llm_guidelines_never_match():
    rows = [({"imputed_columns": ["Age"]}, 1, 3)] * 3 + [({"imputed_columns": []}, 3, 3)] * 3
    rules = learn_rules(items(rows))
    text = GuidelineSet([*rules, Guideline(DIM, "Prefer pipelines.", ("a",))]).to_json()
    loaded = list(GuidelineSet.from_json(text))
    matched = match_rule(loaded, {"imputed_columns": ["Fare", "Age"]}, dimension=DIM,
                         judge_score=3)
    assert matched is not None and matched.condition["score"] == 1
    assert match_rule(loaded, {"imputed_columns": ["Fare"]}, dimension=DIM, judge_score=3) is None


def test_a_rule_condition_without_readings_is_refused():
    broken = Guideline(DIM, "Broken.", ("a",), condition={"score": 1}, engine="rules")
    with pytest.raises(MemoryDataError, match="no 'when' list"):
        rule_readings(broken)
    assert Reading.from_dict({"fact": "f", "test": "equals", "value": 1}).fact == "f"
