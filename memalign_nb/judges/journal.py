"""Judgments written to a JSONL file as they are made, and the file replaced only when whole.

:class:`JudgmentJournal` keeps the judgments of a run in ``FILE.partial`` (one JSON line
each, flushed as it is made) while the run goes on; :meth:`JudgmentJournal.commit`
writes ``FILE`` atomically, in order, and removes the partial file. Until then ``FILE``
keeps what an earlier run wrote, so a failed, killed or interrupted run destroys nothing,
and running the same command again resumes: :meth:`JudgmentJournal.resumable` returns
the scored judgments of the partial file, which need not be made again.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import IO

from memalign_nb.atomic import atomic_write
from memalign_nb.judges.base import Judgment

logger = logging.getLogger(__name__)

PARTIAL_SUFFIX = ".partial"
"""Suffix of the file holding a run's judgments until it is complete."""


class JudgmentJournal:
    """The output JSONL file of a batch, written incrementally and replaced atomically.

    Parameters
    ----------
    path : str or path-like
        The output file; ``path + ".partial"`` holds the run in progress.

    Raises
    ------
    OSError
        When the partial file cannot be opened (an unwritable folder): raised on entering
        the context, before any judgment is paid for.

    Examples
    --------
    >>> with JudgmentJournal("judgments.jsonl") as journal:        # doctest: +SKIP
    ...     done = journal.resumable(judge.judge_id)
    ...     result = run_batch_with_stats(judge, cases, dims, done=done,
    ...                                   on_judgment=journal.append)
    ...     journal.commit(result.judgments)
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.partial = self.path.with_name(self.path.name + PARTIAL_SUFFIX)
        self._handle: IO[str] | None = None
        self._earlier: list[Judgment] = []
        self.saved = 0
        """Judgments in the partial file: an earlier run's and this run's."""

    def __enter__(self) -> JudgmentJournal:
        self._earlier = _read(self.partial)
        self.saved = len(self._earlier)
        self._handle = self.partial.open("a", encoding="utf-8")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def resumable(self, judge_id: str) -> dict[tuple[str, str], Judgment]:
        """Scored judgments of ``judge_id`` an interrupted run left, by (case id, dimension)."""
        return {
            (j.case_id, j.dimension): j for j in self._earlier if j.ok and j.judge_id == judge_id
        }

    def append(self, judgment: Judgment) -> None:
        """Add one judgment to the partial file, flushed at once."""
        if self._handle is None:
            raise RuntimeError("JudgmentJournal.append outside its with-block")
        self._handle.write(_line(judgment))
        self._handle.flush()
        self.saved += 1

    def commit(self, judgments: Iterable[Judgment]) -> int:
        """Write ``judgments`` to :attr:`path` atomically and drop the partial file.

        Returns how many were written.
        """

        def write(handle: IO[str]) -> int:
            count = 0
            for judgment in judgments:
                handle.write(_line(judgment))
                count += 1
            return count

        count = atomic_write(self.path, write)
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        self.partial.unlink(missing_ok=True)
        return count


def _line(judgment: Judgment) -> str:
    return json.dumps(judgment.to_dict(), ensure_ascii=False, default=str) + "\n"


def _read(path: Path) -> list[Judgment]:
    """The judgments of a partial file; a line cut short by a kill is left out."""
    if not path.exists():
        return []
    judgments = []
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                judgments.append(Judgment.from_dict(json.loads(line)))
            except (ValueError, TypeError, AttributeError) as exc:
                logger.info("%s:%d: not a judgment (%s); ignored", path, number, exc)
    return judgments
