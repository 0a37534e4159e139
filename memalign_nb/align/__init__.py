"""MemAlign: align a judge with expert feedback through semantic and episodic memory.

>>> from memalign_nb.align import MemAlign, load_judge
>>> aligned = MemAlign(k=5).fit(judge, dataset)          # doctest: +SKIP
>>> aligned.save("aligned-judge")                        # doctest: +SKIP
>>> load_judge("aligned-judge").score(case, "model_use") # doctest: +SKIP

- :class:`MemAlign`: the estimator (parameters, ``fit(judge, dataset) -> AlignedJudge``);
- :class:`AlignedJudge`: the aligned judge, a :class:`~memalign_nb.judges.Judge`, with
  ``add_feedback``, ``forget`` and ``save``; what it learned is one
  :class:`AlignmentState`, put to work by an :class:`Engine` (``heuristic`` or ``llm``);
- :func:`load_judge`: a saved judge directory back as an :class:`AlignedJudge`;
- :class:`Calibration`: the heuristic engine's blend chosen per dimension on the training
  feedback (``aligned.calibration_``; see :mod:`memalign_nb.align.calibration`);
- :func:`suggest`: the ungraded items whose grades should teach the aligned judge most,
  each a :class:`Suggestion` with its reasons (:mod:`memalign_nb.align.suggest`).

Modules, each on the one before: ``state`` (the learned record), ``blend`` and
``calibration`` (the heuristic engine's decision and its choice), ``sectioning`` and
``recall`` (what the memories bring to a case), ``engine``, ``heuristic_engine``,
``llm_engine`` and ``engines`` (how memories are used), ``learning`` (add and forget
feedback), ``persistence`` (the judge directory), ``aligned_judge``, ``memalign`` (the
estimator), ``loading``, ``suggest`` (what to grade next). chromadb and LangChain
providers are imported only when memories are built or opened.
"""

from __future__ import annotations

from memalign_nb.align.aligned_judge import AlignedJudge
from memalign_nb.align.blend import Blend, BlendWeights, Vote
from memalign_nb.align.calibration import Calibration, CandidateScore
from memalign_nb.align.engine import Engine
from memalign_nb.align.engines import ENGINES
from memalign_nb.align.learning import FeedbackUpdate, ForgetResult
from memalign_nb.align.loading import load_judge
from memalign_nb.align.memalign import EPISODIC_POLICIES, MemAlign
from memalign_nb.align.persistence import FORMAT_VERSION
from memalign_nb.align.recall import Recall
from memalign_nb.align.state import AlignmentState
from memalign_nb.align.suggest import Suggestion, suggest

__all__ = [
    "ENGINES",
    "EPISODIC_POLICIES",
    "FORMAT_VERSION",
    "AlignedJudge",
    "AlignmentState",
    "Blend",
    "BlendWeights",
    "Calibration",
    "CandidateScore",
    "Engine",
    "FeedbackUpdate",
    "ForgetResult",
    "MemAlign",
    "Recall",
    "Suggestion",
    "Vote",
    "load_judge",
    "suggest",
]
