"""MemAlign: align a judge with expert feedback through semantic and episodic memory.

>>> from memalign_nb.align import MemAlign, load_judge
>>> aligned = MemAlign(k=5).fit(judge, dataset)          # doctest: +SKIP
>>> aligned.save("aligned-judge")                        # doctest: +SKIP
>>> load_judge("aligned-judge").score(case, "model_use") # doctest: +SKIP

- :class:`MemAlign`: the estimator (parameters, ``fit(judge, dataset) -> AlignedJudge``);
- :class:`AlignedJudge`: the aligned judge, a :class:`~memalign_nb.judges.Judge`, with
  ``add_feedback``, ``forget`` and ``save``;
- :func:`load_judge`: a saved judge directory back as an :class:`AlignedJudge`;
- :class:`Calibration`: the heuristic engine's blend chosen per dimension by leave-one-out
  on the training feedback (``aligned.calibration_``; see :mod:`memalign_nb.align.calibration`).

chromadb and LangChain providers are imported only when memories are built or opened.
"""

from __future__ import annotations

from memalign_nb.align.aligned_judge import AlignedJudge, Recall
from memalign_nb.align.blend import Blend, BlendWeights, Vote
from memalign_nb.align.calibration import Calibration, CandidateScore
from memalign_nb.align.learning import FeedbackUpdate, ForgetResult
from memalign_nb.align.memalign import ENGINES, EPISODIC_POLICIES, MemAlign
from memalign_nb.align.persistence import FORMAT_VERSION, load_judge

__all__ = [
    "ENGINES",
    "EPISODIC_POLICIES",
    "FORMAT_VERSION",
    "AlignedJudge",
    "Blend",
    "BlendWeights",
    "Calibration",
    "CandidateScore",
    "FeedbackUpdate",
    "ForgetResult",
    "MemAlign",
    "Recall",
    "Vote",
    "load_judge",
]
