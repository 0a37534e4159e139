"""``memalign-nb study`` and ``memalign-nb demo``: run an alignment study, write its outputs.

::

    memalign-nb study DATASET [--model M] [--folds 4] [--bootstrap 10000]
                      [--variants baseline semantic episodic full] [--out DIR]
                      [--learning-curve [FRACTIONS]] [--curve-seeds 5] ...
    memalign-nb demo [--out DIR] [--learning-curve [FRACTIONS]]

``study`` cross-validates the judge against its MemAlign-aligned variants on DATASET's
human grades (``feedback.jsonl`` plus the dataset's feedback store), writes the report,
plots, ``results.json``, judgments and guidelines to DIR, logs the study to MLflow and
prints the per-dimension result, the calls, tokens and wall time it took and where
everything is. LLM judgments are cached on disk, so an interrupted study resumes where it
stopped. With ``--learning-curve`` the study also fits the aligned judge on growing shares
of each training fold (default 25%, 50%, 75%, 100%) and says whether more grades would
still pay. ``demo`` runs the same study on the bundled sample with the offline defaults
(heuristic judge, local hashing embeddings).

Both track by one rule: to ``--tracking-uri`` when given, else to ``MLFLOW_TRACKING_URI``
when set, else to ``DIR/mlflow.db`` beside the outputs (never the working directory).
Variants are compared on the items all of them scored; with more than ``--max-failed``
of the items left out by failed judgments, nothing is called significant.

Both exit 1 when some judgments failed (run again to retry only those), 0 otherwise.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import textwrap
from pathlib import Path
from typing import Any

from memalign_nb.cli.options import (
    add_judge_command,
    add_progress_argument,
    judge_from_args,
    memory_options,
    open_dataset,
    positive_int,
    share,
    text_table,
)

logger = logging.getLogger(__name__)

DEFAULT_OUT = "study-output"
"""Where ``memalign-nb study`` writes unless ``--out`` says otherwise."""

DEMO_OUT = "demo-output"
"""Where ``memalign-nb demo`` writes unless ``--out`` says otherwise."""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``study`` and ``demo`` commands."""
    from memalign_nb.study import VARIANTS
    from memalign_nb.study.curve import DEFAULT_CURVE_SEEDS, DEFAULT_FRACTIONS
    from memalign_nb.study.study import DEFAULT_MAX_FAILED
    from memalign_nb.tracking import DEFAULT_EXPERIMENT

    study = add_judge_command(
        subparsers, "study", memory=True,
        help="cross-validate a judge against its aligned variants; report, plots, MLflow",
        description="K-fold cross-validation by case: each fold aligns on the other folds' "
        "human feedback only and scores the held-out fold, for the baseline and each "
        "MemAlign variant; per-dimension MAE with case-bootstrap CIs, paired improvements, "
        "plots, a Markdown/HTML report and an MLflow run.",
    )
    demo = subparsers.add_parser(
        "demo",
        help="run the study on the bundled sample, offline, and show where the results are",
        description="Run the alignment study on the bundled sample dataset with the offline "
        "defaults (heuristic judge, hashing embeddings), write report and plots to --out "
        "and track to --out/mlflow.db (or MLFLOW_TRACKING_URI).",
    )
    study.add_argument(
        "--variants",
        nargs="+",
        choices=tuple(VARIANTS),
        default=list(VARIANTS),
        help="variants to compare (default: all four)",
    )
    study.add_argument(
        "--rubrics",
        metavar="PATH",
        action="append",
        default=[],
        help="rubric file or folder adding custom dimensions (repeatable)",
    )
    study.add_argument(
        "--max-failed",
        type=share,
        default=DEFAULT_MAX_FAILED,
        metavar="SHARE",
        help="largest share of graded items whose judgment may fail (they are left out "
        "of every variant) while differences are still called significant (default "
        f"{DEFAULT_MAX_FAILED})",
    )
    study.add_argument(
        "--tracking-uri",
        metavar="URI",
        help="MLflow tracking URI (default MLFLOW_TRACKING_URI, else sqlite:///DIR/mlflow.db "
        "in the output folder)",
    )
    for parser, out in ((study, DEFAULT_OUT), (demo, DEMO_OUT)):
        parser.add_argument(
            "--out", default=out, metavar="DIR", help=f"output folder (default {out})"
        )
        parser.add_argument(
            "--folds",
            type=_at_least_two,
            default=4,
            help="K of the K-fold cross-validation (default 4)",
        )
        parser.add_argument(
            "--bootstrap",
            type=positive_int,
            default=10_000,
            metavar="B",
            help="bootstrap resamples of cases (default 10000)",
        )
        parser.add_argument("--seed", type=int, default=0, help="seed of folds and bootstrap")
        parser.add_argument(
            "--experiment",
            default=DEFAULT_EXPERIMENT,
            help=f"MLflow experiment (default {DEFAULT_EXPERIMENT})",
        )
        parser.add_argument("--no-mlflow", action="store_true", help="do not log to MLflow")
        parser.add_argument(
            "--learning-curve",
            nargs="?",
            type=_fractions,
            const=DEFAULT_FRACTIONS,
            metavar="FRACTIONS",
            help="also fit the aligned judge on growing shares of each training fold and "
            "report the learning curve; FRACTIONS as 0.25,0.5,0.75,1 (the default)",
        )
        parser.add_argument(
            "--curve-seeds",
            type=positive_int,
            default=DEFAULT_CURVE_SEEDS,
            metavar="N",
            help=f"random training samples per fold and share (default {DEFAULT_CURVE_SEEDS})",
        )
    add_progress_argument(demo)
    study.set_defaults(func=run_study)
    demo.set_defaults(func=run_demo)


def _at_least_two(text: str) -> int:
    value = int(text)
    if value < 2:
        raise argparse.ArgumentTypeError(f"must be at least 2, got {value}")
    return value


def _fractions(text: str) -> tuple[float, ...]:
    """``--learning-curve`` values: at least two increasing shares in (0, 1], a,b,c."""
    from memalign_nb.errors import MemAlignError
    from memalign_nb.study.curve import check_fractions

    try:
        return check_fractions(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of shares like 0.25,0.5,1: {text!r}") \
            from None
    except MemAlignError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def run_study(args: argparse.Namespace) -> int:
    """The ``study`` command."""
    from memalign_nb.rubrics import load_rubrics
    from memalign_nb.study import AlignmentStudy

    rubrics = load_rubrics(args.rubrics)
    judge = judge_from_args(args, rubrics=rubrics if args.rubrics else None)
    dataset = open_dataset(args, rubrics)
    study = AlignmentStudy(
        judge,
        n_folds=args.folds,
        variants=args.variants,
        n_bootstrap=args.bootstrap,
        seed=args.seed,
        **memory_options(args),
        max_failed=args.max_failed,
        learning_curve=args.learning_curve,
        curve_seeds=args.curve_seeds,
    )
    return _run(study, dataset, args)


def run_demo(args: argparse.Namespace) -> int:
    """The ``demo`` command: the study on the bundled sample, offline."""
    from memalign_nb.datasets import load_dataset, sample_path
    from memalign_nb.study import AlignmentStudy

    dataset = load_dataset(sample_path())
    print(
        f"memalign-nb demo: studying the bundled sample ({len(dataset.cases)} notebooks, "
        f"{len(dataset.feedback)} human grades) with the offline heuristic judge"
    )
    study = AlignmentStudy(
        "heuristic",
        n_folds=args.folds,
        n_bootstrap=args.bootstrap,
        seed=args.seed,
        progress=not args.no_progress,
        learning_curve=args.learning_curve,
        curve_seeds=args.curve_seeds,
    )
    return _run(study, dataset, args)


def tracking_uri(args: argparse.Namespace) -> str | None:
    """Where ``study`` and ``demo`` track: ``--tracking-uri``, else ``MLFLOW_TRACKING_URI``
    (None: MLflow reads it), else ``DIR/mlflow.db`` beside the outputs."""
    if getattr(args, "tracking_uri", None):
        return args.tracking_uri
    if os.environ.get("MLFLOW_TRACKING_URI"):
        return None
    return f"sqlite:///{Path(args.out).resolve() / 'mlflow.db'}"


def _run(study: Any, dataset: Any, args: argparse.Namespace) -> int:
    """Fit, save, track and print; shared by ``study`` and ``demo``."""
    from memalign_nb.study import save_study
    from memalign_nb.study.report import cost_lines, curve_table, headline_summary, headline_table

    result = study.fit(dataset).result_
    paths = save_study(result, args.out)
    data = result.to_dict()
    print()
    print(text_table(*headline_table(data)))
    print()
    if data["headline_variant"] and "baseline" in data["variants"]:
        print(textwrap.fill(headline_summary(data), width=100))
        print()
    if data["learning_curve"]:
        print(text_table(*curve_table(data)))
        print(textwrap.fill(data["learning_curve"]["verdict"], width=100))
        print()
    for label, line in zip(("cost", ""), cost_lines(data), strict=True):
        print(f"{label:<10} {line}")
    print(f"report     {paths.report_html}  (and {paths.report_md.name})")
    print(f"plots      {paths.folder / 'plots'}/ ({len(paths.plots)} PNG)")
    if "learning_curve" in paths.plots:
        print(f"curve      {paths.plots['learning_curve']}")
    print(f"results    {paths.results_json}  (documented in docs/results-json.md)")
    tracked = args.no_mlflow or _track(result, paths, args, tracking_uri(args))
    failures = data["usage"].get("failures", 0)
    if failures:
        print(
            f"{failures} judgments failed; run the command again to retry them "
            "(finished judgments come from the cache)"
        )
    return 0 if tracked and not failures else 1


def _track(result: Any, paths: Any, args: argparse.Namespace, tracking_uri: str | None) -> bool:
    """Log to MLflow and say where; False (and why, on stderr) when logging failed."""
    from mlflow.exceptions import MlflowException

    from memalign_nb.tracking import log_study, resolve_tracking_uri

    uri = resolve_tracking_uri(tracking_uri)
    try:
        run_id = log_study(result, paths, experiment=args.experiment, tracking_uri=uri)
    except (MlflowException, OSError) as exc:
        print(
            f"memalign-nb {args.command}: MLflow logging to {uri} failed: {exc}; the "
            f"outputs above are complete",
            file=sys.stderr,
        )
        return False
    print(f"MLflow     run {run_id} in experiment {args.experiment!r} at {uri}")
    if uri.startswith(("http://", "https://", "databricks")):
        print(f"           open it in the MLflow UI of {uri}")
    else:
        print(f"           open it with: mlflow ui --backend-store-uri {uri}")
    return True
