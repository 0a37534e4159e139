"""The Judgment record: dict and JSON-line round trips."""

from __future__ import annotations

import json

from memalign_nb.judges.base import Judgment as JudgmentFromBase
from memalign_nb.judges.judgment import Judgment


def _judgment() -> Judgment:
    return Judgment("c1", "model_use", 2, "fine", judge_id="heuristic", retrieved_ids=("c2",),
                    metadata={"rule": "model_use.ok"})


def test_the_interface_module_offers_the_same_record():
    assert JudgmentFromBase is Judgment


def test_json_line_puts_extra_fields_first_and_reads_back():
    line = _judgment().to_json_line(variant="full", fold=1)
    assert line.endswith("\n") and line.count("\n") == 1
    row = json.loads(line)
    assert list(row)[:2] == ["variant", "fold"]
    assert Judgment.from_dict(row) == _judgment()


def test_failed_judgment_carries_no_score():
    failed = Judgment("c1", "model_use", None, error="model call failed")
    assert not failed.ok and _judgment().ok
