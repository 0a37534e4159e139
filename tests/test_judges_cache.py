"""Tests of memalign_nb.judges.cache: the on-disk judgment cache."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from memalign_nb.judges.base import Judgment
from memalign_nb.judges.cache import JudgmentCache, cache_key

MESSAGES = (("system", "rubric"), ("human", "section"))


def _judgment(score: int | None = 2, **changes: object) -> Judgment:
    values: dict = dict(
        case_id="c1",
        dimension="model_use",
        score=score,
        rationale="ok",
        judge_id="openai:m",
        prompt_tokens=10,
        completion_tokens=3,
        metadata={"model_calls": 1},
    )
    values.update(changes)
    return Judgment(**values)


def test_key_depends_on_model_messages_and_params() -> None:
    base = cache_key("openai:m", MESSAGES, {"temperature": 0})
    assert base == cache_key("openai:m", list(MESSAGES), {"temperature": 0})
    assert len(base) == 64 and int(base, 16) >= 0
    assert base != cache_key("openai:other", MESSAGES, {"temperature": 0})
    assert base != cache_key(
        "openai:m", (("system", "rubric"), ("human", "section!")), {"temperature": 0}
    )
    assert base != cache_key("openai:m", MESSAGES[::-1], {"temperature": 0})
    assert base != cache_key("openai:m", MESSAGES, {"temperature": 0.7})


def test_put_then_get_round_trips_and_marks_cached(tmp_path: Path) -> None:
    cache = JudgmentCache(tmp_path / "cache")
    key = cache_key("openai:m", MESSAGES)
    assert cache.get(key) is None and len(cache) == 0
    assert cache.put(key, _judgment(metadata={"model_calls": 1, "cell_indices": [1, 2]}))
    hit = cache.get(key)
    assert hit is not None and hit.cached
    assert (hit.score, hit.rationale, hit.prompt_tokens) == (2, "ok", 10)
    assert hit.metadata["cell_indices"] == [1, 2]
    assert key in cache and len(cache) == 1
    assert (tmp_path / "cache" / key[:2] / f"{key}.json").is_file()


def test_failures_are_never_stored(tmp_path: Path) -> None:
    cache = JudgmentCache(tmp_path)
    key = cache_key("openai:m", MESSAGES)
    assert not cache.put(key, _judgment(None, error="model call failed: timeout"))
    assert cache.get(key) is None and len(cache) == 0


def test_unreadable_entry_is_a_miss_and_is_overwritten(tmp_path: Path, caplog) -> None:
    cache = JudgmentCache(tmp_path)
    key = cache_key("openai:m", MESSAGES)
    path = tmp_path / key[:2] / f"{key}.json"
    path.parent.mkdir(parents=True)
    path.write_text('{"case_id": "c1", "dimen')
    assert cache.get(key) is None
    assert "unreadable" in caplog.text
    cache.put(key, _judgment(3))
    assert cache.get(key).score == 3


def test_bad_keys_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="hex digest"):
        JudgmentCache(tmp_path).get("../../etc/passwd")


def test_clear_removes_every_entry(tmp_path: Path) -> None:
    cache = JudgmentCache(tmp_path)
    for i in range(5):
        cache.put(cache_key("m", (("human", str(i)),)), _judgment())
    assert len(cache) == 5
    assert cache.clear() == 5 and len(cache) == 0


def test_concurrent_threads_share_a_cache(tmp_path: Path) -> None:
    cache = JudgmentCache(tmp_path)
    keys = [cache_key("m", (("human", str(i % 20)),)) for i in range(200)]

    def work(index: int) -> int | None:
        cache.put(keys[index], _judgment(index % 4, rationale=str(index % 20)))
        hit = cache.get(keys[index])
        return None if hit is None else hit.score

    with ThreadPoolExecutor(8) as pool:
        scores = list(pool.map(work, range(200)))
    assert None not in scores
    assert len(cache) == 20
    assert not list(tmp_path.rglob("*.tmp"))


def _write_many(args: tuple[str, int]) -> int:
    directory, worker = args
    cache = JudgmentCache(directory)
    for i in range(40):
        key = cache_key("m", (("human", str(i)),))
        cache.put(key, _judgment(i % 4, rationale=f"item {i}", metadata={"worker": worker}))
        assert cache.get(key).rationale == f"item {i}"
    return worker


def test_several_processes_write_the_same_keys(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    with context.Pool(3) as pool:
        assert sorted(pool.map(_write_many, [(str(tmp_path), w) for w in range(3)])) == [0, 1, 2]
    cache = JudgmentCache(tmp_path)
    assert len(cache) == 40
    for i in range(40):
        hit = cache.get(cache_key("m", (("human", str(i)),)))
        assert hit.score == i % 4 and hit.metadata["worker"] in (0, 1, 2)
    assert not list(tmp_path.rglob("*.tmp"))


def _llm_string(**settings: object) -> str:
    openai = pytest.importorskip("langchain_openai")
    options = {"model": "m", "api_key": "k", "base_url": "http://127.0.0.1:9/v1", **settings}
    return openai.ChatOpenAI(**options)._get_llm_string()


def test_response_cache_ignores_transport_settings_only(tmp_path: Path) -> None:
    from langchain_core.messages import AIMessage
    from langchain_core.outputs import ChatGeneration

    from memalign_nb.judges.cache import response_cache

    cache = response_cache(tmp_path)
    first = _llm_string(timeout=60, max_retries=3)
    cache.update("prompt", first, [ChatGeneration(message=AIMessage("guideline"))])
    again = cache.lookup("prompt", _llm_string(timeout=0.5, max_retries=0))
    assert again is not None and again[0].message.content == "guideline"
    assert cache.lookup("other prompt", first) is None
    assert cache.lookup("prompt", _llm_string(timeout=60, max_retries=3, temperature=0.7)) is None
    assert cache.lookup("prompt", _llm_string(timeout=60, max_retries=3, model="n")) is None
    assert cache.lookup("prompt", "not a serialized model") is None
