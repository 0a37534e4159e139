"""An on-disk cache of successful judgments, keyed by (model, exact prompt).

Re-runs, cross-validation folds and study variants often send a model the very same
prompt; the cache makes them pay once. One JSON file per key, written to a temporary file
in the same folder and moved into place with :func:`os.replace`, so a reader never sees a
half-written entry and any number of threads and processes can share a folder without
locks (two writers of one key write the same content; the last rename wins). Files are
spread over 256 sub-folders by the key's first two hex digits.

Only successful judgments are stored: a failure is retried on the next run. Other chat
responses (a reflection model's guidelines) are cached by :func:`response_cache` in the
``responses`` sub-folder, through LangChain's own model cache.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import Any

from memalign_nb.atomic import atomic_write
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
        _write_json(self._path(key), dataclasses.replace(judgment, cached=False).to_dict())
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


RESPONSES_SUBDIR = "responses"
"""Sub-folder of a cache folder holding :func:`response_cache` entries."""


def response_cache(directory: str | PathLike[str]) -> Any:
    """A LangChain ``BaseCache`` of chat-model responses on disk, for calls other than
    judgments (a reflection model distilling guidelines).

    Pass it as a chat model's ``cache``: a call LangChain has seen, same model settings and
    same messages, is answered from ``directory/responses`` without a request, so a rerun
    learns the very guidelines the first run learned (and its aligned prompts hit the
    judgment cache) instead of paying for, and maybe changing, them again. Transport
    settings (timeouts, retries) are not part of the key: they change how a call is made,
    not its answer. Entries are written like :class:`JudgmentCache` entries (atomically,
    one file per key); only answers are stored, never exceptions.
    """
    from langchain_core.caches import BaseCache
    from langchain_core.messages import message_to_dict, messages_from_dict
    from langchain_core.outputs import ChatGeneration

    folder = Path(directory) / RESPONSES_SUBDIR

    class ResponseCache(BaseCache):
        def _path(self, prompt: str, llm_string: str) -> Path:
            key = hashlib.sha256(f"{_answer_settings(llm_string)}\n{prompt}".encode()).hexdigest()
            return folder / key[:2] / f"{key}.json"

        def lookup(self, prompt: str, llm_string: str) -> list[ChatGeneration] | None:
            path = self._path(prompt, llm_string)
            try:
                rows = json.loads(path.read_text(encoding="utf-8"))
                return [ChatGeneration(message=m) for m in messages_from_dict(rows)]
            except FileNotFoundError:
                return None
            except (OSError, ValueError, TypeError, KeyError) as exc:
                logger.warning("ignoring unreadable response cache entry %s: %s", path, exc)
                return None

        def update(self, prompt: str, llm_string: str, return_val: Sequence[Any]) -> None:
            messages = [g.message for g in return_val if isinstance(g, ChatGeneration)]
            if len(messages) == len(return_val):
                _write_json(self._path(prompt, llm_string), [message_to_dict(m) for m in messages])

        def clear(self, **kwargs: Any) -> None:
            for path in folder.glob("??/*.json"):
                path.unlink(missing_ok=True)

        def __repr__(self) -> str:  # part of the model's cache key: stable across runs
            return f"response_cache({str(directory)!r})"

    return ResponseCache()


TRANSPORT_SETTINGS = frozenset({"timeout", "request_timeout", "max_retries"})
"""Chat-model constructor arguments that do not change what a model answers."""


def _answer_settings(llm_string: str) -> str:
    """LangChain's ``llm_string`` without :data:`TRANSPORT_SETTINGS`.

    For a serializable model it is ``<constructor JSON>---<call parameters>``; any other
    form is returned as is.
    """
    constructor, separator, call = llm_string.partition("---")
    try:
        serialized = json.loads(constructor)
        kwargs = serialized["kwargs"]
    except (ValueError, TypeError, KeyError):
        return llm_string
    if not isinstance(kwargs, dict):
        return llm_string
    serialized["kwargs"] = {k: v for k, v in kwargs.items() if k not in TRANSPORT_SETTINGS}
    return json.dumps(serialized, sort_keys=True) + separator + call


def _write_json(path: Path, row: Any) -> None:
    """Write ``row`` as JSON to ``path`` atomically (temporary file, fsync, rename)."""
    atomic_write(path, lambda handle: json.dump(row, handle, ensure_ascii=False, default=str))
