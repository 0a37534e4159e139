"""Tests of memalign_nb.align.memalign: the estimator, its parameters and fit."""

from __future__ import annotations

import dataclasses

import pytest
from sklearn.base import clone

from memalign_nb.align import AlignedJudge, MemAlign
from memalign_nb.datasets import Dataset, generate_dataset, load_dataset
from memalign_nb.errors import MemAlignError, UnknownNameError
from memalign_nb.judges.scripted import ScriptedJudge

DIMS = ("data_imputation", "model_training")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Dataset:
    """Ten generated notebooks graded by two raters on :data:`DIMS`."""
    data = load_dataset(generate_dataset(tmp_path_factory.mktemp("ds") / "ds", 10, seed=5))
    return dataclasses.replace(data, feedback=tuple(g for g in data.feedback
                                                    if g.dimension in DIMS))


def scripted() -> ScriptedJudge:
    return ScriptedJudge({}, default=2)


def test_init_stores_parameters_unchanged_and_fit_validates_them(dataset):
    estimator = MemAlign(k=0, episodic_policy="bogus", dimensions=["x"])
    assert estimator.get_params()["k"] == 0 and estimator.episodic_policy == "bogus"
    assert "k=0" in repr(estimator)
    with pytest.raises(UnknownNameError, match="episodic policy 'bogus'"):
        estimator.fit(scripted(), dataset)
    with pytest.raises(MemAlignError, match="k must be an int >= 1"):
        MemAlign(k=0).fit(scripted(), dataset)
    with pytest.raises(MemAlignError, match="expected a Judge"):
        MemAlign().fit("heuristic", dataset)
    with pytest.raises(MemAlignError, match="both False"):
        MemAlign(semantic=False, episodic=False).fit(scripted(), dataset)
    with pytest.raises(UnknownNameError, match="dimension 'x'"):
        MemAlign(dimensions=["x"]).fit(scripted(), dataset)
    with pytest.raises(MemAlignError, match="no human grades"):
        MemAlign().fit(scripted(), dataclasses.replace(dataset, feedback=()))


def test_fit_returns_the_aligned_judge_and_learns_state(dataset):
    estimator = MemAlign(k=3)
    aligned = estimator.fit(scripted(), dataset)
    assert isinstance(aligned, AlignedJudge) and estimator.judge_ is aligned
    assert estimator.engine_ == "heuristic" and estimator.dimensions_ == DIMS
    assert aligned.aligned_dimensions == DIMS  # only the graded dimensions by default
    assert len(aligned.items_) == 10 * len(DIMS)
    assert len(aligned.grades_) == 2 * 10 * len(DIMS)
    assert len(aligned.episodic) == 10 * len(DIMS)
    assert aligned.params.calibrate and set(aligned.calibration_) == set(DIMS)
    with pytest.raises(MemAlignError, match="already aligned"):
        MemAlign().fit(aligned, dataset)


def test_each_fit_sees_only_its_own_dataset(dataset):
    ids = [c.case_id for c in dataset.cases]
    left = MemAlign().fit(scripted(), dataset.subset(ids[:5]))
    right = MemAlign().fit(scripted(), dataset.subset(ids[5:]))
    assert set(left.episodic.case_ids()) == set(ids[:5])
    assert set(right.episodic.case_ids()) == set(ids[5:])
    assert {key[0] for key in left.items_} == set(ids[:5])


@pytest.mark.slow
def test_aligned_heuristic_judge_beats_the_unaligned_one_on_held_out_sample_cases():
    """The issue's measurement: align on a seeded half of the bundled sample, score the other.

    MAE is over the items the experts marked applicable, against the raters' median. The
    blend's defaults, its calibration grid and margin were chosen on generated datasets of
    other seeds, never on this one; the calibration sees only the training half.
    """
    import random

    from memalign_nb.datasets import sample_path
    from memalign_nb.feedback import reference_scores
    from memalign_nb.judges.heuristic import HeuristicJudge
    from memalign_nb.study.metrics import agreement_metrics

    sample = load_dataset(sample_path())
    ids = sorted(c.case_id for c in sample.cases)
    random.Random(0).shuffle(ids)
    train, test = sample.subset(ids[: len(ids) // 2]), sample.subset(ids[len(ids) // 2:])
    base = HeuristicJudge()
    # One thread: CPython 3.11's ast.parse is not thread-safe ("AST constructor recursion
    # depth mismatch"), and a judgment lost to it would change what is compared.
    aligned = MemAlign(concurrency=1).fit(base, train)
    reference = reference_scores(sample.feedback)
    before = agreement_metrics(base.score_many(test.cases, concurrency=1, progress=False),
                               reference)
    after = agreement_metrics(aligned.score_many(test.cases, concurrency=1, progress=False),
                              reference)

    def pooled(metrics, dims):
        n = sum(metrics[d].n for d in dims)
        return sum(metrics[d].mae * metrics[d].n for d in dims) / n

    assert all(before[d].n == after[d].n for d in before)  # same items, nothing failed
    assert pooled(after, list(after)) < 0.9 * pooled(before, list(before))  # 0.160 -> 0.136
    worst = sorted(before, key=lambda d: before[d].mae, reverse=True)[:3]
    # cell_organization 0.40, data_imputation 0.28, model_training 0.26 -> 0.20, 0.28, 0.26
    assert pooled(after, worst) < 0.85 * pooled(before, worst)
    assert any(after[d].mae < before[d].mae for d in worst)
    assert all(after[d].mae <= before[d].mae for d in before)  # no dimension made worse
    for dimension, calibration in aligned.calibration_.items():
        if calibration.choice == "base":  # memories left out: exactly the base judge
            assert after[dimension].mae == before[dimension].mae, dimension


def test_clone_gives_an_unfitted_copy_with_the_same_parameters(dataset):
    import inspect

    estimator = MemAlign(k=3, episodic_policy="disagreements")
    assert set(estimator.get_params()) == set(inspect.signature(MemAlign).parameters)
    estimator.fit(scripted(), dataset)
    copy = clone(estimator)
    assert copy.get_params() == estimator.get_params()
    assert hasattr(estimator, "judge_") and not hasattr(copy, "judge_")
    assert clone(estimator.set_params(k=4)).k == 4
    assert repr(MemAlign(k=3)) == "MemAlign(k=3)"
