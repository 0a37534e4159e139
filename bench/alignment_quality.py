"""Alignment quality on real and on generated notebooks, side by side.

Two datasets, each through the same cross-validated study (the offline heuristic judge,
``AlignmentStudy(variants=("baseline", "full"), n_folds=4, n_bootstrap=10_000, seed=0)``):

* ``graded``: ``../shared/corpus/graded``, 60 real Kaggle notebooks, each graded on all
  nine dimensions by two independent reviews: where alignment quality is decided;
* ``sample``: the bundled sample, 50 generated notebooks (templates make neighbours
  easy to find there, so a gain shown only on it is not a gain).

For each: per dimension and pooled, the baseline and aligned MAE with 95% bootstrap CIs
(over the items the reviewers marked applicable, against their median), the constant
"always 2" judge's MAE, the raters' own disagreement (rater-vs-rater MAE, the noise
floor), and the aligned judge's improvement on the pooled MAE with its CI.

And what alignment learns by itself: the same study with a judge that knows nothing (the
constant "always 2" judge, :class:`~memalign_nb.judges.ScriptedJudge`) as the base,
aligned on the same feedback: its pooled MAE before (the always-2 MAE) and after, with the
improvement's CI. The heuristic judge's rules already encode much of what these reviewers
check, so on the graded corpus the gap left to its aligned judge is small; this row shows
what the memories learn from feedback alone, as they must wherever experts or rubrics
differ from the built-in rules.

And the **neighbour-vote ratio**: for every graded item, the median reference of its
``k=5`` nearest graded neighbours of the same dimension (every other case, as episodic
memory ranks them: :class:`~memalign_nb.memory.profile.ProfileEncoder` over the section
and its static facts and finding) against the item's own reference, as MAE over the
applicable items, divided by the same MAE for 5 graded cases drawn at random (averaged
over 200 draws per item). 1 means retrieval finds no more precedent than chance.

``--quick`` (what ``make test`` runs): 16 notebooks of each dataset, 2 folds, 200
resamples.

Usage::

    python bench/alignment_quality.py [--quick]
"""

from __future__ import annotations

import random
import statistics
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from _common import CORPUS, Figures, rounded

GRADED = CORPUS.parent / "graded"
DATASETS = ("graded", "sample")
K = 5
RANDOM_DRAWS = 200
POOLED = "pooled"

FIGURES = tuple(
    f"quality.{name}.{figure}" for name in DATASETS for figure in (
        "cases", "pooled.baseline", "pooled.aligned", "pooled.always2", "pooled.ratio",
        "pooled.improvement", "pooled.improvement_low", "pooled.improvement_high",
        "neighbour_ratio", "high_baseline_ratio", "significantly_worse",
        "dimensions_beating_always2", "from_scratch.aligned", "from_scratch.improvement_low",
    )
)


def _dataset(name: str, quick: bool) -> Any:
    """The dataset ``name``, cut to 16 cases with ``quick``."""
    from memalign_nb.datasets import load_dataset, sample_path

    dataset = load_dataset(GRADED if name == "graded" else sample_path())
    if quick:
        dataset = dataset.subset(sorted(c.case_id for c in dataset.cases)[:16])
    return dataset


def _always_two(reference: Mapping[tuple[str, str], float], dimension: str | None) -> float:
    errors = [abs(2 - r) for (_, d), r in reference.items()
              if r > 0 and (dimension is None or d == dimension)]
    return statistics.fmean(errors) if errors else float("nan")


def neighbour_ratio(dataset: Any, k: int = K, seed: int = 0) -> dict[str, float]:
    """The neighbour-vote ratio per dimension and pooled (see the module docs)."""
    import numpy as np

    from memalign_nb.align.sectioning import SectionReader
    from memalign_nb.feedback import reference_scores
    from memalign_nb.judges import make_judge
    from memalign_nb.memory.profile import ProfileEncoder

    reference = reference_scores(dataset.feedback)
    dimensions = sorted({d for _, d in reference})
    reader = SectionReader(make_judge("heuristic"), dimensions)
    encoder = ProfileEncoder()
    rng = random.Random(seed)
    ratios, near_all, random_all = {}, [], []
    for dimension in dimensions:
        cases = [c for c in dataset.cases if (c.case_id, dimension) in reference]
        if len(cases) <= k:
            continue
        vectors = np.array(encoder.encode([reader.profile(c, dimension) for c in cases]))
        refs = [reference[(c.case_id, dimension)] for c in cases]
        similarity = vectors @ vectors.T
        near, chance = [], []
        for i, own in enumerate(refs):
            if own <= 0:
                continue
            others = [j for j in np.argsort(-similarity[i], kind="stable") if j != i]
            near.append(abs(statistics.median(refs[j] for j in others[:k]) - own))
            pool = [j for j in range(len(cases)) if j != i]
            chance.append(statistics.fmean(
                abs(statistics.median(refs[j] for j in rng.sample(pool, k)) - own)
                for _ in range(RANDOM_DRAWS)))
        if near and statistics.fmean(chance) > 0:
            ratios[dimension] = statistics.fmean(near) / statistics.fmean(chance)
        near_all += near
        random_all += chance
    ratios[POOLED] = statistics.fmean(near_all) / statistics.fmean(random_all)
    return ratios


def study(dataset: Any, quick: bool, judge: Any = "heuristic") -> Any:
    """The cross-validated study of ``judge``, baseline and full MemAlign."""
    from memalign_nb.study import AlignmentStudy

    return AlignmentStudy(judge, variants=("baseline", "full"), n_folds=2 if quick else 4,
                          n_bootstrap=200 if quick else 10_000, seed=0,
                          progress=False).fit(dataset).result_


def from_scratch(dataset: Any, quick: bool) -> Any:
    """The study of the constant "always 2" judge: what alignment learns from feedback alone."""
    from memalign_nb.judges import ScriptedJudge

    return study(dataset, quick, ScriptedJudge({}, default=2))


def measure(name: str, quick: bool) -> tuple[Figures, list[list[str]]]:
    """One dataset's figures and its printable table rows."""
    from memalign_nb.feedback import noise_floor, reference_scores

    dataset = _dataset(name, quick)
    result = study(dataset, quick)
    reference = reference_scores(dataset.feedback)
    floor = noise_floor(dataset.feedback, result.dimensions)
    ratios = neighbour_ratio(dataset)
    prefix = f"quality.{name}"
    figures: Figures = {f"{prefix}.cases": len(dataset.cases)}
    rows = []
    worse, high, beats = 0, [], 0
    for dimension in (*result.dimensions, POOLED):
        key = "all" if dimension == POOLED else dimension
        base, aligned = result.mae["baseline"][key], result.mae["full"][key]
        gain = result.improvement["full"][key]
        always2 = _always_two(reference, None if dimension == POOLED else dimension)
        figures |= {f"{prefix}.{dimension}.baseline": base.estimate,
                    f"{prefix}.{dimension}.aligned": aligned.estimate,
                    f"{prefix}.{dimension}.always2": always2}
        noise = floor[dimension].mae if dimension in floor else None
        if dimension != POOLED:
            worse += gain.high < 0
            beats += base.estimate < always2
            if base.estimate > 0.3:
                high.append(aligned.estimate / base.estimate)
        rows.append([dimension, _ci(base), _ci(aligned), _pct(gain, base),
                     f"{always2:.3f}", "" if noise is None else f"{noise:.3f}",
                     "" if dimension not in ratios else f"{ratios[dimension]:.2f}"])
    scratch = from_scratch(dataset, quick)
    figures |= {f"{prefix}.from_scratch.aligned": scratch.mae["full"]["all"].estimate,
                f"{prefix}.from_scratch.improvement_low": scratch.improvement["full"]["all"].low}
    rows.append(["always 2, aligned", _ci(scratch.mae["baseline"]["all"]),
                 _ci(scratch.mae["full"]["all"]),
                 _pct(scratch.improvement["full"]["all"], scratch.mae["baseline"]["all"]),
                 "", "", ""])
    pooled_gain = result.improvement["full"]["all"]
    base_mae = figures[f"{prefix}.{POOLED}.baseline"]
    figures |= {
        f"{prefix}.pooled.ratio": figures[f"{prefix}.{POOLED}.aligned"] / base_mae
        if base_mae else None,
        f"{prefix}.pooled.improvement": pooled_gain.estimate,
        f"{prefix}.pooled.improvement_low": pooled_gain.low,
        f"{prefix}.pooled.improvement_high": pooled_gain.high,
        f"{prefix}.neighbour_ratio": ratios[POOLED],
        f"{prefix}.high_baseline_ratio": statistics.fmean(high) if high else None,
        f"{prefix}.significantly_worse": worse,
        f"{prefix}.dimensions_beating_always2": beats,
    }
    return figures, rows


def _ci(interval: Any) -> str:
    return f"{interval.estimate:.3f} [{interval.low:.3f}, {interval.high:.3f}]"


def _pct(gain: Any, base: Any) -> str:
    """The relative change of MAE (-14%: 14% lower), * when its CI excludes 0."""
    if not base.estimate:
        return "-"
    change = -gain.estimate / base.estimate
    text = f"{change:+.0%}" if round(change, 2) else "\u00b10%"
    return text + ("*" if gain.excludes_zero else "")


def run(quick: bool = False) -> Figures:
    """The alignment-quality figures (see :data:`FIGURES`)."""
    figures: Figures = {}
    for name in DATASETS:
        found, rows = measure(name, quick)
        figures |= found
        _print_table(name, rows, found, quick)
    return rounded(figures)


def _print_table(name: str, rows: Sequence[Sequence[str]], figures: Figures, quick: bool) -> None:
    from memalign_nb.cli.options import text_table

    title = ("../shared/corpus/graded: real notebooks, two independent reviews"
             if name == "graded" else "bundled sample: generated notebooks")
    print(f"\n{title} ({figures[f'quality.{name}.cases']} cases{', quick' if quick else ''})",
          file=sys.stderr)
    print(text_table(("dimension", "baseline MAE [95% CI]", "aligned MAE [95% CI]",
                      "change", "always 2", "raters' MAE", "neighbour ratio"), rows),
          file=sys.stderr)
    print("change: aligned vs baseline MAE (* the paired 95% CI excludes 0); neighbour "
          "ratio: MAE of 5 nearest neighbours' median / of 5 random cases'", file=sys.stderr)


if __name__ == "__main__":
    from _common import bench_main

    raise SystemExit(bench_main(run, __doc__ or "", "16 notebooks, 2 folds, 200 resamples"))
