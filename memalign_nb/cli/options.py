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


def share(text: str) -> float:
    """An argparse type: a share from 0 to 1 (``0.05``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be from 0 to 1, got {text}")
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
    """``--timeout``, ``--max-retries``, ``--rps``, ``--base-url``, ``--cache-dir``,
    ``--no-cache``: how an LLM judge calls."""
    from memalign_nb.judges.cache import DEFAULT_CACHE_DIR

    parser.add_argument(
        "--timeout",
        type=positive_float,
        metavar="S",
        default=60.0,
        help="seconds per LLM request before it is retried (default 60)",
    )
    parser.add_argument(
        "--max-retries",
        type=int,
        metavar="N",
        default=3,
        help="retries of a rate-limited, timed-out or failed request (default 3)",
    )
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

    For an LLM model: the timeout, retries, request rate, base URL and cache folder, plus
    ``llm_only``. For any other judge: nothing, with a warning naming the flags that were
    given in vain (``--rps``, ``--base-url``, and any boolean switch of ``llm_only`` that
    is on).
    """
    from memalign_nb.judges.registry import LLM_ENGINE, resolve_engine

    if resolve_engine(args.model) == LLM_ENGINE:
        return {
            "timeout": args.timeout,
            "max_retries": args.max_retries,
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


def add_limit_arguments(parser: argparse.ArgumentParser) -> None:
    """``--max-bytes``, ``--max-cells``, ``--max-lines``, ``--max-depth``: one notebook's bounds."""
    from memalign_nb.notebooks.limits import DEFAULT_LIMITS

    for name, meaning in (
        ("max_bytes", "bytes of one notebook file"),
        ("max_cells", "cells of one notebook"),
        ("max_lines", "source lines of one notebook"),
        ("max_depth", "JSON nesting depth of one notebook"),
    ):
        default = getattr(DEFAULT_LIMITS, name)
        parser.add_argument(
            "--" + name.replace("_", "-"),
            type=positive_int,
            default=default,
            metavar="N",
            help=f"most {meaning}; a larger one is skipped as unreadable (default {default:,})",
        )


def notebook_limits(args: argparse.Namespace) -> Any:
    """The :class:`~memalign_nb.notebooks.limits.NotebookLimits` of :func:`add_limit_arguments`."""
    from memalign_nb.notebooks.limits import NotebookLimits

    return NotebookLimits(args.max_bytes, args.max_cells, args.max_lines, args.max_depth)


def add_dataset_arguments(parser: argparse.ArgumentParser) -> None:
    """The dataset's grades (``--store``, ``--no-store``), ``--strict`` and the limits."""
    grades = parser.add_mutually_exclusive_group()
    grades.add_argument(
        "--store",
        metavar="FILE",
        help="feedback store whose grades join feedback.jsonl's (default "
        "DATASET/feedback.sqlite when it exists)",
    )
    grades.add_argument(
        "--no-store", action="store_true", help="read feedback.jsonl's grades only"
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="stop with exit code 2 when a notebook cannot be read (default: go on with "
        "the others and list the skipped ones)",
    )
    add_limit_arguments(parser)


def open_dataset(args: argparse.Namespace, rubrics: Any = None) -> Any:
    """The dataset of ``args.dataset`` as :func:`add_dataset_arguments` asks.

    The notebooks that could not be read are listed once on standard error; with
    ``--strict`` they raise :class:`~memalign_nb.errors.DatasetError` instead.
    """
    import sys

    from memalign_nb.datasets import load_dataset
    from memalign_nb.errors import DatasetError, Problem

    store = False if args.no_store else (args.store or True)
    dataset = load_dataset(
        args.dataset, rubrics=rubrics, store=store, limits=notebook_limits(args)
    )
    if dataset.skipped and args.strict:
        raise DatasetError(Problem(e.path, None, e.problem) for e in dataset.skipped)
    if dataset.skipped:
        print(
            f"memalign-nb {args.command}: skipped {len(dataset.skipped)} unreadable "
            f"notebook{'s' if len(dataset.skipped) != 1 else ''} (going on with the other "
            f"{len(dataset.cases)}; --strict stops instead):",
            file=sys.stderr,
        )
        for error in dataset.skipped:
            print(f"  {error}", file=sys.stderr)
    return dataset
