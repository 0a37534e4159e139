"""Tests for memalign_nb.runtime: notebook parameters from papermill, defaults or Databricks."""

from __future__ import annotations

import pytest

from memalign_nb.errors import MemAlignError, ParameterError
from memalign_nb.runtime import DATABRICKS_ENV, convert, on_databricks, resolve_params

TYPES = {"dataset": str, "folds": int, "threshold": float, "mlflow": bool, "dimensions": list}


class FakeWidgets:
    """Databricks ``dbutils.widgets``: a widget keeps its value once created; a job's task
    parameters are widget values set before the notebook runs."""

    def __init__(self, job_parameters: dict[str, str] | None = None) -> None:
        self.values = dict(job_parameters or {})
        self.created: dict[str, tuple] = {}

    def text(self, name: str, default: str, label: str) -> None:
        self.created[name] = ("text", default, label)
        self.values.setdefault(name, default)

    def dropdown(self, name: str, default: str, choices: list[str], label: str) -> None:
        assert default in choices
        self.created[name] = ("dropdown", default, tuple(choices), label)
        self.values.setdefault(name, default)

    def get(self, name: str) -> str:
        return self.values[name]


class FakeDbutils:
    def __init__(self, widgets: FakeWidgets) -> None:
        self.widgets = widgets


@pytest.fixture(autouse=True)
def not_on_databricks(monkeypatch):
    monkeypatch.delenv(DATABRICKS_ENV, raising=False)


def defaults(**overrides):
    values = {"dataset": "", "folds": 4, "threshold": 0.0, "mlflow": True, "dimensions": []}
    return {**values, **overrides, "unrelated": object()}


def test_defaults_pass_unchanged_in_declared_order():
    params = resolve_params(defaults(), TYPES)
    assert params == {"dataset": "", "folds": 4, "threshold": 0.0, "mlflow": True,
                      "dimensions": []}
    assert list(params) == list(TYPES)


def test_text_is_converted_to_the_declared_type():
    # what `papermill -r` or a hand-edited cell passes
    params = resolve_params(
        defaults(folds="3", threshold="2.5", mlflow="No",
                 dimensions=" model_use, ,data_imputation "),
        TYPES,
    )
    assert params["folds"] == 3
    assert params["threshold"] == 2.5
    assert params["mlflow"] is False
    assert params["dimensions"] == ["model_use", "data_imputation"]


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        (4.0, int, 4),
        (" 10_000 ", int, 10_000),
        (3, float, 3.0),
        (7, str, "7"),
        ("ON", bool, True),
        ("0", bool, False),
        ('["a,b", "c"]', list, ["a,b", "c"]),
        (("x", "y"), list, ["x", "y"]),
        ("", list, []),
    ],
)
def test_convert_accepts(value, kind, expected):
    assert convert(value, kind) == expected


@pytest.mark.parametrize(
    ("value", "kind", "expected_text"),
    [
        ("four", int, "expected an integer, got 'four'"),
        (2.5, int, "expected an integer, got 2.5"),
        (float("nan"), int, "expected an integer, got nan"),
        ("4.0", int, "expected an integer, got '4.0'"),
        (True, int, "expected an integer, got True"),
        (True, float, "expected a number, got True"),
        ("maybe", bool, "expected true or false, got 'maybe'"),
        (1, bool, "expected true or false, got 1"),
        (None, str, "expected text, got None"),
        ([1, 2], list, "expected a list of text (a,b,c), got [1, 2]"),
        ("[not json", list, "expected a list of text (a,b,c), got '[not json'"),
    ],
)
def test_convert_rejects_with_a_message_naming_the_parameter(value, kind, expected_text):
    with pytest.raises(ParameterError) as info:
        convert(value, kind, "folds")
    assert str(info.value) == f"parameter 'folds': {expected_text}"
    assert info.value.name == "folds"
    assert info.value.value is value
    assert isinstance(info.value, MemAlignError)


def test_a_bad_value_stops_at_its_parameter():
    with pytest.raises(ParameterError, match=r"parameter 'folds': expected an integer, got 'four'"):
        resolve_params(defaults(folds="four"), TYPES)


def test_an_undefined_parameter_is_reported():
    namespace = defaults()
    del namespace["threshold"]
    with pytest.raises(ParameterError, match="'threshold': not defined; define it in the cell"):
        resolve_params(namespace, TYPES)


def test_an_unsupported_declared_type_is_a_programming_error():
    with pytest.raises(TypeError, match="not one of"):
        resolve_params({"when": "2025"}, {"when": dict})


def test_on_databricks_follows_the_runtime_variable(monkeypatch):
    assert not on_databricks()
    monkeypatch.setenv(DATABRICKS_ENV, "15.4")
    assert on_databricks()
    monkeypatch.setenv(DATABRICKS_ENV, "")
    assert not on_databricks()


def test_databricks_widgets_are_created_with_the_notebook_defaults(monkeypatch):
    monkeypatch.setenv(DATABRICKS_ENV, "15.4")
    widgets = FakeWidgets()
    namespace = {**defaults(dimensions=["model_use", "data_imputation"]),
                 "dbutils": FakeDbutils(widgets)}
    params = resolve_params(namespace, TYPES)
    assert params == resolve_params(namespace, TYPES, widgets=FakeWidgets())
    assert params["dimensions"] == ["model_use", "data_imputation"]
    assert widgets.created["folds"] == ("text", "4", "folds")
    assert widgets.created["dimensions"] == ("text", "model_use,data_imputation", "dimensions")
    assert widgets.created["mlflow"] == ("dropdown", "true", ("true", "false"), "mlflow")


def test_job_parameters_arrive_as_widget_text_and_win(monkeypatch):
    monkeypatch.setenv(DATABRICKS_ENV, "15.4")
    widgets = FakeWidgets({"folds": "2", "mlflow": "false", "dimensions": "model_use"})
    params = resolve_params({**defaults(), "dbutils": FakeDbutils(widgets)}, TYPES)
    assert params["folds"] == 2
    assert params["mlflow"] is False
    assert params["dimensions"] == ["model_use"]
    assert params["dataset"] == ""


def test_a_bad_widget_value_names_the_widget(monkeypatch):
    monkeypatch.setenv(DATABRICKS_ENV, "15.4")
    widgets = FakeWidgets({"folds": "four"})
    with pytest.raises(ParameterError) as info:
        resolve_params({**defaults(), "dbutils": FakeDbutils(widgets)}, TYPES)
    assert str(info.value) == (
        "parameter 'folds': expected an integer, got 'four' from the Databricks widget"
    )
    assert info.value.name == "folds"


def test_widgets_are_not_used_off_databricks():
    widgets = FakeWidgets({"folds": "2"})
    params = resolve_params({**defaults(), "dbutils": FakeDbutils(widgets)}, TYPES)
    assert params["folds"] == 4
    assert widgets.created == {}


def test_on_databricks_without_dbutils_reads_the_namespace(monkeypatch):
    monkeypatch.setenv(DATABRICKS_ENV, "15.4")
    assert resolve_params(defaults(folds=3), TYPES)["folds"] == 3
