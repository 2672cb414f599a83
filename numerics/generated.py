"""Circuits the toolkit builds itself, as BENCH text: ripple-carry adders and random DAGs.

They exercise the readers (``numerics.circuit_io``) and give Section 6 concrete polynomial-size
circuits beyond parity: an n-bit ripple-carry adder has 5n - 3 gates of fan-in 2 and depth about
2n, so its top carry is a sub-task sequence of length linear in d = 2n.
"""

from __future__ import annotations

import numpy as np

from numerics.circuits import GATE_KINDS as KINDS
from numerics.circuits import UNARY_KINDS


def ripple_carry_adder(bits: int) -> str:
    """BENCH text of an n-bit ripple-carry adder.

    Inputs a0, b0, a1, b1, ... (least significant first); outputs s0..s{n-1} and the carry out
    ``c{n}``. Bit 0 is a half adder (s0 = XOR, c1 = AND); bit i > 0 a full adder:
    p = XOR(a, b), s = XOR(p, c), c' = OR(AND(a, b), AND(p, c)).
    """
    if bits < 1:
        raise ValueError(f"an adder needs at least 1 bit, got {bits}")
    lines = [f"# {bits}-bit ripple-carry adder"]
    lines += [f"INPUT({v}{i})" for i in range(bits) for v in "ab"]
    lines += [f"OUTPUT(s{i})" for i in range(bits)] + [f"OUTPUT(c{bits})"]
    lines += ["s0 = XOR(a0, b0)", "c1 = AND(a0, b0)"]
    for i in range(1, bits):
        lines += [
            f"p{i} = XOR(a{i}, b{i})",
            f"s{i} = XOR(p{i}, c{i})",
            f"g{i} = AND(a{i}, b{i})",
            f"t{i} = AND(p{i}, c{i})",
            f"c{i + 1} = OR(g{i}, t{i})",
        ]
    return "\n".join(lines) + "\n"


def random_dag(n_inputs: int, n_gates: int, seed: int, max_fanin: int = 4, shuffle: bool = True) -> str:
    """BENCH text of a random DAG: gate k draws its kind from ``KINDS`` and its parents uniformly from
    the inputs and gates 0..k-1 (distinct, fan-in 1..max_fanin; 1 for NOT/BUF). Outputs are the
    last gate, then every gate nobody reads. With ``shuffle`` the gate lines come in random order,
    so most signals are used before the line that defines them.
    """
    if n_inputs < 1 or n_gates < 1 or max_fanin < 1:
        raise ValueError("a random DAG needs n_inputs, n_gates, max_fanin >= 1")
    rng = np.random.default_rng(seed)
    names = [f"x{i}" for i in range(n_inputs)]
    gate_lines, read = [], set()
    for k in range(n_gates):
        kind = KINDS[rng.integers(len(KINDS))]
        pool = len(names)
        fanin = 1 if kind in UNARY_KINDS else int(rng.integers(1, min(max_fanin, pool) + 1))
        parents = [names[int(p)] for p in rng.choice(pool, size=fanin, replace=False)]
        read.update(parents)
        names.append(f"n{k}")
        gate_lines.append(f"n{k} = {kind}({', '.join(parents)})")
    if shuffle:
        gate_lines = [gate_lines[int(i)] for i in rng.permutation(n_gates)]
    outputs = [f"n{n_gates - 1}"] + [f"n{k}" for k in range(n_gates - 1) if f"n{k}" not in read]
    lines = [f"INPUT({x})" for x in names[:n_inputs]] + [f"OUTPUT({o})" for o in outputs]
    return "\n".join(lines + gate_lines) + "\n"
