"""What a notebook writes down about its exploration, and whether its own outputs agree.

Reads the markdown cells and the saved outputs kept in
:class:`~memalign_nb.sections.facts.NotebookFacts` (nothing is executed):

* :func:`finding_cells`: markdown cells after the first look at the data and before the
  modelling starts that quote numbers (``43% against 3%``, ``peaks at 8:00``, ``0.79``);
* :func:`contradicted_claims`: a markdown claim that missing values are negligible, or
  that the classes are balanced, written after a check whose saved output shows a
  column missing in a large share of rows, or a rare class. Only outputs that parse
  unambiguously (one ``label number`` per line, in a short cell) are read; anything
  else leaves the claim alone.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from memalign_nb.sections.facts import NotebookFacts

LARGE_MISSING_SHARE = 0.25
"""A column missing in at least this share of rows makes "missing values are negligible"
false."""

UNBALANCED_SHARE = 0.3
"""A smallest class below this share (a 70/30 split or worse) makes "balanced" false."""

_COUNT_LINE = re.compile(r"^\s*(\S+)\s+(\d+(?:\.\d+)?(?:e-?\d+)?)\s*$")
_LONE_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*$")
_INFO_ENTRIES = re.compile(r"(\d+) entries")
_INFO_COLUMN = re.compile(r"^\s*\d+\s+(\S+)\s+(\d+) non-null\b", re.M)
_SHAPE = re.compile(r"^\((\d+), \d+\)", re.M)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s.*$|^```.*?^```", re.M | re.S)
_FINDING_NUMBER = re.compile(
    r"\b\d+(?:\.\d+)?\s*%|\b\d+\.\d+\b|\b\d+(?:\.\d+)?k\b|\b\d{1,2}:\d{2}\b"
    r"|\b\d[\d,]*\s+(?:rows|of \d|out of|times)\b")
_MISSING_CLAIM = re.compile(
    r"\b(?:missing|null|nan|na)\s+(?:values?|data|entries)\s+(?:are|is)\s+(?:\w+\s+)?"
    r"(?:negligible|minimal|insignificant|rare|not an? (?:issue|problem|concern))"
    r"|\b(?:missing|null)\s+(?:values?|data)\s+(?:can|could|may)\s+be\s+(?:safely\s+)?ignored"
    r"|\bhardly any (?:missing|null)", re.I)
_BALANCED_CLAIM = re.compile(
    r"\b(?:class(?:es)?|class distribution|target|labels?|data(?:set)?)\b[^.!?\n]{0,40}?"
    r"\b(?:is|are|looks?|seems?)\s+(?:\w+\s+){0,2}?balanced\b", re.I)
_NEGATION = re.compile(r"\bnot\b|n't\b|\bno\b|\bnever\b", re.I)
SHORT_CELL_LINES = 3
"""Longest cell (code lines) whose saved output is read as the output of one check."""


def code_lines(source: str) -> int:
    """Non-blank code lines that are not comments."""
    return sum(bool(line.strip()) and not line.lstrip().startswith("#")
               for line in source.splitlines())


def labelled_numbers(text: str) -> list[tuple[str, float]]:
    """``(label, value)`` of each ``label number`` line of a printed Series (a lone
    number gets the label ``""``)."""
    found = []
    for line in text.splitlines():
        if m := _COUNT_LINE.match(line):
            found.append((m.group(1), float(m.group(2))))
        elif m := _LONE_NUMBER.match(line):
            found.append(("", float(m.group(1))))
    return found


def _prose(text: str) -> str:
    return _HEADING.sub(" ", text)


def _explored(facts: NotebookFacts) -> tuple[int | None, int | None]:
    """The first cell inspecting data, and the first cell splitting or fitting."""
    looks = [e.cell for e in facts.of("eda", "plot", "missing_check") if e.name != "shape"]
    models = [e.cell for e in facts.of("split", "fit", "cv")]
    return min(looks, default=None), min(models, default=None)


def finding_cells(facts: NotebookFacts) -> list[int]:
    """Markdown cells between the first look at the data and the first split or fit
    (or after the first look, when nothing is fitted) that quote numbers."""
    start, end = _explored(facts)
    if start is None:
        return []
    return [i for i, text in facts.markdown
            if i > start and (end is None or i < end) and _FINDING_NUMBER.search(_prose(text))]


def _rows(facts: NotebookFacts, before: int) -> int | None:
    """The number of rows, from an ``info()`` or a printed shape before cell ``before``."""
    for i, text, _, _ in facts.outputs:
        if i < before and (m := _INFO_ENTRIES.search(text) or _SHAPE.search(text)):
            return int(m.group(1))
    return None


def missing_shares(facts: NotebookFacts) -> list[tuple[int, str, float]]:
    """``(cell, column, share of rows missing)`` read from saved outputs of short
    missing-value checks (shares from ``isna().mean()``, counts from ``isnull().sum()``
    over the rows an earlier output shows) and of ``info()`` (non-null counts)."""
    checks = {e.cell for e in facts.of("missing_check")}
    infos = {e.cell for e in facts.of("eda") if e.name == "info"}
    found = []
    for i, text, lines, source in facts.outputs:
        if i in infos and (entries := _INFO_ENTRIES.search(text)):
            rows = int(entries.group(1))
            found += [(i, col, (rows - int(n)) / rows) for col, n in _INFO_COLUMN.findall(text)
                      if rows]
        if i not in checks or lines > SHORT_CELL_LINES:
            continue
        values = [(label, v) for label, v in labelled_numbers(text) if label]
        if not values:
            continue
        if "mean" in source and "100" not in source and all(v <= 1 for _, v in values):
            found += [(i, label, v) for label, v in values]
        elif "sum" in source and "mean" not in source and (rows := _rows(facts, i + 1)):
            found += [(i, label, v / rows) for label, v in values if v <= rows]
    return found


def class_shares(facts: NotebookFacts) -> list[tuple[int, float]]:
    """``(cell, smallest class share)`` from saved outputs of short checks of the target's
    classes (``value_counts``, with or without ``normalize=True``): two to twenty classes."""
    cells = {e.cell for e in facts.of("eda") if "target" in e.flags and e.name == "value_counts"}
    found = []
    for i, text, lines, _ in facts.outputs:
        if i in cells and lines <= SHORT_CELL_LINES:
            values = [v for _, v in labelled_numbers(text)]
            if 2 <= len(values) <= 20 and sum(values) > 0:
                found.append((i, min(values) / sum(values)))
    return found


def _claims(facts: NotebookFacts, pattern: re.Pattern[str]) -> list[tuple[int, str]]:
    out = []
    for i, text in facts.markdown:
        for m in pattern.finditer(_prose(text)):
            if not _NEGATION.search(m.group(0)):
                out.append((i, m.group(0).strip()))
                break
    return out


def contradicted_claims(facts: NotebookFacts) -> list[str]:
    """Markdown claims that the notebook's own earlier saved outputs contradict, in words
    naming both cells; empty unless an output parses unambiguously."""
    found = []
    shares = missing_shares(facts)
    handled = min((e.cell for e in facts.of("missing_handling")), default=None)
    for cell, claim in _claims(facts, _MISSING_CLAIM):
        seen = [s for s in shares if s[0] < cell and s[2] >= LARGE_MISSING_SHARE]
        if seen and (handled is None or handled > cell):
            out, column, share = max(seen, key=lambda s: s[2])
            found.append(f'"{claim}" (cell {cell}), but cell {out} shows {column} missing in '
                         f"{share:.0%} of rows")
    classes = class_shares(facts)
    for cell, claim in _claims(facts, _BALANCED_CLAIM):
        seen = [s for s in classes if s[0] < cell and s[1] < UNBALANCED_SHARE]
        if seen:
            out, share = seen[-1]
            found.append(f'"{claim}" (cell {cell}), but cell {out} shows the smallest class '
                         f"at {share:.1%} of rows")
    return found
