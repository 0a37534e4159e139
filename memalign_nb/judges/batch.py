"""Batch scoring: every (case, dimension) through one judge, with bounded concurrency.

Items run on a thread pool (model calls wait on the network, so threads suffice) and come
back in (case, dimension) order whatever order they finish in. One item failing never
stops the batch: an unexpected exception becomes a :class:`Judgment` with ``error`` set.
The exceptions that would fail every item alike (a missing provider package, an unknown
name, a chat model that cannot be built) are raised at once instead.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING

from memalign_nb.datasets.model import Case
from memalign_nb.dimensions import check_dimension
from memalign_nb.errors import MissingDependencyError, ModelConfigError, UnknownNameError
from memalign_nb.judges.judgment import Judgment

if TYPE_CHECKING:
    from memalign_nb.judges.base import Judge

logger = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 8
"""Judgments in flight at once unless told otherwise."""

FATAL_ERRORS: tuple[type[Exception], ...] = (
    MissingDependencyError,
    ModelConfigError,
    UnknownNameError,
)
"""Errors raised out of a batch instead of being recorded: they would fail every item."""


@dataclass(frozen=True)
class BatchStats:
    """What a batch cost.

    Attributes
    ----------
    judgments : int
        Items scored (successes and failures).
    calls : int
        Model invocations made (a re-ask counts as one more; a cache hit and an offline
        judge make none; transport retries inside a provider client are not seen).
    cache_hits : int
        Judgments served from the on-disk cache.
    failures : int
        Judgments without a score.
    prompt_tokens, completion_tokens : int
        Tokens the model calls used, as the provider reported them.
    wall_time_s : float
        Elapsed time of the batch in seconds.
    """

    judgments: int
    calls: int
    cache_hits: int
    failures: int
    prompt_tokens: int
    completion_tokens: int
    wall_time_s: float

    @classmethod
    def from_judgments(cls, judgments: Iterable[Judgment], wall_time_s: float) -> BatchStats:
        """Totals over ``judgments`` (each LLM judgment records its own calls and tokens)."""
        items = list(judgments)
        return cls(
            judgments=len(items),
            calls=sum(int(j.metadata.get("model_calls", 0)) for j in items),
            cache_hits=sum(j.cached for j in items),
            failures=sum(not j.ok for j in items),
            prompt_tokens=sum(j.prompt_tokens for j in items),
            completion_tokens=sum(j.completion_tokens for j in items),
            wall_time_s=wall_time_s,
        )

    def summary(self) -> str:
        """One line for logs and the command line."""
        return (
            f"{self.judgments} judgments in {self.wall_time_s:.1f} s: {self.calls} model "
            f"calls, {self.cache_hits} cache hits, {self.failures} failures, "
            f"{self.prompt_tokens} prompt + {self.completion_tokens} completion tokens"
        )


@dataclass(frozen=True)
class BatchResult:
    """Judgments of a batch with what they cost.

    Attributes
    ----------
    judgments : list of Judgment
        In (case, dimension) order.
    stats : BatchStats
        Calls, cache hits, failures, tokens and wall time.
    """

    judgments: list[Judgment]
    stats: BatchStats


def run_batch(
    judge: Judge,
    cases: Sequence[Case],
    dimensions: Sequence[str],
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: bool = True,
) -> list[Judgment]:
    """Score every case on every dimension; see :func:`run_batch_with_stats`."""
    return run_batch_with_stats(judge, cases, dimensions, concurrency, progress).judgments


def run_batch_with_stats(
    judge: Judge,
    cases: Sequence[Case],
    dimensions: Sequence[str],
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: bool = True,
) -> BatchResult:
    """Score every case on every dimension and report what it cost.

    Parameters
    ----------
    judge : Judge
        Any judge (heuristic, LLM, aligned, scripted).
    cases : sequence of Case
    dimensions : sequence of str
        Checked against ``judge.dimensions`` before anything runs.
    concurrency : int
        Judgments in flight at once (threads); 1 runs them one after another.
    progress : bool
        Show a ``tqdm.auto`` progress bar (a widget in Jupyter, text in a terminal).

    Returns
    -------
    BatchResult
        Judgments in (case, dimension) order, and :class:`BatchStats`.

    Raises
    ------
    UnknownNameError
        A dimension the judge does not know.
    ValueError
        ``concurrency`` is below 1.
    """
    from tqdm.auto import tqdm

    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}")
    dimensions = tuple(dimensions)
    for dimension in dimensions:
        check_dimension(dimension, judge.dimensions)
    items = [(case, dimension) for case in cases for dimension in dimensions]
    results: list[Judgment | None] = [None] * len(items)
    started = time.perf_counter()
    with (
        tqdm(
            total=len(items), disable=not progress, desc=f"judging ({judge.judge_id})", unit="item"
        ) as bar,
        ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="memalign-judge") as pool,
    ):
        futures: dict[Future[Judgment], int] = {
            pool.submit(_score_one, judge, case, dimension): index
            for index, (case, dimension) in enumerate(items)
        }
        pending = set(futures)
        try:
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    results[futures[future]] = future.result()  # re-raises fatal errors
                    bar.update(1)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    judgments = [j for j in results if j is not None]
    stats = BatchStats.from_judgments(judgments, time.perf_counter() - started)
    logger.info("%s: %s", judge.judge_id, stats.summary())
    return BatchResult(judgments=judgments, stats=stats)


def _score_one(judge: Judge, case: Case, dimension: str) -> Judgment:
    """One item; an unexpected exception is recorded, never a score."""
    try:
        return judge.score(case, dimension)
    except FATAL_ERRORS:
        raise
    except Exception as exc:
        logger.warning(
            "%s failed on %s/%s: %s: %s",
            judge.judge_id,
            case.case_id,
            dimension,
            type(exc).__name__,
            exc,
        )
        return Judgment(
            case_id=case.case_id,
            dimension=dimension,
            score=None,
            judge_id=judge.judge_id,
            error=f"{type(exc).__name__}: {exc}",
        )
