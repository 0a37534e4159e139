"""The README written next to a generated dataset: how it was made and what is in it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from memalign_nb.datasets.generator.case_spec import CaseSpec
from memalign_nb.dimensions import DIMENSIONS


def render_readme(specs: Sequence[CaseSpec], feedback: Sequence[Mapping], seed: int,
                  raters: Sequence[str]) -> str:
    """Markdown describing a generated dataset, its command and its distributions."""
    n = len(specs)
    lines = [
        "# Generated sample dataset",
        "",
        f"{n} machine-learning notebooks with expert grades on the nine dimensions, made by",
        "`memalign_nb.datasets.generate_dataset` for trying memalign-nb, tests and",
        "benchmarks. Do not edit the files by hand; regenerate them:",
        "",
        "```bash",
        'python -c "from memalign_nb.datasets import generate_dataset; '
        f"generate_dataset('OUT', {n}, seed={seed}, raters={tuple(raters)!r}, "
        'overwrite=True)"',
        "```",
        "",
        "(the bundled sample is `OUT = memalign_nb/datasets/sample`; a test checks that it is",
        "byte-identical to a fresh run.)",
        "",
        "## Files",
        "",
        "- `notebooks/<case_id>.ipynb`: the notebooks to judge (nbformat 4.5).",
        '- `cases.jsonl`: `{"case_id", "prompt", "task_type"}`, the request each notebook answers.',
        '- `feedback.jsonl`: `{"case_id", "dimension", "score", "rationale", "rater", '
        '"created_at"}`,',
        f"  one row per notebook, dimension and rater ({', '.join(raters)}).",
        "",
        "## How the notebooks were made",
        "",
        "Each notebook solves a familiar tabular problem and is written by a randomly drawn",
        "author style (variable names, pandas idioms, scikit-learn Pipeline or manual steps,",
        "plotting library, comments, Spark or CSV loading). For every dimension a practice is",
        "drawn independently (good, passable or faulty) and the grade follows from the rubric,",
        "including faults lenient judges miss: imputers or scalers fitted before the split,",
        "imputing the target, tuning on the test set, fitting on the evaluation rows, random",
        "splits of a time series, accuracy on a rare class, refitting preprocessing at",
        "inference, MLflow metrics without a model, removed APIs. Outputs are written as an",
        "author would have saved them (tables, printed metrics, placeholder plots, errors);",
        "nothing was executed. The notebooks assume a workspace with MLflow and pandas,",
        "numpy, scikit-learn, matplotlib and seaborn installed (xgboost and lightgbm are not),",
        "so experiment tracking is always expected. Data imputation is graded 0 (not",
        "applicable) for data without missing values, model use for prompts that ask for no",
        "predictions. The first rater's grade is the one the practice earns; further raters",
        "depart from it at a realistic rate (most on exploration and cell organization).",
        "The answer key (task, author style and practice per dimension) is not stored here;",
        f"`memalign_nb.datasets.generator.describe_case({seed}, index)` returns it in memory.",
        "",
        "## Tasks",
        "",
        "| task | type | notebooks | asking for predictions |",
        "|---|---|---|---|",
    ]
    tasks = Counter(s.task.key for s in specs)
    for key in sorted(tasks):
        members = [s for s in specs if s.task.key == key]
        lines.append(f"| {key} | {members[0].task.task_type} | {tasks[key]} | "
                     f"{sum(s.predicts for s in members)} |")
    lines += ["", f"## Grades of {raters[0]}", "",
              "| dimension | 0 | 1 | 2 | 3 | raters differ |", "|---|---|---|---|---|---|"]
    first = [r for r in feedback if r["rater"] == raters[0]]
    for dimension in DIMENSIONS:
        counts = Counter(r["score"] for r in first if r["dimension"] == dimension)
        lines.append(f"| {dimension} | " + " | ".join(str(counts[k]) for k in range(4))
                     + f" | {_disagreement(feedback, dimension, raters)} |")
    lines += ["", "\"raters differ\" is the share of applicable items on which any rater's "
              "score differs from the first rater's.", ""]
    return "\n".join(lines)


def _disagreement(feedback: Sequence[Mapping], dimension: str, raters: Sequence[str]) -> str:
    if len(raters) < 2:
        return "-"
    by_item: dict[str, list[int]] = {}
    for row in feedback:
        if row["dimension"] == dimension:
            by_item.setdefault(row["case_id"], []).append(row["score"])
    applicable = [s for s in by_item.values() if s[0] != 0]
    if not applicable:
        return "-"
    differ = sum(len(set(s)) > 1 for s in applicable)
    return f"{differ / len(applicable):.0%}"
