"""The inline grading panel: an expert grades notebooks, one dimension at a time.

>>> from memalign_nb_widgets import GradingPanel
>>> panel = GradingPanel("my_dataset", rater="ana", judge=baseline_judge)  # doctest: +SKIP
>>> panel                                                                   # doctest: +SKIP

The panel shows the case's task prompt, the section of the notebook the dimension is
judged on (escaped, highlighted by Pygments), the rubric, and on demand the judge's score
and rationale (hidden by default so the grader is not anchored). Each save goes to the
:class:`~memalign_nb.feedback.FeedbackStore` before the panel moves on; a failed save is
shown in the status line and logged, never swallowed.

In the ``adjudicate`` mode the queue is the items raters disagree on
(:func:`memalign_nb_widgets.grading_state.adjudication_items`), each shown with every
rater's score and rationale side by side; the grade entered is the adjudication, saved
under ``adjudicator:RATER``, and the reference score of the item becomes it.

Keyboard shortcuts. ipywidgets 8 has no keyboard events and this package adds no
front-end extension, so shortcuts go through a small *shortcut box* (a ``Text`` widget
with ``continuous_update``): focus it once (click or Tab) and each key typed there is
acted on and cleared: ``0``-``3`` choose the score, ``s`` saves, ``k`` skips, ``n`` / ``p``
move to the next / previous item, ``j`` shows or hides the judge. It needs no JavaScript,
so it works the same in JupyterLab, classic Notebook, VS Code, Databricks and Voila.
Button tooltips name their key.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

from memalign_nb_widgets import render
from memalign_nb_widgets.grading_state import (
    ORDERS,
    GradingError,
    GradingSession,
    Item,
    JudgeScores,
    adjudication_items,
)

from memalign_nb.datasets.model import Case, Dataset
from memalign_nb.dimensions import DIMENSIONS, check_dimension
from memalign_nb.errors import MemAlignError, UnknownNameError
from memalign_nb.feedback.model import adjudicator_name
from memalign_nb.grading_page import MODES
from memalign_nb.judges.base import Judge, Judgment
from memalign_nb.rubrics.model import Rubric
from memalign_nb.sections.model import Section

if TYPE_CHECKING:
    from memalign_nb.feedback import Disagreement, FeedbackStore

logger = logging.getLogger(__name__)

SHORTCUTS: Mapping[str, str] = {
    "0": "score 0 (not applicable)",
    "1": "score 1",
    "2": "score 2",
    "3": "score 3",
    "s": "save",
    "k": "skip",
    "n": "next",
    "p": "previous",
    "j": "show / hide the judge",
}
"""Keys understood by the shortcut box, and what each does."""

_CHECK = " \u2714"
_SCORE_LABELS = (("0 \u00b7 n/a", 0), ("1 \u00b7 bad", 1), ("2 \u00b7 ok", 2), ("3 \u00b7 good", 3))


class GradingPanel(render.View):
    """Grade a dataset's notebooks inline; every save goes to a feedback store at once.

    Parameters
    ----------
    dataset : Dataset or path
        A loaded :class:`~memalign_nb.Dataset` or a dataset folder to load.
    rater : str
        Who grades. Grades are saved under this name; the panel resumes at the first item
        this rater has not graded.
    dimensions : sequence of str, optional
        Dimensions to grade (default: the nine built-in ones, in order).
    judge : Judge or iterable of Judgment, optional
        A judge scored on demand, or judgments computed earlier. Enables the hidden judge
        box, the "disagreement" order, and the rule that a grade differing from the
        judge's needs a rationale. The "useful" order teaches a live judge (aligned on
        the grades held), else the offline heuristic judge.
    store : FeedbackStore or path, optional
        Where grades go (a store, or its SQLite file). Default: ``feedback.sqlite`` in the
        dataset folder.
    order : {"ungraded", "disagreement", "useful"}
        Initial queue order (see :func:`memalign_nb_widgets.grading_state.order_items`);
        ``"useful"``: most useful first, by :func:`memalign_nb.suggest`.
    rubrics : mapping of str to Rubric, optional
        Default: :func:`memalign_nb.rubrics.load_rubrics`.
    mode : {"grade", "adjudicate"}
        ``"grade"`` every item, or ``"adjudicate"`` the items raters disagree on, saving
        under ``adjudicator:RATER`` (see :data:`memalign_nb.grading_page.MODES`).

    Attributes
    ----------
    session : GradingSession
        The queue, position and this rater's grades (the adjudicator's, when adjudicating).
    disagreements : dict of Item to Disagreement
        In the ``adjudicate`` mode, the disagreement of each queued item; else empty.
    store : FeedbackStore
        The store grades are saved to.
    widget : ipywidgets.VBox
        The panel; displaying the ``GradingPanel`` displays it.

    Raises
    ------
    DatasetError
        The dataset folder has problems (every one is listed).
    UnknownNameError
        A dimension without a rubric, an unknown order or mode.
    GradingError
        A blank rater, nothing to grade (or to adjudicate), or the disagreement order
        without a judge.
    FeedbackStoreError
        The store cannot be opened.
    """

    def __init__(
        self,
        dataset: Dataset | str | PathLike[str],
        rater: str,
        dimensions: Sequence[str] | None = None,
        judge: Judge | Iterable[Judgment] | None = None,
        *,
        store: FeedbackStore | str | PathLike[str] | None = None,
        order: str = "ungraded",
        rubrics: Mapping[str, Rubric] | None = None,
        mode: str = "grade",
    ) -> None:
        from memalign_nb.datasets import load_dataset
        from memalign_nb.datasets.loader import STORE_FILE
        from memalign_nb.feedback import FeedbackStore
        from memalign_nb.rubrics import load_rubrics

        if mode not in MODES:
            raise UnknownNameError("grading mode", mode, MODES)
        self.mode = mode
        self.rubrics = dict(rubrics) if rubrics is not None else load_rubrics()
        self.dataset = (
            dataset if isinstance(dataset, Dataset) else load_dataset(dataset, rubrics=self.rubrics)
        )
        self.dimensions = tuple(
            check_dimension(d, self.rubrics) for d in (dimensions or DIMENSIONS)
        )
        if store is None:
            store = Path(self.dataset.path) / STORE_FILE
        self.store = (
            store if hasattr(store, "save") else FeedbackStore(store, dimensions=self.rubrics)
        )
        self.judge = JudgeScores(judge, self.dataset.case)
        self._live_judge = judge if isinstance(judge, Judge) else None
        if order == "disagreement" and not self.judge.available:
            raise GradingError("order", "the disagreement order needs a judge")
        grades = [*self.dataset.feedback, *self.store.grades()]
        self.disagreements: dict[Item, Disagreement] = {}
        if mode == "adjudicate":
            rater = adjudicator_name(rater) if rater and rater.strip() else rater
            self.disagreements = adjudication_items(
                grades, rater, (c.case_id for c in self.dataset.cases), self.dimensions)
            if not self.disagreements:
                raise GradingError("items", "nothing to adjudicate: no item graded by two or "
                                   "more raters is open with different scores")
            items = list(self.disagreements)
        else:
            items = [Item(c.case_id, d) for c in self.dataset.cases for d in self.dimensions]
        self.session = GradingSession(
            items,
            rater,
            grades,
            order,
            self.judge.scores(items) if order == "disagreement" else None,
            self._utilities() if order == "useful" else None,
        )
        self._syncing = False
        self._build()
        self._show()

    # ------------------------------------------------------------------ actions
    def save(self) -> bool:
        """Save the entered grade to the store, then move to the next ungraded item.

        Returns True when the grade was saved. Invalid input or a failing store leaves the
        panel on the item with the reason in :attr:`status`.
        """
        item = self.session.current
        try:
            grade = self.session.make_grade(
                self.score.value, self.rationale.value, self.judge.score(item)
            )
        except MemAlignError as exc:
            self._status(str(exc), "error")
            return False
        try:
            saved = self.store.save(grade)
        except Exception as exc:  # any store failure must reach the grader
            logger.exception("saving %s / %s failed", *item.key)
            self._status(f"NOT SAVED ({type(exc).__name__}): {exc}", "error")
            return False
        self.session.record(saved)
        self.session.advance_after_save()
        self._show()
        self._status(f"Saved {item.case_id} / {item.dimension}: score {saved.score}", "ok")
        return True

    def skip(self) -> None:
        """Leave the item ungraded and go to the next ungraded one not skipped yet."""
        self._move(self.session.skip)

    def next(self) -> None:
        """Go to the next item in the queue."""
        self._move(self.session.next)

    def previous(self) -> None:
        """Go to the previous item in the queue."""
        self._move(self.session.previous)

    def set_order(self, order: str) -> None:
        """Re-sort the queue (``"ungraded"``, ``"disagreement"`` or ``"useful"``), staying
        on the item."""
        if order == "disagreement" and not self.judge.available:
            self._status("The disagreement order needs a judge.", "error")
            self._sync(self.order_select, value=self.session.order)
            return
        scores = self.judge.scores(self.session.queue) if order == "disagreement" else None
        try:
            utilities = self._utilities() if order == "useful" else None
        except MemAlignError as exc:
            self._status(f"Cannot order by usefulness: {exc}", "error")
            self._sync(self.order_select, value=self.session.order)
            return
        self.session.reorder(order, scores, utilities)
        self._show()

    def _utilities(self) -> dict[tuple[str, str], float]:
        """Utility of each ungraded item (:func:`memalign_nb.suggest`) from the grades held."""
        from memalign_nb.align.suggest import suggest
        from memalign_nb.judges.registry import make_judge

        dataset = self.dataset.with_grades(self.store.grades())
        judge = self._live_judge or make_judge("heuristic")
        found = suggest(judge, dataset, n=None, dimensions=self.dimensions)
        return {s.key: s.utility for s in found}

    def reveal_judge(self, show: bool = True) -> None:
        """Show (or hide) the judge's score and rationale for the current item."""
        self._sync(self.judge_toggle, value=show)
        self.judge_html.layout.display = None if show else "none"
        if show:
            self.judge_html.value = render.render_judgment(
                self.judge.judgment(self.session.current)
            )

    # ------------------------------------------------------------------ building
    def _build(self) -> None:
        import ipywidgets as w

        self.title = w.HTML()
        self.progress_html = w.HTML()
        self.order_select = w.Dropdown(
            options=[("ungraded first", "ungraded"), ("judge disagreement first", "disagreement"),
                     ("most useful first", "useful")],
            value=self.session.order,
            description="Order",
            layout=w.Layout(width="300px"),
        )
        self.jump = w.Dropdown(description="Go to", layout=w.Layout(width="420px"))
        self.header = w.HTML()
        self.prompt_html = w.HTML()
        self.raters_html = w.HTML()
        self.rubric_html = w.HTML()
        self.section_html = w.HTML(layout=w.Layout(max_height="70vh", overflow="auto"))
        self.whole_toggle = w.ToggleButton(
            description="whole notebook", tooltip="Show every cell, not only the section"
        )
        self.judge_toggle = w.ToggleButton(
            description="Show judge",
            tooltip="Reveal the judge's score and rationale (key j)",
            disabled=not self.judge.available,
        )
        self.judge_html = w.HTML(layout=w.Layout(display="none"))
        self.score = w.ToggleButtons(
            options=_SCORE_LABELS,
            value=None,
            description="Score",
            tooltips=[f"key {score}" for _, score in _SCORE_LABELS],
            style={"button_width": "72px"},
        )
        self.rationale = w.Textarea(
            placeholder="Why this score? Required when it differs from the judge's.",
            layout=w.Layout(width="auto", height="90px"),
        )
        small = w.Layout(width="auto", min_width="72px")
        self.save_button = w.Button(description="Save", button_style="success", icon="check",
                                    tooltip="Save (key s)", layout=small)
        self.skip_button = w.Button(description="Skip", tooltip="Skip for now (key k)",
                                    layout=small)
        self.prev_button = w.Button(description="Previous", tooltip="Previous item (key p)",
                                    layout=small)
        self.next_button = w.Button(description="Next", tooltip="Next item (key n)",
                                    layout=small)
        self.keys = w.Text(
            placeholder="shortcuts: 0-3 \u00b7 s save \u00b7 k skip \u00b7 n/p \u00b7 j judge",
            continuous_update=True,
            tooltip="Focus here, then type a key: " + "; ".join(
                f"{k} = {v}" for k, v in SHORTCUTS.items()
            ),
            layout=w.Layout(width="auto"),
        )
        self.saved_html = w.HTML()
        self.status = w.HTML()

        self.save_button.on_click(lambda _: self.save())
        self.skip_button.on_click(lambda _: self.skip())
        self.prev_button.on_click(lambda _: self.previous())
        self.next_button.on_click(lambda _: self.next())
        self.order_select.observe(self._on_order, names="value")
        self.jump.observe(self._on_jump, names="value")
        self.judge_toggle.observe(lambda ch: self.reveal_judge(bool(ch["new"])), names="value")
        self.whole_toggle.observe(lambda _: self._show_code(), names="value")
        self.keys.observe(self._on_key, names="value")

        # Left: what to grade against and the controls, so Save is visible without
        # scrolling; right: the notebook section, scrolling on its own.
        actions = w.HBox(
            [self.save_button, self.skip_button, self.prev_button, self.next_button],
            layout=w.Layout(flex_flow="row wrap"),
        )
        left = w.VBox(
            [self.prompt_html, self.score, self.rationale, actions, self.keys,
             self.saved_html, self.status, self.judge_toggle, self.judge_html,
             self.rubric_html],
            layout=w.Layout(flex="1 1 360px", min_width="300px", padding="0 8px 0 0"),
        )
        right = w.VBox(
            [self.whole_toggle, self.section_html],
            layout=w.Layout(flex="2 1 520px", min_width="320px"),
        )
        self._root = w.VBox(
            [
                w.HBox([self.title, self.order_select, self.jump],
                       layout=w.Layout(flex_flow="row wrap", align_items="center")),
                self.progress_html,
                self.header,
                self.raters_html,  # adjudicate mode: the raters side by side, full width
                w.HBox([left, right], layout=w.Layout(flex_flow="row wrap")),
            ]
        )
        self._root.add_class("memalign-grading-panel")

    # ------------------------------------------------------------------ updating
    def _show(self) -> None:
        """Show the current item, with this rater's saved grade (if any) filled in."""
        session = self.session
        item = session.current
        case = self.dataset.case(item.case_id)
        graded = sum(g for g, _ in session.progress().values())
        total = len(session.queue)
        doing, done = ("Adjudicating", "decided") if self.mode == "adjudicate" else (
            "Grading", "graded")
        self.title.value = (
            f"<b>{doing} as {render.esc(session.rater)}</b> \u00b7 {graded}/{total} {done}"
        )
        self.progress_html.value = render.render_progress(session.progress())
        rubric = self.rubrics[item.dimension]
        self.header.value = (
            f"<h3 style='margin:6px 0'>{render.esc(item.case_id)} \u00b7 "
            f"{render.esc(rubric.title)} <small>(item {session.position + 1} of {total}"
            f"{', skipped before' if item in session.skipped else ''})</small></h3>"
        )
        self.prompt_html.value = render.render_prompt(case.prompt, case.case_id)
        self.raters_html.value = render.render_disagreement(self.disagreements.get(item))
        self.rubric_html.value = render.render_rubric(rubric)
        self._show_code()
        grade = session.grade_of(item)
        self.score.value = grade.score if grade else None
        self.rationale.value = grade.rationale if grade else ""
        self.saved_html.value = render.render_saved(grade)
        self.reveal_judge(False)
        options = tuple(
            (f"{i + 1}. {it.case_id} \u00b7 {it.dimension}"
             f"{_CHECK if session.is_graded(it) else ''}", i)
            for i, it in enumerate(session.queue)
        )
        if options != tuple(self.jump.options):
            self._sync(self.jump, options=options)
        self._sync(self.jump, value=session.position)
        self.prev_button.disabled = session.position == 0
        self.next_button.disabled = session.position == total - 1

    def _show_code(self) -> None:
        item = self.session.current
        case = self.dataset.case(item.case_id)
        if self.whole_toggle.value:
            self.section_html.value = render.render_cells(case.notebook)
            return
        try:
            section = _section(case, item.dimension, self.rubrics)
        except MemAlignError as exc:
            logger.warning("no section for %s / %s: %s", *item.key, exc)
            self.section_html.value = render.note(f"Could not cut the section: {exc}")
            return
        self.section_html.value = render.render_section(section, case.notebook)

    def _move(self, step: Callable[[], Item]) -> None:
        step()
        self._show()
        self._status("")

    def _status(self, message: str, kind: str = "info") -> None:
        self.status.value = render.render_status(message, kind) if message else ""

    def _sync(self, widget: Any, **values: Any) -> None:
        """Set widget traits from code without triggering the panel's own handlers."""
        self._syncing = True
        try:
            for name, value in values.items():
                setattr(widget, name, value)
        finally:
            self._syncing = False

    # ------------------------------------------------------------------ handlers
    def _on_order(self, change: Mapping[str, Any]) -> None:
        if not self._syncing and change["new"] in ORDERS:
            self.set_order(change["new"])

    def _on_jump(self, change: Mapping[str, Any]) -> None:
        if not self._syncing and change["new"] is not None:
            self._move(lambda: self.session.go_to(change["new"]))

    def _on_key(self, change: Mapping[str, Any]) -> None:
        typed = change["new"]
        if self._syncing or not typed:
            return
        self._sync(self.keys, value="")
        for key in typed.lower():
            if key in "0123":
                self.score.value = int(key)
            elif key == "s":
                self.save()
            elif key == "k":
                self.skip()
            elif key == "n":
                self.next()
            elif key == "p":
                self.previous()
            elif key == "j" and self.judge.available:
                self.reveal_judge(not self.judge_toggle.value)


def _section(case: Case, dimension: str, rubrics: Mapping[str, Rubric]) -> Section:
    from memalign_nb.sections import build_section

    return build_section(case.notebook, dimension, rubrics=rubrics)


def page_from_environment(environ: Mapping[str, str] | None = None) -> Any:
    """The grading page's widget, configured from environment variables.

    ``memalign-nb grade`` passes a :class:`~memalign_nb.grading_page.PageSettings` (dataset,
    rater, store, optional judge reference, mode) as environment variables before starting Voila
    on ``pages/grade.ipynb``.

    Returns
    -------
    ipywidgets.Widget
        The panel, or an escaped error message when the configuration is wrong (Voila
        hides tracebacks, so a grader sees the message instead of a blank page).
    """
    import ipywidgets as w

    from memalign_nb.grading_page import PageSettings

    try:
        settings = PageSettings.from_environment(os.environ if environ is None else environ)
        judge = None
        if settings.judge:
            from memalign_nb.integrations.judge_refs import resolve_judge

            judge = resolve_judge(settings.judge)
        return GradingPanel(
            settings.dataset, settings.rater, judge=judge, store=settings.store,
            mode=settings.mode,
        ).widget
    except MemAlignError as exc:
        logger.exception("the grading page could not start")
        return w.HTML(render.render_status(f"Cannot open the grading page: {exc}", "error"))
