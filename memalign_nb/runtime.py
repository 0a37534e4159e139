"""Notebook parameters that work the same under Jupyter, papermill and Databricks.

The notebooks in ``notebooks/`` keep their defaults in one cell tagged ``parameters``.
Papermill injects its overrides in a cell right after it; on Databricks, notebook widgets
(and a job's task parameters, which arrive as widgets) override them. The next cell calls
:func:`resolve_params`, which reads each value from wherever it came, converts text to the
parameter's declared type and raises :class:`~memalign_nb.errors.ParameterError` naming
the parameter when a value does not fit, so a bad parameter stops the run at the top with
a clear message instead of deep inside a study.

Declared types are ``str``, ``int``, ``float``, ``bool`` and ``list`` (a list of text,
written ``a,b,c`` or ``["a", "b"]`` as text). By convention an empty text means "the
default", because a Databricks widget cannot hold ``None``.

>>> resolve_params({"folds": "4", "dimensions": "data_imputation, model_use"},
...                {"folds": int, "dimensions": list})
{'folds': 4, 'dimensions': ['data_imputation', 'model_use']}
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from typing import Any

from memalign_nb.errors import ParameterError

logger = logging.getLogger(__name__)

DATABRICKS_ENV = "DATABRICKS_RUNTIME_VERSION"
"""Environment variable every Databricks runtime sets (its version, such as ``15.4``)."""

KINDS: tuple[type, ...] = (str, int, float, bool, list)
"""The parameter types :func:`resolve_params` understands."""

_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})
_EXPECTED = {str: "text", int: "an integer", float: "a number", bool: "true or false",
             list: "a list of text (a,b,c)"}


def on_databricks() -> bool:
    """Whether this process runs on a Databricks cluster (``DATABRICKS_RUNTIME_VERSION`` set)."""
    return bool(os.environ.get(DATABRICKS_ENV))


def resolve_params(
    namespace: Mapping[str, Any],
    types: Mapping[str, type],
    *,
    widgets: Any = None,
) -> dict[str, Any]:
    """The notebook's parameters, checked and converted to their declared types.

    Parameters
    ----------
    namespace : mapping
        Where the parameter cell (and papermill's injected cell) left the values: pass
        ``globals()``.
    types : mapping of str to type
        Each parameter's name and type, one of :data:`KINDS`, in display order.
    widgets : object, optional
        Databricks ``dbutils.widgets`` (anything with ``text``, ``dropdown`` and ``get``).
        Default: ``namespace["dbutils"].widgets`` when :func:`on_databricks`, else none.
        With widgets, each parameter gets a widget whose default is the notebook's value,
        and the widget's value (which a job's task parameter sets) wins.

    Returns
    -------
    dict of str to object
        Name to converted value, in the order of ``types``; the notebook usually puts them
        back with ``globals().update(params)``.

    Raises
    ------
    ParameterError
        A parameter is not defined, or its value (or its widget's text) cannot be
        converted to its type; the message names the parameter and the value.
    TypeError
        A type in ``types`` is not one of :data:`KINDS` (a mistake in the notebook).
    """
    if widgets is None and on_databricks():
        widgets = getattr(namespace.get("dbutils"), "widgets", None)
        if widgets is None:
            logger.info("on Databricks without dbutils in the namespace: no widgets")
    params: dict[str, Any] = {}
    for name, kind in types.items():
        if kind not in KINDS:
            raise TypeError(f"parameter {name!r}: type {kind!r} is not one of {KINDS}")
        if name not in namespace:
            raise ParameterError(name, None, "not defined; define it in the cell tagged "
                                 "'parameters'")
        value = convert(namespace[name], kind, name)
        if widgets is not None:
            value = convert(_widget_text(widgets, name, value, kind), kind, name,
                            source="the Databricks widget")
        params[name] = value
    logger.info("notebook parameters: %s", params)
    return params


def convert(value: Any, kind: type, name: str = "value", *, source: str = "") -> Any:
    """Convert ``value`` to ``kind``: values already of the type pass, text is parsed.

    Numbers are accepted for text (``7`` -> ``"7"``), integral floats for integers and
    integers for numbers; booleans are never numbers. Text for a boolean is one of
    ``true/false``, ``yes/no``, ``on/off``, ``1/0`` (any case); text for a list is a JSON
    list or comma-separated items (blank items dropped, ``""`` is the empty list).

    Parameters
    ----------
    value : object
        The value as the notebook, papermill or a widget gave it.
    kind : type
        One of :data:`KINDS`.
    name : str
        The parameter's name, for the error message.
    source : str
        Where the value came from when that helps the reader (``the Databricks widget``).

    Raises
    ------
    ParameterError
        ``value`` does not fit ``kind``.
    """
    converted = _CONVERTERS[kind](value)
    if converted is _BAD:
        origin = f" from {source}" if source else ""
        raise ParameterError(name, value, f"expected {_EXPECTED[kind]}, got {value!r}{origin}")
    return converted


_BAD = object()


def _to_str(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return _BAD


def _to_number(value: Any, kind: type) -> Any:
    if isinstance(value, str):
        try:
            return kind(value.strip())
        except ValueError:
            return _BAD
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _BAD
    if kind is int and not float(value).is_integer():
        return _BAD
    return kind(value)


def _to_bool(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        return True if text in _TRUE else False if text in _FALSE else _BAD
    return _BAD


def _to_list(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                return _BAD
        else:
            return [item.strip() for item in text.split(",") if item.strip()]
    if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
        return list(value)
    return _BAD


_CONVERTERS = {
    str: _to_str,
    int: lambda value: _to_number(value, int),
    float: lambda value: _to_number(value, float),
    bool: _to_bool,
    list: _to_list,
}


def _as_text(value: Any, kind: type) -> str:
    """How a (converted) value reads in a widget; :func:`convert` reads it back unchanged."""
    if kind is bool:
        return "true" if value else "false"
    if kind is list:
        return json.dumps(value) if any("," in item for item in value) else ",".join(value)
    return str(value)


def _widget_text(widgets: Any, name: str, value: Any, kind: type) -> str:
    """Create the parameter's widget (the notebook's value as default) and read it."""
    default = _as_text(value, kind)
    if kind is bool:
        widgets.dropdown(name, default, ["true", "false"], name)
    else:
        widgets.text(name, default, name)
    return widgets.get(name)
