"""Write a generated dataset folder: :func:`generate_dataset`."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

from memalign_nb.datasets.generator.answer_key import describe_case
from memalign_nb.datasets.generator.build import build_notebook, notebook_json
from memalign_nb.datasets.generator.draws import stream
from memalign_nb.datasets.generator.grades import grade_rows
from memalign_nb.datasets.generator.readme import render_readme
from memalign_nb.errors import DatasetError, InvalidGradeError, Problem

logger = logging.getLogger(__name__)

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
        notebook, facts = build_notebook(spec, stream(seed, "write", index))
        text = notebook_json(notebook) + "\n"
        (notebooks / f"{spec.case_id}.ipynb").write_text(text, encoding="utf-8", newline="\n")
        cases.append({"case_id": spec.case_id, "prompt": spec.prompt,
                      "task_type": spec.task_type})
        feedback += grade_rows(seed, spec, facts, raters)
        specs.append(spec)
    for name, body in (("cases.jsonl", _dump(cases)), ("feedback.jsonl", _dump(feedback)),
                       ("README.md", render_readme(specs, feedback, seed, raters))):
        with open(out / name, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(body)
    logger.info("wrote %d notebooks and %d grades to %s", n_cases, len(feedback), out)
    return out
