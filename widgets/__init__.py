"""ipywidgets front-ends for memalign-nb: grading, memory browsing, study results.

They work in JupyterLab, classic Notebook, VS Code, Databricks and Voila (ipywidgets 8):

- :class:`GradingPanel`: grade notebooks inline; every grade is saved to the feedback
  store at once (``memalign-nb grade`` serves it as a page for experts who do not code).
- :class:`MemoryBrowser`: an aligned judge's guidelines and its searchable examples.
- :class:`StudyView`: an alignment study's plots and table, one dimension at a time.

Installed as ``memalign_nb_widgets`` (``pip install 'memalign-nb[widgets]'``) from the
repository's ``widgets/`` folder, so a ``widgets/`` folder of your own cannot shadow it.
This package imports :mod:`memalign_nb`; the library never imports it. Names load lazily,
so ``import memalign_nb_widgets`` does not import ipywidgets until a view is used.
"""

from __future__ import annotations

from memalign_nb.lazy import lazy_getattr

_EXPORTS: dict[str, str] = {
    "GradingPanel": "memalign_nb_widgets.grading",
    "MemoryBrowser": "memalign_nb_widgets.memory_browser",
    "StudyView": "memalign_nb_widgets.study_view",
}

__all__ = sorted(_EXPORTS)


__getattr__ = lazy_getattr(__name__, _EXPORTS)


def __dir__() -> list[str]:
    return __all__
