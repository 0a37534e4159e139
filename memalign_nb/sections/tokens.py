"""Offline token counting: an approximation of OpenAI ``cl100k_base`` counts.

No tokenizer vocabulary may be downloaded at run time (``tiktoken`` fetches its BPE ranks
from the network on first use), so :func:`count_tokens` estimates the count from the text
alone. It is used to size sections against a token budget and to report prompt sizes, where
being within about 15% is enough.

Method
------
1. Split the text exactly as cl100k's pre-tokenizer does (its published regular
   expression, written with :mod:`re` classes: letters are ``[^\\W\\d_]``). BPE never merges
   across these pieces, so their number is a lower bound on the true count.
2. Charge each piece what BPE typically spends on it:

   * a word piece (optional leading space or symbol, then letters): one token per
     camel-case hump (``RandomForestClassifier`` -> Random/Forest/Classifier), plus one per
     further 10 letters of a long hump; non-ASCII letters cost about one token each
     (accented and CJK text splits finely), ASCII letters mixed with them one per 4;
   * digits: one token per group of up to 3 (the pre-tokenizer already groups them);
   * a punctuation run: one token per 3 characters, or per 8 when it repeats one
     character (``=====``, ``#####`` have long merged tokens);
   * a whitespace run (indentation, blank lines): one token.

On samples whose cl100k tokenization is known (see ``tests/test_sections_tokens.py``) the
estimate is exact; on Python code it follows the pre-token count closely, since cl100k
learned most identifiers, keywords and operator pairs as single tokens. No full cl100k
measurement over the corpus was possible offline, so treat counts as estimates.
"""

from __future__ import annotations

import functools
import logging
import re

logger = logging.getLogger(__name__)

_PRETOKEN = re.compile(
    r"'(?i:[sdmt]|ll|ve|re)"
    r"|(?:[^\r\n\w]|_)?+[^\W\d_]++"
    r"|\d{1,3}+"
    r"| ?(?:[^\s\w]|_)++[\r\n]*+"
    r"|\s++$|\s*[\r\n]|\s+(?!\S)|\s",
    re.MULTILINE,
)
"""cl100k_base's pre-tokenizer pattern with ``\\p{L}`` -> ``[^\\W\\d_]``, ``\\p{N}`` -> ``\\d``."""

_HUMP = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+")
_LONG_HUMP = 10
_PUNCT_PER_TOKEN = 3
_REPEAT_PER_TOKEN = 8


def _word_cost(piece: str) -> int:
    letters = piece if piece[0].isalpha() else piece[1:]
    if len(letters) <= _LONG_HUMP and letters.isascii() and letters[1:].islower():
        return 1  # a plain or Capitalised word: the common case, one hump
    if not letters.isascii():
        ascii_letters = sum(1 for ch in letters if ch.isascii())
        return max(1, round(ascii_letters / 4 + (len(letters) - ascii_letters)))
    humps = _HUMP.findall(letters)
    return max(1, sum(1 + (len(h) - 1) // _LONG_HUMP for h in humps))


def _punct_cost(piece: str) -> int:
    core = piece.strip(" \r\n")
    if not core:
        return 1
    per_token = _REPEAT_PER_TOKEN if len(set(core)) == 1 else _PUNCT_PER_TOKEN
    return -(-len(core) // per_token)


@functools.lru_cache(maxsize=1024)  # prompts re-count the same rubrics and examples
def count_tokens(text: str) -> int:
    """Estimate how many cl100k_base tokens ``text`` encodes to, offline.

    Parameters
    ----------
    text : str
        Any text: code, markdown, rendered sections.

    Returns
    -------
    int
        The estimated token count; 0 for the empty string.

    Notes
    -----
    See the module docstring for the method. The estimate is a deterministic function
    of the text, never downloads anything, and runs at roughly a megabyte per second.
    """
    total = 0
    for piece in _PRETOKEN.findall(text):
        if (len(piece) <= 4 and piece.isascii()) or piece.isspace() or piece.isdigit():
            total += 1
        elif piece[-1].isalpha():
            total += _word_cost(piece)
        else:
            total += _punct_cost(piece)
    return total
