"""Episodic retrieval latency (p50, p95) at 100, 10,000 and 100,000 stored examples.

One :class:`~memalign_nb.memory.EpisodicMemory` (in-memory Chroma, one cosine HNSW
collection per dimension) grows to each size, examples spread over the nine dimensions; at
each size, searches as an aligned judge makes them (``search(dimension, section_text, k=5,
exclude_case_id=...)``: the query embedded by the local hashing embedder, an unfiltered
query of that dimension's collection for k + 1 neighbours, the excluded case dropped, the
neighbours decoded) are timed one by one. The query embedding is timed on its own too.

Examples carry real section texts (the bundled sample's sections). Embedding 100,000
documents with the hashing embedder alone would take minutes, so stored vectors are mixes
of three real section embeddings chosen per example (seeded): as varied and as sparse
as real ones, at numpy speed. Queries use the real embedder. Adds go in batches of
5,000. With ``--quick`` the sizes are 100, 1,000 and 3,000.

Usage::

    python bench/retrieval.py [--quick]
"""

from __future__ import annotations

import re
import sys
import time
from typing import Any

from _common import Figures, bench_main, percentile, rounded, stopwatch

SIZES = {False: (100, 10_000, 100_000), True: (100, 1_000, 3_000)}
LABELS = ("small", "medium", "large")
BATCH = 5_000
QUERIES = {False: 200, True: 40}

FIGURES = (
    *(f"retrieval.{label}.{name}" for label in LABELS
      for name in ("examples", "p50_ms", "p95_ms")),
    "retrieval.embed_query_p50_ms",
    "retrieval.add_per_s",
    "retrieval.large_vs_small_p50",
)

_TAG = re.compile(r"\n# bench example (\d+)$")


def _pool() -> list[tuple[str, str]]:
    """(dimension, section text) of every non-empty section of the bundled sample."""
    from memalign_nb.datasets import load_dataset, sample_path
    from memalign_nb.memory.examples import excerpt
    from memalign_nb.sections import build_sections

    return [
        (dimension, excerpt(section.text))
        for case in load_dataset(sample_path()).cases
        for dimension, section in build_sections(case.notebook).items()
        if not section.is_empty
    ]


def _mixing_embeddings(pool_texts: list[str], seed: int = 0) -> Any:
    """An embedder whose documents (tagged ``# bench example N``) get mixed pool vectors."""
    import numpy as np
    from langchain_core.embeddings import Embeddings

    from memalign_nb.memory.embeddings import HashingEmbeddings

    real = HashingEmbeddings()
    vectors = np.asarray(real.embed_documents(pool_texts), dtype=np.float32)

    class MixingEmbeddings(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            # queries are untagged: they are embedded as they are
            tags = [_TAG.search(text) for text in texts]
            rows = np.empty((len(tags), vectors.shape[1]), dtype=np.float32)
            for row, (text, tag) in enumerate(zip(texts, tags, strict=True)):
                if tag is None:
                    rows[row] = real.embed_query(text)
                    continue
                rng = np.random.default_rng([seed, int(tag.group(1))])
                picks = rng.choice(len(vectors), size=3, replace=False)
                mixed = rng.dirichlet(np.ones(3)) @ vectors[picks]
                rows[row] = mixed / (np.linalg.norm(mixed) or 1.0)
            return rows.tolist()

        def embed_query(self, text: str) -> list[float]:
            return real.embed_query(text)

        def __repr__(self) -> str:
            return "MixingEmbeddings(HashingEmbeddings())"

    return MixingEmbeddings()


def run(quick: bool = False) -> Figures:
    """The retrieval figures (see :data:`FIGURES`)."""
    from memalign_nb.memory.embeddings import HashingEmbeddings
    from memalign_nb.memory.episodic import EpisodicMemory
    from memalign_nb.memory.examples import Example

    pool = _pool()
    memory = EpisodicMemory(_mixing_embeddings([text for _, text in pool]))
    stored, add_time = 0, 0.0
    figures: Figures = {}
    queries = [pool[i * 7 % len(pool)] for i in range(QUERIES[quick])]
    for label, size in zip(LABELS, SIZES[quick], strict=True):
        while stored < size:
            count = min(BATCH, size - stored)
            batch = [
                Example(f"case-{i}", pool[i % len(pool)][0],
                        f"{pool[i % len(pool)][1]}\n# bench example {i}", 1 + i % 3,
                        "stand-in rationale")
                for i in range(stored, stored + count)
            ]
            with stopwatch() as elapsed:
                memory.add(batch)
            add_time += elapsed[0]
            stored += count
        latencies = []
        for n, (dimension, text) in enumerate(queries):
            started = time.perf_counter()
            memory.search(dimension, text, k=5, exclude_case_id=f"case-{n}")
            latencies.append((time.perf_counter() - started) * 1000)
        figures |= {f"retrieval.{label}.examples": len(memory),
                    f"retrieval.{label}.p50_ms": percentile(latencies, 50),
                    f"retrieval.{label}.p95_ms": percentile(latencies, 95)}
    embedder = HashingEmbeddings()
    embed = []
    for _, text in queries:
        with stopwatch() as elapsed:
            embedder.embed_query(text)
        embed.append(elapsed[0] * 1000)
    figures |= {
        "retrieval.embed_query_p50_ms": percentile(embed, 50),
        "retrieval.add_per_s": stored / add_time,
        "retrieval.large_vs_small_p50":
            figures["retrieval.large.p50_ms"] / figures["retrieval.small.p50_ms"],
    }
    return rounded(figures, 3)


if __name__ == "__main__":
    sys.exit(bench_main(run, __doc__, "100, 1,000 and 3,000 examples"))
