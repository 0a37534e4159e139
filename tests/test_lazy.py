import sys
import types

import pytest

from memalign_nb.lazy import lazy_getattr


def test_imports_on_first_use_and_caches(monkeypatch):
    package = types.ModuleType("fake_pkg")
    monkeypatch.setitem(sys.modules, "fake_pkg", package)
    package.__getattr__ = lazy_getattr("fake_pkg", {"dumps": "json"})
    import json

    assert package.dumps is json.dumps
    assert "dumps" in vars(package)  # stored: the next access does not call __getattr__


def test_unknown_name_is_an_attribute_error(monkeypatch):
    package = types.ModuleType("fake_pkg2")
    monkeypatch.setitem(sys.modules, "fake_pkg2", package)
    package.__getattr__ = lazy_getattr("fake_pkg2", {})
    with pytest.raises(AttributeError, match="fake_pkg2.*nope"):
        package.nope  # noqa: B018
