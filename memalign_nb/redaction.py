"""Secrets kept out of everything memalign-nb writes: saved judges, caches, MLflow.

One rule, used everywhere a configuration leaves the process (a saved judge's
``config.json``, the judgment cache key, MLflow parameters and tags):

- a key that names a secret, at any depth (``api_key``, ``api-key``, ``key``, ``token``,
  ``secret``, ``password``, ``authorization``, ``credentials``, ``cookie``...), loses its
  value (:func:`is_secret_key`); ``max_tokens`` or ``author`` do not;
- every value of a header mapping (a key ending in ``headers``) is treated as a secret,
  whatever the header's name: gateways accept credentials under any;
- text that looks like a secret is scrubbed wherever it appears: provider keys
  (``sk-...``, ``hf_...``), bearer tokens, credentials in URLs (``user:pass@host``,
  ``?key=...``) (:func:`scrub_value`).

:func:`redact` replaces secret values with :data:`REDACTED` (for records a person reads);
``redact(value, placeholder=None)`` drops them (for configurations that are rebuilt, where
the secret comes back from the environment); :func:`secret_paths` says where they were.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["REDACTED", "is_secret_key", "redact", "scrub_value", "secret_paths"]

REDACTED = "[redacted]"
"""What a secret value is replaced with."""

_SECRET_WORDS = frozenset({
    "auth", "authorization", "credential", "credentials", "bearer", "cookie", "cookies",
    "pwd", "passwd", "passphrase", "signature",
})
_SECRET_ENDINGS = ("key", "keys", "token", "secret", "secrets", "password", "passwords")
_NOT_SECRET = frozenset({"monkey", "turkey", "hotkey"})
_SEGMENT = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_SECRET_VALUE = re.compile(
    r"sk-[A-Za-z0-9_\-]{12,}|(?:ghp|gho|ghs|ghu|github_pat)_[A-Za-z0-9_]{16,}"
    r"|xox[abprs]-[A-Za-z0-9\-]{10,}|AKIA[0-9A-Z]{16}|dapi[0-9a-f]{32}|hf_[A-Za-z0-9]{20,}"
    r"|(?i:bearer)\s+[A-Za-z0-9._~+/=\-]+"
)
_URL_USERINFO = re.compile(r"(?P<scheme>[a-z][a-z0-9+.\-]*://)[^/\s@]+@", re.IGNORECASE)
_URL_SECRET_QUERY = re.compile(
    r"(?P<name>[?&][^=&#\s]*(?:key|token|secret|password|sig|signature)[^=&#\s]*=)[^&#\s]+",
    re.IGNORECASE,
)


def is_secret_key(key: object) -> bool:
    """Whether a key names a secret (``api_key``, ``X-Api-Key``, ``apiKey``, ``token``)."""
    if not isinstance(key, str):
        return False
    words = [w for w in _SEGMENT.split(_CAMEL.sub(r"\1_\2", key).lower()) if w]
    return any(
        word in _SECRET_WORDS or (word.endswith(_SECRET_ENDINGS) and word not in _NOT_SECRET)
        for word in words
    )


def scrub_value(value: str) -> str:
    """``value`` with anything that looks like a secret replaced by :data:`REDACTED`."""
    value = _URL_USERINFO.sub(lambda m: f"{m['scheme']}{REDACTED}@", value)
    value = _URL_SECRET_QUERY.sub(lambda m: f"{m['name']}{REDACTED}", value)
    return _SECRET_VALUE.sub(REDACTED, value)


def redact(value: Any, placeholder: str | None = REDACTED) -> Any:
    """A copy of ``value`` with every secret, at every depth, replaced or dropped.

    Parameters
    ----------
    value : object
        Mappings, lists and tuples are walked; strings are scrubbed (:func:`scrub_value`);
        anything else is kept as it is.
    placeholder : str or None
        What a secret value becomes; None drops the entry (a header mapping left empty is
        dropped too).

    Examples
    --------
    >>> redact({"default_headers": {"api-key": "k1"}, "default_query": {"key": "k2"},
    ...         "max_tokens": 50})
    {'default_headers': {'api-key': '[redacted]'}, 'default_query': {'key': '[redacted]'}, \
'max_tokens': 50}
    """
    if isinstance(value, Mapping):
        clean = {}
        for key, item in value.items():
            if is_secret_key(key):
                if placeholder is not None:
                    clean[key] = placeholder
            elif _is_headers(key, item):
                headers = {} if placeholder is None else dict.fromkeys(item, placeholder)
                if headers:
                    clean[key] = headers
            else:
                clean[key] = redact(item, placeholder)
        return clean
    if isinstance(value, list | tuple):
        return type(value)(redact(item, placeholder) for item in value)
    if isinstance(value, str):
        return scrub_value(value)
    return value


def secret_paths(value: Any, prefix: str = "") -> list[str]:
    """Where :func:`redact` finds secrets in ``value``: dotted paths (``a.headers.api-key``)."""
    return list(_paths(value, prefix))


def _paths(value: Any, prefix: str) -> Iterator[str]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            path = f"{prefix}{key}"
            if is_secret_key(key):
                yield path
            elif _is_headers(key, item):
                yield from (f"{path}.{name}" for name in item)
            else:
                yield from _paths(item, f"{path}.")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _paths(item, f"{prefix}{index}.")
    elif isinstance(value, str) and scrub_value(value) != value:
        yield prefix.rstrip(".")


def _is_headers(key: object, item: object) -> bool:
    return isinstance(key, str) and key.lower().endswith("headers") and isinstance(item, Mapping)
