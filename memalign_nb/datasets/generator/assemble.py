"""Turn a notebook's fragments into nbformat cells.

Two practices act on the whole notebook rather than one stage: library installation
decides where imports and installs go (and which API or import is wrong), and cell
organization decides how fragments become cells (sections, long cells, one monolith,
or chaos). The result is a list of nbformat v4 cell nodes.
"""

from __future__ import annotations

import re

from nbformat import NotebookNode

from memalign_nb.datasets.generator import outputs as out
from memalign_nb.datasets.generator.context import Ctx, Frag

_ORDER = ("pandas", "numpy", "matplotlib", "seaborn", "sklearn", "xgboost", "lightgbm",
          "mlflow")
_PINS = {"xgboost": "xgboost==2.1.3", "lightgbm": "lightgbm==4.5.0"}
_LONG_HEADINGS = {"load": ("Data", "Load and explore", "Data and EDA"),
                  "train": ("Model", "Training and evaluation", "Modelling")}
_UNUSED = ("import scipy.stats as stats", "from sklearn.svm import SVC",
           "import plotly.express as px", "from sklearn.decomposition import PCA",
           "import tensorflow as tf")


def _package(line: str) -> str:
    return line.split()[1].split(".")[0]


def merge_imports(lines: list[str]) -> list[str]:
    """Deduplicated import lines, ``from`` imports of one module merged, in a stable order."""
    plain: list[str] = []
    froms: dict[str, list[str]] = {}
    for line in lines:
        if line.startswith("from "):
            module, names = line[5:].split(" import ")
            bucket = froms.setdefault(module, [])
            bucket += [n for n in names.split(", ") if n not in bucket]
        elif line not in plain:
            plain.append(line)
    merged = plain + [f"from {m} import {', '.join(sorted(n))}" for m, n in froms.items()]

    def key(line: str) -> tuple[int, str]:
        pkg = _package(line)
        return (_ORDER.index(pkg) if pkg in _ORDER else len(_ORDER), line)

    return sorted(merged, key=key)


def apply_library_practice(ctx: Ctx) -> None:
    """Place installs and imports as the library-installation practice does."""
    practice = ctx.practice("library_installation")
    needed = merge_imports([i for f in ctx.frags for i in f.imports])
    extras = [p for p in ("xgboost", "lightgbm") if any(_package(i) == p for i in needed)]
    ctx.facts["extra"] = " and ".join(extras) or "nothing"
    setup: list[Frag] = []
    if extras and practice in ("tidy_pinned", "unused", "removed_api", "missing_import",
                               "broken_install"):
        pins = " ".join(f'"{_PINS[p]}"' for p in extras)
        setup.append(Frag("setup", f"%pip install -q {pins}",
                          outputs=[out.stream(out.pip_install([_PINS[p] for p in extras]))]))
    if practice == "unpinned":
        tracking = ["mlflow"] if any(_package(i) == "mlflow" for i in needed) else []
        pkgs = ["pandas", "numpy", "scikit-learn", *extras, *tracking]
        ctx.facts["installs"] = ", ".join(pkgs)
        setup.append(Frag("setup", "!pip install " + " ".join(pkgs), outputs=[out.stream(
            out.pip_install(pkgs, already=[p for p in pkgs if p not in extras]))]))
    elif practice == "broken_install":
        text = ("error: subprocess-exited-with-error\n\n  × python setup.py egg_info did not "
                "run successfully.\n  The 'sklearn' PyPI package is deprecated, use "
                "'scikit-learn' rather than 'sklearn' for pip commands.")
        setup.append(Frag("setup", "!pip install sklearn", outputs=[out.stream(text, "stderr")]))
    elif practice == "scattered" and extras:
        setup.append(Frag("setup", "!pip install " + " ".join(extras),
                          outputs=[out.stream(out.pip_install(extras))]))
    top = needed
    if practice == "scattered":
        top = [i for i in needed if _package(i) in ("pandas", "numpy")]
        _scatter(ctx, set(top))
    elif practice == "unused":
        unused = ctx.rng.sample(_UNUSED, 2)
        ctx.facts["unused"] = " and ".join(u.split()[-1] if u.startswith("from") else
                                           u.split()[1] for u in unused)
        top = merge_imports(needed + unused)
    elif practice == "removed_api":
        top = _remove_api(ctx, needed)
    elif practice == "missing_import":
        top = _drop_import(ctx, needed)
    ctx.facts["n_imports"] = str(len(top))
    ctx.facts["pins"] = ", ".join(_PINS[p] for p in extras)
    ctx.facts["libs"] = _libraries(top)
    config = _config(ctx)
    source = "\n".join(top) + (f"\n\n{config}" if config else "")
    imports = Frag("setup", source)
    if practice == "not_installed":
        imports.outputs = [out.error("ModuleNotFoundError", f"No module named '{extras[0]}'",
                                     ["Cell In[2], line 9"])]
    setup.append(imports)
    at = next((i for i, f in enumerate(ctx.frags) if f.step != "setup"), len(ctx.frags))
    ctx.frags[at:at] = setup


def _libraries(imports: list[str]) -> str:
    names = {"pandas": "pandas", "numpy": "numpy", "matplotlib": "matplotlib",
             "seaborn": "seaborn", "sklearn": "scikit-learn", "mlflow": "mlflow"}
    found = [names[p] for p in dict.fromkeys(_package(i) for i in imports) if p in names]
    return ", ".join(found[:-1]) + " and " + found[-1] if len(found) > 1 else found[0]


def _config(ctx: Ctx) -> str:
    lines = []
    if ctx.style.seed_const:
        lines.append(f"SEED = {ctx.style.seed}")
    if ctx.style.target_const:
        lines.append(f'TARGET = "{ctx.task.target}"')
    return "\n".join(lines)


def _scatter(ctx: Ctx, top: set[str]) -> None:
    seen = set(top)
    late = []
    for frag in ctx.frags:
        mine = [i for i in merge_imports(list(frag.imports)) if i not in seen]
        if mine:
            seen.update(mine)
            late.append(_package(mine[0]))
            frag.source = "\n".join(mine) + "\n\n" + frag.source
    for frag in reversed(ctx.frags):
        if frag.step in ("use", "evaluate") and not frag.markdown:
            frag.source = "import pandas as pd\n" + frag.source
            break
    names = sorted({p for p in late if p != "pandas"})
    ctx.facts["late"] = (", ".join(names) + " imported in later cells") if names else \
        "imports repeated in later cells"


def _remove_api(ctx: Ctx, needed: list[str]) -> list[str]:
    joined = "\n".join(f.source for f in ctx.frags)
    options = []
    if any(i.endswith("train_test_split") or "train_test_split," in i for i in needed):
        options.append("cross_validation")
    if "SimpleImputer(" in joined:
        options.append("imputer")
    if 'OneHotEncoder(handle_unknown="ignore")' in joined:
        options.append("sparse")
    choice = ctx.rng.choice(options) if options else "joblib"
    if choice == "cross_validation":
        ctx.facts["removed"] = "sklearn.cross_validation"
        return [re.sub(r"sklearn\.model_selection import (.*)train_test_split",
                       r"sklearn.cross_validation import \1train_test_split", i)
                for i in needed]
    if choice == "imputer":
        ctx.facts["removed"] = "sklearn.preprocessing.Imputer"
        for frag in ctx.frags:
            frag.source = frag.source.replace("SimpleImputer(", "Imputer(")
        return merge_imports([i for i in needed if "SimpleImputer" not in i]
                             + ["from sklearn.preprocessing import Imputer"])
    if choice == "sparse":
        ctx.facts["removed"] = "OneHotEncoder(sparse=False)"
        for frag in ctx.frags:
            frag.source = frag.source.replace('OneHotEncoder(handle_unknown="ignore")',
                                              'OneHotEncoder(handle_unknown="ignore", '
                                              "sparse=False)")
        return needed
    ctx.facts["removed"] = "sklearn.externals.joblib"
    train = [f for f in ctx.frags if f.step == "train" and not f.markdown][-1]
    train.source += f'\njoblib.dump({ctx.style.model}, "model.pkl")'
    return merge_imports(needed + ["from sklearn.externals import joblib"])


def _drop_import(ctx: Ctx, needed: list[str]) -> list[str]:
    joined = "\n".join(f.source for f in ctx.frags if not f.markdown)
    for alias, line in (("sns", "import seaborn as sns"), ("np", "import numpy as np"),
                        ("plt", "import matplotlib.pyplot as plt")):
        if line in needed and f"{alias}." in joined:
            missing = alias
            kept = [i for i in needed if i != line]
            break
    else:
        missing = "train_test_split" if "train_test_split(" in joined else "pd"
        if missing == "pd":
            kept = [i for i in needed if i != "import pandas as pd"]
        else:
            kept = [re.sub(r"(, )?train_test_split$", "", i).replace("import , ", "import ")
                    .strip() for i in needed]
            kept = [i for i in kept if not i.endswith(" import")]
    ctx.facts["missing"] = missing
    for frag in ctx.frags:
        if not frag.markdown and re.search(rf"\b{missing}\b", frag.source):
            frag.outputs = [out.error("NameError", f"name '{missing}' is not defined",
                                      ["Cell In[4], line 1"])]
            break
    return kept


def organize(ctx: Ctx) -> list[Frag]:
    """The fragments regrouped into cells as the cell-organization practice does."""
    practice = ctx.practice("cell_organization")
    frags = ctx.frags
    if practice == "sectioned":
        return frags
    title = [frags[0]]
    code = [f for f in frags if not f.markdown]
    if practice == "monolithic":
        ctx.facts["last_step"] = {"use": "predictions", "track": "MLflow logging"}.get(
            code[-1].step, "evaluation")
        installs = [f for f in code if f.source.startswith(("%pip", "!pip"))]
        rest = [f for f in code if f not in installs]
        return title + installs + [_merge(rest)]
    if practice == "long_cells":
        groups = (("setup",), ("load", "eda"), ("features", "impute", "split"),
                  ("train", "evaluate"), ("track", "use", "wrapup"))
        cells: list[Frag] = title[:]
        for steps in groups:
            part = [f for f in code if f.step in steps]
            if not part:
                continue
            if steps[0] in _LONG_HEADINGS:
                title_text = ctx.rng.choice(_LONG_HEADINGS[steps[0]])
                cells.append(Frag(steps[0], f"## {title_text}", markdown=True, heading=True))
            cells.append(_merge(part))
        return cells
    if practice == "sparse":
        cells = title[:]
        for frag in code:
            cells.append(frag)
            if frag.step in ("load", "split", "train") and ctx.rng.random() < 0.8:
                cells.append(_debug_cell(ctx, frag.step))
                ctx.facts.setdefault("debug", cells[-1].source)
        ctx.facts.setdefault("debug", f"{ctx.style.df}.columns")
        return cells
    return _chaos(ctx, title, code)


def _merge(frags: list[Frag]) -> Frag:
    """Several code fragments as one cell; only the last expression result is kept."""
    outputs = [o for f in frags for o in f.outputs]
    errors = [i for i, o in enumerate(outputs) if o["output_type"] == "error"]
    if errors:
        outputs = outputs[: errors[0] + 1]
    results = [i for i, o in enumerate(outputs) if o["output_type"] == "execute_result"]
    outputs = [o for i, o in enumerate(outputs) if o["output_type"] != "execute_result"
               or i == results[-1]]
    return Frag(frags[0].step, "\n\n".join(f.source for f in frags), outputs=outputs)


def _debug_cell(ctx: Ctx, step: str) -> Frag:
    s, task = ctx.style, ctx.task
    if step == "load":
        return Frag(step, f"{s.df}.columns", outputs=[out.result(
            "Index([" + ", ".join(f"'{c}'" for c in task.column_names[:6]) + ", ...],"
            " dtype='object')")])
    if step == "split":
        return Frag(step, f"{s.X_train}.shape", outputs=[out.result(
            f"({round((task.n_train - task.target_missing) * 0.8)}, "
            f"{ctx.facts.get('_width', len(task.numeric))})")])
    return Frag(step, f"{s.model}", outputs=[out.result(ctx.facts.get("model_name", "") + "()")])


def _chaos(ctx: Ctx, title: list[Frag], code: list[Frag]) -> list[Frag]:
    cells = code[:]
    later = next((i for i, f in enumerate(cells) if f.step == "train"), len(cells) - 1)
    early = next((i for i, f in enumerate(cells) if f.step == "features"), 1)
    if early < later:
        cells.insert(later, cells.pop(early))
    ctx.facts["moved"] = cells[later].source.split("\n")[0][:40]
    dup = next((f for f in cells if f.step == "train"), cells[-1])
    twin = Frag(dup.step, dup.source.replace("300", "200").replace("0.05", "0.1")
                + "\n# old version", outputs=list(dup.outputs))
    cells.insert(cells.index(dup) + 1, twin)
    cells.insert(len(cells) // 2, _debug_cell(ctx, "load"))
    return title + cells


def to_cells(ctx: Ctx, frags: list[Frag], case_id: str) -> list[NotebookNode]:
    """nbformat v4 cells with ids, execution counts and the outputs as saved."""
    executed = ctx.style.executed
    counts = list(range(1, sum(not f.markdown for f in frags) + 1))
    if ctx.practice("cell_organization") == "chaotic":
        counts = ctx.rng.sample(range(1, 2 * len(counts) + 5), len(counts))
    cells, stopped, k = [], False, 0
    for i, frag in enumerate(frags):
        cell_id = f"{case_id}-{i:02d}"
        if frag.markdown:
            cells.append(NotebookNode(cell_type="markdown", id=cell_id,
                                      metadata=NotebookNode(), source=frag.source))
            continue
        count = counts[k] if executed and not stopped else None
        k += 1
        outputs = [] if count is None else [NotebookNode(o) for o in frag.outputs]
        for o in outputs:
            if o["output_type"] == "execute_result":
                o["execution_count"] = count
        source = _swap_quotes(frag.source) if ctx.style.single_quotes else frag.source
        cells.append(NotebookNode(cell_type="code", id=cell_id, metadata=NotebookNode(),
                                  source=source, execution_count=count, outputs=outputs))
        stopped = stopped or (count is not None and frag.fails)
    return cells


def _swap_quotes(source: str) -> str:
    return source.translate(str.maketrans({'"': "'", "'": '"'}))
