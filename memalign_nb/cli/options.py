"""Argument types and output helpers shared by the ``memalign-nb`` commands."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from typing import Any

logger = logging.getLogger(__name__)


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def positive_float(text: str) -> float:
    """An argparse type: a number greater than 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def dimension_list(values: Sequence[str] | None) -> tuple[str, ...]:
    """``--dimensions`` values, commas split, order kept, duplicates dropped."""
    names = [name.strip() for value in values or () for name in value.split(",")]
    return tuple(dict.fromkeys(name for name in names if name))


def text_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """An aligned text table: first column left-aligned, the others right-aligned."""
    cells = [list(map(str, headers))] + [[str(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for row in cells:
        parts = [row[0].ljust(widths[0])]
        parts += [value.rjust(width) for value, width in zip(row[1:], widths[1:], strict=True)]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def add_model_server_arguments(parser: argparse.ArgumentParser) -> None:
    """``--rps``, ``--base-url``, ``--cache-dir``, ``--no-cache``: how an LLM judge calls."""
    from memalign_nb.judges.cache import DEFAULT_CACHE_DIR

    parser.add_argument(
        "--rps", type=positive_float, metavar="R", help="LLM requests per second at most"
    )
    parser.add_argument(
        "--base-url",
        metavar="URL",
        help="endpoint of an OpenAI-compatible or self-hosted model server",
    )
    parser.add_argument(
        "--cache-dir",
        default=DEFAULT_CACHE_DIR,
        metavar="DIR",
        help=f"judgment cache folder (default {DEFAULT_CACHE_DIR})",
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="neither read nor write the judgment cache"
    )


def model_server_options(args: argparse.Namespace, **llm_only: Any) -> dict[str, Any]:
    """``make_judge`` options from :func:`add_model_server_arguments`' flags.

    For an LLM model: the request rate, base URL and cache folder, plus ``llm_only``. For
    any other judge: nothing, with a warning naming the flags that were given in vain
    (``--rps``, ``--base-url``, and any boolean switch of ``llm_only`` that is on).
    """
    from memalign_nb.judges.registry import LLM_ENGINE, resolve_engine

    if resolve_engine(args.model) == LLM_ENGINE:
        return {
            "requests_per_second": args.rps,
            "base_url": args.base_url,
            "cache_dir": None if args.no_cache else args.cache_dir,
            **llm_only,
        }
    given = (("--rps", args.rps), ("--base-url", args.base_url))
    ignored = [flag for flag, value in given if value]
    ignored += [f"--{name.replace('_', '-')}" for name, value in llm_only.items() if value is True]
    if ignored:
        logger.warning("%s ignored: they apply to LLM models only", ", ".join(ignored))
    return {}
