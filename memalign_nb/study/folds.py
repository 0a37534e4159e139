"""Cross-validation folds by case, seeded, stratified where the data allow it."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence

import numpy as np

from memalign_nb.errors import MemAlignError

logger = logging.getLogger(__name__)


def case_folds(
    case_ids: Sequence[str],
    n_folds: int = 4,
    *,
    strata: Sequence[str] | None = None,
    seed: int = 0,
) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """Split cases into ``n_folds`` (train, held-out) pairs.

    Every case is held out exactly once. With ``strata`` (one label per case, such as the
    task type) the folds are stratified by scikit-learn's ``StratifiedKFold`` when every
    stratum has at least ``n_folds`` cases; otherwise plain shuffled ``KFold`` is used and
    the fallback is logged.

    Raises
    ------
    MemAlignError
        When there are fewer cases than folds, or fewer than 2 folds.
    """
    from sklearn.model_selection import KFold, StratifiedKFold

    ids = np.array(list(case_ids))
    if n_folds < 2 or len(ids) < n_folds:
        raise MemAlignError(f"cannot make {n_folds} folds from {len(ids)} cases")
    splitter: KFold | StratifiedKFold = KFold(n_folds, shuffle=True, random_state=seed)
    labels = None
    if strata is not None:
        counts = Counter(strata)
        if min(counts.values()) >= n_folds and len(counts) > 1:
            splitter = StratifiedKFold(n_folds, shuffle=True, random_state=seed)
            labels = np.array(list(strata))
        else:
            logger.info("strata too small for %d folds (%s); using KFold", n_folds, counts)
    splits = splitter.split(ids, labels) if labels is not None else splitter.split(ids)
    return [(tuple(map(str, ids[train])), tuple(map(str, ids[test]))) for train, test in splits]
