"""Fan-in reduction (Section 6): balanced trees of fan-in <= k computing the same function."""

import math

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from numerics.circuit_io import parse_bench
from numerics.circuits import WIDE_KINDS, Circuit, Gate, all_inputs, named_table
from numerics.cone import sequence
from numerics.fanin import equivalent, gate_kind, reduce_fanin
from numerics.generated import random_dag

KINDS = WIDE_KINDS


def wide(kind: str, n: int) -> Circuit:
    return Circuit(n, (Gate(tuple(range(n)), named_table(kind, n), "y", kind),))


@given(st.sampled_from(KINDS), st.integers(1, 10), st.integers(2, 4))
@example("NAND", 3, 2)
@example("XNOR", 8, 2)
def test_one_wide_gate_becomes_a_balanced_tree(kind, n, k):
    c = wide(kind, n)
    r = reduce_fanin(c, k)
    assert r.max_fanin <= k
    assert r.depth() == (math.ceil(math.log(n, k) - 1e-12) if n > 1 else 1)
    if k == 2:
        assert len(r.gates) == max(n - 1, 1)  # a binary tree over n leaves
    assert r.gates[-1].name == "y" and r.gates[-1].kind == kind  # the negation sits at the root only
    inner = {"NAND": "AND", "NOR": "OR", "XNOR": "XOR"}.get(kind, kind)
    assert all(g.kind == inner for g in r.gates[:-1])
    x = all_inputs(n)
    assert np.array_equal(r.evaluate(x)[:, -1], c.evaluate(x)[:, -1])


@given(st.integers(1, 8), st.integers(1, 30), st.integers(0, 2**32 - 1), st.integers(2, 3))
def test_reduced_random_circuits_are_equivalent(n_inputs, n_gates, seed, k):
    net = parse_bench(random_dag(n_inputs, n_gates, seed, max_fanin=6))
    seq = sequence(net, max_fanin=k)
    assert seq.after.max_fanin <= k and seq.before.max_fanin == seq.original.max_fanin
    assert seq.after.d == seq.before.d and seq.after.gates >= seq.before.gates
    assert equivalent(seq.original, seq.circuit)
    for g, gate in enumerate(seq.circuit.gates):  # each label reads only earlier positions (Section 6)
        assert all(p < seq.circuit.d + g for p in gate.parents)


def test_equivalent_detects_a_difference_and_samples_large_d():
    assert not equivalent(wide("AND", 3), wide("NAND", 3))
    big = wide("XOR", 14)
    assert equivalent(big, reduce_fanin(big), samples=256, seed=1)
    assert not equivalent(big, wide("XNOR", 14), samples=256, seed=1)


def test_gate_kind_reads_tables_and_other_wide_gates_are_shannon_expanded():
    assert gate_kind(Gate((0, 1, 2), named_table("NOR", 3))) == "NOR"  # no kind field: recognised from the table
    majority = Gate((0, 1, 2), tuple(int(bin(j).count("1") >= 2) for j in range(8)), "maj")
    assert gate_kind(majority) == ""
    small = Circuit(3, (majority,))
    reduced = reduce_fanin(small, 2)
    assert reduced.max_fanin <= 2 and reduced.gates[-1].name == "maj" and equivalent(small, reduced, samples=8)
    assert reduce_fanin(small, 3) == small
    with pytest.raises(ValueError, match="k must be >= 2"):
        reduce_fanin(small, 1)


@given(st.integers(3, 7), st.integers(2, 4), st.integers(0, 2**32 - 1))
def test_any_wide_table_reduces_to_an_equivalent_circuit(fanin, k, seed):
    table = tuple(int(v) for v in np.random.default_rng(seed).integers(0, 2, 1 << fanin))
    if len(set(table)) == 1:
        return
    wide_gate = Circuit(fanin, (Gate(tuple(range(fanin)), table, "y"),))
    reduced = reduce_fanin(wide_gate, k)
    assert reduced.max_fanin <= k and reduced.gates[-1].name == "y"
    assert np.array_equal(reduced.evaluate(all_inputs(fanin))[:, -1], np.array(table, dtype=np.uint8))
