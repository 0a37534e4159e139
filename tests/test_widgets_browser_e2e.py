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


def test_grade_in_chromium_reload_and_find_it_saved(sync_playwright, served, tmp_path):
    url, store_path = served
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            dialogs: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
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
