"""Tests of memalign_nb.study.result: StudyResult.to_dict (results.json) and its helpers.

The result is built by hand from known metrics and intervals, so every derived figure
(reduction, significance, pooled rows, guideline ranking) can be checked exactly.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from memalign_nb.feedback import NoiseFloor
from memalign_nb.study.bootstrap import Interval
from memalign_nb.study.metrics import dimension_metrics
from memalign_nb.study.result import POOLED, StudyResult, ci_label, finite

NAN = float("nan")


def make_result(guidelines=(), variants=("baseline", "semantic", "full")) -> StudyResult:
    reference = np.array([1.0, 2.0, 3.0, 0.0])
    scores = {"baseline": [2.0, 3.0, 3.0, 2.0], "semantic": [2.0, 2.0, 3.0, 0.0],
              "full": [1.0, 2.0, 3.0, 0.0]}
    dims = ("data_imputation", "model_use")
    metrics = {v: {d: dimension_metrics(d, reference, np.array(scores[v])) for d in dims}
               for v in variants}
    mae = {
        "baseline": {"data_imputation": Interval(2 / 3, 0.3, 1.0), "model_use": Interval(
            2 / 3, 0.3, 1.0), POOLED: Interval(2 / 3, 0.4, 0.9)},
        "semantic": {"data_imputation": Interval(1 / 3, 0.0, 0.7), "model_use": Interval(
            0.8, 0.5, 1.1), POOLED: Interval(1 / 3, 0.1, 0.6)},
        "full": {"data_imputation": Interval(0.0, 0.0, 0.0), "model_use": Interval(
            NAN, NAN, NAN), POOLED: Interval(0.0, 0.0, 0.0)},
    }
    improvement = {
        "semantic": {"data_imputation": Interval(1 / 3, -0.1, 0.7), "model_use": Interval(
            -0.2, -0.4, -0.05), POOLED: Interval(1 / 3, 0.05, 0.6)},
        "full": {"data_imputation": Interval(2 / 3, 0.3, 1.0), "model_use": Interval(
            NAN, NAN, NAN), POOLED: Interval(2 / 3, 0.4, 0.9)},
    }
    floor = NoiseFloor("data_imputation", 3, 2, 2, 0.5, 0.5, 1.0, None)
    return StudyResult(
        params={"judge": "heuristic", "confidence": 0.9}, dimensions=dims,
        variants=tuple(variants), folds=(("a", "b"), ("c", "d")),
        judgments={v: () for v in variants},
        metrics=metrics,
        mae={v: mae[v] for v in variants},
        improvement={v: improvement[v] for v in variants if v != "baseline"},
        noise_floor={"data_imputation": floor}, guidelines=tuple(guidelines),
        dataset={"path": "ds", "n_cases": 4, "n_grades": 8, "n_raters": 2},
    )


def guideline(text, fold, support, dim="data_imputation", variant="full"):
    return {"dimension": dim, "text": text, "id": f"g-{abs(hash(text)) % 10**12:012d}",
            "engine": "rules", "support": support, "variant": variant, "fold": fold}


def test_rows_carry_metrics_intervals_and_derived_improvement_figures():
    data = make_result().to_dict()
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    row = data["dimensions"]["data_imputation"]
    assert row["baseline"]["mae"] == pytest.approx(0.666667)
    assert (row["baseline"]["ci_low"], row["baseline"]["ci_high"]) == (0.3, 1.0)
    assert row["baseline"]["signed_error"] == pytest.approx(0.666667)
    assert row["baseline"]["confusion"][0] == [0, 0, 1, 0]
    assert "improvement" not in row["baseline"]
    full = row["full"]
    assert full["improvement"] == {"estimate": 0.666667, "low": 0.3, "high": 1.0}
    assert full["reduction"] == 1.0 and full["significant"] is True
    semantic = row["semantic"]
    assert semantic["reduction"] == 0.5 and semantic["significant"] is False
    assert row["noise_floor"]["mae"] == 0.5 and row["noise_floor"]["alpha"] is None


def test_undefined_figures_are_null_and_a_negative_improvement_is_significantly_worse():
    data = make_result().to_dict()
    full = data["dimensions"]["model_use"]["full"]
    assert full["mae"] is None and full["improvement"]["estimate"] is None
    assert full["reduction"] is None and full["significant"] is False
    assert "noise_floor" not in data["dimensions"]["model_use"]
    semantic = data["variants"]["semantic"]
    assert semantic["significantly_better"] == []
    assert semantic["significantly_worse"] == ["model_use"]
    assert data["variants"]["full"]["significantly_better"] == ["data_imputation"]
    assert set(data["variants"]["baseline"]) == {"mae"}


def test_pooled_row_sums_support_and_weights_signed_error_by_it():
    data = make_result().to_dict()
    pooled = data["dimensions"][POOLED]["baseline"]
    assert pooled["n"] == 6 and pooled["mae"] == pytest.approx(0.666667)
    assert pooled["signed_error"] == pytest.approx(0.666667)
    assert pooled["n_failed"] == 0 and "confusion" not in pooled


def test_headline_variant_is_the_best_aligned_one():
    import dataclasses

    assert make_result().headline_variant == "full"
    assert make_result(variants=("baseline", "semantic")).headline_variant == "semantic"
    assert make_result(variants=("baseline",)).headline_variant is None
    result = make_result()
    better = {**result.mae, "semantic": {**result.mae["semantic"],
                                         POOLED: Interval(-0.0, 0.0, 0.0)}}
    tie = dataclasses.replace(result, mae=better)
    assert tie.headline_variant == "full"  # a tie goes to the variant with more memory
    better["semantic"][POOLED] = Interval(-0.1, -0.2, 0.0)
    assert dataclasses.replace(result, mae=better).headline_variant == "semantic"


def test_guidelines_are_grouped_across_folds_and_ranked_by_folds_then_support():
    rows = [
        guideline("fit imputers on the training split", 1, 5),
        guideline("fit imputers on the training split", 2, 4),
        guideline("median beats mean for skewed columns", 1, 30),
        guideline("only in semantic", 1, 50, variant="semantic"),
        guideline("a model_use rule", 2, 3, dim="model_use"),
    ]
    result = make_result(rows)
    learned = result.learned_guidelines()
    texts = [g["text"] for g in learned["data_imputation"]]
    assert texts == ["fit imputers on the training split", "median beats mean for skewed columns"]
    first = learned["data_imputation"][0]
    assert (first["folds"], first["n_folds"], first["support"]) == ([1, 2], 2, 9)
    assert [g["text"] for g in result.learned_guidelines("semantic")["data_imputation"]] == [
        "only in semantic"]
    assert [g["text"] for g in result.top_guidelines(per_dimension=1)] == [
        "fit imputers on the training split", "a model_use rule"]
    data = result.to_dict()
    assert data["n_guidelines"] == 3 and len(data["guidelines"]) == 3


def test_fold_numbers_and_labels():
    result = make_result()
    assert result.fold_of() == {"a": 1, "b": 1, "c": 2, "d": 2}
    assert ci_label(result.to_dict()) == "90% CI" and ci_label({}) == "95% CI"
    assert finite(NAN) is None and finite(None) is None and finite(1 / 3) == 0.333333
    assert not math.isnan(finite(0.0))
