"""Tests for memalign_nb.sections.facts_cache: one fact extraction per notebook."""

from __future__ import annotations

import threading

import pytest

import memalign_nb.sections.facts as facts_module
from memalign_nb.datasets import load_dataset, sample_path
from memalign_nb.judges import make_judge
from memalign_nb.judges.batch import run_batch
from memalign_nb.judges.scripted import ScriptedChatModel
from memalign_nb.notebooks.model import Cell, Notebook
from memalign_nb.sections import build_sections
from memalign_nb.sections.facts_cache import notebook_analysis, notebook_facts


@pytest.fixture
def scans(monkeypatch):
    """Counts fact extractions: each builds one Scanner."""
    made = []
    original = facts_module.Scanner

    def counting(*args, **kwargs):
        made.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(facts_module, "Scanner", counting)
    return made


@pytest.fixture(scope="module")
def cases():
    return load_dataset(sample_path()).cases[:6]


def fresh(cases):
    """The same cases with new notebook objects, so nothing is cached yet."""
    from dataclasses import replace

    return [replace(c, notebook=replace(c.notebook)) for c in cases]


@pytest.mark.parametrize("concurrency", [1, 8])
def test_the_heuristic_judge_extracts_facts_once_per_notebook(cases, scans, concurrency):
    run_batch(make_judge("heuristic"), fresh(cases), make_judge().dimensions,
              concurrency=concurrency, progress=False)
    assert len(scans) == len(cases)


def test_an_llm_judge_cuts_every_section_from_one_extraction(cases, scans):
    chat = ScriptedChatModel(default_reply={"rationale": "ok", "score": 2})
    judge = make_judge(chat, cache_dir=None)
    judgments = run_batch(judge, fresh(cases), judge.dimensions, concurrency=8, progress=False)
    assert all(j.ok for j in judgments)
    assert len(scans) == len(cases)


def test_threads_wait_for_the_one_computation(scans):
    notebook = Notebook("x.ipynb", (Cell(0, "code", "import pandas as pd\ndf = pd.read_csv('a')"),))
    barrier = threading.Barrier(8)
    results = []

    def ask():
        barrier.wait()
        results.append(notebook_analysis(notebook))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(scans) == 1
    assert all(r[0] is results[0][0] and r[1] is results[0][1] for r in results)
    assert notebook_facts(notebook) is results[0][0]
    build_sections(notebook)
    assert len(scans) == 1


def test_a_failed_extraction_is_raised_to_every_waiter_and_retried(monkeypatch):
    notebook = Notebook("x.ipynb", (Cell(0, "code", "x = 1"),))
    monkeypatch.setattr(facts_module, "Scanner", lambda: (_ for _ in ()).throw(OSError("boom")))
    with pytest.raises(OSError, match="boom"):
        notebook_facts(notebook)
    monkeypatch.undo()
    assert notebook_facts(notebook).notebook_path == "x.ipynb"
