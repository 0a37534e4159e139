"""Tests of memalign_nb.memory.guidelines: Guideline records and GuidelineSet."""

from __future__ import annotations

import json

import pytest
from langchain_core.embeddings import Embeddings

from memalign_nb.errors import MemoryDataError
from memalign_nb.memory.guidelines import Guideline, GuidelineSet

DIM = "data_imputation"


def g(text: str, *sources: str, dimension: str = DIM, **kw) -> Guideline:
    return Guideline(dimension, text, sources, **kw)


def rule(fact: str, value, score: int, *sources: str, text: str | None = None) -> Guideline:
    condition = {"when": [{"fact": fact, "test": "equals", "value": value}], "score": score,
                 "order": 0, "n": len(sources), "agree": len(sources), "fixes": 0, "breaks": 0,
                 "gain": 0.0}
    return Guideline(DIM, text or f"When {fact} is {value}, score {score}.", sources,
                     condition=condition, engine="rules")


class TableEmbeddings(Embeddings):
    """Vectors by a keyword table: texts sharing a topic word are identical vectors."""

    TOPICS = ("leak", "missing", "plot")

    def embed_documents(self, texts):
        return [self.embed_query(t) for t in texts]

    def embed_query(self, text):
        return [1.0 if topic in text.lower() else 0.0 for topic in self.TOPICS] + [0.01]


def test_guideline_id_is_stable_and_fields_are_normalised():
    a = g("Fit  imputers on\ntraining data only.", "c2", "c1", "c2")
    b = g("Fit imputers on training data only.")
    assert a.id == b.id and a.id.startswith("g-") and len(a.id) == 14
    assert g("Fit imputers on training data only.", dimension="model_use").id != a.id
    assert a.text == "Fit imputers on training data only."
    assert a.source_case_ids == ("c1", "c2") and a.support == 2
    assert b.support == 0
    assert g("x", "a", support=7).support == 7


@pytest.mark.parametrize(
    "kwargs",
    [{"engine": "gpt"}, {"text": "  "}, {"dimension": ""}, {"support": -1},
     {"source_case_ids": "abc"}],
)
def test_invalid_guidelines_raise(kwargs):
    values = {"dimension": DIM, "text": "t", "source_case_ids": ("a",), **kwargs}
    with pytest.raises(MemoryDataError):
        Guideline(**values)


def test_rewordings_merge_and_union_provenance_keeping_the_older_text():
    gs = GuidelineSet()
    first = g("Fit imputers on the training split only, then transform the test split.", "a")
    stored = gs.add([
        first,
        g("fit imputers on the training split only; then transform the test split", "b", "a"),
    ])
    assert len(gs) == 1
    assert stored[1].id == first.id and stored[1].text == first.text
    assert stored[1].source_case_ids == ("a", "b") and stored[1].support == 2


def test_opposites_and_other_dimensions_do_not_merge():
    gs = GuidelineSet()
    gs.add([
        g("Score 1 when the imputer is fitted before the split.", "a"),
        g("Score 3 when the imputer is fitted before the split.", "b"),
        g("Score 1 when the imputer is fitted after the split.", "c"),
        g("Score 1 when the imputer is not fitted before the split.", "d"),
        g("Score 1 when the imputer is fitted before the split.", "e", dimension="model_use"),
        g("Reward notebooks that report the class balance of the target.", "f"),
    ])
    assert len(gs) == 6


def test_threshold_and_embedder_decide_what_means_the_same():
    a = g("Penalise imputers fitted on the full dataset before the train/test split.", "a")
    b = g("Penalise any imputer that is fitted on the full dataset before the train/test split.",
          "b")
    assert len(GuidelineSet([a, b])) == 2  # lexical similarity about 0.77 < 0.85
    assert len(GuidelineSet([a, b], threshold=0.7)) == 1
    paraphrases = [g("A leak through the imputer earns 1.", "a"),
                   g("Any leak from imputation gets 1.", "b"),
                   g("Missing values left in earn 1.", "c")]
    gs = GuidelineSet(paraphrases, embeddings=TableEmbeddings(), threshold=0.9)
    assert [x.source_case_ids for x in gs] == [("a", "b"), ("c",)]


def test_rules_merge_only_on_the_same_condition():
    gs = GuidelineSet([
        rule("imputer_fit_before_split", True, 1, "a", "b", "c"),
        rule("imputer_fit_before_split", True, 1, "d", "e", "f", text="Other wording."),
        rule("imputer_fit_before_split", False, 1, "g", "h", "i"),
        rule("imputer_fit_before_split", True, 2, "j", "k", "l"),
    ])
    assert [x.support for x in gs] == [6, 3, 3]


def test_forget_withdraws_sources_and_drops_orphans():
    hand = g("Written by a person.")
    gs = GuidelineSet([g("Use CV to tune.", "a", "b"), g("Check leakage.", "b"), hand])
    dropped = gs.forget(["b", "zzz"])
    assert [d.text for d in dropped] == ["Check leakage."]
    remaining = {x.text: x for x in gs}
    assert remaining["Use CV to tune."].source_case_ids == ("a",)
    assert remaining["Use CV to tune."].support == 1
    assert hand.text in remaining
    assert gs.forget("a")[0].text == "Use CV to tune."  # one id, not its letters
    assert [x.text for x in gs] == [hand.text]
    with pytest.raises(MemoryDataError, match="expected a Guideline"):
        gs.add(["Use CV to tune."])


def test_forgotten_guidelines_can_be_relearned_and_merge_again():
    gs = GuidelineSet([g("Check leakage.", "a")])
    gs.forget(["a"])
    gs.add([g("Check leakage.", "b"), g("check leakage", "c")])
    assert [x.source_case_ids for x in gs] == [("b", "c")]


def test_merge_returns_a_new_set_and_changes_neither():
    left = GuidelineSet([g("Check leakage.", "a")])
    right = GuidelineSet([g("check leakage", "b"), g("Plot the target.", "c")])
    both = left.merge(right)
    assert len(both) == 2 and len(left) == 1 and len(right) == 2
    assert [x.source_case_ids for x in both][0] == ("a", "b")
    assert [x.source_case_ids for x in left] == [("a",)]


def test_for_dimension_orders_by_support():
    gs = GuidelineSet([g("One.", "a"), g("Three.", "a", "b", "c"), g("Two.", "a", "b"),
                       g("Other.", "a", "b", "c", "d", dimension="model_use")])
    assert [x.text for x in gs.for_dimension(DIM)] == ["Three.", "Two.", "One."]
    assert gs.for_dimension("mlflow_logging") == []


def test_markdown_groups_by_dimension_with_provenance():
    sources = [f"case{i:02d}" for i in range(13)]
    gs = GuidelineSet([
        g("Custom point.", "x", dimension="zz_custom"),
        g("Use CV.", *sources, dimension="model_training"),
        g("Check leakage.", "a"),
    ])
    text = gs.to_markdown()
    order = [text.index(h) for h in ("## Data imputation", "## Model training", "## Zz custom")]
    assert order == sorted(order)
    assert "1. Check leakage." in text
    assert "support 13" in text and "case09" in text and "and 3 more" in text
    assert "case12" not in text
    assert "No guidelines yet." in GuidelineSet().to_markdown()


def test_json_roundtrip_keeps_everything_without_remerging():
    gs = GuidelineSet([g("Check leakage.", "a"), rule("split_found", False, 1, "b", "c", "d")])
    gs._items["extra"] = g("check leakage", "z")  # as if saved by a looser threshold
    again = GuidelineSet.from_json(gs.to_json())
    assert list(again) == list(gs)
    assert list(again)[1].condition["when"][0]["value"] is False
    again.add([g("Check leakage!", "q")])
    assert len(again) == 3


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{not json", "not valid JSON"),
        ('{"items": []}', "guidelines"),
        ('{"version": 9, "guidelines": []}', "version"),
        ('{"guidelines": [{"dimension": "d"}]}', "guideline 1"),
        ('{"guidelines": [{"dimension": "d", "text": "t", "engine": "x"}]}', "engine"),
        ('{"guidelines": [3]}', "guideline 1"),
    ],
)
def test_from_json_names_the_source_and_the_problem(text, problem):
    with pytest.raises(MemoryDataError, match=problem) as info:
        GuidelineSet.from_json(text, source="memory/guidelines.json")
    assert info.value.where == "memory/guidelines.json"


def test_to_dict_is_json_serialisable():
    row = rule("n_models", True, 3, "a").to_dict()
    assert json.loads(json.dumps(row))["condition"]["when"][0]["fact"] == "n_models"
    assert Guideline.from_dict({**row, "unknown": 1}) == rule("n_models", True, 3, "a")
