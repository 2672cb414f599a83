import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numerics.circuits import (
    GATE_TABLES,
    WIDE_KINDS,
    Circuit,
    Gate,
    all_inputs,
    kind_of,
    named_table,
    paper_tree_supported,
    parity_tree,
    random_subset,
)

PY = {"AND": all, "OR": any, "XOR": lambda b: sum(b) % 2 == 1}


@pytest.mark.parametrize("kind", WIDE_KINDS)
@pytest.mark.parametrize("fanin", [1, 2, 3, 4])
def test_named_tables_match_python(kind, fanin):
    base = PY[kind.removeprefix("N").replace("XNOR", "XOR")] if kind != "XNOR" else PY["XOR"]
    neg = kind in {"NAND", "NOR", "XNOR"}
    table = named_table(kind, fanin)
    for k, bits in enumerate(itertools.product((0, 1), repeat=fanin)):
        bits = tuple(reversed(bits))  # first parent least significant
        assert sum(b << j for j, b in enumerate(bits)) == k
        assert table[k] == int(base(bits)) ^ int(neg)


@st.composite
def circuits(draw):
    d = draw(st.integers(1, 6))
    gates = []
    for g in range(draw(st.integers(1, 8))):
        pos = d + g
        fanin = draw(st.integers(1, min(3, pos)))
        parents = tuple(draw(st.lists(st.integers(0, pos - 1), min_size=fanin, max_size=fanin, unique=True)))
        table = tuple(draw(st.lists(st.integers(0, 1), min_size=1 << fanin, max_size=1 << fanin)))
        gates.append(Gate(parents, table))
    return Circuit(d, tuple(gates))


@given(circuits())
def test_evaluate_matches_direct_python(c):
    x = all_inputs(c.d)
    got = c.evaluate(x)
    for row, vals in zip(x, got, strict=True):
        v = list(row)
        for gate in c.gates:
            k = sum(v[p] << j for j, p in enumerate(gate.parents))
            v.append(gate.table[k])
        assert list(vals) == v
    assert c.T == c.d + len(c.gates) - 1


def test_gate_rejects_later_parents_and_bad_tables():
    with pytest.raises(ValueError, match="not earlier"):
        Circuit(2, (Gate((0, 2), GATE_TABLES["AND"]),))
    with pytest.raises(ValueError, match="rows"):
        Gate((0, 1), (0, 1))


@given(st.integers(2, 40).flatmap(lambda d: st.tuples(st.just(d), st.integers(2, d), st.integers(0, 2**32 - 1))))
def test_parity_tree_root_is_subset_parity_and_gates_are_binary(args):
    d, k, seed = args
    subset = random_subset(d, seed, k)
    c = parity_tree(d, subset)
    assert len(c.gates) == k - 1 and all(g.fanin == 2 for g in c.gates)
    x = np.random.default_rng(seed).integers(0, 2, size=(64, d), dtype=np.uint8)
    root = c.evaluate(x)[:, -1]
    assert np.array_equal(root, 1 - x[:, list(subset)].sum(axis=1) % 2)


def test_paper_tree_supported_sizes():
    assert [d for d in range(1, 70) if paper_tree_supported(d)] == [4, 8, 16, 32, 64]


def test_parity_tree_rejects_bad_subsets():
    with pytest.raises(ValueError, match="at least 2"):
        parity_tree(4, (1,))
    with pytest.raises(ValueError, match="distinct"):
        parity_tree(4, (1, 1))
    with pytest.raises(ValueError, match="sorted"):
        parity_tree(4, (2, 1))


def test_kind_of_names_every_kind_and_nothing_else():
    for kind in WIDE_KINDS:
        for fanin in (2, 3):
            assert kind_of(named_table(kind, fanin)) == kind
    assert kind_of((1, 0)) == "NOT" and kind_of((0, 1)) == "BUF"
    assert kind_of((0, 0, 1, 0)) == ""  # NOT a AND b: a table, no name
    assert named_table("BUFF", 1) == named_table("BUF", 1)
