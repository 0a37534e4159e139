"""``memalign-nb run``: execute a parameterized notebook headless, through papermill.

::

    memalign-nb run NOTEBOOK [-p NAME VALUE ...] [--output PATH] [--kernel NAME]
                    [--cwd DIR] [--no-progress] [--stream-output] [--list-params]

The executed notebook, with every output, goes next to the input as ``<name>.out.ipynb``
(or to ``--output``: a file, or a folder to put it in). Parameters must be ones the
notebook declares in its cell tagged ``parameters``, so a typo fails at once instead of
running with the default. Each value is converted to the type the parameter cell
annotates (``folds: int = 4``) when it reads as one, else passed on as text for the
notebook to check, so a bad value fails inside the executed notebook, where the error
shows. Without an annotation papermill's rules apply (``True``, ``False``, ``None``,
numbers, else text).

Exits 0 when every cell ran, 1 when a cell raised (the executed notebook, with the error
marked at the top, is still written) and 2 for a missing notebook, an unknown parameter
or kernel.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Mapping
from os import PathLike
from pathlib import Path
from typing import Any

from memalign_nb.errors import NotebookError, ParameterError, UnknownNameError

logger = logging.getLogger(__name__)

OUTPUT_SUFFIX = ".out.ipynb"
"""Suffix replacing ``.ipynb`` in the default name of the executed notebook."""

_ANNOTATED_KINDS: dict[str, type] = {
    "str": str,
    "int": int,
    "float": float,
    "bool": bool,
    "list": list,
    "list[str]": list,
}


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``run`` command."""
    parser = subparsers.add_parser(
        "run",
        help="execute a parameterized notebook headless through papermill",
        description="Execute NOTEBOOK top to bottom in a fresh kernel with papermill, "
        "injecting parameters after its cell tagged 'parameters', and save the executed "
        "notebook with its outputs. Exits 1 when a cell raised (the executed notebook "
        "shows the error).",
    )
    parser.add_argument("notebook", metavar="NOTEBOOK", help="the .ipynb file to run")
    parser.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="set a parameter (repeatable); lists as a,b,c",
    )
    parser.add_argument(
        "--output",
        metavar="PATH",
        help=f"executed notebook file, or a folder to write it in (existing, or ending in /) "
        f"(default: next to NOTEBOOK as <name>{OUTPUT_SUFFIX})",
    )
    parser.add_argument(
        "--kernel",
        metavar="NAME",
        help="Jupyter kernel (default: the notebook's own, usually python3)",
    )
    parser.add_argument(
        "--cwd", metavar="DIR", help="working directory of the kernel (default: the current one)"
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument(
        "--stream-output",
        action="store_true",
        help="print the cells' stdout and stderr here as they run",
    )
    parser.add_argument(
        "--list-params",
        action="store_true",
        help="print the notebook's parameters (type, default, help) and exit",
    )
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    if args.list_params:
        declared = notebook_parameters(args.notebook)
        for name, spec in declared.items():
            print(f"{name}: {spec['inferred_type_name']} = {spec['default']}  {spec['help']}")
        if not declared:
            print(f"{args.notebook} has no cell tagged 'parameters'")
        return 0
    from papermill.exceptions import PapermillExecutionError

    output = output_path(args.notebook, args.output)
    started = time.perf_counter()
    try:
        run_notebook(
            args.notebook,
            dict(args.parameter),
            output=output,
            kernel=args.kernel,
            cwd=args.cwd,
            progress=not args.no_progress,
            stream_output=args.stream_output,
        )
    except PapermillExecutionError as exc:
        print(
            f"memalign-nb run: {args.notebook} failed in cell [{exc.exec_count}]: "
            f"{exc.ename}: {exc.evalue}",
            file=sys.stderr,
        )
        print(f"the executed notebook, with the error marked, is {output}", file=sys.stderr)
        return 1
    print(f"memalign-nb run: {args.notebook} -> {output} ({time.perf_counter() - started:.1f} s)")
    return 0


def output_path(notebook: str | PathLike[str], output: str | PathLike[str] | None) -> Path:
    """Where the executed notebook goes: ``output``, inside it if a folder, or next to input.

    ``output`` is a folder when it exists as one or ends with a path separator.

    Raises
    ------
    NotebookError
        The output would overwrite the input notebook.
    """
    source = Path(notebook)
    name = source.name.removesuffix(".ipynb") + OUTPUT_SUFFIX
    if output is None:
        target = source.with_name(name)
    else:
        target = Path(output)
        if target.is_dir() or str(output).endswith(("/", os.sep)):
            target = target / name
    if target.resolve() == source.resolve():
        raise NotebookError(
            str(source), "the output path would overwrite the notebook; choose another --output"
        )
    return target


def notebook_parameters(notebook: str | PathLike[str]) -> dict[str, dict[str, Any]]:
    """The parameters a notebook declares, as papermill infers them from its tagged cell.

    Returns
    -------
    dict of str to dict
        Name to ``{"name", "inferred_type_name", "default", "help"}``, in cell order;
        empty when the notebook has no cell tagged ``parameters``.

    Raises
    ------
    NotebookError
        The file is missing or is not a notebook papermill can read.
    """
    import papermill

    path = Path(notebook)
    if not path.is_file():
        raise NotebookError(str(path), "no such notebook file")
    try:
        return papermill.inspect_notebook(path)
    except Exception as exc:  # nbformat, JSON and kernel-name errors alike
        raise NotebookError(str(path), f"cannot be read as a notebook: {exc}") from exc


def typed_parameters(
    values: Mapping[str, Any], declared: Mapping[str, Mapping[str, Any]], notebook: str = ""
) -> dict[str, Any]:
    """Check parameter names against ``declared`` and convert text values to their types.

    Text is converted to the type the parameter cell annotates when it reads as one and
    kept as text otherwise (the notebook reports it); values that are not text pass
    unchanged. Unannotated parameters follow papermill's command-line rules.

    Raises
    ------
    ParameterError
        A name the notebook does not declare (checked only when it declares some).
    """
    from memalign_nb.runtime import convert

    typed = {}
    for name, value in values.items():
        if declared and name not in declared:
            raise ParameterError(
                name,
                value,
                f"{notebook or 'the notebook'} has no such "
                f"parameter; its parameters: {', '.join(declared)}",
            )
        kind = _ANNOTATED_KINDS.get(declared.get(name, {}).get("inferred_type_name", ""))
        if not isinstance(value, str):
            typed[name] = value
        elif kind is None:
            typed[name] = _papermill_value(value)
        else:
            try:
                typed[name] = convert(value, kind, name)
            except ParameterError:
                typed[name] = value
    return typed


def run_notebook(
    notebook: str | PathLike[str],
    parameters: Mapping[str, Any] | None = None,
    *,
    output: str | PathLike[str] | None = None,
    kernel: str | None = None,
    cwd: str | PathLike[str] | None = None,
    progress: bool = True,
    stream_output: bool = False,
) -> Path:
    """Execute ``notebook`` with papermill and return the executed notebook's path.

    Parameters
    ----------
    notebook : path
        The notebook to run; it is read, never modified.
    parameters : mapping, optional
        Parameter values (text is converted as by :func:`typed_parameters`).
    output : path, optional
        The executed notebook's file, or a folder for it (see :func:`output_path`).
    kernel : str, optional
        Jupyter kernel name; default the notebook's own.
    cwd : path, optional
        The kernel's working directory; default the current one.
    progress : bool
        Show papermill's progress bar over cells.
    stream_output : bool
        Copy the cells' stdout and stderr to this process's as they run.

    Raises
    ------
    NotebookError
        The notebook is missing or unreadable, or ``cwd`` is not a folder.
    ParameterError
        A parameter the notebook does not declare.
    UnknownNameError
        ``kernel`` names no installed Jupyter kernel.
    papermill.exceptions.PapermillExecutionError
        A cell raised; the executed notebook is written first, error marked at the top.
    """
    import papermill
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    declared = notebook_parameters(notebook)
    typed = typed_parameters(dict(parameters or {}), declared, Path(notebook).name)
    if typed and not declared:
        logger.warning(
            "%s has no cell tagged 'parameters'; papermill injects the values at the top", notebook
        )
    target = output_path(notebook, output)
    if cwd is not None and not Path(cwd).is_dir():
        raise NotebookError(str(cwd), "the working directory (--cwd) is not a folder")
    if kernel is not None:
        specs = KernelSpecManager()
        try:
            specs.get_kernel_spec(kernel)
        except NoSuchKernel as exc:
            raise UnknownNameError(
                "Jupyter kernel", kernel, sorted(specs.find_kernel_specs())
            ) from exc
    target.parent.mkdir(parents=True, exist_ok=True)
    logger.info("running %s -> %s with %s", notebook, target, typed)
    streams = {"stdout_file": sys.stdout, "stderr_file": sys.stderr} if stream_output else {}
    papermill.execute_notebook(
        str(notebook),
        str(target),
        parameters=typed,
        kernel_name=kernel,
        progress_bar=progress,
        cwd=None if cwd is None else str(cwd),
        **streams,
    )
    return target


def _papermill_value(text: str) -> Any:
    """Papermill's ``-p`` rule: ``True``/``False``/``None``, an int, a float, else the text."""
    literals: dict[str, Any] = {"True": True, "False": False, "None": None}
    if text in literals:
        return literals[text]
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text
