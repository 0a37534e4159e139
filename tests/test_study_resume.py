"""Resuming an interrupted study: ``memalign-nb study`` stopped by SIGINT, then SIGKILL.

Every run is the real command in a subprocess, with an LLM judge (``openai:bench``)
against one loopback :class:`~memalign_nb.testing.FakeOpenAIServer` in this process (one
``base_url``, so the runs share cache keys), 50 ms of latency per call and two calls in
flight. The study is interrupted twice, by SIGINT (Ctrl-C: in-flight calls finish and are
cached) and by SIGKILL (in-flight calls are lost), then run to the end. Its
``results.json`` must equal an uninterrupted run's (but for timings, dates and cache
counts), and no finished judgment may be requested again.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from memalign_nb.datasets import generate_dataset
from memalign_nb.testing import FakeOpenAIServer

pytest.importorskip(
    "langchain_openai",
    reason="langchain-openai is missing: the whole file needs the dev extra, "
    "pip install -e '.[dev]'",
)
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
CONCURRENCY = 2
VOLATILE = ("created_at", "timings", "usage", "environment")
"""``results.json`` keys that differ between any two runs (wall times, cache hits)."""


def _loopback_reply() -> Any:
    spec = importlib.util.spec_from_file_location("bench_common", REPO / "bench" / "_common.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.judge_reply


def _command(dataset: Path, out: Path, cache: Path, base_url: str) -> list[str]:
    return [
        sys.executable, "-m", "memalign_nb", "study", str(dataset),
        "--model", "openai:bench", "--base-url", base_url, "--cache-dir", str(cache),
        "--out", str(out), "--folds", "2", "--bootstrap", "200",
        "--variants", "baseline", "full", "--dimensions", "data_imputation", "model_training",
        "--concurrency", str(CONCURRENCY), "--no-mlflow", "--no-progress",
    ]


def _env() -> dict[str, str]:
    return {**os.environ, "OPENAI_API_KEY": "dummy", "NO_PROXY": "127.0.0.1,localhost"}


def _interrupt(command: list[str], server: FakeOpenAIServer, after: int, sig: int) -> int:
    """Start ``command``; once the server has seen ``after`` requests, send ``sig``."""
    process = subprocess.Popen(command, env=_env(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while server.request_count < after:
        assert process.poll() is None, f"finished before it was interrupted: {process.stderr}"
        assert time.monotonic() < deadline, "the study made no progress"
        time.sleep(0.02)
    process.send_signal(sig)
    try:
        process.communicate(timeout=120)
    finally:
        process.kill()
    return process.returncode


def _stable(results: Path) -> dict[str, Any]:
    data = json.loads(results.read_text(encoding="utf-8"))
    return {key: value for key, value in data.items() if key not in VOLATILE}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("resume")
    dataset = generate_dataset(root / "dataset", 16, seed=7)
    with FakeOpenAIServer(_loopback_reply(), latency=0.05) as server:
        reference = subprocess.run(
            _command(dataset, root / "reference", root / "reference-cache", server.base_url),
            env=_env(), capture_output=True, text=True, timeout=600,
        )
        assert reference.returncode == 0, reference.stderr
        total = server.request_count
        server.reset()
        command = _command(dataset, root / "resumed", root / "cache", server.base_url)
        codes = [_interrupt(command, server, total // 3, signal.SIGINT)]
        after_sigint = server.request_count
        codes.append(_interrupt(command, server, after_sigint + total // 3, signal.SIGKILL))
        after_sigkill = server.request_count
        final = subprocess.run(command, env=_env(), capture_output=True, text=True, timeout=600)
        assert final.returncode == 0, final.stderr
        prompts = Counter(json.dumps(r["messages"], sort_keys=True) for r in server.requests)
    return {
        "root": root, "total": total, "codes": codes, "after_sigint": after_sigint,
        "after_sigkill": after_sigkill, "requests": server.request_count,
        "repeated": sum(n - 1 for n in prompts.values()), "final": final,
    }


def test_both_interruptions_stopped_the_study_midway(runs: dict[str, Any]) -> None:
    assert all(code != 0 for code in runs["codes"])
    assert runs["codes"][1] == -signal.SIGKILL
    assert 0 < runs["after_sigint"] < runs["after_sigkill"] < runs["total"]


def test_the_resumed_study_has_the_uninterrupted_results(runs: dict[str, Any]) -> None:
    root = runs["root"]
    resumed = _stable(root / "resumed" / "results.json")
    assert resumed == _stable(root / "reference" / "results.json")
    reference_rows = (root / "reference" / "judgments.jsonl").read_text().splitlines()
    resumed_rows = (root / "resumed" / "judgments.jsonl").read_text().splitlines()

    def verdicts(rows: list[str]) -> list[tuple]:
        parsed = [json.loads(row) for row in rows]
        return sorted((r["variant"], r["case_id"], r["dimension"], r["score"], r["rationale"])
                      for r in parsed)

    assert verdicts(resumed_rows) == verdicts(reference_rows)
    assert len(resumed_rows) == 2 * 16 * 2  # variants x cases x dimensions, all scored
    assert None not in {json.loads(row)["score"] for row in resumed_rows}


def test_finished_judgments_were_not_requested_again(runs: dict[str, Any]) -> None:
    # Only calls cut short are asked again: those in flight when SIGKILL struck (at most
    # one per thread) and a reflection call SIGINT interrupted in the main thread; the
    # judgments in flight at SIGINT finish and are cached.
    assert runs["repeated"] <= CONCURRENCY + 1
    assert runs["requests"] <= runs["total"] + CONCURRENCY + 1
    usage = json.loads((runs["root"] / "resumed" / "results.json").read_text())["usage"]
    assert usage["model_calls"] < usage["judgments"]
    assert usage["cache_hits"] == usage["judgments"] - usage["model_calls"]
