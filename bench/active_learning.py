"""Active learning: does grading what ``suggest`` proposes teach the aligned judge faster?

On each dataset (``graded``: the 60 real notebooks of ``../shared/corpus/graded``, two
reviews each; ``sample``: the bundled 50 generated notebooks), the cases are split into
:data:`FOLDS` folds (``KFold``, shuffled, seed 0). In each fold the held-out quarter is the
test set and the rest the pool; for each of :data:`SEEDS` seeds, both orders start from
the same :data:`START` pool notebooks drawn at random and grow by :data:`STEP` at a time
until the whole pool is graded (a "grade" of a notebook is its grades on all nine
dimensions, as the corpus has them):

* ``random``: the next notebooks of a random permutation of the pool (the seed's);
* ``suggest``: the notebooks whose ungraded items have the highest summed utility in
  ``suggest(aligned, pool, n=None)``, the judge aligned on the grades so far.

After each step the product's default aligned judge (``MemAlign()``, the offline
heuristic judge) learns the new grades (``add_feedback``, which re-learns the rules and
re-calibrates as a fresh fit would) and scores the held-out notebooks: its pooled MAE over
the items the reviewers marked applicable, against their median.

Printed and reported, per dataset: both curves (mean MAE over folds x seeds at each
count of graded notebooks); for each order, the fewest graded notebooks at which its mean
curve reaches the MAE random order reaches with the whole pool; their ratio; and the area
under each curve (mean MAE over the counts) with the paired difference (suggest - random)
and its 95% bootstrap CI over the fold x seed runs (10,000 resamples). The target: suggest
needs at most 70% of random's count, or its area is lower with the CI excluding 0.

And **from scratch**, on the graded corpus: the same with a judge that knows nothing (the
constant "always 2" judge) as the base, as ``bench/alignment_quality.py`` measures what
alignment learns from feedback alone. The heuristic judge's rules already encode most of
what the graded corpus's reviewers check, and calibration leaves them alone there at
every count, so its curve cannot show which grades teach more; this one can
(``active.graded.from_scratch.*``).

``--quick`` (what ``make test`` runs): 20 notebooks of the graded corpus, one fold (the
first of two), one seed, start 4, step 3.

The fold x seed x order runs go to two worker processes (joblib), each with one BLAS
thread.

Usage::

    python bench/active_learning.py [--quick]
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any

from _common import CORPUS, Figures, rounded

GRADED = CORPUS.parent / "graded"
FOLDS = 4
SEEDS = 5
START = 8
STEP = 4
TARGET_RATIO = 0.7
RESAMPLES = 10_000
ORDERS = ("random", "suggest")

VARIANTS = (("graded", "heuristic"), ("sample", "heuristic"), ("graded", "always2"))
"""(dataset, base judge) measured by a full run; ``--quick`` runs the first only."""

FIGURES = tuple(
    f"active.{prefix}.{figure}" for prefix in ("graded", "sample", "graded.from_scratch")
    for figure in (
        "runs", "seconds", "random.final_mae", "random.needed", "suggest.needed",
        "needed_ratio", "random.auc", "suggest.auc", "auc_difference", "auc_difference_low",
        "auc_difference_high", "target_met",
    )
)


def _dataset(name: str, quick: bool) -> Any:
    from memalign_nb.datasets import load_dataset, sample_path

    dataset = load_dataset(GRADED if name == "graded" else sample_path())
    if quick:
        dataset = dataset.subset(sorted(c.case_id for c in dataset.cases)[:20])
    return dataset


def _counts(pool: int, start: int, step: int) -> list[int]:
    """Graded notebooks after each step: ``start``, ``start + step``, ..., ``pool``."""
    counts = list(range(min(start, pool), pool, step))
    return [*counts, pool]


def _mae(judge: Any, test: Any, reference: Mapping[tuple[str, str], float]) -> float:
    """Pooled MAE of ``judge`` on ``test``'s items the reviewers marked applicable."""
    judgments = judge.score_many(test.cases, progress=False)
    errors = [abs((j.score or 0) - reference[(j.case_id, j.dimension)]) for j in judgments
              if reference.get((j.case_id, j.dimension), 0) > 0]
    return statistics.fmean(errors)


def _next_cases(order: str, judge: Any, pool: Any, graded: list[str], queue: list[str],
                size: int) -> list[str]:
    """The next ``size`` pool cases to grade, by ``order``."""
    left = [c for c in queue if c not in graded]
    if order == "random" or len(left) <= size:
        return left[:size]
    import dataclasses

    from memalign_nb.align import suggest

    taken = set(graded)
    seen = dataclasses.replace(pool, feedback=tuple(g for g in pool.feedback
                                                    if g.case_id in taken))
    utility: dict[str, float] = dict.fromkeys(left, 0.0)
    for found in suggest(judge, seen, n=None):
        utility[found.case_id] += found.utility
    return sorted(left, key=lambda c: (-utility[c], left.index(c)))[:size]


def _base_judge(name: str) -> Any:
    """``"heuristic"``, or ``"always2"``: the constant judge that knows nothing."""
    from memalign_nb.judges import ScriptedJudge, make_judge

    return ScriptedJudge({}, default=2) if name == "always2" else make_judge(name)


def run_curve(dataset: Any, train_ids: Sequence[str], test_ids: Sequence[str], seed: int,
              order: str, start: int, step: int, base: str = "heuristic") -> list[float]:
    """Held-out MAE after each step of one order, one fold, one seed."""
    from memalign_nb.align import MemAlign
    from memalign_nb.feedback import reference_scores

    pool, test = dataset.subset(train_ids), dataset.subset(test_ids)
    reference = reference_scores(test.feedback)
    queue = sorted(train_ids)
    random.Random(seed).shuffle(queue)
    graded = queue[:start]
    judge = MemAlign().fit(_base_judge(base), pool.subset(graded))
    curve = [_mae(judge, test, reference)]
    for count in _counts(len(queue), start, step)[1:]:
        graded += _next_cases(order, judge, pool, graded, queue, count - len(graded))
        judge.add_feedback(pool.subset(graded))
        curve.append(_mae(judge, test, reference))
    return curve


def measure(name: str, quick: bool, base: str = "heuristic"
            ) -> tuple[Figures, dict[str, list[float]], list[int]]:
    """One dataset's figures, mean curves and counts, ``base`` the judge aligned."""
    import numpy as np
    from joblib import Parallel, delayed
    from sklearn.model_selection import KFold
    from tqdm.auto import tqdm

    started = time.perf_counter()
    dataset = _dataset(name, quick)
    ids = sorted(c.case_id for c in dataset.cases)
    folds = list(KFold(2 if quick else FOLDS, shuffle=True, random_state=0).split(ids))
    folds, seeds = (folds[:1], 1) if quick else (folds, SEEDS)
    start, step = (4, 3) if quick else (START, STEP)
    jobs = [(f, s, o) for f in range(len(folds)) for s in range(seeds) for o in ORDERS]
    runs = Parallel(n_jobs=1 if quick else 2, return_as="generator")(
        delayed(run_curve)(dataset, [ids[i] for i in folds[f][0]], [ids[i] for i in folds[f][1]],
                           s, o, start, step, base) for f, s, o in jobs)
    curves = list(tqdm(runs, total=len(jobs), desc=f"active learning, {name}, {base}",
                       disable=quick))
    pools = {len(folds[f][0]) for f in range(len(folds))}
    counts = _counts(min(pools), start, step)
    by_order = {o: np.array([c[:len(counts)] for (_, _, oo), c in zip(jobs, curves, strict=True)
                             if oo == o]) for o in ORDERS}
    mean = {o: by_order[o].mean(axis=0) for o in ORDERS}
    final = float(mean["random"][-1])
    needed = {o: next(n for n, v in zip(counts, mean[o], strict=True) if v <= final + 1e-9)
              if (mean[o] <= final + 1e-9).any() else None for o in ORDERS}
    auc = {o: by_order[o].mean(axis=1) for o in ORDERS}
    difference = auc["suggest"] - auc["random"]
    low, high = _bootstrap_ci(difference)
    ratio = needed["suggest"] / needed["random"] if needed["suggest"] and needed["random"] \
        else None
    prefix = f"active.{_prefix(name, base)}"
    figures: Figures = {
        f"{prefix}.runs": len(difference),
        f"{prefix}.seconds": time.perf_counter() - started,
        f"{prefix}.random.final_mae": final,
        f"{prefix}.random.needed": needed["random"],
        f"{prefix}.suggest.needed": needed["suggest"],
        f"{prefix}.needed_ratio": ratio,
        f"{prefix}.random.auc": float(auc["random"].mean()),
        f"{prefix}.suggest.auc": float(auc["suggest"].mean()),
        f"{prefix}.auc_difference": float(difference.mean()),
        f"{prefix}.auc_difference_low": low,
        f"{prefix}.auc_difference_high": high,
        f"{prefix}.target_met": int((ratio is not None and ratio <= TARGET_RATIO) or high < 0),
    }
    for o in ORDERS:
        figures |= {f"{prefix}.{o}.mae_at_{n}": float(v) for n, v in zip(counts, mean[o],
                                                                         strict=True)}
    return figures, {o: [float(v) for v in mean[o]] for o in ORDERS}, counts


def _bootstrap_ci(values: Any, alpha: float = 0.05) -> tuple[float, float]:
    """Percentile bootstrap CI of the mean of ``values`` (the runs resampled)."""
    import numpy as np

    from memalign_nb.study.bootstrap import resample_weights

    if len(values) < 2:
        return float(values.mean()), float(values.mean())
    weights = resample_weights(len(values), RESAMPLES, seed=0)
    means = weights @ values / len(values)
    return float(np.quantile(means, alpha / 2)), float(np.quantile(means, 1 - alpha / 2))


def _prefix(name: str, base: str) -> str:
    return name if base == "heuristic" else f"{name}.from_scratch"


def run(quick: bool = False) -> Figures:
    """The active-learning figures (see :data:`FIGURES`)."""
    figures: Figures = {}
    for name, base in VARIANTS[:1] if quick else VARIANTS:
        found, curves, counts = measure(name, quick, base)
        figures |= found
        _print(_prefix(name, base), found, curves, counts, quick)
    return rounded(figures)


def _print(name: str, figures: Figures, curves: Mapping[str, Sequence[float]],
           counts: Sequence[int], quick: bool) -> None:
    from memalign_nb.cli.options import text_table

    p = f"active.{name}"
    rows = [[n, *(f"{curves[o][i]:.3f}" for o in ORDERS)] for i, n in enumerate(counts)]
    print(f"\n{name}: held-out aligned MAE by graded notebooks ({figures[f'{p}.runs']} fold x "
          f"seed runs{', quick' if quick else ''}, {figures[f'{p}.seconds']:.0f} s)",
          file=sys.stderr)
    print(text_table(("graded", *ORDERS), rows), file=sys.stderr)
    print(f"to reach random's MAE with all {counts[-1]} ({figures[f'{p}.random.final_mae']:.3f}): "
          f"random needs {figures[f'{p}.random.needed']}, suggest "
          f"{figures[f'{p}.suggest.needed']} (ratio {_fmt(figures[f'{p}.needed_ratio'])}, "
          f"target <= {TARGET_RATIO})", file=sys.stderr)
    print(f"area under the curve: random {figures[f'{p}.random.auc']:.4f}, suggest "
          f"{figures[f'{p}.suggest.auc']:.4f}, difference {figures[f'{p}.auc_difference']:+.4f} "
          f"[{figures[f'{p}.auc_difference_low']:+.4f}, "
          f"{figures[f'{p}.auc_difference_high']:+.4f}]; target "
          f"{'met' if figures[f'{p}.target_met'] else 'NOT met'}", file=sys.stderr)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


if __name__ == "__main__":
    from _common import bench_main

    raise SystemExit(bench_main(run, __doc__ or "", "20 graded notebooks, 1 fold, 1 seed"))
