"""``memalign-nb sections``: show what a judge sees of a notebook, dimension by dimension.

``memalign-nb sections NOTEBOOK`` prints each section under a header line giving its
dimension, the cells shown and its size in tokens (and what the token budget cut);
``--json`` prints a JSON list of sections instead, for scripts. The notebook is read, never
run.
"""

from __future__ import annotations

import argparse
import json
import logging

from memalign_nb.cli.options import add_limit_arguments, notebook_limits, positive_int

logger = logging.getLogger(__name__)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``sections`` command."""
    from memalign_nb.sections.sectioner import DEFAULT_TOKEN_BUDGET

    parser = subparsers.add_parser(
        "sections",
        help="print the section of a notebook each dimension is judged on",
        description="Cut a notebook into the sections judges read, one per dimension, "
        "and print them (the notebook is never executed).",
    )
    parser.add_argument("notebook", metavar="NOTEBOOK", help="the .ipynb file")
    parser.add_argument(
        "-d",
        "--dimension",
        action="append",
        dest="dimensions",
        metavar="D",
        help="only this dimension (repeat for several); default: all nine",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print a JSON list of sections (dimension, cell_indices, tokens, facts, "
        "trimmed, text)",
    )
    parser.add_argument(
        "--token-budget",
        type=positive_int,
        default=DEFAULT_TOKEN_BUDGET,
        metavar="N",
        help=f"largest size of one section in tokens (default {DEFAULT_TOKEN_BUDGET})",
    )
    add_limit_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the sections of ``args.notebook``; returns the exit code."""
    from memalign_nb.notebooks.reader import read_notebook
    from memalign_nb.sections.sectioner import build_sections

    notebook = read_notebook(args.notebook, limits=notebook_limits(args))
    sections = build_sections(notebook, args.dimensions, token_budget=args.token_budget)
    if args.json:
        rows = [
            {
                "dimension": s.dimension,
                "cell_indices": list(s.cell_indices),
                "tokens": s.tokens,
                "facts": dict(s.facts),
                "trimmed": list(s.trimmed),
                "text": s.text,
            }
            for s in sections.values()
        ]
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    for section in sections.values():
        cells = ", ".join(map(str, section.cell_indices)) or "none"
        header = f"=== {section.dimension} | cells {cells} | {section.tokens:,} tokens"
        if section.trimmed:
            header += " | trimmed: " + "; ".join(section.trimmed)
        print(header)
        print(section.text)
        print()
    return 0
