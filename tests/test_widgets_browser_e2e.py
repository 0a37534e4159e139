"""End to end in a real browser: Voila serves the grading page, Chromium grades.

Voila is started by :func:`memalign_nb.cli.grade.start_grade_server`, the code path of
``memalign-nb grade`` (subprocess, 127.0.0.1, a free port, a token); Debian's Chromium
(``/usr/bin/chromium``, installed by ``make system-deps``) is driven by Playwright,
headless. The test grades an item, reloads the page, and checks the grade is shown as
saved and is in the feedback store; it also checks a notebook cell holding ``<script>``
and ``<img onerror>`` shows as text in the real DOM.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from memalign_nb.cli.grade import start_grade_server
from memalign_nb.feedback import FeedbackStore

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
XSS_SOURCE = (
    "# <script>window.__xss = 'script'; alert('xss')</script>\n"
    "print('<img src=x onerror=\"window.__xss = 1; alert(1)\">')"
)
TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def sync_playwright():
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} is missing: run `make system-deps` as root to install "
                    "Debian's chromium; browser tests cannot run without it")
    return pytest.importorskip("playwright.sync_api").sync_playwright


@pytest.fixture
def dataset(tmp_path):
    root = tmp_path / "ds"
    (root / "notebooks").mkdir(parents=True)
    for case_id, source in (("a-xss", XSS_SOURCE), ("b-plain", "import pandas as pd")):
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(source)]
        nbformat.write(nb, root / "notebooks" / f"{case_id}.ipynb")
    (root / "cases.jsonl").write_text(json.dumps({"case_id": "a-xss", "prompt": "Predict y"}))
    return root


@pytest.fixture
def served(dataset, tmp_path):
    """Voila started the way ``memalign-nb grade`` starts it; yields (url, store path)."""
    store = tmp_path / "grades.sqlite"
    with start_grade_server(dataset, "ana", store=store) as server:
        yield server.url, store


def open_panel(page, url):
    page.goto(url, timeout=TIMEOUT_MS)
    panel = page.locator(".memalign-grading-panel")
    panel.wait_for(timeout=TIMEOUT_MS)
    return panel


def new_page(browser):
    """A page of the size the tests look at, and the list of dialogs it opens (dismissed)."""
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    return page, dialogs


def test_grade_in_chromium_reload_and_find_it_saved(sync_playwright, served, tmp_path):
    url, store_path = served
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page, dialogs = new_page(browser)
            panel = open_panel(page, url)
            assert "a-xss" in panel.locator("h3").inner_text()

            # The hostile cell is shown as text: no script ran, no <img> was built.
            panel.get_by_role("button", name="whole notebook").click()
            panel.get_by_text("alert('xss')</script>").first.wait_for(timeout=TIMEOUT_MS)
            assert "<img src=x onerror=" in panel.inner_text()
            assert page.locator(".memalign-grading-panel img").count() == 0
            assert page.evaluate("window.__xss") is None
            assert dialogs == []

            # The shortcut box works in a real browser: typing 3 selects score 3.
            panel.get_by_placeholder("shortcuts", exact=False).press_sequentially("3")
            page.locator(".widget-toggle-button.mod-active", has_text="3").wait_for(
                timeout=TIMEOUT_MS)

            panel.locator(".widget-toggle-button", has_text="2 \u00b7").click()
            panel.locator("textarea").fill("Reads the data; no model fitted here.")
            panel.get_by_role("button", name="Save").click()
            page.locator(".memalign-status-ok").wait_for(timeout=TIMEOUT_MS)
            page.screenshot(path=str(tmp_path / "panel-after-save.png"), full_page=True)

            with FeedbackStore(store_path) as store:
                [grade] = store.grades(rater="ana")
            assert (grade.case_id, grade.dimension, grade.score) == (
                "a-xss", "library_installation", 2)
            assert grade.rationale == "Reads the data; no model fitted here."

            # Reload: a new kernel reads the store, resumes at the next item, and the
            # graded item shows as saved with its score and rationale.
            page.reload(timeout=TIMEOUT_MS)
            panel = page.locator(".memalign-grading-panel")
            panel.wait_for(timeout=TIMEOUT_MS)
            assert "1/18 graded" in panel.inner_text()
            jump = panel.locator("select:has(option:has-text('\u2714'))")
            resumed_at = jump.evaluate("s => s.options[s.selectedIndex].text")
            assert resumed_at.replace("\xa0", " ") == "1. a-xss \u00b7 exploratory_data_analysis"
            label = jump.locator("option:has-text('\u2714')").inner_text()
            jump.select_option(label=label)
            panel.locator(".memalign-saved").wait_for(timeout=TIMEOUT_MS)
            assert "score 2" in panel.locator(".memalign-saved").inner_text()
            assert panel.locator("textarea").input_value() == grade.rationale
            assert panel.locator(".widget-toggle-button.mod-active").inner_text().startswith("2")
            page.screenshot(path=str(tmp_path / "panel-after-reload.png"), full_page=True)
            assert dialogs == []
        finally:
            browser.close()


RATIONALES = {
    "ana": "Not a tracking notebook: MLflow <b>does not apply</b>.",
    "bo": "No run, params or metrics logged <img src=x onerror=\"window.__xss = 2\">",
}


@pytest.fixture
def disputed(dataset, tmp_path):
    """The dataset with two raters split on mlflow_logging (n/a vs 1) and agreeing elsewhere."""
    rows = [{"case_id": "b-plain", "dimension": "mlflow_logging", "rater": rater,
             "score": 0 if rater == "ana" else 1, "rationale": text}
            for rater, text in RATIONALES.items()]
    rows += [{"case_id": "b-plain", "dimension": "model_use", "rater": rater, "score": 2,
              "rationale": "same"} for rater in RATIONALES]
    (dataset / "feedback.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    store = tmp_path / "adjudicated.sqlite"
    with start_grade_server(dataset, "cy", store=store, mode="adjudicate") as server:
        yield server.url, store


def test_adjudicate_in_chromium_shows_both_rationales_and_saves_the_decision(
        sync_playwright, disputed, tmp_path):
    url, store_path = disputed
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page, dialogs = new_page(browser)
            panel = open_panel(page, url)
            assert "Adjudicating as adjudicator:cy" in panel.inner_text()
            assert "b-plain" in panel.locator("h3").inner_text()
            raters = panel.locator(".memalign-raters")
            raters.wait_for(timeout=TIMEOUT_MS)
            assert "1 vs n/a" in raters.inner_text()
            boxes = raters.locator(".memalign-rater")
            assert boxes.count() == 2
            for i, (rater, text) in enumerate(RATIONALES.items()):
                box = boxes.nth(i)
                assert box.is_visible()
                assert box.inner_text().split("\n", 1) == [
                    f"{rater}: {'n/a' if rater == 'ana' else '1'}", text]
            # Side by side: the two boxes share a row.
            first, second = boxes.nth(0).bounding_box(), boxes.nth(1).bounding_box()
            assert abs(first["y"] - second["y"]) < 2 and second["x"] > first["x"]
            assert page.locator(".memalign-raters img, .memalign-raters b b").count() == 0
            assert page.evaluate("window.__xss") is None

            panel.locator(".widget-toggle-button", has_text="1 \u00b7").click()
            panel.locator("textarea").fill("The prompt asks for tracked experiments.")
            panel.get_by_role("button", name="Save").click()
            page.locator(".memalign-status-ok").wait_for(timeout=TIMEOUT_MS)
            page.screenshot(path=str(tmp_path / "adjudicate-after-save.png"), full_page=True)
            assert "1/1 decided" in panel.inner_text()

            with FeedbackStore(store_path) as store:
                [decided] = store.grades()
            assert (decided.case_id, decided.dimension, decided.score, decided.rater) == (
                "b-plain", "mlflow_logging", 1, "adjudicator:cy")
            assert decided.rationale == "The prompt asks for tracked experiments."
            assert dialogs == []
        finally:
            browser.close()
