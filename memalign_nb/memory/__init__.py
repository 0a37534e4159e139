"""MemAlign's two memories and the embedders behind them.

- Semantic memory: :class:`Guideline` records in a :class:`GuidelineSet`, written by the
  rule learner (:func:`learn_rules`, heuristic engine: the corrections experts made to the
  judge, as a decision list per dimension; :func:`match_rule` finds the rule a section
  meets) or distilled by a chat model (:func:`distill_guidelines`, LLM engine).
- Episodic memory: graded :class:`Example` records in a Chroma collection
  (:class:`EpisodicMemory`), searched by a section's :class:`Profile` (its code and what
  the code does for the dimension, :class:`Reading` records) into :class:`Neighbour`
  records.
- Embedders: :class:`HashingEmbeddings` (local, no download) or any LangChain embedder
  through :func:`make_embeddings`.

>>> from memalign_nb.memory import EpisodicMemory, Example, Profile
>>> memory = EpisodicMemory()
>>> memory.add([Example("nb1", "data_imputation", "df.fillna(df.mean())", 1, "leaks")])
>>> memory.search("data_imputation", Profile("df.fillna(df.median())"))[0].example.expert_score
1

chromadb is imported only when an :class:`EpisodicMemory` is created.
"""

from __future__ import annotations

from memalign_nb.memory.distill import distill_guidelines
from memalign_nb.memory.embeddings import HashingEmbeddings, make_embeddings
from memalign_nb.memory.episodic import EpisodicMemory
from memalign_nb.memory.examples import Example, Neighbour
from memalign_nb.memory.guidelines import Guideline, GuidelineSet
from memalign_nb.memory.profile import Profile, ProfileEncoder
from memalign_nb.memory.readings import Reading, readings
from memalign_nb.memory.rules import RuleItem, learn_rules, match_rule

__all__ = [
    "EpisodicMemory",
    "Example",
    "Guideline",
    "GuidelineSet",
    "HashingEmbeddings",
    "Neighbour",
    "Profile",
    "ProfileEncoder",
    "Reading",
    "RuleItem",
    "distill_guidelines",
    "learn_rules",
    "make_embeddings",
    "match_rule",
    "readings",
]
