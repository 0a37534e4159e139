"""Tests of memalign_nb.align.blend: base score, the rule correcting it, neighbour votes."""

from __future__ import annotations

import pytest

from memalign_nb.align.blend import Blend, BlendWeights, Vote, blend, decide
from memalign_nb.errors import MemAlignError, UnknownNameError
from memalign_nb.memory.examples import Example, Neighbour
from memalign_nb.memory.guidelines import Guideline

DIM = "data_imputation"


def rule(score: int, fact: str = "imputer_fit_before_split") -> Guideline:
    condition = {"when": [{"fact": fact, "test": "equals", "value": True}], "score": score,
                 "order": 0, "n": 4, "agree": 4, "fixes": 4, "breaks": 0, "gain": 8.0}
    return Guideline(DIM, f"When {fact} experts score {score} (4 of 4).", ("a", "b"),
                     support=4, condition=condition, engine="rules")


def neighbour(case_id: str, expert: int, similarity: float, judge: int | None = None) -> Neighbour:
    return Neighbour(Example(case_id, DIM, "df.fillna(df.mean())", expert, "why",
                             judge_score=judge), similarity)


def test_weighted_median_decides_and_ties_go_to_the_lower_score():
    assert decide({1: 1.0, 2: 1.0, 3: 1.0}) == 2
    assert decide({1: 1.0, 3: 1.0}) == 1  # exactly half: the stricter score
    assert decide({1: 1.0, 3: 1.1}) == 3
    assert decide({2: 0.2, 3: 5.0}) == 3


def test_not_applicable_needs_more_than_half_of_the_weight():
    assert decide({0: 2.1, 2: 1.0, 3: 1.0}) == 0
    assert decide({0: 2.0, 2: 1.0, 3: 1.0}) == 2  # 0 is not a point on the quality scale
    with pytest.raises(MemAlignError, match="no weight"):
        decide({1: 0.0})


def test_base_score_stands_without_memories():
    result = blend(3, None, [], BlendWeights())
    assert result.score == 3 and result.base_score == 3
    assert [v.source for v in result.votes] == ["base"]


def test_a_matching_rule_votes_in_the_base_scores_place():
    result = blend(3, rule(1), [], BlendWeights())
    assert result.score == 1 and result.base_score == 3
    assert [(v.source, v.score, v.weight) for v in result.votes] == [("rule", 1, 1.0)]
    # With rules off the base score keeps its vote.
    assert blend(3, rule(1), [], BlendWeights(rules=False)).score == 3


def test_neighbours_can_outvote_a_rule():
    weights = BlendWeights(neighbour_weight=4.0, k=2, neighbour_mode="expert")
    close = [neighbour("n1", 3, 0.9), neighbour("n2", 3, 0.9)]
    assert blend(2, rule(1), close, weights).score == 3


def test_neighbours_vote_by_similarity_and_the_dissimilar_do_not_vote():
    weights = BlendWeights(base_weight=1.0, neighbour_weight=4.0, min_similarity=0.5, k=2,
                           neighbour_mode="expert")
    close = [neighbour("n1", 1, 0.9), neighbour("n2", 1, 0.8)]
    result = blend(3, None, close, weights)
    assert result.score == 1
    assert result.totals == pytest.approx({3: 1.0, 1: 4.0 * 0.9 / 2 + 4.0 * 0.8 / 2})
    far = [neighbour("n1", 1, 0.45), neighbour("n2", 1, 0.2)]
    assert blend(3, None, far, weights).votes == (Vote("base", 3, 1.0, "base"),)


def test_correction_mode_carries_the_judge_error_over():
    weights = BlendWeights(base_weight=1.0, neighbour_weight=4.0, k=1)
    # The judge scored the neighbour 3 where experts gave 2: a base 2 becomes 1.
    corrected = blend(2, None, [neighbour("n1", 2, 0.9, judge=3)], weights)
    assert [v.score for v in corrected.votes if v.source == "neighbour"] == [1]
    assert corrected.score == 1
    # Agreement on the neighbour confirms the base score, whatever the neighbour's score.
    assert blend(1, None, [neighbour("n1", 3, 0.9, judge=3)], weights).score == 1
    # Unknown judge score, or not applicable on either side: the expert score votes.
    assert blend(2, None, [neighbour("n1", 3, 0.9)], weights).score == 3
    assert blend(2, None, [neighbour("n1", 0, 0.9, judge=2)], weights).score == 0
    # Corrections stay on the 1-3 scale.
    assert blend(1, None, [neighbour("n1", 1, 0.9, judge=3)], weights).score == 1


def test_no_evidence_with_weight_gives_no_blend():
    weights = BlendWeights(base_weight=0.0, neighbour_weight=1.0)
    assert blend(2, rule(1), [], weights) is None
    assert blend(None, None, [], BlendWeights(neighbour_weight=0.0)) is None


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"base_weight": -1.0}, MemAlignError),
        ({"base_weight": 0.0, "neighbour_weight": 0.0}, MemAlignError),
        ({"rules": 1}, MemAlignError),
        ({"min_similarity": 1.5}, MemAlignError),
        ({"k": 0}, MemAlignError),
        ({"neighbour_mode": "median"}, UnknownNameError),
    ],
)
def test_invalid_weights_are_refused(changes, error):
    with pytest.raises(error):
        BlendWeights(**changes)


def test_explain_and_metadata_name_every_source():
    weights = BlendWeights(k=1, neighbour_mode="expert")
    result = blend(3, rule(1), [neighbour("case-9", 1, 0.8)], weights)
    text = result.explain("base reason")
    assert text.startswith("Aligned score 1 (the unaligned judge scored 3).")
    assert "Learned from expert feedback: When imputer_fit_before_split experts score 1" in text
    assert "case-9 votes 1 (similarity 0.80)" in text and text.endswith("base reason")
    meta = result.to_metadata()
    assert [v["source"] for v in meta["votes"]] == ["rule", "neighbour"]
    assert set(meta["vote_totals"]) == {"1"}
    assert isinstance(result, Blend)
