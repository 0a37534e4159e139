"""Tests of memalign_nb.study.plots: what each figure draws, PNG output, inline display.

The plots read a ``results.json`` dict, so these tests hand-write one with known numbers
and the awkward cases a real study produces (a dimension nobody found applicable, no
noise floor, an insignificant improvement).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
from matplotlib.figure import Figure
from matplotlib.image import imread

from memalign_nb.study.plots import (
    COLORS,
    ablation_chart,
    confusion_matrices,
    improvement_forest,
    leniency_chart,
    mae_chart,
    save_plots,
)


def row(mae, low, high, signed=0.1, improvement=None, significant=None, reduction=None):
    entry = {"n": 20, "mae": mae, "ci_low": low, "ci_high": high, "signed_error": signed,
             "confusion": [[2, 0, 0, 0], [0, 5, 1, 0], [0, 2, 6, 1], [0, 0, 1, 9]]}
    if improvement is not None:
        entry |= {"improvement": dict(zip(("estimate", "low", "high"), improvement,
                                          strict=True)),
                  "significant": significant, "reduction": reduction}
    return entry


EMPTY = {"n": 0, "mae": None, "ci_low": None, "ci_high": None, "signed_error": None}

RESULTS = {
    "headline_variant": "full",
    "variants": {"baseline": {}, "episodic": {}, "full": {}},
    "dimensions": {
        "data_imputation": {
            "baseline": row(0.474, 0.31, 0.64, signed=0.4),
            "episodic": row(0.300, 0.20, 0.41, 0.2, (0.174, 0.05, 0.30), True, 0.367),
            "full": row(0.053, 0.00, 0.12, 0.02, (0.421, 0.25, 0.60), True, 0.888),
            "noise_floor": {"mae": 0.2},
        },
        "model_training": {
            "baseline": row(0.680, 0.52, 0.84, signed=0.6),
            "episodic": row(0.650, 0.50, 0.80, 0.5, (0.030, -0.10, 0.15), False, 0.044),
            "full": row(0.180, 0.08, 0.29, -0.1, (0.500, 0.33, 0.66), True, 0.735),
        },
        "mlflow_logging": {  # nobody found it applicable
            "baseline": EMPTY, "episodic": EMPTY, "full": EMPTY,
            "noise_floor": {"mae": None},
        },
        "all": {
            "baseline": row(0.58, 0.48, 0.68, signed=0.5),
            "episodic": row(0.47, 0.38, 0.56, 0.35, (0.11, 0.02, 0.20), True, 0.19),
            "full": row(0.12, 0.07, 0.17, -0.04, (0.46, 0.35, 0.57), True, 0.79),
        },
    },
}


def bars(fig: Figure, variant: str) -> list:
    color = np.array(_rgb(COLORS[variant]))
    return [p for p in fig.axes[0].patches
            if np.allclose(p.get_facecolor()[:3], color, atol=0.01)]


def _rgb(hex_color: str) -> tuple[float, ...]:
    return tuple(int(hex_color[i:i + 2], 16) / 255 for i in (1, 3, 5))


def test_mae_chart_draws_baseline_and_aligned_bars_noise_floor_and_reductions():
    fig = mae_chart(RESULTS)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    # per dimension with a MAE: one bar per variant, its length the MAE
    assert sorted(p.get_width() for p in bars(fig, "baseline")) == [0.474, 0.680]
    assert sorted(p.get_width() for p in bars(fig, "full")) == [0.053, 0.180]
    assert not bars(fig, "episodic")  # only baseline vs the headline variant
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["data imputation", "model training", "mlflow logging"]
    annotations = sorted(t.get_text() for t in ax.texts)
    assert annotations == ["-74% *", "-89% *"]
    floor = [c for c in ax.collections if c.get_label() == "human noise floor"]
    assert floor and floor[0].get_offsets().tolist() == [[0.2, 0.0]]


def test_mae_chart_error_bars_span_the_confidence_intervals():
    fig = mae_chart(RESULTS, variant="episodic")
    spans = sorted(
        tuple(np.round(segment[:, 0], 3))
        for collection in fig.axes[0].collections if collection.get_label() != "human noise floor"
        for segment in getattr(collection, "get_segments", lambda: [])()
        if segment[0, 1] == segment[1, 1]  # horizontal whiskers
    )
    assert (0.2, 0.41) in spans and (0.5, 0.8) in spans and (0.31, 0.64) in spans


def test_ablation_chart_has_every_variant_and_the_pooled_row():
    fig = ablation_chart(RESULTS)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()][-1] == "all"
    for variant in RESULTS["variants"]:
        assert len(bars(fig, variant)) == 3  # two dimensions with a MAE + pooled


def test_forest_plot_places_improvements_and_fills_only_significant_ones():
    fig = improvement_forest(RESULTS)
    ax = fig.axes[0]
    points = [line for line in ax.lines if line.get_marker() in ("o", "D")
              and len(line.get_xdata()) == 1]
    estimates = sorted(float(p.get_xdata()[0]) for p in points)
    assert estimates == sorted([0.174, 0.421, 0.030, 0.500, 0.11, 0.46])
    hollow = [float(p.get_xdata()[0]) for p in points if p.get_markerfacecolor() == "white"]
    assert hollow == [0.030]
    pooled = [float(p.get_xdata()[0]) for p in points if p.get_marker() == "D"]
    assert sorted(pooled) == [0.11, 0.46]
    zero = [line for line in ax.lines if list(line.get_xdata()) == [0, 0]]
    assert zero, "the zero line is missing"


def test_leniency_chart_shows_signed_errors_either_side_of_zero():
    fig = leniency_chart(RESULTS)
    widths = sorted(round(p.get_width(), 3) for p in bars(fig, "full"))
    assert widths == [-0.1, -0.04, 0.02]
    assert "lenient" in fig.axes[0].get_xlabel()


def test_confusion_matrices_annotate_counts_per_dimension_and_variant():
    one = confusion_matrices(RESULTS, "data_imputation")
    assert len(one.axes) == 2
    assert [t.get_text() for t in one.axes[0].texts][:4] == ["2", "0", "0", "0"]
    assert "baseline" in one.axes[0].get_title() and "full" in one.axes[1].get_title()
    grid = confusion_matrices(RESULTS, variants=("baseline", "episodic", "full"))
    assert len(grid.axes) == 3 * 3
    assert [t.get_text() for t in grid.axes[-1].texts] == ["no data"]  # mlflow_logging


def test_save_plots_writes_readable_pngs_named_for_the_study_view(tmp_path):
    written = save_plots(RESULTS, tmp_path / "plots")
    assert set(written) == {"mae", "ablation", "improvement", "leniency",
                            "confusion_data_imputation", "confusion_model_training",
                            "confusion_mlflow_logging"}
    for path in written.values():
        image = imread(path)
        assert image.shape[0] > 300 and image.shape[1] > 600, path.name


def test_a_baseline_only_result_saves_without_aligned_plots(tmp_path):
    dims = {d: {"baseline": r["baseline"]} for d, r in RESULTS["dimensions"].items()}
    data = {"headline_variant": None, "variants": {"baseline": {}}, "dimensions": dims}
    written = save_plots(data, tmp_path)
    assert "improvement" not in written and "ablation" not in written and "mae" in written


def _run_python(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                            text=True, timeout=120, check=True)
    return result.stdout.strip()


def test_plots_select_no_backend_and_show_inline_in_an_ipython_shell():
    out = _run_python(f"""
        import sys
        from IPython.core.interactiveshell import InteractiveShell
        shell = InteractiveShell.instance()
        from memalign_nb.study.plots import mae_chart
        fig = mae_chart({RESULTS!r})
        data, _ = shell.display_formatter.format(fig)
        print("matplotlib.pyplot" in sys.modules, "image/png" in data)
    """)
    assert out == "False True"


def test_a_figure_format_the_user_chose_is_kept():
    out = _run_python(f"""
        from IPython.core.interactiveshell import InteractiveShell
        from IPython.core.pylabtools import select_figure_formats
        shell = InteractiveShell.instance()
        select_figure_formats(shell, {{"svg"}})
        from memalign_nb.study.plots import leniency_chart
        data, _ = shell.display_formatter.format(leniency_chart({RESULTS!r}))
        print(sorted(k for k in data if k.startswith("image")))
    """)
    assert out == "['image/svg+xml']"
