"""Tests for memalign_nb.sections.events: data roles from names and target detection."""

from __future__ import annotations

import ast

import pytest

from memalign_nb.sections.events import (
    Event,
    name_role,
    statistic,
    subscript_column,
    target_column,
)


@pytest.mark.parametrize(("name", "role"), [
    ("X_train", "train"), ("y_tr", "train"), ("trn_idx", "train"), ("train_df", "train"),
    ("X_test", "test"), ("X_val", "test"), ("valid_ds", "test"), ("holdout", "test"),
    ("oof_pred", "test"), ("df", None), ("interval", None), ("train_test", None),
    ("strain", "train"),
])
def test_name_role(name, role):
    assert name_role(name) == role


def expr(code: str) -> ast.expr:
    return ast.parse(code, mode="eval").body


@pytest.mark.parametrize(("name", "code", "column", "weight"), [
    ("y", "df['Survived']", "Survived", 2),
    ("y_train", "train.SalePrice", "SalePrice", 2),
    ("target", "'price'", "price", 2),
    ("y", "df.pop('label')", "label", 2),
    ("X", "df.drop('Survived', axis=1)", "Survived", 1),
    ("X", "df.drop(columns=['a', 'b'])", None, 0),
    ("z", "df['Survived']", None, 0),
])
def test_target_column(name, code, column, weight):
    assert target_column(name, expr(code)) == (column, weight)


def test_statistic_and_subscript_column():
    name, source = statistic([expr("df['Age'].median()")])
    assert name == "median" and ast.unparse(source) == "df['Age']"
    assert statistic([expr("0")]) is None
    assert subscript_column(expr("df[['y']]")) == "y"
    assert subscript_column(expr("df.shape")) is None


def test_event_position_orders_by_cell_then_line():
    events = [Event("fit", "a", 2, 1), Event("split", "b", 1, 9), Event("eda", "c", 1, 2)]
    assert [e.name for e in sorted(events, key=lambda e: e.position)] == ["c", "b", "a"]
