"""What to grade next: the ungraded items whose grades should teach an aligned judge most.

Expert grades are the scarce input of alignment. :func:`suggest` ranks a dataset's
ungraded (case, dimension) items by what a grade of each is expected to teach the aligned
judge, from signals its memories give (each from 0 to 1):

* **disagreement**: the base judge's score against what the memories predict for the
  item, the learned rule it meets or its graded neighbours' votes (each neighbour carrying
  the judge's error on it over, as the heuristic engine's ``"correction"`` blend does). A
  grade settles which is right: it confirms a correction the judge needs, or corrects a
  memory that would mislead it. A gap of one point is 0.5, of two points or between *not
  applicable* and a score 1.
* **spread**: how much the graded neighbours' grades split (1 minus the similarity-weighted
  share of their most common grade): precedent that does not agree decides nothing.
* **novelty**: how unlike the item is to every graded item of its dimension, compared as
  episodic memory compares sections (:class:`~memalign_nb.memory.profile.ProfileEncoder`):
  1 minus its highest similarity, over 1 minus the median similarity of the dimension's
  sections to each other (so a notebook as different as two typical ones scores 1,
  whatever the embedder's scale), at most 1. Nothing retrieves precedent for a notebook
  unlike any graded one.
* **diversity**: items are picked one after another, and a picked item counts as graded
  for the rest: their novelty is measured against it too, so a batch holds no
  near-duplicates.

The utility of an item is ``novelty * (1 + disagreement + SPREAD_WEIGHT * spread)``: what
is already known teaches nothing, however contested (a near-duplicate of a graded
notebook is settled by its grade), and among the unknown, contested items teach most.
With no grade yet, novelty and diversity alone order the items: a spread-out sample of
the dataset, each new pick as unlike the earlier ones as possible.

Signals come from the judge's memories, so a judge that is not aligned is first aligned
on the dataset's grades (``MemAlign().fit(judge, dataset)``, the default parameters); the
caller's judge is never changed. The base judge scores every candidate item (an LLM judge
pays one call per item, cached on disk as always).
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from memalign_nb.align.aligned_judge import AlignedJudge
from memalign_nb.align.blend import BlendWeights, blend
from memalign_nb.align.sectioning import SectionReader
from memalign_nb.datasets.model import Case, Dataset
from memalign_nb.dimensions import NOT_APPLICABLE, check_dimension
from memalign_nb.errors import MemAlignError
from memalign_nb.judges.base import Judge
from memalign_nb.memory.examples import Example, Neighbour
from memalign_nb.memory.profile import Profile

if TYPE_CHECKING:
    import numpy as np

    from memalign_nb.memory.profile import ProfileEncoder

logger = logging.getLogger(__name__)

SPREAD_WEIGHT = 0.5
"""Weight of the neighbours' spread against the judge-memory disagreement."""

NOVEL = 0.8
"""Novelty from which a suggestion says that nothing graded is like the item."""

KNOWN = 0.2
"""Novelty below which a suggestion says the item is much like a graded (or suggested) one."""


@dataclass(frozen=True)
class Suggestion:
    """One ungraded item to grade, with why.

    Attributes
    ----------
    case_id : str
        The case (notebook) to grade.
    dimension : str
        The dimension to grade it on.
    utility : float
        What its grade is expected to teach the aligned judge (see the module docs);
        higher is more useful. Comparable within one :func:`suggest` call.
    reasons : tuple of str
        Short sentences a grader can read, the weightiest first.
    signals : mapping of str to float
        ``disagreement``, ``spread``, ``novelty`` and ``redundancy``, each from 0 to 1.
    """

    case_id: str
    dimension: str
    utility: float
    reasons: tuple[str, ...]
    signals: Mapping[str, float] = field(default_factory=dict, hash=False)

    @property
    def key(self) -> tuple[str, str]:
        """``(case_id, dimension)``."""
        return (self.case_id, self.dimension)

    @property
    def reason(self) -> str:
        """The reasons as one text."""
        return " ".join(self.reasons)


@dataclass
class _Candidate:
    """One ungraded item while the suggestions are picked."""

    case_id: str
    dimension: str
    vector: Any
    disagreement: float
    spread: float
    nearest: float
    nearest_id: str
    scale: float
    notes: dict[str, str]
    redundancy: float = 0.0
    duplicate_of: str = ""

    @property
    def novelty(self) -> float:
        return min(1.0, (1.0 - max(self.nearest, self.redundancy)) / self.scale)

    @property
    def utility(self) -> float:
        return self.novelty * (1.0 + self.disagreement + SPREAD_WEIGHT * self.spread)


def suggest(judge: Judge, dataset: Dataset, n: int | None = 10,
            dimensions: Sequence[str] | None = None, *, progress: bool = False
            ) -> list[Suggestion]:
    """The ungraded items of ``dataset`` whose grades should teach the aligned judge most.

    Parameters
    ----------
    judge : Judge
        An aligned judge, or a judge to align first on the dataset's grades (when it has
        none on ``dimensions``, the items are ordered by novelty and diversity alone).
    dataset : Dataset
        The cases and their grades; an item with any grade (or learned by ``judge``) is
        never suggested.
    n : int or None
        How many suggestions; None ranks every ungraded item.
    dimensions : sequence of str, optional
        The dimensions to suggest items of; default every dimension of the judge.
    progress : bool
        Show a progress bar while the base judge scores the candidates.

    Returns
    -------
    list of Suggestion
        Most useful first.

    Raises
    ------
    MemAlignError
        ``n`` is not a positive int, or ``judge`` / ``dataset`` have the wrong type.
    UnknownNameError
        A dimension the judge does not score.
    """
    if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 1):
        raise MemAlignError(f"n must be an int >= 1 or None, got {n!r}")
    if not isinstance(judge, Judge):
        raise MemAlignError(f"expected a Judge, got {type(judge).__name__}")
    if not isinstance(dataset, Dataset):
        raise MemAlignError(f"expected a Dataset (memalign_nb.load_dataset), got "
                            f"{type(dataset).__name__}")
    if isinstance(dimensions, str):
        dimensions = [dimensions]
    chosen = tuple(dict.fromkeys(check_dimension(d, judge.dimensions)
                                 for d in (dimensions or judge.dimensions)))
    graded = {(g.case_id, g.dimension) for g in dataset.feedback}
    if all((c.case_id, d) in graded for c in dataset.cases for d in chosen):
        return []  # nothing to suggest: no need to align
    aligned = _aligned(judge, dataset, chosen)
    base = aligned.base_judge if aligned is not None else judge
    reuse = aligned is not None and set(chosen) <= set(aligned.aligned_dimensions)
    reader = aligned.reader if reuse else SectionReader(base, chosen)  # sections cached
    encoder = _encoder(aligned)
    if aligned is not None:
        graded |= set(aligned.items_)
    candidates = []
    for dimension in chosen:
        todo = [c for c in dataset.cases if (c.case_id, dimension) not in graded]
        if todo:
            candidates += _candidates(aligned, base, reader, encoder, dataset, dimension,
                                      todo, graded, progress)
    return _pick(candidates, n)


def _aligned(judge: Judge, dataset: Dataset, dimensions: Sequence[str]) -> AlignedJudge | None:
    """``judge`` if aligned, else aligned on the dataset's grades of ``dimensions`` (None
    when there are none)."""
    if isinstance(judge, AlignedJudge):
        return judge
    graded = [d for d in dimensions if any(g.dimension == d for g in dataset.feedback)]
    if not graded:
        return None
    from memalign_nb.align.memalign import MemAlign

    logger.info("aligning %s on %d grades before suggesting", judge.judge_id,
                len(dataset.feedback))
    return MemAlign(dimensions=graded).fit(judge, dataset)


def _encoder(aligned: AlignedJudge | None) -> ProfileEncoder:
    """The encoder episodic memory compares sections with (the default without one)."""
    from memalign_nb.memory.profile import ProfileEncoder

    if aligned is not None and aligned.episodic is not None:
        return aligned.episodic.encoder
    if aligned is not None:
        return ProfileEncoder(aligned.params.embeddings, aligned.params.digest_weight)
    return ProfileEncoder()


def _candidates(aligned: AlignedJudge | None, base: Judge, reader: SectionReader,
                encoder: ProfileEncoder, dataset: Dataset, dimension: str,
                todo: Sequence[Case], graded: set[tuple[str, str]], progress: bool
                ) -> list[_Candidate]:
    """The ungraded items ``todo`` of ``dimension`` with their signals."""
    import numpy as np

    known = _known(aligned, dimension)
    learned = {e.case_id for e in known}
    present = {c.case_id for c in dataset.cases}
    others = [dataset.case(c) for c, d in sorted(graded)
              if d == dimension and c not in learned and c in present]
    profiles = [reader.profile(c, dimension) for c in todo]
    vectors = _unit(np.asarray(encoder.encode(profiles), dtype=float))
    pool = _pool_vectors(aligned, encoder, reader, known, others, dimension, vectors.shape[1])
    pool_ids = [e.case_id for e in known] + [c.case_id for c in others]
    similarity = vectors @ pool.T
    scale = _scale(np.vstack([vectors, pool]))
    judgments = base.score_many(todo, [dimension], progress=progress)
    weights = _neighbour_weights(aligned)
    guidelines = aligned.guidelines.for_dimension(dimension) if aligned is not None else []
    found = []
    for row, case, profile, vector, judgment in zip(similarity, todo, profiles, vectors,
                                                    judgments, strict=True):
        score = judgment.score if judgment.ok else None
        order = np.argsort(-row, kind="stable")
        neighbours = [Neighbour(known[j], float(row[j])) for j in order
                      if j < len(known) and row[j] >= weights.min_similarity][:weights.k]
        notes: dict[str, str] = {}
        disagreement = _disagreement(score, profile, guidelines, neighbours, weights,
                                     dimension, notes)
        spread = _spread(neighbours, notes)
        nearest = float(row[order[0]]) if len(pool_ids) else 0.0
        found.append(_Candidate(case.case_id, dimension, vector, disagreement, spread,
                                nearest, pool_ids[order[0]] if len(pool_ids) else "",
                                scale, notes))
    return found


def _known(aligned: AlignedJudge | None, dimension: str) -> list[Example]:
    """The graded examples the aligned judge holds for ``dimension`` (its neighbours)."""
    if aligned is None or dimension not in aligned.aligned_dimensions:
        return []
    return aligned.state.items_of(dimension)


def _pool_vectors(aligned: AlignedJudge | None, encoder: ProfileEncoder,
                  reader: SectionReader, known: Sequence[Example], others: Sequence[Case],
                  dimension: str, width: int) -> np.ndarray:
    """Unit vectors of the graded items: the judge's examples (stored vectors where episodic
    memory holds them), then the dataset's graded cases the judge did not learn."""
    import numpy as np

    stored = aligned.episodic.vectors(dimension) if (
        aligned is not None and aligned.episodic is not None and known) else {}
    missing = [e for e in known if e.id not in stored]
    encoded = dict(zip((e.id for e in missing),
                       encoder.encode([Profile.of_example(e) for e in missing]), strict=True))
    rows = [stored.get(e.id, encoded.get(e.id)) for e in known]
    rows += encoder.encode([reader.profile(c, dimension) for c in others])
    return _unit(np.asarray(rows, dtype=float).reshape(len(rows), width))


def _neighbour_weights(aligned: AlignedJudge | None) -> BlendWeights:
    """Neighbours voting alone, in correction mode, with the judge's ``k`` and threshold."""
    if aligned is None:
        return BlendWeights(base_weight=0.0, rules=False, neighbour_weight=1.0)
    params = aligned.params
    return BlendWeights(base_weight=0.0, rules=False, neighbour_weight=1.0,
                        min_similarity=params.min_similarity, k=params.k,
                        neighbour_mode="correction")


def _disagreement(score: int | None, profile: Profile, guidelines: Sequence[Any],
                  neighbours: Sequence[Neighbour], weights: BlendWeights, dimension: str,
                  notes: dict[str, str]) -> float:
    """The largest gap between the base judge's score and what a memory predicts."""
    from memalign_nb.memory.rules import match_rule

    if score is None:
        return 0.0
    gaps = []
    rule = match_rule(guidelines, profile.facts, dimension=dimension, finding=profile.finding,
                      judge_score=score)
    if rule is not None:
        said = int((rule.condition or {})["score"])
        gaps.append((_gap(score, said), f"The judge scores {_say(score)} but a rule learned "
                                        f"from the experts says {_say(said)}."))
    decision = blend(score, None, neighbours, weights)
    if decision is not None:
        gaps.append((_gap(score, decision.score),
                     f"The judge scores {_say(score)} but similar graded notebooks point to "
                     f"{_say(decision.score)}."))
    gap, note = max(gaps, default=(0.0, ""), key=lambda g: g[0])
    if gap > 0:
        notes["disagreement"] = note
    return gap


def _spread(neighbours: Sequence[Neighbour], notes: dict[str, str]) -> float:
    """1 minus the similarity-weighted share of the neighbours' most common grade."""
    totals: dict[int, float] = {}
    for neighbour in neighbours:
        score = neighbour.example.expert_score
        totals[score] = totals.get(score, 0.0) + max(neighbour.similarity, 0.0)
    total = sum(totals.values())
    if len(totals) < 2 or total <= 0:
        return 0.0
    split = "/".join(str(s) for s in sorted(totals))
    notes["spread"] = (f"The most similar graded notebooks' grades split {split}"
                       f"{' (0 = not applicable)' if NOT_APPLICABLE in totals else ''}.")
    return 1.0 - max(totals.values()) / total


def _pick(candidates: list[_Candidate], n: int | None) -> list[Suggestion]:
    """Greedy: the most useful item, then the rest with it counted as graded."""
    picked: list[Suggestion] = []
    per_dimension: Counter[str] = Counter()
    left = dict(enumerate(candidates))
    while left and (n is None or len(picked) < n):
        # Ties: the dimension picked least so far, then dataset order.
        position = max(left, key=lambda i: (
            left[i].utility, -per_dimension[left[i].dimension], -i))
        best = left.pop(position)
        per_dimension[best.dimension] += 1
        picked.append(_suggestion(best))
        for other in left.values():
            if other.dimension == best.dimension:
                similarity = float(other.vector @ best.vector)
                if similarity > other.redundancy:
                    other.redundancy, other.duplicate_of = similarity, best.case_id
    return picked


def _suggestion(candidate: _Candidate) -> Suggestion:
    """The picked candidate as a record, its reasons weightiest first."""
    c = candidate
    weighed = []
    if "disagreement" in c.notes:
        weighed.append((c.disagreement, c.notes["disagreement"]))
    if "spread" in c.notes:
        weighed.append((SPREAD_WEIGHT * c.spread, c.notes["spread"]))
    if not c.nearest_id and not c.duplicate_of:
        weighed.append((c.novelty, "Nothing graded on this dimension yet."))
    elif c.novelty >= NOVEL:
        weighed.append((c.novelty, "No graded notebook like this one yet."))
    reasons = [text for _, text in sorted(weighed, key=lambda w: -w[0])]
    if c.novelty < KNOWN and c.redundancy > c.nearest:
        reasons.insert(0, f"Much like {c.duplicate_of}, suggested before it "
                          f"(similarity {c.redundancy:.2f}).")
    elif c.novelty < KNOWN:
        reasons.insert(0, f"Much like graded {c.nearest_id} (similarity {c.nearest:.2f}): "
                          "little new to learn.")
    if not reasons:
        reasons.append(f"Close to graded {c.nearest_id} (similarity {c.nearest:.2f}) and "
                       "the memories agree with the judge: a check, little new.")
    signals = {"disagreement": c.disagreement, "spread": c.spread, "novelty": c.novelty,
               "redundancy": max(c.redundancy, 0.0)}
    return Suggestion(c.case_id, c.dimension, round(c.utility, 6), tuple(reasons),
                      {k: round(v, 6) for k, v in signals.items()})


def _gap(score: int, other: int) -> float:
    """0.5 per point; 1 between not applicable and a score."""
    if (score == NOT_APPLICABLE) != (other == NOT_APPLICABLE):
        return 1.0
    return min(1.0, abs(score - other) / 2)


def _say(score: int) -> str:
    return "0 (not applicable)" if score == NOT_APPLICABLE else str(score)


def _scale(vectors: np.ndarray) -> float:
    """1 minus the median similarity of distinct sections (at least a small positive)."""
    import numpy as np

    if len(vectors) < 2:
        return 1.0
    similarity = vectors @ vectors.T
    typical = float(np.median(similarity[np.triu_indices(len(vectors), 1)]))
    return max(1.0 - typical, 1e-3) if math.isfinite(typical) else 1.0


def _unit(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (zero rows stay zero)."""
    import numpy as np

    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1.0)
