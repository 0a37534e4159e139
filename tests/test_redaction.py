"""Tests for memalign_nb.redaction: one rule keeps secrets out of what is written."""

from __future__ import annotations

import json

import pytest

from memalign_nb.redaction import REDACTED, is_secret_key, redact, scrub_value, secret_paths

KEY = "k-0123456789abcdef"


@pytest.mark.parametrize(("key", "secret"), [
    ("api_key", True), ("api-key", True), ("apiKey", True), ("X-Api-Key", True), ("key", True),
    ("access_token", True), ("Authorization", True), ("client_secret", True),
    ("credentials", True), ("Cookie", True), ("db_password", True), ("api_keys", True),
    ("max_tokens", False), ("keyword", False), ("author", False), ("tokenizer", False),
    ("monkey", False), ("k", False), (3, False),
])
def test_secret_key_names(key, secret):
    assert is_secret_key(key) is secret


NESTED = {
    "default_headers": {"api-key": KEY, "User-Agent": "memalign"},
    "default_query": {"key": KEY, "api-version": "1"},
    "deep": [{"a": {"b": ({"token": KEY}, "plain")}}],
    "base_url": f"https://user:{KEY}@gateway.local/v1?sig={KEY}&x=1",
    "max_tokens": 50,
}


def test_redact_replaces_secrets_at_every_depth():
    clean = redact(NESTED)
    assert KEY not in json.dumps(clean)
    assert clean["default_headers"] == {"api-key": REDACTED, "User-Agent": REDACTED}
    assert clean["default_query"] == {"key": REDACTED, "api-version": "1"}
    assert clean["deep"] == [{"a": {"b": ({"token": REDACTED}, "plain")}}]
    assert clean["base_url"] == f"https://{REDACTED}@gateway.local/v1?sig={REDACTED}&x=1"
    assert clean["max_tokens"] == 50
    assert NESTED["default_query"]["key"] == KEY  # a copy: the input is unchanged


def test_redact_can_drop_secrets_instead():
    clean = redact(NESTED, placeholder=None)
    assert KEY not in json.dumps(clean)
    assert "default_headers" not in clean and clean["default_query"] == {"api-version": "1"}
    assert clean["deep"] == [{"a": {"b": ({}, "plain")}}]


def test_secret_paths_say_where_the_secrets_were():
    assert secret_paths(NESTED) == ["default_headers.api-key", "default_headers.User-Agent",
                                    "default_query.key", "deep.0.a.b.0.token", "base_url"]


def test_values_that_look_like_secrets_are_scrubbed_anywhere():
    text = "use sk-proj-abcdefghijklmnop1234 or Bearer eyJhbGciOi.x.y with hf_" + "a" * 24
    assert scrub_value(text) == f"use {REDACTED} or {REDACTED} with {REDACTED}"
