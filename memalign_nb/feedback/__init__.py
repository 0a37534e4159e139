"""Human grades: the :class:`Grade` record, the durable store, file formats, agreement.

>>> from memalign_nb.feedback import FeedbackStore, noise_floor
>>> store = FeedbackStore("grades.db")                   # doctest: +SKIP
>>> store.import_jsonl("feedback.jsonl")                 # doctest: +SKIP
>>> noise_floor(store.grades())["data_imputation"].mae   # doctest: +SKIP
"""

from memalign_nb.feedback.agreement import NoiseFloor, noise_floor, reference_scores
from memalign_nb.feedback.io import (
    read_grades_csv,
    read_grades_jsonl,
    write_grades_csv,
    write_grades_jsonl,
)
from memalign_nb.feedback.model import Grade
from memalign_nb.feedback.store import FeedbackStore

__all__ = [
    "FeedbackStore",
    "Grade",
    "NoiseFloor",
    "noise_floor",
    "read_grades_csv",
    "read_grades_jsonl",
    "reference_scores",
    "write_grades_csv",
    "write_grades_jsonl",
]
