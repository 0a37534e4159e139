"""Tests of memalign_nb.study.curve: training samples, the curve, its verdict and plot.

The curve function is checked with a recording ``fit_score`` (what each fit learned from,
what it scored); the study's curve is the real one (heuristic judge, MemAlign) on a small
generated dataset, with every MemAlign fit recorded.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from memalign_nb.errors import MemAlignError
from memalign_nb.feedback import reference_scores
from memalign_nb.judges.scripted import ScriptedJudge
from memalign_nb.study import AlignmentStudy, save_study
from memalign_nb.study.bootstrap import Interval
from memalign_nb.study.curve import (
    CurvePoint,
    LearningCurve,
    check_fractions,
    learning_curve,
    training_samples,
)
from memalign_nb.study.folds import case_folds
from memalign_nb.study.plots import learning_curve_chart

FRACTIONS = (0.25, 0.5, 1.0)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    from memalign_nb.datasets import generate_dataset, load_dataset

    return load_dataset(generate_dataset(tmp_path_factory.mktemp("ds"), n_cases=16, seed=1))


@pytest.fixture(scope="module")
def studied(dataset):
    """The real study with a learning curve, and the cases every MemAlign fit saw."""
    from memalign_nb import align

    seen: list[set[str]] = []
    original = align.MemAlign.fit

    def fit(estimator, judge, data):
        seen.append({c.case_id for c in data.cases} | {g.case_id for g in data.feedback})
        return original(estimator, judge, data)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(align.MemAlign, "fit", fit)
        result = AlignmentStudy("heuristic", n_folds=2, n_bootstrap=200, progress=False,
                                variants=("baseline", "full"), learning_curve=FRACTIONS,
                                curve_seeds=2).fit(dataset).result_
    return result, seen


def test_samples_come_from_the_training_fold_only_nested_and_seeded():
    train = tuple(f"c{i:02d}" for i in range(20))
    samples = training_samples(train, (0.25, 0.5, 1.0), n_seeds=3, seed=7, fold=1)
    assert samples == training_samples(train, (0.25, 0.5, 1.0), n_seeds=3, seed=7, fold=1)
    for index in range(3):
        quarter, half, whole = (samples[(f, index)] for f in (0.25, 0.5, 1.0))
        assert (len(quarter), len(half), whole) == (5, 10, train)
        assert set(quarter) <= set(half) <= set(train)
    assert len({samples[(0.25, i)] for i in range(3)}) > 1  # seeds draw different samples
    assert training_samples(train, (0.25,), 1, seed=7, fold=2) != {
        (0.25, 0): samples[(0.25, 0)]}
    assert len(training_samples(("a", "b"), (0.1, 1.0), 1, seed=0, fold=0)[(0.1, 0)]) == 1


def test_each_fit_learns_from_its_training_fold_only_and_scores_the_held_out_fold(dataset):
    folds = case_folds([c.case_id for c in dataset.cases], 2, seed=0)
    judge = ScriptedJudge({}, default=2)
    fits: list[tuple[set[str], set[str]]] = []

    def fit_score(train, held_out):
        seen = {c.case_id for c in train.cases} | {g.case_id for g in train.feedback}
        fits.append((seen, {c.case_id for c in held_out}))
        return judge.score_many(held_out, ["model_use"], progress=False)

    reference = {k: v for k, v in reference_scores(dataset.feedback).items()
                 if k[1] == "model_use"}
    curve, made = learning_curve(fit_score, dataset, folds, reference, fractions=FRACTIONS,
                                 n_seeds=2, n_bootstrap=100, progress=False)
    assert len(fits) == sum(p.n_fits for p in curve.points)
    assert len(made) == len(fits) * len(folds[0][1])
    for seen, scored in fits:
        fold = next(f for f in folds if scored == set(f[1]))
        assert seen <= set(fold[0]) and not seen & scored
    assert [p.n_notebooks for p in curve.points] == [2.0, 4.0, 8.0]
    assert curve.points[-1].n_fits == 2  # the whole training fold: one fit per fold
    assert len({p.mae.estimate for p in curve.points}) == 1  # the judge ignores its training


def test_the_whole_training_fold_is_the_studys_full_variant(studied, dataset):
    result, seen = studied
    curve = result.learning_curve
    assert [p.fraction for p in curve.points] == list(FRACTIONS)
    assert curve.points[-1].mae == result.mae["full"]["all"]
    assert curve.baseline == result.mae["baseline"]["all"]
    assert [p.n_notebooks for p in curve.points] == [2.0, 4.0, 8.0]
    assert curve.points[0].gain is None and curve.points[1].gain is not None
    # the study's fits (one per fold), then the curve's; 100% reuses the study's
    assert len(seen) == 2 + sum(p.n_fits for p in curve.points[:-1])
    for cases in seen:
        assert any(cases <= set(train) and not cases & set(test)
                   for train, test in case_folds([c.case_id for c in dataset.cases], 2,
                                                 strata=[c.task_type or "unknown"
                                                         for c in dataset.cases]))
    per_fit = len(result.judgments["full"]) / 2
    assert result.usage["judgments"] == (len(result.judgments["baseline"])
                                         + len(result.judgments["full"])
                                         + per_fit * (len(seen) - 2))
    assert result.timings["learning_curve"] > 0


def test_results_json_holds_the_curve_and_its_verdict(studied):
    result, _ = studied
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    curve = data["learning_curve"]
    assert data["params"]["learning_curve"] == list(FRACTIONS)
    assert data["params"]["curve_seeds"] == 2
    assert set(curve) == {"variant", "n_seeds", "points", "baseline", "flattened",
                          "min_relative_gain", "verdict"}
    assert set(curve["points"][0]) == {"fraction", "n_notebooks", "n_grades", "n_fits", "mae",
                                       "gain"}
    assert curve["points"][-1]["mae"] == data["variants"]["full"]["mae"]
    assert curve["flattened"] == result.learning_curve.flattened
    assert curve["verdict"].startswith(("The learning curve has flattened",
                                        "More grades would still pay"))
    assert AlignmentStudy().learning_curve is None  # off unless asked for
    assert dataclasses.replace(result, learning_curve=None).to_dict()["learning_curve"] is None


def _with_last_gain(result, gain: Interval) -> dict:
    points = (CurvePoint(0.5, 10.0, 80.0, 5, Interval(0.25, 0.2, 0.3), None),
              CurvePoint(1.0, 20.0, 160.0, 1, Interval(0.25 - gain.estimate, 0.15, 0.25), gain))
    curve = LearningCurve(points, n_seeds=5, baseline=Interval(0.4, 0.35, 0.45))
    return dataclasses.replace(result, learning_curve=curve).to_dict()["learning_curve"]


@pytest.mark.parametrize(
    ("gain", "flattened", "words"),
    [
        (Interval(0.05, 0.02, 0.08), False,
         ["More grades would still pay: the last step, from 50% to 100% of each training fold "
          "(10.0 to 20.0 graded notebooks), changed the aligned MAE from 0.250 to 0.200, a "
          "gain of +0.050 [95% CI +0.020, +0.080], a significant gain of at least 2% of the "
          "MAE before it"]),
        (Interval(0.01, -0.01, 0.03), True,
         ["The learning curve has flattened:", "a gain of +0.010 [95% CI -0.010, +0.030], "
          "within noise, so more grades like these are unlikely to pay."]),
        (Interval(-0.02, -0.05, 0.0), True, ["has flattened", "a gain of -0.020"]),
        (Interval(0.002, 0.0001, 0.005), True,  # significant, but below 2% of 0.250
         ["has flattened", "+0.002 [95% CI +0.000, +0.005], less than 2% of the MAE before it"]),
    ],
)
def test_the_verdict_says_flattened_or_still_paying(studied, gain, flattened, words):
    curve = _with_last_gain(studied[0], gain)
    assert curve["flattened"] is flattened
    for text in words:
        assert text in curve["verdict"]


def test_the_report_plot_and_files_show_the_curve(studied, tmp_path):
    result, _ = studied
    paths = save_study(result, tmp_path / "out")
    assert paths.plots["learning_curve"] == tmp_path / "out" / "plots" / "learning_curve.png"
    assert paths.plots["learning_curve"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    md = paths.report_md.read_text()
    verdict = result.to_dict()["learning_curve"]["verdict"]
    assert "## Learning curve: how many grades are enough" in md
    assert verdict.split(":")[0] in md and "(plots/learning_curve.png)" in md
    assert "| share of training fold | training notebooks |" in md
    assert "| 25% | 2.0 |" in md and "| 100% | 8.0 |" in md


def test_the_chart_draws_the_curve_its_band_and_the_baseline(studied):
    result, _ = studied
    fig = learning_curve_chart(result)
    ax = fig.axes[0]
    data = result.to_dict()["learning_curve"]
    line = next(ln for ln in ax.get_lines() if ln.get_label().startswith("aligned"))
    assert list(line.get_xdata()) == [2.0, 4.0, 8.0]
    assert np.allclose(line.get_ydata(), [p["mae"]["estimate"] for p in data["points"]])
    baseline = next(ln for ln in ax.get_lines() if ln.get_label().startswith("unaligned"))
    assert baseline.get_ydata()[0] == pytest.approx(data["baseline"]["estimate"])
    assert ax.get_title().startswith("Learning curve \u2014 ") and ax.collections  # CI band
    with pytest.raises(ValueError, match="no learning curve"):
        learning_curve_chart(dataclasses.replace(result, learning_curve=None))


def test_the_curve_is_logged_to_mlflow_as_stepped_metrics(studied, tmp_path):
    from mlflow import MlflowClient

    from memalign_nb.tracking import log_study

    result, _ = studied
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    run_id = log_study(result, save_study(result, tmp_path / "out"), tracking_uri=uri,
                       artifact_location=(tmp_path / "artifacts").as_uri())
    client = MlflowClient(tracking_uri=uri)
    history = client.get_metric_history(run_id, "learning_curve/mae")
    assert sorted(m.step for m in history) == [25, 50, 100]
    last = next(m.value for m in history if m.step == 100)
    assert last == pytest.approx(result.mae["full"]["all"].estimate, abs=1e-6)
    assert "plots/learning_curve.png" in {a.path for a in client.list_artifacts(run_id, "plots")}


@pytest.mark.parametrize("fractions", [(1.0,), (0.5, 0.25), (0.0, 0.5), (0.5, 1.5), (0.5, 0.5)])
def test_bad_fractions_are_refused(fractions, dataset):
    with pytest.raises(MemAlignError, match="at least two increasing shares in"):
        check_fractions(fractions)
    with pytest.raises(MemAlignError, match="at least two increasing shares in"):
        AlignmentStudy("heuristic", learning_curve=fractions).fit(dataset)


def test_curve_seeds_must_be_positive(dataset):
    with pytest.raises(MemAlignError, match="curve_seeds must be at least 1"):
        AlignmentStudy("heuristic", learning_curve=(0.5, 1.0), curve_seeds=0).fit(dataset)
