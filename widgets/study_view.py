"""Read an alignment study's folder one dimension at a time: its table and its plots.

>>> from memalign_nb_widgets import StudyView
>>> StudyView("study-output/")     # doctest: +SKIP

A study folder holds ``results.json`` (see :meth:`memalign_nb.study.StudyResult.to_dict`)
and PNG plots. The view reads ``results["dimensions"][dimension][variant]`` rows (``n``,
``mae``, ``ci_low``, ``ci_high`` and, when present, ``improvement`` / ``significant``,
``exact_agreement``, ``kappa``) and the dimension's ``noise_floor``; any key may be
missing and shows as a dash. A plot belongs to a dimension when its file name contains the
dimension id; the others are shown for every dimension, under "All dimensions".
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

from memalign_nb_widgets import render

from memalign_nb.errors import FileProblemError

logger = logging.getLogger(__name__)

RESULTS_FILE = "results.json"
"""The study's machine-readable results, inside the study folder."""


class StudyFolderError(FileProblemError):
    """A study folder is missing or its ``results.json`` cannot be read.

    Attributes
    ----------
    path : str
        The folder or file at fault.
    problem : str
        What is wrong, in words.
    """


@dataclass(frozen=True)
class StudyFolder:
    """What a study folder holds.

    Attributes
    ----------
    path : str
        The folder.
    results : Mapping[str, Any]
        The parsed ``results.json``; empty when the folder has none.
    plots : tuple of pathlib.Path
        Every ``*.png`` under the folder, sorted by path.
    """

    path: str
    results: Mapping[str, Any]
    plots: tuple[Path, ...]

    @property
    def dimensions(self) -> tuple[str, ...]:
        """Dimensions with results, in file order; "all" (pooled) last when present."""
        rows = self.results.get("dimensions")
        names = [d for d in rows if isinstance(rows.get(d), Mapping)] if isinstance(
            rows, Mapping) else []
        return tuple(sorted(names, key=lambda d: d == "all"))

    def plots_for(self, dimension: str) -> tuple[tuple[Path, ...], tuple[Path, ...]]:
        """``(plots naming this dimension, plots naming no dimension)``.

        For the pooled ``"all"`` row, the plots naming no dimension are its own.
        """
        known = (set(self.dimensions) | {dimension}) - {"all"}
        shared = tuple(p for p in self.plots if not any(d in p.stem for d in known))
        if dimension == "all":
            return shared, ()
        return tuple(p for p in self.plots if dimension in p.stem), shared

    def rows(self, dimension: str) -> dict[str, Mapping[str, Any]]:
        """Per variant, the dimension's result row (rows without numbers are skipped)."""
        block = (self.results.get("dimensions") or {}).get(dimension)
        if not isinstance(block, Mapping):
            return {}
        return {
            variant: row
            for variant, row in block.items()
            if variant != "noise_floor" and isinstance(row, Mapping)
        }


def read_study(study_dir: str | PathLike[str]) -> StudyFolder:
    """Read a study folder.

    Raises
    ------
    StudyFolderError
        The folder does not exist, or ``results.json`` is not a JSON object (the message
        names the line and column of a syntax error).
    """
    folder = Path(study_dir)
    if not folder.is_dir():
        raise StudyFolderError(folder, "no such study folder")
    results: Any = {}
    results_path = folder / RESULTS_FILE
    if results_path.is_file():
        try:
            results = json.loads(results_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise StudyFolderError(
                results_path, f"not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}"
            ) from exc
        if not isinstance(results, Mapping):
            raise StudyFolderError(results_path, "expected a JSON object at the top level")
    else:
        logger.warning("%s has no %s; showing plots only", folder, RESULTS_FILE)
    return StudyFolder(str(folder), results, tuple(sorted(folder.rglob("*.png"))))


def _number(value: Any, digits: int = 3) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "\u2014"
    return str(value) if isinstance(value, int) else f"{value:.{digits}f}"


def render_table(rows: Mapping[str, Mapping[str, Any]]) -> str:
    """The variants of one dimension as an HTML table (missing values as dashes)."""
    if not rows:
        return render.note("No results for this dimension.")
    head = ("variant", "n", "MAE", "95% CI", "improvement", "exact", "kappa")
    body = []
    for variant, row in rows.items():
        ci = f"[{_number(row.get('ci_low'))}, {_number(row.get('ci_high'))}]"
        imp = row.get("improvement")
        improvement = _number(imp.get("estimate")) if isinstance(imp, Mapping) else "\u2014"
        if row.get("significant") is True:
            improvement += " *"
        cells = (render.esc(variant), _number(row.get("n")), _number(row.get("mae")), ci,
                 improvement, _number(row.get("exact_agreement")), _number(row.get("kappa")))
        body.append("<tr>" + "".join(
            f"<td style='padding:2px 10px'>{c}</td>" for c in cells) + "</tr>")
    header = "".join(f"<th style='padding:2px 10px;text-align:left'>{h}</th>" for h in head)
    return (
        f"<table style='border-collapse:collapse'><tr>{header}</tr>{''.join(body)}</table>"
        "<div style='font-size:12px;color:#57606a'>MAE over items experts marked applicable; "
        "improvement = baseline MAE \u2212 variant MAE; * = its CI excludes 0.</div>"
    )


def render_noise_floor(block: Any) -> str:
    """The human raters' agreement on the dimension, when the results carry it."""
    if not isinstance(block, Mapping):
        return ""
    return render.note(
        f"Human noise floor: MAE {_number(block.get('mae'))} between raters over "
        f"{_number(block.get('n_pairs'))} pairs ({_number(block.get('n_raters'))} raters)."
    )


class StudyView(render.View):
    """Pick a dimension; see its results table and plots.

    Parameters
    ----------
    study_dir : path
        A study output folder (``results.json`` and PNG plots).

    Attributes
    ----------
    study : StudyFolder
        What was read from the folder.
    widget : ipywidgets.VBox
        The view; displaying the ``StudyView`` displays it.

    Raises
    ------
    StudyFolderError
        See :func:`read_study`.
    """

    def __init__(self, study_dir: str | PathLike[str]) -> None:
        import ipywidgets as w

        self.study = read_study(study_dir)
        options = self.study.dimensions or ("all",)
        self.dimension = w.Dropdown(options=options, description="Dimension")
        self.table_html = w.HTML()
        self.plots_box = w.VBox()
        self.dimension.observe(lambda _: self._show(), names="value")
        title = w.HTML(f"<b>Study</b> <span style='color:#57606a'>"
                       f"{render.esc(self.study.path)}</span>")
        self._root = w.VBox([title, self.dimension, self.table_html, self.plots_box])
        self._root.add_class("memalign-study-view")
        self._show()

    def _show(self) -> None:
        import ipywidgets as w

        dimension = self.dimension.value
        block = (self.study.results.get("dimensions") or {}).get(dimension)
        noise = block.get("noise_floor") if isinstance(block, Mapping) else None
        self.table_html.value = render_table(self.study.rows(dimension)) + render_noise_floor(
            noise
        )
        own, shared = self.study.plots_for(dimension)
        children: list[Any] = []
        for heading, plots in ((dimension, own), ("All dimensions", shared)):
            if plots:
                children.append(w.HTML(f"<h4>{render.esc(heading)}</h4>"))
                children += [
                    w.VBox([w.HTML(f"<small>{render.esc(p.name)}</small>"),
                            w.Image(value=p.read_bytes(), format="png",
                                    layout=w.Layout(max_width="100%"))])
                    for p in plots
                ]
        self.plots_box.children = children or [w.HTML(render.note("No plots for this dimension."))]
