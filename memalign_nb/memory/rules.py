"""The heuristic engine's rule learner: corrections the experts made to the judge, as rules.

:func:`learn_rules` reads graded items of one or more dimensions (the experts' reference
score, the base judge's score, the section's static facts and its static finding) and
looks, per dimension, for the systematic corrections the experts made: a condition of one
or two readings (:mod:`memalign_nb.memory.readings`: a fact value, a threshold on a count,
the static finding, the judge's own score) under which the experts' scores differ from the
judge's in the same way across several cases. "When the judge scores 0 and missingness
measured is false, experts score data imputation 2" is an applicability correction;
"when the judge scores 2 and eda calls is at most 2, experts score 1" a leniency offset;
"when imputer fit before split is true, experts score 1" a fact the judge weighs wrongly.

The rules of a dimension form an ordered decision list, learned by sequential covering:
the condition whose rule removes the most error from the items not yet covered comes
first (on a tie, the one of fewer readings, then of fewer cases), then the next on what is
left, while a rule still removes at least ``min_gain``
points. A rule's score is what its cases' experts decide, as several raters are reduced
to a reference (:func:`~memalign_nb.feedback.reference_scores`): not applicable when more
than half say so, otherwise the 1-3 score with the least absolute error. Error counts as
the study measures it: the distance to the reference on applicable items, and
``applicability_cost`` for saying 0 where the experts say 1-3 or the other way round.

Each rule is a :class:`~memalign_nb.memory.guidelines.Guideline` whose text states the
correction and its evidence in words and whose ``condition`` states it as data;
:func:`match_rule` finds the first rule of the list a new section meets.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np

from memalign_nb.dimensions import NOT_APPLICABLE, check_score
from memalign_nb.errors import MemoryDataError
from memalign_nb.memory.examples import Example
from memalign_nb.memory.guidelines import Guideline, order_dimensions
from memalign_nb.memory.readings import (
    FINDING,
    JUDGE_SCORE,
    Reading,
    readable,
    readings,
    thresholds,
)

logger = logging.getLogger(__name__)

APPLICABILITY_COST = 0.5
"""Error points of saying 0 where the experts say 1-3 (or the other way round), on top of
the score distance MAE counts."""

MAX_RULES = 5
"""Most rules learned per dimension."""

_LEVELS = (0.0, 1.0, 1.5, 2.0, 2.5, 3.0)  # every reference a median of raters can take


@dataclass(frozen=True)
class RuleItem:
    """One graded (case, dimension) as the learner reads it.

    Attributes
    ----------
    case_id, dimension : str
        The item.
    facts : Mapping
        The section's static facts.
    reference : float
        The experts' reference score (a median of raters: 0-3, halves allowed).
    judge_score : int or None
        The base judge's score; None when unknown (the judge failed): such items are left
        out, since no correction of the judge can be measured on them.
    finding : str
        The section's static finding ("" when unknown).
    """

    case_id: str
    dimension: str
    facts: Mapping[str, Any]
    reference: float
    judge_score: int | None
    finding: str = ""

    @classmethod
    def from_example(cls, example: Example, reference: float | None = None) -> RuleItem:
        """The item of ``example``; ``reference`` overrides its (rounded) expert score."""
        return cls(example.case_id, example.dimension, example.facts,
                   float(example.expert_score if reference is None else reference),
                   example.judge_score, example.finding)

    def state(self) -> dict[str, Any]:
        """The facts with the pseudo-facts rules can name (finding, judge score)."""
        return rule_state(self.facts, self.finding, self.judge_score)


def rule_state(facts: Mapping[str, Any], finding: str, judge_score: int | None
               ) -> dict[str, Any]:
    """What a rule's readings are checked against: ``facts``, the finding, the judge's
    score (pseudo-facts of those names in the facts are replaced)."""
    state = {k: v for k, v in facts.items() if k not in (FINDING, JUDGE_SCORE)}
    if finding:
        state[FINDING] = finding
    if judge_score is not None:
        state[JUDGE_SCORE] = int(judge_score)
    return state


def learn_rules(
    items: Iterable[RuleItem | Example],
    *,
    min_support: int = 3,
    min_gain: float = 2.0,
    max_rules: int = MAX_RULES,
    applicability_cost: float = APPLICABILITY_COST,
) -> list[Guideline]:
    """Learn each dimension's decision list of corrections from graded items.

    Parameters
    ----------
    items : iterable of RuleItem or Example
        One per graded (case, dimension); a later duplicate replaces an earlier one.
        An :class:`Example` counts with its expert score as the reference.
    min_support : int
        Fewest cases a rule's condition covers, and fewest it must correct.
    min_gain : float
        Fewest error points a rule must remove on the cases it covers (net of the cases
        it would make worse) to be learned.
    max_rules : int
        Most rules per dimension.
    applicability_cost : float
        See :data:`APPLICABILITY_COST`.

    Returns
    -------
    list of Guideline
        ``engine="rules"`` guidelines, by dimension (built-in order first), each
        dimension's in decision-list order. ``condition`` holds ``when`` (the readings,
        as dicts), ``score``, ``order``, ``n`` (cases covered when learned), ``agree``
        (of them, the experts' reference equals ``score``), ``fixes`` and ``breaks``
        (cases the rule makes better or worse than the judge), and ``gain``;
        ``source_case_ids`` are the cases it fixes.

    Raises
    ------
    MemoryDataError
        An item is neither a RuleItem nor an Example, or its facts are not a mapping.
    InvalidScoreError
        A judge score is not an integer from 0 to 3.

    Examples
    --------
    >>> items = [RuleItem(f"c{i}", "data_imputation", {"imputer_fit_before_split": True}, 1, 3)
    ...          for i in range(4)]
    >>> [g.text for g in learn_rules(items)]  # doctest: +NORMALIZE_WHITESPACE
    ["When imputer fit before split is true, experts score data imputation 1, not the
      unaligned judge's 3 (4 of 4 cases; it corrects the judge on all 4)."]
    """
    by_key: dict[tuple[str, str], RuleItem] = {}
    for raw in items:
        item = _checked(raw)
        by_key[(item.case_id, item.dimension)] = item
    by_dimension: dict[str, list[RuleItem]] = {}
    for item in by_key.values():
        if item.judge_score is not None:
            by_dimension.setdefault(item.dimension, []).append(item)
    rules: list[Guideline] = []
    for dimension in order_dimensions(by_dimension):
        found = _DecisionList(sorted(by_dimension[dimension], key=lambda i: i.case_id),
                              min_support, min_gain, applicability_cost).learn(max_rules)
        rules += found
        logger.debug("learned %d rules for %s", len(found), dimension)
    return rules


def match_rule(
    guidelines: Iterable[Guideline],
    facts: Mapping[str, Any],
    *,
    dimension: str,
    finding: str = "",
    judge_score: int | None = None,
) -> Guideline | None:
    """The first rule of ``dimension``'s decision list that a section meets, or None.

    Parameters
    ----------
    guidelines : iterable of Guideline
        Guidelines of any engine; only ``rules`` guidelines of ``dimension`` with a
        condition can match, in their ``order``.
    facts : mapping
        The section's facts (:attr:`memalign_nb.sections.model.Section.facts`).
    dimension : str
        The dimension being scored (facts of different dimensions share names).
    finding : str
        The section's static finding.
    judge_score : int, optional
        The base judge's score of the section.
    """
    state = rule_state(facts, finding, judge_score)
    for guideline in ordered_rules(guidelines, dimension):
        if all(reading.holds(state) for reading in rule_readings(guideline)):
            return guideline
    return None


def ordered_rules(guidelines: Iterable[Guideline], dimension: str) -> list[Guideline]:
    """The ``rules`` guidelines of ``dimension``, in decision-list order."""
    rules = [g for g in guidelines if g.engine == "rules" and g.condition
             and g.dimension == dimension]
    return sorted(rules, key=lambda g: (int(g.condition.get("order", 0)), g.id))


def rule_readings(guideline: Guideline) -> list[Reading]:
    """The readings a rule's condition requires.

    Raises
    ------
    MemoryDataError
        The condition is not a rule condition.
    """
    when = (guideline.condition or {}).get("when")
    if not isinstance(when, list) or not when:
        raise MemoryDataError(f"guideline {guideline.id}", "its condition has no 'when' list")
    return [Reading.from_dict(row) for row in when]


class _DecisionList:
    """Sequential covering over one dimension's items (see the module docs)."""

    def __init__(self, items: Sequence[RuleItem], min_support: int, min_gain: float,
                 applicability_cost: float) -> None:
        self.items = items
        self.min_support = min_support
        self.min_gain = min_gain
        states = [item.state() for item in items]
        candidates = {r.token(): r for state in states for r in _all_readings(state)}
        candidates |= {r.token(): r for r in thresholds(i.facts for i in items)}
        self.readings = [candidates[token] for token in sorted(candidates)]
        holds = np.array([[r.holds(s) for r in self.readings] for s in states], dtype=bool)
        if holds.size == 0:
            holds = holds.reshape(len(items), len(self.readings))
        self.conditions, self.coverage = _conditions(self.readings, holds, min_support)
        reference = np.array([i.reference for i in items], dtype=float)
        # cost[s, i]: error points of scoring item i with s (0-3)
        self.cost = np.array([_cost(s, reference, applicability_cost) for s in range(4)])
        self.level = np.array([[r == level for level in _LEVELS] for r in reference],
                              dtype=float)
        self.reference = reference

    def learn(self, max_rules: int) -> list[Guideline]:
        items = self.items
        judged = np.array([i.judge_score for i in items], dtype=int)
        predicted_cost = self.cost[judged, np.arange(len(items))]
        open_ = np.ones(len(items), dtype=bool)
        found: list[Guideline] = []
        while len(found) < max_rules and self.coverage.size:
            covered = self.coverage & open_  # conditions x items
            counts = covered.astype(float) @ self.level  # conditions x levels
            scores = _decide(counts)
            new_cost = np.take_along_axis(covered.astype(float) @ self.cost.T,
                                          scores[:, None], axis=1)[:, 0]
            gain = covered.astype(float) @ predicted_cost - new_cost
            better = ((self.cost[scores] < predicted_cost) & covered).sum(axis=1)
            eligible = (covered.sum(axis=1) >= self.min_support) & (
                better >= self.min_support) & (gain >= self.min_gain - 1e-9)
            if not eligible.any():
                break
            size = np.array([len(c) for c in self.conditions])
            # most gain, then fewer readings, then fewer cases changed for it
            order = np.lexsort((covered.sum(axis=1), size, -gain))
            best = next(int(i) for i in order if eligible[i])
            rows = np.flatnonzero(covered[best])
            score = int(scores[best])
            found.append(self._rule(best, rows, score, predicted_cost, len(found)))
            open_[rows] = False
            predicted_cost[rows] = self.cost[score, rows]
        return found

    def _rule(self, index: int, rows: np.ndarray, score: int, before: np.ndarray,
              order: int) -> Guideline:
        after = self.cost[score, rows]
        fixed = [self.items[r].case_id for r, a, b in zip(rows, after, before[rows], strict=True)
                 if a < b]
        breaks = int((after > before[rows]).sum())
        agree = int(sum(1 for r in rows if _reference_is(self.reference[r], score)))
        when = [r.to_dict() for r in self.conditions[index]]
        judges = {self.items[r].judge_score for r in rows}
        condition = {
            "when": when, "score": score, "order": order, "n": len(rows), "agree": agree,
            "fixes": len(fixed), "breaks": breaks,
            "gain": round(float(before[rows].sum() - after.sum()), 3),
        }
        dimension = self.items[0].dimension
        return Guideline(dimension=dimension,
                         text=_sentence(self.conditions[index], condition, dimension, judges),
                         source_case_ids=tuple(fixed), support=len(fixed),
                         condition=condition, engine="rules")


def _all_readings(state: Mapping[str, Any]) -> list[Reading]:
    """The readings of a state, the judge's score read as a score (equality)."""
    found = readings({k: v for k, v in state.items() if k != JUDGE_SCORE})
    if JUDGE_SCORE in state:
        found.append(Reading(JUDGE_SCORE, "equals", int(state[JUDGE_SCORE])))
    return found


def _conditions(readings_: Sequence[Reading], holds: np.ndarray, min_support: int
                ) -> tuple[list[tuple[Reading, ...]], np.ndarray]:
    """Conditions of one or two readings covering at least ``min_support`` items, and
    their coverage (conditions x items)."""
    support = holds.sum(axis=0)
    frequent = [j for j in range(len(readings_)) if support[j] >= min_support]
    conditions: list[tuple[Reading, ...]] = [(readings_[j],) for j in frequent]
    columns = [holds[:, j] for j in frequent]
    seen = {holds[:, j].tobytes() for j in frequent}
    for a, b in combinations(frequent, 2):
        if readings_[a].fact == readings_[b].fact and readings_[a].test in ("at_most", "above"):
            continue  # two thresholds of one count: a range, too fine for a few dozen cases
        both = holds[:, a] & holds[:, b]
        key = both.tobytes()
        if both.sum() < min_support or key in seen:
            continue  # the same cases as a simpler condition already listed
        seen.add(key)
        conditions.append((readings_[a], readings_[b]))
        columns.append(both)
    coverage = np.array(columns, dtype=bool).reshape(len(columns), holds.shape[0])
    return conditions, coverage


def _cost(score: int, reference: np.ndarray, applicability_cost: float) -> np.ndarray:
    """Error points of scoring ``score`` against each reference."""
    applicable = reference > 0
    distance = np.where(applicable, np.abs(score - reference), 0.0)
    wrong_applicability = applicable != (score > 0)
    return distance + applicability_cost * wrong_applicability


def _decide(level_counts: np.ndarray) -> np.ndarray:
    """The experts' decision over each row of counts of each reference level (see the
    module docs), for every condition at once."""
    total = level_counts.sum(axis=1)
    distance = np.abs(np.array([1.0, 2.0, 3.0])[:, None] - np.array(_LEVELS[1:])[None, :])
    errors = level_counts[:, 1:] @ distance.T  # rows x scores 1-3
    quality = 1 + np.argmin(errors, axis=1)  # a tie goes to the lower score
    decided = np.where(level_counts[:, 0] * 2 > total, NOT_APPLICABLE, quality)
    return np.where(total == 0, 2, decided).astype(int)


def _reference_is(reference: float, score: int) -> bool:
    return abs(reference - score) < 1e-9


def _checked(raw: RuleItem | Example) -> RuleItem:
    """One item as the learner reads it, validated."""
    if isinstance(raw, Example):
        return RuleItem.from_example(raw)
    if not isinstance(raw, RuleItem):
        raise MemoryDataError("rule item", f"expected a RuleItem or an Example, got {raw!r:.120}")
    where = f"rule item {raw.dimension}::{raw.case_id}"
    if not isinstance(raw.facts, Mapping):
        raise MemoryDataError(where, f"facts must be a mapping, got {type(raw.facts).__name__}")
    if raw.judge_score is not None:
        check_score(raw.judge_score, where)
    if not 0 <= float(raw.reference) <= 3:
        raise MemoryDataError(where, f"reference must be in [0, 3], got {raw.reference!r}")
    return raw


def _sentence(readings_: Sequence[Reading], condition: Mapping[str, Any], dimension: str,
              judges: set[int | None]) -> str:
    """The rule in words, with its evidence."""
    score = condition["score"]
    score_text = f"{score} (not applicable)" if score == NOT_APPLICABLE else str(score)
    named = {r.value for r in readings_ if r.fact == JUDGE_SCORE}
    scored = named or judges - {None}
    versus = ""
    if len(scored) == 1 and (only := next(iter(scored))) != score:
        versus = f", not the unaligned judge's {only}"
    evidence = f"{condition['agree']} of {condition['n']} cases"
    fixes, n = condition["fixes"], condition["n"]
    if fixes:
        evidence += f"; it corrects the judge on {'all ' + str(n) if fixes == n else fixes}"
    return (f"When {' and '.join(r.words() for r in readings_)}, experts score "
            f"{readable(dimension)} {score_text}{versus} ({evidence}).")
