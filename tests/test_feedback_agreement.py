"""Tests for memalign_nb.feedback.agreement: reference scores and the human noise floor."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest

from memalign_nb.feedback import Grade, noise_floor, reference_scores


def grades_for(dimension: str, items: dict[str, dict[str, int]]) -> list[Grade]:
    return [
        Grade(case_id, dimension, score, "", rater)
        for case_id, by_rater in items.items()
        for rater, score in by_rater.items()
    ]


def ordinal_alpha_by_hand(items: dict[str, dict[str, int]]) -> float:
    """Krippendorff's ordinal alpha from the coincidence matrix (Krippendorff 2011)."""
    units = [[s for s in by_rater.values() if s] for by_rater in items.values()]
    units = [u for u in units if len(u) >= 2]
    coincidence: Counter = Counter()
    for values in units:
        for a, b in itertools.permutations(values, 2):
            coincidence[a, b] += 1 / (len(values) - 1)
    totals = Counter()
    for (a, _), count in coincidence.items():
        totals[a] += count
    n = sum(totals.values())

    def delta(c: int, k: int) -> float:
        low, high = min(c, k), max(c, k)
        return (sum(totals[g] for g in range(low, high + 1)) - (totals[c] + totals[k]) / 2) ** 2

    observed = sum(count * delta(a, b) for (a, b), count in coincidence.items())
    expected = sum(totals[c] * totals[k] * delta(c, k) for c in totals for k in totals)
    return 1 - (n - 1) * observed / expected


def test_reference_is_the_median_of_raters():
    grades = grades_for(
        "model_use",
        {
            "two": {"a": 1, "b": 3},
            "even": {"a": 1, "b": 2},
            "odd": {"a": 1, "b": 3, "c": 3},
            "alone": {"a": 2},
        },
    )
    ref = reference_scores(grades)
    assert ref == {
        ("two", "model_use"): 2.0,
        ("even", "model_use"): 1.5,
        ("odd", "model_use"): 3.0,
        ("alone", "model_use"): 2.0,
    }


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ({"a": 0, "b": 2}, 2.0),  # a tie on applicability: a real score, not a fake 1
        ({"a": 0, "b": 0, "c": 3}, 0.0),
        ({"a": 0, "b": 3, "c": 3}, 3.0),
        ({"a": 0, "b": 2, "c": 3}, 2.5),
        ({"a": 0}, 0.0),
    ],
)
def test_reference_decides_applicability_by_majority(scores, expected):
    ref = reference_scores(grades_for("data_imputation", {"c": scores}))
    assert ref[("c", "data_imputation")] == expected


def test_later_grade_of_a_rater_counts():
    grades = [Grade("c", "model_use", 1, "", "a"), Grade("c", "model_use", 3, "", "a")]
    assert reference_scores(grades) == {("c", "model_use"): 3.0}
    assert noise_floor(grades)["model_use"].n_items == 0


def test_noise_floor_statistics_by_hand():
    items = {
        "i1": {"a": 3, "b": 3, "c": 2},  # applicable pairs: |3-3|, |3-2|, |3-2|
        "i2": {"a": 1, "b": 2},  # |1-2|
        "i3": {"a": 0, "b": 2},  # disagree on applicability: no MAE pair
        "i4": {"a": 2},  # one rater: no pair at all
    }
    floor = noise_floor(grades_for("model_training", items))["model_training"]
    assert floor.dimension == "model_training"
    assert floor.n_items == 3
    assert floor.n_raters == 3
    assert floor.n_pairs == 4
    assert floor.mae == pytest.approx(3 / 4)
    assert floor.exact_agreement == pytest.approx(1 / 4)
    assert floor.applicability_agreement == pytest.approx(4 / 5)
    assert floor.alpha == pytest.approx(ordinal_alpha_by_hand(items))


def test_alpha_matches_independent_computation_on_messier_data():
    items = {
        f"case{i}": {r: (i * 7 + j * (i % 3)) % 4 for j, r in enumerate("pqrs")} for i in range(25)
    }
    floor = noise_floor(grades_for("metrics_evaluation", items))["metrics_evaluation"]
    assert floor.alpha == pytest.approx(ordinal_alpha_by_hand(items))


def test_alpha_is_one_for_perfect_agreement_and_negative_for_opposites():
    perfect = {f"c{i}": {"a": 1 + i % 3, "b": 1 + i % 3} for i in range(9)}
    assert noise_floor(grades_for("eda", perfect))["eda"].alpha == pytest.approx(1.0)
    opposite = {f"c{i}": {"a": 1 if i % 2 else 3, "b": 3 if i % 2 else 1} for i in range(8)}
    assert noise_floor(grades_for("eda", opposite))["eda"].alpha < 0


def test_not_applicable_ratings_do_not_change_alpha():
    items = {"c1": {"a": 1, "b": 2}, "c2": {"a": 3, "b": 3}, "c3": {"a": 2, "b": 2}}
    base = noise_floor(grades_for("x", items))["x"].alpha
    items["c4"] = {"a": 0, "b": 0}
    items["c1"]["c"] = 0
    assert noise_floor(grades_for("x", items))["x"].alpha == pytest.approx(base)


def test_single_rater_data_gives_none_statistics():
    grades = grades_for("model_use", {f"c{i}": {"solo": 1 + i % 3} for i in range(5)})
    floor = noise_floor(grades)["model_use"]
    assert (floor.n_items, floor.n_raters, floor.n_pairs) == (0, 1, 0)
    assert floor.mae is floor.exact_agreement is floor.applicability_agreement is None
    assert floor.alpha is None


def test_alpha_undefined_when_every_pair_agrees_on_one_value():
    floor = noise_floor(grades_for("x", {"c1": {"a": 2, "b": 2}, "c2": {"a": 2, "b": 2}}))["x"]
    assert floor.mae == 0.0 and floor.exact_agreement == 1.0
    assert floor.alpha is None


def test_dimension_order_and_requested_dimensions():
    grades = grades_for("custom_dim", {"c": {"a": 1}}) + grades_for("model_use", {"c": {"a": 1}})
    grades += grades_for("library_installation", {"c": {"a": 1}})
    assert list(noise_floor(grades)) == ["library_installation", "model_use", "custom_dim"]
    requested = noise_floor(grades, dimensions=["mlflow_logging", "model_use"])
    assert list(requested) == ["mlflow_logging", "model_use"]
    assert requested["mlflow_logging"].n_raters == 0
    assert requested["mlflow_logging"].alpha is None


def test_an_adjudication_decides_the_reference_and_the_latest_one_wins():
    grades = [
        Grade("c", "mlflow_logging", 1, "no tracking", "a"),
        Grade("c", "mlflow_logging", 0, "Kaggle: n/a", "b"),
        Grade("c", "mlflow_logging", 2, "partial", "adjudicator:ana", "2026-01-01T00:00:00Z"),
        Grade("d", "mlflow_logging", 2, "", "a"),
        Grade("d", "mlflow_logging", 3, "", "b"),
    ]
    assert reference_scores(grades)[("c", "mlflow_logging")] == 2.0  # the raters give 1.0
    later = Grade("c", "mlflow_logging", 3, "", "adjudicator:bo", "2026-02-01T00:00:00Z")
    earlier = Grade("c", "mlflow_logging", 0, "", "adjudicator:cy", "2025-12-01T00:00:00Z")
    ref = reference_scores([*grades, later, earlier])
    assert ref == {("c", "mlflow_logging"): 3.0, ("d", "mlflow_logging"): 2.5}
    # Equal timestamps: the adjudication that comes later wins.
    tie = [Grade("c", "model_use", s, "", f"adjudicator:{r}", "t") for r, s in (("x", 1), ("y", 3))]
    assert reference_scores(tie) == {("c", "model_use"): 3.0}
    assert reference_scores(tie[::-1]) == {("c", "model_use"): 1.0}


def test_the_noise_floor_does_not_count_adjudicators_as_raters():
    items = {"i1": {"a": 1, "b": 2}, "i2": {"a": 0, "b": 3}}
    grades = grades_for("model_use", items)
    with_adjudicator = grades + grades_for(
        "model_use", {"i1": {"adjudicator:ana": 2}, "i2": {"adjudicator:ana": 3},
                      "i3": {"adjudicator:ana": 1}})
    assert noise_floor(with_adjudicator) == noise_floor(grades)
    assert noise_floor(with_adjudicator)["model_use"].n_raters == 2
