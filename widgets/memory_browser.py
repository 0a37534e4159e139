"""Browse an aligned judge's memories: guidelines with their sources, searchable examples.

>>> from memalign_nb_widgets import MemoryBrowser
>>> MemoryBrowser.from_judge_dir("aligned-judge/")          # doctest: +SKIP
>>> MemoryBrowser.from_judge(MemAlign().fit(judge, dataset)) # doctest: +SKIP
>>> MemoryBrowser(guidelines, examples)                      # doctest: +SKIP

The browser takes plain records, so it works with any source of them:

- a *guideline* has ``.text`` (the rule), ``.dimension`` and ``.source_case_ids`` (the
  graded cases it was distilled from), like the semantic memory's guidelines;
- an *example* has ``.case_id``, ``.dimension``, ``.expert_score``, ``.rationale`` and
  ``.text`` (the section it grades), and optionally ``.judge_score``, like
  :class:`memalign_nb.memory.examples.Example`.

Searching matches every word typed (case-insensitive) against an example's case id,
rationale and section text; a case id named by a guideline finds that guideline's sources.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from os import PathLike
from typing import TYPE_CHECKING, Any, Protocol

from memalign_nb_widgets import render

if TYPE_CHECKING:
    from memalign_nb.align import AlignedJudge

logger = logging.getLogger(__name__)

PAGE_SIZE = 20
"""Examples shown at first; "show more" adds this many."""

_ALL = "(all)"


class GuidelineLike(Protocol):
    """What the browser reads from a guideline."""

    text: str
    dimension: str
    source_case_ids: Sequence[str]


class ExampleLike(Protocol):
    """What the browser reads from an episodic example."""

    case_id: str
    dimension: str
    expert_score: int
    rationale: str
    text: str


def filter_guidelines(
    guidelines: Iterable[GuidelineLike], dimension: str | None = None
) -> list[GuidelineLike]:
    """The guidelines of ``dimension`` (all when None), in their given order."""
    return [g for g in guidelines if dimension is None or g.dimension == dimension]


def filter_examples(
    examples: Iterable[ExampleLike],
    query: str = "",
    dimension: str | None = None,
    score: int | None = None,
) -> list[ExampleLike]:
    """The examples matching every filter given.

    Parameters
    ----------
    examples : iterable of example records
    query : str
        Words that must all occur (case-insensitive) in the case id, rationale or text.
    dimension : str, optional
        Keep only this dimension.
    score : int, optional
        Keep only this expert score.
    """
    words = query.casefold().split()
    kept = []
    for example in examples:
        if dimension is not None and example.dimension != dimension:
            continue
        if score is not None and example.expert_score != score:
            continue
        haystack = f"{example.case_id}\n{example.rationale}\n{example.text}".casefold()
        if all(word in haystack for word in words):
            kept.append(example)
    return kept


def render_guideline(guideline: GuidelineLike) -> str:
    """One guideline with its dimension and source cases, escaped.

    The optional ``.support`` (cases backing it) and ``.condition`` (a rule learner's
    machine condition) of :class:`memalign_nb.memory.guidelines.Guideline` are shown when
    the record has them.
    """
    sources = ", ".join(render.esc(c) for c in guideline.source_case_ids) or "none recorded"
    support = getattr(guideline, "support", None)
    condition = getattr(guideline, "condition", None)
    extra = f" \u00b7 support {render.esc(support)}" if support else ""
    if condition:
        extra += f" \u00b7 condition {render.esc(json.dumps(dict(condition), default=str))}"
    return (
        '<div style="border-left:3px solid #8250df;padding:4px 8px;margin:6px 0">'
        f'<div style="white-space:pre-wrap">{render.esc(guideline.text)}</div>'
        f'<div style="font-size:12px;color:#57606a">{render.esc(guideline.dimension)}'
        f" \u00b7 from: {sources}{extra}</div></div>"
    )


def render_example(example: ExampleLike) -> str:
    """One example: case, dimension, scores, rationale, and its section highlighted."""
    judge = getattr(example, "judge_score", None)
    judge_part = f" \u00b7 judge {render.esc(judge)}" if judge is not None else ""
    return (
        '<div style="border:1px solid #d0d7de;border-radius:4px;padding:6px;margin:6px 0">'
        f"<b>{render.esc(example.case_id)}</b> \u00b7 {render.esc(example.dimension)} \u00b7 "
        f"expert <b>{render.esc(example.expert_score)}</b>{judge_part}"
        f'<div style="white-space:pre-wrap;margin:4px 0">{render.esc(example.rationale)}</div>'
        f'<div style="max-height:16em;overflow:auto">{render.highlight(example.text)}</div>'
        "</div>"
    )


class MemoryBrowser(render.View):
    """Guidelines (semantic memory) and graded examples (episodic memory), browsable.

    Parameters
    ----------
    guidelines : iterable of guideline records
        Each with ``.text``, ``.dimension`` and ``.source_case_ids``.
    examples : iterable of example records
        Each with ``.case_id``, ``.dimension``, ``.expert_score``, ``.rationale``, ``.text``.

    Attributes
    ----------
    widget : ipywidgets.Tab
        Two tabs, "Guidelines" and "Examples"; displaying the browser displays it.
    """

    def __init__(
        self, guidelines: Iterable[GuidelineLike], examples: Iterable[ExampleLike]
    ) -> None:
        self.guidelines = list(guidelines)
        self.examples = list(examples)
        self._limit = PAGE_SIZE
        self._build()
        self._show_guidelines()
        self._show_examples()

    @classmethod
    def from_judge(cls, judge: AlignedJudge) -> MemoryBrowser:
        """Browse the memories of an aligned judge (``MemAlign(...).fit(...)``'s result).

        Guidelines are ``judge.guidelines``; examples are what its episodic memory holds
        (none when it was aligned without episodic memory).
        """
        examples = judge.episodic.examples() if judge.episodic is not None else []
        return cls(judge.guidelines, examples)

    @classmethod
    def from_judge_dir(cls, judge_dir: str | PathLike[str], **load_options: Any) -> MemoryBrowser:
        """Browse the memories of an aligned judge saved in ``judge_dir``.

        Parameters
        ----------
        judge_dir : path
            A directory written by ``AlignedJudge.save`` (or ``MemAlign(persist_dir=...)``).
        **load_options
            Passed to :func:`memalign_nb.align.load_judge` (``judge=`` when the base judge
            cannot be rebuilt from the directory, ``embeddings=``).

        Raises
        ------
        JudgeDirError
            ``judge_dir`` is not a readable judge directory.
        """
        from memalign_nb.align import load_judge

        return cls.from_judge(load_judge(judge_dir, **load_options))

    def _build(self) -> None:
        import ipywidgets as w

        dims = sorted({g.dimension for g in self.guidelines} | {e.dimension for e in self.examples})
        self.guideline_dimension = w.Dropdown(options=[_ALL, *dims], description="Dimension")
        self.guidelines_html = w.HTML()
        self.query = w.Text(
            placeholder="search case id, rationale, code", description="Search",
            continuous_update=True,
        )
        self.example_dimension = w.Dropdown(options=[_ALL, *dims], description="Dimension")
        self.example_score = w.Dropdown(
            options=[("any", None), ("0", 0), ("1", 1), ("2", 2), ("3", 3)],
            value=None, description="Expert score",
        )
        self.count_html = w.HTML()
        self.examples_html = w.HTML()
        self.more_button = w.Button(description="Show more")

        self.guideline_dimension.observe(lambda _: self._show_guidelines(), names="value")
        for control in (self.query, self.example_dimension, self.example_score):
            control.observe(self._on_filter, names="value")
        self.more_button.on_click(self._on_more)

        guidelines_tab = w.VBox([self.guideline_dimension, self.guidelines_html])
        examples_tab = w.VBox([
            w.HBox([self.query, self.example_dimension, self.example_score],
                   layout=w.Layout(flex_flow="row wrap")),
            self.count_html, self.examples_html, self.more_button,
        ])
        self._root = w.Tab(children=[guidelines_tab, examples_tab],
                           titles=("Guidelines", "Examples"))
        self._root.add_class("memalign-memory-browser")

    def _show_guidelines(self) -> None:
        chosen = filter_guidelines(self.guidelines, _dimension(self.guideline_dimension.value))
        self.guidelines_html.value = (
            f"<div style='color:#57606a'>{len(chosen)} guideline(s)</div>"
            + "".join(render_guideline(g) for g in chosen)
            if chosen else render.note("No guidelines for this dimension.")
        )

    def matching_examples(self) -> list[ExampleLike]:
        """The examples the current search and filters select."""
        return filter_examples(
            self.examples,
            self.query.value,
            _dimension(self.example_dimension.value),
            self.example_score.value,
        )

    def _show_examples(self) -> None:
        matches = self.matching_examples()
        shown = matches[: self._limit]
        self.count_html.value = (
            f"<div style='color:#57606a'>{len(matches)} of {len(self.examples)} examples match"
            f"{f'; showing {len(shown)}' if len(shown) < len(matches) else ''}</div>"
        )
        self.examples_html.value = "".join(render_example(e) for e in shown)
        self.more_button.layout.display = None if len(shown) < len(matches) else "none"

    def _on_filter(self, _change: Any) -> None:
        self._limit = PAGE_SIZE
        self._show_examples()

    def _on_more(self, _button: Any) -> None:
        self._limit += PAGE_SIZE
        self._show_examples()


def _dimension(value: str) -> str | None:
    return None if value == _ALL else value
