"""Input sequences z and targets y from a circuit and a supervision mode (Section 3, App. B eq. 15).

Paper positions are 1-based; arrays here are 0-based: ``z[:, j]`` is z_{j+1} and ``y[:, k]`` is the
target y_{d+k} of the output f_{d+k}, for t = d..T.

- ``"subtasks"``: z = (x, every gate's value but the last), T = d + G - 1; targets are all gates.
- ``"end_to_end"``: z = x, T = d; the only target is the last gate (the final answer) at t = d.

Partial supervision (``numerics.supervision``) adds an optional loss ``mask`` over the targets.

Targets are in {-1, +1} with y = 2 v - 1 for a gate value v in {0, 1} (footnote 1). The training
input is teacher-forced (z_t = (1 + y_{t-1}) / 2, eq. 15); free-running decoding needs a model and
lives with it (``numerics.rnn.free_running``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from numerics.circuits import Circuit, all_inputs

SUPERVISION = ("subtasks", "end_to_end")


@dataclass(frozen=True)
class Sequences:
    """A batch of teacher-forced sequences.

    Attributes:
        x: ``(n, d)`` uint8 inputs.
        z: ``(n, T)`` int64 teacher-forced input sequence.
        y: ``(n, T - d + 1)`` float64 targets in {-1, +1} for positions t = d..T.
        supervision: ``"subtasks"`` or ``"end_to_end"``.
        mask: ``(T - d + 1,)`` bool, the positions the loss sees under partial supervision
            (``numerics.supervision``, mode "masked"); None (the default) means every position.
    """

    x: np.ndarray
    z: np.ndarray
    y: np.ndarray
    supervision: str
    mask: np.ndarray | None = None

    @property
    def n(self) -> int:
        return self.x.shape[0]

    @property
    def d(self) -> int:
        return self.x.shape[1]

    @property
    def T(self) -> int:
        return self.z.shape[1]

    @property
    def answer(self) -> np.ndarray:
        """The final-answer label y_T in {-1, +1}, shape ``(n,)``."""
        return self.y[:, -1]


def build(circuit: Circuit, x: np.ndarray, supervision: str, mask: np.ndarray | None = None) -> Sequences:
    """Teacher-forced sequences and targets for inputs ``x`` (``(n, d)`` 0/1).

    ``mask`` (optional, "subtasks" only): one bool per gate, the labels the loss sees (partial supervision,
    ``numerics.supervision``); the sequence keeps every gate as a token either way.
    """
    if supervision not in SUPERVISION:
        raise ValueError(f"supervision must be one of {SUPERVISION}, got {supervision!r}")
    values = circuit.evaluate(x).astype(np.int64)
    d = circuit.n_inputs
    if supervision == "subtasks":
        z = values[:, : circuit.T]
        y = 2.0 * values[:, d:] - 1.0
    else:
        z = values[:, :d]
        y = 2.0 * values[:, -1:] - 1.0
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if supervision != "subtasks" or mask.shape != (y.shape[1],) or not mask[-1]:
            raise ValueError(f"a loss mask needs supervision 'subtasks', one entry per gate ({y.shape[1]}) and "
                             "the final answer supervised")
    return Sequences(np.asarray(x, dtype=np.uint8), z, y.astype(np.float64), supervision, mask)


def sample_inputs(d: int, n: int, seed: int, distinct: bool = True) -> np.ndarray:
    """``n`` inputs drawn uniformly from {0,1}^d with ``seed``; all 2^d (in order) when n >= 2^d.

    With ``distinct`` no input repeats (needed where a repeat makes a Gram matrix singular).
    """
    if d <= 20 and n >= 1 << d:
        return all_inputs(d)
    rng = np.random.default_rng(seed)
    if not distinct:
        return rng.integers(0, 2, size=(n, d), dtype=np.uint8)
    if d <= 20:
        keys = rng.choice(1 << d, size=n, replace=False)
        return ((keys[:, None] >> np.arange(d)) & 1).astype(np.uint8)
    seen: set[bytes] = set()
    rows = []
    while len(rows) < n:
        row = rng.integers(0, 2, size=d, dtype=np.uint8)
        if row.tobytes() not in seen:
            seen.add(row.tobytes())
            rows.append(row)
    return np.stack(rows)


def split(x: np.ndarray, sizes: tuple[int, ...], seed: int) -> tuple[np.ndarray, ...]:
    """Disjoint parts of the rows of ``x`` with the given sizes (shuffled with ``seed``)."""
    if sum(sizes) > x.shape[0]:
        raise ValueError(f"parts of sizes {sizes} need {sum(sizes)} rows, have {x.shape[0]}")
    order = np.random.default_rng(seed).permutation(x.shape[0])
    parts, start = [], 0
    for size in sizes:
        parts.append(x[order[start : start + size]])
        start += size
    return tuple(parts)
