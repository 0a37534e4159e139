"""Tests of memalign_nb.judges.batch: bounded concurrent batch scoring and its stats."""

from __future__ import annotations

import threading
import time

import pytest

from memalign_nb.datasets.model import Case
from memalign_nb.errors import MissingDependencyError, UnknownNameError
from memalign_nb.judges.base import Judgment
from memalign_nb.judges.batch import BatchStats, run_batch, run_batch_with_stats
from memalign_nb.judges.scripted import ScriptedJudge
from memalign_nb.notebooks.model import Cell, Notebook

DIMS = ("data_imputation", "model_training", "model_use")


def _cases(n: int) -> list[Case]:
    return [
        Case(f"c{i:02d}", Notebook(f"c{i}.ipynb", (Cell(0, "code", "x = 1"),))) for i in range(n)
    ]


def test_results_come_back_in_case_dimension_order_despite_finishing_out_of_order() -> None:
    def slow_first(case: Case, dimension: str) -> int:
        index = int(case.case_id[1:])
        time.sleep(0.02 * (5 - index))  # early items finish last
        return (index + DIMS.index(dimension)) % 4

    judgments = run_batch(ScriptedJudge(slow_first), _cases(5), DIMS, 4, False)
    assert [(j.case_id, j.dimension) for j in judgments] == [
        (f"c{i:02d}", d) for i in range(5) for d in DIMS
    ]
    assert [j.score for j in judgments] == [(i + k) % 4 for i in range(5) for k in range(3)]


def test_concurrency_is_bounded() -> None:
    running, peak = 0, 0
    lock = threading.Lock()

    def track(case: Case, dimension: str) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.01)
        with lock:
            running -= 1
        return 2

    run_batch(ScriptedJudge(track), _cases(10), DIMS, 3, False)
    assert 1 < peak <= 3
    running, peak = 0, 0
    run_batch(ScriptedJudge(track), _cases(3), DIMS, 1, False)
    assert peak == 1


def test_one_failing_item_never_stops_the_batch() -> None:
    def flaky(case: Case, dimension: str) -> int:
        if case.case_id == "c01" and dimension == "model_use":
            raise RuntimeError("parser exploded")
        return 3

    judgments = run_batch(ScriptedJudge(flaky, judge_id="flaky"), _cases(3), DIMS, 2, False)
    failed = [j for j in judgments if not j.ok]
    assert [(j.case_id, j.dimension) for j in failed] == [("c01", "model_use")]
    assert failed[0].error == "RuntimeError: parser exploded"
    assert failed[0].judge_id == "flaky" and failed[0].score is None
    assert sum(j.ok for j in judgments) == 8


def test_errors_that_would_fail_every_item_are_raised() -> None:
    def broken(case: Case, dimension: str) -> int:
        raise MissingDependencyError("langchain_openai", "openai")

    with pytest.raises(MissingDependencyError, match="memalign-nb\\[openai\\]"):
        run_batch(ScriptedJudge(broken), _cases(20), DIMS, 2, False)


def test_unknown_dimension_is_rejected_before_any_work() -> None:
    judge = ScriptedJudge({}, default=1)
    with pytest.raises(UnknownNameError, match="not_a_dimension"):
        run_batch(judge, _cases(2), ("model_use", "not_a_dimension"), 2, False)
    assert judge.calls == []
    with pytest.raises(ValueError, match="concurrency"):
        run_batch(judge, _cases(2), DIMS, 0, False)


def test_stats_count_calls_cache_hits_failures_and_tokens() -> None:
    def script(case: Case, dimension: str) -> Judgment:
        index = int(case.case_id[1:])
        return Judgment(
            case.case_id,
            dimension,
            None if index == 0 else 2,
            error="boom" if index == 0 else None,
            cached=index == 1,
            prompt_tokens=0 if index == 1 else 100,
            completion_tokens=0 if index == 1 else 10,
            metadata={"model_calls": 0 if index == 1 else 2 if index == 2 else 1},
        )

    result = run_batch_with_stats(ScriptedJudge(script), _cases(4), ("model_use",), 2, False)
    stats = result.stats
    assert (stats.judgments, stats.calls, stats.cache_hits, stats.failures) == (4, 4, 1, 1)
    assert (stats.prompt_tokens, stats.completion_tokens) == (300, 30)
    assert stats.wall_time_s > 0
    assert "4 model calls (0 of them retries), 1 cache hits, 1 failures" in stats.summary()


def test_offline_judges_make_no_model_calls() -> None:
    judgments = ScriptedJudge({}, default=2).score_many(_cases(2), DIMS, progress=False)
    assert BatchStats.from_judgments(judgments, 0.1).calls == 0


def test_progress_bar_reports_every_item(capsys) -> None:
    run_batch(ScriptedJudge({}, default=1, judge_id="bar"), _cases(4), DIMS, 2, True)
    err = capsys.readouterr().err
    assert "judging (bar)" in err and "12/12" in err


def test_empty_batch() -> None:
    result = run_batch_with_stats(ScriptedJudge({}), [], DIMS, 2, False)
    assert result.judgments == [] and result.stats.judgments == 0


def test_done_judgments_are_returned_in_place_and_new_ones_seen_as_made():
    from memalign_nb.datasets import load_dataset, sample_path
    from memalign_nb.judges import make_judge
    from memalign_nb.judges.batch import run_batch_with_stats

    cases = load_dataset(sample_path()).cases[:2]
    judge = make_judge("heuristic")
    first = run_batch_with_stats(judge, cases, ["model_use", "model_training"], progress=False)
    done = {(j.case_id, j.dimension): j for j in first.judgments[:3]}
    seen = []
    again = run_batch_with_stats(judge, cases, ["model_use", "model_training"], progress=False,
                                 done=done, on_judgment=seen.append)
    assert again.judgments[:3] == first.judgments[:3]
    assert [(j.case_id, j.dimension) for j in seen] == [
        (j.case_id, j.dimension) for j in first.judgments[3:]]
    assert (again.stats.judgments, again.stats.resumed) == (1, 3)
