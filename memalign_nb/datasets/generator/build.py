"""Write one sample notebook from its answer key: every step, then assembly."""

from __future__ import annotations

import json
import random

import nbformat
from nbformat.v4 import new_notebook
from nbformat.v4.nbjson import BytesEncoder
from nbformat.v4.rwbase import split_lines, strip_transient

from memalign_nb.datasets.generator import assemble
from memalign_nb.datasets.generator.case_spec import CaseSpec
from memalign_nb.datasets.generator.context import Ctx
from memalign_nb.datasets.generator.data_steps import (
    write_eda,
    write_load,
    write_prep_post,
    write_prep_pre,
)
from memalign_nb.datasets.generator.model_steps import write_evaluate, write_split, write_train
from memalign_nb.datasets.generator.narrative import write_intro, write_wrapup
from memalign_nb.datasets.generator.use_steps import write_track, write_use

_KERNEL = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
_LANGUAGE = {
    "codemirror_mode": {"name": "ipython", "version": 3},
    "file_extension": ".py",
    "mimetype": "text/x-python",
    "name": "python",
    "nbconvert_exporter": "python",
    "pygments_lexer": "ipython3",
    "version": "3.11.10",
}


def build_notebook(spec: CaseSpec, rng: random.Random) -> tuple[nbformat.NotebookNode, dict]:
    """The validated notebook of ``spec`` and the facts its grades' rationales quote.

    The notebook is assembled from nbformat nodes and validated once as a whole with
    :func:`nbformat.validate` (validating every cell as it is built would cost more than
    writing it). Nothing is executed: outputs are written as a notebook author saved them.
    """
    ctx = Ctx(task=spec.task, style=spec.style, practices=dict(spec.practices),
              predicts=spec.predicts, rng=rng)
    ctx.facts.update(target=spec.task.target, target_missing=str(spec.task.target_missing),
                     train_name=spec.task.train_name, df=spec.style.df)
    write_intro(ctx, spec.prompt)
    write_load(ctx)
    write_eda(ctx)
    write_prep_pre(ctx)
    write_split(ctx)
    write_prep_post(ctx)
    write_train(ctx)
    write_evaluate(ctx)
    write_track(ctx)
    write_use(ctx)
    write_wrapup(ctx)
    assemble.apply_library_practice(ctx)
    cells = assemble.to_cells(ctx, assemble.organize(ctx), spec.case_id)
    _layout_facts(ctx.facts, cells)
    notebook = new_notebook()
    notebook.cells = cells
    notebook.metadata = nbformat.from_dict({"kernelspec": _KERNEL, "language_info": _LANGUAGE})
    nbformat.validate(notebook)
    return notebook, ctx.facts


def _layout_facts(facts: dict, cells: list) -> None:
    """Facts about the assembled layout that cell-organization rationales quote."""
    code = [c for c in cells if c["cell_type"] == "code"]
    facts["n_code"] = str(len(code))
    facts["n_headings"] = str(sum(c["source"].startswith("## ") for c in cells
                                  if c["cell_type"] == "markdown"))
    facts["longest"] = str(max(c["source"].count("\n") + 1 for c in code))
    counts = [c["execution_count"] for c in code if c["execution_count"] is not None]
    facts["counts"] = ", ".join(f"[{n}]" for n in counts[:4]) + (", ..." if counts else "")
    if not counts:
        facts["counts"] = "as saved, out of order"


def notebook_json(notebook: nbformat.NotebookNode) -> str:
    """The text ``nbformat.v4.writes`` produces, without its defensive deep copy.

    The notebook is changed in place (multi-line strings are split into lines), which
    is fine for a notebook built only to be written.
    """
    notebook = strip_transient(split_lines(notebook))
    return json.dumps(notebook, cls=BytesEncoder, indent=1, sort_keys=True,
                      separators=(",", ": "), ensure_ascii=False)
