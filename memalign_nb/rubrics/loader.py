"""Load rubrics from YAML files: the nine built-in ones and any the user adds.

A rubric file is a YAML mapping::

    dimension: data_imputation          # id: lowercase letters, digits, underscores
    title: Missing-value handling
    description: What the dimension grades.
    levels:
      3: What earns a 3.
      2: What earns a 2.
      1: What earns a 1.
    not_applicable: When 0 applies ("" or absent when the dimension always applies).
    cells_from: [model_training, model_use]   # custom dimensions only; "*" = every cell
                                              # (the default for a custom dimension)

Files are read with :func:`yaml.safe_load`, so a rubric file cannot run code.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable, Mapping
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import Any

import yaml

from memalign_nb.dimensions import DIMENSIONS
from memalign_nb.errors import RubricError
from memalign_nb.rubrics.model import Rubric

logger = logging.getLogger(__name__)

REQUIRED_KEYS: tuple[str, ...] = ("dimension", "title", "description", "levels")
"""Keys every rubric file must have."""

OPTIONAL_KEYS: tuple[str, ...] = ("not_applicable", "cells_from")
"""Keys a rubric file may have."""

LEVELS: tuple[int, ...] = (3, 2, 1)
"""The graded levels a rubric describes, best first (0 is ``not_applicable``)."""

ALL_CELLS = "*"
"""``cells_from`` value meaning every cell of the notebook."""

_ID = re.compile(r"[a-z][a-z0-9_]*\Z")
_SUFFIXES = (".yaml", ".yml")


def load_rubrics(
    paths: Iterable[str | PathLike[str]] | str | PathLike[str] | None = (),
    *,
    include_builtin: bool = True,
) -> dict[str, Rubric]:
    """Load rubrics by dimension id: the built-in ones, then the user's files.

    Parameters
    ----------
    paths : path or iterable of paths, optional
        Rubric files, or folders whose ``*.yaml`` / ``*.yml`` files are read in name
        order. A file whose ``dimension`` is a built-in id replaces that built-in
        rubric; any other id adds a custom dimension.
    include_builtin : bool
        Start from the nine built-in rubrics (default). With False only ``paths`` count.

    Returns
    -------
    dict of str to Rubric
        Built-in dimensions in :data:`~memalign_nb.dimensions.DIMENSIONS` order (as
        overridden), then custom dimensions in the order their files were read.

    Raises
    ------
    RubricError
        A path does not exist, a file is not valid YAML or breaks the schema, two user
        files define the same dimension, or ``cells_from`` names an unknown dimension.
    """
    if paths is None:
        paths = ()
    elif isinstance(paths, str | PathLike):
        paths = [paths]
    rubrics: dict[str, Rubric] = dict(_builtin_rubrics()) if include_builtin else {}
    sources: dict[str, Path] = {}
    for file in _rubric_files(paths):
        rubric = load_rubric(file)
        if rubric.dimension in sources:
            raise RubricError(
                str(file),
                f"dimension {rubric.dimension!r} is already defined in {sources[rubric.dimension]}",
            )
        sources[rubric.dimension] = file
        if rubric.dimension in rubrics:
            logger.info("rubric %s from %s replaces the built-in one", rubric.dimension, file)
        rubrics[rubric.dimension] = rubric
    builtin = [d for d in DIMENSIONS if d in rubrics]
    custom = [d for d in rubrics if d not in DIMENSIONS]
    return {d: rubrics[d] for d in (*builtin, *custom)}


def load_rubric(path: str | PathLike[str]) -> Rubric:
    """Read and validate one rubric file.

    Raises
    ------
    RubricError
        The file is missing, not UTF-8, not valid YAML, or breaks the schema; the message
        names the file and the problem.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RubricError(str(path), f"cannot read rubric file: {exc}") from exc
    return parse_rubric(text, str(path))


def parse_rubric(text: str, source: str = "<string>") -> Rubric:
    """Validate rubric YAML ``text`` into a :class:`Rubric`; ``source`` names it in errors."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        reason = getattr(exc, "problem", None) or str(exc)
        raise RubricError(source, f"{where}invalid YAML: {reason}") from exc
    return _rubric_from_mapping(data, source)


def builtin_rubric_dir() -> Path:
    """The folder holding the nine built-in rubric files (one per dimension)."""
    return Path(str(resources.files("memalign_nb.rubrics") / "data"))


@functools.cache
def _builtin_rubrics() -> tuple[tuple[str, Rubric], ...]:
    """The built-in rubrics, read once per process (they are immutable)."""
    folder = builtin_rubric_dir()
    rubrics = []
    for dimension in DIMENSIONS:
        rubric = load_rubric(folder / f"{dimension}.yaml")
        if rubric.dimension != dimension:
            raise RubricError(str(folder / f"{dimension}.yaml"), "dimension does not match")
        rubrics.append((dimension, rubric))
    return tuple(rubrics)


def _rubric_files(paths: Iterable[str | PathLike[str]]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix in _SUFFIXES and p.is_file())
            if not found:
                raise RubricError(str(path), "folder holds no .yaml or .yml rubric files")
            files += found
        elif path.is_file():
            files.append(path)
        else:
            raise RubricError(str(path), "no such rubric file or folder")
    return files


def _rubric_from_mapping(data: Any, source: str) -> Rubric:
    if not isinstance(data, Mapping):
        raise RubricError(source, f"a rubric must be a YAML mapping, not {_kind(data)}")
    unknown = [str(k) for k in data if k not in REQUIRED_KEYS + OPTIONAL_KEYS]
    if unknown:
        raise RubricError(
            source,
            f"unknown key(s) {', '.join(unknown)}; "
            f"allowed: {', '.join(REQUIRED_KEYS + OPTIONAL_KEYS)}",
        )
    missing = [k for k in REQUIRED_KEYS if k not in data]
    if missing:
        raise RubricError(source, f"missing key(s) {', '.join(missing)}")
    dimension = _text(data, "dimension", source)
    if not _ID.match(dimension):
        raise RubricError(
            source,
            f"dimension {dimension!r} must be lowercase letters, digits and underscores, "
            "starting with a letter",
        )
    has_not_applicable = data.get("not_applicable") is not None
    return Rubric(
        dimension=dimension,
        title=_text(data, "title", source),
        description=_text(data, "description", source),
        levels=_levels(data["levels"], source),
        not_applicable=(
            _text(data, "not_applicable", source, allow_empty=True) if has_not_applicable else ""
        ),
        cells_from=_cells_from(data.get("cells_from"), dimension, source),
    )


def _text(data: Mapping[str, Any], key: str, source: str, *, allow_empty: bool = False) -> str:
    value = data[key]
    if not isinstance(value, str):
        raise RubricError(source, f"{key} must be text, not {_kind(value)}")
    if not value.strip() and not allow_empty:
        raise RubricError(source, f"{key} is empty")
    return value.strip()


def _levels(levels: Any, source: str) -> tuple[tuple[int, str], ...]:
    if not isinstance(levels, Mapping):
        raise RubricError(
            source, f"levels must map scores 3, 2, 1 to criteria, not {_kind(levels)}"
        )
    parsed: dict[int, str] = {}
    for key, text in levels.items():
        score = int(key) if isinstance(key, str) and key.strip().isdigit() else key
        if isinstance(score, bool) or score not in LEVELS:
            hint = " (0 is described by not_applicable)" if score == 0 else ""
            raise RubricError(source, f"levels has bad score key {key!r}: use 3, 2 and 1{hint}")
        if score in parsed:
            raise RubricError(source, f"levels gives score {score} twice")
        if not isinstance(text, str) or not text.strip():
            raise RubricError(source, f"levels.{score} must be non-empty text")
        parsed[score] = text.strip()
    missing = [str(s) for s in LEVELS if s not in parsed]
    if missing:
        raise RubricError(source, f"levels is missing level(s) {', '.join(missing)}")
    return tuple((score, parsed[score]) for score in LEVELS)


def _cells_from(value: Any, dimension: str, source: str) -> tuple[str, ...]:
    """Validated ``cells_from``; a custom dimension that gives none sees every cell."""
    if value is None or value == []:
        return () if dimension in DIMENSIONS else (ALL_CELLS,)
    if dimension in DIMENSIONS:
        raise RubricError(
            source,
            f"cells_from is only for custom dimensions; built-in {dimension!r} finds its own cells",
        )
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise RubricError(source, "cells_from must be a list of dimension ids or '*'")
    known = (*DIMENSIONS, ALL_CELLS)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise RubricError(
            source,
            f"cells_from names unknown dimension(s) {', '.join(unknown)}; "
            f"known: {', '.join(known)}",
        )
    return tuple(dict.fromkeys(names))


def _kind(value: object) -> str:
    return "nothing" if value is None else type(value).__name__
