"""Records of a dataset: a :class:`Case` to judge and a loaded :class:`Dataset`."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field

from memalign_nb.errors import NotebookError
from memalign_nb.feedback.model import Grade
from memalign_nb.notebooks.model import Notebook


@dataclass(frozen=True)
class Case:
    """One notebook to judge, with the task it answers.

    Attributes
    ----------
    case_id : str
        Unique id within its dataset (the notebook's file stem by default).
    notebook : Notebook
        The loaded notebook.
    prompt : str
        The task prompt the notebook was generated from ("" when unknown).
    task_type : str or None
        ``classification``, ``regression``, ``forecasting`` or None when unknown.
    """

    case_id: str
    notebook: Notebook
    prompt: str = ""
    task_type: str | None = None


@dataclass(frozen=True)
class Dataset:
    """A dataset folder as loaded by :func:`memalign_nb.datasets.load_dataset`.

    Attributes
    ----------
    path : str
        The dataset folder.
    cases : tuple of Case
        The notebooks, sorted by case id.
    feedback : tuple of Grade
        Every human grade: ``feedback.jsonl``'s, then the feedback store's (a store grade
        replaces the file's for the same case, dimension and rater). Grades of notebooks
        that could not be read are kept.
    skipped : tuple of NotebookError
        The notebooks of ``notebooks/`` that could not be read, one error each; the
        dataset holds the others.
    sources : tuple of (str, int)
        Where the grades came from: each file read (``feedback.jsonl``, the store) and
        the grades it held.
    """

    path: str
    cases: tuple[Case, ...]
    feedback: tuple[Grade, ...] = field(default=())
    skipped: tuple[NotebookError, ...] = field(default=(), compare=False)
    sources: tuple[tuple[str, int], ...] = field(default=(), compare=False)

    def case(self, case_id: str) -> Case:
        """The case with ``case_id``; :class:`KeyError` when absent."""
        for case in self.cases:
            if case.case_id == case_id:
                return case
        raise KeyError(case_id)

    def with_grades(self, grades: Iterable[Grade]) -> Dataset:
        """This dataset with ``grades`` added (from a feedback store or another file).

        A grade for a (case, dimension, rater) already held replaces it, as a re-grade does
        in the :class:`~memalign_nb.feedback.FeedbackStore`; the others are appended.
        """
        merged = {(*g.key, g.rater): g for g in (*self.feedback, *grades)}
        return dataclasses.replace(self, feedback=tuple(merged.values()))

    def subset(self, case_ids: Iterable[str]) -> Dataset:
        """The cases in ``case_ids`` and only their grades (for cross-validation folds)."""
        keep = set(case_ids)
        return dataclasses.replace(
            self,
            cases=tuple(c for c in self.cases if c.case_id in keep),
            feedback=tuple(g for g in self.feedback if g.case_id in keep),
        )
