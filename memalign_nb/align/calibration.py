"""Per-dimension self-calibration of the heuristic engine, by leave-one-out on its feedback.

How the heuristic engine decides
--------------------------------
An aligned heuristic judge weighs the base judge's score, the learned rules a section meets
and its graded neighbours' votes (:mod:`memalign_nb.align.blend`). Which of them helps
depends on the dimension: where notebooks that look alike were graded alike (cell
organisation, say), neighbours carry information; where the score turns on one line of
code among boilerplate shared by every notebook (exploratory analysis), the most similar
notebooks are noise and pull right scores away. One global blend cannot suit both, so
:class:`~memalign_nb.align.MemAlign` (``calibrate=True``, the default) chooses the blend
*per dimension* from the training feedback alone:

1. Every graded training item of the dimension is scored as the aligned judge would score
   it if that case had never been graded: its neighbours come from the stored examples of
   the *other* cases (compared through the vectors Chroma holds: nothing stored is embedded
   again, only items the ``"disagreements"`` policy did not store are embedded), its rules
   are learned again without it (:func:`~memalign_nb.memory.learn_rules`, a recount), and
   its base score is the base judge's verdict recorded while learning.
2. Each candidate of a small grid (:func:`candidate_blends`) decides every item from that
   evidence. The grid, simplest first: the base judge alone; plus rules (with
   ``rule_weight``); plus neighbours alone, at a total weight of :data:`NEIGHBOUR_WEIGHTS`
   (and the configured ``neighbour_weight``), in ``"correction"`` then ``"expert"`` mode;
   rules together with each of those. ``base_weight``, ``k`` and ``min_similarity`` stay
   as configured, so the configured (global) blend is one of the candidates.
   ``semantic=False`` leaves out the rule candidates, ``episodic=False`` the neighbour
   candidates.
3. Each candidate's leave-one-out MAE is taken over the items the experts marked applicable
   (against the raters' median, as the study measures), and a candidate that gets
   applicability (0 versus 1-3) wrong more often than the base judge is not eligible.
4. The choice is the *simplest* eligible candidate whose MAE is within :data:`MARGIN` of the
   best. The base judge comes first, so memories are used only where they beat it on the
   judge's own training data by at least the margin; the margin keeps a difference of
   one item from switching the blend on noise.

The choice is kept per dimension in :attr:`AlignedJudge.calibration_
<memalign_nb.align.AlignedJudge.calibration_>` as :class:`Calibration` records, named in
every judgment's metadata (``"blend"``), saved with the judge and made again on the
dimensions that :meth:`~memalign_nb.align.AlignedJudge.add_feedback` or
:meth:`~memalign_nb.align.AlignedJudge.forget` change. Held-out data never takes part: the
calibration sees only the feedback the judge learned.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from memalign_nb.align.blend import NEIGHBOUR_MODES, BlendWeights, blend
from memalign_nb.errors import MemAlignError
from memalign_nb.memory.examples import Example, Neighbour

if TYPE_CHECKING:
    from memalign_nb.align.aligned_judge import AlignedJudge
    from memalign_nb.memory.guidelines import Guideline

logger = logging.getLogger(__name__)

MARGIN = 0.03
"""Smallest leave-one-out MAE gain for which a more complex blend replaces a simpler one.

With a few dozen items per dimension, 0.03 is about one item one point better. Chosen by
4-fold cross-validation on generated datasets of seeds 1-4 (never the bundled sample, seed
0): 0.02 had the same mean error but switched more dimensions to a blend that did worse on
held-out cases; 0.06 missed useful blends."""

NEIGHBOUR_WEIGHTS: tuple[float, ...] = (1.0, 4.0, 16.0)
"""Total neighbour weights tried: below, at and above the default ``neighbour_weight``."""

BASE = "base"
"""The candidate that keeps the base judge's score."""

GLOBAL = "global"
"""What judgments name as their blend when the judge was not calibrated."""


@dataclass(frozen=True)
class Candidate:
    """One blend the calibration tries.

    Attributes
    ----------
    name : str
        ``"base"``, ``"rules"``, ``"neighbours(correction, 4)"``,
        ``"rules+neighbours(expert, 16)"``, ...
    weights : BlendWeights
        The weights it decides with.
    """

    name: str
    weights: BlendWeights


@dataclass(frozen=True)
class CandidateScore:
    """How one candidate did on one dimension's training items, left out one at a time.

    Attributes
    ----------
    name : str
        The candidate's name.
    mae : float or None
        Mean absolute error over the items the experts marked applicable; None when there
        are none.
    applicability_errors : int
        Items where it said 0 and the experts 1-3, or the other way round.
    """

    name: str
    mae: float | None
    applicability_errors: int


@dataclass(frozen=True)
class Calibration:
    """The blend chosen for one dimension, and the evidence for the choice.

    Attributes
    ----------
    dimension : str
        The dimension.
    choice : str
        The chosen candidate's name (``"base"``: the memories do not vote).
    weights : BlendWeights
        The weights the aligned judge scores the dimension with.
    n_items : int
        Applicable training items the candidates were compared on.
    scores : tuple of CandidateScore
        Every candidate's leave-one-out result, simplest first (the base judge first).
    """

    dimension: str
    choice: str
    weights: BlendWeights
    n_items: int
    scores: tuple[CandidateScore, ...]

    @property
    def base_mae(self) -> float | None:
        """The base judge's MAE on the items (None when there are none)."""
        return self.scores[0].mae if self.scores else None

    @property
    def mae(self) -> float | None:
        """The chosen candidate's leave-one-out MAE."""
        return next((s.mae for s in self.scores if s.name == self.choice), None)

    def describe(self) -> str:
        """The choice in words, for a judgment's rationale."""
        if self.base_mae is None or self.mae is None:
            return "No graded training item of this dimension: the unaligned judge decides."
        measured = (f"{self.n_items} graded training items, each left out in turn "
                    f"(MAE {self.mae:.2f}; unaligned judge {self.base_mae:.2f})")
        if self.choice == BASE:
            return (f"Memories do not vote on this dimension: no blend beat the unaligned "
                    f"judge on {measured}.")
        return f"Blend {self.choice}, chosen on {measured}."

    def to_dict(self) -> dict[str, Any]:
        """The record as JSON-serialisable data (:meth:`from_dict` reads it back)."""
        return {
            "dimension": self.dimension,
            "choice": self.choice,
            "weights": dataclasses.asdict(self.weights),
            "n_items": self.n_items,
            "scores": [dataclasses.asdict(s) for s in self.scores],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Calibration:
        """The inverse of :meth:`to_dict`.

        Raises
        ------
        MemAlignError
            A field is missing or invalid (the weights are checked as
            :class:`BlendWeights` checks them).
        """
        try:
            record = cls(
                dimension=str(data["dimension"]),
                choice=str(data["choice"]),
                weights=BlendWeights(**data["weights"]),
                n_items=int(data["n_items"]),
                scores=tuple(
                    CandidateScore(str(s["name"]), None if s["mae"] is None else float(s["mae"]),
                                   int(s["applicability_errors"]))
                    for s in data["scores"]
                ),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise MemAlignError(f"not a calibration record: {exc!r}") from None
        if record.choice not in {s.name for s in record.scores}:
            raise MemAlignError(f"{record.dimension}: the choice {record.choice!r} is not "
                                f"among the candidates scored")
        return record


def read_calibration(saved: Any, dimensions: Sequence[str]) -> dict[str, Calibration]:
    """Saved calibrations (``{dimension: Calibration.to_dict()}``) back as records.

    Raises
    ------
    MemAlignError
        ``saved`` is not a mapping, a record is invalid, or it names a dimension not in
        ``dimensions``.
    """
    if not isinstance(saved, Mapping):
        raise MemAlignError(f"expected an object, got {type(saved).__name__}")
    records = {str(d): Calibration.from_dict(row) for d, row in saved.items()}
    unknown = sorted(d for d, c in records.items() if d not in dimensions or c.dimension != d)
    if unknown:
        raise MemAlignError(f"calibrations of dimensions that were not aligned, or filed "
                            f"under another dimension: {', '.join(unknown)}")
    return records


def candidate_blends(weights: BlendWeights, *, rules: bool, neighbours: bool
                     ) -> tuple[Candidate, ...]:
    """The grid the calibration chooses from, simplest first (the base judge alone first).

    Parameters
    ----------
    weights : BlendWeights
        The configured weights: their ``base_weight``, ``rule_weight``, ``k`` and
        ``min_similarity`` are kept; their ``neighbour_weight`` joins
        :data:`NEIGHBOUR_WEIGHTS`.
    rules : bool
        Include candidates with rules (semantic memory).
    neighbours : bool
        Include candidates with neighbours (episodic memory).
    """
    base = dataclasses.replace(weights, base_weight=1.0, rule_weight=0.0, neighbour_weight=0.0)
    rule_weights = [weights.rule_weight] if rules and weights.rule_weight > 0 else []
    neighbour_options = []
    if neighbours:
        totals = sorted({*NEIGHBOUR_WEIGHTS, weights.neighbour_weight} - {0.0})
        neighbour_options = [(total, mode) for total in totals for mode in NEIGHBOUR_MODES]
    combinations = [(r, 0.0, weights.neighbour_mode) for r in rule_weights]
    combinations += [(0.0, total, mode) for total, mode in neighbour_options]
    combinations += [(r, total, mode) for r in rule_weights for total, mode in neighbour_options]
    grid = [Candidate(BASE, base)]
    for rule_weight, neighbour_weight, mode in combinations:
        parts = ["rules"] if rule_weight else []
        if neighbour_weight:
            parts.append(f"neighbours({mode}, {neighbour_weight:g})")
        grid.append(Candidate("+".join(parts), dataclasses.replace(
            weights, rule_weight=rule_weight, neighbour_weight=neighbour_weight,
            neighbour_mode=mode)))
    return tuple(grid)


def choose(scores: Sequence[CandidateScore], margin: float = MARGIN) -> CandidateScore:
    """The simplest eligible candidate within ``margin`` of the best leave-one-out MAE.

    Parameters
    ----------
    scores : sequence of CandidateScore
        Simplest first; the first is the base judge alone.
    margin : float
        See :data:`MARGIN`.

    Returns
    -------
    CandidateScore
        The base judge's when no candidate was measured (no applicable items).
    """
    base = scores[0]
    eligible = [s for s in scores if s.mae is not None
                and s.applicability_errors <= base.applicability_errors]
    if base.mae is None or not eligible:
        return base
    best = min(s.mae for s in eligible)
    return next(s for s in eligible if s.mae <= best or s.mae - best < margin)


@dataclass(frozen=True)
class _Evidence:
    """What a training item would be scored from if its case had never been graded."""

    reference: float
    base: int
    rules: list[tuple[Guideline, int]]
    neighbours: list[Neighbour]


def calibrate(aligned: AlignedJudge, dimensions: Iterable[str]) -> dict[str, Calibration]:
    """Choose the blend of each of ``dimensions`` by leave-one-out on ``aligned``'s items.

    Parameters
    ----------
    aligned : AlignedJudge
        A heuristic-engine judge with its memories built.
    dimensions : iterable of str
        The aligned dimensions to calibrate.

    Returns
    -------
    dict of str to Calibration
        One record per dimension (the base judge alone where it has no graded items).
    """
    grid = candidate_blends(aligned.weights, rules=aligned.params.semantic,
                            neighbours=aligned.episodic is not None)
    chosen = {}
    for dimension in dimensions:
        evidence = _evidence(aligned, dimension)
        scores = tuple(_score(candidate, evidence) for candidate in grid)
        choice = choose(scores)
        weights = next(c.weights for c in grid if c.name == choice.name)
        n_items = sum(1 for e in evidence if e.reference > 0)
        chosen[dimension] = Calibration(dimension, choice.name, weights, n_items, scores)
        logger.info("%s: blend %s (leave-one-out MAE %s on %d items; base judge %s)",
                    dimension, choice.name, _fmt(choice.mae), n_items, _fmt(scores[0].mae))
    return chosen


def _score(candidate: Candidate, evidence: Sequence[_Evidence]) -> CandidateScore:
    errors, wrong_applicability = [], 0
    for item in evidence:
        decision = blend(item.base, item.rules, item.neighbours, candidate.weights)
        predicted = item.base if decision is None else decision.score
        if item.reference > 0:
            errors.append(abs(predicted - item.reference))
        wrong_applicability += (predicted > 0) != (item.reference > 0)
    mae = math.fsum(errors) / len(errors) if errors else None
    return CandidateScore(candidate.name, mae, wrong_applicability)


def _evidence(aligned: AlignedJudge, dimension: str) -> list[_Evidence]:
    """Leave-one-out evidence of every item of ``dimension`` the base judge scored."""
    from memalign_nb.feedback.agreement import reference_scores

    items = sorted((e for (_, d), e in aligned.items_.items() if d == dimension),
                   key=lambda e: e.case_id)
    reference = reference_scores(g for g in aligned.grades_.values() if g.dimension == dimension)
    neighbours = _loo_neighbours(aligned, dimension, items)
    rules = _loo_rules(aligned, dimension, items)
    return [
        _Evidence(reference[(e.case_id, dimension)], e.judge_score, rules[e.case_id],
                  neighbours[e.case_id])
        for e in items
        if e.judge_score is not None and (e.case_id, dimension) in reference
    ]


def _loo_rules(aligned: AlignedJudge, dimension: str, items: Sequence[Example]
               ) -> dict[str, list[tuple[Guideline, int]]]:
    """The rules each item meets when they are learned from the other items only."""
    from memalign_nb.memory.rules import apply_rules, learn_rules

    if not aligned.params.semantic:
        return {e.case_id: [] for e in items}
    params = aligned.params
    found = {}
    for item in items:
        others = [e for e in items if e.case_id != item.case_id]
        rules = learn_rules(others, min_support=params.min_support,
                            min_precision=params.min_precision)
        found[item.case_id] = apply_rules(rules, item.facts, dimension=dimension)
    return found


def _loo_neighbours(aligned: AlignedJudge, dimension: str, items: Sequence[Example]
                    ) -> dict[str, list[Neighbour]]:
    """Each item's ``k`` most similar stored examples of other cases, as retrieval ranks them.

    Stored examples are compared through the vectors Chroma holds; only items the episodic
    policy did not store are embedded (as documents, like the stored ones).
    """
    import numpy as np

    if aligned.episodic is None:
        return {e.case_id: [] for e in items}
    stored = aligned.episodic.vectors(dimension)
    by_id = {e.id: e for e in items}
    pool = [by_id[i] for i in sorted(stored) if i in by_id]
    if not pool:
        return {e.case_id: [] for e in items}
    missing = [e for e in items if e.id not in stored]
    if missing:
        from memalign_nb.memory.embeddings import make_embeddings

        embedder = make_embeddings(aligned.episodic.embeddings)
        stored = {**stored, **dict(zip((e.id for e in missing),
                                       embedder.embed_documents([e.text for e in missing]),
                                       strict=True))}
    similarity = _unit(np.array([stored[e.id] for e in items])) @ _unit(
        np.array([stored[e.id] for e in pool])).T
    k = aligned.params.k
    found = {}
    for row, item in zip(similarity, items, strict=True):
        ranked = sorted((j for j, e in enumerate(pool) if e.case_id != item.case_id),
                        key=lambda j: (-row[j], pool[j].id))[:k]
        found[item.case_id] = [Neighbour(pool[j], float(row[j])) for j in ranked]
    return found


def _unit(matrix: Any) -> Any:
    """Rows scaled to length 1 (zero rows stay zero): dot products become cosines."""
    import numpy as np

    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1.0)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
