"""Tests of memalign_nb.testing.openai_server: the loopback OpenAI-compatible server."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from memalign_nb.testing import DEFAULT_REPLY, FakeOpenAIServer, ServerReply

TOOLS = [{"type": "function", "function": {"name": "JudgeReply", "parameters": {}}}]


def _post(
    server: FakeOpenAIServer,
    body: dict[str, Any] | bytes,
    path: str = "/chat/completions",
    timeout: float = 5,
) -> tuple[int, dict[str, str], bytes]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(
        server.base_url + path,
        data=data,
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _chat(text: str = "hi", **extra: Any) -> dict[str, Any]:
    return {"model": "m", "messages": [{"role": "user", "content": text}], **extra}


def _message(raw: bytes) -> dict[str, Any]:
    return json.loads(raw)["choices"][0]["message"]


def test_binds_loopback_on_a_random_port_and_stops() -> None:
    with FakeOpenAIServer() as first, FakeOpenAIServer() as second:
        assert first.base_url.startswith("http://127.0.0.1:")
        assert first.port != second.port
    with pytest.raises(RuntimeError, match="not running"):
        _ = first.port


def test_default_reply_is_a_valid_judgment_as_content_or_tool_call() -> None:
    with FakeOpenAIServer() as server:
        status, _, raw = _post(server, _chat())
        assert status == 200
        assert json.loads(_message(raw)["content"]) == DEFAULT_REPLY
        _, _, raw = _post(
            server,
            _chat(
                tools=TOOLS, tool_choice={"type": "function", "function": {"name": "JudgeReply"}}
            ),
        )
        body = json.loads(raw)
        call = body["choices"][0]["message"]["tool_calls"][0]
        assert body["choices"][0]["finish_reason"] == "tool_calls"
        assert call["function"]["name"] == "JudgeReply"
        assert json.loads(call["function"]["arguments"]) == DEFAULT_REPLY


def test_scripted_replies_come_first_in_order_then_the_responder() -> None:
    seen: list[str] = []

    def responder(request: dict[str, Any]) -> str:
        seen.append(request["messages"][-1]["content"])
        return "echo " + request["messages"][-1]["content"]

    with FakeOpenAIServer(responder) as server:
        server.script(
            "one",
            ServerReply(
                tool_arguments='{"score": 2, "rat',
            ),
            {"score": 1},
        )
        assert _message(_post(server, _chat())[2])["content"] == "one"
        raw_args = _message(_post(server, _chat(tools=TOOLS))[2])
        assert raw_args["tool_calls"][0]["function"]["arguments"] == '{"score": 2, "rat'
        assert json.loads(_message(_post(server, _chat())[2])["content"]) == {"score": 1}
        assert _message(_post(server, _chat("four"))[2])["content"] == "echo four"
        assert seen == ["four"]
        assert server.request_count == 4


def test_errors_carry_retry_after_headers_and_openai_error_bodies() -> None:
    with FakeOpenAIServer() as server:
        server.script(ServerReply.error(429, retry_after=0.25), ServerReply.error(503))
        status, headers, raw = _post(server, _chat())
        assert status == 429
        assert headers["Retry-After"] == "0.25" and headers["retry-after-ms"] == "250"
        assert json.loads(raw)["error"]["type"] == "rate_limit_error"
        status, headers, _ = _post(server, _chat())
        assert status == 503 and "Retry-After" not in headers


def test_garbage_delay_and_bad_requests() -> None:
    with FakeOpenAIServer() as server:
        server.script(ServerReply.garbage(), ServerReply(content="late", delay=0.3))
        status, _, raw = _post(server, _chat())
        assert status == 200 and raw.startswith(b"<html>")
        started = time.perf_counter()
        assert _message(_post(server, _chat())[2])["content"] == "late"
        assert time.perf_counter() - started >= 0.3
        assert _post(server, b"not json")[0] == 400
        assert _post(server, {"messages": "x"})[0] == 400
        assert _post(server, _chat(stream=True))[0] == 400
        assert _post(server, _chat(), path="/completions")[0] == 404
        assert _post(server, {"input": 3}, path="/embeddings")[0] == 400
        assert server.request_count == 2  # only well-formed chat requests are logged


def test_a_client_that_times_out_does_not_break_the_server() -> None:
    with FakeOpenAIServer() as server:
        server.script(ServerReply(content="too late", delay=1.0))
        with pytest.raises(OSError):
            _post(server, _chat(), timeout=0.2)
        assert _message(_post(server, _chat())[2])["content"] == json.dumps(DEFAULT_REPLY)


def test_usage_is_estimated_or_scripted() -> None:
    with FakeOpenAIServer() as server:
        server.script(ServerReply(content="x" * 40), ServerReply(content="y", usage=(7, 5)))
        usage = json.loads(_post(server, _chat("a" * 400))[2])["usage"]
        assert usage == {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110}
        assert json.loads(_post(server, _chat())[2])["usage"]["prompt_tokens"] == 7


def test_fault_rate_is_seeded_and_reproducible() -> None:
    def statuses(seed: int) -> list[int]:
        with FakeOpenAIServer(fault_rate=0.3, fault_status=500, seed=seed) as server:
            return [_post(server, _chat())[0] for _ in range(40)]

    first = statuses(7)
    assert first == statuses(7)
    assert 4 <= first.count(500) <= 20 and first.count(200) + first.count(500) == 40
    assert first != statuses(8)


def test_injected_latency_and_thread_safe_request_log() -> None:
    with FakeOpenAIServer(latency=(0.05, 0.1), seed=1) as server:
        started = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(lambda i: _post(server, _chat(str(i)))[0], range(16)))
        elapsed = time.perf_counter() - started
        assert codes == [200] * 16
        assert server.request_count == 16
        assert sorted(r["messages"][0]["content"] for r in server.requests) == sorted(
            str(i) for i in range(16)
        )
        assert 0.1 <= elapsed < 16 * 0.1  # concurrent, not serial
        assert server.prompts()[0].startswith("user: ")
        server.reset()
        assert server.request_count == 0


def test_models_route_and_invalid_fault_rate() -> None:
    with (
        FakeOpenAIServer(model="judge-1") as server,
        urllib.request.urlopen(server.base_url + "/models", timeout=5) as response,
    ):
        assert json.loads(response.read())["data"][0]["id"] == "judge-1"
    with pytest.raises(ValueError, match="fault_rate"):
        FakeOpenAIServer(fault_rate=1.5)


def test_works_with_the_openai_client() -> None:
    openai = pytest.importorskip("openai")
    with FakeOpenAIServer() as server:
        server.script(ServerReply.error(429, retry_after=0.01), "after retry")
        client = openai.OpenAI(base_url=server.base_url, api_key="dummy", max_retries=2)
        completion = client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hi"}]
        )
        assert completion.choices[0].message.content == "after retry"
        assert server.request_count == 2


def test_embeddings_answer_the_openai_client_in_floats_and_base64() -> None:
    openai = pytest.importorskip("openai")
    from memalign_nb.memory.embeddings import HashingEmbeddings

    expected = HashingEmbeddings().embed_documents(["df.fillna(0)", "model.fit(X, y)"])
    with FakeOpenAIServer() as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0)
        texts = ["df.fillna(0)", "model.fit(X, y)"]
        as_base64 = client.embeddings.create(model="e", input=texts)  # the client's default
        as_floats = client.embeddings.create(model="e", input=texts, encoding_format="float")
        for reply in (as_base64, as_floats):
            assert [d.index for d in reply.data] == [0, 1]
            for got, want in zip(reply.data, expected, strict=True):
                assert got.embedding == pytest.approx(want, abs=1e-6)
        assert as_floats.usage.prompt_tokens > 0
        assert server.embedding_count == 2 and server.request_count == 0


def test_embeddings_through_langchain_and_of_token_ids() -> None:
    langchain_openai = pytest.importorskip("langchain_openai")
    with FakeOpenAIServer(embedder=lambda texts: [[float(len(t)), 1.0] for t in texts]) as server:
        embeddings = langchain_openai.OpenAIEmbeddings(
            model="e", base_url=server.base_url, api_key="x",
            check_embedding_ctx_length=False)  # else tiktoken downloads its encoding
        assert embeddings.embed_documents(["abc", "longer"]) == [[3.0, 1.0], [6.0, 1.0]]
        assert embeddings.embed_query("ab") == [2.0, 1.0]
        status, _, raw = _post(server, {"input": [[101, 7], [5]]}, path="/embeddings")
        assert status == 200  # token ids are embedded as their decimal text
        assert [d["embedding"] for d in json.loads(raw)["data"]] == [[5.0, 1.0], [1.0, 1.0]]
