"""Batch scoring: every (case, dimension) through one judge, with bounded concurrency.

Items run on a thread pool (model calls wait on the network, so threads suffice) and come
back in (case, dimension) order whatever order they finish in. One item failing never
stops the batch: an unexpected exception becomes a :class:`Judgment` with ``error`` set.
Judgments already made (``done``, from an interrupted run) are returned in place without
scoring them again, and ``on_judgment`` sees each new one the moment it is made, so a
caller can save them as they come (:mod:`memalign_nb.judges.journal`).
The exceptions that would fail every item alike (a missing provider package, an unknown
name, a chat model that cannot be built) are raised at once instead.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
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
        Requests sent to models, retries included (a re-ask counts as one more; a cache
        hit and an offline judge make none).
    retries : int
        Of those, the requests that repeated a failed one (rate limits, timeouts, 5xx).
    cache_hits : int
        Judgments served from the on-disk cache.
    failures : int
        Judgments without a score.
    prompt_tokens, completion_tokens : int
        Tokens the model calls used, as the provider reported them.
    wall_time_s : float
        Elapsed time of the batch in seconds.
    resumed : int
        Judgments taken from an earlier run instead of being made (not in the counts
        above).
    """

    judgments: int
    calls: int
    retries: int
    cache_hits: int
    failures: int
    prompt_tokens: int
    completion_tokens: int
    wall_time_s: float
    resumed: int = 0

    @classmethod
    def from_judgments(
        cls, judgments: Iterable[Judgment], wall_time_s: float, resumed: int = 0
    ) -> BatchStats:
        """Totals over ``judgments`` (each LLM judgment records its own calls and tokens)."""
        items = list(judgments)
        return cls(
            resumed=resumed,
            judgments=len(items),
            calls=sum(int(j.metadata.get("model_calls", 0)) for j in items),
            retries=sum(int(j.metadata.get("retries", 0)) for j in items),
            cache_hits=sum(j.cached for j in items),
            failures=sum(not j.ok for j in items),
            prompt_tokens=sum(j.prompt_tokens for j in items),
            completion_tokens=sum(j.completion_tokens for j in items),
            wall_time_s=wall_time_s,
        )

    def summary(self) -> str:
        """One line for logs and the command line."""
        resumed = f" (and {self.resumed} resumed from the last run)" if self.resumed else ""
        return (
            f"{self.judgments} judgments{resumed} in {self.wall_time_s:.1f} s: {self.calls} "
            f"model calls ({self.retries} of them retries), {self.cache_hits} cache hits, "
            f"{self.failures} failures, "
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
    *,
    done: Mapping[tuple[str, str], Judgment] | None = None,
    on_judgment: Callable[[Judgment], None] | None = None,
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
    done : mapping of (case id, dimension) to Judgment, optional
        Judgments already made; returned in their place, not scored again.
    on_judgment : callable, optional
        Called with each new judgment as soon as it is made (in the calling thread).

    Returns
    -------
    BatchResult
        Judgments in (case, dimension) order, and :class:`BatchStats` of the new ones.

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
    done = done or {}
    results: list[Judgment | None] = [done.get((c.case_id, d)) for c, d in items]
    resumed = sum(r is not None for r in results)
    started = time.perf_counter()
    with (
        tqdm(
            total=len(items), initial=resumed, disable=not progress,
            desc=f"judging ({judge.judge_id})", unit="item",
        ) as bar,
        ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="memalign-judge") as pool,
    ):
        futures: dict[Future[Judgment], int] = {
            pool.submit(_score_one, judge, case, dimension): index
            for index, (case, dimension) in enumerate(items)
            if results[index] is None
        }
        pending = set(futures)
        try:
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                raised = [f for f in finished if f.exception() is not None]
                for future in finished - set(raised):  # kept before a fatal error is raised
                    judgment = future.result()
                    results[futures[future]] = judgment
                    if on_judgment is not None:
                        on_judgment(judgment)
                    bar.update(1)
                if raised:
                    raised[0].result()  # re-raises the fatal error
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    judgments = [j for j in results if j is not None]
    made = [results[index] for index in futures.values()]
    stats = BatchStats.from_judgments(made, time.perf_counter() - started, resumed)
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
