"""One fact extraction per notebook, whatever the concurrency: :func:`notebook_analysis`.

Every judgment of a notebook needs its facts (:func:`~memalign_nb.sections.facts.extract_facts`):
the heuristic judge scores them, the sectioner cuts sections with them, for each of nine
dimensions and every fold of a study. They are computed once per notebook object and kept
for the :data:`FACTS_CACHE_SIZE` notebooks used last. Threads asking for a notebook whose
facts are being computed wait for that computation instead of starting their own (a
batch at concurrency 8 once extracted each notebook's facts about seven times).

Entries are keyed by the notebook's identity, checked with a weak reference, so a lookup
costs no hashing of the notebook's text; an equal notebook loaded again is analysed again.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from memalign_nb.notebooks.model import Notebook
from memalign_nb.sections.facts import NotebookFacts, extract_facts

logger = logging.getLogger(__name__)

FACTS_CACHE_SIZE = 256
"""Notebooks whose facts are kept in memory."""


@dataclass
class _Entry:
    """One notebook's analysis, finished or in progress."""

    notebook: weakref.ref[Notebook]
    done: threading.Event = field(default_factory=threading.Event)
    facts: NotebookFacts | None = None
    error: BaseException | None = None
    memo: dict[Any, Any] = field(default_factory=dict)


_CACHE: OrderedDict[int, _Entry] = OrderedDict()
_LOCK = threading.Lock()


def notebook_analysis(notebook: Notebook) -> tuple[NotebookFacts, dict[Any, Any]]:
    """The facts of ``notebook`` and a memo dict kept with them, computed once.

    Parameters
    ----------
    notebook : Notebook

    Returns
    -------
    facts : NotebookFacts
    memo : dict
        Scratch space for readings derived from the facts (the heuristic judge keeps its
        per-notebook evidence there); shared by every caller of this notebook.

    Raises
    ------
    Exception
        Whatever :func:`extract_facts` raised, in every thread that waited for it (the
        failed entry is dropped, so a later call tries again).
    """
    key = id(notebook)
    with _LOCK:
        entry = _CACHE.get(key)
        owner = entry is None or entry.notebook() is not notebook
        if owner:
            entry = _CACHE[key] = _Entry(weakref.ref(notebook))
            while len(_CACHE) > FACTS_CACHE_SIZE:
                _CACHE.popitem(last=False)
        else:
            _CACHE.move_to_end(key)
    assert entry is not None
    if owner:
        try:
            entry.facts = extract_facts(notebook)
        except BaseException as exc:
            entry.error = exc
            with _LOCK:
                if _CACHE.get(key) is entry:
                    del _CACHE[key]
            raise
        finally:
            entry.done.set()
    else:
        entry.done.wait()
        if entry.error is not None:
            raise entry.error
    assert entry.facts is not None
    return entry.facts, entry.memo


def notebook_facts(notebook: Notebook) -> NotebookFacts:
    """The facts of ``notebook``, computed once (see :func:`notebook_analysis`)."""
    return notebook_analysis(notebook)[0]
