"""What to grade next: memalign_nb.align.suggest."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from memalign_nb import MemAlign, Suggestion, suggest
from memalign_nb.datasets import generate_dataset, load_dataset
from memalign_nb.errors import MemAlignError, UnknownNameError
from memalign_nb.judges import HeuristicJudge

DIMS = ("data_imputation", "model_training")
GRADED = 8


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """12 generated notebooks, the first 8 graded, and an ungraded copy of the first."""
    root = generate_dataset(tmp_path_factory.mktemp("ds") / "ds", 12, seed=41)
    loaded = load_dataset(root)
    first = sorted(c.case_id for c in loaded.cases)[0]
    notebooks = Path(root) / "notebooks"
    shutil.copy(notebooks / f"{first}.ipynb", notebooks / "copy.ipynb")
    loaded = load_dataset(root)
    graded = set(sorted(c.case_id for c in loaded.cases if c.case_id != "copy")[:GRADED])
    return dataclasses.replace(loaded, feedback=tuple(
        g for g in loaded.feedback if g.case_id in graded and g.dimension in DIMS))


def _graded(dataset) -> set[tuple[str, str]]:
    return {(g.case_id, g.dimension) for g in dataset.feedback}


def test_every_ungraded_item_is_ranked_once_and_graded_ones_never(dataset):
    found = suggest(HeuristicJudge(), dataset, n=None, dimensions=DIMS)
    keys = [s.key for s in found]
    ungraded = {(c.case_id, d) for c in dataset.cases for d in DIMS} - _graded(dataset)
    assert len(keys) == len(set(keys)) and set(keys) == ungraded
    # picked greedily, and a pick only lowers the others' utility: most useful first
    assert [s.utility for s in found] == sorted((s.utility for s in found), reverse=True)
    for s in found:
        assert isinstance(s, Suggestion) and s.reasons and all(r.endswith(".") for r in s.reasons)
        assert set(s.signals) == {"disagreement", "spread", "novelty", "redundancy"}
        assert all(0 <= v <= 1 for v in s.signals.values())


def test_a_near_duplicate_of_a_graded_notebook_ranks_below_novel_ones(dataset):
    found = suggest(HeuristicJudge(), dataset, n=None, dimensions=DIMS)
    for dimension in DIMS:
        ranked = [s for s in found if s.dimension == dimension]
        copy = next(s for s in ranked if s.case_id == "copy")
        assert ranked[-1] is copy, [(s.case_id, s.utility) for s in ranked]
        assert copy.signals["novelty"] < 0.05 < min(
            s.signals["novelty"] for s in ranked if s is not copy)
        assert "little new" in copy.reason or "Much like" in copy.reason


def test_n_and_dimensions_are_respected(dataset):
    found = suggest(HeuristicJudge(), dataset, n=3, dimensions=["model_training"])
    assert len(found) == 3 and {s.dimension for s in found} == {"model_training"}
    assert found == suggest(HeuristicJudge(), dataset, n=3, dimensions="model_training")


def test_an_aligned_judge_is_used_as_it_is_and_not_changed(dataset):
    aligned = MemAlign(dimensions=DIMS).fit(HeuristicJudge(), dataset)
    before = (len(aligned.items_), len(aligned.grades_), len(aligned.guidelines))
    found = suggest(aligned, dataset, n=None, dimensions=DIMS)
    assert (len(aligned.items_), len(aligned.grades_), len(aligned.guidelines)) == before
    assert [s.key for s in found] == [
        s.key for s in suggest(HeuristicJudge(), dataset, n=None, dimensions=DIMS)]


def test_without_grades_novelty_and_diversity_order_the_items(dataset):
    ungraded = dataclasses.replace(dataset, feedback=())
    found = suggest(HeuristicJudge(), ungraded, n=None, dimensions=["data_imputation"])
    assert len(found) == len(dataset.cases)
    assert found[0].reasons == ("Nothing graded on this dimension yet.",)
    assert all(s.signals["disagreement"] == 0 == s.signals["spread"] for s in found)
    # the copy and its original are never both near the top: the second counts as graded
    ranks = {s.case_id: i for i, s in enumerate(found)}
    original = sorted(c.case_id for c in dataset.cases if c.case_id != "copy")[0]
    assert max(ranks["copy"], ranks[original]) == len(found) - 1
    assert "Much like" in found[-1].reason


def test_a_split_neighbourhood_and_a_disagreeing_memory_say_so(dataset):
    found = suggest(HeuristicJudge(), dataset, n=None, dimensions=DIMS)
    said = " ".join(s.reason for s in found)
    assert "The judge scores" in said or "grades split" in said


def test_bad_arguments_fail_clearly(dataset):
    with pytest.raises(UnknownNameError, match="model_trianing"):
        suggest(HeuristicJudge(), dataset, dimensions=["model_trianing"])
    for n in (0, -1, 2.5, True):
        with pytest.raises(MemAlignError, match="n must be an int >= 1 or None"):
            suggest(HeuristicJudge(), dataset, n=n)
    with pytest.raises(MemAlignError, match="expected a Judge"):
        suggest("heuristic", dataset)
    with pytest.raises(MemAlignError, match="expected a Dataset"):
        suggest(HeuristicJudge(), str(dataset.path))


def test_equally_useful_items_are_spread_over_the_dimensions(dataset):
    """With nothing graded every item is equally novel: each dimension gets its turn."""
    ungraded = dataclasses.replace(dataset, feedback=())
    found = suggest(HeuristicJudge(), ungraded, n=4, dimensions=DIMS)
    assert {s.utility for s in found} == {1.0}
    assert [s.dimension for s in found] == [*DIMS, *DIMS]
