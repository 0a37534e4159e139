"""Episodic memory: graded examples in a Chroma collection, retrieved by similarity.

One entry per graded (case, dimension), with id ``"{dimension}::{case_id}"``: the document is
the section text (excerpted), the metadata carries the expert's and the judge's scores and
rationales and the section's static facts. Vectors always come from our own embedder
(:func:`~memalign_nb.memory.embeddings.make_embeddings`) and are handed to Chroma, so
Chroma's default embedding function, which downloads a model, is never called. Telemetry is
off. With ``path`` the collection persists in that directory; without, it lives in memory
under a unique name, so two in-memory memories (one per cross-validation fold, say) never
see each other's entries even though Chroma shares one in-process system between them.
"""

from __future__ import annotations

import json
import logging
import uuid
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from memalign_nb.dimensions import check_score
from memalign_nb.errors import MemoryDataError
from memalign_nb.memory.embeddings import HashingEmbeddings, make_embeddings
from memalign_nb.memory.guidelines import require_text

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from memalign_nb.feedback.model import Grade
    from memalign_nb.judges.base import Judgment
    from memalign_nb.sections.model import Section

logger = logging.getLogger(__name__)

EXCERPT_CHARS = 6000
"""Default longest section text an :class:`Example` keeps (head and tail, middle elided)."""

_NO_SCORE = -1  # Chroma metadata cannot hold None


def excerpt(text: str, max_chars: int = EXCERPT_CHARS) -> str:
    """``text`` cut to about ``max_chars``: its head and tail, with the middle elided.

    The first two thirds of the budget keep the start (imports, loading, splitting), the
    last third the end (training, evaluation); a marker says how much was left out.
    """
    if len(text) <= max_chars:
        return text
    head = text[: max_chars * 2 // 3]
    tail = text[len(text) - max_chars // 3 :]
    return f"{head}\n[... {len(text) - len(head) - len(tail)} characters omitted ...]\n{tail}"


@dataclass(frozen=True)
class Example:
    """One graded (case, dimension) as episodic memory stores it.

    Attributes
    ----------
    case_id : str
        The graded notebook's case id.
    dimension : str
        The dimension graded.
    text : str
        The section text the grade is about, excerpted (see :func:`excerpt`).
    expert_score : int
        The expert (reference) score, 0-3.
    rationale : str
        The expert's reason.
    judge_score : int or None
        What the unaligned judge scored, None when unknown or when the judge failed.
    judge_rationale : str
        The judge's reason ("" when unknown).
    facts : Mapping[str, object]
        The section's static facts (flat, JSON-serialisable), as in
        :attr:`memalign_nb.sections.model.Section.facts`.

    Raises
    ------
    InvalidScoreError
        A score is not an integer from 0 to 3.
    MemoryDataError
        An id is empty or the facts are not JSON-serialisable.
    """

    case_id: str
    dimension: str
    text: str
    expert_score: int
    rationale: str = ""
    judge_score: int | None = None
    judge_rationale: str = ""
    facts: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        where = f"example {self.dimension}::{self.case_id}"
        require_text(self, where, ("case_id", "dimension"))
        if not isinstance(self.text, str):
            raise MemoryDataError(where, f"text must be a string, got {type(self.text).__name__}")
        object.__setattr__(self, "expert_score", check_score(self.expert_score, where))
        if self.judge_score is not None:
            object.__setattr__(self, "judge_score", check_score(self.judge_score, where))
        if not isinstance(self.facts, Mapping):
            raise MemoryDataError(where, f"facts must be a mapping, got {type(self.facts)}")
        try:
            json.dumps(dict(self.facts))
        except (TypeError, ValueError) as exc:
            raise MemoryDataError(where, f"facts are not JSON-serialisable: {exc}") from None

    @property
    def id(self) -> str:
        """The memory id, ``"{dimension}::{case_id}"``."""
        return f"{self.dimension}::{self.case_id}"

    @classmethod
    def from_feedback(
        cls,
        section: Section,
        grade: Grade,
        judgment: Judgment | None = None,
        *,
        max_chars: int = EXCERPT_CHARS,
    ) -> Example:
        """The example for one human grade of one section.

        Parameters
        ----------
        section : Section
            The graded section (its text is excerpted, its facts kept).
        grade : Grade
            The expert's grade (a reference score: for several raters, pass their median).
        judgment : Judgment, optional
            The unaligned judge's verdict on the same item; a failed judgment counts as
            unknown.
        max_chars : int
            Longest text kept.
        """
        where = f"example {grade.dimension}::{grade.case_id}"
        if section.dimension != grade.dimension:
            raise MemoryDataError(
                where, f"section is for {section.dimension!r}, grade for {grade.dimension!r}"
            )
        if judgment is not None and (judgment.case_id, judgment.dimension) != grade.key:
            raise MemoryDataError(
                where, f"judgment is for {judgment.dimension}::{judgment.case_id}"
            )
        judged = judgment is not None and judgment.ok
        return cls(
            case_id=grade.case_id,
            dimension=grade.dimension,
            text=excerpt(section.text, max_chars),
            expert_score=grade.score,
            rationale=grade.rationale,
            judge_score=judgment.score if judged else None,
            judge_rationale=judgment.rationale if judged else "",
            facts=dict(section.facts),
        )

    def to_metadata(self) -> dict[str, str | int]:
        """The Chroma metadata of this example (no None values; facts as JSON)."""
        return {
            "case_id": self.case_id,
            "dimension": self.dimension,
            "expert_score": self.expert_score,
            "rationale": self.rationale,
            "judge_score": _NO_SCORE if self.judge_score is None else self.judge_score,
            "judge_rationale": self.judge_rationale,
            "facts": json.dumps(dict(self.facts), sort_keys=True),
        }

    @classmethod
    def from_metadata(cls, text: str, metadata: Mapping[str, Any], where: str) -> Example:
        """The inverse of :meth:`to_metadata`; ``where`` names the entry in errors."""
        try:
            facts = json.loads(metadata.get("facts") or "{}")
            judge_score = metadata.get("judge_score", _NO_SCORE)
            return cls(
                case_id=metadata["case_id"],
                dimension=metadata["dimension"],
                text=text or "",
                expert_score=metadata["expert_score"],
                rationale=metadata.get("rationale", ""),
                judge_score=None if judge_score == _NO_SCORE else judge_score,
                judge_rationale=metadata.get("judge_rationale", ""),
                facts=facts,
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise MemoryDataError(where, f"unreadable entry: {exc}") from None


@dataclass(frozen=True)
class Neighbour:
    """A retrieved example and how similar it is to the query.

    Attributes
    ----------
    example : Example
        The stored example.
    similarity : float
        Cosine similarity of the query and the example's text, at most 1.
    """

    example: Example
    similarity: float


class EpisodicMemory:
    """Graded examples in a Chroma collection, searched by embedding similarity.

    Parameters
    ----------
    embeddings : str, Embeddings or None
        The embedder (see :func:`~memalign_nb.memory.embeddings.make_embeddings`); None is
        the local :class:`~memalign_nb.memory.embeddings.HashingEmbeddings`.
    path : str or Path, optional
        A directory for a persistent collection (created if missing); reopening the same
        directory with the same embedder finds the same examples. None keeps the memory
        in this process only.
    collection_name : str
        The Chroma collection's name; an in-memory memory adds a unique suffix.

    Raises
    ------
    MemoryDataError
        The directory cannot be opened as a Chroma store, or its collection was built with
        a different embedder (its vectors would not be comparable).

    Examples
    --------
    >>> memory = EpisodicMemory()
    >>> memory.add([Example("nb1", "data_imputation", "df.fillna(df.mean())", 1, "leak")])
    >>> [n.example.case_id for n in memory.search("data_imputation", "df.fillna(0)")]
    ['nb1']
    """

    def __init__(
        self,
        embeddings: str | Embeddings | None = None,
        path: str | Path | None = None,
        collection_name: str = "episodic",
    ) -> None:
        self.embeddings = embeddings
        self.path = path
        self.collection_name = collection_name
        self._embedder = make_embeddings(embeddings)
        self._where = str(path) if path is not None else "in-memory episodic memory"
        self._client, self._collection = self._open()

    def __repr__(self) -> str:
        place = f"path={str(self.path)!r}" if self.path is not None else "in memory"
        return f"EpisodicMemory({len(self)} examples, {place}, embedder={self._embedder!r})"

    def _open(self) -> tuple[Any, Any]:
        import chromadb
        from chromadb.config import Settings

        settings = Settings(anonymized_telemetry=False)
        signature = _embedder_signature(self._embedder)
        try:
            if self.path is None:
                client = chromadb.EphemeralClient(settings=settings)
                name = f"{self.collection_name}-{uuid.uuid4().hex}"
            else:
                Path(self.path).mkdir(parents=True, exist_ok=True)
                client = chromadb.PersistentClient(path=str(self.path), settings=settings)
                name = self.collection_name
            collection = client.get_or_create_collection(
                name,
                configuration={"hnsw": {"space": "cosine"}},
                metadata={"embedder": signature},
                embedding_function=None,
            )
        except Exception as exc:  # chromadb raises ValueError, ChromaError, OSError, ...
            raise MemoryDataError(self._where, f"cannot open the Chroma store: {exc}") from exc
        stored = (collection.metadata or {}).get("embedder")
        if stored is not None and stored != signature:
            raise MemoryDataError(
                self._where,
                f"collection {name!r} was built with embedder {stored}, not {signature}; "
                "use the same embedder or another path",
            )
        if self.path is None:
            finalizer = weakref.finalize(self, _drop_collection, client, name)
            finalizer.atexit = False
        return client, collection

    def __len__(self) -> int:
        return self._collection.count()

    def add(self, examples: Iterable[Example]) -> None:
        """Insert or replace examples; an existing (case, dimension) is overwritten.

        Parameters
        ----------
        examples : iterable of Example
            Later examples win when two share an id.
        """
        by_id = {}
        for example in examples:
            if not isinstance(example, Example):
                raise MemoryDataError(self._where, f"expected an Example, got {example!r:.80}")
            by_id[example.id] = example
        if not by_id:
            return
        ids = list(by_id)
        docs = [by_id[i].text for i in ids]
        vectors = self._embedder.embed_documents(docs)
        batch = self._client.get_max_batch_size()
        for start in range(0, len(ids), batch):
            stop = start + batch
            try:
                self._collection.upsert(
                    ids=ids[start:stop],
                    embeddings=vectors[start:stop],
                    documents=docs[start:stop],
                    metadatas=[by_id[i].to_metadata() for i in ids[start:stop]],
                )
            except Exception as exc:  # e.g. vectors of another length than the collection
                raise MemoryDataError(self._where, f"cannot store examples: {exc}") from exc
        logger.debug("stored %d examples in %s", len(ids), self._where)

    def remove(self, case_ids: Iterable[str]) -> int:
        """Delete every example of the given cases (all dimensions); returns how many.

        A single string is one case id.
        """
        wanted = sorted({case_ids} if isinstance(case_ids, str) else set(case_ids))
        if not wanted:
            return 0
        ids = self._collection.get(where={"case_id": {"$in": wanted}}, include=[])["ids"]
        if ids:
            self._collection.delete(ids=ids)
        logger.debug("removed %d examples of %d cases", len(ids), len(wanted))
        return len(ids)

    def search(
        self,
        dimension: str,
        text: str,
        k: int = 5,
        exclude_case_id: str | None = None,
    ) -> list[Neighbour]:
        """The ``k`` stored examples of ``dimension`` most similar to ``text``.

        Parameters
        ----------
        dimension : str
            Only examples of this dimension are candidates.
        text : str
            The section text being scored.
        k : int
            How many neighbours at most; fewer when fewer are stored.
        exclude_case_id : str, optional
            The case being scored: it is never its own neighbour.

        Returns
        -------
        list of Neighbour
            Most similar first (ties by id).
        """
        if k <= 0 or self._collection.count() == 0:
            return []
        where: dict[str, Any] = {"dimension": dimension}
        if exclude_case_id is not None:
            where = {"$and": [where, {"case_id": {"$ne": exclude_case_id}}]}
        result = self._collection.query(
            query_embeddings=[self._embedder.embed_query(text)],
            n_results=k,
            where=where,
            include=["documents", "metadatas", "distances"],
        )
        rows = sorted(
            zip(
                result["distances"][0],
                result["ids"][0],
                result["documents"][0],
                result["metadatas"][0],
                strict=True,
            ),
            key=lambda row: (row[0], row[1]),
        )
        return [
            Neighbour(
                Example.from_metadata(doc, meta, f"{self._where} entry {id_}"), float(1.0 - dist)
            )
            for dist, id_, doc, meta in rows
        ]

    def case_ids(self, dimension: str | None = None) -> list[str]:
        """The case ids with at least one example (of ``dimension``, if given), sorted."""
        where = {"dimension": dimension} if dimension is not None else None
        metadatas = self._collection.get(where=where, include=["metadatas"])["metadatas"]
        return sorted({meta["case_id"] for meta in metadatas})

    def examples(self, dimension: str | None = None) -> list[Example]:
        """Every stored example (of ``dimension``, if given), sorted by dimension and case."""
        where = {"dimension": dimension} if dimension is not None else None
        got = self._collection.get(where=where, include=["documents", "metadatas"])
        examples = [
            Example.from_metadata(doc, meta, f"{self._where} entry {id_}")
            for id_, doc, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
        ]
        return sorted(examples, key=lambda e: (e.dimension, e.case_id))

    def vectors(self, dimension: str | None = None) -> dict[str, list[float]]:
        """The stored vector of every example (of ``dimension``, if given), by example id.

        These are the vectors :meth:`search` compares queries with, so a caller can rank
        stored examples against each other without embedding their texts again.
        """
        where = {"dimension": dimension} if dimension is not None else None
        got = self._collection.get(where=where, include=["embeddings"])
        return {id_: [float(x) for x in vector]
                for id_, vector in zip(got["ids"], got["embeddings"], strict=True)}


def _embedder_signature(embedder: Embeddings) -> str:
    """A short description of the embedder whose vectors a collection holds."""
    if isinstance(embedder, HashingEmbeddings):
        return repr(embedder)
    model = getattr(embedder, "model", None) or getattr(embedder, "model_name", None)
    name = type(embedder).__name__
    return f"{name}({model})" if model else name


def _drop_collection(client: Any, name: str) -> None:
    """Delete an in-memory collection once its memory is garbage-collected."""
    try:
        client.delete_collection(name)
    except Exception:  # the shared system may already be torn down; nothing to free then
        logger.debug("in-memory collection %s was already gone", name)
