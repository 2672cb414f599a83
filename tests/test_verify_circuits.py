"""verify.circuits (S6): comparisons on the shipped circuits, every cone shape, controls, the suite and its CLI."""

import json
import math
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from numerics.circuit_io import parse_bench, read
from numerics.circuits import all_inputs
from numerics.cone import cone, cone_sizes, cones, largest_output, sequence, sequence_all
from numerics.generated import random_dag, ripple_carry_adder
from verify import circuits, cli, lemma3

REPO = Path(__file__).parents[1]
SHARED = REPO / ".." / "shared" / "data" / "circuits"
SMALL = circuits.Config(samples=256)


def comparisons(finding, quantity, role="check"):
    return [c for c in finding.comparisons if c.quantity == quantity and c.role == role]


@pytest.fixture(scope="module")
def shipped():
    return circuits.check(circuits.Config.quick())


def test_c17_numbers_are_the_reduced_cones(shipped):
    c17 = next(f for f in shipped if f.part == "c17.bench")
    assert {c.params["output"] for c in c17.comparisons} == {"G22gat", "G23gat"}
    for out in ("G22gat", "G23gat"):
        seq = sequence(read(circuits.DATA / "c17.bench"), out)
        printed = next(c for c in comparisons(c17, "sequence length T", "printed") if c.params["output"] == out)
        corrected = next(c for c in comparisons(c17, "sequence length T", "corrected") if c.params["output"] == out)
        assert (printed.measured, printed.reference) == (seq.after.T, seq.after.V) == (7, 8)
        assert not printed.holds and corrected.holds and corrected.reference == seq.after.V - 1
    bound = comparisons(c17, "max |a_i| over the labels' psi")[0]
    assert sympy.simplify(sympy.sympify(bound.measured_exact)
                          - lemma3.gate_max_abs_coefficient((1, 1, 1, 0), "pm1")[0]) == 0
    assert bound.holds and bound.measured <= bound.reference


def test_every_shipped_check_comparison_holds_and_controls_flip(shipped):
    for finding in shipped:
        assert finding.not_checked is None
        assert all(c.holds for c in finding.comparisons if c.role in {"check", "corrected"})
    paper = {f.part: f.verdict for f in shipped}
    for control in circuits.controls(shipped):
        assert control.flipped(paper[control.part]), control.planted
        assert any(not c.holds for c in control.finding.comparisons if c.role == "check")


def test_planted_label_reading_a_later_position_is_counted():
    seq = sequence(read(circuits.DATA / "c17.bench"), "G22gat")
    gates = seq.circuit.gates
    assert circuits.label_violations(seq.circuit.d, gates, 2) == 0
    planted = (gates[-1], *gates[:-1])
    assert circuits.label_violations(seq.circuit.d, planted, 2) >= 1
    assert circuits.label_violations(seq.circuit.d, gates, 1) == len(gates)  # every label reads 2 > 1 positions


def test_lemma3_table_check_agrees_with_psi_coefficients():
    seq = sequence(parse_bench(random_dag(5, 40, seed=11, max_fanin=3)), max_fanin=3)
    for t in circuits.lemma3_checks(seq.circuit.gates):
        coeffs = lemma3.psi_for_gate(t.table, "pm1").all_coeffs()
        direct = max((sympy.Abs(a) for a in coeffs), key=lambda v: float(v))
        assert sympy.simplify(direct - t.max_abs) == 0
        assert t.misses == 0 and t.degree == len(coeffs) - 1 and float(t.max_abs) <= float(t.bound)
        assert t.count == sum(g.table == t.table for g in seq.circuit.gates)


def test_phi_pair_end_to_end_exact_up_to_6_inputs_then_a_lower_bound():
    seq = sequence(parse_bench(ripple_carry_adder(2)), "c2")
    x = all_inputs(4)
    answer = tuple(int(v) for v in seq.original.evaluate(x)[:, -1])
    want = (x[:, 2] & x[:, 3]) | ((x[:, 2] ^ x[:, 3]) & x[:, 0] & x[:, 1])
    assert answer == tuple(int(v) for v in want)
    pair = circuits.phi_pair(seq.circuit, circuits.lemma3_checks(seq.circuit.gates), answer)
    assert pair.without_exact and pair.with_sub < pair.without
    seq4 = sequence(parse_bench(ripple_carry_adder(4)), "c4")
    pair4 = circuits.phi_pair(seq4.circuit, circuits.lemma3_checks(seq4.circuit.gates), None)
    assert not pair4.without_exact and pair4.without == pytest.approx((16 + 3 * 8) * math.log10(8))


# ----------------------------------------------------------------------------- every cone shape

SHAPES = {
    # an output that is a primary input, one reached twice, and a fan-in-1 chain
    "shapes.bench": "INPUT(a)\nINPUT(b)\nOUTPUT(a)\nOUTPUT(n2)\nOUTPUT(y)\nn1 = NOT(b)\nn2 = BUF(n1)\n"
                    "y = AND(a, n2)\n",
    # AIGER: constant outputs 0 and 1, an inverted input, the same literal twice
    "const.aag": "aag 2 2 0 5 0\n2\n4\n0\n1\n3\n4\n4\n",
    # BLIF: a constant block, an output reached twice, a latch
    "latch.blif": ".model l\n.inputs a b\n.outputs k y y2\n.latch y q 0\n.names k\n1\n.names a q y\n11 1\n"
                  ".names y y2\n1 1\n.end\n",
}


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_every_cone_shape_is_a_row_never_a_traceback(name, tmp_path):
    (tmp_path / name).write_text(SHAPES[name])
    data = circuits.measure_file(tmp_path / name, SMALL, every_output=True)
    assert not data.error
    finding = circuits.circuit_finding(data)
    assert all(c.holds for c in finding.comparisons if c.role in {"check", "corrected"})
    rows = circuits.suite_rows(data)
    assert len(rows) == len(read(tmp_path / name).output_names)
    for r, row in zip(data.results, rows, strict=True):
        if r.reason:  # a constant output: one clear line, no comparison
            assert "constant" in row["note"] and row["verdict"] == "not yet checked"
        else:
            assert row["T"] == r.after.d + r.after.gates - 1


def test_fan_in_1_cone_and_input_output_give_numbers_and_phi(tmp_path):
    (tmp_path / "s.bench").write_text(SHAPES["shapes.bench"])
    data = circuits.measure_file(tmp_path / "s.bench", SMALL, every_output=True)
    by = {r.output: r for r in data.results}
    assert (by["a"].after.d, by["a"].after.gates, by["a"].after.T) == (1, 1, 1)  # one BUF label
    assert by["n2"].after.max_fanin == 1 and by["n2"].after.T == 2 and by["n2"].final_mismatches == 0
    assert by["a"].phi.with_sub is not None and math.isfinite(by["a"].phi.with_sub) and not by["a"].phi.note
    assert by["a"].phi.without_exact and by["n2"].phi.without_exact  # d = 1: the answer as one 1-input gate
    assert by["y"].label_violations == 0 and by["y"].exhaustive == 4 and by["y"].exhaustive_mismatches == 0


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 12), st.integers(1, 120), st.integers(0, 2**32 - 1), st.integers(1, 5))
def test_cones_from_one_sweep_equal_one_cone_at_a_time(n_inputs, n_gates, seed, max_fanin):
    net = parse_bench(random_dag(n_inputs, n_gates, seed=seed, max_fanin=max_fanin))
    many = cones(net)
    sizes = cone_sizes(net)
    for name in net.output_names:
        one = cone(net, name)
        assert many[name].input_names == one.input_names and many[name].gates == one.gates
        assert sizes[name] == (one.d, len(one.gates))
    best = largest_output(net)
    assert sizes[best][1] == max(g for _, g in sizes.values())
    assert sequence(net).output == best
    assert set(sequence_all(net, 2)) == set(net.output_names)


def test_constant_outputs_have_a_reason_in_cones(tmp_path):
    (tmp_path / "c.aag").write_text(SHAPES["const.aag"])
    net = read(tmp_path / "c.aag")
    got = cones(net)
    assert isinstance(got["o0"], str) and "constant 0" in got["o0"] and isinstance(got["o2"], str) is False
    with pytest.raises(ValueError, match="constant 1"):
        cone(net, "o1")


# ----------------------------------------------------------------------------- suite and CLI

BAD_FILES = {
    "cycle.bench": "INPUT(a)\nOUTPUT(y)\ny = AND(a, z)\nz = OR(y, a)\n",
    "bad.blif": ".model m\n.inputs a\n.outputs y\n.names a y\n11 1\n",
    "bad.aag": "aag 1 1 0 1 0\n3\n2\n",
}


def test_suite_one_row_per_circuit_and_unreadable_files_say_why(tmp_path):
    for name, text in BAD_FILES.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "add.bench").write_text(ripple_carry_adder(3))
    frame = circuits.run_suite([tmp_path, tmp_path / "missing.bench"], SMALL, progress=False)
    assert list(frame.circuit) == ["bad.aag", "bad.blif", "cycle.bench", "add.bench", "missing.bench"]
    notes = dict(zip(frame.circuit, frame.note, strict=True))
    assert "bad.aag:2:" in notes["bad.aag"] and "bad.blif:5:" in notes["bad.blif"]
    assert "cycle through signals" in notes["cycle.bench"] and "cannot read" in notes["missing.bench"]
    add = frame[frame.circuit == "add.bench"].iloc[0]
    assert add.output == "c3 (largest cone)" and (add.d, add["T"]) == (6, 6 + (5 * 3 - 3 - 3) - 1)  # no s0..s2
    every = circuits.run_suite([tmp_path / "sub"], circuits.Config(samples=256, all_outputs=True), progress=False)
    assert list(every.output) == ["s0", "s1", "s2", "c3"]


def test_cli_suite_writes_tables_into_new_folders(tmp_path):
    (tmp_path / "add.bench").write_text(ripple_carry_adder(2))
    (tmp_path / "cycle.bench").write_text(BAD_FILES["cycle.bench"])
    outs = [tmp_path / "new" / f"t.{ext}" for ext in ("md", "csv", "json")]
    args = [str(tmp_path), "--samples", "256", "--all-outputs"] + [a for p in outs for a in ("--out", str(p))]
    run = subprocess.run([sys.executable, "-m", "verify.circuits", *args], cwd=REPO, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0 and "Traceback" not in run.stderr
    rows = json.loads(outs[2].read_text())
    assert [r["output"] for r in rows] == ["s0", "s1", "c2", ""] and "cycle" in rows[-1]["note"]
    assert outs[0].read_text().startswith("| circuit |") and outs[1].read_text().startswith("circuit,")


@pytest.mark.parametrize("flags", [["--max-fanin", "9"], ["--samples", "nan"], ["--seed", "-1"],
                                   ["--exhaustive-d", "inf"], ["--out", "x.html"]])
def test_cli_bad_flags_are_one_line_exit_2(flags, tmp_path, capsys):
    (tmp_path / "a.bench").write_text(ripple_carry_adder(2))
    try:
        code = cli.guarded(circuits.main, [str(tmp_path / "a.bench"), *flags])
    except SystemExit as exc:
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip().count("\n") <= 2  # argparse: usage line + error line


def test_cli_one_file_with_show_prints_the_sequence(tmp_path, capsys):
    (tmp_path / "add.bench").write_text(ripple_carry_adder(3))
    assert circuits.main([str(tmp_path / "add.bench"), "--output", "c3", "--show", "3", "--samples", "256"]) == 0
    out = capsys.readouterr().out
    assert "output c3" in out and "y_6 = AND(z1, z2)  # c1" in out


def test_training_comparison_runs_and_reports_both_modes():
    circuit = sequence(parse_bench(ripple_carry_adder(1)), "c1").circuit  # c1 = AND(a0, b0): one gate
    frame = circuits.compare_training(circuit, circuits.TrainSetup(m=16, steps=40, eta=0.5, batch=4, every=10,
                                                                   seeds=(0, 1)))
    assert set(frame.supervision) == {"subtasks", "end_to_end"} and set(frame.seed) == {0, 1}
    finding = circuits.training_finding(frame, "adder1:c1")
    learned = finding.details["subtasks"]
    check = next(c for c in finding.comparisons if c.role == "check")
    assert check.measured == sum(s is not None for s in learned) and check.reference == 2


@pytest.mark.skipif(not SHARED.exists(), reason="shared/data/circuits is not beside the checkout")
def test_every_shared_netlist_is_read_and_analysed():
    for path in circuits.expand([SHARED]):
        data = circuits.measure_file(path, SMALL)
        assert not data.error, data.error
        assert all(c.holds for c in circuits.circuit_finding(data).comparisons if c.role == "check"), path.name


def test_exact_rational_hit_check_matches_sympy_substitution():
    table = (0, 1, 1, 0, 1, 0, 0, 1)
    basis = lemma3.real_basis(3)
    r = lemma3.rational_coefficients(table, "pm1", basis)
    psi = lemma3.psi_for_gate(table, "pm1")
    for node, u, v in zip(lemma3.nodes(3), basis.u, table, strict=True):
        rational = sum((ri * u**i for i, ri in enumerate(r)), Fraction(0))
        assert rational == 2 * v - 1
        assert sympy.simplify(psi.as_expr().subs(lemma3.x, node) - (2 * v - 1)) == 0
