"""A code cell's source as Python: IPython magics and shell escapes set aside, parsed once.

Judged notebooks are data: a cell is parsed with :func:`ast.parse`, never run. IPython
syntax that is not Python (``%pip install x``, ``!ls``, ``files = !ls``, ``df?``) is replaced
by ``pass`` at the same indentation, so line numbers keep pointing at the cell's own lines,
and the shell commands are returned beside the tree (installs are read from them).
:func:`parse_source` caches by source text, so a notebook parsed for its facts and again
for its sections, or boilerplate cells repeated across notebooks, are parsed once.
"""

from __future__ import annotations

import ast
import functools
import logging
import re
import shlex
import threading
import warnings
from dataclasses import dataclass

logger = logging.getLogger(__name__)
_PARSE_LOCK = threading.Lock()

PARSE_CACHE_SIZE = 2048
"""How many distinct cell sources :func:`parse_source` keeps parsed."""

PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "memit"})
"""Cell magics (``%%capture``) whose body is ordinary Python."""

SHELL_CELL_MAGICS = frozenset({"bash", "sh", "script", "system"})
"""Cell magics whose body is shell commands (read for installs)."""

_LINE_MAGIC = re.compile(r"^(\s*)([!%])(.*)$")
_ASSIGNED_MAGIC = re.compile(r"^(\s*)([A-Za-z_][\w.,\s]*?)\s*=\s*([!%])(.*)$")
_HELP = re.compile(r"^(\s*)(\?\??[\w.]+|[\w.()\[\]'\"]+\?\??)\s*$")
_IPYTHON_CALL = re.compile(
    r"get_ipython\(\)\.(?:system|getoutput)\((['\"])(.+?)\1\)"
    r"|get_ipython\(\)\.run_line_magic\((['\"])(\w+)\3,\s*(['\"])(.*?)\5\)"
)
_INSTALL = re.compile(r"(?:^|[\s/;&}!%])(pip3?|conda|mamba|uv\s+pip)\b(.*?)\binstall\b(.*)$")
_VALUE_FLAGS = frozenset(
    {
        "-c",
        "--constraint",
        "-i",
        "--index-url",
        "--extra-index-url",
        "-f",
        "--find-links",
        "-t",
        "--target",
        "--prefix",
        "--root",
        "-n",
        "--name",
        "-p",
        "--channel",
    }
)
_REQUIREMENT_FLAGS = frozenset({"-r", "--requirement"})
_EXACT_PIN = re.compile(r"===?|@|\.whl$|^[^<>=!~]+=[^=]")
_CONSTRAINT = re.compile(r"[<>=!~]")


@dataclass(frozen=True)
class ParsedSource:
    """One cell's source split into a Python tree and its shell commands.

    Attributes
    ----------
    tree : ast.Module or None
        The parsed Python, magics replaced by ``pass``; None when the cell is not Python
        (a ``%%html`` cell) or does not parse.
    shell : tuple of (int, str)
        ``(line number, command)`` for each ``!`` / ``%`` line (``"!pip install x"``,
        ``"%matplotlib inline"``), ``get_ipython().system(...)`` call (as ``!``) and line
        of a ``%%bash`` cell (without a prefix).
    error : str or None
        Why ``tree`` is None, in words (``"SyntaxError at line 3: invalid syntax"``,
        ``"not Python: %%html cell"``); None when it parsed.
    """

    tree: ast.Module | None
    shell: tuple[tuple[int, str], ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class PipInstall:
    """One package-install command found in a cell.

    Attributes
    ----------
    cell : int
        Index of the cell.
    line : int
        Line number within the cell, from 1.
    tool : str
        ``"pip"``, ``"conda"``, ``"mamba"`` or ``"uv pip"``.
    magic : str
        How it ran: ``"%"`` (``%pip``, installs into the running kernel), ``"!"`` (a shell
        escape, which may target another interpreter) or ``""`` (``subprocess`` or a shell
        cell magic).
    packages : tuple of str
        The requirement specifiers as written (``"xgboost==2.0.3"``, ``"pandas"``).
    unpinned : tuple of str
        Those without any version constraint.
    requirement_files : tuple of str
        Files installed with ``-r``.
    upgrade : bool
        Whether ``-U`` / ``--upgrade`` was given.
    """

    cell: int
    line: int
    tool: str
    magic: str
    packages: tuple[str, ...]
    unpinned: tuple[str, ...]
    requirement_files: tuple[str, ...] = ()
    upgrade: bool = False

    @property
    def pinned(self) -> bool:
        """Whether every package installed has an exact version (``==``, a URL or a wheel)."""
        return bool(self.packages) and all(_EXACT_PIN.search(p) for p in self.packages)


@functools.lru_cache(maxsize=PARSE_CACHE_SIZE)
def parse_source(source: str) -> ParsedSource:
    """Parse one code cell's source, with IPython magics set aside.

    Parameters
    ----------
    source : str
        The cell's text.

    Returns
    -------
    ParsedSource
        The tree (or why there is none) and the shell commands. Results are cached by
        ``source``; the tree is shared, so callers must not modify it.
    """
    lines = source.split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        name = lines[first].strip()[2:].split(maxsplit=1)[0] if lines[first].strip()[2:] else ""
        if name in SHELL_CELL_MAGICS:
            body = tuple((i + 1, line.strip()) for i, line in enumerate(lines) if line.strip())
            return ParsedSource(None, body[1:], f"not Python: %%{name} cell")
        if name not in PYTHON_CELL_MAGICS:
            return ParsedSource(None, (), f"not Python: %%{name} cell")
        lines[first] = ""
    shell: list[tuple[int, str]] = []
    for i, line in enumerate(lines):
        lines[i] = _set_aside(line, i + 1, shell)
    code = "\n".join(lines)
    try:
        tree = parse_python(code)
    except SyntaxError as exc:
        return ParsedSource(None, tuple(shell), f"SyntaxError at line {exc.lineno}: {exc.msg}")
    except (ValueError, RecursionError, MemoryError) as exc:
        return ParsedSource(None, tuple(shell), f"{type(exc).__name__}: {exc}")
    return ParsedSource(tree, tuple(shell))


def parse_python(code: str) -> ast.Module:
    """:func:`ast.parse` with judged code's own warnings silenced, safe to call from threads.

    CPython 3.11's parser can fail under concurrent use ("AST constructor recursion depth
    mismatch", gh-106905) and :class:`warnings.catch_warnings` changes process-wide state,
    so both happen under one lock; batch scoring runs judges in threads.
    """
    with _PARSE_LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escapes in judged code are not our warnings
        return ast.parse(code)


def _set_aside(line: str, lineno: int, shell: list[tuple[int, str]]) -> str:
    """``line`` with IPython syntax replaced by ``pass``; shell commands go to ``shell``."""
    stripped = line.lstrip()
    if not stripped or stripped[0] == "#":
        return line
    for match in _IPYTHON_CALL.finditer(line):
        command = f"!{match.group(2)}" if match.group(2) else f"%{match.group(4)} {match.group(6)}"
        shell.append((lineno, command.strip()))
    magic = _LINE_MAGIC.match(line)
    if magic:
        shell.append((lineno, magic.group(2) + magic.group(3).strip()))
        return f"{magic.group(1)}pass"
    assigned = _ASSIGNED_MAGIC.match(line)
    if assigned and not assigned.group(4).startswith("="):
        shell.append((lineno, assigned.group(3) + assigned.group(4).strip()))
        return f"{assigned.group(1)}{assigned.group(2)} = None"
    help_line = _HELP.match(line)
    if help_line:
        return f"{help_line.group(1)}pass"
    return line


def read_install(command: str, cell: int, line: int) -> PipInstall | None:
    """Read a shell command as a package install, or return None if it installs nothing.

    Parameters
    ----------
    command : str
        The command as :attr:`ParsedSource.shell` gives it (``"!pip install -q x==2.0"``);
        only the part from the installer on is read, so
        ``!{sys.executable} -m pip install x`` works too.
    cell, line : int
        Where it was found, stored in the result.

    Returns
    -------
    PipInstall or None
    """
    match = _INSTALL.search(command)
    if not match:
        return None
    rest = re.split(r"&&|;|\|\|", match.group(3))[0]
    try:
        words = shlex.split(rest, comments=True)
    except ValueError:  # unbalanced quotes
        words = rest.split()
    packages: list[str] = []
    files: list[str] = []
    upgrade = False
    skip = False
    for i, word in enumerate(words):
        if skip:
            skip = False
            continue
        if word in _REQUIREMENT_FLAGS and i + 1 < len(words):
            files.append(words[i + 1])
            skip = True
        elif word in _VALUE_FLAGS:
            skip = True
        elif word in {"-U", "--upgrade"}:
            upgrade = True
        elif not word.startswith(("-", "$")):
            packages.append(word)
    tool = re.sub(r"\s+", " ", match.group(1))
    if not packages and not files:
        return None
    unpinned = tuple(p for p in packages if not _CONSTRAINT.search(p) and "@" not in p)
    magic = command[0] if command[:1] in ("!", "%") else ""
    return PipInstall(cell, line, tool, magic, tuple(packages), unpinned, tuple(files), upgrade)
