"""Tests of ``memalign-nb suggest`` (memalign_nb.cli.suggest)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from memalign_nb.cli import main
from memalign_nb.datasets import generate_dataset

DIMS = ["data_imputation", "model_training"]


@pytest.fixture(scope="module")
def dataset_dir(tmp_path_factory) -> Path:
    """8 generated notebooks, only the first 5 graded."""
    root = generate_dataset(tmp_path_factory.mktemp("ds") / "ds", 8, seed=41)
    feedback = root / "feedback.jsonl"
    rows = [json.loads(line) for line in feedback.read_text().splitlines() if line.strip()]
    keep = sorted({r["case_id"] for r in rows})[:5]
    feedback.write_text("".join(json.dumps(r) + "\n" for r in rows if r["case_id"] in keep))
    return root


def _rows(printed: str) -> list[list[str]]:
    lines = printed.splitlines()
    assert lines[0].split() == ["notebook", "dimension", "utility", "why"]
    return [line.split(maxsplit=3) for line in lines[1:-1]]


def test_suggest_prints_the_most_useful_ungraded_items_with_reasons(dataset_dir, capsys):
    code = main(["suggest", str(dataset_dir), "--n", "4", "--dimensions", ",".join(DIMS),
                 "--no-progress"])
    printed = capsys.readouterr().out
    assert code == 0
    rows = _rows(printed)
    assert len(rows) == 4 and all(row[1] in DIMS for row in rows)
    graded = {json.loads(line)["case_id"] for line in
              (dataset_dir / "feedback.jsonl").read_text().splitlines()}
    assert not graded & {row[0] for row in rows}  # graded notebooks are never suggested
    utilities = [float(row[2]) for row in rows]
    assert utilities == sorted(utilities, reverse=True) and all(row[3].endswith(".")
                                                                for row in rows)
    assert printed.splitlines()[-1].startswith("4 items to grade next on ")


def test_suggest_defaults_to_twenty_and_every_dimension(dataset_dir, capsys):
    assert main(["suggest", str(dataset_dir), "--no-progress"]) == 0
    rows = _rows(capsys.readouterr().out)
    assert len(rows) == 20 and len({row[1] for row in rows}) > 2


def test_suggest_with_everything_graded_says_so(tmp_path, capsys):
    root = generate_dataset(tmp_path / "ds", 3, seed=5)
    assert main(["suggest", str(root), "--no-progress"]) == 0
    assert "nothing to suggest: every item of" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "message"), [
    (["--dimensions", "model_trianing"], "unknown dimension 'model_trianing'"),
    (["--judge", "no-such-judge"], "no-such-judge"),
])
def test_suggest_refuses_bad_arguments_with_exit_2(dataset_dir, capsys, argv, message):
    assert main(["suggest", str(dataset_dir), *argv, "--no-progress"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("memalign-nb suggest: error:") and message in error


def test_suggest_n_must_be_positive(dataset_dir, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["suggest", str(dataset_dir), "--n", "0"])
    assert exit_.value.code == 2 and "must be at least 1" in capsys.readouterr().err
