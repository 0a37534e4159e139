"""The grading page's settings, shared by ``memalign-nb grade`` and the page it serves.

``memalign-nb grade`` serves the page notebook :data:`PAGE` of the widgets package
:data:`WIDGETS_PACKAGE` with Voila and hands it a :class:`PageSettings` through environment
variables; the page reads them back. Both sides import this module and neither imports
the other (the library never imports the widgets package).

>>> settings = PageSettings("/data/sample", "ana", "/data/sample/feedback.sqlite")
>>> PageSettings.from_environment(settings.to_environment()) == settings
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from memalign_nb.errors import ParameterError

WIDGETS_PACKAGE = "memalign_nb_widgets"
"""The installed name of the ipywidgets front-ends (the repository's ``widgets/`` folder)."""

PAGE = "pages/grade.ipynb"
"""The page notebook, relative to the widgets package's folder."""

ENV_DATASET = "MEMALIGN_NB_DATASET"
"""Environment variable: the dataset folder the page grades (absolute path)."""
ENV_RATER = "MEMALIGN_NB_RATER"
"""Environment variable: the rater's name."""
ENV_STORE = "MEMALIGN_NB_STORE"
"""Environment variable: the feedback store file (absolute path)."""
ENV_JUDGE = "MEMALIGN_NB_JUDGE"
"""Environment variable: optional judge reference (``heuristic``, ``openai:...``, a folder)."""
ENV_MODE = "MEMALIGN_NB_MODE"
"""Environment variable: the page's mode, one of :data:`MODES` (unset: ``grade``)."""

MODES: tuple[str, ...] = ("grade", "adjudicate")
"""``grade``: grade every item. ``adjudicate``: decide the items raters disagree on, saved
under the adjudicator's name (``adjudicator:NAME``, see
:data:`~memalign_nb.feedback.model.ADJUDICATOR_PREFIX`)."""

_START = "start this page with `memalign-nb grade DATASET --rater NAME`"


@dataclass(frozen=True)
class PageSettings:
    """What the grading page grades, for whom, and where the grades go.

    Attributes
    ----------
    dataset : str
        The dataset folder (absolute path).
    rater : str
        Who grades; grades are saved under this name.
    store : str or None
        The feedback store file; None for the dataset's default store.
    judge : str or None
        A judge reference whose scores the page can reveal; None for no judge.
    mode : str
        One of :data:`MODES`.
    """

    dataset: str
    rater: str
    store: str | None = None
    judge: str | None = None
    mode: str = "grade"

    def to_environment(self) -> dict[str, str]:
        """The environment variables that carry these settings to the page.

        Unset settings, and the default mode, are left out.
        """
        values = {ENV_DATASET: self.dataset, ENV_RATER: self.rater, ENV_STORE: self.store,
                  ENV_JUDGE: self.judge, ENV_MODE: None if self.mode == MODES[0] else self.mode}
        return {name: value for name, value in values.items() if value}

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> PageSettings:
        """The settings :meth:`to_environment` wrote into ``environ``.

        Raises
        ------
        ParameterError
            The dataset or the rater is not set (the page was not started by
            ``memalign-nb grade``), or the mode is not one of :data:`MODES`.
        """
        for name in (ENV_DATASET, ENV_RATER):
            if not environ.get(name, "").strip():
                raise ParameterError(name, environ.get(name), f"is not set; {_START}")
        mode = environ.get(ENV_MODE) or MODES[0]
        if mode not in MODES:
            raise ParameterError(ENV_MODE, mode,
                                 f"{mode!r} is not a mode; use one of {', '.join(MODES)}")
        return cls(environ[ENV_DATASET], environ[ENV_RATER].strip(),
                   environ.get(ENV_STORE) or None, environ.get(ENV_JUDGE) or None, mode)
