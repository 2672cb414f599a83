"""Boolean circuits as sub-task decompositions (Section 6; App. B eq. 13-15 for parity).

A ``Circuit`` lists its nodes in topological order. Positions ``0 .. n_inputs-1`` are the primary
inputs x_1..x_d (paper positions 1..d, so paper position = array position + 1); position
``n_inputs + g`` is gate ``g``. Every gate reads earlier positions only (``parents``) and holds its
truth table: ``table[k]`` is the gate's output when parent ``j`` carries bit ``(k >> j) & 1``
(the first parent is the least significant bit).

As a sequence (Section 3): z = (x, values of gates 0..G-2) has length T = d + G - 1, and the
targets y_t, t = d..T, are the values v of gates 0..G-1 written as y = 2 v - 1 in {-1, +1}
(footnote 1); the last gate is the final answer.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

# The one list of named gate kinds (BENCH names, AIGER/BLIF writers, fan-in reduction, generators, tests).
WIDE_KINDS: tuple[str, ...] = ("AND", "OR", "XOR", "NAND", "NOR", "XNOR")  # any fan-in >= 1; associative (or negated)
UNARY_KINDS: tuple[str, ...] = ("NOT", "BUF")  # fan-in 1
GATE_KINDS: tuple[str, ...] = WIDE_KINDS + UNARY_KINDS
ALIASES: dict[str, str] = {"BUFF": "BUF"}  # spellings read as a kind (ISCAS writes BUFF)

_BASE = {"AND": lambda ones, n: ones == n, "OR": lambda ones, n: ones > 0, "XOR": lambda ones, n: ones % 2 == 1}
_NEGATED = {"NAND": "AND", "NOR": "OR", "XNOR": "XOR"}


def named_table(kind: str, fanin: int) -> tuple[int, ...]:
    """Truth table of AND/OR/XOR/NAND/NOR/XNOR of any fan-in >= 1, or NOT/BUF(F) of fan-in 1."""
    return _named_table(ALIASES.get(kind.upper(), kind.upper()), fanin)


@functools.cache
def _named_table(kind: str, fanin: int) -> tuple[int, ...]:
    if kind in UNARY_KINDS:
        if fanin != 1:
            raise ValueError(f"{kind} takes exactly one input, got {fanin}")
        return (1, 0) if kind == "NOT" else (0, 1)
    base = _NEGATED.get(kind, kind)
    if base not in _BASE:
        raise ValueError(f"unknown gate {kind!r}")
    if fanin < 1:
        raise ValueError(f"{kind} needs at least one input")
    flip = int(kind in _NEGATED)
    return tuple(int(_BASE[base](bin(k).count("1"), fanin)) ^ flip for k in range(1 << fanin))


def cofactor(table: Sequence[int], j: int, value: int) -> tuple[int, ...]:
    """The table with its input j fixed to ``value`` (one input fewer; the other inputs keep their order)."""
    n = len(table).bit_length() - 1
    low = (1 << j) - 1
    return tuple(table[((k >> j) << (j + 1)) | (value << j) | (k & low)] for k in range(1 << (n - 1)))


def support(parents: Sequence[int], table: Sequence[int]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(parents, table) without the inputs the table does not depend on."""
    ps, tb = list(parents), tuple(table)
    for j in range(len(ps) - 1, -1, -1):
        lo = cofactor(tb, j, 0)
        if lo == cofactor(tb, j, 1):
            tb = lo
            del ps[j]
    return tuple(ps), tb


# Truth tables of the named 2-input gates, in the bit order above (index = a + 2 b).
GATE_TABLES: dict[str, tuple[int, ...]] = {k: named_table(k, 2) for k in WIDE_KINDS}


def kind_of(table: tuple[int, ...]) -> str:
    """The named kind (``GATE_KINDS``) whose truth table of this fan-in is ``table``, or "" when none is."""
    fanin = len(table).bit_length() - 1
    if fanin < 1 or len(table) != 1 << fanin:
        return ""
    kinds = UNARY_KINDS if fanin == 1 else WIDE_KINDS
    return next((k for k in kinds if named_table(k, fanin) == tuple(table)), "")


@functools.lru_cache(maxsize=4096)
def _binary(table: tuple[int, ...]) -> bool:
    return all(v in (0, 1) for v in table)


@dataclass(frozen=True)
class Gate:
    """One node of a circuit: its parents' positions and its truth table."""

    parents: tuple[int, ...]
    table: tuple[int, ...]
    name: str = ""
    kind: str = ""

    def __post_init__(self) -> None:
        if len(self.table) != 1 << len(self.parents):
            raise ValueError(f"gate {self.name!r}: table has {len(self.table)} rows, "
                             f"needs 2^{len(self.parents)}")
        if not _binary(self.table):
            raise ValueError(f"gate {self.name!r}: table entries must be 0 or 1")

    @property
    def fanin(self) -> int:
        return len(self.parents)


@dataclass(frozen=True, repr=False)
class Circuit:
    """Gates in topological order over ``n_inputs`` primary inputs (see the module docstring)."""

    n_inputs: int
    gates: tuple[Gate, ...]
    input_names: tuple[str, ...] = field(default=())
    name: str = ""

    def __post_init__(self) -> None:
        if self.n_inputs < 1:
            raise ValueError("a circuit needs at least one input")
        if not self.gates:
            raise ValueError("a circuit needs at least one gate")
        if self.input_names and len(self.input_names) != self.n_inputs:
            raise ValueError("input_names must name every input")
        for g, gate in enumerate(self.gates):
            pos = self.n_inputs + g
            if gate.parents and not (0 <= min(gate.parents) and max(gate.parents) < pos):
                raise ValueError(f"gate {g} ({gate.name!r}) reads a position that is not earlier than {pos}")

    def __repr__(self) -> str:
        return (f"Circuit({self.name!r}, d={self.n_inputs}, gates={len(self.gates)}, T={self.T}, "
                f"max_fanin={self.max_fanin})")

    @property
    def d(self) -> int:
        """Number of primary inputs (the paper's d)."""
        return self.n_inputs

    @property
    def T(self) -> int:
        """Sequence length d + len(S): every gate but the last is an intermediate label (eq. 13)."""
        return self.n_inputs + len(self.gates) - 1

    @property
    def size(self) -> int:
        return self.n_inputs + len(self.gates)

    @property
    def max_fanin(self) -> int:
        return max(g.fanin for g in self.gates)

    def depth(self) -> int:
        """Longest path from an input to the last gate, in gates."""
        level = [0] * self.size
        for g, gate in enumerate(self.gates):
            level[self.n_inputs + g] = 1 + max(level[p] for p in gate.parents)
        return level[-1]

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        """Values of every position on a batch of inputs.

        Args:
            x: ``(batch, d)`` array of 0/1.
        Returns:
            ``(batch, d + G)`` uint8 array: inputs then gate values.
        """
        return evaluate_gates(self.n_inputs, self.gates, x)


def evaluate_gates(n_inputs: int, gates: Sequence[Gate], x: np.ndarray) -> np.ndarray:
    """Values of every position of gates in topological order over ``n_inputs`` inputs.

    Args:
        x: ``(batch, n_inputs)`` array of 0/1.
    Returns:
        ``(batch, n_inputs + len(gates))`` uint8 array: inputs then gate values.
    """
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[1] != n_inputs:
        raise ValueError(f"x must have shape (batch, {n_inputs}), got {x.shape}")
    values = np.zeros((x.shape[0], n_inputs + len(gates)), dtype=np.uint8)
    values[:, :n_inputs] = x
    for g, gate in enumerate(gates):
        index = np.zeros(x.shape[0], dtype=np.int64)
        for j, p in enumerate(gate.parents):
            index |= values[:, p].astype(np.int64) << j
        values[:, n_inputs + g] = np.asarray(gate.table, dtype=np.uint8)[index]
    return values


def pack(x: np.ndarray) -> list[int]:
    """Columns of a ``(batch, n)`` 0/1 array as n Python ints: bit b of column j is ``x[b, j]``."""
    x = np.asarray(x, dtype=np.uint8)
    if x.ndim != 2:
        raise ValueError(f"x must be a (batch, n) array, got shape {x.shape}")
    packed = np.packbits(x.T, axis=1, bitorder="little")
    return [int.from_bytes(row.tobytes(), "little") for row in packed]


@functools.lru_cache(maxsize=4096)
def _minterms(table: tuple[int, ...]) -> tuple[bool, tuple[int, ...]]:
    """(use the on-set, its minterms) or (False, the off-set's minterms), whichever list is shorter."""
    ones = tuple(k for k, v in enumerate(table) if v)
    zeros = tuple(k for k, v in enumerate(table) if not v)
    return (True, ones) if len(ones) <= len(zeros) else (False, zeros)


def evaluate_packed(n_inputs: int, gates: Sequence[Gate], columns: Sequence[int], batch: int) -> list[int]:
    """Values of every position as bit-parallel ints (``pack``): the same as ``evaluate_gates``, 64 inputs
    per machine word, for long netlists and many samples. Parents are read by position as given (no
    order check: a gate that reads a later position sees 0 there, as ``evaluate_gates`` does)."""
    if len(columns) != n_inputs:
        raise ValueError(f"need {n_inputs} input columns, got {len(columns)}")
    full = (1 << batch) - 1
    values = list(columns) + [0] * len(gates)
    for g, gate in enumerate(gates):
        vals = [values[p] for p in gate.parents]
        on, terms = _minterms(gate.table)
        acc = 0
        for k in terms:
            term = full
            for j, v in enumerate(vals):
                term &= v if (k >> j) & 1 else ~v
            acc |= term
        values[n_inputs + g] = acc if on else full & ~acc
    return values


def random_circuit(d: int, gates: int, seed: int) -> Circuit:
    """A random fan-in-2 circuit: each gate reads two distinct earlier positions, a random named table."""
    rng = np.random.default_rng(seed)
    kinds = WIDE_KINDS
    out = []
    for g in range(gates):
        parents = tuple(int(p) for p in rng.choice(d + g, size=2, replace=False))
        out.append(Gate(parents, named_table(kinds[int(rng.integers(len(kinds)))], 2), name=f"g{g}"))
    return Circuit(d, tuple(out), name=f"random(d={d}, gates={gates}, seed={seed})")


def all_inputs(d: int) -> np.ndarray:
    """All 2^d inputs as a ``(2^d, d)`` uint8 array; row k holds the bits of k, x_1 least significant."""
    if not 0 <= d <= 24:
        raise ValueError(f"enumerating 2^{d} inputs is not supported (d <= 24)")
    k = np.arange(1 << d, dtype=np.int64)[:, None]
    return ((k >> np.arange(d)) & 1).astype(np.uint8)


def random_subset(d: int, seed: int, k: int | None = None) -> tuple[int, ...]:
    """A sorted subset of ``k`` (default d/2) distinct 0-based indices of [d], drawn from ``seed``."""
    k = d // 2 if k is None else k
    if not 1 <= k <= d:
        raise ValueError(f"subset size {k} must be in 1..{d}")
    rng = np.random.default_rng(seed)
    return tuple(sorted(int(i) for i in rng.choice(d, size=k, replace=False)))


def paper_tree_supported(d: int) -> bool:
    """App. B builds a full binary tree with d/4 leaves: d/4 must be a power of two (d = 4, 8, 16, ...)."""
    return d >= 4 and d % 4 == 0 and (d // 4) & (d // 4 - 1) == 0


def parity_tree(d: int, subset: Sequence[int]) -> Circuit:
    """The sub-task decomposition of subset parity (Section 5, App. B eq. 13-15).

    Level 0 pairs adjacent subset bits (x_{i_1} x_{i_2}), (x_{i_3} x_{i_4}), ...; each next level
    pairs adjacent nodes of the level below; the gates are emitted level by level, leaves first
    (the "inverse BFS" order of App. B).

    Labels follow eq. 14 and footnote 1: a node's label is y = (-1)^(parity of its bits) and its
    token is z = (1 + y) / 2 = 1 - parity. So every gate is XNOR of its two parents' tokens, and
    the root's value is 1 - (subset parity), i.e. y_T = (-1)^(sum_j x_{i_j}) as in Section 5.

    For |subset| = d/2 with d/4 a power of two this is exactly App. B's tree. Other sizes are a
    documented generalisation: a level with an odd number of nodes carries its last node up
    unchanged, so every gate still has exactly two parents and there are |subset| - 1 gates
    (T = d + |subset| - 2, which is eq. 13's 3d/2 - 2 whenever |subset| = d/2). A carried raw input
    bit is its own parity rather than a token, so a gate joining it to a token is XOR.
    """
    subset = tuple(int(i) for i in subset)
    if len(subset) < 2:
        raise ValueError(f"a parity tree needs a subset of at least 2 bits, got {len(subset)}")
    if len(set(subset)) != len(subset) or not all(0 <= i < d for i in subset):
        raise ValueError(f"subset must hold distinct indices in 0..{d - 1}, got {subset}")
    if list(subset) != sorted(subset):
        raise ValueError("subset must be sorted ascending (i_1 < i_2 < ...)")
    gates: list[Gate] = []
    level = list(subset)
    while len(level) > 1:
        nxt = []
        for a, b in zip(level[0::2], level[1::2], strict=False):
            # Tokens are 1 - parity; a carried raw input bit is its own parity, so a gate with
            # exactly one raw-bit parent is XOR, every other gate XNOR.
            kind = "XOR" if (a < d) != (b < d) else "XNOR"
            gates.append(Gate((a, b), GATE_TABLES[kind], name=f"g{len(gates)}", kind=kind))
            nxt.append(d + len(gates) - 1)
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    names = tuple(f"x{i + 1}" for i in range(d))
    return Circuit(d, tuple(gates), names, name=f"parity(d={d}, subset={[i + 1 for i in subset]})")
