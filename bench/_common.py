"""Helpers shared by the benchmarks: timing, memory, machine description, loopback replies.

Every bench module exposes ``FIGURES`` (the keys it reports) and ``run(quick) -> dict``;
:mod:`run_all` runs them all. The replies here make
:class:`~memalign_nb.testing.FakeOpenAIServer` answer both memalign-nb's requests and
MLflow's (judge replies and reflection replies, whatever JSON schema the request carries),
deterministically from the prompt, so two runs of the same study get the same answers.
:class:`FaultInjector` turns a share of the requests into rate limits, timeouts and garbage.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import resource
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "real"
RESULTS = REPO / "bench" / "results"

PACKAGES = (
    "memalign-nb", "numpy", "scikit-learn", "nbformat", "chromadb", "langchain-core",
    "langchain-openai", "openai", "mlflow", "dspy", "litellm",
)
"""Packages whose versions the figures record."""

Figures = dict[str, Any]
"""One bench's figures: flat ``key -> number`` (or None with a ``*.skipped`` reason)."""


# -- the machine ------------------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    """CPU, RAM, load, Python and package versions: what the figures depend on."""
    cpu_model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    ram_gb = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = round(int(line.split()[1]) / 1024**2, 1)
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = "not installed"
    return {
        "cpu_model": cpu_model,
        "cpu_count": os.cpu_count(),
        "cpus_usable": usable,
        "ram_gb": ram_gb,
        "load_average_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
    }


def machine_line(info: Mapping[str, Any]) -> str:
    """One line describing the machine, printed above the table."""
    return (
        f"{info['cpu_model']}, {info['cpu_count']} CPUs ({info['cpus_usable']} usable), "
        f"{info['ram_gb']} GB RAM, load {info['load_average_1m']}, Python {info['python']}"
    )


# -- time and memory --------------------------------------------------------------------


@contextlib.contextmanager
def stopwatch() -> Iterator[list[float]]:
    """``with stopwatch() as elapsed: ...`` then ``elapsed[0]`` is the wall time in s."""
    elapsed = [0.0]
    started = time.perf_counter()
    try:
        yield elapsed
    finally:
        elapsed[0] = time.perf_counter() - started


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of ``values``, linear interpolation."""
    import numpy as np

    return float(np.percentile(np.asarray(values, dtype=float), q))


def rss_mb(peak: bool = False) -> float:
    """This process's resident memory now (or its peak so far), in MB.

    Read from ``/proc/self/status`` (``VmRSS``, ``VmHWM``) where there is one: unlike
    ``ru_maxrss``, which Linux carries across ``exec``, so that a child spawned by a large
    parent starts with the parent's peak. Elsewhere ``ru_maxrss`` (for both).
    """
    field = "VmHWM:" if peak else "VmRSS:"
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_main(run: Callable[[bool], Figures], doc: str, quick_help: str) -> int:
    """The command line of one bench module: ``[--quick]``, figures printed as JSON."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=quick_help)
    args = parser.parse_args()
    print(json.dumps(run(args.quick), indent=2))
    return 0


def rounded(figures: Mapping[str, Any], digits: int = 4) -> Figures:
    """``figures`` with floats rounded for the table and the JSON."""
    return {k: round(v, digits) if isinstance(v, float) else v for k, v in figures.items()}


# -- replies of the loopback server -----------------------------------------------------


def request_text(request: Mapping[str, Any], first: int | None = None) -> str:
    """The messages of a chat request (the ``first`` ones, or all) as one text."""
    parts = []
    for message in request.get("messages", [])[:first]:
        content = message.get("content")
        if isinstance(content, list):
            content = "".join(p.get("text", "") for p in content if isinstance(p, Mapping))
        parts.append(content or "")
    return "\n".join(parts)


def request_schema(request: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    """The name and JSON schema the request asks the reply to follow ("" and {} if none)."""
    response_format = request.get("response_format") or {}
    if isinstance(response_format, Mapping) and "json_schema" in response_format:
        spec = response_format["json_schema"]
        return str(spec.get("name", "")), spec.get("schema") or {}
    for tool in request.get("tools") or []:
        function = tool.get("function", {})
        return str(function.get("name", "")), function.get("parameters") or {}
    return "", {}


def judge_reply(request: Mapping[str, Any]) -> dict[str, Any]:
    """A valid reply to any judge or reflection request, decided by the prompt alone.

    A judgment scores 1-3 from a hash of the prompt's first two messages (so different
    sections get different, reproducible scores, and a re-ask gets the first answer); a
    reflection request (a schema with ``guidelines``) gets one guideline, in memalign-nb's
    shape (``text``, ``source_case_ids``) or MLflow's (``guideline_text``,
    ``source_trace_ids``).
    """
    text = request_text(request)
    digest = zlib.crc32(request_text(request, first=2).encode("utf-8"))
    _, schema = request_schema(request)
    properties = schema.get("properties", {})
    if "guidelines" in properties:
        rule = f"Penalise leakage and untested claims (rule {digest % 7})."
        if "guideline_text" in repr(schema):
            return {"guidelines": [{"guideline_text": rule, "source_trace_ids": [0]}]}
        ids = re.search(r"Case ids in this batch: ([^\n]*)\.", text)
        first = ids.group(1).split(", ")[0] if ids else ""
        return {"guidelines": [{"text": rule, "source_case_ids": [first] if first else []}]}
    score = 1 + digest % 3
    rationale = f"Scored {score} by the loopback judge (prompt {digest:08x})."
    if "result" in properties:
        return {"result": score, "rationale": rationale}
    return {"rationale": rationale, "score": score}


class FaultInjector:
    """A responder that fails a share of requests with a mix of faults.

    Whether a request fails depends on its prompt and on how many times that prompt was
    sent before, never on arrival order, so concurrent runs see the same faults. Faults,
    in equal shares: ``429`` (rate limit with a short ``Retry-After``), ``timeout`` (the
    answer comes after the client gave up), ``garbage`` (a 200 whose body is an HTML page)
    and ``nonsense`` (a well-formed completion whose text is not a judgment). Nonsense
    goes to judge requests only: a reflection answer that cannot be read skips its batch
    of feedback by design (:mod:`memalign_nb.memory.distill` warns), which changes what is
    learned instead of failing a judgment; reflection requests get the other three.

    Parameters
    ----------
    rate : float
        Share of requests that fail.
    delay : float
        Seconds a ``timeout`` fault waits before answering (longer than the client's).
    seed : int
        Changes which requests fail.
    responder : callable
        Answers the requests that do not fail.

    Attributes
    ----------
    faults : Counter
        Faults injected so far, by kind.
    """

    KINDS = ("429", "timeout", "garbage", "nonsense")

    def __init__(
        self,
        rate: float = 0.2,
        *,
        delay: float = 2.0,
        seed: int = 0,
        responder: Callable[[Mapping[str, Any]], Any] = judge_reply,
    ) -> None:
        self.rate = rate
        self.delay = delay
        self.seed = seed
        self.responder = responder
        self.faults: Counter[str] = Counter()
        self._sent: Counter[int] = Counter()
        self._lock = threading.Lock()

    def __call__(self, request: Mapping[str, Any]) -> Any:
        from memalign_nb.testing import ServerReply

        key = zlib.crc32(request_text(request).encode("utf-8"))
        with self._lock:
            attempt = self._sent[key]
            self._sent[key] += 1
        draw = zlib.crc32(f"{self.seed}:{key}:{attempt}".encode()) / 2**32
        if draw >= self.rate:
            return self.responder(request)
        _, schema = request_schema(request)
        kinds = self.KINDS[:3] if "guidelines" in schema.get("properties", {}) else self.KINDS
        kind = kinds[int(draw / self.rate * len(kinds))]
        with self._lock:
            self.faults[kind] += 1
        if kind == "429":
            return ServerReply.error(429, retry_after=0.01)
        if kind == "timeout":
            return ServerReply(delay=self.delay, structured=self.responder(request))
        if kind == "garbage":
            return ServerReply.garbage()
        return ServerReply(content="As an AI model I would rather not grade this notebook.")


@contextlib.contextmanager
def loopback_env() -> Iterator[None]:
    """A dummy OpenAI key and no proxy for 127.0.0.1, for the duration of the block."""
    saved = {name: os.environ.get(name) for name in ("OPENAI_API_KEY", "NO_PROXY", "no_proxy")}
    os.environ["OPENAI_API_KEY"] = "dummy"
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
