"""A small name -> factory registry, the shape of papermill's engine registry.

Judge engines, embedders and stores are looked up by name; third parties add their own
through the ``memalign_nb.<kind>`` entry-point group or :meth:`Registry.register`.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Generic, TypeVar

from memalign_nb.errors import UnknownNameError

T = TypeVar("T")


class Registry(Generic[T]):
    """Factories registered by name for one kind of plugin.

    Parameters
    ----------
    kind : str
        Human name of the plugin kind, used in errors ("judge engine").
    group : str, optional
        Entry-point group scanned once, on the first unknown name.
    """

    def __init__(self, kind: str, group: str | None = None) -> None:
        self.kind = kind
        self.group = group
        self._factories: dict[str, Callable[..., T]] = {}
        self._scanned = group is None

    def register(self, name: str, factory: Callable[..., T]) -> Callable[..., T]:
        """Register ``factory`` under ``name`` (replacing any earlier one) and return it."""
        self._factories[name] = factory
        return factory

    def names(self) -> tuple[str, ...]:
        """The registered names, sorted."""
        self._scan_entry_points()
        return tuple(sorted(self._factories))

    def get(self, name: str) -> Callable[..., T]:
        """The factory for ``name``; :class:`UnknownNameError` lists the valid names."""
        if name not in self._factories:
            self._scan_entry_points()
        try:
            return self._factories[name]
        except KeyError:
            raise UnknownNameError(self.kind, name, self.names()) from None

    def _scan_entry_points(self) -> None:
        if self._scanned:
            return
        self._scanned = True
        for entry in entry_points(group=self.group):
            self._factories.setdefault(entry.name, _deferred(entry))


def _deferred(entry: EntryPoint) -> Callable[..., Any]:
    """A factory that imports the entry point's object only when first called."""

    def factory(*args: Any, **kwargs: Any) -> Any:
        return entry.load()(*args, **kwargs)

    return factory
