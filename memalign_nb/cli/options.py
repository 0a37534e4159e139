"""Arguments, argument types and output helpers shared by the ``memalign-nb`` commands.

A flag that several commands take is declared once here (``--model``, ``--dimensions``,
``--concurrency``, ``--no-progress``, the memory flags, the model-server flags), so it
reads and behaves the same everywhere.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from typing import Any, TextIO

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


def add_judge_command(
    subparsers: argparse._SubParsersAction,
    name: str,
    *,
    help: str,
    description: str,
    judge: str = "the judge",
    dimensions: str = "every graded one",
    memory: bool = False,
) -> argparse.ArgumentParser:
    """A command that runs a judge over a dataset: its parser, with what they all take.

    ``DATASET``, ``--model``, ``--dimensions``, ``--concurrency``, ``--no-progress``, the
    model-server flags, the dataset flags (:func:`add_dataset_arguments`) and, with
    ``memory``, the MemAlign memory flags; ``judge`` and
    ``dimensions`` word the help of ``--model`` and the default of ``--dimensions``.
    """
    parser = subparsers.add_parser(name, help=help, description=description)
    parser.add_argument("dataset", metavar="DATASET", help="the dataset folder")
    add_model_argument(parser, judge)
    add_dimensions_argument(parser, dimensions)
    if memory:
        add_memory_arguments(parser)
    add_batch_arguments(parser)
    add_model_server_arguments(parser)
    add_dataset_arguments(parser)
    return parser


def add_model_argument(parser: argparse.ArgumentParser, what: str = "the judge") -> None:
    """``--model``: which judge, ``heuristic`` (offline) by default."""
    parser.add_argument(
        "--model",
        default="heuristic",
        help=f"{what}: 'heuristic' (offline, the default), another judge engine, a LangChain "
        "model string such as openai:gpt-4o-mini or ollama:llama3.1, a saved judge folder "
        "or an MLflow model URI",
    )


def add_dimensions_argument(parser: argparse.ArgumentParser, default: str) -> None:
    """``--dimensions``: space- or comma-separated; read them with :func:`dimension_list`."""
    parser.add_argument(
        "--dimensions",
        nargs="+",
        metavar="DIM",
        help=f"dimensions (space- or comma-separated); default: {default}",
    )


def add_batch_arguments(parser: argparse.ArgumentParser) -> None:
    """``--concurrency`` and ``--no-progress``: how a batch of judgments runs."""
    from memalign_nb.judges.batch import DEFAULT_CONCURRENCY

    parser.add_argument(
        "--concurrency",
        type=positive_int,
        default=DEFAULT_CONCURRENCY,
        metavar="N",
        help=f"judgments in flight at once (default {DEFAULT_CONCURRENCY})",
    )
    add_progress_argument(parser)


def add_progress_argument(parser: argparse.ArgumentParser) -> None:
    """``--no-progress``."""
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")


def add_memory_arguments(parser: argparse.ArgumentParser) -> None:
    """``--k``, ``--embeddings``, ``--reflection-model``: how MemAlign builds memories."""
    parser.add_argument(
        "--k", type=positive_int, default=5, help="episodic neighbours per judgment (default 5)"
    )
    parser.add_argument(
        "--embeddings",
        metavar="SPEC",
        help="LangChain embeddings 'provider:model' for episodic memory "
        "(default: the local hashing embedder)",
    )
    parser.add_argument(
        "--reflection-model",
        metavar="MODEL",
        help="chat model that distils guidelines (default: the judge's own)",
    )


def memory_options(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments of ``MemAlign`` and ``AlignmentStudy`` from the flags of a
    :func:`add_judge_command` with ``memory``: neighbours, embedder, reflection model,
    dimensions, concurrency and progress."""
    return {
        "k": args.k,
        "embeddings": args.embeddings,
        "reflection_model": args.reflection_model,
        "dimensions": dimension_list(args.dimensions) or None,
        "concurrency": args.concurrency,
        "progress": not args.no_progress,
    }


def open_output(stack: ExitStack, path: str) -> TextIO:
    """``path`` opened for writing (closed with ``stack``), or standard output for ``-``.

    Raises
    ------
    FileProblemError
        ``path`` cannot be written (checked before any judgment is paid for).
    """
    from memalign_nb.errors import FileProblemError

    if path == "-":
        return sys.stdout
    try:
        return stack.enter_context(open(path, "w", encoding="utf-8"))
    except OSError as exc:
        raise FileProblemError(path, f"cannot write: {exc.strerror}") from None


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
    ``--no-cache``: how an LLM judge calls.

    Each is set on the judge only when given (:func:`judge_from_args`), so a saved judge
    keeps its own settings otherwise.
    """
    from memalign_nb.judges.cache import DEFAULT_CACHE_DIR

    parser.add_argument(
        "--timeout",
        type=positive_float,
        metavar="S",
        help="seconds per LLM request before it is retried (default 60, or the saved "
        "judge's)",
    )
    parser.add_argument(
        "--max-retries",
        type=int,
        metavar="N",
        help="retries of a rate-limited, timed-out or failed request (default 3, or the "
        "saved judge's)",
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
        metavar="DIR",
        help=f"judgment cache folder (default {DEFAULT_CACHE_DIR}, or the saved judge's)",
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="neither read nor write the judgment cache"
    )


_FLAGS = {
    "requests_per_second": "--rps",
    "base_url": "--base-url",
    "cache_dir": "--cache-dir/--no-cache",
    "rubrics": "--rubrics",
    "timeout": "--timeout",
    "max_retries": "--max-retries",
    "include_facts": "--include-facts",
}
"""Judge parameter -> the flag that sets it, for warnings about flags given in vain."""


def judge_from_args(args: argparse.Namespace, ref: Any = None, **settings: Any) -> Any:
    """The judge ``--model`` (or ``ref``) names, with the settings given on the command line.

    Any judge reference works (:func:`~memalign_nb.integrations.judge_refs.resolve_judge`:
    a name, a model string, a saved judge folder, an MLflow model URI). The model-server
    flags and ``settings`` that were given (not None) go to the judge's ``set_params``
    where it has that parameter (an LLM judge has them all, the heuristic judge
    ``rubrics``); a warning names the flags the judge does not take.
    """
    from memalign_nb.integrations.judge_refs import resolve_judge

    judge = resolve_judge(args.model if ref is None else ref)
    given = {
        "timeout": args.timeout,
        "max_retries": args.max_retries,
        "requests_per_second": args.rps,
        "base_url": args.base_url,
        "cache_dir": None if args.no_cache else args.cache_dir,
        **settings,
    }
    given = {name: value for name, value in given.items() if value is not None}
    if args.no_cache:
        given["cache_dir"] = None
    params = judge.get_params(deep=False) if hasattr(judge, "set_params") else {}
    taken = {name: value for name, value in given.items() if name in params}
    ignored = sorted({_FLAGS.get(name, name) for name in given.keys() - taken.keys()})
    if ignored:
        logger.warning("%s ignored: %s does not take them", ", ".join(ignored), judge.judge_id)
    return judge.set_params(**taken) if taken else judge


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
