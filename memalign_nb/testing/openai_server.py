"""A loopback OpenAI-compatible chat server, for tests and benchmarks of LLM judges.

:class:`FakeOpenAIServer` listens on 127.0.0.1 at a random free port and answers
``POST /v1/chat/completions`` (and ``/chat/completions``) the way the OpenAI API does,
enough for the ``openai`` client and ``langchain-openai``: plain replies, tool calls
(``tools`` / ``tool_choice``, the ``function_calling`` structured-output method),
``response_format`` JSON schemas (the ``json_schema`` method), token usage, and errors
with ``Retry-After`` headers that the client's own retry machinery honours. It also
answers ``POST /v1/embeddings`` (float or base64 vectors; text or token-id inputs) with a
local embedder, so clients that embed through an endpoint (LiteLLM, ``OpenAIEmbeddings``)
run against it too.

What each request gets, in order of precedence:

1. the next scripted reply queued with :meth:`FakeOpenAIServer.script`;
2. else an injected fault, drawn with probability ``fault_rate`` from a seeded generator;
3. else ``responder(request_json)``.

A reply is a string (the message content), a mapping (a structured reply: sent as the
forced tool's arguments when the request binds tools, else as JSON content), or a
:class:`ServerReply` for full control (status codes, delays, raw bodies).

>>> from langchain_openai import ChatOpenAI                        # doctest: +SKIP
>>> with FakeOpenAIServer() as server:                              # doctest: +SKIP
...     server.script("hello")
...     ChatOpenAI(model="m", base_url=server.base_url, api_key="x").invoke("hi").content
'hello'
"""

from __future__ import annotations

import base64
import json
import logging
import random
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

logger = logging.getLogger(__name__)

Responder = Callable[[dict[str, Any]], Any]
"""``request_json -> reply`` (a string, a mapping or a :class:`ServerReply`)."""

DEFAULT_REPLY: Mapping[str, Any] = {"score": 2, "rationale": "default reply of FakeOpenAIServer"}
"""What the default responder answers: a valid judge reply."""

_CHAT_PATHS = ("/v1/chat/completions", "/chat/completions")
_EMBEDDING_PATHS = ("/v1/embeddings", "/embeddings")

Embedder = Callable[[list[str]], list[list[float]]]
"""``texts -> vectors``, what answers ``/v1/embeddings``."""


@dataclass(frozen=True)
class ServerReply:
    """One scripted HTTP response.

    Attributes
    ----------
    content : str or None
        The assistant message text.
    structured : Mapping or None
        A structured reply: the forced tool's arguments when the request binds tools,
        else JSON content.
    tool_arguments : str or None
        Raw tool-call arguments (may be malformed JSON), sent as a call of the request's
        first tool.
    status : int
        HTTP status; anything but 200 sends an OpenAI-style error body.
    retry_after : float or None
        Seconds for the ``Retry-After`` / ``retry-after-ms`` headers of an error.
    delay : float
        Seconds to wait before answering (longer than the client's timeout = a timeout).
    body : bytes or None
        A raw response body sent as is with ``status`` (for garbage replies).
    usage : tuple of (int, int) or None
        ``(prompt_tokens, completion_tokens)``; estimated from the text when None.
    """

    content: str | None = None
    structured: Mapping[str, Any] | None = None
    tool_arguments: str | None = None
    status: int = 200
    retry_after: float | None = None
    delay: float = 0.0
    body: bytes | None = None
    usage: tuple[int, int] | None = None

    @classmethod
    def error(cls, status: int, *, retry_after: float | None = None) -> ServerReply:
        """An HTTP error (429 rate limit, 500/503 server error, 400 bad request ...)."""
        return cls(status=status, retry_after=retry_after)

    @classmethod
    def garbage(cls) -> ServerReply:
        """A 200 response whose body is not JSON."""
        return cls(body=b"<html>upstream proxy error</html>")


class FakeOpenAIServer:
    """A threaded loopback server that speaks the OpenAI chat-completions protocol.

    Parameters
    ----------
    responder : callable, optional
        ``request_json -> reply`` for unscripted requests; by default every request gets
        :data:`DEFAULT_REPLY`.
    latency : float or (float, float)
        Added seconds per request: fixed, or uniform in a range (seeded).
    fault_rate : float
        Probability that an unscripted request fails with ``fault_status`` (seeded).
    fault_status : int
        Status of injected faults (500, or 429 to exercise rate-limit handling).
    fault_retry_after : float or None
        ``Retry-After`` seconds sent with injected faults.
    seed : int
        Seed of the latency and fault draws.
    model : str
        Model name echoed in responses.
    embedder : callable, optional
        ``texts -> vectors`` for ``/v1/embeddings``; by default the local
        :class:`~memalign_nb.memory.embeddings.HashingEmbeddings` (token-id inputs are
        embedded as their decimal text). Latency applies; faults and scripts do not.

    Attributes
    ----------
    requests : list of dict
        Every request body received on a chat path, in arrival order.
    embedding_requests : list of dict
        Every request body received on an embeddings path, in arrival order.
    """

    def __init__(
        self,
        responder: Responder | None = None,
        *,
        latency: float | tuple[float, float] = 0.0,
        fault_rate: float = 0.0,
        fault_status: int = 500,
        fault_retry_after: float | None = None,
        seed: int = 0,
        model: str = "fake-model",
        embedder: Embedder | None = None,
    ) -> None:
        if not 0.0 <= fault_rate <= 1.0:
            raise ValueError(f"fault_rate must be within [0, 1], got {fault_rate}")
        self.responder = responder or (lambda request: dict(DEFAULT_REPLY))
        self.latency = latency
        self.fault_rate = fault_rate
        self.fault_status = fault_status
        self.fault_retry_after = fault_retry_after
        self.model = model
        self.embedder = embedder
        self.requests: list[dict[str, Any]] = []
        self.embedding_requests: list[dict[str, Any]] = []
        self._rng = random.Random(seed)
        self._script: deque[Any] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> FakeOpenAIServer:
        """Start serving in a background thread; returns self."""
        if self._httpd is not None:
            return self
        handler = type("Handler", (_Handler,), {"fake": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-openai-server",
            daemon=True,
        )
        self._thread.start()
        logger.debug("FakeOpenAIServer listening on %s", self.base_url)
        return self

    def stop(self) -> None:
        """Stop serving; delayed responses in flight are cut short."""
        if self._httpd is None:
            return
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- addresses and records ----------------------------------------------------------

    @property
    def port(self) -> int:
        """The bound port (the server must be started)."""
        if self._httpd is None:
            raise RuntimeError("FakeOpenAIServer is not running; call start() first")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/v1``, what ``base_url=`` of an OpenAI client takes."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def request_count(self) -> int:
        """How many chat requests arrived (retries included)."""
        with self._lock:
            return len(self.requests)

    def script(self, *replies: Any) -> None:
        """Queue replies for the next requests, one each, before faults and the responder."""
        with self._lock:
            self._script.extend(replies)

    @property
    def embedding_count(self) -> int:
        """How many embeddings requests arrived."""
        with self._lock:
            return len(self.embedding_requests)

    def reset(self) -> None:
        """Forget recorded requests and any replies still queued."""
        with self._lock:
            self.requests.clear()
            self.embedding_requests.clear()
            self._script.clear()

    def prompts(self) -> list[str]:
        """Each recorded request's messages joined as ``role: content`` lines."""
        with self._lock:
            bodies = list(self.requests)
        return [
            "\n".join(f"{m.get('role')}: {_text(m.get('content'))}" for m in body["messages"])
            for body in bodies
        ]

    # -- answering ------------------------------------------------------------------------

    def _next_reply(self, request: dict[str, Any]) -> tuple[Any, float]:
        """Record ``request``; return its reply and the latency to add."""
        with self._lock:
            self.requests.append(request)
            scripted = self._script.popleft() if self._script else None
            latency = self._draw_latency()
            fault = scripted is None and self._rng.random() < self.fault_rate
        if scripted is not None:
            return scripted, latency
        if fault:
            return ServerReply.error(self.fault_status, retry_after=self.fault_retry_after), latency
        return self.responder(request), latency

    def _embeddings(self, request: dict[str, Any]) -> dict[str, Any]:
        """The embeddings JSON for a request (its ``input`` validated by the caller)."""
        with self._lock:
            self.embedding_requests.append(request)
            if self.embedder is None:
                from memalign_nb.memory.embeddings import HashingEmbeddings

                self.embedder = HashingEmbeddings().embed_documents
            embedder = self.embedder
        texts = _embedding_texts(request["input"])
        vectors = embedder(texts)
        as_base64 = request.get("encoding_format") == "base64"
        data = [
            {"object": "embedding", "index": i,
             "embedding": _base64_floats(vector) if as_base64 else list(map(float, vector))}
            for i, vector in enumerate(vectors)
        ]
        tokens = sum(_estimate_tokens(text) for text in texts)
        return {"object": "list", "data": data, "model": request.get("model") or self.model,
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}

    def _draw_latency(self) -> float:
        """Seconds to add to one answer (the caller holds the lock)."""
        if isinstance(self.latency, tuple):
            return self._rng.uniform(*self.latency)
        return float(self.latency)

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)

    def _completion(self, request: dict[str, Any], reply: ServerReply) -> dict[str, Any]:
        """The chat.completion JSON for a 200 reply."""
        tools = request.get("tools") or []
        message: dict[str, Any] = {"role": "assistant", "content": reply.content}
        arguments = reply.tool_arguments
        if reply.structured is not None:
            if tools and request.get("tool_choice") != "none":
                arguments = json.dumps(dict(reply.structured))
            else:
                message["content"] = json.dumps(dict(reply.structured))
        finish = "stop"
        if arguments is not None and tools:
            message["content"] = None
            message["tool_calls"] = [
                {
                    "id": f"call_{uuid.uuid4().hex[:12]}",
                    "type": "function",
                    "function": {"name": _tool_name(request), "arguments": arguments},
                }
            ]
            finish = "tool_calls"
        completion_text = (message.get("content") or "") + (arguments or "")
        prompt_tokens, completion_tokens = reply.usage or (
            _estimate_tokens(" ".join(_text(m.get("content")) for m in request["messages"])),
            _estimate_tokens(completion_text),
        )
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:16]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request.get("model") or self.model,
            "choices": [
                {"index": 0, "message": message, "finish_reason": finish, "logprobs": None}
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }


def _as_reply(value: Any) -> ServerReply:
    if isinstance(value, ServerReply):
        return value
    if isinstance(value, Mapping):
        return ServerReply(structured=value)
    return ServerReply(content=str(value))


def _tool_name(request: Mapping[str, Any]) -> str:
    choice = request.get("tool_choice")
    if isinstance(choice, Mapping):
        name = choice.get("function", {}).get("name")
        if name:
            return str(name)
    return str(request["tools"][0]["function"]["name"])


def _text(content: Any) -> str:
    """Message content as text (OpenAI content may be a list of parts)."""
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, Mapping))
    return "" if content is None else str(content)


def _embedding_texts(value: Any) -> list[str]:
    """The ``input`` of an embeddings request as texts (token ids as decimal text)."""
    items = [value] if isinstance(value, str) or (
        isinstance(value, list) and value and isinstance(value[0], int)) else value
    if not isinstance(items, list) or not items:
        raise ValueError("'input' must be a string, a list of strings or of token-id lists")
    texts = []
    for item in items:
        if isinstance(item, str):
            texts.append(item)
        elif isinstance(item, list) and all(isinstance(t, int) for t in item):
            texts.append(" ".join(map(str, item)))
        else:
            raise ValueError(f"'input' item of type {type(item).__name__} is not text or tokens")
    return texts


def _base64_floats(vector: Any) -> str:
    """A vector as the base64 of little-endian float32s (``encoding_format="base64"``)."""
    import numpy as np

    return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode("ascii")


def _estimate_tokens(text: str) -> int:
    """About four characters per token, at least one."""
    return max(1, (len(text) + 3) // 4)


class _Handler(BaseHTTPRequestHandler):
    """Request handler; ``fake`` is set on a per-server subclass."""

    fake: FakeOpenAIServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle's algorithm on, a keep-alive client's
    # delayed ACK would hold the body back about 40 ms on every call.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        if self.path.rstrip("/") in ("/v1/models", "/models"):
            self._send_json(
                200,
                {
                    "object": "list",
                    "data": [{"id": self.fake.model, "object": "model", "owned_by": "memalign-nb"}],
                },
            )
        else:
            self._send_error(404, f"no route {self.path}")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        path = self.path.split("?")[0].rstrip("/")
        if path in _EMBEDDING_PATHS:
            self._answer_embeddings(raw)
            return
        if path not in _CHAT_PATHS:
            self._send_error(404, f"no route {self.path}")
            return
        try:
            request = json.loads(raw or b"{}")
            if not isinstance(request.get("messages"), list):
                raise ValueError("'messages' must be a list")
        except ValueError as exc:
            self._send_error(400, f"invalid request body: {exc}")
            return
        if request.get("stream"):
            self._send_error(400, "FakeOpenAIServer does not stream; call without stream")
            return
        value, latency = self.fake._next_reply(request)
        reply = _as_reply(value)
        self.fake._wait(latency + reply.delay)
        if reply.body is not None:
            self._send(reply.status, reply.body, "text/html")
        elif reply.status != 200:
            self._send_error(reply.status, f"scripted error {reply.status}", reply.retry_after)
        else:
            self._send_json(200, self.fake._completion(request, reply))

    def _answer_embeddings(self, raw: bytes) -> None:
        try:
            request = json.loads(raw or b"{}")
            _embedding_texts(request.get("input"))
        except (ValueError, AttributeError) as exc:
            self._send_error(400, f"invalid request body: {exc}")
            return
        with self.fake._lock:
            latency = self.fake._draw_latency()
        self.fake._wait(latency)
        self._send_json(200, self.fake._embeddings(request))

    def _send_error(self, status: int, message: str, retry_after: float | None = None) -> None:
        kind = "rate_limit_error" if status == 429 else "server_error"
        headers = {}
        if retry_after is not None:
            headers = {
                "Retry-After": f"{retry_after:g}",
                "retry-after-ms": str(int(retry_after * 1000)),
            }
        self._send_json(
            status, {"error": {"message": message, "type": kind, "code": status}}, headers
        )

    def _send_json(
        self, status: int, payload: Any, headers: Mapping[str, str] | None = None
    ) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json", headers)

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            logger.debug("client went away before the response (timed out)")
