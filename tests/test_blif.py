"""numerics.blif: covers, constants, continuations, order, LUTs, errors; round trips BENCH <-> AIGER <-> BLIF.

Every reader result is checked by evaluation against an independent reference: the cover semantics written
out directly (``cover_value``), or the netlist the text was written from (equal on all inputs when small, on
seeded vectors when large).
"""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numerics.blif import TABLE_MAX, parse_blif, write_blif
from numerics.circuit_io import (
    CircuitFormatError,
    Netlist,
    _assemble,
    parse_aiger,
    parse_bench,
    read,
    write,
    write_aag,
    write_aig,
    write_bench,
)
from numerics.circuits import (
    GATE_KINDS,
    Circuit,
    Gate,
    all_inputs,
    evaluate_gates,
    evaluate_packed,
    kind_of,
    named_table,
    pack,
    random_circuit,
)

SHARED = Path(__file__).parents[1] / ".." / "shared" / "data" / "circuits"


def cover_value(cubes: list[str], bit: str, bits: list[int]) -> int:
    """The reference: 1 on the on-set's cubes (bit 1) or 0 on the off-set's (bit 0)."""
    hit = any(all(c == "-" or int(c) == b for c, b in zip(cube, bits, strict=True)) for cube in cubes)
    return int(hit) if bit == "1" else int(not hit)


def outputs_of(net: Netlist, x: np.ndarray) -> dict[str, list[int]]:
    return {k: v.tolist() for k, v in net.evaluate_named(x).items()}


def test_on_set_off_set_dont_cares_constants_continuation_and_any_order():
    text = """# blocks out of order, a continued line, both cover kinds, constants
.model demo
.inputs a b \\
  c
.outputs y z one zero w
.names t c y
1- 1
-1 1
.names a b t
10 1
01 1
.names a b c z
1-0 0
-11 0
.names one
1
.names zero
.names a c w
11 1
.end
"""
    net = parse_blif(text, "demo.blif")
    assert net.input_names == ("a", "b", "c") and net.output_names == ("y", "z", "one", "zero", "w")
    x = all_inputs(3)
    got = outputs_of(net, x)
    for row, (a, b, c) in enumerate(x.tolist()):
        t = a ^ b
        assert got["y"][row] == cover_value(["1-", "-1"], "1", [t, c])
        assert got["z"][row] == cover_value(["1-0", "-11"], "0", [a, b, c])
        assert (got["one"][row], got["zero"][row], got["w"][row]) == (1, 0, a & c)
    assert dict(net.constants) == {"one": 1, "zero": 0} and dict(net.outputs)["one"] is None


def test_constants_propagate_into_the_gates_that_read_them():
    net = parse_blif(".model m\n.inputs a b\n.outputs y q\n.names k\n1\n.names a k y\n11 1\n"
                     ".names k b q\n1- 0\n.end\n")
    assert [g.name for g in net.gates] == ["y"] and net.gates[0].fanin == 1  # AND(a, 1) = a
    assert dict(net.constants) == {"q": 0}  # the off-set covers every input: constant 0
    assert outputs_of(net, all_inputs(2)) == {"y": [0, 1, 0, 1], "q": [0, 0, 0, 0]}


def test_lut6_is_one_gate_and_a_wider_cover_a_sum_of_products():
    names = " ".join(f"x{i}" for i in range(8))
    lut = ".model m\n.inputs " + names + "\n.outputs y w\n.names x0 x1 x2 x3 x4 x5 y\n1-0-1- 1\n0----1 1\n"
    wide = ".names " + names + " w\n1-0-1-11 1\n0----1-0 1\n-------- 0\n"
    with pytest.raises(CircuitFormatError, match=r"m\.blif:10: cover of w mixes on-set"):
        parse_blif(lut + wide + ".end\n", "m.blif")
    wide = ".names " + names + " w\n1-0-1-11 1\n0----1-0 1\n"
    net = parse_blif(lut + wide + ".end\n", "m.blif")
    y = next(g for g in net.gates if g.name == "y")
    assert y.fanin == TABLE_MAX == 6 and kind_of(y.table) == ""
    assert max(g.fanin for g in net.gates if g.name != "y") <= 8 and any("~c" in g.name for g in net.gates)
    x = all_inputs(8)
    got = outputs_of(net, x)
    for row, bits in enumerate(x.tolist()):
        assert got["y"][row] == cover_value(["1-0-1-", "0----1"], "1", bits[:6])
        assert got["w"][row] == cover_value(["1-0-1-11", "0----1-0"], "1", bits)


def test_latch_is_cut_like_a_dff_and_round_trips():
    text = ".model cnt\n.inputs en\n.outputs q\n.latch nxt q re clk 0\n.names en q nxt\n01 1\n10 1\n.end\n"
    net = parse_blif(text)
    assert net.input_names == ("en", "q") and net.latches == (("q", "nxt", 2),)
    assert outputs_of(net, all_inputs(2)) == {"q": [0, 0, 1, 1], "q:q": [0, 1, 1, 0]}
    for back in (parse_blif(write_blif(net)), parse_bench(write_bench(net)), parse_aiger(write_aig(net))):
        assert outputs_of(back, all_inputs(2)) == outputs_of(net, all_inputs(2))


BLIF_ERRORS = [
    (".model m\n.inputs a\n.outputs y\n.names a y\n1 1 1\n", r"^f\.blif:5: expected a cover line"),
    (".model m\n.inputs a\n.outputs y\n.names a y\n11 1\n", r"^f\.blif:5: cube '11' must have 1 characters"),
    (".model m\n.inputs a\n.outputs y\n.names a y\n1 1\n0 0\n", r"^f\.blif:6: cover of y mixes"),
    (".model m\n.inputs a\n.outputs y\n.names a b y\n11 1\n", r"^f\.blif:4: signal 'b' is used but never"),
    (".model m\n.inputs a\n.outputs z\n.names a y\n1 1\n", r"^f\.blif:3: signal 'z' is used but never"),
    (".model m\n.inputs a\n.outputs y\n.names a y\n1 1\n.names a y\n0 1\n", r"^f\.blif:6: signal 'y' defined twice"),
    (".model m\n.inputs a\n.outputs y\n.names a z y\n11 1\n.names y z\n1 1\n", r"^f\.blif: cycle through signals"),
    (".model m\n.inputs a\n.outputs y\n.subckt add a=a y=y\n", r"^f\.blif:4: hierarchical BLIF"),
    (".model m\n.inputs a\n.outputs y\n.frobnicate\n", r"^f\.blif:4: unknown BLIF command"),
    (".model m\n1 1\n", r"^f\.blif:2: cover line '1 1' outside a \.names block"),
    (".model m\n.outputs y\n.names y\n1\n", r"^f\.blif: empty circuit: no \.inputs"),
    (".model m\n.inputs a\n.names a y\n1 1\n", r"^f\.blif: empty circuit: no \.outputs"),
    (".model m\n.inputs a\n.outputs y\n.names y\n2\n", r"^f\.blif:5: a constant \.names takes one line"),
    (".model m\n.inputs a\n.outputs y\n.latch a\n", r"^f\.blif:4: expected '\.latch input output"),
]


@pytest.mark.parametrize(("text", "message"), BLIF_ERRORS)
def test_blif_errors_are_one_line_with_file_and_line(text, message):
    with pytest.raises(CircuitFormatError, match=message) as info:
        parse_blif(text, "f.blif")
    assert "\n" not in str(info.value)


def test_read_and_write_dispatch_by_suffix(tmp_path):
    net = parse_blif(".model m\n.inputs a b\n.outputs y\n.names a b y\n10 1\n.end\n")
    for suffix in (".bench", ".aag", ".aig", ".blif"):
        write(net, tmp_path / f"m{suffix}")
        assert outputs_of(read(tmp_path / f"m{suffix}"), all_inputs(2)) == {"y": [0, 1, 0, 0]}
    with pytest.raises(ValueError, match="unknown circuit format"):
        write(net, tmp_path / "m.txt")


# ----------------------------------------------------------------------------- random netlists, round trips


@st.composite
def netlists(draw: st.DrawFn) -> Netlist:
    """A random netlist: any tables of fan-in 1..4 (named kinds or not), outputs that are inputs, constants,
    outputs reached twice, flip-flops."""
    n_pi = draw(st.integers(1, 5))
    n_latch = draw(st.integers(0, 2))
    n = n_pi + n_latch
    names = [f"i{k}" for k in range(n_pi)] + [f"q{k}" for k in range(n_latch)]
    nodes = []
    for g in range(draw(st.integers(1, 25))):
        fanin = draw(st.integers(1, min(4, n + g)))
        parents = draw(st.lists(st.integers(0, n + g - 1), min_size=fanin, max_size=fanin, unique=True))
        if draw(st.booleans()):
            kind = draw(st.sampled_from(GATE_KINDS if fanin == 1 else GATE_KINDS[:6]))
            table = named_table(kind, fanin)
        else:
            table = tuple(draw(st.lists(st.integers(0, 1), min_size=1 << fanin, max_size=1 << fanin)))
            kind = kind_of(table)
        if len(set(table)) == 1:
            table, kind = named_table("XOR", fanin), "XOR"
        nodes.append((f"g{g}", parents, table, kind))
    size = n + len(nodes)
    picks = draw(st.lists(st.integers(0, size - 1), min_size=1, max_size=6))
    outputs = [(f"o{k}", p) for k, p in enumerate(picks)]  # repeats: an output reached twice
    constants = {}
    if draw(st.booleans()):
        outputs.append(("k1", None))
        constants["k1"] = draw(st.integers(0, 1))
    latches = [(names[n_pi + k], f"d{k}", draw(st.integers(0, size - 1))) for k in range(n_latch)]
    # outputs are named apart from their signals (writers add buffers); gates keep their names
    return _assemble(names, nodes, outputs, latches, constants, "<random>", "rnd")


def inputs_for(net: Netlist, seed: int = 0) -> np.ndarray:
    if net.n_inputs <= 10:
        return all_inputs(net.n_inputs)
    return np.random.default_rng(seed).integers(0, 2, size=(512, net.n_inputs), dtype=np.uint8)


def formats(net: Netlist) -> dict[str, Netlist]:
    return {"bench": parse_bench(write_bench(net)), "aag": parse_aiger(write_aag(net)),
            "aig": parse_aiger(write_aig(net)), "blif": parse_blif(write_blif(net))}


@settings(max_examples=60, deadline=None)
@given(netlists())
def test_every_format_round_trips_a_random_netlist(net):
    x = inputs_for(net)
    want = outputs_of(net, x)
    for fmt, back in formats(net).items():
        assert back.input_names == net.input_names, fmt
        assert outputs_of(back, x) == want, fmt
        for fmt2, again in formats(back).items():  # and from every format into every other
            assert outputs_of(again, x) == want, (fmt, fmt2)


def test_large_netlist_round_trips_on_seeded_vectors():
    c = random_circuit(40, 3000, seed=5)
    nodes = [(g.name, list(g.parents), g.table, g.kind) for g in c.gates]
    net = _assemble([f"x{i}" for i in range(40)], nodes, [("y", 40 + 2999), ("m", 40 + 1500)], [], {}, "<big>", "big")
    x = inputs_for(net, seed=3)
    want = outputs_of(net, x)
    for fmt, back in formats(net).items():
        assert outputs_of(back, x) == want, fmt


@given(st.integers(1, 8), st.integers(1, 60), st.integers(0, 2**32 - 1), st.integers(1, 200))
def test_packed_evaluation_matches_evaluate_gates(d, gates, seed, batch):
    c = random_circuit(max(d, 2), gates, seed)
    x = np.random.default_rng(seed).integers(0, 2, size=(batch, c.n_inputs), dtype=np.uint8)
    assert evaluate_packed(c.n_inputs, c.gates, pack(x), batch) == pack(evaluate_gates(c.n_inputs, c.gates, x))


def test_reprs_are_short():
    net = parse_blif(".model m\n.inputs a b\n.outputs y\n.names a b y\n11 1\n.end\n", "m.blif")
    assert repr(net) == "Netlist('m', inputs=2, outputs=1, latches=0, gates=1, max_fanin=2)"
    c = Circuit(2, (Gate((0, 1), named_table("AND", 2), "y", "AND"),), name="and")
    assert repr(c) == "Circuit('and', d=2, gates=1, T=2, max_fanin=2)"


@pytest.mark.skipif(not SHARED.exists(), reason="shared/data/circuits is not beside the checkout")
def test_shared_epfl_blif_equals_its_aiger():
    for stem in ("priority", "i2c"):
        a, b = read(SHARED / "epfl" / f"{stem}.aig"), read(SHARED / "epfl" / f"{stem}.blif")
        x = inputs_for(a, seed=1)
        assert a.input_names == b.input_names and outputs_of(a, x) == outputs_of(b, x)
    lut, aig = read(SHARED / "epfl" / "priority_lut6.blif"), read(SHARED / "epfl" / "priority.aig")
    x = inputs_for(aig, seed=2)  # same function, other signal names: compare by position
    assert np.array_equal(lut.evaluate(x), aig.evaluate(x))
