"""Tests for memalign_nb.sections.tokens: the offline cl100k token estimate."""

from __future__ import annotations

import pytest

from memalign_nb.sections.tokens import count_tokens


@pytest.mark.parametrize(("text", "expected"), [
    # cl100k_base tokenizations known from OpenAI's tokenizer
    ("", 0),
    ("hello world", 2),
    ("import numpy as np", 4),
    ("print('Hello, world!')", 6),
    ("    return x\n", 4),
    ("12345678", 3),  # digits go in groups of three
])
def test_known_cl100k_counts(text, expected):
    assert count_tokens(text) == expected


def test_identifiers_split_at_camel_humps_and_underscores():
    assert count_tokens("RandomForestClassifier") == 3
    assert count_tokens("train_test_split") == 3
    assert count_tokens("x") == 1


def test_long_runs_cost_more_than_short_ones():
    assert count_tokens("=" * 8) == 1 and count_tokens("=" * 80) == 10
    assert count_tokens("')]);:") == 2  # mixed symbols: 3 per token
    assert count_tokens("a" * 30) == 3  # a long hump splits every 10 letters


def test_non_ascii_letters_cost_about_one_token_each():
    assert count_tokens("数据分析") == 4
    assert 2 <= count_tokens("mineração") <= 4


def test_counts_add_up_roughly_over_concatenation():
    part = "df['age'] = df['age'].fillna(df['age'].median())\n"
    one = count_tokens(part)
    assert abs(count_tokens(part * 50) - 50 * one) <= 50


def test_code_density_is_in_cl100k_range():
    code = (
        "from sklearn.model_selection import train_test_split\n"
        "X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2,"
        " random_state=42)\nmodel = RandomForestClassifier(n_estimators=100)\n"
        "model.fit(X_train, y_train)\nprint(accuracy_score(y_test, model.predict(X_test)))\n"
    )
    # cl100k spends about 3 to 4.5 characters per token on Python
    assert 3.0 <= len(code) / count_tokens(code) <= 4.5
