"""Tests of memalign_nb.study.report: the study's files, the report's figures and escaping.

The study is the real one (heuristic judge, MemAlign) on a small generated dataset, with a
learning curve, so its section is checked too.
"""

from __future__ import annotations

import dataclasses
import html
import json
import re

import pytest

from memalign_nb.study import AlignmentStudy, save_study
from memalign_nb.study.report import (
    guidelines_markdown,
    headline_summary,
    headline_table,
    report_blocks,
    to_html,
    to_markdown,
)


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    from memalign_nb.datasets import generate_dataset, load_dataset

    dataset = load_dataset(generate_dataset(tmp_path_factory.mktemp("ds"), n_cases=16, seed=1))
    study = AlignmentStudy("heuristic", n_folds=2, n_bootstrap=200, progress=False,
                           learning_curve=(0.5, 1.0), curve_seeds=2)
    return study.fit(dataset).result_


@pytest.fixture(scope="module")
def saved(result, tmp_path_factory):
    return save_study(result, tmp_path_factory.mktemp("study") / "out")


def test_save_study_writes_every_output(result, saved):
    for path in (saved.report_md, saved.report_html, saved.results_json,
                 saved.judgments_jsonl, saved.guidelines_md):
        assert path.is_file() and path.parent == saved.folder and path.stat().st_size > 100
    assert json.loads(saved.results_json.read_text()) == json.loads(json.dumps(result.to_dict()))
    assert {p.name for p in saved.plots.values()} == {
        "mae.png", "ablation.png", "improvement.png", "leniency.png", "learning_curve.png",
        *(f"confusion_{d}.png" for d in result.dimensions)}
    assert all(p.parent == saved.folder / "plots" and p.is_file() for p in saved.plots.values())


def test_every_number_in_the_report_is_in_results_json(result, saved):
    data = json.loads(saved.results_json.read_text())
    allowed = set()
    _formats(data, allowed)
    text = saved.report_md.read_text()
    for literal in (data["created_at"], data["dataset"]["path"], data["params"]["judge"]):
        text = text.replace(str(literal), " ")
    for guideline in data["guidelines"]:  # learned text quotes its evidence in words
        text = text.replace(to_markdown([("p", guideline["text"])]).strip(), " ")
    text = re.sub(r"g-[0-9a-f]{12}|plots/\S+\.png", " ", text)
    numbers = re.findall(r"[+\-]?\d+(?:\.\d+)?%?", text)
    assert len(numbers) > 100
    missing = sorted({n for n in numbers if n not in allowed and n.lstrip("+-") not in allowed})
    lines = [line for line in text.splitlines()
             if set(re.findall(r"[+\-]?\d+(?:\.\d+)?%?", line)) & set(missing)]
    assert not missing, f"report figures not in results.json: {missing} in {lines}"


def _formats(value, out: set) -> None:
    """Every way the report may print a number found in ``value`` (recursively)."""
    if isinstance(value, bool):
        return
    if isinstance(value, int | float):
        out.update({str(value), f"{value:.3f}", f"{value:+.3f}", f"{value:.1f}",
                    f"{value:.0%}", f"{-value:+.0%}"})
    elif isinstance(value, dict):
        for v in value.values():
            _formats(v, out)
    elif isinstance(value, list):
        out.add(str(len(value)))
        for v in value:
            _formats(v, out)


def test_report_holds_the_headline_ablation_guidelines_and_plots(result, saved):
    md = saved.report_md.read_text()
    data = result.to_dict()
    headers, rows = headline_table(data)
    head = data["headline_variant"]
    assert headers[2:4] == ("baseline MAE [95% CI]", f"{head} MAE [95% CI]")
    assert headers[4:] == ("MAE change", "significant", "rater-vs-rater MAE")
    assert [r[0] for r in rows] == [*result.dimensions, "all"]
    for row in rows:
        assert "| " + " | ".join(map(str, row)) + " |" in md
    assert "## Ablation: MAE [95% CI] per variant" in md
    assert "| dimension | baseline | semantic | episodic | full |" in md
    for name in ("mae", "ablation", "improvement", "leniency"):
        assert f"(plots/{name}.png)" in md
    top = data["guidelines"]
    assert top, "the full variant learned no guideline"
    assert html.escape(top[0]["text"], quote=False)[:40] in md
    html_text = saved.report_html.read_text()
    assert html_text.startswith("<!DOCTYPE html>") and "<img src='plots/mae.png'" in html_text
    assert html_text.count("<table>") == md.count("\n|---") == 5  # with the learning curve


def test_text_from_data_is_escaped_in_markdown_and_html(result):
    evil = "<script>alert(1)</script> [click](javascript:alert(2)) a|b"
    forged = dataclasses.replace(
        result,
        dataset={**result.dataset, "path": "<img src=x onerror=alert(3)>"},
        guidelines=({"dimension": result.dimensions[0], "text": evil, "id": "g-000000000000",
                     "engine": "llm", "support": 3, "variant": "full", "fold": 1},),
    )
    data = forged.to_dict()
    blocks = report_blocks(data, {"mae": "plots/mae.png"})
    md = to_markdown(blocks)
    rendered = {"report.md": md, "report.html": to_html(blocks, title=data["dataset"]["path"]),
                "guidelines.md": guidelines_markdown(forged)}
    for name, text in rendered.items():
        assert "<script>" not in text and "<img src=x" not in text, name
        assert "&lt;script&gt;" in text, name
        if name.endswith(".md"):  # in HTML it is inert text anyway
            assert "](javascript:" not in text, name
    assert "a\\|b" in md


def test_judgments_jsonl_has_one_row_per_judgment_with_variant_and_fold(result, saved):
    rows = [json.loads(line) for line in saved.judgments_jsonl.read_text().splitlines()]
    assert len(rows) == sum(len(js) for js in result.judgments.values())
    fold_of = result.fold_of()
    for row in rows:
        assert row["variant"] in result.variants
        assert row["fold"] == fold_of[row["case_id"]]
        assert row["case_id"] in result.folds[row["fold"] - 1]


def test_guidelines_md_lists_every_learned_guideline_with_its_folds(result, saved):
    text = saved.guidelines_md.read_text()
    assert text == guidelines_markdown(result)
    learned = result.learned_guidelines("full")
    for guidelines in learned.values():
        for g in guidelines:
            assert g["id"] in text
            assert f"folds {', '.join(map(str, g['folds']))} of 2" in text


def test_the_study_view_widget_reads_the_saved_folder(result, saved):
    from memalign_nb_widgets.study_view import read_study

    folder = read_study(saved.folder)
    assert folder.dimensions == (*result.dimensions, "all")
    dim = result.dimensions[0]
    own, shared = folder.plots_for(dim)
    assert [p.name for p in own] == [f"confusion_{dim}.png"]
    assert {p.name for p in shared} == {"mae.png", "ablation.png", "improvement.png",
                                        "leniency.png", "learning_curve.png"}
    assert set(folder.rows(dim)) == set(result.variants)


def test_headline_names_dimensions_made_worse_within_noise(result):
    import copy

    data = result.to_dict()
    head = data["headline_variant"]
    dimension = result.dimensions[0]
    for row in data["dimensions"].values():
        row[head]["improvement"] = {"estimate": 0.02, "low": -0.01, "high": 0.05}
    assert "within noise" not in headline_summary(data)
    worse = copy.deepcopy(data)
    row = worse["dimensions"][dimension]
    row["baseline"]["mae"], row[head]["mae"] = 0.25, 0.3
    row[head]["improvement"] = {"estimate": -0.05, "low": -0.2, "high": 0.0}
    worse["variants"][head]["significantly_worse"] = []
    text = headline_summary(worse)
    assert (f"Worse within noise (the change's interval includes 0) on: {dimension} "
            "(0.250 to 0.300).") in text
    worse["variants"][head]["significantly_worse"] = [dimension]
    assert "within noise" not in headline_summary(worse)


def _variant_rows(data, variant, mae, reduction):
    for row in data["dimensions"].values():
        row[variant].update(mae=mae, reduction=reduction,
                            improvement={"estimate": 0.0, "low": -0.1, "high": 0.1})


def test_headline_names_the_best_variant_and_never_says_negative_fewer(result):
    import copy

    from memalign_nb.study.result import mae_change

    data = copy.deepcopy(result.to_dict())
    data["headline_variant"] = "episodic"  # what StudyResult picks when it is the best
    _variant_rows(data, "episodic", 0.1, 0.37)
    text = headline_summary(data)
    assert "The best variant is episodic (of episodic, semantic, full)." in text
    assert "37% fewer errors" in text
    _variant_rows(data, "episodic", 0.5, -0.04)
    text = headline_summary(data)
    assert "4% more errors" in text and "-4%" not in text and "fewer errors" not in text
    assert mae_change({"reduction": 0.37}) == "-37%"  # the table's and mae.png's label
    assert mae_change({"reduction": -0.04}) == "+4%"


def test_the_plot_and_the_table_show_the_same_change(result, saved):
    from memalign_nb.study import plots
    from memalign_nb.study.result import mae_change

    data = result.to_dict()
    figure = plots.mae_chart(data)
    labels = {t.get_text() for t in figure.axes[0].texts}
    head = data["headline_variant"]
    table = {row[4] for row in headline_table(data)[1] if row[0] != "all"}
    assert {label.rstrip(" *") for label in labels} == table
    assert all(mae_change(data["dimensions"][d][head]) in labels or
               mae_change(data["dimensions"][d][head]) + " *" in labels
               for d in result.dimensions if data["dimensions"][d][head].get("reduction")
               is not None)


def test_failed_items_are_said_and_too_many_stop_significance(result):
    import copy

    data = copy.deepcopy(result.to_dict())
    data["comparison"] = {"items": 90, "compared": 60, "left_out": 30, "max_failed": 0.05,
                          "significance_tested": False}
    text = headline_summary(data)
    assert text.startswith("30 of 90 graded items (33%) had a judgment that failed in some "
                           "variant and are left out, so every variant is compared on the "
                           "same 60 items. That is more than the 5% allowed (--max-failed)")


def test_the_title_names_the_dataset_folder_not_its_install_path(result):
    data = result.to_dict()
    data["dataset"]["path"] = "/opt/venv/lib/python3.11/site-packages/memalign_nb/datasets/sample"
    title = report_blocks(data, {})[0]
    assert title == ("h1", f"Alignment study: {data['params']['judge']} on sample")
