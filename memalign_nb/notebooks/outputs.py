"""Summarise a code cell's outputs as short text a judge can read.

Outputs are evidence (a shape printed, a metric, a traceback), not something to paste into a
prompt whole: a notebook full of plots can weigh tens of megabytes. :func:`summarise_outputs`
keeps text (streams, ``text/plain`` results, tracebacks without ANSI colour codes), replaces
images and other rich data by a placeholder such as ``[image/png output, 48 KB]``, and trims
the result to a character budget, keeping its beginning and its end (the end of a training
log holds the final metrics).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping

logger = logging.getLogger(__name__)

DEFAULT_MAX_CHARS = 1500
"""Default character budget for the output summary of one cell."""

TEXT_MIMES: tuple[str, ...] = ("text/plain", "text/markdown", "text/latex")
"""Mime types kept as text, in order of preference (only the first present is kept)."""

_ANSI_ESCAPE = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves
    r"|\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC: titles, hyperlinks
    r"|[@-Z\\-_])"  # two-character escapes
)
_MIME_LABELS = {"application/vnd.jupyter.widget-view+json": "widget"}


def strip_ansi(text: str) -> str:
    """Remove ANSI terminal escape sequences (colours, cursor moves) from ``text``.

    Parameters
    ----------
    text : str
        Text as a terminal or IPython traceback would print it.

    Returns
    -------
    str
        The same text without escape sequences.
    """
    return _ANSI_ESCAPE.sub("", text)


def summarise_outputs(
    outputs: Iterable[Mapping[str, object]], max_chars: int = DEFAULT_MAX_CHARS
) -> tuple[str, int]:
    """Summarise the outputs of one code cell (nbformat 4 outputs) as short text.

    Parameters
    ----------
    outputs : iterable of mapping
        The cell's ``outputs`` list as nbformat 4 stores it (multi-line strings already
        joined, as :mod:`nbformat`'s reader leaves them; lists of lines are joined here too).
    max_chars : int, default 1500
        Character budget for the summary. Longer text keeps its beginning and its end around
        a marker saying how many characters were cut; the result is at most ``max_chars``
        long unless ``max_chars`` is shorter than the marker itself.

    Returns
    -------
    text : str
        Streams (stderr prefixed ``[stderr]``), text results and tracebacks in output order,
        with images, HTML, widgets and other binary or rich data replaced by placeholders.
    original_bytes : int
        Size of the outputs as compact UTF-8 JSON, i.e. what the file spent on them
        (0 when there are none).

    Raises
    ------
    ValueError
        If ``max_chars`` is negative.
    """
    if max_chars < 0:
        raise ValueError(f"max_chars must be >= 0, got {max_chars}")
    outputs = list(outputs)
    parts = [part for part in (_summarise_one(output) for output in outputs) if part]
    return _trim("\n".join(parts), max_chars), _json_size(outputs) if outputs else 0


def _summarise_one(output: Mapping[str, object]) -> str:
    """One output as text, or a placeholder for what cannot be shown as text."""
    if not isinstance(output, Mapping):
        return f"[{type(output).__name__} output]"
    output_type = output.get("output_type")
    if output_type == "stream":
        text = _apply_carriage_returns(strip_ansi(_join(output.get("text")))).rstrip("\n")
        if text and output.get("name") == "stderr":
            return f"[stderr]\n{text}"
        return text
    if output_type in ("execute_result", "display_data"):
        data = output.get("data")
        return _summarise_bundle(data) if isinstance(data, Mapping) else ""
    if output_type == "error":
        traceback = output.get("traceback")
        lines = (
            [line for line in traceback if isinstance(line, str)]
            if isinstance(traceback, list)
            else []
        )
        if lines:
            return strip_ansi("\n".join(lines)).rstrip("\n")
        return f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"
    return f"[{output_type} output]"


def _summarise_bundle(data: Mapping[str, object]) -> str:
    """A mime bundle as its text form plus image placeholders, or else a placeholder.

    Images get a placeholder even next to a text form: that a plot was drawn is evidence. Other
    rich forms (HTML tables, JavaScript, widgets) only show when no text form exists.
    """
    text_mime = next((mime for mime in TEXT_MIMES if mime in data), None)
    placeholders = [
        _placeholder(mime, value)
        for mime, value in data.items()
        if mime not in TEXT_MIMES and (text_mime is None or mime.startswith("image/"))
    ]
    if text_mime is not None:
        text = strip_ansi(_join(data[text_mime])).rstrip("\n")
        placeholders.append(text)
    return "\n".join(part for part in placeholders if part)


def _placeholder(mime: str, value: object) -> str:
    """``[image/png output, 48 KB]``: what the output was and how much the file held."""
    size = len(value.encode("utf-8")) if isinstance(value, str) else _json_size(value)
    return f"[{_MIME_LABELS.get(mime, mime)} output, {format_size(size)}]"


def format_size(n_bytes: int) -> str:
    """A byte count in words: ``512 B``, ``48 KB``, ``1.2 MB``.

    Parameters
    ----------
    n_bytes : int
        A size in bytes.

    Returns
    -------
    str
        The size with a binary-prefixed unit (1 KB = 1024 bytes).
    """
    if n_bytes < 1024:
        return f"{n_bytes} B"
    if n_bytes < 1024 * 1024:
        return f"{round(n_bytes / 1024)} KB"
    return f"{n_bytes / (1024 * 1024):.1f} MB"


def _trim(text: str, max_chars: int) -> str:
    """``text`` cut to ``max_chars``, keeping its head and tail around a marker."""
    if len(text) <= max_chars:
        return text
    # The marker's length depends on the count it states: shrink what is kept until the
    # marker and the kept text fit together (it converges since ``keep`` only decreases).
    keep = max_chars
    while True:
        marker = f"\n[... {len(text) - keep:,} characters of output cut ...]\n"
        fitting = max(max_chars - len(marker), 0)
        if fitting == keep:
            break
        keep = fitting
    head = (keep + 1) // 2
    tail = keep - head
    return text[:head] + marker + (text[len(text) - tail :] if tail else "")


def _apply_carriage_returns(text: str) -> str:
    """Keep what a terminal would show of lines redrawn with ``\\r`` (progress bars)."""
    if "\r" not in text:
        return text
    lines = []
    for line in text.split("\n"):
        segments = [segment for segment in line.split("\r") if segment]
        lines.append(segments[-1] if segments else "")
    return "\n".join(lines)


def _join(value: object) -> str:
    """A text field that nbformat may store as one string or as a list of lines."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(item for item in value if isinstance(item, str))
    return ""


def _json_size(value: object) -> int:
    """Size of ``value`` as compact UTF-8 JSON."""
    encoded = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return len(encoded.encode("utf-8"))
