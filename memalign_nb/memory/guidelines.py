"""Semantic memory: :class:`Guideline` records and the :class:`GuidelineSet` that holds them.

A guideline is one general, reusable grading rule for one dimension, with provenance: the
cases whose expert feedback it came from. Two engines write them: ``llm`` (distilled from
rationales by a chat model, :mod:`memalign_nb.memory.distill`) and ``rules`` (corrections
of the judge learned over section facts, :mod:`memalign_nb.memory.rules`), whose guidelines
also carry a machine ``condition``.

A set merges guidelines that mean the same: an ``llm`` guideline joins an existing one of the
same dimension when their embeddings' cosine similarity reaches ``threshold`` and they agree
on the words that flip a meaning: the same numbers, as many negations, and the same
direction words (``before``/``after``, ``train``/``test``, ``reward``/``penalise`` ...).
Embedders, lexical or neural, rate "score 1 when ..." and "score 3 when ..." as
near-identical, so similarity alone would merge opposites. A ``rules`` guideline joins one
with the same condition. Merging keeps the older text and unions the provenance.
:meth:`GuidelineSet.forget` withdraws cases and drops guidelines left with no source.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from memalign_nb.dimensions import DIMENSIONS
from memalign_nb.errors import MemoryDataError

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

logger = logging.getLogger(__name__)

ENGINES: tuple[str, ...] = ("llm", "rules")
"""Who can write a guideline: a reflection model or the rule learner."""

_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_NEGATION = re.compile(
    r"\b(?:not|no|never|without|unless|avoid|cannot|nor|neither|\w+n't)\b", re.IGNORECASE
)
_DIRECTION = re.compile(
    r"\b(?:before|after|above|below|higher|lower|more|less|fewer|over|under|reward|"
    r"penali[sz]e|lenient|strict|full|all|train|training|test|validation|only)\b",
    re.IGNORECASE,
)
_PROVENANCE_SHOWN = 10
_FORMAT_VERSION = 1


@dataclass(frozen=True)
class Guideline:
    """One grading guideline for one dimension, with the cases it came from.

    Attributes
    ----------
    dimension : str
        The dimension it guides.
    text : str
        The guideline, one or two general sentences.
    source_case_ids : tuple of str
        The cases whose feedback it was learned from (sorted, unique).
    support : int
        How many cases back it; 0 (the default) means ``len(source_case_ids)``.
    condition : Mapping or None
        For ``rules`` guidelines, the machine condition: ``{"when": [readings], "score": s,
        "order": i, "n": n, "agree": a, "fixes": f, "breaks": b, "gain": g}`` -- when a
        section meets every reading (:class:`~memalign_nb.memory.readings.Reading` as a
        dict), the experts' decision is ``s``: ``a`` of the ``n`` training cases it covered
        had that reference, and it corrected the judge on ``f`` (see
        :mod:`memalign_nb.memory.rules`). None for ``llm`` guidelines.
    engine : str
        ``"llm"`` or ``"rules"``.
    id : str
        Stable id, ``"g-"`` and 12 hex digits of SHA-256 over dimension and text; computed
        when left empty.
    """

    dimension: str
    text: str
    source_case_ids: tuple[str, ...] = ()
    support: int = 0
    condition: Mapping[str, Any] | None = field(default=None, hash=False)
    engine: str = "llm"
    id: str = ""

    def __post_init__(self) -> None:
        where = f"guideline {self.id or str(self.text)[:40]!r}"
        require_text(self, where, ("dimension", "text"))
        if self.engine not in ENGINES:
            raise MemoryDataError(where, f"engine must be one of {ENGINES}, got {self.engine!r}")
        if isinstance(self.source_case_ids, str):
            raise MemoryDataError(where, "source_case_ids must be a sequence of ids, not a str")
        sources = tuple(sorted({str(case_id) for case_id in self.source_case_ids}))
        object.__setattr__(self, "source_case_ids", sources)
        object.__setattr__(self, "text", " ".join(self.text.split()))
        if not isinstance(self.support, int) or self.support < 0:
            raise MemoryDataError(where, f"support must be an int >= 0, got {self.support!r}")
        object.__setattr__(self, "support", self.support or len(sources))
        if self.condition is not None:
            object.__setattr__(self, "condition", dict(self.condition))
        if not self.id:
            digest = hashlib.sha256(f"{self.dimension}\x00{self.text}".encode()).hexdigest()
            object.__setattr__(self, "id", f"g-{digest[:12]}")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict of every field."""
        row = dataclasses.asdict(self)
        row["source_case_ids"] = list(self.source_case_ids)
        return row

    @classmethod
    def from_dict(cls, row: Mapping[str, Any]) -> Guideline:
        """The inverse of :meth:`to_dict`; unknown keys are ignored."""
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in row.items() if k in names}
        values["source_case_ids"] = tuple(values.get("source_case_ids") or ())
        return cls(**values)


class GuidelineSet:
    """The guidelines of every dimension, merged as they arrive.

    Parameters
    ----------
    guidelines : iterable of Guideline
        Initial guidelines, added (and merged) in order.
    embeddings : str, Embeddings or None
        Embedder that decides whether two ``llm`` guidelines mean the same (see
        :func:`~memalign_nb.memory.embeddings.make_embeddings`); None is the local hashing
        embedder, which is lexical: it merges rewordings, not paraphrases.
    threshold : float
        Cosine similarity from which two ``llm`` guidelines merge.

    Examples
    --------
    >>> gs = GuidelineSet()
    >>> _ = gs.add([Guideline("data_imputation", "Fit imputers on training data only.", ("a",))])
    >>> _ = gs.add([Guideline("data_imputation", "fit imputers on training data only", ("b",))])
    >>> [(g.text, g.source_case_ids) for g in gs]
    [('Fit imputers on training data only.', ('a', 'b'))]
    """

    def __init__(
        self,
        guidelines: Iterable[Guideline] = (),
        *,
        embeddings: str | Embeddings | None = None,
        threshold: float = 0.85,
    ) -> None:
        self.embeddings = embeddings
        self.threshold = threshold
        self._embedder: Embeddings | None = None
        self._items: dict[str, Guideline] = {}
        self._vectors: dict[str, Any] = {}
        self.add(guidelines)

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Guideline]:
        return iter(list(self._items.values()))

    def __repr__(self) -> str:
        counts = {}
        for guideline in self._items.values():
            counts[guideline.dimension] = counts.get(guideline.dimension, 0) + 1
        return f"GuidelineSet({len(self)} guidelines: {counts})"

    def add(self, guidelines: Iterable[Guideline]) -> list[Guideline]:
        """Add guidelines, merging each into an existing one that means the same.

        A merged guideline keeps the stored text and id; its sources become the union of
        both, and its support the number of those sources.

        Returns
        -------
        list of Guideline
            For each input, the guideline it is stored as now (itself, or the merged one).
        """
        incoming = list(guidelines)
        for guideline in incoming:
            if not isinstance(guideline, Guideline):
                problem = f"expected a Guideline, got {guideline!r:.80}"
                raise MemoryDataError("guideline set", problem)
        self._embed([g for g in incoming if g.engine == "llm"])
        stored = []
        for guideline in incoming:
            match = self._match(guideline)
            if match is None:
                self._items[guideline.id] = guideline
                stored.append(guideline)
                continue
            sources = (*match.source_case_ids, *guideline.source_case_ids)
            merged = dataclasses.replace(match, source_case_ids=sources, support=0)
            self._items[match.id] = merged
            stored.append(merged)
            logger.debug("merged guideline %s into %s", guideline.id, match.id)
        return stored

    def merge(self, other: Iterable[Guideline]) -> GuidelineSet:
        """A new set with this set's guidelines and then ``other``'s; neither is changed."""
        combined = GuidelineSet(embeddings=self.embeddings, threshold=self.threshold)
        combined._embedder = self._embedder
        combined._items = dict(self._items)
        combined._vectors = dict(self._vectors)
        combined.add(other)
        return combined

    def forget(self, case_ids: Iterable[str]) -> list[Guideline]:
        """Withdraw cases from every guideline's provenance.

        A guideline whose every source is withdrawn is dropped; guidelines that never had
        a source (written by hand) are kept. A single string is one case id. The counts in
        a ``rules`` guideline's text and condition are not recomputed: learn the rules
        again from the remaining feedback for exact figures.

        Returns
        -------
        list of Guideline
            The dropped guidelines, as they were.
        """
        gone = {case_ids} if isinstance(case_ids, str) else set(case_ids)
        dropped = []
        for key, guideline in list(self._items.items()):
            if not gone.intersection(guideline.source_case_ids):
                continue
            remaining = tuple(c for c in guideline.source_case_ids if c not in gone)
            if remaining:
                self._items[key] = dataclasses.replace(
                    guideline, source_case_ids=remaining, support=0
                )
            else:
                dropped.append(self._items.pop(key))
                self._vectors.pop(key, None)
        return dropped

    def for_dimension(self, dimension: str) -> list[Guideline]:
        """The guidelines of ``dimension``, best supported first (then oldest first)."""
        chosen = [g for g in self._items.values() if g.dimension == dimension]
        return sorted(chosen, key=lambda g: -g.support)

    def to_markdown(self, title: str = "Guidelines") -> str:
        """A readable ``guidelines.md``: one section per dimension, provenance per line."""
        lines = [f"# {title}", ""]
        if not self._items:
            return "\n".join([*lines, "No guidelines yet.", ""])
        for dimension in order_dimensions(g.dimension for g in self._items.values()):
            guidelines = self.for_dimension(dimension)
            heading = dimension.replace("_", " ").capitalize()
            lines += [f"## {heading} (`{dimension}`, {len(guidelines)})", ""]
            for number, guideline in enumerate(guidelines, start=1):
                lines.append(f"{number}. {guideline.text}")
                lines.append(f"   *{_provenance(guideline)}*")
            lines.append("")
        return "\n".join(lines)

    def to_json(self) -> str:
        """The guidelines as a JSON document (see :meth:`from_json`)."""
        rows = [g.to_dict() for g in self._items.values()]
        return json.dumps({"version": _FORMAT_VERSION, "guidelines": rows}, indent=2)

    @classmethod
    def from_json(
        cls,
        text: str,
        *,
        embeddings: str | Embeddings | None = None,
        threshold: float = 0.85,
        source: str = "<string>",
    ) -> GuidelineSet:
        """A set read back from :meth:`to_json`, exactly as saved (nothing re-merged).

        Parameters
        ----------
        text : str
            The JSON document.
        embeddings, threshold
            As for the constructor; they govern later additions.
        source : str
            Where the text came from (a file path), named in errors.

        Raises
        ------
        MemoryDataError
            The text is not a guidelines document, or a guideline in it is invalid.
        """
        try:
            document = json.loads(text)
        except ValueError as exc:
            raise MemoryDataError(source, f"not valid JSON: {exc}") from None
        if not isinstance(document, dict) or not isinstance(document.get("guidelines"), list):
            raise MemoryDataError(source, 'expected a JSON object with a "guidelines" list')
        if document.get("version", _FORMAT_VERSION) != _FORMAT_VERSION:
            raise MemoryDataError(source, f"unsupported format version {document['version']!r}")
        result = cls(embeddings=embeddings, threshold=threshold)
        for number, row in enumerate(document["guidelines"], start=1):
            try:
                if not isinstance(row, dict):
                    raise TypeError(f"expected an object, got {type(row).__name__}")
                guideline = Guideline.from_dict(row)
            except (MemoryDataError, TypeError, ValueError) as exc:
                raise MemoryDataError(source, f"guideline {number}: {exc}") from None
            result._items[guideline.id] = guideline
        return result

    def _embed(self, guidelines: list[Guideline]) -> None:
        """Cache the vectors of ``guidelines`` and of every stored ``llm`` guideline."""
        import numpy as np

        from memalign_nb.memory.embeddings import make_embeddings

        todo = {g.id: g.text for g in guidelines if g.id not in self._vectors}
        todo.update(
            (key, g.text)
            for key, g in self._items.items()
            if g.engine == "llm" and key not in self._vectors
        )
        if not todo:
            return
        if self._embedder is None:
            self._embedder = make_embeddings(self.embeddings)
        vectors = np.asarray(self._embedder.embed_documents(list(todo.values())), dtype=float)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors = vectors / np.where(norms == 0, 1.0, norms)
        self._vectors.update(zip(todo, vectors, strict=True))

    def _match(self, new: Guideline) -> Guideline | None:
        """The stored guideline ``new`` should merge into, or None."""
        if new.id in self._items:
            return self._items[new.id]
        best, best_similarity = None, self.threshold
        for old in self._items.values():
            if old.dimension != new.dimension or old.engine != new.engine:
                continue
            if new.engine == "rules":
                if _rule_key(new) is not None and _rule_key(old) == _rule_key(new):
                    return old
                continue
            if _polarity(old.text) != _polarity(new.text):
                continue
            similarity = float(self._vectors[old.id] @ self._vectors[new.id])
            if similarity >= best_similarity:
                best, best_similarity = old, similarity
        return best


def require_text(record: object, where: str, names: Iterable[str]) -> None:
    """Raise :class:`MemoryDataError` unless each named field of ``record`` is a non-empty
    string."""
    for name in names:
        value = getattr(record, name)
        if not isinstance(value, str) or not value.strip():
            raise MemoryDataError(where, f"{name} must be a non-empty string, got {value!r}")


def _rule_key(guideline: Guideline) -> tuple[Any, ...] | None:
    """What identifies a rule: its readings and predicted score."""
    condition = guideline.condition or {}
    if not condition:
        return None
    return (repr(condition.get("when")), condition.get("score"))


def _polarity(text: str) -> tuple[frozenset[str], int, frozenset[str]]:
    """The words that flip a guideline's meaning: numbers, negations, direction words."""
    return (
        frozenset(_NUMBER.findall(text)),
        len(_NEGATION.findall(text)),
        frozenset(w.lower() for w in _DIRECTION.findall(text)),
    )


def order_dimensions(dimensions: Iterable[str]) -> list[str]:
    """Built-in dimensions in their fixed order, then custom ones alphabetically."""
    present = set(dimensions)
    return [d for d in DIMENSIONS if d in present] + sorted(present - set(DIMENSIONS))


def _provenance(guideline: Guideline) -> str:
    """``support 3 · rules · from a, b, c`` (long lists shortened)."""
    sources = list(guideline.source_case_ids)
    shown = ", ".join(sources[:_PROVENANCE_SHOWN])
    if len(sources) > _PROVENANCE_SHOWN:
        shown += f" and {len(sources) - _PROVENANCE_SHOWN} more"
    origin = f"from {shown}" if sources else "written by hand"
    return f"support {guideline.support} · {guideline.engine} · {origin} · {guideline.id}"
