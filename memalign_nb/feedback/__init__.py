"""Human grades: the record, the durable store, file formats, agreement, disagreements.

>>> from memalign_nb.feedback import FeedbackStore, noise_floor
>>> store = FeedbackStore("grades.db")                   # doctest: +SKIP
>>> store.import_jsonl("feedback.jsonl")                 # doctest: +SKIP
>>> noise_floor(store.grades())["data_imputation"].mae   # doctest: +SKIP
"""

from memalign_nb.feedback.agreement import NoiseFloor, noise_floor, reference_scores
from memalign_nb.feedback.disagreements import (
    Disagreement,
    DisagreementPattern,
    disagreement_patterns,
    disagreements,
)
from memalign_nb.feedback.io import (
    read_grades_csv,
    read_grades_jsonl,
    write_grades_csv,
    write_grades_jsonl,
)
from memalign_nb.feedback.model import (
    ADJUDICATOR_PREFIX,
    Grade,
    adjudicator_name,
    is_adjudicator,
)
from memalign_nb.feedback.store import FeedbackStore

__all__ = [
    "ADJUDICATOR_PREFIX",
    "Disagreement",
    "DisagreementPattern",
    "FeedbackStore",
    "Grade",
    "NoiseFloor",
    "adjudicator_name",
    "disagreement_patterns",
    "disagreements",
    "is_adjudicator",
    "noise_floor",
    "read_grades_csv",
    "read_grades_jsonl",
    "reference_scores",
    "write_grades_csv",
    "write_grades_jsonl",
]
