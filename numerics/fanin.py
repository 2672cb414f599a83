"""Fan-in reduction (Section 6): wide AND/OR gates become balanced trees of gates of fan-in <= k.

Section 6 assumes every vertex has in-degree O(1) "since both the AND and OR logical gates can be
decomposed into a boolean circuit with binary-tree like structure". ``reduce_fanin`` does exactly
that for every gate wider than ``k``: AND, OR and XOR are associative, so a gate over N parents
becomes a balanced k-ary tree of the same gate (depth ceil(log_k N)); the negated kinds NAND, NOR,
XNOR keep their meaning by using the plain kind inside the tree and negating only at the root.
A gate's kind is read from its ``kind`` field when that matches its table, else recognised from the
table itself. Any other wide table (a LUT of a FPGA mapping, an AIGER AND with inverted inputs is narrow
already) is decomposed by Shannon expansion on its last input, f = x ? f1 : f0, recursively: with k >= 3
each step is one 3-input multiplexer gate, with k = 2 the two 2-input gates (x AND f1), (NOT x AND f0)
and their OR; a cofactor that is constant folds into a 2-input gate, inputs a cofactor does not depend on
are dropped. Inner gates are named ``<gate>~s<i>``. That is Section 6's "any circuit of AND/OR gates"
made explicit for a gate given by its table.

``equivalent`` checks a reduced circuit against the original by simulation: on all 2^d inputs when
d is small, on seeded uniform samples otherwise.
"""

from __future__ import annotations

import itertools

import numpy as np

from numerics.circuits import WIDE_KINDS, Circuit, Gate, all_inputs, cofactor, kind_of, named_table, support

_TREE_KINDS = WIDE_KINDS
_INNER = {"NAND": "AND", "NOR": "OR", "XNOR": "XOR"}


def gate_kind(gate: Gate) -> str:
    """The associative kind of a gate (AND/OR/XOR or a negation), or "" when its table is none of them."""
    kind = gate.kind.upper()
    if kind in _TREE_KINDS and named_table(kind, gate.fanin) == gate.table:
        return kind
    return next((k for k in _TREE_KINDS if named_table(k, gate.fanin) == gate.table), "") if gate.fanin else ""


def reduce_fanin(circuit: Circuit, k: int = 2) -> Circuit:
    """The same function with every gate of fan-in > k replaced by a balanced tree (see module docstring).

    New inner gates are named ``<gate name>~<i>`` and placed right before the gate they feed; the
    root keeps the original name, so the last gate is still the final answer.
    """
    if k < 2:
        raise ValueError(f"fan-in bound k must be >= 2, got {k}")
    if circuit.max_fanin <= k:
        return circuit
    n = circuit.n_inputs
    new_pos = list(range(n))
    gates: list[Gate] = []
    for g, gate in enumerate(circuit.gates):
        parents = [new_pos[p] for p in gate.parents]
        if gate.fanin <= k:
            gates.append(Gate(tuple(parents), gate.table, gate.name, gate.kind))
        else:
            kind = gate_kind(gate)
            if kind:
                _tree(parents, kind, _INNER.get(kind, kind), k, gate.name or f"g{g}", n, gates)
            else:
                _shannon(parents, gate.table, k, gate.name or f"g{g}", n, gates)
        new_pos.append(n + len(gates) - 1)
    return Circuit(n, tuple(gates), circuit.input_names, circuit.name)


def _tree(parents: list[int], root_kind: str, inner_kind: str, k: int, name: str, n: int, gates: list[Gate]) -> None:
    """Append a balanced k-ary tree over ``parents`` whose root (appended last) is ``root_kind``."""
    counter = [0]

    def build(leaves: list[int], root: bool) -> int:
        if len(leaves) == 1:
            return leaves[0]
        width = min(k, len(leaves))
        cuts = [len(leaves) * j // width for j in range(width + 1)]
        children = [build(leaves[a:b], False) for a, b in itertools.pairwise(cuts)]
        kind = root_kind if root else inner_kind
        label = name if root else f"{name}~{counter[0]}"
        counter[0] += not root
        gates.append(Gate(tuple(children), named_table(kind, width), label, kind))
        return n + len(gates) - 1

    build(parents, True)


_MUX = tuple((k >> 2) & 1 if k & 1 else (k >> 1) & 1 for k in range(8))  # (x, a0, a1) -> a1 if x else a0


def _shannon(parents: list[int], table: tuple[int, ...], k: int, name: str, n: int, gates: list[Gate]) -> None:
    """Append gates of fan-in <= k computing ``table`` over ``parents``; the last one is named ``name``."""
    counter = [0]

    def emit(ps: tuple[int, ...], tb: tuple[int, ...], root: bool) -> int:
        label = name if root else f"{name}~s{counter[0]}"
        counter[0] += not root
        gates.append(Gate(ps, tb, label, kind_of(tb)))
        return n + len(gates) - 1

    def build(ps: tuple[int, ...], tb: tuple[int, ...], root: bool) -> int | tuple[str, int]:
        ps, tb = support(ps, tb)
        if len(set(tb)) == 1:
            if root:
                raise ValueError(f"gate {name!r} is the constant {tb[0]}: no gate computes it")
            return ("const", tb[0])
        if not root and tb == (0, 1):  # the cofactor is one of the parents itself
            return ps[0]
        if len(ps) <= k:
            return emit(ps, tb, root)
        x, rest = ps[-1], ps[:-1]
        a0 = build(rest, cofactor(tb, len(ps) - 1, 0), False)
        a1 = build(rest, cofactor(tb, len(ps) - 1, 1), False)
        if isinstance(a0, tuple) and isinstance(a1, tuple):  # f = x or NOT x (f0 != f1 as x is in the support)
            return emit((x,), (a0[1], a1[1]), root)
        if isinstance(a0, tuple):  # x ? a1 : c0 over (x, a1)
            return emit((x, a1), tuple(((j >> 1) & 1) if j & 1 else a0[1] for j in range(4)), root)
        if isinstance(a1, tuple):  # x ? c1 : a0 over (x, a0)
            return emit((x, a0), tuple(a1[1] if j & 1 else (j >> 1) & 1 for j in range(4)), root)
        if k >= 3:
            return emit((x, a0, a1), _MUX, root)
        t1 = emit((x, a1), named_table("AND", 2), False)
        t0 = emit((x, a0), (0, 0, 1, 0), False)  # NOT x AND a0
        return emit((t0, t1), named_table("OR", 2), root)

    build(tuple(parents), tuple(table), True)


def equivalent(a: Circuit, b: Circuit, samples: int = 4096, seed: int = 0) -> bool:
    """Whether two circuits over the same inputs compute the same final answer (last gate).

    Exhaustive over all 2^d inputs when 2^d <= ``samples``, else ``samples`` seeded uniform inputs.
    """
    if a.n_inputs != b.n_inputs:
        raise ValueError(f"circuits read {a.n_inputs} and {b.n_inputs} inputs")
    d = a.n_inputs
    if d <= 24 and 1 << d <= samples:
        x = all_inputs(d)
    else:
        x = np.random.default_rng(seed).integers(0, 2, size=(samples, d), dtype=np.uint8)
    return bool(np.array_equal(a.evaluate(x)[:, -1], b.evaluate(x)[:, -1]))
