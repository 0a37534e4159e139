"""Write a study's outputs: report (Markdown and HTML), results.json, judgments, plots.

The report is rendered from :meth:`StudyResult.to_dict` (what ``results.json`` holds), so
every figure in it is also in ``results.json``. It is built once as a list of blocks
(headings, paragraphs, tables, lists, images) and rendered twice; text that came from data
(dataset path, judge id, guideline texts) is escaped in both renderings.

>>> paths = save_study(study.result_, "study-output")   # doctest: +SKIP
>>> paths.report_html                                   # doctest: +SKIP
PosixPath('study-output/report.html')
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

from memalign_nb.study.result import POOLED, StudyResult, ci_label, mae_change

logger = logging.getLogger(__name__)

PLOT_TITLES: dict[str, str] = {
    "mae": "MAE per dimension, baseline vs aligned",
    "ablation": "Ablation: what each memory contributes",
    "improvement": "Improvement over the baseline (forest plot)",
    "leniency": "Leniency: mean signed error",
}
"""Captions of the summary plots, in report order (confusion matrices follow)."""

_DASH = "\u2014"


@dataclass(frozen=True)
class StudyPaths:
    """Where :func:`save_study` wrote a study's outputs.

    Attributes
    ----------
    folder : Path
        The output folder.
    report_md : Path
        ``report.md``, the report in Markdown.
    report_html : Path
        ``report.html``, the same report as a page (plots linked from ``plots/``).
    results_json : Path
        ``results.json``, every figure machine-readable (docs/results-json.md).
    judgments_jsonl : Path
        ``judgments.jsonl``, one judgment per line with its ``variant`` and ``fold``.
    guidelines_md : Path
        ``guidelines.md``, every guideline each fold learned.
    plots : dict of str to Path
        Plot name to PNG file, under ``plots/``.
    """

    folder: Path
    report_md: Path
    report_html: Path
    results_json: Path
    judgments_jsonl: Path
    guidelines_md: Path
    plots: dict[str, Path] = field(default_factory=dict)


def save_study(result: StudyResult, out_dir: str | PathLike[str]) -> StudyPaths:
    """Write every output of a study into ``out_dir`` (created if missing).

    Parameters
    ----------
    result : StudyResult
        A fitted study's ``result_``.
    out_dir : path
        The output folder; files of an earlier study there are replaced.

    Returns
    -------
    StudyPaths
    """
    from memalign_nb.study.plots import save_plots

    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    data = result.to_dict()
    paths = StudyPaths(
        folder=folder,
        report_md=folder / "report.md",
        report_html=folder / "report.html",
        results_json=folder / "results.json",
        judgments_jsonl=folder / "judgments.jsonl",
        guidelines_md=folder / "guidelines.md",
        plots=save_plots(data, folder / "plots"),
    )
    paths.results_json.write_text(
        json.dumps(data, indent=2, allow_nan=False, default=str) + "\n", encoding="utf-8"
    )
    _write_judgments(result, paths.judgments_jsonl)
    paths.guidelines_md.write_text(guidelines_markdown(result), encoding="utf-8")
    plots = {name: path.relative_to(folder).as_posix() for name, path in paths.plots.items()}
    blocks = report_blocks(data, plots)
    paths.report_md.write_text(to_markdown(blocks), encoding="utf-8")
    paths.report_html.write_text(to_html(blocks, title=_title(data)), encoding="utf-8")
    logger.info("study outputs written to %s", folder)
    return paths


def _write_judgments(result: StudyResult, path: Path) -> None:
    fold_of = result.fold_of()
    with path.open("w", encoding="utf-8") as handle:
        for variant, judgments in result.judgments.items():
            for judgment in judgments:
                handle.write(judgment.to_json_line(
                    variant=variant, fold=fold_of.get(judgment.case_id)))


def guidelines_markdown(result: StudyResult) -> str:
    """Every guideline each fold learned, per variant and dimension, most folds first."""
    lines = ["# Guidelines learned by the study", ""]
    variants = [v for v in result.variants if any(g["variant"] == v for g in result.guidelines)]
    if not variants:
        return "\n".join([*lines, "No variant with semantic memory learned guidelines.", ""])
    for variant in variants:
        lines += [f"## Variant `{variant}`", ""]
        for dim, learned in result.learned_guidelines(variant).items():
            lines += [f"### {_md(dim)} ({len(learned)})", ""]
            lines += [
                f"{i}. {_md(g['text'])}  \n   *folds {', '.join(map(str, g['folds']))}"
                f" of {len(result.folds)} · support {g['support']} · {_md(g['engine'])}"
                f" · {_md(g['id'])}*"
                for i, g in enumerate(learned, start=1)
            ] or ["None learned."]
            lines.append("")
    return "\n".join(lines)


# -- the report as blocks -----------------------------------------------------------------


def report_blocks(data: Mapping[str, Any], plots: Mapping[str, str]) -> list[tuple[Any, ...]]:
    """The report as blocks, from a ``results.json`` dict and plot paths (relative).

    Blocks are tuples: ``("h1"|"h2"|"p", text)``, ``("table", headers, rows)``,
    ``("ul", items)`` and ``("img", caption, src)``; all text is plain (unescaped).
    """
    params, dims = data["params"], data["dimensions"]
    head = data.get("headline_variant")
    blocks: list[tuple[Any, ...]] = [("h1", _title(data)), ("p", _setup(data))]
    if head is not None and "baseline" in data["variants"]:
        blocks += [("h2", f"Baseline vs {head}, the best variant"), ("p", headline_summary(data)),
                   ("table", *headline_table(data))]
    ci = ci_label(data)
    blocks += [("h2", f"Ablation: MAE [{ci}] per variant"), _ablation_table(data)]
    if "baseline" in data["variants"] and len(data["variants"]) > 1:
        blocks += [("h2", f"Improvement over the baseline [{ci}]"), _improvement_table(data)]
    blocks += [("h2", "Agreement details"), _details_table(data)]
    blocks += curve_blocks(data, plots)
    blocks += _guideline_blocks(data)
    blocks += [("h2", "Plots")]
    blocks += [("img", PLOT_TITLES[name], src) for name, src in plots.items()
               if name in PLOT_TITLES]
    blocks += [("img", f"Confusion matrices: {dim}", plots[f"confusion_{dim}"])
               for dim in dims if f"confusion_{dim}" in plots]
    blocks += [("h2", "Cost"), ("ul", cost_lines(data))]
    blocks += [("h2", "How to read this"), ("ul", [
        "MAE is the mean absolute difference between the judge's score and the experts' "
        "reference (the median of the raters) over items the experts marked applicable; a "
        "judge's 0 (not applicable) on such an item counts as an error of its size.",
        f"Intervals are {_pct(params.get('confidence'))} percentile bootstrap intervals "
        f"over {params.get('n_bootstrap')} resamples of cases; the improvement "
        "(baseline MAE minus variant MAE) is paired: both are computed on the same "
        "resamples. Significant means its interval excludes 0.",
        "Every aligned variant is fitted, per fold, on the other folds' feedback only "
        "and scores the held-out fold; the baseline scores every case once.",
        "The rater-vs-rater MAE (the noise floor) is the mean absolute difference between "
        "two raters on items both found applicable: how closely the experts agree with "
        "each other. It is not the same measure as a judge's MAE, which is against the "
        "raters' median and so spared part of one rater's noise: a judge may come below it.",
        "MAE change is the variant's MAE relative to the baseline's, signed: a minus "
        "means fewer errors than the baseline; mae.png shows the same figure.",
        "Variants are compared on the items every one of them scored: an item whose "
        "judgment failed in any variant is left out for all. When more than "
        f"{_pct((data.get('comparison') or {}).get('max_failed', 0.05))} of the items are "
        "left out (--max-failed), no difference is called significant.",
    ])]
    return blocks


def _title(data: Mapping[str, Any]) -> str:
    """The judge and the dataset's folder name (its full path is in the setup line)."""
    folder = re.split(r"[\\/]", str(data["dataset"].get("path", "")).rstrip("/\\"))[-1]
    return f"Alignment study: {data['params'].get('judge')} on {folder}"


def _setup(data: Mapping[str, Any]) -> str:
    p, ds = data["params"], data["dataset"]
    return (
        f"Dataset {ds.get('path')}: "
        f"{ds.get('n_cases')} cases, {ds.get('n_grades')} grades from {ds.get('n_raters')} "
        f"raters; {p.get('n_folds')}-fold cross-validation by case; k = {p.get('k')} "
        f"episodic neighbours; {p.get('n_bootstrap')} bootstrap resamples, "
        f"{_pct(p.get('confidence'))} intervals; seed {p.get('seed')}. Finished "
        f"{data.get('created_at')}."
    )


def headline_summary(data: Mapping[str, Any]) -> str:
    """The study in a few sentences: pooled, where the baseline is worst, significance.

    Needs a baseline and an aligned variant (``data["headline_variant"]``).
    """
    head = data["headline_variant"]
    pooled = data["dimensions"][POOLED]
    base, aligned = pooled["baseline"], pooled[head]
    others = [v for v in data["variants"] if v not in ("baseline", head)]
    text = _failures(data) + (
        f"The best variant is {head}" + (f" (of {', '.join([head, *others])})" if others
                                        else "") + ". "
        f"Pooled over dimensions, its MAE went from {_ci(base)} to {_ci(aligned)} "
        f"({_change_words(aligned)}, {_significance(aligned)})."
    )
    rows = [(d, r) for d, r in data["dimensions"].items() if d != POOLED
            and r["baseline"].get("mae") is not None]
    if rows:
        worst, row = max(rows, key=lambda item: item[1]["baseline"]["mae"])
        text += (
            f" Where the baseline is worst, {worst}, MAE went from {_num(row['baseline']['mae'])}"
            f" to {_num(row[head].get('mae'))} ({_change_words(row[head])}, "
            f"{_significance(row[head])})."
        )
    better = data["variants"][head].get("significantly_better", [])
    worse = data["variants"][head].get("significantly_worse", [])
    text += f" Significantly better on: {', '.join(better) or 'none'};"
    text += f" significantly worse on: {', '.join(worse) or 'none'}."
    within_noise = [
        f"{d} ({_num(r['baseline']['mae'])} to {_num(r[head]['mae'])})"
        for d, r in rows
        if d not in worse and (r[head].get("improvement") or {}).get("estimate", 0) < 0
    ]
    if within_noise:
        text += (" Worse within noise (the change's interval includes 0) on: "
                 f"{', '.join(within_noise)}.")
    return text


def headline_table(data: Mapping[str, Any]) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
    """``(headers, rows)``: per dimension, baseline vs the headline variant.

    Columns: n, baseline MAE [CI], aligned MAE [CI], reduction, significant, noise floor
    MAE. Without a baseline and an aligned variant, the MAE [CI] of each variant.
    """
    head = data.get("headline_variant")
    if head is None or "baseline" not in data["variants"]:
        return _ablation_table(data)[1:]
    ci = ci_label(data)
    headers = ("dimension", "n", f"baseline MAE [{ci}]", f"{head} MAE [{ci}]",
               "MAE change", "significant", "rater-vs-rater MAE")
    rows = []
    for dim, row in data["dimensions"].items():
        floor = (row.get("noise_floor") or {}).get("mae")
        rows.append((dim, row[head].get("n"), _ci(row["baseline"]), _ci(row[head]),
                     mae_change(row[head]), _yes_no(row[head].get("significant")),
                     _num(floor)))
    return headers, rows


def _ablation_table(data: Mapping[str, Any]) -> tuple[Any, ...]:
    variants = list(data["variants"])
    rows = [(dim, *(_ci(row[v]) for v in variants)) for dim, row in data["dimensions"].items()]
    return ("table", ("dimension", *variants), rows)


def _improvement_table(data: Mapping[str, Any]) -> tuple[Any, ...]:
    variants = [v for v in data["variants"] if v != "baseline"]
    rows = []
    for dim, row in data["dimensions"].items():
        cells = [_interval(row[v].get("improvement"), signed=True)
                 + (" *" if row[v].get("significant") else "") for v in variants]
        rows.append((dim, *cells))
    return ("table", ("dimension", *variants), rows)


def curve_table(data: Mapping[str, Any]) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
    """``(headers, rows)``: per share of the training folds, its size, MAE and gain."""
    ci = ci_label(data)
    headers = ("share of training fold", "training notebooks", "training grades", "fits",
               f"aligned MAE [{ci}]", f"gain over the previous share [{ci}]")
    rows = [(f"{p['fraction']:.0%}", f"{p['n_notebooks']:.1f}", f"{p['n_grades']:.1f}",
             p["n_fits"], _interval(p["mae"]), _interval(p["gain"], signed=True))
            for p in data["learning_curve"]["points"]]
    return headers, rows


def curve_blocks(data: Mapping[str, Any], plots: Mapping[str, str]) -> list[tuple[Any, ...]]:
    """The learning curve's section: its verdict, a table per share, the plot; or none."""
    curve = data.get("learning_curve")
    if not curve:
        return []
    base = curve.get("baseline")
    text = curve["verdict"] + (
        f" For reference, the unaligned baseline's MAE is {_interval(base)}." if base else "")
    blocks: list[tuple[Any, ...]] = [
        ("h2", "Learning curve: how many grades are enough"), ("p", text),
        ("table", *curve_table(data)),
        ("p", f"Each share of every training fold is drawn {curve['n_seeds']} times at random "
              "(whole notebooks with all their grades, training-fold cases only); the aligned "
              "judge (full) learns from each sample and scores the held-out fold. MAE pools "
              "every held-out item over the samples; the gain is the previous share's MAE "
              "minus this one's (paired bootstrap, > 0: fewer errors). The last step decides "
              "whether the curve has flattened: it has when that gain's interval reaches 0 "
              f"or the gain is below {curve['min_relative_gain']:.0%} of the MAE before it."),
    ]
    if "learning_curve" in plots:
        blocks.append(("img", "Learning curve", plots["learning_curve"]))
    return blocks


def _details_table(data: Mapping[str, Any]) -> tuple[Any, ...]:
    headers = ("dimension", "variant", "n", "signed error", "exact agreement",
               "QWK", "applicability accuracy", "failed")
    rows = [
        (dim, v, r.get("n"), _num(r.get("signed_error"), signed=True),
         _num(r.get("exact_agreement")), _num(r.get("kappa")),
         _num(r.get("applicability_accuracy")), r.get("n_failed", _DASH))
        for dim, row in data["dimensions"].items() if dim != POOLED
        for v, r in ((v, row[v]) for v in data["variants"])
    ]
    return ("table", headers, rows)


def _guideline_blocks(data: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    guidelines = data.get("guidelines") or []
    blocks: list[tuple[Any, ...]] = [("h2", "What the memories learned")]
    if not guidelines:
        return [*blocks, ("p", "No guidelines were learned (no variant with semantic memory, "
                          "or the feedback gave none).")]
    n_folds = len(data.get("folds") or [])
    blocks.append(("p", f"{data.get('n_guidelines')} distinct guidelines over all folds; "
                   "the ones most folds learned, per dimension (all in guidelines.md):"))
    blocks.append(("ul", [
        f"{g['dimension']}: {g['text']} (learned in {g['n_folds']} of {n_folds} folds, "
        f"support {g['support']})"
        for g in guidelines
    ]))
    return blocks


def cost_lines(data: Mapping[str, Any]) -> list[str]:
    """What the study cost: wall time by stage; judgments, model calls, cache, tokens."""
    t, u = data.get("timings") or {}, data.get("usage") or {}
    return [
        f"Wall time {t.get('total', 0):.1f} s: baseline scoring {t.get('baseline', 0):.1f} s, "
        f"alignment {t.get('align', 0):.1f} s ({t.get('align_per_fold_dimension', 0):.3f} s "
        f"per fold, variant and dimension), aligned scoring {t.get('score', 0):.1f} s, statistics "
        f"{t.get('statistics', 0):.1f} s"
        + (f", learning curve {t['learning_curve']:.1f} s." if "learning_curve" in t else "."),
        f"{u.get('judgments', 0)} judgments: {u.get('model_calls', 0)} model calls "
        f"({u.get('retries', 0)} of them retries), "
        f"{u.get('cache_hits', 0)} cache hits, {u.get('failures', 0)} failures, "
        f"{u.get('prompt_tokens', 0)} prompt + {u.get('completion_tokens', 0)} "
        "completion tokens.",
    ]


# -- formatting ---------------------------------------------------------------------------


def _num(value: Any, *, signed: bool = False) -> str:
    if value is None or isinstance(value, bool):
        return _DASH
    return f"{value:+.3f}" if signed else f"{value:.3f}"


def _interval(value: Mapping[str, Any] | None, *, signed: bool = False) -> str:
    """``estimate [low, high]`` of an ``{estimate, low, high}`` dict; a dash when absent."""
    if not value or value.get("estimate") is None:
        return _DASH
    return (f"{_num(value['estimate'], signed=signed)} [{_num(value.get('low'), signed=signed)}, "
            f"{_num(value.get('high'), signed=signed)}]")


def _ci(row: Mapping[str, Any]) -> str:
    if row.get("mae") is None:
        return _DASH
    return f"{_num(row['mae'])} [{_num(row.get('ci_low'))}, {_num(row.get('ci_high'))}]"


def _change_words(row: Mapping[str, Any]) -> str:
    """``37% fewer errors``, ``4% more errors`` or ``no change in errors``."""
    value = row.get("reduction")
    if value is None:
        return "change undefined"
    if not round(value, 2):
        return "no change in errors"
    return f"{abs(value):.0%} {'fewer' if value > 0 else 'more'} errors"


def _failures(data: Mapping[str, Any]) -> str:
    """What the failed judgments took out of the comparison, when they took anything."""
    comparison = data.get("comparison") or {}
    left_out, items = comparison.get("left_out", 0), comparison.get("items", 0)
    if not left_out:
        return ""
    text = (f"{left_out} of {items} graded items ({left_out / items:.0%}) had a judgment "
            "that failed in some variant and are left out, so every variant is compared on "
            f"the same {comparison.get('compared')} items. ")
    if not comparison.get("significance_tested", True):
        text += (f"That is more than the {_pct(comparison.get('max_failed'))} allowed "
                 "(--max-failed), so no difference is called significant; run the study "
                 "again to retry the failed judgments. ")
    return text


def _significance(row: Mapping[str, Any]) -> str:
    return "significant" if row.get("significant") else "not significant"


def _yes_no(value: Any) -> str:
    return _DASH if value is None else ("yes" if value else "no")


def _pct(value: Any) -> str:
    return f"{value:.0%}" if isinstance(value, float) else str(value)


# -- rendering ----------------------------------------------------------------------------

_MD_LINK = re.compile(r"\]([(\[])")


def _md(text: Any) -> str:
    """Plain text made inert in Markdown, yet readable raw.

    HTML is escaped (renderers pass raw HTML through), links and images are broken up
    (``](`` becomes ``]\\(``), table pipes escaped and newlines folded.
    """
    text = html.escape(" ".join(str(text).split()), quote=False).replace("|", "\\|")
    return _MD_LINK.sub(r"]\\\1", text)


def to_markdown(blocks: Sequence[tuple[Any, ...]]) -> str:
    """Render :func:`report_blocks` as Markdown (GitHub flavour tables)."""
    out: list[str] = []
    for kind, *body in blocks:
        if kind in ("h1", "h2"):
            out.append(f"{'#' * int(kind[1])} {_md(body[0])}")
        elif kind == "p":
            out.append(_md(body[0]))
        elif kind == "ul":
            out.append("\n".join(f"- {_md(item)}" for item in body[0]))
        elif kind == "img":
            out.append(f"![{_md(body[0])}]({body[1]})")
        elif kind == "table":
            headers, rows = body
            lines = ["| " + " | ".join(_md(h) for h in headers) + " |",
                     "|" + "|".join(["---"] + ["---:"] * (len(headers) - 1)) + "|"]
            lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]
            out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#24292f;line-height:1.45}
table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:14px}
th,td{border:1px solid #d0d7de;padding:4px 10px;text-align:right}
th:first-child,td:first-child{text-align:left}
th{background:#f6f8fa} tr:nth-child(even) td{background:#fbfcfd}
figure{margin:1em 0} img{max-width:100%;border:1px solid #eaeef2}
figcaption{font-size:13px;color:#57606a}
"""


def to_html(blocks: Sequence[tuple[Any, ...]], *, title: str) -> str:
    """Render :func:`report_blocks` as a standalone HTML page; all text is escaped."""
    esc = html.escape
    out = ["<!DOCTYPE html>", "<html lang='en'><head><meta charset='utf-8'>",
           f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>"]
    for kind, *body in blocks:
        if kind in ("h1", "h2", "p"):
            out.append(f"<{kind}>{esc(str(body[0]))}</{kind}>")
        elif kind == "ul":
            out.append("<ul>" + "".join(f"<li>{esc(str(i))}</li>" for i in body[0]) + "</ul>")
        elif kind == "img":
            out.append(f"<figure><img src='{esc(body[1])}' alt='{esc(body[0])}'>"
                       f"<figcaption>{esc(body[0])}</figcaption></figure>")
        elif kind == "table":
            headers, rows = body
            head = "".join(f"<th>{esc(str(h))}</th>" for h in headers)
            rows_html = "".join(
                "<tr>" + "".join(f"<td>{esc(str(c))}</td>" for c in row) + "</tr>"
                for row in rows
            )
            out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows_html}</tbody></table>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
