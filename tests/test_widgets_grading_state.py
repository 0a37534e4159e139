"""The grading panel's pure-Python state: queue order, resume, skip, validation, judge."""

from __future__ import annotations

import pytest
from memalign_nb_widgets.grading_state import (
    GradingError,
    GradingSession,
    Item,
    JudgeScores,
    adjudication_items,
    check_grade_input,
    disagreement,
    latest_grades,
    order_items,
)

from memalign_nb.datasets.model import Case
from memalign_nb.errors import InvalidScoreError, UnknownNameError
from memalign_nb.feedback.model import Grade
from memalign_nb.judges.base import Judgment
from memalign_nb.judges.scripted import ScriptedJudge
from memalign_nb.notebooks.model import Notebook

CASES = ("c1", "c2", "c3")
DIMS = ("data_imputation", "model_training")
ITEMS = [Item(c, d) for c in CASES for d in DIMS]


def grade(case: str, dim: str, score: int, rater: str = "ana", when: str = "") -> Grade:
    return Grade(case, dim, score, "because", rater, when)


def test_latest_grades_keeps_the_newest_per_rater_and_item():
    grades = [
        grade("c1", "model_training", 1, when="2024-01-02T00:00:00Z"),
        grade("c1", "model_training", 3, when="2024-01-01T00:00:00Z"),
        grade("c1", "model_training", 2, rater="bo", when="2024-01-01T00:00:00Z"),
    ]
    latest = latest_grades(grades)
    assert latest[("c1", "model_training", "ana")].score == 1
    assert latest[("c1", "model_training", "bo")].score == 2
    # Equal or missing timestamps: the later one in the input wins.
    tie = latest_grades([grade("c2", "model_training", 1), grade("c2", "model_training", 2)])
    assert tie[("c2", "model_training", "ana")].score == 2


def test_ungraded_order_puts_the_raters_graded_items_last_and_keeps_dataset_order():
    graded = latest_grades([grade("c1", "data_imputation", 2), grade("c2", "model_training", 1)])
    queue = order_items(ITEMS, "ana", graded, "ungraded")
    assert queue[:4] == (
        Item("c1", "model_training"),
        Item("c2", "data_imputation"),
        Item("c3", "data_imputation"),
        Item("c3", "model_training"),
    )
    assert set(queue[4:]) == {Item("c1", "data_imputation"), Item("c2", "model_training")}
    # Another rater's grades do not count as graded for ana.
    assert order_items(ITEMS, "bo", graded, "ungraded") == tuple(ITEMS)


def test_disagreement_is_the_gap_between_judge_and_other_raters_median():
    grades = latest_grades([
        grade("c1", "model_training", 1, rater="bo"),
        grade("c1", "model_training", 2, rater="cy"),
        grade("c1", "model_training", 3, rater="ana"),  # the rater's own grade is ignored
    ])
    item = Item("c1", "model_training")
    assert disagreement(item, "ana", grades, 3) == pytest.approx(1.5)
    assert disagreement(item, "ana", grades, None) is None
    assert disagreement(Item("c2", "model_training"), "ana", grades, 3) is None


def test_disagreement_measures_the_judge_against_an_adjudication_when_there_is_one():
    grades = latest_grades([
        grade("c1", "model_training", 1, rater="bo"),
        grade("c1", "model_training", 2, rater="cy"),
        grade("c1", "model_training", 3, rater="adjudicator:dee"),
    ])
    assert disagreement(Item("c1", "model_training"), "ana", grades, 3) == 0
    assert disagreement(Item("c1", "model_training"), "ana", grades, 1) == 2


def test_disagreement_order_puts_largest_gaps_first_and_undefined_last():
    grades = latest_grades([
        grade("c1", "data_imputation", 3, rater="bo"),
        grade("c2", "data_imputation", 1, rater="bo"),
        grade("c3", "data_imputation", 2, rater="bo"),
    ])
    judge = {("c1", "data_imputation"): 3, ("c2", "data_imputation"): 3,
             ("c3", "data_imputation"): 3, ("c1", "model_training"): 2}
    queue = order_items(ITEMS, "ana", grades, "disagreement", judge)
    assert queue[:3] == (
        Item("c2", "data_imputation"),  # gap 2
        Item("c3", "data_imputation"),  # gap 1
        Item("c1", "data_imputation"),  # gap 0
    )
    assert queue[3:] == (Item("c1", "model_training"), Item("c2", "model_training"),
                         Item("c3", "model_training"))


def test_useful_order_puts_highest_utility_first_and_items_without_one_last():
    utilities = {("c2", "model_training"): 0.4, ("c3", "data_imputation"): 1.7,
                 ("c1", "data_imputation"): 0.4}
    queue = order_items(ITEMS, "ana", {}, "useful", utilities=utilities)
    assert queue[:3] == (
        Item("c3", "data_imputation"),  # most useful
        Item("c1", "data_imputation"),  # tie at 0.4: dataset order
        Item("c2", "model_training"),
    )
    assert queue[3:] == (Item("c1", "model_training"), Item("c2", "data_imputation"),
                         Item("c3", "model_training"))  # no utility (graded): dataset order
    session = GradingSession(ITEMS, "ana", order="useful", utilities=utilities)
    assert session.current == Item("c3", "data_imputation")
    session.reorder("ungraded")
    session.reorder("useful", utilities={("c2", "data_imputation"): 2.0})
    assert session.queue[0] == Item("c2", "data_imputation")
    assert session.current == Item("c3", "data_imputation")  # stays on the item


def test_unknown_order_lists_the_valid_ones():
    with pytest.raises(UnknownNameError, match="ungraded, disagreement, useful"):
        order_items(ITEMS, "ana", {}, "random")


@pytest.mark.parametrize(
    ("score", "rationale", "judge", "expected"),
    [
        (2, "  fine  ", 3, (2, "fine")),
        (3, "", 3, (3, "")),     # agrees with the judge: no rationale needed
        (1, "", None, (1, "")),  # no judge: no rationale needed
        (2.0, "x", 2, (2, "x")),
    ],
)
def test_check_grade_input_accepts(score, rationale, judge, expected):
    assert check_grade_input(Item("c1", "model_training"), score, rationale, judge) == expected


def test_check_grade_input_requires_a_score_and_a_rationale_when_differing():
    item = Item("c1", "model_training")
    with pytest.raises(GradingError, match="c1 / model_training: choose a score"):
        check_grade_input(item, None, "text", 2)
    with pytest.raises(GradingError, match="rationale is required") as info:
        check_grade_input(item, 1, "   ", 3)
    assert info.value.where == "c1 / model_training"
    with pytest.raises(InvalidScoreError):
        check_grade_input(item, 5, "text", None)


def test_session_resumes_at_the_first_item_the_rater_has_not_graded():
    done = [grade(c, d, 2) for c, d in [("c1", "data_imputation"), ("c1", "model_training")]]
    session = GradingSession(ITEMS, "ana", done + [grade("c2", "data_imputation", 1, "bo")])
    assert session.current == Item("c2", "data_imputation")
    assert not session.is_graded(session.current)
    assert session.progress() == {"data_imputation": (1, 3), "model_training": (1, 3)}
    everything = [grade(i.case_id, i.dimension, 2) for i in ITEMS]
    assert GradingSession(ITEMS, "ana", everything).position == 0


def test_session_rejects_a_blank_rater_and_an_empty_queue():
    with pytest.raises(GradingError, match="rater"):
        GradingSession(ITEMS, "  ")
    with pytest.raises(GradingError, match="nothing to grade"):
        GradingSession([], "ana")


def test_navigation_is_clamped_and_skip_passes_over_graded_and_skipped_items():
    session = GradingSession(ITEMS, "ana", [grade("c2", "data_imputation", 2)])
    queue = session.queue
    assert queue[-1] == ITEMS[2]                # graded by ana: queued last
    assert session.previous() == queue[0]
    assert session.skip() == queue[1]
    assert session.skip() == queue[2] == ITEMS[3]
    session.go_to(99)
    assert session.current == queue[-1]
    assert session.next() == queue[-1]
    # From the end, skip wraps around past the skipped items 0 and 1.
    assert session.skip() == ITEMS[3]
    assert session.skipped == {ITEMS[0], ITEMS[1], ITEMS[2]}
    session.record(grade("c1", "data_imputation", 1))
    assert ITEMS[0] not in session.skipped      # grading an item un-skips it


def test_record_marks_the_item_graded_and_advance_goes_to_the_next_ungraded():
    session = GradingSession(ITEMS, "ana", [grade("c1", "model_training", 2)])
    made = session.make_grade(3, " solid ", judge_score=None)
    assert made == Grade("c1", "data_imputation", 3, "solid", "ana")
    session.record(made)
    assert session.grade_of(ITEMS[0]) == made
    assert session.advance_after_save() == ITEMS[2]
    assert session.progress()["data_imputation"] == (1, 3)


def test_reorder_keeps_the_current_item():
    judge = {i.key: 3 for i in ITEMS}
    grades = [grade("c3", "model_training", 1, rater="bo")]
    session = GradingSession(ITEMS, "ana", grades)
    session.go_to(2)
    current = session.current
    session.reorder("disagreement", judge)
    assert session.current == current
    assert session.queue[0] == Item("c3", "model_training")


def _case(case_id: str) -> Case:
    return Case(case_id, Notebook(f"{case_id}.ipynb", ()))


def test_judge_scores_calls_a_live_judge_once_per_item():
    judge = ScriptedJudge({("c1", "model_training"): 1}, default=3)
    scores = JudgeScores(judge, _case)
    item = Item("c1", "model_training")
    assert scores.score(item) == 1
    assert scores.score(item) == 1
    assert scores.scores(ITEMS) == {**{i.key: 3 for i in ITEMS}, ("c1", "model_training"): 1}
    assert judge.calls[0] == ("c1", "model_training")
    assert sorted(judge.calls) == sorted(i.key for i in ITEMS)  # each item exactly once


def test_judge_scores_records_a_judge_error_as_no_score():
    judge = ScriptedJudge({}, default=2, dimensions=("model_training",))
    scores = JudgeScores(judge, _case)
    failed = scores.judgment(Item("c1", "data_imputation"))
    assert failed is not None and failed.score is None and "unknown dimension" in failed.error
    assert scores.score(Item("c1", "data_imputation")) is None
    batch = JudgeScores(judge, _case).scores(ITEMS)  # the batch path records it the same way
    assert batch == {i.key: (2 if i.dimension == "model_training" else None) for i in ITEMS}


def test_judge_scores_from_precomputed_judgments_and_none():
    precomputed = JudgeScores(
        [Judgment("c1", "model_training", 2), Judgment("c2", "model_training", None, error="x")],
        _case,
    )
    assert precomputed.available
    assert precomputed.score(Item("c1", "model_training")) == 2
    assert precomputed.score(Item("c2", "model_training")) is None
    assert precomputed.judgment(Item("c3", "model_training")) is None
    nothing = JudgeScores(None, _case)
    assert not nothing.available and nothing.score(ITEMS[0]) is None


def test_adjudication_items_are_the_open_disagreements_and_this_adjudicators_decisions():
    grades = [
        grade("c1", "model_training", 1, "ana"), grade("c1", "model_training", 3, "bo"),
        grade("c2", "model_training", 2, "ana"), grade("c2", "model_training", 2, "bo"),
        grade("c3", "model_training", 1, "ana"), grade("c3", "model_training", 2, "bo"),
        grade("c2", "data_imputation", 0, "ana"), grade("c2", "data_imputation", 2, "bo"),
        grade("c3", "data_imputation", 0, "ana"), grade("c3", "data_imputation", 1, "bo"),
        grade("c9", "data_imputation", 0, "ana"), grade("c9", "data_imputation", 1, "bo"),
        grade("c3", "data_imputation", 1, "adjudicator:cy"),
        grade("c3", "model_training", 2, "adjudicator:di"),
    ]
    found = adjudication_items(grades, "adjudicator:cy", CASES, DIMS)
    # Dimension by dimension, applicability first, widest gap first; c9 is not a case,
    # c3/model_training was decided by another adjudicator.
    assert list(found) == [Item("c2", "data_imputation"), Item("c3", "data_imputation"),
                           Item("c1", "model_training")]
    assert found[Item("c3", "data_imputation")].resolved
    assert [g.rater for g in found[Item("c1", "model_training")].grades] == ["ana", "bo"]
    assert Item("c3", "model_training") in adjudication_items(grades, "adjudicator:di", CASES,
                                                              DIMS)
    session = GradingSession(list(found), "adjudicator:cy", grades)
    assert session.current == Item("c2", "data_imputation")  # resumes at an undecided one
    assert session.progress() == {"data_imputation": (1, 2), "model_training": (0, 1)}
