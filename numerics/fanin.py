"""Fan-in reduction (Section 6): wide AND/OR gates become balanced trees of gates of fan-in <= k.

Section 6 assumes every vertex has in-degree O(1) "since both the AND and OR logical gates can be
decomposed into a boolean circuit with binary-tree like structure". ``reduce_fanin`` does exactly
that for every gate wider than ``k``: AND, OR and XOR are associative, so a gate over N parents
becomes a balanced k-ary tree of the same gate (depth ceil(log_k N)); the negated kinds NAND, NOR,
XNOR keep their meaning by using the plain kind inside the tree and negating only at the root.
A gate's kind is read from its ``kind`` field when that matches its table, else recognised from the
table itself; a wide gate that is none of these six functions is refused (no O(1)-fan-in tree is
implied by Section 6 for an arbitrary wide table).

``equivalent`` checks a reduced circuit against the original by simulation: on all 2^d inputs when
d is small, on seeded uniform samples otherwise.
"""

from __future__ import annotations

import itertools

import numpy as np

from numerics.circuits import Circuit, Gate, all_inputs, named_table

_TREE_KINDS = ("AND", "OR", "XOR", "NAND", "NOR", "XNOR")
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
    n = circuit.n_inputs
    new_pos = list(range(n))
    gates: list[Gate] = []
    for g, gate in enumerate(circuit.gates):
        parents = [new_pos[p] for p in gate.parents]
        if gate.fanin <= k:
            gates.append(Gate(tuple(parents), gate.table, gate.name, gate.kind))
        else:
            kind = gate_kind(gate)
            if not kind:
                raise ValueError(f"gate {g} ({gate.name or 'unnamed'}) has fan-in {gate.fanin} > {k} and is not "
                                 f"AND/OR/XOR or a negation of one; Section 6 gives no tree for it")
            _tree(parents, kind, _INNER.get(kind, kind), k, gate.name or f"g{g}", n, gates)
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
