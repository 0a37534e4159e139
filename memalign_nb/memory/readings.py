"""Readings: the discrete statements a section's static facts support.

Both memories look at a section through its readings: the rule learner
(:mod:`memalign_nb.memory.rules`) conditions corrections on them, and episodic memory
(:mod:`memalign_nb.memory.profile`) hashes them into the part of a section's vector that
says what its code does. A fact value is read by type:

* a bool or a string: ``equals`` its value (``split_found`` equals True);
* a number: ``positive`` (above 0 or not); the rule learner adds ``at_most`` / ``above``
  thresholds of its own;
* a list: ``nonempty`` (True or False) and ``contains`` each string it holds
  (``imputation_methods`` contains ``'dropna'``).

Other values (None, mappings) give no reading. Two readings that are not facts of the
section also take part: the static ``finding`` (which of the heuristic judge's verdicts
the section falls under, e.g. ``data_imputation.coarse``) and, for the rule learner, the
base judge's own ``judge_score``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from memalign_nb.errors import MemoryDataError

TESTS: tuple[str, ...] = ("equals", "positive", "nonempty", "contains", "at_most", "above")
"""Every test a reading can make of a fact value."""

FINDING = "finding"
"""The pseudo-fact naming the static verdict a section falls under."""

JUDGE_SCORE = "judge_score"
"""The pseudo-fact holding the base judge's score of the section."""


@dataclass(frozen=True)
class Reading:
    """One statement about one fact: ``fact`` passes ``test`` with ``value``.

    Attributes
    ----------
    fact : str
        The fact's name (a key of :attr:`memalign_nb.sections.model.Section.facts`,
        :data:`FINDING` or :data:`JUDGE_SCORE`).
    test : str
        One of :data:`TESTS`.
    value : bool, str, int or float
        What the test compares with: the value for ``equals``, True/False for
        ``positive`` and ``nonempty``, the string for ``contains``, the threshold for
        ``at_most`` and ``above``.

    Raises
    ------
    MemoryDataError
        An unknown test.
    """

    fact: str
    test: str
    value: bool | str | int | float

    def __post_init__(self) -> None:
        if self.test not in TESTS:
            raise MemoryDataError(f"reading of {self.fact!r}",
                                  f"test must be one of {TESTS}, got {self.test!r}")

    def holds(self, facts: Mapping[str, Any]) -> bool:
        """Whether ``facts`` (with any pseudo-facts) make this reading true."""
        if self.fact not in facts:
            return False
        value = facts[self.fact]
        if self.test in ("at_most", "above"):
            if not _is_number(value):
                return False
            return value <= self.value if self.test == "at_most" else value > self.value
        if self.test == "contains":
            return isinstance(value, list | tuple) and self.value in value
        if self.test == "nonempty":
            return isinstance(value, list | tuple) and (len(value) > 0) == self.value
        if self.test == "positive":
            return _is_number(value) and (value > 0) == self.value
        return type(value) is type(self.value) and value == self.value

    def to_dict(self) -> dict[str, Any]:
        """The reading as JSON-serialisable data (:meth:`from_dict` reads it back)."""
        return {"fact": self.fact, "test": self.test, "value": self.value}

    @classmethod
    def from_dict(cls, row: Mapping[str, Any]) -> Reading:
        """The inverse of :meth:`to_dict`.

        Raises
        ------
        MemoryDataError
            A field is missing.
        """
        try:
            return cls(str(row["fact"]), str(row["test"]), row["value"])
        except (KeyError, TypeError) as exc:
            raise MemoryDataError("reading", f"not a reading: {row!r:.120} ({exc})") from None

    def token(self) -> str:
        """A compact, unambiguous form: ``imputation_methods contains 'dropna'``."""
        return f"{self.fact} {self.test} {self.value!r}"

    def words(self) -> str:
        """The reading in words: ``imputation methods includes 'dropna'``."""
        name = readable(self.fact)
        if self.fact == JUDGE_SCORE:
            return f"the unaligned judge scores {self.value}"
        if self.fact == FINDING:
            return f"the static reading is {self.value}"
        if self.test == "equals" and isinstance(self.value, bool):
            return f"{name} is {'true' if self.value else 'false'}"
        if self.test == "equals":
            return f"{name} is {self.value!r}"
        if self.test == "positive":
            return f"{name} is {'above 0' if self.value else '0 or less'}"
        if self.test == "contains":
            return f"{name} includes {self.value!r}"
        if self.test == "at_most":
            return f"{name} is at most {self.value:g}"
        if self.test == "above":
            return f"{name} is above {self.value:g}"
        return f"{name} is {'non-empty' if self.value else 'empty'}"


def readings(facts: Mapping[str, Any]) -> list[Reading]:
    """Every reading that holds of ``facts`` (thresholds aside), in the facts' order.

    Examples
    --------
    >>> [r.token() for r in readings({"split_found": True, "methods": ["dropna"]})]
    ["split_found equals True", "methods nonempty True", "methods contains 'dropna'"]
    """
    found = []
    for fact, value in facts.items():
        if isinstance(value, bool | str):
            found.append(Reading(fact, "equals", value))
        elif _is_number(value):
            found.append(Reading(fact, "positive", value > 0))
        elif isinstance(value, list | tuple):
            found.append(Reading(fact, "nonempty", len(value) > 0))
            words = sorted({v for v in value if isinstance(v, str)})
            found += [Reading(fact, "contains", w) for w in words]
    return found


def thresholds(facts: Iterable[Mapping[str, Any]], quantiles: Iterable[float] = (0.25, 0.5, 0.75)
               ) -> list[Reading]:
    """``at_most`` / ``above`` readings at quantiles of each numeric fact's values.

    Only facts with at least three distinct values among ``facts`` get thresholds; a count
    (whole numbers only) gets whole thresholds, the quantiles rounded down.
    """
    import numpy as np

    values: dict[str, set[float]] = {}
    for row in facts:
        for fact, value in row.items():
            if _is_number(value):
                values.setdefault(fact, set()).add(value)
    found = []
    for fact, seen in sorted(values.items()):
        if len(seen) < 3:
            continue
        ordered = sorted(seen)
        counts = all(float(v).is_integer() for v in ordered)
        cuts = {float(np.quantile(ordered, q)) for q in quantiles}
        for cut in sorted({math.floor(c) for c in cuts} if counts else cuts):
            if cut < ordered[-1]:
                value = int(cut) if float(cut).is_integer() else round(cut, 6)
                found += [Reading(fact, "at_most", value), Reading(fact, "above", value)]
    return found


def readable(name: str) -> str:
    """A fact or dimension id as words: ``imputer_fit_before_split`` -> ``imputer fit before
    split``."""
    import re

    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)
    return " ".join(re.split(r"[_\s.]+", spaced)).strip().lower()


def _is_number(value: Any) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value))
