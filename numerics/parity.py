"""The parity class H of Section 5: every subset of [d] of size d/2 (App. F: |H| = C(d, d/2)).

One source for the class, used by Lemma 13 (``verify.lemma13``, as bitmasks), Lemma 14 (``verify.lemma14``,
as index tuples) and Lemma 15. Pure functions of d; lexicographic order of the 0-based index tuples.
"""

from __future__ import annotations

import itertools

import numpy as np


def parity_class(d: int) -> list[tuple[int, ...]]:
    """Every subset of size d/2 of the 0-based indices 0..d-1, in lexicographic order.

    Raises ``ValueError`` unless d is even and >= 2.
    """
    if isinstance(d, bool) or not isinstance(d, int | np.integer) or d < 2 or d % 2:
        raise ValueError(f"the parity class needs an even d >= 2, got {d!r}")
    return list(itertools.combinations(range(int(d)), int(d) // 2))


def parity_masks(d: int) -> np.ndarray:
    """The same subsets as bitmasks (bit j set iff index j, i.e. x_{j+1}, is in the subset), int64."""
    return np.array([sum(1 << i for i in s) for s in parity_class(d)], dtype=np.int64)
