"""Judge engines by name, and :func:`make_judge`, the one way to get a judge from a string.

``make_judge("heuristic")`` is the offline default; ``make_judge("openai:gpt-4o-mini")``
(any ``provider:model`` string) or ``make_judge(chat_model_object)`` gives an
:class:`~memalign_nb.judges.llm.LLMJudge`. Third parties add engines with
``JUDGE_ENGINES.register(name, factory)`` or the ``memalign_nb.judge_engines`` entry-point
group. Engines are imported only when asked for.
"""

from __future__ import annotations

import logging
from typing import Any

from memalign_nb.errors import UnknownNameError
from memalign_nb.judges.base import Judge
from memalign_nb.registry import Registry

logger = logging.getLogger(__name__)

JUDGE_ENGINES: Registry[Judge] = Registry("judge engine", group="memalign_nb.judge_engines")
"""Judge factories by engine name: ``heuristic`` and ``llm`` built in."""

LLM_ENGINE = "llm"
"""The engine every model string and chat model object resolves to."""


def _heuristic(**options: Any) -> Judge:
    from memalign_nb.judges.heuristic import HeuristicJudge

    return HeuristicJudge(**options)


def _llm(model: Any, **options: Any) -> Judge:
    from memalign_nb.judges.llm import LLMJudge

    return LLMJudge(model, **options)


JUDGE_ENGINES.register("heuristic", _heuristic)
JUDGE_ENGINES.register(LLM_ENGINE, _llm)


def resolve_engine(model: Any) -> str:
    """The engine name ``model`` selects.

    A registered engine name selects itself; any other string (``openai:gpt-4o-mini``) and
    any non-string (a chat model object) select ``llm``.
    """
    if isinstance(model, str) and model in JUDGE_ENGINES.names():
        return model
    return LLM_ENGINE


def _check_not_a_typo(model: Any) -> None:
    """Refuse a bare name that is a misspelt engine (``heuristc``), not a model.

    A string without ``provider:`` can still be a model LangChain infers the provider of
    (``gpt-4o-mini``), so only a name close to an engine's is refused, now, rather than
    failing as an unknown LangChain provider at the first judgment.
    """
    import difflib

    if not isinstance(model, str) or ":" in model:
        return
    engines = JUDGE_ENGINES.names()
    if difflib.get_close_matches(model.strip(), engines, n=1, cutoff=0.75):
        raise UnknownNameError("judge", model, engines)


def make_judge(model: Any = "heuristic", **options: Any) -> Judge:
    """Build a judge from an engine name, a model string or a chat model object.

    Parameters
    ----------
    model : str or BaseChatModel or Judge
        ``"heuristic"`` (default, offline), another registered engine name, a
        ``"provider:model"`` string or a LangChain chat model (both give an
        :class:`~memalign_nb.judges.llm.LLMJudge`), or a judge (returned as is).
    **options
        Keyword arguments of the engine's class (``LLMJudge(cache_dir=..., ...)``).

    Raises
    ------
    ModelConfigError
        ``model`` is empty, or ``"llm"`` without naming a model.
    UnknownNameError
        ``model`` is a misspelt engine name (``"heuristc"``: did you mean heuristic?).
    TypeError
        ``options`` given with a judge object.

    Examples
    --------
    >>> make_judge("openai:gpt-4o-mini", cache_dir=None).judge_id
    'openai:gpt-4o-mini'
    """
    if isinstance(model, Judge):
        if options:
            raise TypeError("options cannot be applied to a judge object")
        return model
    if isinstance(model, str) and model.strip() in ("", LLM_ENGINE):
        from memalign_nb.errors import ModelConfigError

        raise ModelConfigError(
            model,
            "name the model: 'heuristic' or a 'provider:model' string such as 'openai:gpt-4o-mini'",
        )
    engine = resolve_engine(model)
    if engine == LLM_ENGINE:
        _check_not_a_typo(model)
        return JUDGE_ENGINES.get(LLM_ENGINE)(model, **options)
    return JUDGE_ENGINES.get(engine)(**options)
