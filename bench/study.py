"""Benchmark the alignment study's own overhead: everything but the judge's model calls.

Three measurements:

1. The bootstrap alone: 10,000 case resamples x 9 dimensions x 4 variants (every MAE
   interval and every paired improvement, as a study computes them) on the bundled
   sample's 50 cases and on 1,000 cases. Target: under 1 s.
2. A whole study (4 folds x 4 variants, 10,000 resamples) on the bundled sample, then
   :func:`save_study` (plots, report, results.json), with a judge whose "model calls"
   cost nothing (a scripted judge answering at once), so every second measured is the
   study's own overhead: folds, MemAlign fits (sections, rule learning, Chroma),
   memory recall at scoring time, metrics, bootstrap, plots and report.
3. The same on 1,000 generated notebooks (``generate_dataset(n_cases=1000, seed=1)``).

Usage::

    python bench/study.py [--cases 1000] [--bootstrap 10000] [--skip-large]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from memalign_nb.datasets import generate_dataset, load_dataset, sample_path
from memalign_nb.dimensions import DIMENSIONS
from memalign_nb.judges.scripted import ScriptedJudge
from memalign_nb.study import VARIANTS, AlignmentStudy, bootstrap_mae, save_study

BOOTSTRAP_TARGET_S = 1.0


def bench_bootstrap(n_cases: int, n_resamples: int, repeat: int = 3) -> float:
    """Best wall time of one study-shaped bootstrap: 4 variants x (9 dimensions + pooled)."""
    rng = np.random.default_rng(0)
    columns, pairs = {}, {}
    for variant in VARIANTS:
        per_dim = []
        for dim in DIMENSIONS:
            errors = rng.choice([0.0, 0.5, 1.0, 2.0], size=n_cases)
            errors[rng.random(n_cases) < 0.2] = np.nan  # not applicable
            columns[f"{variant}\t{dim}"] = errors
            per_dim.append(errors)
            if variant != "baseline":
                pairs[f"{variant}\t{dim}"] = f"baseline\t{dim}"
        columns[f"{variant}\tall"] = np.column_stack(per_dim)
        if variant != "baseline":
            pairs[f"{variant}\tall"] = "baseline\tall"
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        bootstrap_mae(columns, n_resamples=n_resamples, seed=0, baseline=pairs)
        best = min(best, time.perf_counter() - start)
    return best


def instant_judge() -> ScriptedJudge:
    """A judge whose "model calls" cost nothing: fixed pseudo-random scores per item."""
    return ScriptedJudge(lambda case, dim: zlib.crc32(f"{case.case_id}/{dim}".encode()) % 4,
                         judge_id="instant")


def bench_study(dataset_path: Path, n_resamples: int, label: str) -> None:
    """Run and save a full study with an instant judge; print where the time went."""
    start = time.perf_counter()
    dataset = load_dataset(dataset_path)
    load_s = time.perf_counter() - start
    study = AlignmentStudy(instant_judge(), n_bootstrap=n_resamples, progress=False)
    start = time.perf_counter()
    result = study.fit(dataset).result_
    fit_s = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        save_study(result, out)
        save_s = time.perf_counter() - start
    t = result.timings
    print(f"\n{label}: {len(dataset.cases)} cases, {result.usage['judgments']} judgments "
          f"(4 folds x 4 variants)")
    print(f"  load dataset            {load_s:8.2f} s")
    print(f"  study fit               {fit_s:8.2f} s")
    print(f"    baseline scoring      {t['baseline']:8.2f} s")
    print(f"    alignment (12 fits)   {t['align']:8.2f} s  "
          f"({t['align_per_fold_dimension'] * 1000:.0f} ms per fold, variant and dimension)")
    print(f"    aligned scoring       {t['score']:8.2f} s  (memory recall per judgment)")
    print(f"    statistics            {t['statistics']:8.2f} s  (metrics + bootstrap)")
    print(f"  save_study              {save_s:8.2f} s  (13 plots, report, results.json)")
    total = fit_s + save_s
    print(f"  overhead                {total:8.2f} s  = {total / len(dataset.cases) * 1000:.0f} ms "
          "per case")
    own = total - t["align"] - t["score"]
    print(f"    of which the study's  {own:8.2f} s  (all but MemAlign's fits and recall)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1000, help="size of the large study")
    parser.add_argument("--bootstrap", type=int, default=10_000)
    parser.add_argument("--skip-large", action="store_true", help="only the bundled sample")
    args = parser.parse_args(argv)

    print("bootstrap: 10,000 resamples x 9 dimensions x 4 variants (+ pooled, + improvements)")
    for n_cases in (50, args.cases):
        seconds = bench_bootstrap(n_cases, args.bootstrap)
        verdict = "ok" if seconds < BOOTSTRAP_TARGET_S else "OVER TARGET"
        print(f"  {n_cases:5d} cases  {seconds:6.3f} s  (target < {BOOTSTRAP_TARGET_S} s: "
              f"{verdict})")
    bench_study(sample_path(), args.bootstrap, "bundled sample")
    if not args.skip_large:
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            path = generate_dataset(Path(tmp) / "large", n_cases=args.cases, seed=1)
            print(f"\n(generated {args.cases} notebooks in {time.perf_counter() - start:.1f} s)")
            bench_study(path, args.bootstrap, f"{args.cases} generated notebooks")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
