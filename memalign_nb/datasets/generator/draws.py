"""Seeded draws of the sample generator: named random streams and shuffled decks.

Every choice about case ``i`` comes from a stream named by the seed and what is drawn, so a
case is the same whatever ``n_cases`` is. Quotas are dealt in decks of :data:`BLOCK` cases,
so every block of cases has the intended mix of grades and tasks.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from functools import lru_cache

BLOCK = 21
"""Cases per shuffled deck; 21 = three per task, so every block covers every task."""


def stream(seed: int, *parts: object) -> random.Random:
    """An independent, reproducible random stream named by ``parts``."""
    return random.Random(":".join(["memalign-nb", str(seed), *map(str, parts)]))


@lru_cache(maxsize=4096)
def deck(seed: int, block: int, name: str, items: tuple) -> tuple:
    """``items`` shuffled by a stream named after the deck and block (cached)."""
    shuffled = list(items)
    stream(seed, "deck", name, block).shuffle(shuffled)
    return tuple(shuffled)


def quota(shares: Sequence[float], size: int) -> list[int]:
    """Counts per share summing to ``size`` (largest remainder)."""
    raw = [s * size for s in shares]
    counts = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: counts[i] - raw[i])
    for i in order[: size - sum(counts)]:
        counts[i] += 1
    return counts
