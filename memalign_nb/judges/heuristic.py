"""The offline heuristic judge: deterministic scores from a notebook's static facts.

:class:`HeuristicJudge` (model string ``heuristic``, the default everywhere) parses each
notebook once (never running it), extracts its facts
(:func:`~memalign_nb.sections.facts.extract_facts`) and scores each built-in dimension by
its rubric's checkable criteria (:mod:`memalign_nb.judges.heuristic_rules`): leakage,
tuning or evaluating on the wrong rows, random splits of time series, refits at
inference, removed APIs, missing tracking, monolithic notebooks. The rationale names the
facts that decided, with cells; ``Judgment.metadata`` carries them as data
(``{"facts": {...}, "rule": "data_imputation.leakage"}``).

It sees only the notebook and the task (prompt and task type), never grades or case ids.
It is the baseline MemAlign improves on: what static analysis cannot see (whether the
exploration's findings are used, how good an interpretation is, hyper-parameters chosen by
hand on the validation rows) it does not guess, and there it is lenient.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from sklearn.base import BaseEstimator

from memalign_nb.datasets.model import Case
from memalign_nb.dimensions import DIMENSIONS, check_dimension
from memalign_nb.judges.base import Judge, Judgment
from memalign_nb.judges.heuristic_evidence import Evidence, Verdict, read_task
from memalign_nb.judges.heuristic_rules import RULES
from memalign_nb.rubrics.model import Rubric
from memalign_nb.sections.facts import NotebookFacts
from memalign_nb.sections.facts_cache import notebook_analysis
from memalign_nb.sections.model import Section

logger = logging.getLogger(__name__)

JUDGE_ID = "heuristic"
"""The judge id (and model string) of the heuristic engine."""

CUSTOM_SCORE = 2
"""The score given to a custom dimension, for which the engine has no rules."""

CUSTOM_RULE = "custom.no_rules"
"""The rule a custom dimension's verdict names."""


class HeuristicJudge(Judge, BaseEstimator):
    """A deterministic, offline judge scoring the static facts of each notebook.

    A scikit-learn estimator: ``__init__`` only stores the parameters, so ``get_params``,
    ``set_params`` and ``sklearn.base.clone`` work.

    Parameters
    ----------
    rubrics : mapping of str to Rubric, optional
        Rubrics by dimension; the built-in nine when None. Its keys are the dimensions
        this judge scores. Built-in dimensions are scored by rules; a custom dimension
        gets :data:`CUSTOM_SCORE` with a rationale saying there are no rules for it
        (MemAlign's learned guidelines and graded examples then do the work).
    token_budget : int, optional
        Token budget of the sections :meth:`build_section` cuts (the sectioner's default
        when None); scoring reads the facts of the whole notebook, so it does not depend
        on the budget.
    tracking_expected : bool
        Whether experiment tracking is expected when the prompt does not say (a prompt
        naming MLflow, tracking or Databricks expects it; one asking for a quick one-off
        analysis does not). True: a notebook without MLflow scores 1 on
        ``mlflow_logging``; False: 0 (not applicable).

    Examples
    --------
    >>> judge = HeuristicJudge()
    >>> judgment = judge.score(case, "data_imputation")          # doctest: +SKIP
    >>> judgment.score, judgment.metadata["rule"]                # doctest: +SKIP
    (1, 'data_imputation.leakage')
    >>> print(judgment.rationale)                                # doctest: +SKIP
    Score 1 (data_imputation.leakage): SimpleImputer in cell 4 learns fill values before
    train_test_split in cell 6.
    """

    def __init__(
        self,
        rubrics: Mapping[str, Rubric] | None = None,
        *,
        token_budget: int | None = None,
        tracking_expected: bool = True,
    ) -> None:
        self.rubrics = rubrics
        self.token_budget = token_budget
        self.tracking_expected = tracking_expected

    def __repr__(self) -> str:  # not BaseEstimator's: it would print whole rubrics
        custom = [d for d in self.dimensions if d not in DIMENSIONS]
        extra = f", custom={custom!r}" if custom else ""
        return f"HeuristicJudge(tracking_expected={self.tracking_expected!r}{extra})"

    @property
    def judge_id(self) -> str:
        """``"heuristic"``."""
        return JUDGE_ID

    @property
    def dimensions(self) -> tuple[str, ...]:
        """The dimensions of :attr:`rubrics` (the built-in nine by default)."""
        return DIMENSIONS if self.rubrics is None else tuple(self.rubrics)

    def facts(self, case: Case) -> NotebookFacts:
        """The static facts of ``case``'s notebook, parsed once and kept in memory."""
        return notebook_analysis(case.notebook)[0]

    def build_section(self, case: Case, dimension: str) -> Section:
        """The section of ``case`` this judge's facts bear on, for showing the evidence.

        Parameters
        ----------
        case : Case
        dimension : str
            One of :attr:`dimensions`.
        """
        from memalign_nb.sections import build_section

        check_dimension(dimension, self.dimensions)
        options = {} if self.token_budget is None else {"token_budget": self.token_budget}
        rubric = None if self.rubrics is None else self.rubrics.get(dimension)
        return build_section(case.notebook, dimension, rubric=rubric, **options)

    def verdict(self, case: Case, dimension: str) -> tuple[Verdict, dict[str, Any]]:
        """The rules' verdict on ``case`` for ``dimension``, and the task as read
        (``task_type``, ``task_source``; empty for a custom dimension)."""
        if dimension not in RULES:
            return Verdict(CUSTOM_SCORE, CUSTOM_RULE, (
                f"the heuristic engine has no rules for the custom dimension {dimension!r}, "
                "so it gives the neutral middle score; align the judge with graded examples "
                "to score it",), {}), {}
        facts, memo = notebook_analysis(case.notebook)
        task = read_task(case, facts, self.tracking_expected)
        verdict = RULES[dimension](Evidence(case.notebook, facts, task, memo))
        return verdict, {"task_type": task.task_type, "task_source": task.task_source}

    def _score(self, case: Case, dimension: str) -> Judgment:
        started = time.perf_counter()
        verdict, extras = self.verdict(case, dimension)
        return Judgment(
            case_id=case.case_id,
            dimension=dimension,
            score=verdict.score,
            rationale=_rationale(verdict),
            judge_id=self.judge_id,
            latency_s=time.perf_counter() - started,
            metadata={"facts": dict(verdict.facts), "rule": verdict.rule, **extras},
        )


def static_finding(case: Case, dimension: str) -> str:
    """Which verdict of the default heuristic rules ``case``'s section of ``dimension``
    falls under (``"data_imputation.coarse"``); ``""`` for a dimension without rules.

    A summary of what the notebook's code does for the dimension, whatever judge is being
    aligned: episodic memory compares sections by it (:mod:`memalign_nb.memory.profile`)
    and learned rules can name it (:mod:`memalign_nb.memory.rules`).
    """
    if dimension not in RULES:
        return ""
    return _DEFAULT.verdict(case, dimension)[0].rule


def _rationale(verdict: Verdict) -> str:
    """``Score 1 (data_imputation.leakage): reason; reason.``"""
    return f"Score {verdict.score} ({verdict.rule}): {'; '.join(verdict.reasons)}."


_DEFAULT = HeuristicJudge()
