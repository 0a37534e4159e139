"""Tests for memalign_nb.notebooks.folder: reading many notebooks, going on past bad ones."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
from pathlib import Path

import pytest

from memalign_nb import LoadReport, MemAlignWarning, NotebookError, read_notebooks

BAD = Path(__file__).parent / "data" / "bad"


def write_notebook(path: Path, source: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [
            {
                "cell_type": "code",
                "id": "a",
                "source": source,
                "metadata": {},
                "outputs": [],
                "execution_count": None,
            }
        ],
    }
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def sources(report: LoadReport) -> list[str]:
    return [notebook.cells[0].source for notebook in report.notebooks]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Good notebooks written out of order, two bad ones, and files to leave alone."""
    for name in ("c", "a", "b"):
        write_notebook(tmp_path / f"{name}.ipynb", f"# {name}")
    shutil.copy(BAD / "truncated.ipynb", tmp_path / "bb_truncated.ipynb")
    shutil.copy(BAD / "empty.ipynb", tmp_path / "aa_empty.ipynb")
    (tmp_path / "notes.txt").write_text("not a notebook")
    write_notebook(tmp_path / "sub" / "d.ipynb", "# d")
    write_notebook(tmp_path / ".ipynb_checkpoints" / "a-checkpoint.ipynb", "# stale")
    write_notebook(tmp_path / "sub" / ".ipynb_checkpoints" / "d-checkpoint.ipynb", "# stale")
    return tmp_path


def test_folder_goes_on_past_bad_files_in_sorted_order(folder, caplog):
    with caplog.at_level(logging.INFO, logger="memalign_nb.notebooks.folder"):
        report = read_notebooks(folder)
    assert sources(report) == ["# a", "# b", "# c"]
    assert [Path(error.path).name for error in report.failures] == [
        "aa_empty.ipynb",
        "bb_truncated.ipynb",
    ]
    assert all(isinstance(error, NotebookError) for error in report.failures)
    assert report.failures[0].problem == "file is empty"
    assert not report.ok
    logged = [record.getMessage() for record in caplog.records]
    assert any("aa_empty.ipynb" in message for message in logged)
    assert any("bb_truncated.ipynb" in message for message in logged)
    # The caller reports the failures; the library only logs them at INFO (-v), so a
    # skipped notebook is shown once, not twice.
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and "ipynb" in
                r.getMessage() and "empty" in r.getMessage()]


def test_recursive_reads_sub_folders_but_not_hidden_ones(folder):
    report = read_notebooks(folder, recursive=True)
    assert sources(report) == ["# a", "# b", "# c", "# d"]
    assert "# stale" not in sources(report)


def test_pattern_selects_files(folder):
    report = read_notebooks(folder, pattern="[ab].ipynb")
    assert sources(report) == ["# a", "# b"]
    assert report.ok


def test_list_of_files_and_folders_keeps_its_order_and_reads_each_file_once(folder):
    entries = [
        folder / "c.ipynb",
        folder / "sub",
        folder / "missing.ipynb",
        str(folder / "a.ipynb"),
        folder / "sub" / "d.ipynb",
    ]
    report = read_notebooks(entries)
    assert sources(report) == ["# c", "# d", "# a"]
    assert [(Path(e.path).name, e.problem) for e in report.failures] == [
        ("missing.ipynb", "no such file or folder")
    ]


def test_file_named_explicitly_is_read_whatever_its_name(tmp_path):
    path = write_notebook(tmp_path / "exported.json", "# json")
    assert sources(read_notebooks(path)) == ["# json"]
    assert sources(read_notebooks([path])) == ["# json"]


def test_single_missing_path_raises(tmp_path):
    with pytest.raises(NotebookError, match="no such file or folder") as info:
        read_notebooks(tmp_path / "nope")
    assert info.value.path == str(tmp_path / "nope")


def test_empty_folder_gives_an_empty_report_and_a_warning(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="memalign_nb.notebooks.folder"):
        report = read_notebooks(tmp_path)
    assert report == LoadReport()
    assert report.ok
    assert "no files matching '*.ipynb'" in caplog.text


def test_output_budget_reaches_every_notebook(tmp_path):
    path = write_notebook(tmp_path / "a.ipynb", "print('x' * 5000)")
    doc = json.loads(path.read_text())
    doc["cells"][0]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "x" * 5000}]
    path.write_text(json.dumps(doc))
    report = read_notebooks(tmp_path, max_output_chars=300)
    assert 0 < len(report.notebooks[0].cells[0].output_text) <= 300


def test_summary_names_every_failure(folder):
    summary = read_notebooks(folder).summary()
    lines = summary.splitlines()
    assert lines[0] == "read 3 notebooks; 2 failed:"
    assert "aa_empty.ipynb: file is empty" in lines[1]
    assert "bb_truncated.ipynb: not valid JSON at line" in lines[2]
    assert read_notebooks(folder, pattern="[a-c].ipynb").summary() == "read 3 notebooks"


def test_progress_bar(folder, capsys):
    report = read_notebooks(folder, progress=True)
    assert len(report.notebooks) == 3
    assert "reading notebooks" in capsys.readouterr().err


def test_report_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        LoadReport().notebooks = ()


def test_links_and_fifos_in_a_folder_are_failures_not_skipped_in_silence(tmp_path):
    write_notebook(tmp_path / "good.ipynb", "# good")
    os.mkfifo(tmp_path / "fifo.ipynb")
    (tmp_path / "loop_a.ipynb").symlink_to("loop_b.ipynb")
    (tmp_path / "loop_b.ipynb").symlink_to("loop_a.ipynb")
    (tmp_path / "dangling.ipynb").symlink_to("missing.ipynb")
    report = read_notebooks(tmp_path)
    assert sources(report) == ["# good"]
    problems = {Path(error.path).name: error.problem for error in report.failures}
    assert problems == {
        "dangling.ipynb": "is a dangling symbolic link (to missing.ipynb, which does not exist)",
        "fifo.ipynb": "is a FIFO (named pipe), not a notebook file; not read",
        "loop_a.ipynb": "is a symbolic link loop",
        "loop_b.ipynb": "is a symbolic link loop",
    }


def test_a_dangling_link_named_alone_is_a_failure_of_the_batch(tmp_path):
    (tmp_path / "gone.ipynb").symlink_to("missing.ipynb")
    report = read_notebooks([tmp_path / "gone.ipynb"])
    assert [error.problem for error in report.failures] == [
        "is a dangling symbolic link (to missing.ipynb, which does not exist)"]


def test_schema_problems_give_one_warning_per_batch_and_details_at_info(tmp_path, caplog):
    doc = json.loads(write_notebook(tmp_path / "x.ipynb", "x").read_text())
    doc["cells"].append({"cell_type": "markdown", "id": "m", "metadata": {}, "source": "t",
                         "execution_count": 1})
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.ipynb").write_text(json.dumps(doc))
    with caplog.at_level(logging.INFO, logger="memalign_nb.notebooks.folder"), \
            pytest.warns(MemAlignWarning) as record:
        report = read_notebooks(tmp_path)
    assert len(report.notebooks) == 4
    assert len(record) == 1
    message = str(record[0].message)
    assert message.startswith("3 of 4 notebooks read despite nbformat schema problems")
    assert "in 3: cell N: Additional properties" in message
    details = [r.getMessage() for r in caplog.records if "schema problems" in r.getMessage()]
    assert len(details) == 3 and all("cell 1" in d for d in details)
