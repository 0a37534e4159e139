"""Tests of memalign_nb.align.learning: references, incremental feedback, forgetting."""

from __future__ import annotations

import dataclasses

import pytest

from memalign_nb.align import FeedbackUpdate, MemAlign
from memalign_nb.align.learning import reference_grade
from memalign_nb.datasets import Dataset, generate_dataset, load_dataset
from memalign_nb.feedback.model import Grade
from memalign_nb.judges.scripted import ScriptedJudge

DIMS = ("data_imputation", "model_training")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Dataset:
    """Ten generated notebooks graded by two raters on every dimension."""
    return load_dataset(generate_dataset(tmp_path_factory.mktemp("ds") / "ds", 10, seed=5))


def only(dataset: Dataset, dims=DIMS, raters=None) -> Dataset:
    grades = tuple(g for g in dataset.feedback
                   if g.dimension in dims and (raters is None or g.rater in raters))
    return dataclasses.replace(dataset, feedback=grades)


def judge(default: int = 2) -> ScriptedJudge:
    return ScriptedJudge({}, default=default, rationale="scripted reason")


def test_reference_is_the_median_with_joined_rationales():
    grades = [Grade("c", "model_use", 2, "works", rater="b"),
              Grade("c", "model_use", 1, "refits on test", rater="a")]
    reference = reference_grade(grades)
    assert reference.score == 1  # median 1.5: the stricter score
    assert reference.rationale == "a: refits on test | b: works"
    assert reference_grade(grades[:1]).rationale == "works"
    not_applicable = [Grade("c", "model_use", 0, "", rater=r) for r in "xy"]
    assert reference_grade([*not_applicable, grades[0]]).score == 0
    decided = Grade("c", "model_use", 3, "the refit is on new rows", rater="adjudicator:ana")
    adjudicated = reference_grade([*grades, decided])
    assert adjudicated.score == 3
    assert adjudicated.rationale == (
        "adjudicator:ana: the refit is on new rows | a: refits on test | b: works")


def test_items_carry_the_base_judgment_and_the_section_facts(dataset):
    aligned = MemAlign().fit(judge(default=3), only(dataset))
    item = aligned.items_[(dataset.cases[0].case_id, "data_imputation")]
    assert item.judge_score == 3 and item.judge_rationale == "scripted reason"
    assert "split_present" in item.facts and item.text
    expected = reference_grade([g for g in dataset.feedback
                                if (g.case_id, g.dimension) == (item.case_id, item.dimension)])
    assert (item.expert_score, item.rationale) == (expected.score, expected.rationale)


def test_disagreements_policy_stores_only_examples_the_judge_got_wrong(dataset):
    data = only(dataset)
    aligned = MemAlign(episodic_policy="disagreements").fit(judge(default=2), data)
    stored = {(e.case_id, e.dimension) for e in aligned.episodic.examples()}
    wrong = {key for key, e in aligned.items_.items() if e.expert_score != 2}
    assert stored == wrong and 0 < len(stored) < len(aligned.items_)


def test_add_feedback_learns_only_what_is_new(dataset):
    base = judge()
    first_rater = only(dataset, raters={"expert_a"})
    aligned = MemAlign().fit(base, first_rater)
    calls = len(base.calls)
    again = aligned.add_feedback(first_rater)
    assert again == FeedbackUpdate() and len(base.calls) == calls  # nothing re-scored

    case_id = dataset.cases[3].case_id
    one_more = [g for g in only(dataset).feedback
                if g.rater == "expert_b" and (g.case_id, g.dimension) == (case_id, DIMS[0])]
    update = aligned.add_feedback(
        dataclasses.replace(first_rater, feedback=(*first_rater.feedback, *one_more)))
    assert update.grades_added == 1 and update.items == ((case_id, DIMS[0]),)
    assert base.calls[calls:] == [(case_id, DIMS[0])]  # only the changed item re-scored
    assert len(aligned.grades_) == len(first_rater.feedback) + 1
    expected = reference_grade([g for g in dataset.feedback
                                if (g.case_id, g.dimension) == (case_id, DIMS[0])])
    assert aligned.items_[(case_id, DIMS[0])].rationale == expected.rationale


def test_a_changed_grade_moves_an_item_out_of_a_disagreements_memory(dataset):
    data = only(dataset, dims=DIMS[:1], raters={"expert_a"})
    case_id = data.cases[0].case_id
    grades = [dataclasses.replace(g, score=1) if g.case_id == case_id else g
              for g in data.feedback]
    aligned = MemAlign(episodic_policy="disagreements").fit(
        judge(default=2), dataclasses.replace(data, feedback=tuple(grades)))
    assert case_id in aligned.episodic.case_ids(DIMS[0])
    agreeing = [dataclasses.replace(g, score=2, rationale="fine after all")
                if g.case_id == case_id else g for g in grades]
    update = aligned.add_feedback(dataclasses.replace(data, feedback=tuple(agreeing)))
    assert update.grades_added == 1
    assert case_id not in aligned.episodic.case_ids(DIMS[0])
    assert aligned.items_[(case_id, DIMS[0])].expert_score == 2


def test_grades_outside_the_aligned_dimensions_or_without_notebook_are_skipped(dataset):
    orphan = Grade("no-such-case", DIMS[0], 2, "?", rater="expert_a")
    data = dataclasses.replace(only(dataset, dims=(*DIMS, "model_use")),
                               feedback=(*only(dataset, dims=(*DIMS, "model_use")).feedback,
                                         orphan))
    aligned = MemAlign(dimensions=DIMS).fit(judge(), data)
    assert all(key[1] in DIMS for key in aligned.items_)
    assert "no-such-case" not in {key[0] for key in aligned.items_}
    update = aligned.add_feedback(data)
    assert any("dimension not aligned: model_use" in s for s in update.skipped)
    assert any("no notebook in the dataset: no-such-case" in s for s in update.skipped)


def test_rules_are_learned_from_facts_and_forget_relearns_them(dataset):
    """Experts score 1 exactly where a fact holds and the judge always says 3: a rule."""
    data = only(dataset, dims=DIMS[:1], raters={"expert_a"})
    facts = {key[0]: e.facts for key, e in MemAlign().fit(judge(), data).items_.items()}
    booleans = {name for f in facts.values() for name, v in f.items() if isinstance(v, bool)}
    fact = min(sorted(booleans), key=lambda n: abs(sum(f[n] for f in facts.values()) - 5))
    flag = {case_id: f[fact] for case_id, f in facts.items()}
    assert 3 <= sum(flag.values()) <= 7, "the fixture needs cases on both sides"
    grades = tuple(dataclasses.replace(g, score=1 if flag[g.case_id] else 3) for g in data.feedback)
    graded = dataclasses.replace(data, feedback=grades)
    aligned = MemAlign(min_support=3).fit(judge(default=3), graded)
    rules = [g for g in aligned.guidelines if g.condition and g.condition["score"] == 1]
    assert rules and all(g.engine == "rules" for g in rules)
    # the fact, or a reading that holds on exactly the same cases (the judge's own finding)
    assert any(r["fact"] == fact for g in rules for r in g.condition["when"]) or any(
        g.condition["n"] == g.condition["agree"] == sum(flag.values()) for g in rules)

    flagged = sorted(c for c, f in flag.items() if f)
    result = aligned.forget(flagged[:-2])  # two supporting cases remain: below min_support
    assert result.case_ids == tuple(flagged[:-2])
    assert result.examples_removed == len(flagged[:-2])
    assert {g.id for g in result.guidelines_dropped} >= {g.id for g in rules}
    refit = MemAlign(min_support=3).fit(
        judge(default=3), graded.subset([c for c in flag if c not in flagged[:-2]]))
    assert sorted(g.text for g in aligned.guidelines) == sorted(g.text for g in refit.guidelines)
    assert not set(flagged[:-2]) & {key[0] for key in aligned.items_}
    assert not set(flagged[:-2]) & set(aligned.episodic.case_ids())
