"""Tests for memalign_nb.notebooks.outputs: output summaries for judging."""

from __future__ import annotations

import re

import pytest

from memalign_nb.notebooks.outputs import (
    DEFAULT_MAX_CHARS,
    format_size,
    strip_ansi,
    summarise_outputs,
)

MARKER = re.compile(r"\n\[\.\.\. ([\d,]+) characters of output cut \.\.\.\]\n")


def stream(text, name="stdout"):
    return {"output_type": "stream", "name": name, "text": text}


def display(data, output_type="display_data"):
    return {"output_type": output_type, "data": data, "metadata": {}}


def test_stream_text_is_kept_and_lists_of_lines_are_joined():
    text, _ = summarise_outputs([stream(["epoch 1\n", "epoch 2\n"]), stream("done\n")])
    assert text == "epoch 1\nepoch 2\ndone"


def test_stderr_is_marked():
    text, _ = summarise_outputs([stream("FutureWarning: use loc\n", name="stderr")])
    assert text == "[stderr]\nFutureWarning: use loc"


def test_progress_bar_redraws_keep_only_the_final_state():
    bar = "\r  0%|          | 0/3" + "\r 33%|###       | 1/3" + "\r100%|##########| 3/3\n"
    text, _ = summarise_outputs([stream(bar + "accuracy 0.91\n", name="stderr")])
    assert text == "[stderr]\n100%|##########| 3/3\naccuracy 0.91"


def test_windows_line_endings_do_not_erase_lines():
    text, _ = summarise_outputs([stream("a = 1\r\nb = 2\r\n")])
    assert text == "a = 1\nb = 2"


def test_traceback_loses_its_ansi_colours():
    traceback = [
        "\x1b[0;31m-----\x1b[0m",
        "\x1b[0;31mValueError\x1b[0m: Input contains NaN",
    ]
    output = {"output_type": "error", "ename": "ValueError", "evalue": "x", "traceback": traceback}
    text, _ = summarise_outputs([output])
    assert text == "-----\nValueError: Input contains NaN"
    assert "\x1b" not in text


def test_error_without_traceback_shows_name_and_value():
    output = {"output_type": "error", "ename": "KeyError", "evalue": "'Age'", "traceback": []}
    assert summarise_outputs([output])[0] == "KeyError: 'Age'"


@pytest.mark.parametrize(
    "escaped, plain",
    [
        ("\x1b[1;32mgreen\x1b[0m", "green"),
        ("\x1b]8;;https://x.org\x1b\\link\x1b]8;;\x1b\\", "link"),  # OSC hyperlink
        ("\x1b[2Kline", "line"),  # erase line
        ("no escapes [0m here", "no escapes [0m here"),
    ],
)
def test_strip_ansi(escaped, plain):
    assert strip_ansi(escaped) == plain


def test_text_plain_is_preferred_to_html():
    bundle = {"text/html": "<table><tr><td>1</td></tr></table>", "text/plain": "   a\n0  1"}
    text, _ = summarise_outputs([display(bundle, "execute_result")])
    assert text == "   a\n0  1"


def test_image_becomes_a_sized_placeholder_beside_its_text():
    payload = "iVBORw0KGgo" + "A" * (48 * 1024)
    bundle = {"image/png": payload, "text/plain": "<Figure size 640x480 with 1 Axes>"}
    text, original = summarise_outputs([display(bundle)])
    assert text == "[image/png output, 48 KB]\n<Figure size 640x480 with 1 Axes>"
    assert original > len(payload)


@pytest.mark.parametrize(
    "mime, value, label",
    [
        ("text/html", "<div>" + "x" * 2000 + "</div>", "[text/html output, 2 KB]"),
        ("image/svg+xml", "<svg></svg>", "[image/svg+xml output, 11 B]"),
        ("application/javascript", "alert(1)", "[application/javascript output, 8 B]"),
        (
            "application/vnd.jupyter.widget-view+json",
            {"model_id": "abc", "version_major": 2},
            "[widget output, 36 B]",
        ),
    ],
)
def test_rich_output_without_text_becomes_a_placeholder(mime, value, label):
    assert summarise_outputs([display({mime: value})])[0] == label


def test_markdown_result_counts_as_text():
    assert summarise_outputs([display({"text/markdown": "**R2 = 0.8**"})])[0] == "**R2 = 0.8**"


def test_unknown_and_malformed_outputs_are_named_not_dropped():
    text, _ = summarise_outputs([{"output_type": "clear_output"}, "not an output"])
    assert text == "[clear_output output]\n[str output]"


def test_outputs_keep_their_order():
    outputs = [stream("first\n"), display({"image/png": "AAAA"}), stream("last\n")]
    assert summarise_outputs(outputs)[0] == "first\n[image/png output, 4 B]\nlast"


def test_original_bytes_follow_the_stored_size():
    small = summarise_outputs([stream("x" * 10)])[1]
    large = summarise_outputs([stream("x" * 10_010)])[1]
    assert large - small == 10_000
    assert summarise_outputs([])[1] == 0
    # non-ASCII text is counted in UTF-8 bytes, as the file stores it
    assert summarise_outputs([stream("é" * 10)])[1] - small == 10


def test_long_output_keeps_head_and_tail_within_budget():
    lines = [f"epoch {i}: loss {1 / (i + 1):.4f}" for i in range(20_000)]
    original = "\n".join(lines)
    text, _ = summarise_outputs([stream(original + "\n")])
    assert len(text) <= DEFAULT_MAX_CHARS
    assert text.startswith("epoch 0: loss 1.0000")
    assert text.endswith(lines[-1])  # the final metrics survive
    (cut,) = MARKER.findall(text)
    kept = len(MARKER.sub("", text))
    assert int(cut.replace(",", "")) == len(original) - kept


@pytest.mark.parametrize("max_chars", [60, 61, 100, 999, 1000, 1001, 4000])
@pytest.mark.parametrize("length", [999, 1000, 1001, 5000, 123_456])
def test_trimmed_length_never_exceeds_the_budget(max_chars, length):
    original = "".join(chr(97 + i % 26) for i in range(length))
    text, _ = summarise_outputs([stream(original)], max_chars=max_chars)
    assert len(text) <= max_chars
    if length <= max_chars:
        assert text == original
    else:
        (cut,) = MARKER.findall(text)
        assert int(cut.replace(",", "")) + len(MARKER.sub("", text)) == length


def test_budget_smaller_than_the_marker_gives_the_marker_alone():
    text, _ = summarise_outputs([stream("y" * 500)], max_chars=10)
    assert MARKER.fullmatch(text)
    assert "y" not in text


def test_negative_budget_is_refused():
    with pytest.raises(ValueError, match="max_chars"):
        summarise_outputs([stream("x")], max_chars=-1)


@pytest.mark.parametrize(
    "n_bytes, words",
    [
        (0, "0 B"),
        (1023, "1023 B"),
        (1024, "1 KB"),
        (48 * 1024 + 100, "48 KB"),
        (1024 * 1024 * 6 // 5, "1.2 MB"),
    ],
)
def test_format_size(n_bytes, words):
    assert format_size(n_bytes) == words
