"""The heuristic engine: memories used as data, for any judge that is not an LLM judge.

Semantic memory is a decision list of rules per dimension, learned over the graded items
(:func:`~memalign_nb.memory.rules.learn_rules`): the corrections the experts made to the
base judge under a pattern of static facts, each with its evidence. Episodic memory's
neighbours vote with their expert scores or carry their judge errors over. How the base
score, the rule a section meets and the neighbours are weighed is chosen per dimension on
the training feedback (:mod:`memalign_nb.align.calibration`) and decided by
:func:`~memalign_nb.align.blend.blend`.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Sequence, Set
from typing import Any

from memalign_nb.align.blend import BlendWeights, blend
from memalign_nb.align.engine import Engine
from memalign_nb.align.recall import recall
from memalign_nb.align.sectioning import SectionReader
from memalign_nb.align.state import AlignmentState
from memalign_nb.datasets.model import Case
from memalign_nb.judges.base import Judgment
from memalign_nb.memory.examples import Example
from memalign_nb.memory.guidelines import Guideline, GuidelineSet

logger = logging.getLogger(__name__)


class HeuristicEngine(Engine):
    """Rules that correct the base judge, neighbours that vote, a blend per dimension."""

    name = "heuristic"

    def learn(self, state: AlignmentState, examples: Sequence[Example]) -> tuple[int, int]:
        """Learn the rules again over every item held (a recount, no model call) and choose
        the blend again on the dimensions of ``examples``."""
        written = relearn_rules(state, self.params) if self.params.semantic else 0
        self._recalibrate(state, {e.dimension for e in examples})
        return 0, written

    def forget(self, state: AlignmentState, case_ids: Set[str], dimensions: Set[str]
               ) -> list[Guideline]:
        """Learn the rules again from the remaining feedback; returns the rules dropped."""
        dropped: list[Guideline] = []
        if self.params.semantic:
            before = {_rule_identity(g): g for g in state.guidelines if g.engine == "rules"}
            relearn_rules(state, self.params)
            after = {_rule_identity(g) for g in state.guidelines if g.engine == "rules"}
            dropped = [g for key, g in before.items() if key not in after]
        self._recalibrate(state, set(dimensions))
        return dropped

    def weights_for(self, state: AlignmentState, dimension: str) -> BlendWeights:
        """The weights ``dimension`` is scored with: its calibration's, or the configured."""
        calibration = state.calibration.get(dimension)
        return calibration.weights if calibration is not None else self.params.blend_weights()

    def blend_name(self, state: AlignmentState, dimension: str) -> str:
        """The calibrated blend of ``dimension`` by name, ``"global"`` when not calibrated."""
        from memalign_nb.align.calibration import GLOBAL

        calibration = state.calibration.get(dimension)
        return calibration.choice if calibration is not None else GLOBAL

    def describe(self, state: AlignmentState, dimension: str) -> dict[str, Any]:
        """``{"blend": name}``: what the dimension is scored with."""
        return {"blend": self.blend_name(state, dimension)}

    def score(self, state: AlignmentState, reader: SectionReader, case: Case,
              dimension: str) -> Judgment:
        from memalign_nb.memory.rules import match_rule

        started = time.perf_counter()
        base = self.base_judge.score(case, dimension)
        extras = {"aligned": True, "engine": self.name, "base_score": base.score,
                  "blend": self.blend_name(state, dimension)}
        if not base.ok:
            return dataclasses.replace(base, metadata={**base.metadata, **extras})
        weights = self.weights_for(state, dimension)
        memories = recall(state, reader, case, dimension, k=self.params.k,
                          neighbours=weights.neighbour_weight > 0)
        rule = None
        if weights.rules:
            rule = match_rule(memories.guidelines, memories.section.facts, dimension=dimension,
                              finding=memories.profile.finding, judge_score=base.score)
        decision = blend(base.score, rule, memories.neighbours, weights,
                         base_ref=self.base_judge.judge_id)
        if decision is None:  # base_weight 0 and nothing recalled: the base score stands
            return dataclasses.replace(base, metadata={**base.metadata, **extras})
        calibration = state.calibration.get(dimension)
        return dataclasses.replace(
            base,
            score=decision.score,
            rationale=decision.explain(
                base.rationale, note=calibration.describe() if calibration is not None else ""),
            latency_s=time.perf_counter() - started,
            retrieved_ids=tuple(n.example.case_id for n in memories.neighbours),
            metadata={
                **base.metadata, **extras, **decision.to_metadata(),
                "guideline_ids": [rule.id] if rule is not None and weights.rules else [],
            },
        )

    def _recalibrate(self, state: AlignmentState, dimensions: set[str]) -> None:
        """Choose the blend again on ``dimensions`` (with ``calibrate``)."""
        if not self.params.calibrate or not dimensions:
            return
        from memalign_nb.align.calibration import calibrate

        ordered = [d for d in state.dimensions if d in dimensions]
        state.calibration.update(calibrate(state, self.params, ordered))


def relearn_rules(state: AlignmentState, params: Any) -> int:
    """Learn the rules again over every item of ``state``; returns how many were found.

    Each item counts with its experts' reference (the raters' median) and the base
    judge's score; the rules replace those held, other guidelines stay.
    """
    from memalign_nb.memory.rules import RuleItem, learn_rules

    items = []
    for dimension in state.dimensions:
        reference = state.references(dimension)
        items += [RuleItem.from_example(e, reference.get((e.case_id, dimension)))
                  for e in state.items_of(dimension)]
    rules = learn_rules(items, min_support=params.min_support, min_gain=params.min_gain)
    kept = [g for g in state.guidelines if g.engine != "rules"]
    state.guidelines = GuidelineSet([*kept, *rules], embeddings=params.embeddings)
    return len(rules)


def _rule_identity(guideline: Guideline) -> tuple[Any, ...]:
    """A rule's identity across re-learning: dimension, readings and score."""
    c = guideline.condition or {}
    return (guideline.dimension, repr(c.get("when")), c.get("score"))
