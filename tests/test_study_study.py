"""Tests of memalign_nb.study.study: cross-validation, fold isolation, results.

Most tests replace ``memalign_nb.align`` by an instrumented stand-in that records what
each fit receives, so the study's own logic is checked exactly; the last one runs the real
MemAlign and proves on its memories that no held-out case reaches them.
"""

from __future__ import annotations

import json
import re
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone

from memalign_nb.datasets.model import Case, Dataset
from memalign_nb.dimensions import DIMENSIONS
from memalign_nb.errors import MemAlignError, UnknownNameError
from memalign_nb.feedback import reference_scores
from memalign_nb.feedback.model import Grade
from memalign_nb.judges.scripted import ScriptedJudge
from memalign_nb.memory.guidelines import Guideline
from memalign_nb.notebooks.model import Cell, Notebook
from memalign_nb.study import AlignmentStudy, StudyResult
from memalign_nb.study.metrics import agreement_metrics

DOCS = Path(__file__).resolve().parents[1] / "docs" / "results-json.md"
DIMS = ("data_imputation", "model_training", "model_use")


def make_dataset(n_cases: int = 24, seed: int = 0) -> Dataset:
    """Cases with two raters' grades on DIMS (rater b sometimes one point off)."""
    rng = np.random.default_rng(seed)
    cases, grades = [], []
    for i in range(n_cases):
        case_id = f"case-{i:02d}"
        notebook = Notebook(f"{case_id}.ipynb", (Cell(0, "code", "import pandas as pd"),))
        cases.append(Case(case_id, notebook, task_type=("classification", "regression")[i % 2]))
        for dim in DIMS:
            score = int(rng.choice([0, 1, 2, 3], p=[0.1, 0.3, 0.3, 0.3]))
            grades.append(Grade(case_id, dim, score, f"why {case_id}", "a"))
            if score and rng.random() < 0.5:
                grades.append(Grade(case_id, dim, max(1, min(3, score + 1)), "b says", "b"))
    return Dataset("memory://test", tuple(cases), tuple(grades))


def lenient_judge(dataset: Dataset) -> ScriptedJudge:
    """A baseline judge one point too lenient on every applicable item below 3."""
    reference = reference_scores(dataset.feedback)
    scores = {key: min(3, int(ref + 0.5) + 1) if ref else 0 for key, ref in reference.items()}
    return ScriptedJudge(scores, judge_id="lenient", dimensions=DIMENSIONS)


class FakeMemAlign:
    """Stands in for memalign_nb.align.MemAlign and records every fit.

    Its aligned judges are oracles where memory is on: ``full`` returns the experts'
    rounded reference, ``episodic`` does so on even-numbered cases, ``semantic`` keeps
    the baseline's scores.
    """

    fits: list[dict] = []
    truth: dict[tuple[str, str], int] = {}

    def __init__(self, **params):
        self.params = params

    def fit(self, judge, dataset):
        fit = {"params": self.params, "cases": [c.case_id for c in dataset.cases],
               "feedback": [g.case_id for g in dataset.feedback], "scored": []}
        FakeMemAlign.fits.append(fit)
        semantic, episodic = self.params["semantic"], self.params["episodic"]

        def score(case, dim):
            fit["scored"].append(case.case_id)
            even = int(case.case_id[-2:]) % 2 == 0
            if episodic and (semantic or even):
                return FakeMemAlign.truth[(case.case_id, dim)]
            return judge.score(case, dim).score

        aligned = ScriptedJudge(score, judge_id=f"aligned-{judge.judge_id}")
        aligned.guidelines = (
            [Guideline(dim, f"Do not reward {dim} by default.", tuple(fit["cases"][:2]))
             for dim in self.params["dimensions"]] if semantic else []
        )
        return aligned


@pytest.fixture
def fake_align(monkeypatch, dataset):
    FakeMemAlign.fits = []
    FakeMemAlign.truth = {k: int(v + 0.5) for k, v in reference_scores(dataset.feedback).items()}
    module = types.ModuleType("memalign_nb.align")
    module.MemAlign = FakeMemAlign
    monkeypatch.setitem(sys.modules, "memalign_nb.align", module)
    return FakeMemAlign


@pytest.fixture
def dataset():
    return make_dataset()


def run(dataset, **options):
    options = {"n_bootstrap": 400, "progress": False, "concurrency": 2} | options
    return AlignmentStudy(lenient_judge(dataset), **options).fit(dataset).result_


def test_each_fold_aligns_on_the_other_folds_only_and_scores_its_held_out_cases(
    fake_align, dataset
):
    result = run(dataset)
    assert len(fake_align.fits) == 4 * 3  # folds x aligned variants, each fit fresh
    held_out_by_fold = [set(f) for f in result.folds]
    assert sorted(c for f in held_out_by_fold for c in f) == [c.case_id for c in dataset.cases]
    for i, fit in enumerate(fake_align.fits):
        held_out = held_out_by_fold[i // 3]
        assert not held_out & set(fit["cases"]), "a held-out notebook reached alignment"
        assert not held_out & set(fit["feedback"]), "held-out feedback reached alignment"
        assert set(fit["cases"]) | held_out == {c.case_id for c in dataset.cases}
        assert set(fit["scored"]) == held_out
    flags = [(f["params"]["semantic"], f["params"]["episodic"]) for f in fake_align.fits[:3]]
    assert flags == [(True, False), (False, True), (True, True)]
    assert fake_align.fits[0]["params"]["dimensions"] == DIMS


def test_metrics_intervals_and_improvements_follow_the_judgments(fake_align, dataset):
    result = run(dataset)
    reference = {k: v for k, v in reference_scores(dataset.feedback).items()}
    for variant in result.variants:
        assert result.metrics[variant] == agreement_metrics(result.judgments[variant], reference)
    base, full = result.metrics["baseline"], result.metrics["full"]
    for dim in DIMS:
        assert base[dim].signed_error > 0  # the scripted baseline is lenient
        assert full[dim].exact_agreement == 1.0 and full[dim].mae < base[dim].mae
        assert result.metrics["episodic"][dim].mae < base[dim].mae
        assert result.metrics["semantic"][dim] == base[dim]
        assert result.mae["full"][dim].estimate == pytest.approx(full[dim].mae)
        imp = result.improvement["full"][dim]
        assert imp.estimate == pytest.approx(base[dim].mae - full[dim].mae)
        assert imp.low <= imp.estimate <= imp.high
    pooled = result.mae["baseline"]["all"]
    errors = [abs(j.score - reference[(j.case_id, j.dimension)])
              for j in result.judgments["baseline"] if reference[(j.case_id, j.dimension)] > 0]
    assert pooled.estimate == pytest.approx(np.mean(errors))
    assert result.improvement["full"]["all"].excludes_zero
    assert not result.improvement["semantic"]["all"].excludes_zero  # identical: CI is [0, 0]
    assert "baseline" not in result.improvement


def test_the_baseline_scores_every_case_once_and_aligned_variants_every_held_out_case(
    fake_align, dataset
):
    result = run(dataset)
    for variant in result.variants:
        keys = [(j.case_id, j.dimension) for j in result.judgments[variant]]
        assert len(keys) == len(set(keys)) == len(dataset.cases) * len(DIMS)
    assert result.dataset == {"path": "memory://test", "n_cases": 24,
                              "n_grades": len(dataset.feedback), "n_raters": 2}
    assert set(result.noise_floor) == set(DIMS)
    assert result.params["judge"] == "lenient" and result.params["n_cases"] == 24


def test_guidelines_are_kept_per_variant_and_fold_and_ranked_across_folds(fake_align, dataset):
    result = run(dataset, variants=("baseline", "semantic", "full"))
    assert {(g["variant"], g["fold"]) for g in result.guidelines} == {
        (v, f) for v in ("semantic", "full") for f in (1, 2, 3, 4)}
    top = result.top_guidelines()
    assert [g["dimension"] for g in top] == list(DIMS)
    # the same text in every fold is one guideline (same id) learned in 4 folds
    assert all(g["n_folds"] == 4 and g["folds"] == [1, 2, 3, 4] for g in top)
    assert all(g["support"] == 4 * 2 for g in top)
    assert len(result.learned_guidelines("semantic")["model_use"]) == 1


def test_same_seed_same_figures_other_seed_other_folds(fake_align, dataset):
    def figures(result: StudyResult) -> dict:
        data = result.to_dict()
        return {k: v for k, v in data.items() if k not in ("timings", "created_at")}

    assert figures(run(dataset, seed=3)) == figures(run(dataset, seed=3))
    assert run(dataset, seed=3).folds != run(dataset, seed=4).folds


def test_failed_judgments_are_counted_not_scored(fake_align, dataset):
    judge = lenient_judge(dataset)
    missing = ("case-00", "model_use")
    judge.scores.pop(missing)
    result = AlignmentStudy(judge, variants=("baseline",), n_bootstrap=100,
                            progress=False).fit(dataset).result_
    assert result.usage["failures"] == 1
    assert result.metrics["baseline"]["model_use"].n_failed == 1
    assert result.to_dict()["dimensions"]["model_use"]["baseline"]["n_failed"] == 1


def _failing_baseline(dataset, share: float):
    """The lenient judge failing on every n-th graded item, as a flaky LLM would."""
    judge = lenient_judge(dataset)
    keys = sorted(judge.scores)
    for key in keys[:: max(1, round(1 / share))]:
        judge.scores.pop(key)
    return judge


def test_variants_are_compared_only_on_items_all_of_them_scored(fake_align, dataset):
    judge = _failing_baseline(dataset, 0.03)
    result = AlignmentStudy(judge, n_bootstrap=400, progress=False).fit(dataset).result_
    failed = {(j.case_id, j.dimension) for j in result.judgments["baseline"] if not j.ok}
    reference = reference_scores(dataset.feedback)
    compared = {k: v for k, v in reference.items() if k not in failed}
    for variant in result.variants:  # the full variant is scored on the failed items too
        expected = agreement_metrics(result.judgments[variant], compared)
        for dim in DIMS:
            assert result.metrics[variant][dim].mae == pytest.approx(expected[dim].mae)
            assert result.metrics[variant][dim].n == expected[dim].n
    data = result.to_dict()
    assert data["comparison"] == {"items": len(reference), "compared": len(compared),
                                  "left_out": len(failed), "max_failed": 0.05,
                                  "significance_tested": True}
    assert data["variants"]["full"]["significantly_better"]


def test_too_many_failures_and_nothing_is_called_significant(fake_align, dataset):
    judge = _failing_baseline(dataset, 0.33)
    result = AlignmentStudy(judge, n_bootstrap=400, progress=False).fit(dataset).result_
    data = result.to_dict()
    assert data["comparison"]["significance_tested"] is False
    assert not any(row[v].get("significant") for row in data["dimensions"].values()
                   for v in result.aligned_variants)
    assert data["variants"]["full"]["significantly_better"] == []
    relaxed = AlignmentStudy(judge, n_bootstrap=400, progress=False,
                             max_failed=0.5).fit(dataset).result_.to_dict()
    assert relaxed["comparison"]["significance_tested"] is True
    assert relaxed["variants"]["full"]["significantly_better"]


def test_a_baseline_only_study_needs_no_alignment(monkeypatch, dataset):
    monkeypatch.setitem(sys.modules, "memalign_nb.align", None)  # importing it would fail
    result = run(dataset, variants=("baseline",))
    assert result.headline_variant is None and result.improvement == {}
    assert result.to_dict()["variants"]["baseline"]["mae"]["estimate"] > 0


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"variants": ("baseline", "fancy")}, UnknownNameError, "unknown study variant 'fancy'"),
        ({"variants": ()}, MemAlignError, "variants must be distinct"),
        ({"n_bootstrap": 0}, MemAlignError, "n_bootstrap >= 1"),
        ({"n_folds": 30}, MemAlignError, "cannot make 30 folds from 24 cases"),
        ({"dimensions": ("nope",)}, UnknownNameError, "unknown dimension 'nope'"),
    ],
)
def test_bad_parameters_raise_clear_errors(fake_align, dataset, options, error, message):
    with pytest.raises(error, match=re.escape(message)):
        run(dataset, **options)


def test_a_dataset_without_grades_is_refused(fake_align, dataset):
    with pytest.raises(MemAlignError, match="memory://test: the dataset has no human grades"):
        run(Dataset(dataset.path, dataset.cases, ()))


def test_results_json_has_every_documented_field_and_no_undocumented_one(fake_align, dataset):
    data = run(dataset).to_dict()
    json.dumps(data, allow_nan=False)  # strict JSON: undefined values are null, never NaN
    documented = _documented_fields()
    sections = {
        "Top level": data,
        "params": data["params"],
        "dataset": data["dataset"],
        "dimensions.<dimension>.<variant>": {
            **data["dimensions"]["model_use"]["full"], **data["dimensions"]["all"]["baseline"]},
        "dimensions.<dimension>.noise_floor": data["dimensions"]["model_use"]["noise_floor"],
        "variants.<variant>": {**data["variants"]["baseline"], **data["variants"]["full"]},
        "guidelines[]": data["guidelines"][0],
    }
    for title, block in sections.items():
        assert set(block) == documented[title], title
    assert set(data["timings"]) == {"baseline", "align", "align_per_fold_dimension", "score",
                                    "statistics", "total"}
    assert set(data["usage"]) == {"judgments", "model_calls", "retries", "cache_hits",
                                  "failures", "prompt_tokens", "completion_tokens"}
    assert set(data["comparison"]) == documented["comparison"]
    row = data["dimensions"]["model_use"]["full"]
    assert row["reduction"] == pytest.approx(
        row["improvement"]["estimate"] / data["dimensions"]["model_use"]["baseline"]["mae"],
        abs=1e-5)
    assert np.array(row["confusion"]).shape == (4, 4)


def _documented_fields() -> dict[str, set[str]]:
    """Field names of each table in docs/results-json.md, by section title."""
    fields: dict[str, set[str]] = {}
    title = None
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            title = line[3:].strip().strip("`")
        elif line.startswith("| `") and title:
            names = re.findall(r"`([a-z_]+)`", line.split("|")[1])
            fields.setdefault(title, set()).update(names)
    return fields


@pytest.mark.slow
def test_real_memalign_never_sees_a_held_out_case(tmp_path, monkeypatch):
    from memalign_nb import align
    from memalign_nb.datasets import generate_dataset, load_dataset
    from memalign_nb.memory.episodic import EpisodicMemory

    dataset = load_dataset(generate_dataset(tmp_path / "ds", n_cases=16, seed=1))
    fits: list[dict[str, set[str]]] = []  # per fit: what it received, what its memory stored
    original_add, original_fit = EpisodicMemory.add, align.MemAlign.fit

    def add(memory, examples):
        examples = list(examples)
        fits[-1]["stored"] |= {e.case_id for e in examples}
        return original_add(memory, examples)

    def fit(estimator, judge, data):
        seen = {c.case_id for c in data.cases} | {g.case_id for g in data.feedback}
        fits.append({"seen": seen, "stored": set()})
        # Uncalibrated, every dimension's neighbours vote, so held-out scoring retrieves.
        return original_fit(estimator.set_params(calibrate=False), judge, data)

    monkeypatch.setattr(EpisodicMemory, "add", add)
    monkeypatch.setattr(align.MemAlign, "fit", fit)
    result = AlignmentStudy("heuristic", n_folds=2, n_bootstrap=100, progress=False,
                            variants=("baseline", "episodic", "full")).fit(dataset).result_
    assert len(fits) == 2 * 2  # folds x aligned variants
    for i, fit_record in enumerate(fits):
        held_out = set(result.folds[i // 2])
        assert fit_record["stored"], "episodic memory stored nothing: the check proves nothing"
        assert not fit_record["seen"] & held_out
        assert not fit_record["stored"] & held_out
    fold_of = result.fold_of()
    retrieved = 0
    for variant in ("episodic", "full"):
        for judgment in result.judgments[variant]:
            held_out = set(result.folds[fold_of[judgment.case_id] - 1])
            assert not set(judgment.retrieved_ids) & held_out, judgment
            retrieved += len(judgment.retrieved_ids)
    assert retrieved, "no judgment retrieved an example: the check proves nothing"


def test_study_is_a_scikit_learn_estimator():
    study = AlignmentStudy("heuristic", n_folds=3, variants=("baseline", "full"))
    copy = clone(study).set_params(n_folds=5)
    assert (copy.n_folds, study.n_folds) == (5, 3)
    assert copy.get_params(deep=False) == {**study.get_params(deep=False), "n_folds": 5}
