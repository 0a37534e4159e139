"""The heuristic engine's decision: the base score, learned rules and neighbour votes.

An aligned heuristic (or any non-LLM) judge weighs three kinds of evidence as votes for a
score, each with a documented weight (:class:`BlendWeights`, set on
:class:`~memalign_nb.align.MemAlign`):

* the base judge's own score: weight ``base_weight``;
* each learned rule the section's facts meet (semantic memory,
  :func:`~memalign_nb.memory.rules.apply_rules`): ``rule_weight`` times the rule's
  precision (in ``n`` of the ``of`` graded cases with that fact value the experts gave the
  rule's score). Rules are ranked by the judge errors they fixed; only the best-ranked
  rule of each predicted score votes, since rules over correlated facts restate one
  another and would otherwise outvote everything by number. With the default weights a
  rule alone cannot outweigh the base score (a rule that never failed ties with it, and a
  tie goes to the lower score): it
  decides together with the neighbours. Single-fact rules learned from a few dozen cases
  overturned too many right scores on their own;
* each retrieved neighbour at least ``min_similarity`` similar (episodic memory), with
  weight ``neighbour_weight * similarity / k``, so ``k`` identical neighbours together
  weigh ``neighbour_weight``. In ``"correction"`` mode (the default) a neighbour votes for
  the base score corrected as the experts corrected the base judge on it: the base score
  plus (its expert score minus its judge score), kept within 1-3. That is its expert score
  exactly when the judge scored it as it scores this case, and it carries the judge's
  systematic errors on similar notebooks over without dragging every case towards the
  scores of notebooks that merely look alike (same dataset, same boilerplate). When
  either side is 0 (not applicable) or the neighbour's judge score is unknown, and in
  ``"expert"`` mode, it votes for its expert score.

Which of these evidence kinds count, and how much, is chosen per dimension from the
training feedback (:mod:`memalign_nb.align.calibration`, ``MemAlign(calibrate=True)``, the
default); the weights above are then the starting point of that choice.

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
        Weight of the base judge's score.
    rule_weight : float
        Weight of a fully precise matching rule (scaled by the rule's precision).
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
        A weight is negative, all three weights are 0, ``min_similarity`` is outside
        [-1, 1] or ``k`` is below 1.
    UnknownNameError
        An unknown ``neighbour_mode``.
    """

    base_weight: float = 1.0
    rule_weight: float = 1.0
    neighbour_weight: float = 4.0
    min_similarity: float = 0.3
    k: int = 5
    neighbour_mode: str = "correction"

    def __post_init__(self) -> None:
        weights = {"base_weight": self.base_weight, "rule_weight": self.rule_weight,
                   "neighbour_weight": self.neighbour_weight}
        for name, value in weights.items():
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise MemAlignError(f"{name} must be a number >= 0, got {value!r}")
        if not any(weights.values()):
            raise MemAlignError("at least one of base_weight, rule_weight and "
                                "neighbour_weight must be positive")
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
        Every vote cast: the base score first, then rules, then neighbours.
    """

    score: int
    votes: tuple[Vote, ...]

    @property
    def totals(self) -> dict[int, float]:
        """Total weight per score, for scores that received any."""
        return _sum(self.votes)

    def explain(self, base_rationale: str = "", note: str = "") -> str:
        """The decision in words: what each kind of evidence said, ``note`` (how the blend
        was chosen), and the base reason."""
        base = [v for v in self.votes if v.source == "base"]
        rules = [v for v in self.votes if v.source == "rule"]
        neighbours = [v for v in self.votes if v.source == "neighbour"]
        head = f"Aligned score {self.score}"
        if base:
            head += f" (the unaligned judge scored {base[0].score})"
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
    rules: Sequence[tuple[Guideline, int]],
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
    rules : sequence of (Guideline, int)
        Matching rules, best ranked first, with the score each predicts (as
        :func:`~memalign_nb.memory.rules.apply_rules` returns them).
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
    if base_score is not None and weights.base_weight > 0:
        votes.append(Vote("base", base_score, float(weights.base_weight), base_ref))
    voted_scores: set[int] = set()
    for guideline, score in rules:
        if score in voted_scores:
            continue
        voted_scores.add(score)
        condition = guideline.condition or {}
        precision = condition.get("n", 1) / max(condition.get("of", 1), 1)
        votes.append(Vote("rule", score, weights.rule_weight * precision, guideline.id,
                          guideline.text))
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
    return Blend(decide(_sum(votes)), tuple(votes))


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
