"""MemoryBrowser: guidelines with sources; examples searchable and filterable."""

from __future__ import annotations

import json

import nbformat
import pytest
from memalign_nb_widgets import render
from memalign_nb_widgets.memory_browser import (
    PAGE_SIZE,
    MemoryBrowser,
    filter_examples,
    filter_guidelines,
)

from memalign_nb.align import MemAlign
from memalign_nb.datasets import load_dataset
from memalign_nb.errors import JudgeDirError
from memalign_nb.judges.scripted import ScriptedJudge
from memalign_nb.memory.examples import Example
from memalign_nb.memory.guidelines import Guideline

GUIDELINES = [
    Guideline("data_imputation", "Score 1 when the imputer is fitted before the split.",
              ("c1", "c4")),
    Guideline("model_training", "Reward a baseline model <b>before</b> tuning.", ("c2",),
              condition={"fact": "has_baseline", "value": True, "score": 3}, engine="rules"),
]
EXAMPLES = [
    Example("c1", "data_imputation", "imp = SimpleImputer().fit(X)\nX_train, X_test = split(X)",
            1, "Imputer fit on all data before split: leakage."),
    Example("c2", "model_training", "model = LogisticRegression().fit(X_train, y_train)", 3,
            "Baseline first, tuned with CV on training folds.", judge_score=2),
    Example("c3", "data_imputation", "X = X.fillna(0)", 2, "Global fillna, leak-free."),
    Example("c4", "data_imputation", "print('<script>alert(1)</script>')", 1,
            "<img src=x onerror=alert(1)> shown as text"),
]


def test_filter_examples_matches_all_words_case_insensitively_with_filters():
    assert [e.case_id for e in filter_examples(EXAMPLES, "LEAKAGE split")] == ["c1"]
    assert [e.case_id for e in filter_examples(EXAMPLES, "fillna")] == ["c3"]
    assert [e.case_id for e in filter_examples(EXAMPLES, "", "data_imputation", 1)] == ["c1", "c4"]
    assert filter_examples(EXAMPLES, "c2", "data_imputation") == []
    assert [e.case_id for e in filter_examples(EXAMPLES, "c2")] == ["c2"]  # by case id
    assert len(filter_examples(EXAMPLES)) == len(EXAMPLES)


def test_filter_guidelines_by_dimension():
    assert filter_guidelines(GUIDELINES, "model_training") == [GUIDELINES[1]]
    assert filter_guidelines(GUIDELINES) == GUIDELINES


def test_guidelines_tab_shows_text_sources_and_condition_escaped():
    browser = MemoryBrowser(GUIDELINES, EXAMPLES)
    html = browser.guidelines_html.value
    assert "2 guideline(s)" in html
    assert "from: c1, c4" in html and "from: c2" in html
    assert "Reward a baseline model &lt;b&gt;before&lt;/b&gt; tuning." in html
    assert "has_baseline" in html
    browser.guideline_dimension.value = "data_imputation"
    assert "1 guideline(s)" in browser.guidelines_html.value
    assert "baseline" not in browser.guidelines_html.value
    assert browser.widget.titles == ("Guidelines", "Examples")


def test_examples_tab_searches_and_filters_through_its_controls():
    browser = MemoryBrowser(GUIDELINES, EXAMPLES)
    assert "4 of 4 examples match" in browser.count_html.value
    browser.query.value = "split"
    assert [e.case_id for e in browser.matching_examples()] == ["c1"]
    assert "1 of 4 examples match" in browser.count_html.value
    assert "Imputer fit on all data" in browser.examples_html.value
    browser.query.value = ""
    browser.example_dimension.value = "model_training"
    assert "expert <b>3</b> \u00b7 judge 2" in browser.examples_html.value
    browser.example_dimension.value = "(all)"
    browser.example_score.value = 1
    assert [e.case_id for e in browser.matching_examples()] == ["c1", "c4"]


def test_example_text_and_rationale_are_shown_as_text():
    browser = MemoryBrowser([], EXAMPLES[3:])
    html = browser.examples_html.value
    assert "<script" not in html and "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "No guidelines" in browser.guidelines_html.value


def test_show_more_pages_through_many_examples():
    many = [Example(f"k{i:03d}", "model_use", "predict()", 2, "ok") for i in range(PAGE_SIZE + 5)]
    browser = MemoryBrowser([], many)
    assert browser.examples_html.value.count("model_use \u00b7 expert") == PAGE_SIZE
    assert f"showing {PAGE_SIZE}" in browser.count_html.value
    assert browser.more_button.layout.display is None
    browser.more_button.click()
    assert browser.examples_html.value.count("model_use \u00b7 expert") == PAGE_SIZE + 5
    assert browser.more_button.layout.display == "none"
    browser.query.value = "k00"  # a new search starts from the first page again
    assert browser.examples_html.value.count("model_use \u00b7 expert") == 10


def test_a_missing_judge_dir_raises_a_clear_error(tmp_path):
    with pytest.raises(JudgeDirError, match="missing"):
        MemoryBrowser.from_judge_dir(tmp_path / "missing")


@pytest.fixture(scope="module")
def aligned_dir(tmp_path_factory):
    """A judge aligned on three grades and saved, as ``MemAlign(persist_dir=...)`` does."""
    root = tmp_path_factory.mktemp("aligned")
    (root / "ds" / "notebooks").mkdir(parents=True)
    sources = {"alpha": "df = df.fillna(df.mean())\nX_tr, X_te = train_test_split(df)",
               "beta": "model = LogisticRegression().fit(X_train, y_train)"}
    for case_id, source in sources.items():
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(source)]
        nbformat.write(nb, root / "ds" / "notebooks" / f"{case_id}.ipynb")
    grades = [("alpha", "data_imputation", 1, "mean computed on the full data: leakage"),
              ("beta", "data_imputation", 2, "nothing to impute"),
              ("beta", "model_training", 2, "fits once, no cross-validation")]
    (root / "ds" / "feedback.jsonl").write_text("\n".join(json.dumps(
        {"case_id": c, "dimension": d, "score": s, "rationale": r, "rater": "ana"})
        for c, d, s, r in grades))
    judge = MemAlign(progress=False, persist_dir=root / "judge", min_support=1).fit(
        ScriptedJudge({}, default=3), load_dataset(root / "ds"))
    return root / "judge", judge


@pytest.mark.slow
def test_from_judge_dir_browses_the_saved_memories(aligned_dir):
    judge_dir, fitted = aligned_dir
    browser = MemoryBrowser.from_judge_dir(judge_dir, judge=ScriptedJudge({}, default=3))
    assert len(browser.guidelines) == len(fitted.guidelines) > 0
    assert sorted((e.case_id, e.dimension) for e in browser.examples) == [
        ("alpha", "data_imputation"), ("beta", "data_imputation"), ("beta", "model_training")]
    browser.query.value = "leakage"
    assert [e.case_id for e in browser.matching_examples()] == ["alpha"]
    first = next(iter(fitted.guidelines))
    assert render.esc(first.text) in browser.guidelines_html.value
    in_memory = MemoryBrowser.from_judge(fitted)
    assert len(in_memory.examples) == 3
