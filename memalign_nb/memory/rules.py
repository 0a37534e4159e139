"""The heuristic engine's rule learner: single-fact rules over section facts.

For every dimension and every static fact of its sections (``imputer_fit_before_split``,
``split_found``, ...), :func:`learn_rules` looks at the graded cases where the fact takes a
value and asks whether the experts then (almost) always give one score. Such a rule becomes a
:class:`~memalign_nb.memory.guidelines.Guideline` whose text says it in words and whose
``condition`` states it as data; :func:`apply_rules` checks a new section's facts against
those conditions.

Fact values are read by type: a bool or a string is compared for equality (test
``"equals"``), a number by whether it is positive (``"positive"``), a list by whether it is
non-empty (``"nonempty"``) and by each string it holds (``"contains"``: ``imputation_methods``
includes ``'dropna'``); other values (None, mappings) are skipped. Rules are ranked by
how many of the judge's errors on the feedback they would fix, net of the judge's correct
scores they would overturn; a rule that would do more harm than good is not emitted.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from memalign_nb.dimensions import check_score
from memalign_nb.errors import MemoryDataError
from memalign_nb.memory.examples import Example
from memalign_nb.memory.guidelines import Guideline, order_dimensions

logger = logging.getLogger(__name__)

RuleItem = tuple[str, str, Mapping[str, Any], int, "int | None"]
"""A graded item for :func:`learn_rules`: (case_id, dimension, facts, expert_score,
judge_score or None). An :class:`~memalign_nb.memory.examples.Example` works as well."""


@dataclass(frozen=True)
class _Item:
    case_id: str
    dimension: str
    facts: Mapping[str, Any]
    expert: int
    judge: int | None


def learn_rules(
    items: Iterable[RuleItem | Example],
    *,
    min_support: int = 3,
    min_precision: float = 0.75,
) -> list[Guideline]:
    """Learn "when fact F is v, experts score s" rules from graded items.

    Parameters
    ----------
    items : iterable of (case_id, dimension, facts, expert_score, judge_score) or Example
        One per graded (case, dimension); a later duplicate replaces an earlier one.
    min_support : int
        Fewest cases that must have the fact value *and* the rule's score.
    min_precision : float
        Smallest share of the cases with the fact value that the experts gave that score.

    Returns
    -------
    list of Guideline
        ``engine="rules"`` guidelines, by dimension (built-in order first) and then by
        rank: judge errors fixed net of judge scores overturned, support, precision.
        ``source_case_ids`` are the supporting cases; ``condition`` holds ``fact``,
        ``test``, ``value``, ``score``, ``n``, ``of``, ``fixes`` and ``breaks``.

    Raises
    ------
    MemoryDataError
        An item is not a 5-tuple or an Example, or its facts are not a mapping.
    InvalidScoreError
        A score is not an integer from 0 to 3.

    Examples
    --------
    >>> items = [(f"c{i}", "data_imputation", {"imputer_fit_before_split": True}, 1, 3)
    ...          for i in range(4)]
    >>> [g.text for g in learn_rules(items)]  # doctest: +NORMALIZE_WHITESPACE
    ['When imputer fit before split is true, experts score data imputation 1 (4 of 4 cases;
      the judge scored all 4 otherwise).']
    """
    by_key: dict[tuple[str, str], _Item] = {}
    for raw in items:
        item = _to_item(raw)
        by_key[(item.case_id, item.dimension)] = item
    by_dimension: dict[str, list[_Item]] = {}
    for item in by_key.values():
        by_dimension.setdefault(item.dimension, []).append(item)
    rules: list[Guideline] = []
    for dimension in order_dimensions(by_dimension):
        found = _learn_dimension(by_dimension[dimension], min_support, min_precision)
        rules += sorted(found, key=_rank)
        logger.debug("learned %d rules for %s", len(found), dimension)
    return rules


def apply_rules(
    guidelines: Iterable[Guideline],
    facts: Mapping[str, Any],
    *,
    dimension: str | None = None,
) -> list[tuple[Guideline, int]]:
    """The rules whose condition a section's facts meet, with the score each predicts.

    Parameters
    ----------
    guidelines : iterable of Guideline
        Guidelines of any engine; only ``rules`` guidelines with a condition can match.
    facts : mapping
        The section's facts (:attr:`memalign_nb.sections.model.Section.facts`).
    dimension : str, optional
        Only rules of this dimension (facts of different dimensions share names).

    Returns
    -------
    list of (Guideline, int)
        Matching rules, best ranked first, each with its predicted score.
    """
    matches = []
    for guideline in guidelines:
        condition = guideline.condition
        if guideline.engine != "rules" or not condition:
            continue
        if dimension is not None and guideline.dimension != dimension:
            continue
        if condition.get("fact") not in facts:
            continue
        if _holds(facts[condition["fact"]], condition.get("test", "equals"), condition["value"]):
            matches.append((guideline, int(condition["score"])))
    return sorted(matches, key=lambda match: _rank(match[0]))


def _to_item(raw: RuleItem | Example) -> _Item:
    """One item as the learner reads it, validated."""
    if isinstance(raw, Example):
        return _Item(raw.case_id, raw.dimension, raw.facts, raw.expert_score, raw.judge_score)
    if not isinstance(raw, Sequence) or isinstance(raw, str) or len(raw) != 5:
        raise MemoryDataError(
            "rule item", f"expected (case_id, dimension, facts, expert_score, judge_score) "
            f"or an Example, got {raw!r:.120}"
        )
    case_id, dimension, facts, expert, judge = raw
    where = f"rule item {dimension}::{case_id}"
    if not isinstance(facts, Mapping):
        raise MemoryDataError(where, f"facts must be a mapping, got {type(facts).__name__}")
    judge = None if judge is None else check_score(judge, where)
    return _Item(str(case_id), str(dimension), facts, check_score(expert, where), judge)


def _readings(value: Any) -> list[tuple[str, bool | str]]:
    """Every ``(test, value)`` a rule can condition on for one fact value."""
    if isinstance(value, bool | str):
        return [("equals", value)]
    if isinstance(value, int | float):
        return [("positive", value > 0)]
    if isinstance(value, list | tuple):
        words = sorted({v for v in value if isinstance(v, str)})
        return [("nonempty", len(value) > 0), *(("contains", w) for w in words)]
    return []


def _holds(value: Any, test: str, expected: Any) -> bool:
    """Whether a fact value meets the condition ``test`` / ``expected``."""
    if test == "contains":
        return isinstance(value, list | tuple) and expected in value
    return any(t == test and type(v) is type(expected) and v == expected
               for t, v in _readings(value))


def _learn_dimension(
    items: list[_Item], min_support: int, min_precision: float
) -> list[Guideline]:
    """Every rule of one dimension that passes the support and precision bars."""
    groups: dict[tuple[str, str, bool | str], list[_Item]] = {}
    for item in items:
        for fact, raw in item.facts.items():
            for test, value in _readings(raw):
                groups.setdefault((fact, test, value), []).append(item)
    rules = []
    for (fact, test, value), covered in sorted(groups.items(), key=lambda kv: repr(kv[0])):
        counts = Counter(item.expert for item in covered)
        score, n = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        if n < min_support or n / len(covered) < min_precision:
            continue
        fixes = sum(1 for i in covered if i.expert == score and i.judge not in (None, score))
        breaks = sum(1 for i in covered if i.expert != score and i.judge == i.expert)
        if fixes < breaks:
            logger.debug("rule %s=%r -> %d would overturn more than fix", fact, value, score)
            continue
        condition = {
            "fact": fact, "test": test, "value": value, "score": score,
            "n": n, "of": len(covered), "fixes": fixes, "breaks": breaks,
        }
        rules.append(
            Guideline(
                dimension=covered[0].dimension,
                text=_sentence(condition, covered[0].dimension),
                source_case_ids=tuple(i.case_id for i in covered if i.expert == score),
                support=n,
                condition=condition,
                engine="rules",
            )
        )
    return rules


def _rank(guideline: Guideline) -> tuple[Any, ...]:
    """Sort key: most net judge errors fixed, then support, precision, id."""
    c = guideline.condition or {}
    n, of = c.get("n", 0), c.get("of", 0) or 1
    return (-(c.get("fixes", 0) - c.get("breaks", 0)), -n, -n / of, guideline.id)


def readable(name: str) -> str:
    """A fact or dimension id as words: ``imputerFitBefore_split`` -> ``imputer fit before
    split``."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)
    return " ".join(re.split(r"[_\s.]+", spaced)).strip().lower()


def _sentence(condition: Mapping[str, Any], dimension: str) -> str:
    """The rule in words, e.g. "When split found is true, experts score ... 3 (5 of 6 cases)."""
    value, test = condition["value"], condition["test"]
    if test == "equals" and isinstance(value, bool):
        predicate = "is true" if value else "is false"
    elif test == "equals":
        predicate = f"is {value!r}"
    elif test == "positive":
        predicate = "is above 0" if value else "is 0 or less"
    elif test == "contains":
        predicate = f"includes {value!r}"
    else:
        predicate = "is non-empty" if value else "is empty"
    score = condition["score"]
    score_text = f"{score} (not applicable)" if score == 0 else str(score)
    evidence = f"{condition['n']} of {condition['of']} cases"
    if condition["fixes"]:
        evidence += f"; the judge scored {_count(condition['fixes'], condition['n'])} otherwise"
    return (
        f"When {readable(condition['fact'])} {predicate}, experts score "
        f"{readable(dimension)} {score_text} ({evidence})."
    )


def _count(part: int, whole: int) -> str:
    return f"all {whole}" if part == whole else f"{part} of them"
