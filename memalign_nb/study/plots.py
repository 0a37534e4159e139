"""Plots of an alignment study, as matplotlib :class:`~matplotlib.figure.Figure` objects.

Every function takes a :class:`~memalign_nb.study.StudyResult` or its ``results.json``
dict (so plots can be redrawn from a saved study) and returns a new ``Figure``, built
without pyplot: no backend is selected and no global state changes. In Jupyter the
figure shows inline when it is the cell's value; :func:`save_plots` writes PNGs.

>>> from memalign_nb.study.plots import mae_chart
>>> mae_chart(study.result_)                    # doctest: +SKIP
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

from memalign_nb.study.result import POOLED, StudyResult, ci_label, mae_change

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

logger = logging.getLogger(__name__)

COLORS: dict[str, str] = {
    "baseline": "#8c959f",
    "semantic": "#bf8700",
    "episodic": "#8250df",
    "full": "#0969da",
}
"""Bar and marker colour of each variant, the same in every plot."""

LEVEL_LABELS = ("0 (n/a)", "1", "2", "3")
"""Score axis labels of the confusion matrices."""

DPI = 120
"""Resolution of saved PNGs."""

Results = StudyResult | Mapping[str, Any]


def mae_chart(result: Results, variant: str | None = None) -> Figure:
    """MAE per dimension, baseline vs an aligned variant, with confidence interval bars.

    The human noise floor (mean absolute difference between raters) is a black tick
    where the data have several raters; the label at the right of each pair is the
    relative change in MAE (-60% = 60% fewer errors), starred when the improvement is
    significant.

    Parameters
    ----------
    result : StudyResult or dict
        A study result or its ``results.json`` dict.
    variant : str, optional
        The aligned variant; defaults to the result's headline variant (``full``).
    """
    data = _results(result)
    variant = variant or data.get("headline_variant")
    variants = [v for v in ("baseline", variant) if v in data["variants"]]
    dims = _dimensions(data)
    fig, ax = _figure(len(dims), width=8.0)
    height = 0.8 / len(variants)
    for i, name in enumerate(variants):
        rows = [data["dimensions"][d][name] for d in dims]
        _bars(ax, _positions(len(dims), i, len(variants), height), rows, height, name)
    floors = [(j, (data["dimensions"][d].get("noise_floor") or {}).get("mae"))
              for j, d in enumerate(dims)]
    floors = [(j, f) for j, f in floors if f is not None]
    if floors:
        ax.scatter([f for _, f in floors], [j for j, _ in floors], marker="|", s=300,
                   color="black", zorder=3, label="human noise floor")
    if variant in variants and variant != "baseline":
        for j, dim in enumerate(dims):
            row = data["dimensions"][dim][variant]
            if row.get("reduction") is not None:
                label = mae_change(row) + (" *" if row.get("significant") else "")
                ax.annotate(label, (1.0, j), xycoords=("axes fraction", "data"),
                            xytext=(4, 0), textcoords="offset points", va="center",
                            fontsize=8)
    _dimension_axis(ax, dims)
    ax.set_xlabel("MAE vs experts over applicable items (lower is better)")
    compared = f"baseline vs {variant} " if len(variants) == 2 else ""
    ax.set_title(f"MAE per dimension: {compared}({ci_label(data)})\n"
                 "right: change in MAE, * = significant improvement", fontsize=10)
    _legend(fig, ax)
    return fig


def ablation_chart(result: Results) -> Figure:
    """MAE of every variant per dimension and pooled: what each memory contributes."""
    data, variants, dims = _every_variant(result)
    fig, ax = _figure(len(dims), width=8.0, per_row=0.55)
    height = 0.8 / len(variants)
    for i, name in enumerate(variants):
        rows = [data["dimensions"][d][name] for d in dims]
        _bars(ax, _positions(len(dims), i, len(variants), height), rows, height, name)
    _dimension_axis(ax, dims)
    ax.axhline(len(dims) - 1.5, color="#d0d7de", linewidth=0.8)
    ax.set_xlabel(f"MAE vs experts (lower is better), {ci_label(data)}")
    ax.set_title("Ablation: baseline, semantic only, episodic only, full", fontsize=10)
    _legend(fig, ax)
    return fig


def improvement_forest(result: Results, variants: Sequence[str] | None = None) -> Figure:
    """Forest plot of the improvement (baseline MAE minus variant MAE) with its CIs.

    Right of the zero line the variant has less error. Filled markers are significant
    (the interval excludes 0); the pooled row is a diamond.
    """
    data = _results(result)
    variants = [v for v in (variants or data["variants"]) if v != "baseline"
                and v in data["variants"]]
    dims = [*_dimensions(data), POOLED]
    fig, ax = _figure(len(dims), width=7.5, per_row=0.5)
    step = 0.7 / max(1, len(variants))
    for i, name in enumerate(variants):
        for j, dim in enumerate(dims):
            imp = data["dimensions"][dim][name].get("improvement") or {}
            if imp.get("estimate") is None:
                continue
            y = _positions(len(dims), i, len(variants), step)[j]
            low, high = imp.get("low"), imp.get("high")
            if low is not None and high is not None:
                ax.hlines(y, low, high, color=COLORS.get(name, "black"), linewidth=1.6)
            significant = data["dimensions"][dim][name].get("significant")
            ax.plot(imp["estimate"], y, marker="D" if dim == POOLED else "o", markersize=6,
                    color=COLORS.get(name, "black"),
                    markerfacecolor=COLORS.get(name, "black") if significant else "white",
                    linestyle="none")
    ax.axvline(0.0, color="black", linewidth=0.8)
    ax.axhline(len(dims) - 1.5, color="#d0d7de", linewidth=0.8)
    _dimension_axis(ax, dims)
    ax.set_xlabel("baseline MAE \u2212 variant MAE  (> 0: fewer errors than the baseline)")
    ax.set_title(f"Improvement over the baseline, {ci_label(data)} (paired bootstrap)\n"
                 "filled = significant", fontsize=10)
    if variants:
        from matplotlib.lines import Line2D

        handles = [Line2D([], [], color=COLORS.get(v, "black"), marker="o", label=v)
                   for v in variants]
        handles.append(Line2D([], [], color="black", marker="o", markerfacecolor="white",
                              linestyle="none", label="not significant"))
        _legend(fig, ax, handles)
    return fig


def leniency_chart(result: Results) -> Figure:
    """Mean signed error (judge minus experts) per dimension and variant.

    Bars right of zero mean the judge is more lenient than the experts (positivity
    bias); left of zero, stricter.
    """
    data, variants, dims = _every_variant(result)
    fig, ax = _figure(len(dims), width=7.5, per_row=0.5)
    height = 0.8 / len(variants)
    for i, name in enumerate(variants):
        values = [data["dimensions"][d][name].get("signed_error") for d in dims]
        ys = _positions(len(dims), i, len(variants), height)
        ax.barh([y for y, v in zip(ys, values, strict=True) if v is not None],
                [v for v in values if v is not None], height=height,
                color=COLORS.get(name, "#6e7781"), label=name)
    ax.axvline(0.0, color="black", linewidth=0.8)
    ax.axhline(len(dims) - 1.5, color="#d0d7de", linewidth=0.8)
    _dimension_axis(ax, dims)
    ax.set_xlabel("mean signed error, judge \u2212 experts  (> 0: lenient, < 0: strict)")
    ax.set_title("Leniency per dimension", fontsize=10)
    _legend(fig, ax)
    return fig


def confusion_matrices(
    result: Results, dimension: str | None = None, variants: Sequence[str] | None = None
) -> Figure:
    """Confusion matrices, experts (rows) vs judge (columns), per dimension and variant.

    Parameters
    ----------
    result : StudyResult or dict
    dimension : str, optional
        One dimension (one row of panels); default every dimension (one row each).
    variants : sequence of str, optional
        One panel per variant; default the baseline and the headline variant.
    """
    from matplotlib.figure import Figure

    data = _results(result)
    dims = [dimension] if dimension else _dimensions(data)
    variants = [v for v in (variants or ("baseline", data.get("headline_variant")))
                if v in data["variants"]]
    fig = Figure(figsize=(3.2 * len(variants) + 0.6, 3.0 * len(dims)), layout="constrained")
    axes = fig.subplots(len(dims), len(variants), squeeze=False)
    for r, dim in enumerate(dims):
        for c, name in enumerate(variants):
            _confusion(axes[r][c], data["dimensions"][dim][name].get("confusion"),
                       f"{dim}\n{name}")
    return fig


def learning_curve_chart(result: Results) -> Figure:
    """Aligned MAE on the held-out folds against the graded training notebooks.

    The line is the ``full`` variant's pooled MAE at each share of the training folds,
    the band its confidence interval; the dashed line is the unaligned baseline's MAE
    (its interval shaded). The title states whether the curve has flattened.

    Raises
    ------
    ValueError
        When the study has no learning curve.
    """
    data = _results(result)
    curve = data.get("learning_curve")
    if not curve:
        raise ValueError("the study has no learning curve: AlignmentStudy(learning_curve=...)")
    from matplotlib.figure import Figure

    points = curve["points"]
    xs = [p["n_notebooks"] for p in points]
    fig = Figure(figsize=(7.0, 4.2), layout="constrained")
    ax = fig.add_subplot()
    base = curve.get("baseline")
    if base and base.get("estimate") is not None:
        ax.axhline(base["estimate"], color=COLORS["baseline"], linestyle="--", linewidth=1.2,
                   label=f"unaligned baseline {base['estimate']:.3f} (its CI dotted)")
        for bound in (base.get("low"), base.get("high")):
            if bound is not None:
                ax.axhline(bound, color=COLORS["baseline"], linestyle=":", linewidth=0.8)
    color = COLORS["full"]
    lows = [p["mae"]["low"] for p in points]
    if None not in lows:
        ax.fill_between(xs, lows, [p["mae"]["high"] for p in points], color=color,
                        alpha=0.18, linewidth=0, label=ci_label(data))
    ax.plot(xs, [p["mae"]["estimate"] for p in points], marker="o", color=color,
            label=f"aligned (full), {curve['n_seeds']} samples per fold and share")
    for x, p in zip(xs, points, strict=True):
        ax.annotate(f"{p['fraction']:.0%}\n{p['mae']['estimate']:.3f}", (x, p["mae"]["estimate"]),
                    xytext=(0, 8), textcoords="offset points", ha="center", fontsize=8)
    ax.set_xlabel("graded training notebooks per fold (share of the training fold)")
    ax.set_ylabel("pooled MAE on held-out folds (lower is better)")
    ax.grid(color="#eaeef2", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    verdict = ("flattened (the last step gained little or nothing)" if curve["flattened"]
               else "more grades would still pay (the last step's gain is significant)")
    ax.set_title(f"Learning curve \u2014 {verdict}\nband: each point's {ci_label(data)}; "
                 "gains between points are paired, so narrower (report)", fontsize=10)
    _legend(fig, ax)
    return fig


def save_plots(result: Results, folder: str | PathLike[str]) -> dict[str, Path]:
    """Write every plot as a PNG into ``folder`` (created if missing).

    Files: ``mae.png``, ``ablation.png``, ``improvement.png``, ``leniency.png``,
    ``learning_curve.png`` (when the study has a learning curve) and one
    ``confusion_<dimension>.png`` per dimension.

    Returns
    -------
    dict of str to Path
        Plot name (the file stem) to the written file.
    """
    data = _results(result)
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    figures: dict[str, Any] = {"mae": lambda: mae_chart(data)}
    if len(data["variants"]) > 1:
        figures["ablation"] = lambda: ablation_chart(data)
    if any(v != "baseline" for v in data["variants"]) and "baseline" in data["variants"]:
        figures["improvement"] = lambda: improvement_forest(data)
    figures["leniency"] = lambda: leniency_chart(data)
    if data.get("learning_curve"):
        figures["learning_curve"] = lambda: learning_curve_chart(data)
    for dim in _dimensions(data):
        figures[f"confusion_{dim}"] = lambda dim=dim: confusion_matrices(data, dim)
    written = {}
    for name, draw in figures.items():
        path = out / f"{name}.png"
        draw().savefig(path, dpi=DPI)
        written[name] = path
    logger.info("wrote %d plots to %s", len(written), out)
    return written


def _results(result: Results) -> Mapping[str, Any]:
    _enable_inline_display()
    return result.to_dict() if isinstance(result, StudyResult) else result


def _enable_inline_display() -> None:
    """In a Jupyter/IPython shell, let bare ``Figure`` objects display as PNG.

    pyplot's inline backend registers this formatter; figures built without pyplot need
    it too. A format the user chose already (svg, retina, ...) is left alone.
    """
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    formatters = getattr(getattr(shell, "display_formatter", None), "formatters", None)
    if not formatters:
        return
    from functools import partial

    from IPython.core.pylabtools import print_figure
    from matplotlib.figure import Figure

    for mime in ("image/png", "image/svg+xml", "image/jpeg", "application/pdf"):
        try:
            formatters[mime].lookup_by_type(Figure)
            return
        except (KeyError, TypeError):
            continue
    # what IPython's select_figure_formats(shell, "png") registers, minus its backend query
    formatters["image/png"].for_type(Figure, partial(print_figure, fmt="png", base64=True))


def _every_variant(result: Results) -> tuple[Mapping[str, Any], list[str], list[str]]:
    """The results dict, every variant, and every dimension then the pooled row."""
    data = _results(result)
    return data, list(data["variants"]), [*_dimensions(data), POOLED]


def _dimensions(data: Mapping[str, Any]) -> list[str]:
    return [d for d in data["dimensions"] if d != POOLED]


def _figure(rows: int, *, width: float, per_row: float = 0.6) -> tuple[Figure, Axes]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, 1.4 + per_row * rows), layout="constrained")
    return fig, fig.add_subplot()


def _positions(rows: int, group: int, groups: int, height: float) -> list[float]:
    """Y positions of the ``group``-th of ``groups`` bars stacked around each row."""
    return [row + (group - (groups - 1) / 2) * height for row in range(rows)]


def _bars(ax: Axes, ys: Sequence[float], rows: Sequence[Mapping[str, Any]], height: float,
          name: str) -> None:
    """Horizontal MAE bars with asymmetric CI whiskers; rows without a MAE are skipped."""
    kept = [(y, r) for y, r in zip(ys, rows, strict=True) if r.get("mae") is not None]
    if not kept:
        return
    maes = [r["mae"] for _, r in kept]
    lows = [m - (r.get("ci_low") if r.get("ci_low") is not None else m)
            for m, (_, r) in zip(maes, kept, strict=True)]
    highs = [(r.get("ci_high") if r.get("ci_high") is not None else m) - m
             for m, (_, r) in zip(maes, kept, strict=True)]
    ax.barh([y for y, _ in kept], maes, height=height, color=COLORS.get(name, "#6e7781"),
            xerr=[lows, highs], error_kw={"elinewidth": 1, "capsize": 2, "ecolor": "#24292f"},
            label=name)


def _legend(fig: Figure, ax: Axes, handles: Sequence[Any] | None = None) -> None:
    """One row of legend under the plot, where it hides no data."""
    handles = list(handles) if handles is not None else ax.get_legend_handles_labels()[0]
    if handles:
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles),
                   fontsize=8, frameon=False)


def _dimension_axis(ax: Axes, dims: Sequence[str]) -> None:
    ax.set_yticks(range(len(dims)), [d.replace("_", " ") for d in dims], fontsize=9)
    ax.set_ylim(len(dims) - 0.5, -0.5)  # first dimension on top
    ax.grid(axis="x", color="#eaeef2", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _confusion(ax: Axes, matrix: Sequence[Sequence[int]] | None, title: str) -> None:
    ax.set_title(title.replace("_", " "), fontsize=9)
    if not matrix:
        ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return
    peak = max(max(row) for row in matrix) or 1
    ax.imshow(matrix, cmap="Blues", vmin=0, vmax=peak)
    for r, row in enumerate(matrix):
        for c, count in enumerate(row):
            ax.text(c, r, str(count), ha="center", va="center", fontsize=9,
                    color="white" if count > peak / 2 else "#24292f")
    ax.set_xticks(range(len(LEVEL_LABELS)), LEVEL_LABELS, fontsize=8)
    ax.set_yticks(range(len(LEVEL_LABELS)), LEVEL_LABELS, fontsize=8)
    ax.set_xlabel("judge", fontsize=8)
    ax.set_ylabel("experts (median)", fontsize=8)
