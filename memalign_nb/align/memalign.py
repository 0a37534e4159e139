"""The MemAlign estimator: align a judge with expert feedback through two memories.

:meth:`MemAlign.fit` reads the dataset's human grades (several raters per item: their
median is the reference, their rationales are joined), scores the graded items with the base
judge, and builds, per dimension:

* semantic memory (guidelines): for an :class:`~memalign_nb.judges.llm.LLMJudge`, distilled
  from the feedback by a reflection model (:func:`~memalign_nb.memory.distill_guidelines`);
  for any other judge (the heuristic judge, a scripted one), rules learned over the
  sections' static facts: the corrections the experts made to the judge
  (:func:`~memalign_nb.memory.learn_rules`);
* episodic memory: one graded example per (case, dimension) in a Chroma collection of its
  own (:class:`~memalign_nb.memory.EpisodicMemory`), retrieved by what the section's code
  does for the dimension as well as by its text, in memory unless ``persist_dir`` is
  given.

Feedback is learned incrementally by :meth:`AlignedJudge.add_feedback
<memalign_nb.align.AlignedJudge.add_feedback>`, which ``fit`` calls on a fresh judge: only
(case, dimension, rater) grades that are new or changed are read, and only their items are
shown to the reflection model (:mod:`memalign_nb.align.learning` holds that logic). With
``calibrate`` (the default), the heuristic engine then chooses per dimension whether the
rules and the neighbours count, and how much (:mod:`memalign_nb.align.calibration`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from os import PathLike
from typing import TYPE_CHECKING, Any

from sklearn.base import BaseEstimator

from memalign_nb.datasets.model import Dataset
from memalign_nb.errors import MemAlignError, UnknownNameError
from memalign_nb.judges.base import Judge
from memalign_nb.judges.batch import DEFAULT_CONCURRENCY
from memalign_nb.memory.guidelines import GuidelineSet
from memalign_nb.memory.profile import DIGEST_WEIGHT

if TYPE_CHECKING:
    from memalign_nb.align.aligned_judge import AlignedJudge
    from memalign_nb.align.blend import BlendWeights

logger = logging.getLogger(__name__)

EPISODIC_POLICIES: tuple[str, ...] = ("all", "disagreements")
"""Which graded examples enter episodic memory: every one, or only those the base judge
scored differently from the experts."""


class MemAlign(BaseEstimator):
    """Aligns a judge with expert feedback: semantic and episodic memory per dimension.

    A scikit-learn estimator: ``__init__`` stores the parameters unchanged (so
    ``get_params``, ``set_params`` and ``sklearn.base.clone`` work); :meth:`fit` validates
    them.

    Parameters
    ----------
    semantic : bool
        Build semantic memory (guidelines or learned rules).
    episodic : bool
        Build episodic memory (graded examples retrieved by similarity).
    k : int
        Examples retrieved per judgment (at least 1).
    embeddings : str, Embeddings or None
        Embedder of episodic memory and of guideline merging; None is the local hashing
        embedder (see :func:`~memalign_nb.memory.make_embeddings`).
    reflection_model : str, BaseChatModel or None
        LLM engine only: the chat model that distils guidelines; None uses the judge's own
        model (same endpoint and options).
    episodic_policy : str
        ``"all"`` stores every graded example; ``"disagreements"`` only those where the
        base judge's score differed from the experts' (or the judge failed).
    dimensions : sequence of str, optional
        The dimensions to align; default: every dimension of the judge with grades in the
        dataset. Other dimensions are scored by the base judge unchanged.
    base_weight, neighbour_weight, min_similarity : float
        Heuristic engine: how the base judge's score (or the learned rule correcting it)
        and neighbour votes are weighed (:class:`~memalign_nb.align.blend.BlendWeights`).
        With ``calibrate`` they are the starting point of each dimension's choice
        (``neighbour_weight`` joins the weights tried; the others are kept).
    neighbour_mode : str
        Heuristic engine: ``"correction"`` (a neighbour carries the base judge's error on
        it over to the case) or ``"expert"`` (a neighbour votes for its expert score);
        with ``calibrate`` both are tried.
    min_support : int
        Heuristic engine: fewest training cases a learned rule covers, and corrects.
    min_gain : float
        Heuristic engine: fewest error points a learned rule must remove on its training
        cases, net of the cases it makes worse (:func:`~memalign_nb.memory.learn_rules`).
    calibrate : bool
        Heuristic engine: choose the blend per dimension on the training feedback alone,
        each item scored without its own grade (:mod:`memalign_nb.align.calibration`): the
        base judge alone, or with rules and/or neighbours of a few weights, whichever errs
        least there; the simpler blend unless a more complex one gains a margin, so
        memories are used only where they beat the base judge on its own training data.
        Chosen again by ``add_feedback`` and ``forget``. False scores every dimension with
        the weights above (the global blend, rules on).
    digest_weight : float
        Episodic memory: weight of what a section's code does for the dimension (its
        facts and static finding) against its text, when comparing sections
        (:class:`~memalign_nb.memory.profile.ProfileEncoder`).
    memory_tokens : int
        LLM engine: token budget of the guidelines and examples added to the prompt.
    distill_batch_size : int
        LLM engine: feedback items per reflection call.
    persist_dir : path, optional
        A new (or empty) directory the aligned judge lives in: the Chroma store is created
        there and every file of :meth:`AlignedJudge.save` is kept up to date. None keeps
        the memories in this process until saved.
    concurrency : int
        Base-judge judgments in flight at once while learning.
    progress : bool
        Show progress bars while learning.

    Attributes
    ----------
    judge_ : AlignedJudge
        The aligned judge :meth:`fit` returned.
    engine_ : str
        ``"llm"`` or ``"heuristic"`` (see :data:`memalign_nb.align.engines.ENGINES`).
    dimensions_ : tuple of str
        The aligned dimensions.
    """

    def __init__(
        self,
        *,
        semantic: bool = True,
        episodic: bool = True,
        k: int = 5,
        embeddings: Any = None,
        reflection_model: Any = None,
        episodic_policy: str = "all",
        dimensions: Sequence[str] | None = None,
        base_weight: float = 1.0,
        neighbour_weight: float = 4.0,
        min_similarity: float = 0.3,
        neighbour_mode: str = "correction",
        min_support: int = 3,
        min_gain: float = 2.0,
        calibrate: bool = True,
        digest_weight: float = DIGEST_WEIGHT,
        memory_tokens: int = 3000,
        distill_batch_size: int = 8,
        persist_dir: str | PathLike[str] | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        progress: bool = False,
    ) -> None:
        self.semantic = semantic
        self.episodic = episodic
        self.k = k
        self.embeddings = embeddings
        self.reflection_model = reflection_model
        self.episodic_policy = episodic_policy
        self.dimensions = dimensions
        self.base_weight = base_weight
        self.neighbour_weight = neighbour_weight
        self.min_similarity = min_similarity
        self.neighbour_mode = neighbour_mode
        self.min_support = min_support
        self.min_gain = min_gain
        self.calibrate = calibrate
        self.digest_weight = digest_weight
        self.memory_tokens = memory_tokens
        self.distill_batch_size = distill_batch_size
        self.persist_dir = persist_dir
        self.concurrency = concurrency
        self.progress = progress

    def blend_weights(self) -> BlendWeights:
        """The heuristic engine's weights (validated) from these parameters."""
        from memalign_nb.align.blend import BlendWeights

        return BlendWeights(self.base_weight, bool(self.semantic), self.neighbour_weight,
                            self.min_similarity, self.k, self.neighbour_mode)

    def fit(self, judge: Judge, dataset: Dataset) -> AlignedJudge:
        """Align ``judge`` with the human grades of ``dataset``.

        Unlike scikit-learn's ``fit``, this returns the fitted *judge* (also kept as
        :attr:`judge_`), so ``MemAlign(...).fit(judge, dataset).score(case, dim)`` reads as
        it should. Each call builds new memories from ``dataset`` alone; to add feedback
        to an aligned judge, use :meth:`AlignedJudge.add_feedback`.

        Parameters
        ----------
        judge : Judge
            The base judge (heuristic, LLM or any other :class:`Judge`), not an aligned one.
        dataset : Dataset
            Cases with human grades (:func:`memalign_nb.datasets.load_dataset`,
            ``Dataset.subset`` for a fold).

        Returns
        -------
        AlignedJudge

        Raises
        ------
        MemAlignError
            Invalid parameters, an aligned or non-judge ``judge``, a dataset without
            grades on the aligned dimensions, or a ``persist_dir`` that is not empty.
        UnknownNameError
            An unknown ``episodic_policy`` or ``neighbour_mode``, or a dimension the
            judge does not score.
        """
        from memalign_nb.align.aligned_judge import AlignedJudge
        from memalign_nb.align.engines import engine_name, make_engine
        from memalign_nb.align.state import AlignmentState

        self._validate(judge, dataset)
        dimensions = self._dimensions(judge, dataset)
        state = AlignmentState(dimensions, GuidelineSet(embeddings=self.embeddings))
        home = None
        if self.persist_dir is not None:
            from memalign_nb.align.persistence import start_judge_dir

            home, state.episodic = start_judge_dir(self.persist_dir, self)
        elif self.episodic:
            from memalign_nb.memory.episodic import EpisodicMemory

            state.episodic = EpisodicMemory(self.embeddings, digest_weight=self.digest_weight)
        engine = make_engine(engine_name(judge), judge, self)
        aligned = AlignedJudge(judge, self, engine=engine, state=state, path=home)
        update = aligned.add_feedback(dataset)
        logger.info("aligned %s on %d dimensions: %s", judge.judge_id, len(dimensions), update)
        self.judge_, self.engine_, self.dimensions_ = aligned, engine.name, dimensions
        return aligned

    def _validate(self, judge: Judge, dataset: Dataset) -> BlendWeights:
        from memalign_nb.align.aligned_judge import AlignedJudge

        if isinstance(judge, AlignedJudge):
            raise MemAlignError(
                "the judge is already aligned: add feedback with aligned.add_feedback(dataset), "
                "or fit MemAlign on its base judge (aligned.base_judge)"
            )
        if not isinstance(judge, Judge):
            raise MemAlignError(f"expected a Judge to align, got {type(judge).__name__}")
        if not isinstance(dataset, Dataset):
            raise MemAlignError(
                f"expected a Dataset (memalign_nb.datasets.load_dataset), got "
                f"{type(dataset).__name__}"
            )
        if self.episodic_policy not in EPISODIC_POLICIES:
            raise UnknownNameError("episodic policy", str(self.episodic_policy),
                                   EPISODIC_POLICIES)
        if not (self.semantic or self.episodic):
            raise MemAlignError("nothing to align with: semantic and episodic are both False")
        for name in ("min_support", "memory_tokens", "distill_batch_size", "concurrency"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise MemAlignError(f"{name} must be an int >= 1, got {value!r}")
        for name in ("min_gain", "digest_weight"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or isinstance(value, bool) or not (
                    0 <= value < float("inf")):
                raise MemAlignError(f"{name} must be a number >= 0, got {value!r}")
        if not isinstance(self.calibrate, bool):
            raise MemAlignError(f"calibrate must be True or False, got {self.calibrate!r}")
        return self.blend_weights()  # validates k, the weights and min_similarity

    def _dimensions(self, judge: Judge, dataset: Dataset) -> tuple[str, ...]:
        from memalign_nb.dimensions import check_dimension

        graded = {g.dimension for g in dataset.feedback}
        if isinstance(self.dimensions, str):
            raise MemAlignError(f"dimensions must be a sequence of dimension ids, not the "
                                f"string {self.dimensions!r}")
        if self.dimensions is not None:
            chosen = tuple(dict.fromkeys(self.dimensions))
            for dimension in chosen:
                check_dimension(dimension, judge.dimensions)
        else:
            chosen = tuple(d for d in judge.dimensions if d in graded)
        if not chosen or not graded.intersection(chosen):
            raise MemAlignError(
                f"{dataset.path}: no human grades on the dimensions to align "
                f"({', '.join(chosen) or 'none of ' + judge.judge_id + ' dimensions'})"
            )
        return chosen
