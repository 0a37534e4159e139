"""Tests for memalign_nb.sections.symbols: roles, ML objects and manual splits."""

from __future__ import annotations

import ast

import pytest

from memalign_nb.sections.symbols import SymbolTable, manual_split


def expr(code: str) -> ast.expr:
    return ast.parse(code, mode="eval").body


def test_role_combines_the_data_an_expression_uses():
    table = SymbolTable(roles={"train": "train", "test": "test", "df": "full"},
                        bound={"train", "test", "df", "n"})
    assert table.role(expr("pd.concat([train, test])")) == "full"
    assert table.role(expr("df.iloc[trn_idx]")) == "train"  # unseen name: its own says
    assert table.role(expr("test['Age'].mean()")) == "test"
    assert table.role(expr("n + 1")) is None
    table.objects["model"] = table.object_of(expr("RandomForestClassifier()"))
    assert table.role(expr("model")) is None  # models are not data


def test_objects_pipelines_and_searches():
    table = SymbolTable()
    pre = table.object_of(expr(
        "ColumnTransformer([('num', make_pipeline(SimpleImputer(), StandardScaler()), nums),"
        " ('cat', OneHotEncoder(), cats)])"))
    assert pre.kind == "pipeline"
    assert sorted(s[0] for s in pre.steps) == ["OneHotEncoder", "SimpleImputer", "StandardScaler"]
    table.objects["pre"] = pre
    pipe = table.object_of(expr("Pipeline([('pre', pre), ('clf', LogisticRegression())])"))
    assert sorted(s[0] for s in pipe.steps) == ["LogisticRegression", "OneHotEncoder",
                                                "SimpleImputer", "StandardScaler"]
    search = table.object_of(expr("RandomizedSearchCV(pipe, grid, cv=TimeSeriesSplit(5))"))
    assert search.kind == "search" and "time_based" in search.flags
    assert table.object_of(expr("RandomForestClassifier().fit(X, y)")).group == "classifier"
    assert table.object_of(expr("load_data()")) is None


def test_aliases_resolve_paths():
    table = SymbolTable(aliases={"np": "numpy", "pre": "sklearn.preprocessing"})
    assert table.path(expr("np.random.seed")) == "numpy.random.seed"
    assert table.path(expr("pre.Imputer")) == "sklearn.preprocessing.Imputer"
    assert table.path(expr("f().x")) is None


@pytest.mark.parametrize(("code", "kind"), [
    ("df[:800]", "slice"), ("df.iloc[-200:]", "slice"), ("df.head(800)", "slice"),
    ("df.loc[df.year < 2015]", "date_mask"), ("df[df['ds'] <= '2019-12-31']", "date_mask"),
    ("df.sample(frac=0.8)", "sample"), ("df[df.age > 30]", None), ("df[cols]", None),
])
def test_manual_split(code, kind):
    found = manual_split(expr(code))
    assert (found[0] if found else None) == kind


def test_frames_are_tracked_through_pandas_methods():
    table = SymbolTable(aliases={"pd": "pandas"})
    table.note_frame("df", expr("pd.read_csv('a.csv')"))
    table.note_frame("sub", expr("df.dropna().reset_index()"))
    table.note_frame("arr", expr("df.values"))
    table.note_frame("lst", expr("[1, 2]"))
    assert table.frames == {"df", "sub"}
