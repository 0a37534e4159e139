"""The heuristic engine's decision: the base score, a learned correction and neighbour votes.

An aligned heuristic (or any non-LLM) judge weighs its evidence as votes for a score, with
documented weights (:class:`BlendWeights`, set on :class:`~memalign_nb.align.MemAlign` and
chosen per dimension by :mod:`memalign_nb.align.calibration`):

* the base judge's score, weight ``base_weight``; when semantic memory holds a rule the
  section meets (the first of the dimension's decision list,
  :func:`~memalign_nb.memory.rules.match_rule`) and ``rules`` is on, the rule's score takes
  that vote instead: a rule is a correction the experts made to this judge on several
  training cases like this one;
* each retrieved neighbour at least ``min_similarity`` similar (episodic memory), with
  weight ``neighbour_weight * similarity / k``, so ``k`` identical neighbours together
  weigh ``neighbour_weight``. In ``"correction"`` mode a neighbour votes for the base score
  corrected as the experts corrected the base judge on it: the base score plus (its expert
  score minus its judge score), kept within 1-3; that carries the judge's systematic errors
  on similar notebooks over without dragging every case towards the scores of notebooks
  that merely look alike. When either side is 0 (not applicable) or the neighbour's judge
  score is unknown, and in ``"expert"`` mode, it votes for its expert score.

The decision mirrors how several raters are reduced to a reference score
(:func:`~memalign_nb.feedback.reference_scores`): *not applicable* (0) when 0 holds more than
half of the total weight; otherwise the weighted median of the 1-3 votes, the score that
minimises the weighted absolute error (what MAE measures), a tie going to the lower score.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from memalign_nb.dimensions import NOT_APPLICABLE
from memalign_nb.errors import MemAlignError, UnknownNameError
from memalign_nb.memory.examples import Example, Neighbour
from memalign_nb.memory.guidelines import Guideline

logger = logging.getLogger(__name__)

_SHOWN_NEIGHBOURS = 5

NEIGHBOUR_MODES: tuple[str, ...] = ("correction", "expert")
"""How a neighbour votes: the base score corrected by the neighbour's judge error, or its
expert score as it is."""


@dataclass(frozen=True)
class BlendWeights:
    """How much each kind of evidence counts.

    Attributes
    ----------
    base_weight : float
        Weight of the base judge's score (or of the rule that corrects it).
    rules : bool
        Whether a matching learned rule replaces the base score.
    neighbour_weight : float
        Total weight of ``k`` neighbours of similarity 1 (each counts
        ``neighbour_weight * similarity / k``).
    min_similarity : float
        Neighbours less similar than this (cosine, at most 1) do not vote.
    k : int
        Neighbours retrieved per judgment; the share each neighbour's weight is cut to.
    neighbour_mode : str
        ``"correction"`` or ``"expert"`` (see :data:`NEIGHBOUR_MODES` and the module docs).

    Raises
    ------
    MemAlignError
        A weight is negative, both weights are 0, ``min_similarity`` is outside
        [-1, 1] or ``k`` is below 1.
    UnknownNameError
        An unknown ``neighbour_mode``.
    """

    base_weight: float = 1.0
    rules: bool = True
    neighbour_weight: float = 4.0
    min_similarity: float = 0.3
    k: int = 5
    neighbour_mode: str = "correction"

    def __post_init__(self) -> None:
        weights = {"base_weight": self.base_weight, "neighbour_weight": self.neighbour_weight}
        for name, value in weights.items():
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise MemAlignError(f"{name} must be a number >= 0, got {value!r}")
        if not any(weights.values()):
            raise MemAlignError("at least one of base_weight and neighbour_weight must be "
                                "positive")
        if not isinstance(self.rules, bool):
            raise MemAlignError(f"rules must be True or False, got {self.rules!r}")
        if not isinstance(self.min_similarity, int | float) or not -1 <= self.min_similarity <= 1:
            raise MemAlignError(f"min_similarity must be in [-1, 1], got {self.min_similarity!r}")
        if not isinstance(self.k, int) or isinstance(self.k, bool) or self.k < 1:
            raise MemAlignError(f"k must be an int >= 1, got {self.k!r}")
        if self.neighbour_mode not in NEIGHBOUR_MODES:
            raise UnknownNameError("neighbour mode", str(self.neighbour_mode), NEIGHBOUR_MODES)


@dataclass(frozen=True)
class Vote:
    """One piece of evidence for a score.

    Attributes
    ----------
    source : str
        ``"base"``, ``"rule"`` or ``"neighbour"``.
    score : int
        The score it votes for, 0-3.
    weight : float
        How much it counts.
    ref : str
        What cast it: the base judge's id, the rule's guideline id, the neighbour's case id.
    detail : str
        A short reason in words (the rule's sentence, the neighbour's similarity).
    """

    source: str
    score: int
    weight: float
    ref: str
    detail: str = ""


@dataclass(frozen=True)
class Blend:
    """The blended decision and the votes behind it.

    Attributes
    ----------
    score : int
        The decided score, 0-3.
    votes : tuple of Vote
        Every vote cast: the base score (or the rule correcting it) first, then neighbours.
    base_score : int or None
        The base judge's score, whatever voted in its place.
    """

    score: int
    votes: tuple[Vote, ...]
    base_score: int | None = None

    @property
    def totals(self) -> dict[int, float]:
        """Total weight per score, for scores that received any."""
        return _sum(self.votes)

    def explain(self, base_rationale: str = "", note: str = "") -> str:
        """The decision in words: what each kind of evidence said, ``note`` (how the blend
        was chosen), and the base reason."""
        rules = [v for v in self.votes if v.source == "rule"]
        neighbours = [v for v in self.votes if v.source == "neighbour"]
        head = f"Aligned score {self.score}"
        if self.base_score is not None:
            head += f" (the unaligned judge scored {self.base_score})"
        parts = [head + "."]
        if note.strip():
            parts.append(note.strip())
        parts += [f"Learned from expert feedback: {v.detail}" for v in rules]
        if neighbours:
            shown = ", ".join(
                f"{v.ref} votes {v.score} ({v.detail})" for v in neighbours[:_SHOWN_NEIGHBOURS]
            )
            parts.append(f"Similar graded notebooks: {shown}.")
        if base_rationale.strip():
            parts.append(f"Unaligned judge: {base_rationale.strip()}")
        return " ".join(parts)

    def to_metadata(self) -> dict[str, object]:
        """The votes as JSON-serialisable judgment metadata."""
        return {
            "votes": [
                {"source": v.source, "score": v.score, "weight": round(v.weight, 4), "ref": v.ref}
                for v in self.votes
            ],
            "vote_totals": {str(s): round(w, 4) for s, w in sorted(self.totals.items())},
        }


def blend(
    base_score: int | None,
    rule: Guideline | None,
    neighbours: Sequence[Neighbour],
    weights: BlendWeights,
    *,
    base_ref: str = "base",
) -> Blend | None:
    """Blend the evidence for one (case, dimension) into one score.

    Parameters
    ----------
    base_score : int or None
        The base judge's score; None when it has none (it then casts no vote).
    rule : Guideline or None
        The learned rule the section meets (:func:`~memalign_nb.memory.rules.match_rule`);
        it votes in the base score's place when ``weights.rules`` is on.
    neighbours : sequence of Neighbour
        Retrieved examples of the same dimension, most similar first.
    weights : BlendWeights
    base_ref : str
        Names the base judge in its vote.

    Returns
    -------
    Blend or None
        None when no evidence carries weight (nothing to decide from).
    """
    votes = []
    if weights.base_weight > 0:
        if rule is not None and weights.rules:
            votes.append(Vote("rule", int((rule.condition or {})["score"]),
                              float(weights.base_weight), rule.id, rule.text))
        elif base_score is not None:
            votes.append(Vote("base", base_score, float(weights.base_weight), base_ref))
    for neighbour in neighbours:
        if neighbour.similarity < weights.min_similarity:
            continue
        example = neighbour.example
        weight = weights.neighbour_weight * max(neighbour.similarity, 0.0) / weights.k
        detail = f"similarity {neighbour.similarity:.2f}"
        score = example.expert_score
        if weights.neighbour_mode == "correction" and _correctable(base_score, example):
            score = min(3, max(1, base_score + example.expert_score - example.judge_score))
            detail += f"; judge {example.judge_score}, experts {example.expert_score}"
        votes.append(Vote("neighbour", score, weight, example.case_id, detail))
    votes = [v for v in votes if v.weight > 0]
    if not votes:
        return None
    return Blend(decide(_sum(votes)), tuple(votes), base_score)


def decide(totals: Mapping[int, float]) -> int:
    """The score that weighted votes decide: applicability first, then the weighted median.

    Parameters
    ----------
    totals : mapping of int to float
        Total weight per score 0-3; at least one positive.

    Returns
    -------
    int
        0 when score 0 holds more than half the weight; otherwise the weighted median of
        the 1-3 votes (the lowest score whose cumulative weight reaches half).
    """
    total = sum(totals.values())
    if total <= 0:
        raise MemAlignError("cannot decide a score from votes with no weight")
    if totals.get(NOT_APPLICABLE, 0.0) * 2 > total:
        return NOT_APPLICABLE
    quality = sorted((s, w) for s, w in totals.items() if s != NOT_APPLICABLE and w > 0)
    half = sum(w for _, w in quality) / 2
    cumulative = 0.0
    for score, weight in quality[:-1]:
        cumulative += weight
        if cumulative >= half - 1e-12:
            return score
    return quality[-1][0]


def _correctable(base_score: int | None, example: Example) -> bool:
    """Whether a neighbour's judge error can be carried over to ``base_score``."""
    scores = (base_score, example.judge_score, example.expert_score)
    return all(s not in (None, NOT_APPLICABLE) for s in scores)


def _sum(votes: Sequence[Vote]) -> dict[int, float]:
    totals: dict[int, float] = {}
    for vote in votes:
        totals[vote.score] = totals.get(vote.score, 0.0) + vote.weight
    return totals
