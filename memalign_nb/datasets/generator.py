"""The seeded sample generator and the bundled 50-notebook sample.

:func:`generate_dataset` writes a dataset folder (see :mod:`memalign_nb.datasets`) of
believable ML notebooks with expert grades. Each notebook solves one of several familiar
problems (survival, churn, house prices, store sales, card fraud, bike demand, loan
default) and shows, per dimension and independently, a good, passable or faulty practice,
including the subtle faults lenient judges miss (leaky imputation, tuning on the test
set, random splits of a time series, accuracy on a rare class ...). The grades follow
from the practices; a second expert disagrees at a realistic rate and in their own words.

Notebooks are built with nbformat and validated, never executed. Output is byte-identical
for a seed, and case ``i`` is the same whatever ``n_cases`` is, so a small dataset is a
prefix of a larger one. :func:`describe_case` returns the answer key of one case (its task,
style and practices) in memory; it is never written next to the notebooks.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from memalign_nb.datasets import _gen_practices as catalogue
from memalign_nb.datasets._gen_build import build_notebook, notebook_json
from memalign_nb.datasets._gen_context import Style, draw_style
from memalign_nb.datasets._gen_readme import render_readme
from memalign_nb.datasets._gen_tasks import TASKS
from memalign_nb.datasets._gen_taskspec import TaskSpec
from memalign_nb.dimensions import DIMENSIONS
from memalign_nb.errors import DatasetError, InvalidGradeError, Problem

logger = logging.getLogger(__name__)

NOT_APPLICABLE = "not_applicable"
"""Practice name recorded for a dimension that does not apply (score 0)."""

_BLOCK = 21
"""Cases per shuffled deck; 21 = three per task, so every block covers every task."""

_GRADE_MIX = {
    "library_installation": (0.25, 0.35, 0.40),
    "exploratory_data_analysis": (0.30, 0.40, 0.30),
    "data_imputation": (0.35, 0.35, 0.30),
    "feature_engineering": (0.25, 0.40, 0.35),
    "model_training": (0.40, 0.35, 0.25),
    "model_use": (0.35, 0.35, 0.30),
    "metrics_evaluation": (0.30, 0.35, 0.35),
    "mlflow_logging": (0.30, 0.35, 0.35),
    "cell_organization": (0.25, 0.35, 0.40),
}
"""Share of grades 1, 2 and 3 per dimension: plenty of 1s and 2s where judges are lenient."""

_DISAGREEMENT = {
    "library_installation": 0.05,
    "exploratory_data_analysis": 0.30,
    "data_imputation": 0.10,
    "feature_engineering": 0.15,
    "model_training": 0.10,
    "model_use": 0.10,
    "metrics_evaluation": 0.10,
    "mlflow_logging": 0.05,
    "cell_organization": 0.24,
}
"""How often a further rater departs from the first one, per applicable item."""

_CHOICE_ORDER = ("model_training", "feature_engineering", "data_imputation",
                 "mlflow_logging", "model_use", "metrics_evaluation",
                 "exploratory_data_analysis", "library_installation", "cell_organization")
_EXPLORE_PER_BLOCK = 5
_START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class CaseSpec:
    """The answer key of one generated case (kept in memory, never written out).

    Attributes
    ----------
    index : int
        Position of the case in any dataset generated with the same seed.
    case_id : str
        The notebook's file stem, ``<index>-<task>`` (``0007-titanic``).
    task : TaskSpec
        The problem the notebook solves.
    prompt : str
        The user's request the notebook answers.
    predicts : bool
        Whether the prompt asks for predictions on new data (else model use is 0).
    style : Style
        The author's coding habits (names, idioms, pipeline or manual steps).
    practices : Mapping[str, str]
        Dimension id -> practice name (``not_applicable`` for score 0).
    scores : Mapping[str, int]
        Dimension id -> the grade that follows from the practice (0-3).
    """

    index: int
    case_id: str
    task: TaskSpec
    prompt: str
    predicts: bool
    style: Style
    practices: Mapping[str, str] = field(hash=False)
    scores: Mapping[str, int] = field(hash=False)

    @property
    def task_type(self) -> str:
        """``classification``, ``regression`` or ``forecasting``."""
        return self.task.task_type


def _rng(seed: int, *parts: object) -> random.Random:
    """An independent, reproducible random stream named by ``parts``."""
    return random.Random(":".join(["memalign-nb", str(seed), *map(str, parts)]))


@lru_cache(maxsize=4096)
def _deck(seed: int, block: int, name: str, items: tuple) -> tuple:
    """``items`` shuffled by a stream named after the deck and block (cached)."""
    deck = list(items)
    _rng(seed, "deck", name, block).shuffle(deck)
    return tuple(deck)


def _quota(shares: Sequence[float], size: int) -> list[int]:
    """Counts per share summing to ``size`` (largest remainder)."""
    raw = [s * size for s in shares]
    counts = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: counts[i] - raw[i])
    for i in order[: size - sum(counts)]:
        counts[i] += 1
    return counts


def _grade_for(seed: int, dimension: str, index: int) -> int:
    block, pos = divmod(index, _BLOCK)
    counts = _quota(_GRADE_MIX[dimension], _BLOCK)
    grades = tuple(g for g, n in zip((1, 2, 3), counts, strict=True) for _ in range(n))
    return _deck(seed, block, f"grade:{dimension}", grades)[pos]


def _disagrees(seed: int, dimension: str, index: int, rater: int) -> bool:
    block, pos = divmod(index, _BLOCK)
    n = round(_DISAGREEMENT[dimension] * _BLOCK)
    flags = (True,) * n + (False,) * (_BLOCK - n)
    return _deck(seed, block, f"disagree:{dimension}:{rater}", flags)[pos]


def describe_case(seed: int, index: int) -> CaseSpec:
    """The answer key of case ``index`` of any dataset generated with ``seed``.

    Parameters
    ----------
    seed : int
        The generator seed.
    index : int
        The case's position, from 0.

    Returns
    -------
    CaseSpec
        Task, prompt, style, practices and true grades of the case.
    """
    if index < 0:
        raise ValueError(f"case index must be >= 0, got {index}")
    block, pos = divmod(index, _BLOCK)
    task_order = tuple(range(len(TASKS))) * (_BLOCK // len(TASKS))
    task = TASKS[_deck(seed, block, "task", task_order)[pos]]
    explore = (True,) * _EXPLORE_PER_BLOCK + (False,) * (_BLOCK - _EXPLORE_PER_BLOCK)
    predicts = not _deck(seed, block, "explore", explore)[pos]
    rng = _rng(seed, "case", index)
    prompt = rng.choice(task.prompts_predict if predicts else task.prompts_explore)
    style = draw_style(rng, task)
    chosen: dict[str, str] = {}
    scores: dict[str, int] = {}
    for dimension in _CHOICE_ORDER:
        if (dimension == "data_imputation" and not task.has_missing) or (
                dimension == "model_use" and not predicts):
            chosen[dimension], scores[dimension] = NOT_APPLICABLE, 0
            continue
        wanted = _grade_for(seed, dimension, index)
        options = [p for p in catalogue.by_dimension(dimension)
                   if p.when(task, style, predicts, chosen)]
        for grade in sorted((1, 2, 3), key=lambda g: (abs(g - wanted), -g)):
            fitting = [p for p in options if p.score == grade]
            if fitting:
                practice = rng.choice(fitting)
                break
        chosen[dimension], scores[dimension] = practice.name, practice.score
    return CaseSpec(
        index=index,
        case_id=f"{index:04d}-{task.key.replace('_', '-')}",
        task=task,
        prompt=prompt,
        predicts=predicts,
        style=style,
        practices={d: chosen[d] for d in DIMENSIONS},
        scores={d: scores[d] for d in DIMENSIONS},
    )


def _rationale(spec: CaseSpec, dimension: str, rater: int, score: int, facts: dict) -> str:
    practice_name = spec.practices[dimension]
    if practice_name == NOT_APPLICABLE:
        if dimension == "data_imputation":
            return ("The data have no missing values, so imputation does not apply."
                    if rater == 0 else "Complete data; nothing to impute.")
        return ("The prompt asks only for an analysis, so no predictions on new data are "
                "expected." if rater == 0 else "No inference requested; not applicable.")
    practice = catalogue.get(dimension, practice_name)
    if score != practice.score:
        text = catalogue.second_opinion(practice, score)
    else:
        text = practice.rationale_a if rater == 0 else practice.rationale_b
    return text.format_map(facts)


def _second_score(seed: int, spec: CaseSpec, dimension: str, rater: int) -> int:
    score = spec.scores[dimension]
    if score == 0 or not _disagrees(seed, dimension, spec.index, rater):
        return score
    rng = _rng(seed, "rater", rater, spec.index, dimension)
    if score == 2:
        return rng.choice((1, 3))
    far = rng.random() < 0.1
    return (3 if far else 2) if score == 1 else (1 if far else 2)


def _timestamps(seed: int, index: int, rater: int) -> list[str]:
    """When ``rater`` saved each dimension's grade of case ``index``: 25 cases a day,
    about 14 minutes apart, the nine grades of a case seconds apart."""
    rng = _rng(seed, "time", rater, index)
    day, slot = divmod(index, 25)
    start = _START + timedelta(days=day + 3 * rater, minutes=slot * 14 + rng.randint(0, 6),
                               seconds=rng.randint(0, 59))
    return [(start + timedelta(seconds=pos * 25 + rng.randint(0, 20))).strftime(
        "%Y-%m-%dT%H:%M:%SZ") for pos in range(len(DIMENSIONS))]


def _grade_rows(seed: int, spec: CaseSpec, facts: dict, raters: Sequence[str]) -> list[dict]:
    """Feedback rows (one per dimension and rater) for a built case."""
    rows = []
    times = [_timestamps(seed, spec.index, r) for r in range(len(raters))]
    for pos, dimension in enumerate(DIMENSIONS):
        for r, rater in enumerate(raters):
            score = spec.scores[dimension] if r == 0 else _second_score(seed, spec, dimension, r)
            rows.append({
                "case_id": spec.case_id,
                "dimension": dimension,
                "score": score,
                "rationale": _rationale(spec, dimension, r, score, facts),
                "rater": rater,
                "created_at": times[r][pos],
            })
    return rows


_OWNED = ("notebooks", "cases.jsonl", "feedback.jsonl", "README.md")


def _check_args(out: Path, n_cases: int, raters: Sequence[str], overwrite: bool) -> None:
    if isinstance(n_cases, bool) or not isinstance(n_cases, int) or n_cases < 1:
        raise DatasetError([Problem(str(out), None,
                                    f"n_cases must be a positive integer, got {n_cases!r}")])
    if isinstance(raters, str) or not raters:
        raise InvalidGradeError("rater", f"give a sequence of rater names, got {raters!r}")
    for rater in raters:
        if not isinstance(rater, str) or not rater.strip():
            raise InvalidGradeError("rater", f"rater names must be non-empty strings: {rater!r}")
    if len(set(raters)) != len(raters):
        raise InvalidGradeError("rater", f"rater names must be distinct: {list(raters)}")
    if out.exists() and not out.is_dir():
        raise DatasetError([Problem(str(out), None, "exists and is not a folder")])
    present = [name for name in _OWNED if (out / name).exists()]
    if present and not overwrite:
        raise DatasetError([Problem(str(out), None, f"already holds {', '.join(present)}; "
                                    "pass overwrite=True to replace the dataset")])


def _dump(rows: Sequence[Mapping]) -> str:
    return "".join(json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n" for r in rows)


def generate_dataset(
    out_dir: str | Path,
    n_cases: int = 50,
    *,
    seed: int = 0,
    raters: Sequence[str] = ("expert_a", "expert_b"),
    overwrite: bool = False,
) -> Path:
    """Write a dataset folder of ``n_cases`` graded sample notebooks.

    Parameters
    ----------
    out_dir : str or Path
        The folder to write (created if needed). It receives ``notebooks/``,
        ``cases.jsonl``, ``feedback.jsonl`` and a ``README.md`` describing the sample.
    n_cases : int
        How many notebooks.
    seed : int
        The seed; the same seed gives byte-identical files.
    raters : sequence of str
        Rater names; the first gives the grades that follow from the practices, each
        further rater departs from them at a realistic, dimension-dependent rate.
    overwrite : bool
        Replace a dataset already in ``out_dir`` (only the files listed above are
        touched; other files in the folder are left alone).

    Returns
    -------
    Path
        ``out_dir``.

    Raises
    ------
    DatasetError
        ``n_cases`` is not a positive integer, or ``out_dir`` already holds a dataset
        and ``overwrite`` is false.
    InvalidGradeError
        ``raters`` is empty, has duplicates or blank names.
    """
    out = Path(out_dir)
    raters = tuple(raters) if not isinstance(raters, str) else raters
    _check_args(out, n_cases, raters, overwrite)
    notebooks = out / "notebooks"
    notebooks.mkdir(parents=True, exist_ok=True)
    for stale in notebooks.glob("*.ipynb"):
        stale.unlink()
    cases, feedback, specs = [], [], []
    for index in range(n_cases):
        spec = describe_case(seed, index)
        notebook, facts = build_notebook(spec, _rng(seed, "write", index))
        text = notebook_json(notebook) + "\n"
        (notebooks / f"{spec.case_id}.ipynb").write_text(text, encoding="utf-8", newline="\n")
        cases.append({"case_id": spec.case_id, "prompt": spec.prompt,
                      "task_type": spec.task_type})
        feedback += _grade_rows(seed, spec, facts, raters)
        specs.append(spec)
    for name, body in (("cases.jsonl", _dump(cases)), ("feedback.jsonl", _dump(feedback)),
                       ("README.md", render_readme(specs, feedback, seed, raters))):
        with open(out / name, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(body)
    logger.info("wrote %d notebooks and %d grades to %s", n_cases, len(feedback), out)
    return out


def sample_path() -> Path:
    """The bundled sample dataset: 50 notebooks, two raters, seed 0.

    Raises
    ------
    DatasetError
        The package was installed without its data files.
    """
    path = Path(str(files("memalign_nb.datasets") / "sample"))
    if not (path / "notebooks").is_dir():
        raise DatasetError([Problem(str(path), None, "the bundled sample is missing; "
                                    "reinstall memalign-nb with its package data")])
    return path
