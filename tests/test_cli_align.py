"""Tests of ``memalign-nb align`` and ``memalign-nb score`` (memalign_nb.cli.align)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from memalign_nb.cli import main
from memalign_nb.datasets import generate_dataset

DIMS = ["data_imputation", "model_training"]


@pytest.fixture(scope="module")
def dataset_dir(tmp_path_factory) -> Path:
    return generate_dataset(tmp_path_factory.mktemp("ds") / "ds", 8, seed=41)


@pytest.fixture(scope="module")
def judge_dir(dataset_dir, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("judge") / "aligned"
    assert main(["align", str(dataset_dir), "--dimensions", *DIMS, "--k", "3",
                 "--out", str(out), "--no-progress"]) == 0
    return out


def test_align_prints_what_was_learned_and_saves(dataset_dir, tmp_path, capsys):
    out = tmp_path / "judge"
    code = main(["align", str(dataset_dir), "--dimensions", ",".join(DIMS), "--policy",
                 "disagreements", "--out", str(out), "--no-progress"])
    printed = capsys.readouterr().out
    assert code == 0
    assert "aligned heuristic (heuristic engine) on 8 cases, 32 grades" in printed
    rows = {line.split()[0]: line.split()[1:] for line in printed.splitlines()
            if line.split() and line.split()[0] in (*DIMS, "total")}
    assert set(rows) == {*DIMS, "total"} and rows["total"][0] == "16"
    assert int(rows["total"][1]) < 16  # only disagreements stored
    assert f"saved to {out}" in printed
    config = json.loads((out / "config.json").read_text())
    assert config["params"]["episodic_policy"] == "disagreements"
    assert config["dimensions"] == DIMS


def test_align_refuses_an_occupied_directory_before_any_work(dataset_dir, judge_dir, capsys):
    code = main(["align", str(dataset_dir), "--out", str(judge_dir), "--no-progress"])
    error = capsys.readouterr().err
    assert code == 2 and "already holds a saved judge" in error and str(judge_dir) in error


def test_align_reports_a_bad_dataset(tmp_path, capsys):
    assert main(["align", str(tmp_path / "missing"), "--out", str(tmp_path / "j")]) == 2
    assert "memalign-nb align: error:" in capsys.readouterr().err
    assert not (tmp_path / "j").exists()


def test_align_counts_the_grades_saved_in_the_feedback_store(dataset_dir, tmp_path, capsys):
    """A grade entered in the page or panel (the store) is one align learns from."""
    from memalign_nb.feedback import FeedbackStore, Grade

    data = tmp_path / "ds"
    shutil.copytree(dataset_dir, data)
    with FeedbackStore(data / "feedback.sqlite") as store:
        store.save(Grade("0000-titanic", "data_imputation", 1, "fitted on all rows", "zoe"))
    assert main(["align", str(data), "--dimensions", *DIMS, "--out", str(tmp_path / "j"),
                 "--no-progress"]) == 0
    assert "on 8 cases, 33 grades" in capsys.readouterr().out
    assert main(["align", str(data), "--dimensions", *DIMS, "--out", str(tmp_path / "k"),
                 "--no-progress", "--no-store"]) == 0
    assert "on 8 cases, 32 grades" in capsys.readouterr().out


def test_align_goes_on_past_an_unreadable_notebook(dataset_dir, tmp_path, capsys):
    data = tmp_path / "ds"
    shutil.copytree(dataset_dir, data)
    (data / "notebooks" / "0007-churn.ipynb").write_text('{"cells": [], "nbformat": 4}')
    assert main(["align", str(data), "--dimensions", *DIMS, "--out", str(tmp_path / "j"),
                 "--no-progress"]) == 0
    captured = capsys.readouterr()
    assert "on 7 cases" in captured.out
    assert captured.err.count("0007-churn.ipynb") == 1
    assert main(["align", str(data), "--out", str(tmp_path / "k"), "--no-progress",
                 "--strict"]) == 2


def test_score_reads_files_and_folders_and_goes_on_past_bad_notebooks(
        dataset_dir, judge_dir, tmp_path, capsys):
    folder = tmp_path / "nbs"
    folder.mkdir()
    notebooks = sorted((dataset_dir / "notebooks").glob("*.ipynb"))
    for nb in notebooks[:2]:
        shutil.copy(nb, folder / nb.name)
    bad = tmp_path / "broken.ipynb"
    bad.write_text("{not a notebook")
    out = tmp_path / "judgments.jsonl"
    code = main(["score", str(judge_dir), str(folder), str(notebooks[5]), str(bad),
                 "--dimensions", *DIMS, "--out", str(out), "--no-progress"])
    captured = capsys.readouterr()
    assert code == 1  # one notebook could not be read
    assert "skipped" in captured.err and "broken.ipynb" in captured.err
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 3 * len(DIMS)
    assert {row["case_id"] for row in lines} == {nb.stem for nb in (*notebooks[:2],
                                                                    notebooks[5])}
    assert all(row["judge_id"] == "memalign:heuristic" and row["score"] in (0, 1, 2, 3)
               for row in lines)
    assert notebooks[5].stem in captured.out and "1 notebooks unreadable" in captured.out


def test_score_unaligned_dimensions_and_unknown_ones(dataset_dir, judge_dir, capsys):
    nb = sorted((dataset_dir / "notebooks").glob("*.ipynb"))[0]
    assert main(["score", str(judge_dir), str(nb), "--dimensions", "model_use",
                 "--no-progress"]) == 0
    assert nb.stem in capsys.readouterr().out
    assert main(["score", str(judge_dir), str(nb), "--dimensions", "vibes"]) == 2
    assert "unknown dimension 'vibes'" in capsys.readouterr().err


def test_score_reports_a_broken_judge_directory(dataset_dir, tmp_path, capsys):
    nb = sorted((dataset_dir / "notebooks").glob("*.ipynb"))[0]
    assert main(["score", str(tmp_path), str(nb)]) == 2
    assert "config.json: missing" in capsys.readouterr().err


def test_score_real_kaggle_notebooks(judge_dir, real_notebook_paths, tmp_path, capsys):
    chosen = real_notebook_paths[:4]
    out = tmp_path / "real.jsonl"
    code = main(["score", str(judge_dir), *map(str, chosen), "--out", str(out),
                 "--no-progress"])
    captured = capsys.readouterr()
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    read = {row["case_id"] for row in rows}
    assert len(rows) == 9 * len(read) and len(read) >= 3
    assert all(row["score"] in (0, 1, 2, 3) for row in rows if row["error"] is None)
    aligned = [row for row in rows if row["dimension"] in DIMS]
    assert aligned and all(row["metadata"]["aligned"] for row in aligned)
    assert code == (0 if len(read) == len(chosen) and all(r["error"] is None for r in rows)
                    else 1)
    assert "notebooks unreadable" in captured.out


def test_both_commands_take_any_judge_reference(dataset_dir, judge_dir, tmp_path, capsys):
    from memalign_nb.integrations.judge_folders import save_judge_dir
    from memalign_nb.judges.heuristic import HeuristicJudge

    nb = sorted((dataset_dir / "notebooks").glob("*.ipynb"))[0]
    assert main(["score", "heuristic", str(nb), "--dimensions", "model_use",
                 "--no-progress"]) == 0
    assert nb.stem in capsys.readouterr().out
    spec = save_judge_dir(HeuristicJudge(tracking_expected=False), tmp_path / "spec")
    out = tmp_path / "aligned-from-spec"
    assert main(["align", str(dataset_dir), "--model", str(spec), "--dimensions", "model_use",
                 "--out", str(out), "--no-progress"]) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["base_judge"]["options"]["tracking_expected"] is False
    assert main(["align", str(dataset_dir), "--model", str(judge_dir), "--out",
                 str(tmp_path / "twice"), "--no-progress"]) == 2
    assert "already aligned" in capsys.readouterr().err


def test_score_shows_full_dimension_names_and_marks_the_aligned_ones(dataset_dir, judge_dir,
                                                                     capsys):
    nb = sorted((dataset_dir / "notebooks").glob("*.ipynb"))[0]
    assert main(["score", str(judge_dir), str(nb), "--no-progress"]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("notebook"))
    assert "data_imputation*" in header and "model_training*" in header
    assert "exploratory_data_analysis " in header and "mlflow_logging" in header
    assert ("* aligned with expert memory: data_imputation, model_training; the others are "
            "scored by the base judge alone") in out


def test_score_leaves_an_old_output_file_when_it_cannot_finish(dataset_dir, judge_dir,
                                                               tmp_path, capsys):
    out = tmp_path / "scores.jsonl"
    out.write_text("old\n")
    assert main(["score", str(judge_dir), str(tmp_path / "none.ipynb"), "--out", str(out),
                 "--dimensions", "vibes"]) == 2
    assert out.read_text() == "old\n"
    assert main(["score", str(judge_dir), str(tmp_path), "--out",
                 str(tmp_path / "missing" / "deeper" / "x.jsonl")]) == 2
    assert "is not a writable folder" in capsys.readouterr().err
