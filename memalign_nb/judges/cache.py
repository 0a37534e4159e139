"""An on-disk cache of successful judgments, keyed by (model, exact prompt).

Re-runs, cross-validation folds and study variants often send a model the very same
prompt; the cache makes them pay once. One JSON file per key, written to a temporary file
in the same folder and moved into place with :func:`os.replace`, so a reader never sees a
half-written entry and any number of threads and processes can share a folder without
locks (two writers of one key write the same content; the last rename wins). Files are
spread over 256 sub-folders by the key's first two hex digits.

Only successful judgments are stored: a failure is retried on the next run.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import Any

from memalign_nb.judges.base import Judgment

logger = logging.getLogger(__name__)

DEFAULT_CACHE_DIR = ".memalign-cache"
"""Folder (relative to the working directory) LLM judges cache to unless told otherwise."""

KEY_VERSION = 1
"""Bumped when the key's recipe changes, so old entries are simply never hit."""


def cache_key(
    model_id: str,
    messages: Sequence[tuple[str, str]],
    params: Mapping[str, Any] | None = None,
) -> str:
    """The SHA-256 hex key of one model call.

    Parameters
    ----------
    model_id : str
        Which model answers (``openai:gpt-4o-mini``).
    messages : sequence of (role, text)
        The exact prompt, in order.
    params : mapping, optional
        Call settings that change the answer (temperature, base URL, extra model
        arguments); JSON-serialised with sorted keys, non-JSON values by ``str``.
    """
    payload = {
        "v": KEY_VERSION,
        "model": model_id,
        "params": dict(params or {}),
        "messages": [[role, text] for role, text in messages],
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class JudgmentCache:
    """Successful judgments on disk, one JSON file per key.

    Parameters
    ----------
    directory : path
        The cache folder; created on the first write.

    Examples
    --------
    >>> import tempfile
    >>> cache = JudgmentCache(tempfile.mkdtemp())
    >>> key = cache_key("openai:gpt-4o-mini", [("system", "s"), ("human", "h")])
    >>> cache.put(key, Judgment("c1", "model_use", 2, "ok", judge_id="openai:gpt-4o-mini"))
    True
    >>> cache.get(key).score
    2
    """

    def __init__(self, directory: str | PathLike[str]) -> None:
        self.directory = Path(directory)

    def _path(self, key: str) -> Path:
        if len(key) < 3 or not all(ch in "0123456789abcdef" for ch in key):
            raise ValueError(f"cache key must be a lowercase hex digest, got {key!r}")
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> Judgment | None:
        """The judgment stored under ``key`` (with ``cached=True``), or None.

        An unreadable entry (truncated by a full disk, edited by hand) counts as a miss
        and is logged; the next successful call overwrites it.
        """
        path = self._path(key)
        try:
            row = json.loads(path.read_text(encoding="utf-8"))
            judgment = Judgment.from_dict(row)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError) as exc:
            logger.warning("ignoring unreadable judgment cache entry %s: %s", path, exc)
            return None
        return dataclasses.replace(judgment, cached=True)

    def put(self, key: str, judgment: Judgment) -> bool:
        """Store ``judgment`` under ``key`` atomically; failures are not stored.

        Returns
        -------
        bool
            Whether it was stored (False for a judgment without a score).
        """
        if not judgment.ok:
            logger.debug("not caching failed judgment %s/%s", judgment.case_id, judgment.dimension)
            return False
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        row = dataclasses.replace(judgment, cached=False).to_dict()
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{key[:8]}-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(row, handle, ensure_ascii=False, default=str)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return True

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._path(key).is_file()

    def __len__(self) -> int:
        if not self.directory.is_dir():
            return 0
        return sum(1 for _ in self.directory.glob("??/*.json"))

    def clear(self) -> int:
        """Delete every entry; returns how many were deleted."""
        removed = 0
        if self.directory.is_dir():
            for path in self.directory.glob("??/*.json"):
                path.unlink(missing_ok=True)
                removed += 1
        return removed

    def __repr__(self) -> str:
        return f"JudgmentCache({str(self.directory)!r})"
