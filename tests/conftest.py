"""Shared fixtures: where the repository and the real-world corpus are."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS_DIR = REPO_ROOT.parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository's root folder (where ``pyproject.toml`` is)."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The real-world corpus (``../shared/corpus``); skips the test when it is absent."""
    if not CORPUS_DIR.is_dir():
        pytest.skip(f"real-world corpus not found at {CORPUS_DIR}")
    return CORPUS_DIR


@pytest.fixture(scope="session")
def real_notebook_paths(corpus_dir: Path) -> list[Path]:
    """Every real Kaggle notebook of the corpus, sorted; skips when there are none."""
    paths = sorted((corpus_dir / "real").glob("*.ipynb"))
    if not paths:
        pytest.skip(f"no notebooks in {corpus_dir / 'real'}")
    return paths
