"""Static facts about a notebook: what it does to its data, and in which order.

:func:`extract_facts` parses every code cell once (never running it), walks the cells in
order with :class:`~memalign_nb.sections.analysis.Scanner`, and returns
:class:`NotebookFacts`: every split, fitted transformer, model fit, prediction, metric,
seed, MLflow call, install and import, each with the cells it came from and the data it
touched. Transformer and model fits are marked ``before_split`` / ``after_split``
relative to the first train/test split (or, without one, the first cross-validation).

:meth:`NotebookFacts.for_dimension` flattens the facts that bear on one dimension into a
JSON-serialisable dict with stable keys, documented in
:data:`~memalign_nb.sections.fact_keys.FACT_KEYS`. Those dicts are
what the offline heuristic judge scores and what MemAlign's heuristic semantic memory
learns conditions over, so every key is a meaningful boolean, count, or short list.
"""

from __future__ import annotations

import builtins
import logging
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace

from memalign_nb.dimensions import check_dimension
from memalign_nb.notebooks.model import Notebook
from memalign_nb.sections.analysis import Scanner
from memalign_nb.sections.classify import classify_cell
from memalign_nb.sections.deprecations import DeprecatedUse
from memalign_nb.sections.dimension_facts import FACT_BUILDERS
from memalign_nb.sections.events import Event, ImportedName
from memalign_nb.sections.fact_keys import FACT_KEYS
from memalign_nb.sections.findings import code_lines
from memalign_nb.sections.organization import NotebookOutline, outline_notebook
from memalign_nb.sections.source import PipInstall, parse_source, read_install

logger = logging.getLogger(__name__)

_IPYTHON_NAMES = frozenset({"display", "get_ipython", "In", "Out", "_", "__", "___", "exit",
                            "quit", "__file__", "__name__"})
_WEAK_TIME = frozenset({"parse_dates", "to_datetime", "date_range", "tz_localize"})
_HOLDOUT_SPLITS = frozenset({"train_test_split", "slice", "date_mask", "mask", "sample"})
__all__ = ["FACT_KEYS", "NotebookFacts", "extract_facts"]


@dataclass(frozen=True)
class NotebookFacts:
    """Everything :func:`extract_facts` found in one notebook.

    Attributes
    ----------
    notebook_path : str
        The notebook the facts describe.
    events : tuple of Event
        Every event in notebook order (see :class:`~memalign_nb.sections.events.Event`
        for the kinds). ``transform`` and ``fit`` events carry a ``before_split`` or
        ``after_split`` flag when the notebook splits its data; events touching the
        target column carry ``target``.
    imports : tuple of ImportedName
        Every name bound by an import.
    unused_imports : tuple of ImportedName
        Imports whose name is never used in any cell (nor in magics or unparsed cells).
    undefined_names : tuple of str
        Names used but never bound in the parsed cells, not built-in: likely missing
        imports (empty when a ``from x import *`` makes this unknowable).
    deprecated : tuple of DeprecatedUse
        Uses of deprecated or removed APIs
        (:data:`~memalign_nb.sections.deprecations.DEPRECATED_APIS`).
    installs : tuple of PipInstall
        Package installs (``%pip``, ``!pip``, conda, ``%%bash`` cells).
    task_type : str
        ``classification``, ``regression``, ``forecasting`` or ``unknown``, guessed from
        the models, metrics and time handling in the code.
    task_evidence : tuple of str
        Why, e.g. ``"classifier RandomForestClassifier fitted (cell 7)"``.
    target : str or None
        The target column when the code names it (``y = df['Survived']``).
    time_ordered : bool
        Whether the data is treated as a time series (lags, rolling windows, resampling,
        a date index or ordering, forecasting models, time-based splits).
    outline : NotebookOutline
        The notebook's shape (cells, headers, lengths, execution order, per-cell labels).
    unparsed_cells : tuple of int
        Code cells that are not Python 3 and were skipped (their text is still shown).
    notes : tuple of str
        Why cells were skipped, one note per cell.
    markdown : tuple of (int, str)
        ``(cell, text)`` of every markdown cell.
    outputs : tuple of (int, str, int, str)
        ``(cell, saved output text, code lines, source)`` of every code cell with output.
    """

    notebook_path: str
    events: tuple[Event, ...]
    imports: tuple[ImportedName, ...]
    unused_imports: tuple[ImportedName, ...]
    undefined_names: tuple[str, ...]
    deprecated: tuple[DeprecatedUse, ...]
    installs: tuple[PipInstall, ...]
    task_type: str
    task_evidence: tuple[str, ...]
    target: str | None
    time_ordered: bool
    outline: NotebookOutline
    unparsed_cells: tuple[int, ...] = ()
    notes: tuple[str, ...] = ()
    markdown: tuple[tuple[int, str], ...] = ()
    outputs: tuple[tuple[int, str, int, str], ...] = ()

    def of(self, *kinds: str) -> tuple[Event, ...]:
        """The events of the given kinds, in notebook order."""
        return tuple(e for e in self.events if e.kind in kinds)

    @property
    def split_cells(self) -> tuple[int, ...]:
        """Cells where the data is split into training and held-out rows."""
        return tuple(dict.fromkeys(e.cell for e in self.of("split")))

    def for_dimension(self, dimension: str) -> dict[str, object]:
        """The facts that bear on ``dimension``, flat and JSON-serialisable.

        Parameters
        ----------
        dimension : str
            A built-in dimension id.

        Returns
        -------
        dict
            The keys of ``FACT_KEYS[dimension]`` (documented there); values are bool,
            int, float, str or lists of them.

        Raises
        ------
        memalign_nb.errors.UnknownNameError
            For a dimension that is not built in.
        """
        check_dimension(dimension)
        return FACT_BUILDERS[dimension](self)


def extract_facts(notebook: Notebook) -> NotebookFacts:
    """Extract the static facts of ``notebook`` (its code is parsed, never executed).

    Parameters
    ----------
    notebook : Notebook
        A loaded notebook.

    Returns
    -------
    NotebookFacts
        Cells that are not Python 3 (Python 2 ``print x``, half-written code, ``%%html``
        cells) are skipped with a note in :attr:`NotebookFacts.notes`.
    """
    scanner = Scanner()
    installs: list[PipInstall] = []
    unparsed: list[int] = []
    notes: list[str] = []
    loose_text: list[str] = []
    labels: dict[int, frozenset[str]] = {}
    for cell in notebook.code_cells:
        parsed = parse_source(cell.source)
        for line, command in parsed.shell:
            loose_text.append(command)
            install = read_install(command, cell.index, line)
            if install is not None:
                installs.append(install)
        if parsed.tree is None:
            loose_text.append(cell.source)
            if cell.source.strip():
                unparsed.append(cell.index)
                notes.append(f"cell {cell.index} skipped: {parsed.error}")
        else:
            scanner.scan(cell.index, parsed.tree)
        labels[cell.index] = classify_cell(cell.source)
    loose_words = set(re.findall(r"[A-Za-z_]\w*", "\n".join(loose_text)))
    target = _target(scanner)
    events = _finish_events(scanner.events, target)
    time_ordered = _time_ordered(events)
    task_type, evidence = _task_type(events, time_ordered)
    unused = tuple(i for i in scanner.imports
                   if i.name not in scanner.used and i.name not in loose_words)
    undefined: tuple[str, ...] = ()
    if not scanner.star_import:
        undefined = tuple(sorted(
            scanner.used - scanner.bound - loose_words - _IPYTHON_NAMES - set(dir(builtins))))
    if notes:
        logger.info("%s: %d cells skipped (not Python 3)", notebook.path, len(notes))
    return NotebookFacts(
        notebook_path=notebook.path,
        events=events,
        imports=tuple(scanner.imports),
        unused_imports=unused,
        undefined_names=undefined,
        deprecated=tuple(scanner.deprecated),
        installs=tuple(installs),
        task_type=task_type,
        task_evidence=evidence,
        target=target,
        time_ordered=time_ordered,
        outline=outline_notebook(notebook, labels),
        unparsed_cells=tuple(unparsed),
        notes=tuple(notes),
        markdown=tuple((c.index, c.source) for c in notebook.cells if c.is_markdown),
        outputs=tuple((c.index, c.output_text, code_lines(c.source), c.source)
                      for c in notebook.code_cells if c.output_text),
    )


def _target(scanner: Scanner) -> str | None:
    if not scanner.target_candidates:
        return None
    return scanner.target_candidates.most_common(1)[0][0]


def _finish_events(events: list[Event], target: str | None) -> tuple[Event, ...]:
    """Mark fits before/after the split, and events touching the target column."""
    splits = [e for e in events if e.kind == "split" and e.name in _HOLDOUT_SPLITS]
    if not splits:
        splits = [e for e in events if e.kind in ("cv", "tuning")]
    first = min((e.position for e in splits), default=None)
    done = []
    for event in sorted(events, key=lambda e: e.position):
        flags = set(event.flags)
        if first is not None and event.kind in ("transform", "fit"):
            flags.add("before_split" if event.position < first else "after_split")
        if target is not None and target in event.columns:
            flags.add("target")
        done.append(replace(event, flags=frozenset(flags)) if flags != event.flags else event)
    return tuple(done)


def _time_ordered(events: Iterable[Event]) -> bool:
    return any(
        (e.kind == "time_order" and e.name not in _WEAK_TIME)
        or (e.kind == "split" and e.group == "date")
        or (e.kind == "fit" and e.group == "forecaster")
        or (e.kind == "cv" and "time_based" in e.flags)
        for e in events)


def _task_type(events: tuple[Event, ...], time_ordered: bool) -> tuple[str, tuple[str, ...]]:
    score: Counter[str] = Counter()
    evidence: list[str] = []
    seen: set[tuple[str, str]] = set()
    for event in events:
        key = (event.kind, event.name)
        if key in seen:
            continue
        if event.kind == "fit" and event.group in ("classifier", "regressor", "forecaster"):
            task = {"classifier": "classification", "regressor": "regression"}.get(
                event.group, "forecasting")
            score[task] += 3 if task == "forecasting" else 2
            evidence.append(f"{event.group} {event.name} fitted (cell {event.cell})")
        elif event.kind == "metric" and event.group in ("classification", "regression",
                                                         "forecasting"):
            score[event.group] += 1
            evidence.append(f"{event.group} metric {event.name} (cell {event.cell})")
        elif event.kind == "split" and "stratified" in event.flags:
            score["classification"] += 1
            evidence.append(f"stratified split (cell {event.cell})")
        elif event.kind == "predict" and event.name == "predict_proba":
            score["classification"] += 1
            evidence.append(f"predict_proba (cell {event.cell})")
        else:
            continue
        seen.add(key)
    if time_ordered and score:
        score["forecasting"] += 2
        evidence.append("data treated as a time series")
    if not score:
        return "unknown", ()
    ranked = score.most_common()
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return "unknown", tuple(evidence)
    return ranked[0][0], tuple(evidence)
