"""Readers and writers of numerics.circuit_io, and the cone/sequencing of numerics.cone.

Every circuit read is checked by evaluation against an independent direct Python evaluation of its
text (``bench_eval``), on all inputs or seeded samples.
"""

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numerics.circuit_io import (
    CircuitFormatError,
    parse_aiger,
    parse_bench,
    read,
    write_aag,
    write_aig,
    write_bench,
)
from numerics.circuits import all_inputs
from numerics.cone import cone, describe, sequence
from numerics.generated import random_dag, ripple_carry_adder

C17 = Path(__file__).parents[1] / "numerics" / "data" / "c17.bench"

OPS = {
    "AND": all, "OR": any, "XOR": lambda v: sum(v) % 2 == 1,
    "NAND": lambda v: not all(v), "NOR": lambda v: not any(v), "XNOR": lambda v: sum(v) % 2 == 0,
    "NOT": lambda v: not v[0], "BUF": lambda v: v[0], "BUFF": lambda v: v[0],
}


def bench_eval(text: str, assignment: dict[str, int]) -> dict[str, int]:
    """Direct evaluation of combinational BENCH text by recursion over names (the slow reference)."""
    defs = {}
    for line in text.splitlines():
        line = line.split("#")[0].strip()
        if m := re.fullmatch(r"(\S+)\s*=\s*(\w+)\((.*)\)", line):
            defs[m.group(1)] = (m.group(2).upper(), [a.strip() for a in m.group(3).split(",")])
    memo = dict(assignment)

    def value(sig):
        if sig not in memo:
            kind, args = defs[sig]
            memo[sig] = int(bool(OPS[kind]([value(a) for a in args])))
        return memo[sig]

    for sig in defs:
        value(sig)
    return memo


def check_against_text(netlist, text, x):
    got = netlist.evaluate(x)
    for row, vals in zip(x, got, strict=True):
        ref = bench_eval(text, dict(zip(netlist.input_names, (int(b) for b in row), strict=True)))
        assert list(vals) == [ref[name] for name in netlist.output_names]


# ----------------------------------------------------------------------------- c17


def nand(a, b):
    return 1 - (a & b)


def test_c17_end_to_end():
    net = read(C17)
    assert net.input_names == ("G1gat", "G2gat", "G3gat", "G6gat", "G7gat")
    assert net.output_names == ("G22gat", "G23gat")
    assert len(net.gates) == 6 and all(g.kind == "NAND" for g in net.gates)
    x = all_inputs(5)
    got = net.evaluate(x)
    for (g1, g2, g3, g6, g7), (o22, o23) in zip(x.tolist(), got.tolist(), strict=True):
        g10, g11 = nand(g1, g3), nand(g3, g6)
        g16, g19 = nand(g2, g11), nand(g11, g7)
        assert (o22, o23) == (nand(g10, g16), nand(g16, g19))
    seq = sequence(net, "G23gat")
    assert seq.before == seq.after
    assert (seq.after.d, seq.after.gates, seq.after.V, seq.after.T, seq.after.depth) == (4, 4, 8, 7, 3)
    assert seq.circuit.input_names == ("G2gat", "G3gat", "G6gat", "G7gat")
    assert describe(seq.circuit)[-1] == "y_7 = NAND(z6, z7)  # G23gat"
    assert sequence(net).output == "G22gat"  # default: the first output


# ----------------------------------------------------------------------------- BENCH features


def test_bench_features_case_numbers_forward_use_and_input_outputs():
    text = """# comment line
    input(1)
    INPUT(b)   # trailing comment
    OUTPUT(5)
    OUTPUT(1)
    5 = nand(4, b)
    4 = Xor(1, b, 3)
    3 = buff(1)
    6 = NOT(3)
    OUTPUT(6)
    """
    net = parse_bench(text)
    assert net.output_names == ("5", "1", "6")
    assert [g.name for g in net.gates] == ["3", "4", "5", "6"]  # topologically sorted
    check_against_text(net, text, all_inputs(2))
    c = cone(net, "1")  # an output that is a primary input: one BUF gate
    assert c.d == 1 and len(c.gates) == 1 and c.gates[0].kind == "BUF"
    assert cone(net, "1", keep_all_inputs=True).d == 2


def test_dff_is_cut_into_pseudo_input_and_output():
    text = "INPUT(a)\nOUTPUT(y)\nq = DFF(d)\nd = XOR(a, q)\ny = AND(q, a)\n"
    net = parse_bench(text)
    assert net.input_names == ("a", "q") and net.latches == (("q", "d", 2),)
    assert net.output_names == ("y", "d")
    x = all_inputs(2)
    assert np.array_equal(net.evaluate(x), np.stack([x[:, 0] & x[:, 1], x[:, 0] ^ x[:, 1]], axis=1))
    again = parse_bench(write_bench(net))
    assert again.latches == net.latches and np.array_equal(again.evaluate(x), net.evaluate(x))
    aig = parse_aiger(write_aag(net))
    assert len(aig.latches) == 1 and np.array_equal(aig.evaluate(x), net.evaluate(x))


@pytest.mark.parametrize("bits", [1, 2, 3, 5])
def test_ripple_carry_adder_adds(bits):
    text = ripple_carry_adder(bits)
    net = parse_bench(text)
    assert len(net.gates) == 5 * bits - 3 and net.max_fanin == 2
    x = all_inputs(2 * bits)
    out = net.evaluate(x).astype(np.int64)
    a = (x[:, 0::2].astype(np.int64) << np.arange(bits)).sum(axis=1)
    b = (x[:, 1::2].astype(np.int64) << np.arange(bits)).sum(axis=1)
    assert np.array_equal((out << np.arange(bits + 1)).sum(axis=1), a + b)
    carry = sequence(net, f"c{bits}")
    assert carry.after.d == 2 * bits and carry.circuit.gates[-1].name == f"c{bits}"


@given(st.integers(1, 6), st.integers(1, 40), st.integers(0, 2**32 - 1), st.integers(1, 5))
def test_random_dag_reads_and_round_trips(n_inputs, n_gates, seed, max_fanin):
    text = random_dag(n_inputs, n_gates, seed, max_fanin)
    net = parse_bench(text)
    x = all_inputs(n_inputs)
    check_against_text(net, text, x)
    want = net.evaluate(x)
    assert np.array_equal(parse_bench(write_bench(net)).evaluate(x), want)
    assert np.array_equal(parse_aiger(write_aag(net)).evaluate(x), want)
    assert np.array_equal(parse_aiger(write_aig(net)).evaluate(x), want)
    for name in net.output_names:  # every cone computes its output from its own inputs
        c = cone(net, name)
        cols = [net.input_names.index(s) for s in c.input_names]
        assert np.array_equal(c.evaluate(x[:, cols])[:, -1], want[:, net.output_names.index(name)])


def test_large_random_dag_samples_against_text():
    text = random_dag(40, 3000, seed=7)
    net = parse_bench(text)
    x = np.random.default_rng(0).integers(0, 2, size=(8, 40), dtype=np.uint8)
    check_against_text(net, text, x)


# ----------------------------------------------------------------------------- AIGER

HALF_ADDER = "aag 7 2 0 2 3\n2\n4\n6\n12\n6 13 15\n12 2 4\n14 3 5\ni0 x\ni1 y\no0 s\no1 c\nc\nhalf adder\n"


def test_aag_half_adder_with_inverted_edges_out_of_order():
    net = parse_aiger(HALF_ADDER)
    assert net.input_names == ("x", "y") and net.output_names == ("s", "c")
    x = all_inputs(2)
    assert np.array_equal(net.evaluate(x), np.stack([x[:, 0] ^ x[:, 1], x[:, 0] & x[:, 1]], axis=1))
    assert len(net.gates) == 3 and net.max_fanin == 2


def test_aag_latch_constants_and_inverted_outputs():
    toggle = parse_aiger("aag 1 0 1 2 0\n2 3\n2\n3\n")
    assert toggle.input_names == ("l0",) and toggle.output_names == ("o0", "o1", "l0_next")
    assert toggle.evaluate(all_inputs(1)).tolist() == [[0, 1, 1], [1, 0, 0]]
    const = parse_aiger("aag 2 1 0 3 1\n2\n0\n1\n4\n4 2 1\n")  # AND(x, true) is x
    assert const.evaluate(all_inputs(1)).tolist() == [[0, 1, 0], [0, 1, 1]]
    assert not const.gates
    with pytest.raises(ValueError, match="constant 1"):
        cone(const, "o1")
    for data in (write_aag(const), write_aig(const)):
        assert parse_aiger(data).evaluate(all_inputs(1)).tolist() == [[0, 1, 0], [0, 1, 1]]


def test_aiger_binary_matches_ascii_on_adder(tmp_path):
    net = parse_bench(ripple_carry_adder(4))
    x = all_inputs(8)
    (tmp_path / "add.aig").write_bytes(write_aig(net))
    (tmp_path / "add.aag").write_text(write_aag(net))
    for suffix in ("aig", "aag"):
        got = read(tmp_path / f"add.{suffix}")
        assert got.output_names == net.output_names
        assert np.array_equal(got.evaluate(x), net.evaluate(x))


# ----------------------------------------------------------------------------- errors

BENCH_ERRORS = [
    ("INPUT(a)\nOUTPUT(y)\ny = AND(a\n", r"^f\.bench:3: cannot parse"),
    ("INPUT(a)\nOUTPUT(y)\ny = FOO(a, a)\n", r"^f\.bench:3: unknown gate 'FOO'"),
    ("INPUT(a)\nOUTPUT(y)\ny = AND(a, b)\n", r"^f\.bench:3: signal 'b' is used but never defined"),
    ("INPUT(a)\nOUTPUT(z)\ny = NOT(a)\n", r"^f\.bench:2: signal 'z' is used but never defined"),
    ("INPUT(a)\nOUTPUT(y)\ny = NOT(a)\ny = BUF(a)\n", r"^f\.bench:4: signal 'y' defined twice \(first at line 3\)"),
    ("INPUT(a)\nINPUT(a)\nOUTPUT(a)\n", r"^f\.bench:2: signal 'a' defined twice"),
    ("INPUT(a)\nOUTPUT(y)\ny = AND(a, z)\nz = OR(y, a)\n", r"^f\.bench: cycle through signals y -> z -> y$"),
    ("INPUT(a)\nOUTPUT(y)\ny = NOT(y)\n", r"^f\.bench: cycle through signals y -> y$"),
    ("# nothing here\n", r"^f\.bench: empty circuit: no INPUT"),
    ("INPUT(a)\nb = NOT(a)\n", r"^f\.bench: empty circuit: no OUTPUT"),
    ("INPUT(a)\nOUTPUT(y)\ny = NOT(a, a)\n", r"^f\.bench:3: NOT takes exactly one input, got 2"),
    ("INPUT(a)\nOUTPUT(y)\ny = AND()\n", r"^f\.bench:3: AND needs a comma-separated list"),
    ("INPUT(a)\nOUTPUT(a)\nOUTPUT(a)\n", r"^f\.bench:3: OUTPUT\(a\) declared twice"),
]


@pytest.mark.parametrize(("text", "message"), BENCH_ERRORS)
def test_bench_errors_are_one_line_with_file_and_line(text, message):
    with pytest.raises(CircuitFormatError, match=message) as info:
        parse_bench(text, "f.bench")
    assert "\n" not in str(info.value)


def test_long_cycle_names_every_signal_on_it():
    text = "INPUT(a)\nOUTPUT(s0)\n" + "".join(f"s{i} = AND(a, s{(i + 1) % 5})\n" for i in range(5))
    with pytest.raises(CircuitFormatError) as info:
        parse_bench(text, "f.bench")
    ring = str(info.value).split("signals ")[1].split(" -> ")
    assert ring[0] == ring[-1] and sorted(ring[:-1]) == [f"s{i}" for i in range(5)]


AIGER_ERRORS = [
    ("agg 1 1 0 1 0\n2\n2\n", r"^f\.aag:1: not an AIGER header"),
    ("aag 1 1 0 1\n2\n2\n", r"^f\.aag:1: malformed header"),
    ("aag 1 1 0 1 1\n2\n2\n4 2 2\n", r"^f\.aag:1: header says M=1 < I\+L\+A=2"),
    ("aag 2 2 0 1 0\n2\n3\n2\n", r"^f\.aag:3: 3 must be an even literal"),
    ("aag 2 2 0 1 0\n2\n2\n2\n", r"^f\.aag:3: variable 1 \(literal 2\) defined twice"),
    ("aag 3 1 0 1 1\n2\n6\n6 2 4\n", r"^f\.aag:4: literal 4 uses variable 2, which is never defined"),
    ("aag 3 1 0 1 2\n2\n6\n4 2 6\n6 2 4\n", r"^f\.aag: cycle through signals (n2 -> n3 -> n2|n3 -> n2 -> n3)$"),
    ("aag 1 1 0 1 0\n2\n", r"^f\.aag:3: expected output literal, got end of file"),
    ("aag 1 1 0 1 0\n2\n2\nx0 foo\n", r"^f\.aag:4: bad symbol line"),
    ("aag 1 1 0 1 0 1\n2\n2\n", r"^f\.aag:1: AIGER 1\.9"),
    ("aag 0 0 0 0 0\n", r"^f\.aag: empty circuit: no inputs"),
    ("aag 1 1 0 0 0\n2\n", r"^f\.aag: empty circuit: no outputs"),
    ("aag 1 1 0 1 0\n2\n4\n", r"^f\.aag:3: literal 4 exceeds M=1"),
]


@pytest.mark.parametrize(("text", "message"), AIGER_ERRORS)
def test_aiger_errors_are_one_line_with_file_and_line(text, message):
    with pytest.raises(CircuitFormatError, match=message) as info:
        parse_aiger(text, "f.aag")
    assert "\n" not in str(info.value)


def test_binary_aig_that_ends_early_and_missing_file(tmp_path):
    with pytest.raises(CircuitFormatError, match="ends early"):
        parse_aiger(b"aig 3 2 0 1 1\n6\n", "f.aig")
    with pytest.raises(CircuitFormatError, match=r"nope\.bench: cannot read"):
        read(tmp_path / "nope.bench")


def test_unknown_output_is_refused_with_the_list():
    net = parse_bench("INPUT(a)\nOUTPUT(y)\ny = NOT(a)\n")
    with pytest.raises(ValueError, match=r"no output named 'q'; outputs are: y"):
        cone(net, "q")


def test_bench_writer_writes_any_table_as_a_sum_of_minterms():
    half = parse_aiger(HALF_ADDER)  # AND, NOR, and outputs that name their gates
    assert np.array_equal(parse_bench(write_bench(half)).evaluate(all_inputs(2)), half.evaluate(all_inputs(2)))
    net = parse_aiger("aag 3 2 0 1 1\n2\n4\n6\n6 2 5\n")  # AND(x, not y): no BENCH name
    text = write_bench(net)
    assert "NOT(" in text and np.array_equal(parse_bench(text).evaluate(all_inputs(2)), net.evaluate(all_inputs(2)))


def test_topological_sort_keeps_file_order_when_already_sorted():
    text = ripple_carry_adder(3)
    net = parse_bench(text)
    defined = [ln.split(" = ")[0] for ln in text.splitlines() if " = " in ln]
    assert [g.name for g in net.gates] == defined
    for g, gate in enumerate(net.gates):
        assert all(p < net.n_inputs + g for p in gate.parents)
    assert describe(sequence(net, "c3").circuit)[0] == "y_6 = AND(z1, z2)  # c1"  # s0 is not in c3's cone


def test_gates_wider_than_a_table_are_stored_as_trees_of_the_same_function():
    names = [f"x{i}" for i in range(40)]
    text = "".join(f"INPUT({x})\n" for x in names) + "OUTPUT(y)\nOUTPUT(z)\n"
    text += f"y = NAND({', '.join(names)})\nz = XNOR({', '.join(names[:33])})\n"
    net = parse_bench(text)
    assert net.max_fanin <= 16 and {"y", "z"} <= {g.name for g in net.gates}
    x = np.random.default_rng(0).integers(0, 2, size=(256, 40), dtype=np.uint8)
    x[0], x[1] = 1, 0  # the one input where NAND is 0, and all zeros
    got = net.evaluate(x)
    assert np.array_equal(got[:, 0], 1 - x.all(axis=1)) and np.array_equal(got[:, 1], 1 - x[:, :33].sum(1) % 2)
