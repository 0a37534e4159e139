"""Episodic memory: graded examples in Chroma, one collection per dimension, by similarity.

One entry per graded (case, dimension), with id ``"{dimension}::{case_id}"``: the document is
the section text (excerpted), the metadata carries the expert's and the judge's scores and
rationales, the section's static facts and its static finding; the vector is the section's
:class:`~memalign_nb.memory.profile.Profile` (its code and what the code does for the
dimension), so retrieval finds precedent rather than look-alikes. Each dimension has a
Chroma collection of its own, created with its first example, so a search queries only that
collection and needs no metadata filter (Chroma's filtered query slows down with everything
stored, whatever the dimension). Vectors always come from our own encoder
(:class:`~memalign_nb.memory.profile.ProfileEncoder`) and are handed to Chroma, so
Chroma's default embedding function, which downloads a model, is never called. Telemetry is
off. With ``path`` the collections persist in that directory; without, they live in memory
under a unique prefix, so two in-memory memories (one per cross-validation fold, say)
never see each other's entries even though Chroma shares one in-process system between
them.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import uuid
import weakref
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from memalign_nb.errors import MemoryDataError
from memalign_nb.memory.embeddings import HashingEmbeddings
from memalign_nb.memory.examples import Example, Neighbour, example_id
from memalign_nb.memory.profile import DIGEST_WEIGHT, Profile, ProfileEncoder

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

logger = logging.getLogger(__name__)

_VALID_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9._-]{1,510}[a-zA-Z0-9]")
_IPV4 = re.compile(r"[0-9]{1,3}(\.[0-9]{1,3}){3}")
_HASH_CHARS = 16  # of a dimension's hashed collection name
_MAX_PREFIX = 512 - 1 - _HASH_CHARS  # room for "-{hash}" within Chroma's 512 characters


class EpisodicMemory:
    """Graded examples in Chroma, one collection per dimension, searched by similarity.

    Parameters
    ----------
    embeddings : str, Embeddings or None
        The embedder of the sections' code (see
        :func:`~memalign_nb.memory.embeddings.make_embeddings`); None is the local
        :class:`~memalign_nb.memory.embeddings.HashingEmbeddings`.
    path : str or Path, optional
        A directory for persistent collections (created if missing); reopening the same
        directory with the same embedder finds the same examples. None keeps the memory
        in this process only.
    collection_name : str
        The prefix of the collections' names, ``"{collection_name}.{dimension}"`` (or
        ``"{collection_name}-{hash}"`` for a dimension that makes no valid Chroma name);
        an in-memory memory adds a unique suffix to it. A store that holds a collection
        named exactly ``collection_name`` (all dimensions in one, as earlier versions
        wrote) is refused.
    digest_weight : float
        Weight of what the code does against the code itself
        (:class:`~memalign_nb.memory.profile.ProfileEncoder`).

    Raises
    ------
    MemoryDataError
        The directory cannot be opened as a Chroma store, ``collection_name`` is not a
        valid Chroma name, or a collection was built with a different embedder (its
        vectors would not be comparable: another embedder or ``digest_weight``).

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
        digest_weight: float = DIGEST_WEIGHT,
    ) -> None:
        self.embeddings = embeddings
        self.path = path
        self.collection_name = collection_name
        self.digest_weight = digest_weight
        self.encoder = ProfileEncoder(embeddings, digest_weight)
        self._signature = (f"{_embedder_signature(self.encoder.embedder)}"
                           f"+readings(weight={digest_weight:g})")
        self._where = str(path) if path is not None else "in-memory episodic memory"
        self._prefix = collection_name if path is not None else (
            f"{collection_name}-{uuid.uuid4().hex}")
        self._collections: dict[str, Any] = {}  # by dimension
        self._lock = threading.Lock()
        self._client = self._connect()
        if path is None:
            finalizer = weakref.finalize(self, _drop_collections, self._client,
                                         self._collections)
            finalizer.atexit = False
        else:
            try:
                self._refuse_legacy()
                self._refresh()
            except MemoryDataError:
                raise
            except Exception as exc:  # chromadb raises ValueError, ChromaError, OSError, ...
                raise MemoryDataError(self._where, f"cannot read the Chroma store: {exc}") from exc

    def __repr__(self) -> str:
        place = f"path={str(self.path)!r}" if self.path is not None else "in memory"
        return f"EpisodicMemory({len(self)} examples, {place}, encoder={self.encoder!r})"

    def _connect(self) -> Any:
        """The Chroma client (telemetry off) of the directory, or the in-process one."""
        import chromadb
        from chromadb.config import Settings

        if not (_valid_name(self._prefix) and len(self._prefix) <= _MAX_PREFIX):
            raise MemoryDataError(
                self._where,
                f"collection name {self.collection_name!r} is not a valid Chroma name: "
                f"3-{_MAX_PREFIX} characters of [a-zA-Z0-9._-], alphanumeric at both ends",
            )
        settings = Settings(anonymized_telemetry=False)
        try:
            if self.path is None:
                return chromadb.EphemeralClient(settings=settings)
            Path(self.path).mkdir(parents=True, exist_ok=True)
            return chromadb.PersistentClient(path=str(self.path), settings=settings)
        except Exception as exc:  # chromadb raises ValueError, ChromaError, OSError, ...
            raise MemoryDataError(self._where, f"cannot open the Chroma store: {exc}") from exc

    def _name(self, dimension: str) -> str:
        """The collection name of ``dimension``: readable when Chroma accepts it."""
        readable = f"{self._prefix}.{dimension}"
        if _valid_name(readable):
            return readable
        digest = hashlib.sha256(dimension.encode("utf-8")).hexdigest()[:_HASH_CHARS]
        return f"{self._prefix}-{digest}"

    def _checked(self, collection: Any) -> Any:
        """``collection``, if its vectors come from our embedder."""
        stored = (collection.metadata or {}).get("embedder")
        if stored is not None and stored != self._signature:
            raise MemoryDataError(
                self._where,
                f"collection {collection.name!r} was built with embedder {stored}, not "
                f"{self._signature}; use the same embedder or another path",
            )
        return collection

    def _collection(self, dimension: str, *, create: bool = False) -> Any:
        """The collection of ``dimension``, created if ``create``, else None if missing."""
        collection = self._collections.get(dimension)
        if collection is not None:
            return collection
        if not create:
            self._refresh()
            return self._collections.get(dimension)
        with self._lock:
            if dimension not in self._collections:
                try:
                    collection = self._client.get_or_create_collection(
                        self._name(dimension),
                        configuration={"hnsw": {"space": "cosine"}},
                        metadata={"embedder": self._signature, "dimension": dimension},
                        embedding_function=None,
                    )
                except Exception as exc:  # chromadb raises ValueError, ChromaError, ...
                    raise MemoryDataError(
                        self._where, f"cannot open the collection of {dimension!r}: {exc}"
                    ) from exc
                self._collections[dimension] = self._checked(collection)
            return self._collections[dimension]

    def _refresh(self) -> None:
        """Adopt the dimension collections of the store this memory does not know yet.

        Another memory on the same directory may have added a dimension since; an
        in-memory memory is the only writer of its own collections.
        """
        if self.path is None:
            return
        listed = self._client.list_collections()
        with self._lock:
            for entry in listed:
                dimension = (entry.metadata or {}).get("dimension")
                if (isinstance(dimension, str) and dimension not in self._collections
                        and entry.name == self._name(dimension)):
                    collection = self._client.get_collection(entry.name, embedding_function=None)
                    self._collections[dimension] = self._checked(collection)

    def _selected(self, dimension: str | None) -> list[tuple[str, Any]]:
        """(dimension, collection) of ``dimension`` (none if it has none), or of all."""
        if dimension is not None:
            collection = self._collection(dimension)
            return [] if collection is None else [(dimension, collection)]
        self._refresh()
        return sorted(self._collections.items())

    def _refuse_legacy(self) -> None:
        """Refuse a store of an earlier version: all dimensions in one collection, vectors
        of the section text alone (not comparable with section profiles)."""
        if self._prefix in {entry.name for entry in self._client.list_collections()}:
            raise MemoryDataError(
                self._where, f"collection {self._prefix!r} was written by an earlier "
                "memalign-nb (one collection for every dimension, vectors of the text "
                "alone): build the memory again, e.g. align the judge again")

    def _store(self, dimensions: Sequence[str], ids: Sequence[str], vectors: Sequence[Any],
               docs: Sequence[str], metadatas: Sequence[Mapping[str, Any]]) -> None:
        """Insert or replace entries (row ``i`` of each sequence is one), each in the
        collection of its dimension, in batches Chroma accepts."""
        rows: dict[str, list[int]] = {}
        for row, dimension in enumerate(dimensions):
            rows.setdefault(dimension, []).append(row)
        batch = self._client.get_max_batch_size()
        for dimension, picked in rows.items():
            collection = self._collection(dimension, create=True)
            for start in range(0, len(picked), batch):
                chunk = picked[start:start + batch]
                try:
                    collection.upsert(ids=[ids[i] for i in chunk],
                                      embeddings=[vectors[i] for i in chunk],
                                      documents=[docs[i] for i in chunk],
                                      metadatas=[metadatas[i] for i in chunk])
                except Exception as exc:  # e.g. vectors of another length than before
                    raise MemoryDataError(self._where, f"cannot store examples: {exc}") from exc

    def __len__(self) -> int:
        return sum(collection.count() for _, collection in self._selected(None))

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
        vectors = self.encoder.encode([Profile.of_example(by_id[i]) for i in ids])
        self._store([by_id[i].dimension for i in ids], ids, vectors, docs,
                    [by_id[i].to_metadata() for i in ids])
        logger.debug("stored %d examples in %s", len(ids), self._where)

    def remove(self, case_ids: Iterable[str]) -> int:
        """Delete every example of the given cases (all dimensions); returns how many.

        A single string is one case id.
        """
        wanted = sorted({case_ids} if isinstance(case_ids, str) else set(case_ids))
        if not wanted:
            return 0
        removed = 0
        for dimension, collection in self._selected(None):
            ids = collection.get(ids=[example_id(dimension, c) for c in wanted],
                                 include=[])["ids"]
            if ids:
                collection.delete(ids=ids)
                removed += len(ids)
        logger.debug("removed %d examples of %d cases", removed, len(wanted))
        return removed

    def search(
        self,
        dimension: str,
        query: Profile | str,
        k: int = 5,
        exclude_case_id: str | None = None,
    ) -> list[Neighbour]:
        """The ``k`` stored examples of ``dimension`` whose profiles are most like ``query``.

        Only the dimension's own collection is queried, without a metadata filter: one
        extra neighbour is asked for when a case is excluded, and dropped here.

        Parameters
        ----------
        dimension : str
            Only examples of this dimension are candidates.
        query : Profile or str
            The profile of the section being scored; a text is a profile of code alone
            (no facts, no finding).
        k : int
            How many neighbours at most; fewer when fewer are stored.
        exclude_case_id : str, optional
            The case being scored: it is never its own neighbour.

        Returns
        -------
        list of Neighbour
            Most similar first (ties by id).
        """
        collection = self._collection(dimension) if k > 0 else None
        stored = collection.count() if collection is not None else 0
        if stored == 0:
            return []
        excluded = None if exclude_case_id is None else example_id(dimension, exclude_case_id)
        result = collection.query(
            query_embeddings=[self.encoder.encode_one(
                Profile(query) if isinstance(query, str) else query)],
            n_results=min(stored, k if excluded is None else k + 1),
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
        kept = [row for row in rows if row[1] != excluded][:k]
        return [
            Neighbour(
                Example.from_metadata(doc, meta, f"{self._where} entry {id_}"), float(1.0 - dist)
            )
            for dist, id_, doc, meta in kept
        ]

    def case_ids(self, dimension: str | None = None) -> list[str]:
        """The case ids with at least one example (of ``dimension``, if given), sorted."""
        return sorted({
            meta["case_id"]
            for _, collection in self._selected(dimension)
            for meta in collection.get(include=["metadatas"])["metadatas"]
        })

    def examples(self, dimension: str | None = None) -> list[Example]:
        """Every stored example (of ``dimension``, if given), sorted by dimension and case."""
        examples = []
        for _, collection in self._selected(dimension):
            got = collection.get(include=["documents", "metadatas"])
            examples += [
                Example.from_metadata(doc, meta, f"{self._where} entry {id_}")
                for id_, doc, meta in zip(got["ids"], got["documents"], got["metadatas"],
                                          strict=True)
            ]
        return sorted(examples, key=lambda e: (e.dimension, e.case_id))

    def vectors(self, dimension: str | None = None) -> dict[str, list[float]]:
        """The stored vector of every example (of ``dimension``, if given), by example id.

        These are the vectors :meth:`search` compares queries with, so a caller can rank
        stored examples against each other without embedding their texts again.
        """
        vectors = {}
        for _, collection in self._selected(dimension):
            got = collection.get(include=["embeddings"])
            vectors |= {id_: [float(x) for x in vector]
                        for id_, vector in zip(got["ids"], got["embeddings"], strict=True)}
        return vectors


def _valid_name(name: str) -> bool:
    """Whether Chroma accepts ``name`` as a collection name."""
    return (_VALID_NAME.fullmatch(name) is not None and ".." not in name
            and _IPV4.fullmatch(name) is None)


def _embedder_signature(embedder: Embeddings) -> str:
    """A short description of the embedder whose vectors a collection holds."""
    if isinstance(embedder, HashingEmbeddings):
        return repr(embedder)
    model = getattr(embedder, "model", None) or getattr(embedder, "model_name", None)
    name = type(embedder).__name__
    return f"{name}({model})" if model else name


def _drop_collections(client: Any, collections: Mapping[str, Any]) -> None:
    """Delete the collections of an in-memory memory once it is garbage-collected."""
    for collection in list(collections.values()):
        try:
            client.delete_collection(collection.name)
        except Exception:  # the shared system may already be torn down; nothing to free
            logger.debug("in-memory collection %s was already gone", collection.name)
