"""Tests for memalign_nb.feedback.disagreements: items raters disagree on, and patterns."""

from __future__ import annotations

import pytest

from memalign_nb.datasets import load_dataset
from memalign_nb.feedback import (
    Grade,
    adjudicator_name,
    disagreement_patterns,
    disagreements,
    is_adjudicator,
    reference_scores,
)
from memalign_nb.feedback.disagreements import pattern_label

GRADES = [
    Grade("c1", "mlflow_logging", 1, "no tracking at all", "a"),
    Grade("c1", "mlflow_logging", 0, "a Kaggle notebook: n/a", "b"),
    Grade("c2", "mlflow_logging", 1, "none", "a"),
    Grade("c2", "mlflow_logging", 0, "n/a", "b"),
    Grade("c3", "mlflow_logging", 2, "partial", "a"),
    Grade("c3", "mlflow_logging", 2, "partial too", "b"),
    Grade("c1", "model_training", 1, "tunes on test", "a"),
    Grade("c1", "model_training", 3, "cross-validated", "b"),
    Grade("c2", "model_training", 2, "no CV", "a"),
    Grade("c2", "model_training", 3, "CV", "b"),
    Grade("c3", "model_training", 2, "alone", "a"),
    Grade("c1", "data_imputation", 1, "first", "a"),
    Grade("c1", "data_imputation", 2, "changed my mind", "a"),  # a's later grade counts
    Grade("c1", "data_imputation", 2, "leak-free", "b"),
]


def test_disagreements_list_each_raters_grade_kind_and_gap_in_order():
    found = disagreements(GRADES)
    assert [(d.dimension, d.case_id, d.kind, d.gap, d.pattern) for d in found] == [
        ("model_training", "c1", "score", 2, "1 vs 3"),
        ("model_training", "c2", "score", 1, "2 vs 3"),
        ("mlflow_logging", "c1", "applicability", 0, "1 vs n/a"),
        ("mlflow_logging", "c2", "applicability", 0, "1 vs n/a"),
    ]
    first = found[2]
    assert first.key == ("c1", "mlflow_logging")
    assert [(g.rater, g.score, g.rationale) for g in first.grades] == [
        ("a", 1, "no tracking at all"), ("b", 0, "a Kaggle notebook: n/a")]
    assert not first.resolved
    assert [d.case_id for d in disagreements(GRADES, ["mlflow_logging"])] == ["c1", "c2"]


def test_patterns_count_each_split_per_dimension_of_the_doubly_graded_items():
    patterns = disagreement_patterns(GRADES)
    assert list(patterns) == ["data_imputation", "model_training", "mlflow_logging"]
    assert patterns["data_imputation"] == []
    [mlflow] = patterns["mlflow_logging"]
    assert (mlflow.label, mlflow.kind, mlflow.count, mlflow.n_items, mlflow.case_ids) == (
        "1 vs n/a", "applicability", 2, 3, ("c1", "c2"))
    assert [(p.label, p.count, p.n_items) for p in patterns["model_training"]] == [
        ("1 vs 3", 1, 2), ("2 vs 3", 1, 2)]
    assert list(disagreement_patterns(GRADES, ["cell_organization"])) == ["cell_organization"]


def test_an_adjudicated_item_is_resolved_not_open_and_still_counts_in_its_pattern():
    decided = Grade("c1", "mlflow_logging", 2, "some tracking expected", adjudicator_name("ana"))
    grades = [*GRADES, decided]
    assert ("c1", "mlflow_logging") not in {d.key for d in disagreements(grades)}
    [resolved] = [d for d in disagreements(grades, include_resolved=True)
                  if d.key == ("c1", "mlflow_logging")]
    assert resolved.resolved and resolved.adjudication == decided
    assert [g.rater for g in resolved.grades] == ["a", "b"]  # the adjudicator is not a rater
    assert disagreement_patterns(grades)["mlflow_logging"][0].count == 2
    assert reference_scores(grades)[("c1", "mlflow_logging")] == 2.0


def test_an_adjudicator_alone_is_no_disagreement():
    grades = [Grade("c", "model_use", 3, "", "a"), Grade("c", "model_use", 1, "", "adjudicator:x")]
    assert disagreements(grades, include_resolved=True) == []
    assert disagreement_patterns(grades) == {}


@pytest.mark.parametrize(("scores", "label"), [
    ((0, 1), "1 vs n/a"), ((3, 2), "2 vs 3"), ((0, 3, 1), "1 vs 3 vs n/a")])
def test_pattern_label(scores, label):
    assert pattern_label(scores) == label


def test_adjudicator_names():
    assert adjudicator_name(" ana ") == "adjudicator:ana"
    assert adjudicator_name("adjudicator:ana") == "adjudicator:ana"
    assert is_adjudicator("adjudicator:ana") and not is_adjudicator("ana")


def test_the_graded_corpus_shows_the_mlflow_logging_split(corpus_dir):
    dataset = load_dataset(corpus_dir / "graded")
    patterns = disagreement_patterns(dataset.feedback)
    top = patterns["mlflow_logging"][0]
    assert (top.label, top.kind, top.count, top.n_items) == ("1 vs n/a", "applicability", 17, 60)
    assert len(patterns["mlflow_logging"]) == 1
    found = [d for d in disagreements(dataset.feedback) if d.dimension == "mlflow_logging"]
    assert len(found) == 17
    assert all({g.rater for g in d.grades} == {"reviewer-1", "reviewer-2"} for d in found)
    assert all(g.rationale.strip() for d in found for g in d.grades)
