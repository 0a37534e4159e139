"""What episodic memory compares: a section's code and what that code does for its dimension.

Two notebooks of one dataset share most of their tokens (column names, loading code,
boilerplate), so a section's text alone retrieves look-alikes, not precedent: on real
notebooks their experts' scores predict a case's score little better than random graded
cases do. A :class:`Profile` adds the section's *readings* (:mod:`memalign_nb.memory.readings`):
its static facts for the dimension (where the split happens, what is fitted before it,
which transforms and metrics, on which rows) and its static finding (which verdict of the
heuristic rules it falls under). Two sections whose code does the same thing for the
dimension then lie close, whatever their datasets.

:class:`ProfileEncoder` turns profiles into vectors: the code through any LangChain
``Embeddings`` (the local hashing embedder by default), the readings through feature
hashing of their exact tokens (each reading one feature: nothing to download, nothing to
fit), each part scaled to length 1, the readings weighted by ``digest_weight``, and the
whole scaled to length 1, so a dot product is a cosine.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from memalign_nb.memory.embeddings import make_embeddings
from memalign_nb.memory.readings import FINDING, readings

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from memalign_nb.memory.examples import Example
    from memalign_nb.sections.model import Section

DIGEST_WEIGHT = 1.0
"""Default weight of the readings against the code (each part has length 1 before it)."""

DIGEST_FEATURES = 2048
"""Length of the readings' hashed vector."""


@dataclass(frozen=True)
class Profile:
    """One section as episodic memory compares it.

    Attributes
    ----------
    code : str
        The section's text (excerpted as stored).
    facts : Mapping
        The section's static facts for its dimension.
    finding : str
        The section's static finding ("" when unknown).
    """

    code: str
    facts: Mapping[str, Any] = field(default_factory=dict, hash=False)
    finding: str = ""

    @classmethod
    def of_example(cls, example: Example) -> Profile:
        """The profile of a stored example."""
        return cls(example.text, example.facts, example.finding)

    @classmethod
    def of_section(cls, section: Section, finding: str = "", *, text: str | None = None
                   ) -> Profile:
        """The profile of a section; ``text`` replaces its text (an excerpt, say)."""
        return cls(section.text if text is None else text, dict(section.facts), finding)

    def tokens(self) -> list[str]:
        """The readings as exact tokens (``imputation_methods contains 'dropna'``)."""
        found = [r.token() for r in readings(self.facts)]
        return found + ([f"{FINDING} equals {self.finding!r}"] if self.finding else [])

    def digest(self) -> str:
        """The readings in words, one per line (what the code does for the dimension)."""
        lines = [r.words() for r in readings(self.facts)]
        return "\n".join(([f"static finding: {self.finding}"] if self.finding else []) + lines)


class ProfileEncoder:
    """Vectors of profiles: the code embedded, the readings hashed, both weighed.

    Parameters
    ----------
    embeddings : str, Embeddings or None
        The code's embedder (:func:`~memalign_nb.memory.embeddings.make_embeddings`); None
        is the local hashing embedder.
    digest_weight : float
        Weight of the readings against the code; 0 compares code alone.
    """

    def __init__(self, embeddings: str | Embeddings | None = None,
                 digest_weight: float = DIGEST_WEIGHT) -> None:
        if not isinstance(digest_weight, int | float) or not 0 <= digest_weight < math.inf:
            raise ValueError(f"digest_weight must be a number >= 0, got {digest_weight!r}")
        self.embeddings = embeddings
        self.digest_weight = digest_weight
        self.embedder = make_embeddings(embeddings)

    def __repr__(self) -> str:
        return f"ProfileEncoder({self.embedder!r}, digest_weight={self.digest_weight:g})"

    def encode(self, profiles: Sequence[Profile]) -> list[list[float]]:
        """One vector of length 1 per profile (code part first, then the readings)."""
        import numpy as np
        from sklearn.feature_extraction import FeatureHasher
        from sklearn.preprocessing import normalize

        if not profiles:
            return []
        code = np.asarray(self.embedder.embed_documents([p.code for p in profiles]), dtype=float)
        hasher = FeatureHasher(DIGEST_FEATURES, input_type="string", alternate_sign=False)
        digest = hasher.transform([p.tokens() for p in profiles]).toarray()
        both = np.hstack([normalize(code), self.digest_weight * normalize(digest)])
        return normalize(both).tolist()

    def encode_one(self, profile: Profile) -> list[float]:
        """The vector of one profile (as :meth:`encode` gives it)."""
        return self.encode([profile])[0]
