"""An aligned judge's directory: :func:`save_judge` writes a state there, :func:`read_state`
reads it back (:func:`memalign_nb.align.load_judge` builds the judge from it).

A judge directory::

    JUDGE_DIR/config.json      format_version, package versions, the MemAlign parameters,
                               the base judge's spec (engine or model string and options,
                               never credentials), engine, dimensions, episodic store,
                               the heuristic engine's blend per dimension (calibration)
    JUDGE_DIR/guidelines.json  semantic memory (GuidelineSet.to_json)
    JUDGE_DIR/guidelines.md    the same, for people: one section per dimension
    JUDGE_DIR/examples.jsonl   every graded item learned (expert reference, rationale, the
                               base judge's verdict, facts, static finding, excerpt);
                               ``"episodic": true``
                               marks those held in Chroma
    JUDGE_DIR/feedback.jsonl   every human grade learned (so add_feedback knows what is new)
    JUDGE_DIR/chroma/<store>/  episodic memory: a Chroma PersistentClient directory

``config.json`` is written last (atomically), so a directory without it is an unfinished
save. Each save of episodic memory into a directory gets a fresh ``<store>`` name: Chroma
keeps one open system per path in a process, and a new path is never confused with a
deleted one. A loaded judge lives in its directory: its Chroma store is opened in place and
``add_feedback`` / ``forget`` keep the other files in step.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

from memalign_nb.align.state import AlignmentState
from memalign_nb.atomic import atomic_write_text
from memalign_nb.errors import JudgeDirError, MemAlignError
from memalign_nb.judges.base import Judge
from memalign_nb.judges.spec import judge_spec
from memalign_nb.memory.examples import Example

if TYPE_CHECKING:
    from memalign_nb.align.memalign import MemAlign
    from memalign_nb.memory.episodic import EpisodicMemory

logger = logging.getLogger(__name__)

FORMAT_VERSION = 2
"""Version of the directory layout; :func:`~memalign_nb.align.load_judge` reads only this
version (2: rules are decision lists of corrections, examples carry their static finding,
episodic vectors are section profiles)."""

CONFIG, GUIDELINES_JSON, GUIDELINES_MD = "config.json", "guidelines.json", "guidelines.md"
EXAMPLES, FEEDBACK, CHROMA = "examples.jsonl", "feedback.jsonl", "chroma"
_OWNED = (CONFIG, GUIDELINES_JSON, GUIDELINES_MD, EXAMPLES, FEEDBACK, CHROMA)
_VERSIONED = ("memalign-nb", "chromadb", "langchain-core", "langchain")
_OBJECT = "<object>"  # config value of a parameter that was an object (not saved)


def save_judge(
    path: str | PathLike[str],
    state: AlignmentState,
    *,
    params: MemAlign,
    base_judge: Judge,
    engine: str,
    judge_id: str,
    summary: Mapping[str, Any],
    home: Path | None = None,
    overwrite: bool = False,
) -> Path:
    """Write an aligned judge's ``state`` to the directory ``path`` (see the module docs).

    Parameters
    ----------
    path : path
        A new or empty directory, the judge's own directory ``home`` (updated in place),
        or with ``overwrite`` a directory holding another saved judge (its files are
        replaced; other files are left alone).
    state : AlignmentState
        What the judge learned.
    params : MemAlign
        The parameters it was aligned with (saved without credentials or objects).
    base_judge : Judge
        Saved as a spec to rebuild it (:func:`judge_spec`).
    engine : str
        The engine's name.
    judge_id : str
        The aligned judge's id.
    summary : mapping
        Per dimension counts, for people reading ``config.json``.
    home : Path, optional
        The directory the judge lives in, if any.
    overwrite : bool
        Replace a judge saved in ``path``.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    JudgeDirError
        ``path`` is not empty and ``overwrite`` is False, is not a judge directory, or
        cannot be written.
    """
    from memalign_nb.feedback.io import write_grades_jsonl

    target = Path(path).expanduser()
    in_place = home is not None and _same(home, target)
    try:
        if not in_place:
            _prepare(target, overwrite)
        target.mkdir(parents=True, exist_ok=True)
        store = _save_store(state.episodic, target)
        stored = {e.id for e in state.episodic.examples()} if state.episodic is not None else set()
        atomic_write_text(target / GUIDELINES_JSON, state.guidelines.to_json() + "\n")
        atomic_write_text(target / GUIDELINES_MD, state.guidelines.to_markdown(
            f"Guidelines of {judge_id}"))
        rows = [{**dataclasses.asdict(e), "facts": dict(e.facts), "episodic": e.id in stored}
                for _, e in sorted(state.items.items())]
        atomic_write_text(target / EXAMPLES,
                          "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
        write_grades_jsonl(target / FEEDBACK, [state.grades[k] for k in sorted(state.grades)])
        config = {
            "format_version": FORMAT_VERSION,
            "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "versions": _versions(),
            "judge_id": judge_id,
            "engine": engine,
            "dimensions": list(state.dimensions),
            "params": _saved_params(params),
            "base_judge": judge_spec(base_judge),
            "episodic": None if store is None else {"store": store, "examples": len(stored)},
            "summary": dict(summary),
            "calibration": {d: c.to_dict() for d, c in state.calibration.items()},
        }
        atomic_write_text(target / CONFIG, json.dumps(config, indent=2) + "\n")
    except OSError as exc:
        raise JudgeDirError(str(target), f"cannot write the judge: {exc}") from exc
    logger.info("saved %s to %s", judge_id, target)
    return target


def start_judge_dir(path: str | PathLike[str], params: MemAlign
                    ) -> tuple[Path, EpisodicMemory | None]:
    """Make the new or empty directory ``path`` the home of a judge being aligned
    (``persist_dir``); returns it and the episodic memory created there (if any)."""
    from memalign_nb.memory.episodic import EpisodicMemory

    target = Path(path).expanduser()
    try:
        _prepare(target, overwrite=False)
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise JudgeDirError(str(target), f"cannot create the judge directory: {exc}") from exc
    episodic = None
    if params.episodic:
        episodic = EpisodicMemory(params.embeddings, path=target / _new_store(),
                                  digest_weight=params.digest_weight)
    return target, episodic


def read_config(root: Path) -> dict[str, Any]:
    """The checked ``config.json`` of the judge directory ``root``.

    Raises
    ------
    JudgeDirError
        ``root`` is not a judge directory, or its config is unreadable, of another format
        version or incomplete.
    """
    if not root.is_dir():
        raise JudgeDirError(str(root), "no such judge directory")
    return _read_config(root / CONFIG)


def saved_params(config: Mapping[str, Any], root: Path, *, embeddings: Any = None,
                 reflection_model: Any = None) -> dict[str, Any]:
    """The MemAlign parameters saved in ``config``, with objects passed again.

    Raises
    ------
    JudgeDirError
        The judge was aligned with an embedder object and ``embeddings`` is not given.
    """
    params = dict(config["params"])
    for name, given in (("embeddings", embeddings), ("reflection_model", reflection_model)):
        if given is not None:
            params[name] = given
        elif params.get(name) == _OBJECT:
            if name == "embeddings":
                raise JudgeDirError(str(root / CONFIG), "the judge was aligned with an "
                                    "embedder object: pass it again as load_judge(..., "
                                    "embeddings=...)")
            logger.warning("%s: the reflection model was an object; pass reflection_model= "
                           "to load_judge to use it again (the judge's own model is used)", root)
            params[name] = None
    return {**params, "persist_dir": None}


def read_state(root: Path, config: Mapping[str, Any], params: MemAlign) -> AlignmentState:
    """The learned state saved in the judge directory ``root``.

    Raises
    ------
    JudgeDirError
        A file is missing or corrupted, or the episodic store does not match
        ``examples.jsonl``.
    """
    from memalign_nb.align.calibration import read_calibration

    dimensions = tuple(config["dimensions"])
    try:
        calibration = read_calibration(config.get("calibration", {}), dimensions)
    except MemAlignError as exc:
        raise JudgeDirError(str(root / CONFIG), f"'calibration': {exc}") from None
    items, in_episodic = _read_examples(root / EXAMPLES)
    grades = _read_grades(root / FEEDBACK, dimensions)
    return AlignmentState(
        dimensions=dimensions,
        guidelines=_read_guidelines(root / GUIDELINES_JSON, params.embeddings),
        episodic=_open_store(root, config, params, in_episodic),
        items={(e.case_id, e.dimension): e for e in items},
        grades={(g.case_id, g.dimension, g.rater): g for g in grades},
        calibration=calibration,
    )


# -- writing ------------------------------------------------------------------------------


def check_target(path: str | PathLike[str], overwrite: bool = False) -> bool:
    """Check that a judge may be saved to ``path``, before any costly work.

    Returns
    -------
    bool
        Whether ``path`` holds a saved judge that saving would replace (``overwrite``).

    Raises
    ------
    JudgeDirError
        ``path`` is a file, a non-empty directory without a saved judge, or holds a judge
        and ``overwrite`` is False.
    """
    target = Path(path).expanduser()
    if not target.exists():
        return False
    if not target.is_dir():
        raise JudgeDirError(str(target), "exists and is not a directory")
    if not any(target.iterdir()):
        return False
    if not (target / CONFIG).is_file():
        raise JudgeDirError(str(target), "is not empty and holds no saved judge (no "
                            f"{CONFIG}); choose a new or empty directory")
    if not overwrite:
        raise JudgeDirError(str(target), "already holds a saved judge; pass overwrite=True "
                            "to replace it, or choose a new directory")
    return True


def _prepare(target: Path, overwrite: bool) -> None:
    """Check ``target`` may receive a judge; with ``overwrite``, remove the judge there."""
    if not check_target(target, overwrite):
        return
    for name in _OWNED:  # config.json first: a half-removed judge reads as unfinished
        entry = target / name
        if entry.is_dir():
            shutil.rmtree(entry)
        elif entry.exists():
            entry.unlink()


def _save_store(episodic: EpisodicMemory | None, target: Path) -> str | None:
    """The episodic store's path relative to ``target``, copying it there if needed."""
    from memalign_nb.memory.episodic import EpisodicMemory

    if episodic is None:
        return None
    live = episodic.path
    if live is not None and _inside(Path(live), target):
        return Path(live).resolve().relative_to(target.resolve()).as_posix()
    store = _new_store()
    copy = EpisodicMemory(episodic.embeddings, path=target / store,
                          digest_weight=episodic.digest_weight)
    copy.add(episodic.examples())
    return store


def _new_store() -> str:
    return f"{CHROMA}/{uuid.uuid4().hex[:12]}"


def _saved_params(params: MemAlign) -> dict[str, Any]:
    """The parameters as ``config.json`` keeps them: objects named, no home directory."""
    saved = params.get_params()
    for name in ("embeddings", "reflection_model"):
        if saved[name] is not None and not isinstance(saved[name], str):
            saved[name] = _OBJECT
    saved["persist_dir"] = None
    saved["dimensions"] = list(saved["dimensions"]) if saved["dimensions"] else None
    return saved


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    from memalign_nb import __version__

    found = {"memalign-nb": __version__}
    for package in _VERSIONED[1:]:
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "not installed"
    return found


def _same(a: Path, b: Path) -> bool:
    return Path(a).expanduser().resolve() == Path(b).expanduser().resolve()


def _inside(inner: Path, outer: Path) -> bool:
    return Path(inner).resolve().is_relative_to(Path(outer).resolve())


# -- reading ------------------------------------------------------------------------------


def _read_config(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise JudgeDirError(str(path), "missing: not a saved judge, or an unfinished save")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise JudgeDirError(str(path), f"unreadable: {exc}") from None
    if not isinstance(config, dict):
        raise JudgeDirError(str(path), "expected a JSON object")
    version = config.get("format_version")
    if version != FORMAT_VERSION:
        written = config.get("versions", {}).get("memalign-nb", "an unknown version")
        raise JudgeDirError(
            str(path), f"format version {version!r} (written by memalign-nb {written}); "
            f"this memalign-nb reads format version {FORMAT_VERSION}: align the judge again"
        )
    for key, kind in (("params", dict), ("base_judge", dict), ("dimensions", list),
                      ("engine", str)):
        if not isinstance(config.get(key), kind):
            raise JudgeDirError(str(path), f"{key!r} is missing or not a {kind.__name__}")
    from memalign_nb.align.engines import ENGINES

    if config["engine"] not in ENGINES:
        raise JudgeDirError(str(path), f"unknown engine {config['engine']!r}")
    return config


def rebuild_base_judge(config: Mapping[str, Any], where: Path, given: str | Judge | None
                       ) -> Judge:
    """The base judge ``config`` names, or ``given`` in its place (a warning notes another
    judge id).

    Raises
    ------
    JudgeDirError
        The saved base judge cannot be rebuilt and none is given, or ``given`` is not a judge.
    """
    from memalign_nb.judges.registry import make_judge
    from memalign_nb.judges.spec import judge_from_spec

    spec = config["base_judge"]
    if given is not None:
        judge = make_judge(given) if isinstance(given, str) else given
        if not isinstance(judge, Judge):
            raise JudgeDirError(str(where), f"judge= must be a Judge or a model string, "
                                f"got {type(given).__name__}")
        if judge.judge_id != spec.get("judge_id"):
            logger.warning("%s: loading with base judge %s; it was aligned with %s", where,
                           judge.judge_id, spec.get("judge_id"))
        return judge
    if not spec.get("rebuildable"):
        raise JudgeDirError(
            str(where), f"the base judge {spec.get('judge_id')!r} cannot be rebuilt from a "
            f"file ({spec.get('reason', 'unknown')}); pass it as load_judge(..., judge=...)"
        )
    try:
        return judge_from_spec(spec)
    except (KeyError, TypeError, ValueError, MemAlignError) as exc:
        raise JudgeDirError(str(where), f"cannot rebuild the base judge: {exc}") from exc


def _read_guidelines(path: Path, embeddings: Any) -> Any:
    from memalign_nb.errors import MemoryDataError
    from memalign_nb.memory.guidelines import GuidelineSet

    try:
        return GuidelineSet.from_json(path.read_text(encoding="utf-8"), embeddings=embeddings,
                                      source=str(path))
    except OSError as exc:
        raise JudgeDirError(str(path), f"unreadable: {exc.strerror or exc}") from None
    except MemoryDataError as exc:
        raise JudgeDirError(str(path), exc.problem) from None


def _read_examples(path: Path) -> tuple[list[Example], set[str]]:
    """Every graded item of ``examples.jsonl``, and the ids marked as in episodic memory."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise JudgeDirError(str(path), f"unreadable: {exc}") from None
    names = {f.name for f in dataclasses.fields(Example)}
    items, in_episodic = [], set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            example = Example(**{k: v for k, v in row.items() if k in names})
        except (ValueError, TypeError, AttributeError, MemAlignError) as exc:
            raise JudgeDirError(f"{path}:{number}", f"not a graded example: {exc}") from None
        items.append(example)
        if row.get("episodic"):
            in_episodic.add(example.id)
    return items, in_episodic


def _read_grades(path: Path, dimensions: tuple[str, ...]) -> list[Any]:
    from memalign_nb.errors import DatasetError
    from memalign_nb.feedback.io import read_grades_jsonl

    if not path.is_file():
        raise JudgeDirError(str(path), "missing")
    try:
        return read_grades_jsonl(path, dimensions=dimensions)
    except DatasetError as exc:
        raise JudgeDirError(str(path), str(exc)) from None


def _open_store(root: Path, config: Mapping[str, Any], params: MemAlign,
                expected: set[str]) -> EpisodicMemory | None:
    """The saved Chroma store, opened in place and checked against ``examples.jsonl``."""
    from memalign_nb.errors import MemoryDataError
    from memalign_nb.memory.episodic import EpisodicMemory

    info = config.get("episodic")
    if info is None:
        return None
    store = root / str(info.get("store", ""))
    if not info.get("store") or not _inside(store, root) or not store.is_dir():
        raise JudgeDirError(str(store), "the episodic store (Chroma directory) is missing")
    try:
        memory = EpisodicMemory(params.embeddings, path=store,
                                digest_weight=params.digest_weight)
        held = {e.id for e in memory.examples()}
    except MemoryDataError as exc:
        raise JudgeDirError(str(store), exc.problem) from None
    if held != expected:
        missing, extra = len(expected - held), len(held - expected)
        raise JudgeDirError(str(store), f"does not match {EXAMPLES}: {missing} examples "
                            f"missing, {extra} unexpected")
    return memory
