"""Test helpers that ship with memalign-nb: a loopback OpenAI-compatible server.

Used by the package's own tests and benchmarks, and by users who test pipelines built on
LLM judges without a network. Judge-level doubles live in :mod:`memalign_nb.judges.scripted`.
"""

from memalign_nb.testing.openai_server import DEFAULT_REPLY, FakeOpenAIServer, ServerReply

__all__ = ["DEFAULT_REPLY", "FakeOpenAIServer", "ServerReply"]
