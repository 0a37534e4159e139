"""Tests for memalign_nb.feedback.store: durability, concurrency, history, validation."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from datetime import datetime

import pytest

from memalign_nb.errors import (
    DatasetError,
    FeedbackStoreError,
    InvalidGradeError,
    InvalidScoreError,
    UnknownNameError,
)
from memalign_nb.feedback import FeedbackStore, Grade

WRITER = textwrap.dedent(
    """
    import sys
    from memalign_nb.feedback import FeedbackStore, Grade

    store = FeedbackStore(sys.argv[1])
    i = 0
    while True:
        grade = store.save(Grade(f"case-{i}", "model_training", i % 4, "r" * 200, "writer"))
        print(grade.case_id, flush=True)
        i += 1
    """
)


def grade(case_id="c1", dimension="data_imputation", score=2, rater="alice", **kw) -> Grade:
    return Grade(case_id, dimension, score, kw.pop("rationale", "why"), rater, **kw)


@pytest.fixture
def store(tmp_path):
    with FeedbackStore(tmp_path / "grades.db") as opened:
        yield opened


def test_grades_reported_before_sigkill_survive(tmp_path):
    path = tmp_path / "killed.db"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    reported = []
    try:
        for line in writer.stdout:
            reported.append(line.strip())
            if len(reported) == 150:
                os.kill(writer.pid, signal.SIGKILL)
                break
    finally:
        writer.kill()
        writer.wait(timeout=30)
        writer.stdout.close()
    assert writer.returncode == -signal.SIGKILL
    # The database opens cleanly and holds every grade whose save had returned.
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with FeedbackStore(path) as reopened:
        stored = {g.case_id for g in reopened.grades()}
        assert set(reported) <= stored
        assert len(reopened) >= len(reported)
        # The writer ran on while the kill was on its way; what it stored has no gaps.
        assert stored == {f"case-{i}" for i in range(len(stored))}


def _write_many(store: FeedbackStore, rater: str, count: int) -> None:
    for i in range(count):
        store.save(Grade(f"case-{i:03d}", "model_use", 1 + i % 3, f"{rater} {i}", rater))


def run_processes(start_method: str, target, *arg_tuples: tuple) -> None:
    """Run ``target`` once per argument tuple, all at the same time; each must exit 0."""
    context = multiprocessing.get_context(start_method)
    workers = [context.Process(target=target, args=args) for args in arg_tuples]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0] * len(workers)


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_two_processes_writing_at_once_lose_nothing(tmp_path, start_method):
    store = FeedbackStore(tmp_path / "shared.db")
    run_processes(start_method, _write_many, (store, "ann", 120), (store, "bob", 120))
    assert len(store) == 240
    assert store.raters() == ("ann", "bob")
    assert {g.rationale for g in store.grades(rater="bob")} == {f"bob {i}" for i in range(120)}


def _regrade(store: FeedbackStore, label: str, count: int) -> None:
    for i in range(count):
        store.save(grade(score=1 + i % 3, rationale=f"{label} {i}"))


def test_concurrent_regrades_keep_one_current_and_full_history(tmp_path):
    store = FeedbackStore(tmp_path / "race.db")
    run_processes("fork", _regrade, (store, "p", 60), (store, "q", 60))
    assert len(store) == 1
    history = store.history("c1", "data_imputation", "alice")
    assert len(history) == 120
    assert store.grades()[0] == history[-1]


def test_threads_share_one_store(store):
    errors = []

    def work(rater):
        try:
            _write_many(store, rater, 40)
            store.grades(rater=rater)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"t{n}",)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(store) == 240
    assert len(store.raters()) == 6


def test_regrade_replaces_current_and_keeps_history(store):
    store.save(grade(score=3, rationale="looked fine", created_at="2024-01-01T10:00:00Z"))
    store.save(grade(rater="bob", score=2))
    store.save(grade(score=1, rationale="imputer fit before split"))
    current = store.grades(case_id="c1", dimension="data_imputation", rater="alice")
    assert [(g.score, g.rationale) for g in current] == [(1, "imputer fit before split")]
    history = store.history("c1", "data_imputation", "alice")
    assert [g.score for g in history] == [3, 1]
    assert history[0].created_at == "2024-01-01T10:00:00Z"
    assert len(store) == 2
    assert {g.rater for g in store.grades()} == {"alice", "bob"}


def test_save_fills_created_at_with_utc_now(store):
    saved = store.save(grade())
    stamp = datetime.fromisoformat(saved.created_at)
    assert stamp.utcoffset().total_seconds() == 0
    assert abs((datetime.now(stamp.tzinfo) - stamp).total_seconds()) < 60
    assert store.grades() == [saved]


def test_every_save_is_a_version_but_imports_skip_known_ones(store, tmp_path):
    old = tmp_path / "old.jsonl"
    old.write_text(
        '{"case_id": "c1", "dimension": "data_imputation", "score": 2, "rationale": "why",'
        ' "rater": "alice", "created_at": "2024-05-01T09:00:00Z"}\n'
        '{"case_id": "c1", "dimension": "model_use", "score": 1, "rater": "alice"}\n'
    )
    assert store.import_jsonl(old) == 2
    store.save(grade(score=3))
    store.save(grade(score=3))  # the same click twice is still two saves
    assert len(store.history("c1", "data_imputation", "alice")) == 3
    # Re-importing the old file after the re-grade changes nothing, with or without
    # timestamps in the rows.
    assert store.import_jsonl(old) == 0
    assert [g.score for g in store.grades()] == [3, 1]
    assert len(store.history("c1", "model_use", "alice")) == 1


@pytest.mark.parametrize(
    ("bad", "error", "words"),
    [
        (grade(score=4), InvalidScoreError, "score 4"),
        (grade(score=1.5), InvalidScoreError, "score 1.5"),
        (grade(dimension="leakage"), UnknownNameError, "unknown dimension 'leakage'"),
        (grade(case_id=""), InvalidGradeError, "case_id"),
        (grade(rater=" "), InvalidGradeError, "rater"),
        (grade(created_at="yesterday"), InvalidGradeError, "ISO 8601"),
    ],
)
def test_invalid_grade_rejected_and_nothing_written(store, bad, error, words):
    with pytest.raises(error, match=words):
        store.save_many([grade(case_id="ok"), bad])
    assert len(store) == 0
    with pytest.raises(error):
        store.save(bad)
    assert len(store) == 0


def test_custom_dimensions_and_score_normalisation(tmp_path):
    with FeedbackStore(tmp_path / "c.db", dimensions=["fairness"]) as custom:
        saved = custom.save(grade(dimension="fairness", score=2.0))
        assert saved.score == 2 and isinstance(saved.score, int)
        with pytest.raises(InvalidScoreError, match="it is text"):
            custom.save(grade(dimension="fairness", score="2"))
        with pytest.raises(UnknownNameError):
            custom.save(grade(dimension="data_imputation"))


def test_filters_and_order(store):
    store.save_many(
        [
            grade("b", "model_use", 2, "zoe"),
            grade("a", "model_use", 1, "amy"),
            grade("a", "library_installation", 3, "zoe"),
        ]
    )
    assert [(g.case_id, g.dimension) for g in store.grades()] == [
        ("a", "library_installation"),
        ("a", "model_use"),
        ("b", "model_use"),
    ]
    assert [g.case_id for g in store.grades(rater="zoe", dimension="model_use")] == ["b"]
    assert store.grades(case_id="missing") == []


def test_reopen_persists_and_uses_wal(tmp_path):
    path = tmp_path / "nested" / "dir" / "g.db"
    with FeedbackStore(path) as first:
        first.save(grade())
        with first._locked() as conn:
            assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with FeedbackStore(path) as second:
        assert [g.score for g in second.grades()] == [2]


def test_pickled_store_opens_its_own_connection(store):
    store.save(grade())
    clone = pickle.loads(pickle.dumps(store))
    assert clone.path == store.path and len(clone) == 1
    clone.close()


def test_not_a_database_and_newer_schema(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(FeedbackStoreError, match="cannot open feedback store"):
        FeedbackStore(junk)
    newer = tmp_path / "newer.db"
    with sqlite3.connect(newer) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(FeedbackStoreError, match="newer memalign-nb"):
        FeedbackStore(newer)


def test_import_is_all_or_nothing_and_idempotent(store, tmp_path):
    good = tmp_path / "good.jsonl"
    good.write_text(
        '{"case_id": "a", "dimension": "model_use", "score": 2, "rater": "r",'
        ' "created_at": "2024-01-01T00:00:00Z"}\n'
    )
    assert store.import_jsonl(good) == 1
    assert store.import_jsonl(good) == 0
    assert len(store.history("a", "model_use", "r")) == 1
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"case_id": "b", "dimension": "model_use", "score": 2}\n'
        '{"case_id": "c", "dimension": "model_use", "score": 9}\n'
    )
    with pytest.raises(DatasetError, match=r"bad.jsonl:2: score 9"):
        store.import_jsonl(bad)
    assert [g.case_id for g in store.grades()] == ["a"]


def test_history_export_rebuilds_store(store, tmp_path):
    store.save(grade(score=3, created_at="2024-01-01T00:00:00Z"))
    store.save(grade(score=1, created_at="2024-01-02T00:00:00Z"))
    store.save(grade(case_id="c2", score=0, rater="bob"))
    for suffix, export, load in (
        ("jsonl", store.export_jsonl, "import_jsonl"),
        ("csv", store.export_csv, "import_csv"),
    ):
        path = tmp_path / f"all.{suffix}"
        assert export(path, history=True) == 3
        with FeedbackStore(tmp_path / f"copy-{suffix}.db") as copy:
            assert getattr(copy, load)(path) == 3
            assert copy.grades() == store.grades()
            assert copy.history("c1", "data_imputation", "alice") == store.history(
                "c1", "data_imputation", "alice"
            )
    assert store.export_jsonl(tmp_path / "current.jsonl") == 2


def test_forked_child_does_not_wait_on_a_lock_held_in_the_parent(store):
    held, release = threading.Event(), threading.Event()

    def hold():
        with store._lock:
            held.set()
            release.wait()

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait()
    try:
        run_processes("fork", _write_many, (store, "child", 3))
    finally:
        release.set()
        holder.join()
    assert len(store.grades(rater="child")) == 3


# ---------------------------------------------------------------- files that are not stores


def test_a_store_truncated_to_zero_bytes_is_an_error_not_a_new_store(tmp_path):
    path = tmp_path / "feedback.sqlite"
    with FeedbackStore(path) as opened:
        opened.save(grade())
    path.write_bytes(b"")
    with pytest.raises(FeedbackStoreError, match=r"empty \(0 bytes\)") as info:
        FeedbackStore(path)
    assert info.value.path == str(path)
    assert path.stat().st_size == 0  # left as found, for recovery


def test_a_half_truncated_store_is_named_damaged(tmp_path):
    path = tmp_path / "feedback.sqlite"
    with FeedbackStore(path) as opened:
        opened.save_many([grade(f"c{i}", rationale="x" * 300) for i in range(200)])
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(FeedbackStoreError, match="damaged"), FeedbackStore(path) as reopened:
        reopened.grades()


def test_a_folder_that_cannot_be_made_is_a_store_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(FeedbackStoreError) as info:
        FeedbackStore(blocker / "sub" / "feedback.sqlite")
    assert info.value.path == str(blocker / "sub" / "feedback.sqlite")


class _Failing:
    """A connection whose writes fail as SQLite reports a full disk or I/O error."""

    def __init__(self, conn, name, message):
        self.conn, self.name, self.message = conn, name, message

    def execute(self, sql, *args):
        if sql.startswith("INSERT"):
            error = sqlite3.OperationalError(self.message)
            error.sqlite_errorname = self.name
            raise error
        return self.conn.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self.conn, name)


@pytest.mark.parametrize(
    ("name", "message", "words"),
    [
        ("SQLITE_FULL", "database or disk is full", "the disk is full"),
        ("SQLITE_IOERR_WRITE", "disk I/O error", "the disk failed to read or write"),
        ("SQLITE_READONLY", "attempt to write a readonly database", "read-only"),
    ],
)
def test_a_failing_disk_is_said_in_words(store, name, message, words):
    with store._locked() as conn:
        store._conn = _Failing(conn, name, message)
    with pytest.raises(FeedbackStoreError) as info:
        store.save(grade())
    assert words in str(info.value) and message in str(info.value)
    assert info.value.path == store.path


def test_a_read_only_folder_is_named(tmp_path, monkeypatch):
    path = tmp_path / "feedback.sqlite"
    FeedbackStore(path).close()

    def cannot_open(*args, **kwargs):
        error = sqlite3.OperationalError("unable to open database file")
        error.sqlite_errorname = "SQLITE_CANTOPEN"
        raise error

    monkeypatch.setattr(sqlite3, "connect", cannot_open)
    monkeypatch.setattr(os, "access", lambda *args, **kwargs: False)
    with pytest.raises(FeedbackStoreError, match=f"the folder {tmp_path} is not writable"):
        FeedbackStore(path)


def _open_and_save(path: str, rater: str) -> None:
    with FeedbackStore(path) as opened:
        opened.save(grade(rater=rater))


def test_processes_creating_one_store_at_once_lose_nothing(tmp_path):
    path = str(tmp_path / "new" / "feedback.sqlite")
    run_processes("fork", _open_and_save, *[(path, f"r{i}") for i in range(8)])
    with FeedbackStore(path) as opened:
        assert opened.raters() == tuple(f"r{i}" for i in range(8))
    assert sorted(p.name for p in (tmp_path / "new").iterdir() if not p.name.endswith(
        ("-wal", "-shm"))) == ["feedback.sqlite"]
