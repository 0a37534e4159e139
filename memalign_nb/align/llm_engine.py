"""The LLM engine: memories given to an :class:`~memalign_nb.judges.llm.LLMJudge` as prompt text.

Semantic memory is distilled from the experts' rationales by a reflection model
(:func:`~memalign_nb.memory.distill_guidelines`), only for the items whose grades are new
or changed. At scoring time the prompt gains, after the rubric, the dimension's guidelines
and the ``k`` most similar graded examples (each excerpt fenced as untrusted data, with the
experts' score and rationale), cut to fit ``memory_tokens``; the model then scores as usual
through :meth:`~memalign_nb.judges.llm.LLMJudge.score_with_memory`.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence, Set
from typing import TYPE_CHECKING, Any

from memalign_nb.align.engine import Engine
from memalign_nb.align.recall import Recall, recall
from memalign_nb.align.sectioning import SectionReader
from memalign_nb.align.state import AlignmentState
from memalign_nb.datasets.model import Case
from memalign_nb.judges.base import Judge, Judgment
from memalign_nb.memory.examples import Example, Neighbour, excerpt
from memalign_nb.memory.guidelines import Guideline
from memalign_nb.sections.tokens import count_tokens

if TYPE_CHECKING:
    from memalign_nb.align.memalign import MemAlign
    from memalign_nb.judges.prompts import Prompt

logger = logging.getLogger(__name__)

_MIN_EXAMPLE_TOKENS = 60  # an example cut shorter than this shows too little to help
_EXAMPLE_OVERHEAD = 40  # fence markers and the "Example n, graded ..." line


class LLMEngine(Engine):
    """Guidelines distilled by a reflection model and graded examples, in the prompt."""

    name = "llm"

    def __init__(self, base_judge: Judge, params: MemAlign) -> None:
        super().__init__(base_judge, params)
        self._reflection: Any = None

    def learn(self, state: AlignmentState, examples: Sequence[Example]) -> tuple[int, int]:
        """Show the new or changed items to the reflection model, dimension by dimension,
        and merge what it distils into semantic memory."""
        if not self.params.semantic:
            return 0, 0
        from memalign_nb.memory.distill import distill_guidelines

        by_dimension: dict[str, list[Example]] = defaultdict(list)
        for example in examples:
            by_dimension[example.dimension].append(example)
        written = 0
        for dimension, items in by_dimension.items():
            distilled = distill_guidelines(
                self.reflection_chat_model(), dimension, self.rubric_text(dimension), items,
                existing=state.guidelines.for_dimension(dimension),
                batch_size=self.params.distill_batch_size,
            )
            state.guidelines.add(distilled)
            written += len(distilled)
        return len(examples), written

    def forget(self, state: AlignmentState, case_ids: Set[str], dimensions: Set[str]
               ) -> list[Guideline]:
        """Withdraw the cases from the guidelines' provenance; returns those left with none."""
        return state.guidelines.forget(case_ids)

    def score(self, state: AlignmentState, reader: SectionReader, case: Case,
              dimension: str) -> Judgment:
        memories = recall(state, reader, case, dimension, k=self.params.k)
        text, guidelines, neighbours = self.memory_text(memories)
        return self.base_judge.score_with_memory(
            case, dimension, text,
            retrieved_ids=[n.example.case_id for n in neighbours],
            metadata={"aligned": True, "engine": self.name,
                      "guideline_ids": [g.id for g in guidelines],
                      "similarities": [round(n.similarity, 4) for n in neighbours]},
            section=memories.section,
        )

    def build_prompt(self, state: AlignmentState, reader: SectionReader, case: Case,
                     dimension: str) -> Prompt:
        """The prompt :meth:`score` sends for ``case``, with the memories it recalls."""
        memories = recall(state, reader, case, dimension, k=self.params.k)
        text, _, _ = self.memory_text(memories)
        return self.base_judge.build_prompt(case, dimension, memory_text=text,
                                            section=memories.section)

    def memory_text(self, memories: Recall) -> tuple[str, list[Guideline], list[Neighbour]]:
        """Guidelines and examples as prompt text within ``memory_tokens``, with the
        guidelines and neighbours that fit."""
        from memalign_nb.judges.prompts import render_examples

        budget = self.params.memory_tokens
        guideline_budget = budget // 2 if memories.neighbours else budget
        lines, guidelines, used = [], [], 0
        for guideline in memories.guidelines:
            line = f"- {guideline.text}"
            cost = count_tokens(line)
            if used + cost > guideline_budget:
                break
            lines.append(line)
            guidelines.append(guideline)
            used += cost
        parts = []
        if lines:
            parts.append("Guidelines learned from expert feedback on this dimension:\n"
                         + "\n".join(lines))
        shown: list[tuple[str, int, str]] = []
        neighbours: list[Neighbour] = []
        for index, neighbour in enumerate(memories.neighbours):
            example = neighbour.example
            share = (budget - used) // (len(memories.neighbours) - index)
            allowance = share - _EXAMPLE_OVERHEAD - count_tokens(example.rationale)
            text = _fit(example.text or "(no cells)", allowance)
            if text is None:
                continue
            cost = count_tokens(text) + _EXAMPLE_OVERHEAD + count_tokens(example.rationale)
            shown.append((text, example.expert_score, example.rationale or "(no reason given)"))
            neighbours.append(neighbour)
            used += cost
        if shown:
            parts.append("Graded examples of similar notebook sections (the experts' scores "
                         "are the reference):\n\n" + render_examples(shown))
        return "\n\n".join(parts), guidelines, neighbours

    def rubric_text(self, dimension: str) -> str:
        """The rubric of ``dimension`` the base judge grades with, as text."""
        from memalign_nb.rubrics import load_rubrics

        rubrics = getattr(self.base_judge, "rubrics", None) or load_rubrics()
        rubric = rubrics.get(dimension)
        return rubric.render() if rubric is not None else dimension

    def reflection_chat_model(self) -> Any:
        """The reflection model, built once (see ``MemAlign.reflection_model``).

        By default the judge's own model; its answers are then cached in the judge's
        ``cache_dir`` (:func:`~memalign_nb.judges.cache.response_cache`).
        """
        from memalign_nb.judges.chat import make_chat_model

        if self._reflection is None:
            spec = self.params.reflection_model
            base: Any = self.base_judge
            if spec is None:
                spec = base.model
            if not isinstance(spec, str):
                self._reflection = spec
            elif spec == getattr(base, "model", None):  # the judge's settings and rate limit
                settings = base.chat_settings()
                if base.cache_dir is not None:  # a rerun then learns the same guidelines
                    from memalign_nb.judges.cache import response_cache

                    settings["model_kwargs"].setdefault("cache", response_cache(base.cache_dir))
                self._reflection = make_chat_model(spec, **settings)
            else:
                self._reflection = make_chat_model(spec)
        return self._reflection


def _fit(text: str, allowance: int) -> str | None:
    """``text`` excerpted to about ``allowance`` tokens; None when that is too few."""
    if allowance < _MIN_EXAMPLE_TOKENS:
        return None
    cut, chars, tokens = text, len(text), count_tokens(text)
    while tokens > allowance:
        chars = int(chars * allowance / tokens * 0.9)
        cut = excerpt(text, chars)
        tokens = count_tokens(cut)
    return cut
