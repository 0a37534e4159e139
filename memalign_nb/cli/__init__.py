"""The ``memalign-nb`` command line: one module per command group.

Each command module exposes ``add_parser(subparsers)``, which adds its sub-parser and sets
``func(args) -> int`` as the default. Errors the library raises on purpose
(:class:`~memalign_nb.errors.MemAlignError`) print as one line and exit 2; Ctrl-C prints
one line and exits 130; warnings print as one ``warning:`` line each, without the library
source line Python would add.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import warnings
from collections.abc import Sequence
from typing import TextIO

from memalign_nb.errors import MemAlignError

COMMAND_MODULES: tuple[str, ...] = (
    "sections",
    "dataset",
    "grade",
    "judge",
    "align",
    "suggest",
    "study",
    "run",
)
"""Modules of :mod:`memalign_nb.cli` that add a command, in ``--help`` order."""


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every command registered."""
    from memalign_nb import __version__

    parser = argparse.ArgumentParser(
        prog="memalign-nb",
        description="Align LLM judges of ML notebooks with human experts.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"memalign_nb.cli.{name}").add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    with warnings.catch_warnings():
        warnings.showwarning = _one_line_warning
        try:
            return int(args.func(args) or 0)
        except MemAlignError as exc:
            print(f"memalign-nb {args.command}: error: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print(f"\nmemalign-nb {args.command}: interrupted", file=sys.stderr)
            return 130


def _one_line_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """A warning as ``memalign-nb: warning: message`` (the source file and line are noise)."""
    print(f"memalign-nb: warning: {message}", file=file or sys.stderr)


