"""Tests of memalign_nb.align.calibration: the per-dimension blend chosen on held-out items."""

from __future__ import annotations

import dataclasses

import nbformat
import pytest

from memalign_nb.align import MemAlign
from memalign_nb.align.blend import BlendWeights
from memalign_nb.align.calibration import (
    BASE,
    MARGIN,
    Calibration,
    CandidateScore,
    candidate_blends,
    choose,
    read_calibration,
)
from memalign_nb.datasets import Case, Dataset, generate_dataset, load_dataset
from memalign_nb.errors import MemAlignError
from memalign_nb.feedback.model import Grade
from memalign_nb.judges.scripted import ScriptedJudge
from memalign_nb.notebooks import reads_notebook

DIM = "model_training"
MODELS = ("RandomForestClassifier", "LogisticRegression", "GradientBoostingClassifier",
          "KNeighborsClassifier", "SVC", "DecisionTreeClassifier", "ExtraTreesClassifier")


def notebook(model: str, twin: int) -> Case:
    """A small training notebook; twins 1, 2, ... of a model add a comment to twin 0 (their
    sections are about 0.94 similar, other models' about 0.6)."""
    name = model.lower()
    cells = [
        f"import pandas as pd\nfrom sklearn.model_selection import train_test_split\n"
        f"df_{name} = pd.read_csv('{name}.csv')",
        f"X_{name}, y_{name} = df_{name}.drop(columns='target'), df_{name}['target']\n"
        f"X_train, X_test, y_train, y_test = train_test_split(X_{name}, y_{name})",
        f"from sklearn.ensemble import *\nmodel_{name} = {model}()\n"
        f"model_{name}.fit(X_train, y_train)" + ("\n# second take" if twin else ""),
    ]
    text = nbformat.writes(nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(c) for c in cells]))
    case_id = f"{name}-{twin}"
    return Case(case_id, reads_notebook(text, f"{case_id}.ipynb"))


def twins(score_of) -> Dataset:
    """Twin notebooks of each model; ``score_of(model_index, twin)`` is the experts' score."""
    cases, grades = [], []
    for index, model in enumerate(MODELS):
        for twin in (0, 1):
            case = notebook(model, twin)
            cases.append(case)
            grades.append(Grade(case.case_id, DIM, score_of(index, twin), "why", rater="expert"))
    return Dataset("<twins>", tuple(cases), tuple(grades))


# Twins graded alike (a model's twins 1 or 3): the nearest neighbour knows the answer.
INFORMATIVE = twins(lambda index, twin: 1 if index % 2 else 3)
# Twins graded apart (1 and 3): the nearest neighbour is always wrong.
MISLEADING = twins(lambda index, twin: 1 if twin else 3)


def judge() -> ScriptedJudge:
    """Scores every item 2: one point off every expert grade above."""
    return ScriptedJudge({}, default=2)


def test_the_grid_starts_with_the_base_judge_and_respects_the_variant_switches():
    weights = BlendWeights(base_weight=2.0, neighbour_weight=8.0, min_similarity=0.4, k=3)
    full = candidate_blends(weights, rules=True, neighbours=True)
    names = [c.name for c in full]
    assert names[0] == BASE and len(set(names)) == len(names)
    base = full[0].weights
    assert (base.rules, base.neighbour_weight) == (False, 0.0)
    assert names[1] == "rules" and full[1].weights.rules
    assert "neighbours(correction, 1)" in names and "rules+neighbours(expert, 16)" in names
    assert "rules+neighbours(correction, 1)" not in names  # a rule already carried the error
    assert "neighbours(correction, 8)" in names  # the configured weight joins the grid
    assert all(c.weights.k == 3 and c.weights.min_similarity == 0.4 for c in full)
    assert all(c.weights.base_weight == 2.0 for c in full)
    # Simplest first: within one kind, lighter neighbours before heavier ones.
    assert names.index("neighbours(correction, 1)") < names.index("neighbours(expert, 16)")
    assert names.index("neighbours(expert, 16)") < names.index("rules+neighbours(expert, 1)")
    assert [c.name for c in candidate_blends(weights, rules=True, neighbours=False)] == [
        BASE, "rules"]
    no_rules = [c.name for c in candidate_blends(weights, rules=False, neighbours=True)]
    assert no_rules[0] == BASE and not any("rules" in n for n in no_rules)
    assert len(no_rules) == 1 + 4 * 2  # weights 1, 4, 8, 16 in two modes


def score(name: str, error: float | None, wrong: int = 0, se: float = 0.0) -> CandidateScore:
    return CandidateScore(name, error, wrong, error, se)


def test_choose_keeps_the_simpler_candidate_unless_a_complex_one_gains_the_margin():
    assert choose([score(BASE, 0.40), score("a", 0.39), score("b", 0.385)]).name == BASE
    assert choose([score(BASE, 0.40), score("a", 0.30), score("b", 0.29)]).name == "a"
    assert choose([score(BASE, 0.40), score("a", 0.35), score("b", 0.20)]).name == "b"
    assert choose([score(BASE, 0.40), score("a", 0.30), score("b", 0.30)]).name == "a"  # tie
    assert choose([score(BASE, 0.40), score("a", 0.30)], margin=0.2).name == BASE
    assert MARGIN > 0


def test_choose_compares_errors_with_applicability_counted_and_needs_items():
    """The error includes applicability mistakes: a lower MAE bought with them loses."""
    scores = [CandidateScore(BASE, 0.40, 1, 0.45, 0.0), CandidateScore("a", 0.10, 9, 0.55, 0.0),
              CandidateScore("b", 0.30, 1, 0.32, 0.0)]
    assert choose(scores).name == "b"
    assert choose([score(BASE, None), score("a", None)]).name == BASE


def test_a_gain_within_its_own_noise_is_not_taken():
    """0.10 better, but the per-item gains scatter: 1.5 standard errors is 0.15."""
    noisy = [score(BASE, 0.40), score("a", 0.30, se=0.10)]
    assert choose(noisy).name == BASE
    assert choose(noisy, noise_z=0.5).name == "a"
    assert choose([score(BASE, 0.40), score("a", 0.30, se=0.05)]).name == "a"
    assert choose([score(BASE, 0.40), CandidateScore("a", 0.1, 0, 0.1, None)]).name == BASE


def test_informative_neighbours_are_chosen_and_decide_held_out_cases():
    aligned = MemAlign(k=1, semantic=False).fit(judge(), INFORMATIVE)
    calibration = aligned.calibration_[DIM]
    assert calibration.n_items == len(INFORMATIVE.cases)
    assert calibration.base_mae == pytest.approx(1.0)
    # Weight 1 cannot outvote the base score: 4 is the lightest blend with no error.
    assert calibration.choice == "neighbours(correction, 4)" and calibration.mae == 0.0
    assert aligned.engine.weights_for(aligned.state, DIM).neighbour_weight == 4.0
    new = notebook(MODELS[1], twin=2)  # a new case, the same text as twin 1 of a model graded 1
    judgment = aligned.score(new, DIM)
    assert judgment.score == 1 and judgment.retrieved_ids == ("logisticregression-1",)
    assert judgment.metadata["blend"] == "neighbours(correction, 4)"
    assert ("Blend neighbours(correction, 4), chosen on 14 graded training items, each "
            "scored without its own grade (MAE 0.00; unaligned judge 1.00)") in judgment.rationale
    assert aligned.summary()[DIM]["blend"] == calibration.choice


def test_misleading_neighbours_leave_the_base_judge_alone():
    """Each case's own example would be its perfect neighbour: leaving it out is what
    shows that the nearest *other* notebook is always wrong."""
    aligned = MemAlign(k=1, semantic=False).fit(judge(), MISLEADING)
    calibration = aligned.calibration_[DIM]
    assert calibration.choice == BASE and calibration.mae == calibration.base_mae == 1.0
    maes = {s.name: s.mae for s in calibration.scores}
    assert maes["neighbours(expert, 4)"] == maes["neighbours(correction, 16)"] == 2.0
    assert min(maes.values()) == 1.0  # weight 1 cannot outvote the base score: a tie
    judgment = aligned.score(notebook(MODELS[0], twin=2), DIM)
    assert judgment.score == 2 and judgment.metadata["blend"] == BASE
    assert "Memories do not vote on this dimension" in judgment.rationale
    assert judgment.retrieved_ids == ()  # neighbours without weight are not searched
    uncalibrated = MemAlign(k=1, semantic=False, calibrate=False).fit(judge(), MISLEADING)
    assert uncalibrated.calibration_ == {} and uncalibrated.summary()[DIM]["blend"] == "global"
    moved = uncalibrated.score(notebook(MODELS[0], twin=2), DIM)
    assert moved.metadata["blend"] == "global" and moved.score != 2  # what calibration avoids


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Dataset:
    data = load_dataset(generate_dataset(tmp_path_factory.mktemp("ds") / "ds", 16, seed=3))
    dims = ("feature_engineering", "cell_organization")
    return dataclasses.replace(data, feedback=tuple(g for g in data.feedback
                                                    if g.dimension in dims))


@pytest.mark.parametrize(("semantic", "episodic", "absent"),
                         [(True, False, "neighbours"), (False, True, "rules")])
def test_variant_switches_limit_the_candidates(generated, semantic, episodic, absent):
    aligned = MemAlign(semantic=semantic, episodic=episodic).fit(ScriptedJudge({}, default=2),
                                                                generated)
    assert set(aligned.calibration_) == set(aligned.aligned_dimensions)
    for calibration in aligned.calibration_.values():
        names = [s.name for s in calibration.scores]
        assert names[0] == BASE and len(names) > 1
        assert not any(absent in name for name in names)
        assert absent not in calibration.choice


@pytest.mark.parametrize("policy", ["all", "disagreements"])
def test_leave_one_out_scores_are_what_the_judge_scores_on_its_training_cases(generated,
                                                                             policy):
    """Without rules, scoring a training case already leaves it out (a case is never its
    own neighbour): each candidate's leave-one-out MAE must be that judge's MAE."""
    from memalign_nb.feedback import reference_scores
    from memalign_nb.study.metrics import agreement_metrics

    calibrated = MemAlign(semantic=False, episodic_policy=policy).fit(judge(), generated)
    reference = reference_scores(generated.feedback)
    for name, total, mode in [("neighbours(correction, 4)", 4.0, "correction"),
                              ("neighbours(expert, 16)", 16.0, "expert")]:
        fixed = MemAlign(semantic=False, episodic_policy=policy, calibrate=False,
                         neighbour_weight=total, neighbour_mode=mode).fit(judge(), generated)
        metrics = agreement_metrics(fixed.score_many(generated.cases, progress=False),
                                    reference)
        for dimension, calibration in calibrated.calibration_.items():
            [loo] = [s for s in calibration.scores if s.name == name]
            assert loo.mae == pytest.approx(metrics[dimension].mae), (name, dimension)


def test_add_feedback_and_forget_calibrate_as_a_fresh_fit_would(generated):
    ids = [c.case_id for c in generated.cases]
    grown = MemAlign().fit(judge(), generated.subset(ids[:8]))
    grown.add_feedback(generated)
    fresh = MemAlign().fit(judge(), generated)
    assert grown.calibration_ == fresh.calibration_
    assert {c.n_items for c in fresh.calibration_.values()} != {0}
    fresh.forget(ids[:5])
    refit = MemAlign().fit(judge(), generated.subset(ids[5:]))
    assert fresh.calibration_ == refit.calibration_
    assert all(c.n_items <= 11 for c in fresh.calibration_.values())


def test_changed_grades_switch_the_blend():
    """Experts change their minds: the twins' grades that misled now inform."""
    aligned = MemAlign(k=1, semantic=False).fit(judge(), MISLEADING)
    assert aligned.calibration_[DIM].choice == BASE
    regraded = dataclasses.replace(MISLEADING, feedback=INFORMATIVE.feedback)
    update = aligned.add_feedback(regraded)
    assert update.grades_added == len(MODELS)  # only the twins whose score changed
    assert aligned.calibration_[DIM].choice == "neighbours(correction, 4)"


def test_records_round_trip_and_bad_records_are_refused():
    aligned = MemAlign(k=1, semantic=False).fit(judge(), INFORMATIVE)
    saved = {d: c.to_dict() for d, c in aligned.calibration_.items()}
    assert read_calibration(saved, (DIM,)) == aligned.calibration_
    with pytest.raises(MemAlignError, match="not aligned"):
        read_calibration(saved, ("model_use",))
    broken = {DIM: {**saved[DIM], "weights": {**saved[DIM]["weights"], "k": 0}}}
    with pytest.raises(MemAlignError, match="k must be"):
        read_calibration(broken, (DIM,))
    with pytest.raises(MemAlignError, match="not among the candidates"):
        Calibration.from_dict({**saved[DIM], "choice": "rules"})
    with pytest.raises(MemAlignError, match="not a calibration record"):
        Calibration.from_dict({"dimension": DIM})
    with pytest.raises(MemAlignError, match="calibrate must be True or False"):
        MemAlign(calibrate="yes").fit(judge(), INFORMATIVE)
