"""GradingPanel, headless: set widget values, click buttons, check what the store holds."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import nbformat
import pytest
from memalign_nb_widgets.grading import GradingPanel, page_from_environment
from memalign_nb_widgets.grading_state import GradingError

from memalign_nb.errors import FeedbackStoreError, UnknownNameError
from memalign_nb.feedback import FeedbackStore, Grade
from memalign_nb.grading_page import ENV_DATASET, ENV_JUDGE, ENV_RATER, ENV_STORE
from memalign_nb.judges.scripted import ScriptedJudge

DIMS = ("data_imputation", "model_training")
XSS_CELL = "# <script>alert('xss')</script>\nprint('<img src=x onerror=\"window.__xss=1\">')"
SOURCES = {
    "c1": "import pandas as pd\ndf = pd.read_csv('train.csv')\ndf = df.fillna(df.mean())",
    "c2": XSS_CELL,
    "c3": "from sklearn.linear_model import LogisticRegression\nm = LogisticRegression().fit(X, y)",
}


def write_dataset(root: Path, feedback: list[Grade] = ()) -> Path:
    (root / "notebooks").mkdir(parents=True)
    for case_id, source in SOURCES.items():
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_markdown_cell(f"# {case_id}"),
                    nbformat.v4.new_code_cell(source)]
        nbformat.write(nb, root / "notebooks" / f"{case_id}.ipynb")
    rows = [{"case_id": c, "prompt": f"Task for {c} <b>bold</b>"} for c in SOURCES]
    (root / "cases.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    (root / "feedback.jsonl").write_text("\n".join(
        json.dumps({"case_id": g.case_id, "dimension": g.dimension, "score": g.score,
                    "rationale": g.rationale, "rater": g.rater}) for g in feedback))
    return root


@pytest.fixture
def dataset(tmp_path):
    return write_dataset(tmp_path / "ds")


@pytest.fixture
def store_path(tmp_path):
    return tmp_path / "grades.sqlite"


def panel_for(dataset, store_path, rater="ana", **kwargs):
    return GradingPanel(dataset, rater, dimensions=DIMS, store=store_path, **kwargs)


def stored(store_path, rater="ana"):
    with FeedbackStore(store_path) as store:  # a fresh connection: what is on disk
        return store.grades(rater=rater)


def test_clicking_save_puts_the_grade_in_the_store_at_once(dataset, store_path):
    panel = panel_for(dataset, store_path)
    assert panel.session.current.key == ("c1", "data_imputation")
    panel.score.value = 1
    panel.rationale.value = "  fillna with the full-data mean leaks  "
    panel.save_button.click()
    [grade] = stored(store_path)
    assert (grade.case_id, grade.dimension, grade.score, grade.rationale, grade.rater) == (
        "c1", "data_imputation", 1, "fillna with the full-data mean leaks", "ana")
    assert grade.created_at.endswith("Z")
    assert "Saved c1 / data_imputation: score 1" in panel.status.value
    assert panel.session.current.key == ("c1", "model_training")
    assert panel.score.value is None and panel.rationale.value == ""
    assert "1/6 graded" in panel.title.value
    assert "1/3" in panel.progress_html.value


def test_a_new_panel_resumes_where_the_rater_left_off(dataset, store_path):
    first = panel_for(dataset, store_path)
    for score in (2, 3):
        first.score.value = score
        first.rationale.value = f"reason {score}"
        first.save_button.click()
    resumed = panel_for(dataset, store_path)
    assert resumed.session.current.key == ("c2", "data_imputation")
    assert "2/6 graded" in resumed.title.value
    assert "Not graded yet" in resumed.saved_html.value
    # Graded items sit at the end of the "ungraded first" queue, marked in "Go to".
    labels = [label for label, _ in resumed.jump.options]
    assert labels[-2:] == ["5. c1 \u00b7 data_imputation \u2714",
                           "6. c1 \u00b7 model_training \u2714"]
    resumed.jump.value = 5
    assert resumed.session.current.key == ("c1", "model_training")
    assert resumed.score.value == 3 and resumed.rationale.value == "reason 3"
    assert "Saved: score <b>3</b>" in resumed.saved_html.value
    # Another rater starts from the beginning.
    other = panel_for(dataset, store_path, rater="bo")
    assert other.session.current.key == ("c1", "data_imputation")


def test_regrading_keeps_history_and_updates_the_current_grade(dataset, store_path):
    panel = panel_for(dataset, store_path)
    panel.score.value = 2
    panel.save_button.click()
    panel.prev_button.click()
    assert panel.score.value == 2
    panel.score.value = 1
    panel.rationale.value = "on second look it leaks"
    panel.save_button.click()
    [current] = stored(store_path)
    assert current.score == 1
    with FeedbackStore(store_path) as store:
        assert [g.score for g in store.history("c1", "data_imputation", "ana")] == [2, 1]


def test_no_score_is_refused_and_nothing_is_stored(dataset, store_path):
    panel = panel_for(dataset, store_path)
    panel.rationale.value = "forgot the score"
    panel.save_button.click()
    assert "choose a score" in panel.status.value and "memalign-status-error" in panel.status.value
    assert stored(store_path) == []
    assert panel.session.current.key == ("c1", "data_imputation")


def test_a_rationale_is_required_when_the_grade_differs_from_the_judge(dataset, store_path):
    judge = ScriptedJudge({}, default=3, rationale="looks fine")
    panel = panel_for(dataset, store_path, judge=judge)
    panel.score.value = 1
    panel.save_button.click()
    assert "rationale is required" in panel.status.value
    assert stored(store_path) == []
    panel.rationale.value = "imputes with the full-data mean before the split"
    panel.save_button.click()
    assert [g.score for g in stored(store_path)] == [1]
    panel.score.value = 3  # agrees with the judge: no rationale needed
    panel.save_button.click()
    assert [g.score for g in stored(store_path)] == [1, 3]


def test_the_judge_is_hidden_until_asked_for_and_hidden_again_on_the_next_item(
    dataset, store_path
):
    judge = ScriptedJudge({}, default=2, rationale="judge says <b>two</b>", judge_id="heur")
    panel = panel_for(dataset, store_path, judge=judge)
    assert panel.judge_html.layout.display == "none"
    assert "two" not in panel.judge_html.value
    panel.judge_toggle.value = True
    assert panel.judge_html.layout.display is None
    assert "judge says &lt;b&gt;two&lt;/b&gt;" in panel.judge_html.value
    assert "<b>2</b>" in panel.judge_html.value
    panel.next_button.click()
    assert panel.judge_html.layout.display == "none" and panel.judge_toggle.value is False


def test_without_a_judge_the_judge_controls_are_disabled(dataset, store_path):
    panel = panel_for(dataset, store_path)
    assert panel.judge_toggle.disabled
    assert not panel.order_select.disabled  # "most useful first" needs no judge
    panel.order_select.value = "disagreement"  # as a front-end would send it
    assert "needs a judge" in panel.status.value
    assert panel.session.order == "ungraded" and panel.order_select.value == "ungraded"
    with pytest.raises(GradingError, match="needs a judge"):
        panel_for(dataset, store_path, order="disagreement")


def test_a_failed_save_is_shown_and_logged_never_swallowed(dataset, store_path, monkeypatch,
                                                           caplog):
    panel = panel_for(dataset, store_path)

    def broken_save(grade):
        raise FeedbackStoreError(str(store_path), "cannot write grades: disk I/O error")

    monkeypatch.setattr(panel.store, "save", broken_save)
    panel.score.value = 2
    panel.rationale.value = "kept on screen"
    with caplog.at_level(logging.ERROR, logger="memalign_nb_widgets.grading"):
        panel.save_button.click()
    assert "NOT SAVED (FeedbackStoreError)" in panel.status.value
    assert "disk I/O error" in panel.status.value
    assert "saving c1 / data_imputation failed" in caplog.text
    assert panel.session.current.key == ("c1", "data_imputation")
    assert panel.score.value == 2 and panel.rationale.value == "kept on screen"
    assert not panel.session.is_graded(panel.session.current)
    assert stored(store_path) == []


def test_skip_next_previous_and_the_shortcut_box(dataset, store_path):
    panel = panel_for(dataset, store_path)
    assert panel.prev_button.disabled
    panel.skip_button.click()
    assert panel.session.current.key == ("c1", "model_training")
    panel.keys.value = "n"
    assert panel.session.current.key == ("c2", "data_imputation")
    assert panel.keys.value == ""  # each shortcut is consumed
    panel.keys.value = "p"
    panel.keys.value = "2"
    assert panel.score.value == 2
    panel.rationale.value = "typed in the box"
    panel.keys.value = "s"
    assert [(g.case_id, g.dimension, g.score) for g in stored(store_path)] == [
        ("c1", "model_training", 2)]
    # Save moves to the next ungraded item; skip then passes over the skipped c1 item.
    assert panel.session.current.key == ("c2", "data_imputation")
    panel.keys.value = "k"
    assert panel.session.current.key == ("c2", "model_training")
    panel.jump.value = len(panel.session.queue) - 1
    assert panel.next_button.disabled


def test_disagreement_order_puts_the_biggest_judge_gap_first(tmp_path, store_path):
    others = [Grade("c3", "model_training", 1, "no CV", "bo"),
              Grade("c2", "data_imputation", 2, "ok", "bo")]
    dataset = write_dataset(tmp_path / "ds", feedback=others)
    judge = ScriptedJudge({}, default=3)
    panel = panel_for(dataset, store_path, judge=judge)
    current = panel.session.current
    panel.order_select.value = "disagreement"
    assert panel.session.current == current  # staying on the item being read
    assert [i.key for i in panel.session.queue[:2]] == [("c3", "model_training"),
                                                       ("c2", "data_imputation")]
    opened = panel_for(dataset, store_path, judge=judge, order="disagreement")
    assert opened.session.current.key == ("c3", "model_training")


def test_useful_order_puts_suggested_items_first_and_graded_ones_last(tmp_path, store_path):
    graded = [Grade("c1", "data_imputation", 1, "mean of all rows", "bo")]
    dataset = write_dataset(tmp_path / "ds", feedback=graded)
    panel = panel_for(dataset, store_path)
    current = panel.session.current
    panel.order_select.value = "useful"  # no judge: the offline heuristic judge is taught
    assert panel.session.order == "useful" and panel.session.current == current
    keys = [i.key for i in panel.session.queue]
    assert keys[-1] == ("c1", "data_imputation")  # graded: nothing to suggest
    opened = panel_for(dataset, store_path, order="useful")
    assert [i.key for i in opened.session.queue] == keys


def test_notebook_text_is_shown_escaped_never_as_html(dataset, store_path):
    panel = panel_for(dataset, store_path)
    panel.jump.value = 2
    assert panel.session.current.case_id == "c2"
    panel.whole_toggle.value = True
    html = panel.section_html.value
    assert "&lt;script&gt;" in html and "&lt;img src=x onerror=" in html
    assert "<script" not in html and "<img" not in html
    assert "Task for c2 &lt;b&gt;bold&lt;/b&gt;" in panel.prompt_html.value
    panel.whole_toggle.value = False
    assert "<script" not in panel.section_html.value


def test_unknown_dimensions_are_refused(dataset, store_path):
    with pytest.raises(UnknownNameError, match="no_such_dimension"):
        GradingPanel(dataset, "ana", dimensions=("no_such_dimension",), store=store_path)


def test_page_from_environment_builds_the_panel_or_explains_the_problem(
    dataset, store_path, monkeypatch
):
    widget = page_from_environment(
        {ENV_DATASET: str(dataset), ENV_RATER: "ana", ENV_STORE: str(store_path)})
    assert "memalign-grading-panel" in widget._dom_classes
    asked = []
    monkeypatch.setattr("memalign_nb.integrations.judge_refs.resolve_judge",
                        lambda model: asked.append(model) or ScriptedJudge({}, default=1))
    with_judge = page_from_environment({ENV_DATASET: str(dataset), ENV_RATER: "ana",
                                        ENV_STORE: str(store_path), ENV_JUDGE: "heuristic"})
    assert asked == ["heuristic"]
    toggle = next(w for w in _descendants(with_judge) if getattr(w, "description", "")
                  == "Show judge")
    assert not toggle.disabled
    missing = page_from_environment({})
    assert "MEMALIGN_NB_DATASET" in missing.value and "memalign-nb grade DATASET" in missing.value
    bad = page_from_environment({ENV_DATASET: str(dataset / "nope"), ENV_RATER: "ana"})
    assert "Cannot open the grading page" in bad.value and "nope" in bad.value


def _descendants(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _descendants(child)


@pytest.mark.filterwarnings("ignore::memalign_nb.errors.MemAlignWarning")
def test_grading_real_kaggle_notebooks(tmp_path, store_path, real_notebook_paths):
    root = tmp_path / "kaggle"
    (root / "notebooks").mkdir(parents=True)
    for path in real_notebook_paths[:3]:
        shutil.copy(path, root / "notebooks" / path.name)
    panel = GradingPanel(root, "ana", dimensions=("model_training",), store=store_path)
    for _ in range(3):
        assert panel.session.current.dimension == "model_training"
        assert "[" in panel.section_html.value  # cell headers of the section
        panel.score.value = 2
        panel.save_button.click()
    assert len(stored(store_path)) == 3
    assert "3/3 graded" in panel.title.value


DISAGREEING = [
    Grade("c1", "model_training", 1, "tunes on the <b>test</b> set", "ana"),
    Grade("c1", "model_training", 3, "cross-validated <script>alert(1)</script>", "bo"),
    Grade("c2", "data_imputation", 0, "nothing is missing", "ana"),
    Grade("c2", "data_imputation", 2, "fillna, unmeasured", "bo"),
    Grade("c3", "data_imputation", 2, "same", "ana"),
    Grade("c3", "data_imputation", 2, "same", "bo"),
]


def test_adjudicate_mode_shows_each_raters_rationale_and_saves_the_decision(tmp_path,
                                                                            store_path):
    from memalign_nb.datasets import load_dataset
    from memalign_nb.feedback import reference_scores

    root = write_dataset(tmp_path / "ds", DISAGREEING)
    panel = panel_for(root, store_path, rater="cy", mode="adjudicate")
    assert [it.key for it in panel.session.queue] == [
        ("c2", "data_imputation"), ("c1", "model_training")]
    assert "Adjudicating as adjudicator:cy" in panel.title.value
    assert "0/2 decided" in panel.title.value
    shown = panel.raters_html.value
    assert "2 vs n/a" in shown and "nothing is missing" in shown and "fillna, unmeasured" in shown
    assert "<b>ana</b>: <b>n/a</b>" in shown and "<b>bo</b>: <b>2</b>" in shown
    panel.score.value = 2
    panel.rationale.value = "the rows have gaps the notebook never counts"
    assert panel.save()
    [decided] = stored(store_path, rater="adjudicator:cy")
    assert (decided.key, decided.score) == (("c2", "data_imputation"), 2)
    assert stored(store_path, rater="cy") == []
    # The rationales from untrusted text are escaped, never markup.
    assert panel.session.current.key == ("c1", "model_training")
    shown = panel.raters_html.value
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown and "<script>" not in shown
    assert "tunes on the &lt;b&gt;test&lt;/b&gt; set" in shown
    # The decision is the item's reference score; a new adjudication panel resumes past it.
    graded = load_dataset(root, store=store_path)
    assert reference_scores(graded.feedback)[("c2", "data_imputation")] == 2.0
    again = panel_for(root, store_path, rater="cy", mode="adjudicate")
    assert again.session.current.key == ("c1", "model_training")
    assert "1/2 decided" in again.title.value
    # Another adjudicator sees only what is still open; grading mode shows no raters.
    other = panel_for(root, store_path, rater="di", mode="adjudicate")
    assert [it.key for it in other.session.queue] == [("c1", "model_training")]
    assert panel_for(root, store_path).raters_html.value == ""


def test_adjudicate_mode_with_nothing_to_decide_and_an_unknown_mode(dataset, store_path):
    with pytest.raises(GradingError, match="nothing to adjudicate"):
        panel_for(dataset, store_path, mode="adjudicate")
    with pytest.raises(UnknownNameError, match="adjudicate"):
        panel_for(dataset, store_path, mode="review")


def test_page_from_environment_opens_the_adjudicate_mode(tmp_path, store_path):
    from memalign_nb.grading_page import ENV_MODE

    root = write_dataset(tmp_path / "ds", DISAGREEING)
    widget = page_from_environment({ENV_DATASET: str(root), ENV_RATER: "cy",
                                    ENV_STORE: str(store_path), ENV_MODE: "adjudicate"})
    titles = [w.value for w in _descendants(widget) if "Adjudicating as" in
              str(getattr(w, "value", ""))]
    assert titles and "adjudicator:cy" in titles[0]
