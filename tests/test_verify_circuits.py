"""verify.circuits (S6): rows on c17 and generated circuits, per-gate Lemma 3 agreement, the CLI and its errors."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import sympy

from numerics.circuit_io import parse_bench, write_aag
from numerics.circuits import all_inputs
from numerics.cone import sequence
from numerics.generated import random_dag, ripple_carry_adder
from verify import circuits, cli, lemma3

C17 = circuits.DATA / "c17.bench"
SHARED_C17 = Path(__file__).parents[1] / ".." / "shared" / "data" / "circuits" / "c17.bench"
REPO = Path(__file__).parents[1]


def test_check_on_c17_gives_the_s6_rows():
    structure, length, wide = circuits.check()
    assert (structure.id, structure.verdict) == ("S6", "holds")
    m = structure.measured
    assert (m["V"], m["T"], m["S"], m["depth"], m["max_fanin"], m["max_degree"]) == (8, 7, 4, 3, 2, 3)
    assert m["max_abs_coefficient"] == float(lemma3.gate_max_abs_coefficient((1, 1, 1, 0))[0])
    assert m["log10_phi_subtasks"] < m["log10_phi_end_to_end"]
    assert (length.verdict, length.measured, length.claimed) == ("erratum", 7, 8)
    assert wide.verdict == "holds" and wide.measured == wide.claimed == 36


@pytest.mark.skipif(not SHARED_C17.exists(), reason="shared/data/circuits is not beside the checkout")
def test_shipped_c17_is_the_shared_benchmark():
    assert C17.read_bytes() == SHARED_C17.read_bytes()


def test_wide_gates_are_reduced_and_checked(tmp_path):
    path = tmp_path / "dag.bench"
    path.write_text(random_dag(6, 60, seed=3, max_fanin=6))
    structure, _, _ = circuits.check(path, max_fanin=2)
    assert structure.verdict == "holds" and structure.measured["max_fanin"] <= 2
    assert "max fan-in 6->2" in structure.evidence or "max fan-in 5->2" in structure.evidence
    aag = tmp_path / "dag.aag"
    aag.write_text(write_aag(parse_bench(path.read_text())))
    assert circuits.check(aag)[0].verdict == "holds"


def test_gate_checks_agree_with_psi_coefficients_directly():
    seq = sequence(parse_bench(random_dag(5, 40, seed=11, max_fanin=3)), max_fanin=3)
    for c in circuits.gate_checks(seq.circuit):
        coeffs = lemma3.psi_for_gate(c.table, "pm1").all_coeffs()
        direct = max((sympy.Abs(a) for a in coeffs), key=lambda v: float(v))
        assert sympy.simplify(direct - c.max_abs) == 0, c
        assert c.hits and c.within_bound and c.degree == len(coeffs) - 1
        assert c.count == sum(g.table == c.table for g in seq.circuit.gates)


def test_answer_table_is_the_cone_function():
    net = parse_bench(ripple_carry_adder(2))
    seq = sequence(net, "c2")
    x = all_inputs(4)
    want = (x[:, 2] & x[:, 3]) | ((x[:, 2] ^ x[:, 3]) & x[:, 0] & x[:, 1])  # a1 b1 + (a1 ^ b1) a0 b0
    assert circuits.answer_table(seq.circuit) == tuple(int(v) for v in want)
    pair = circuits.phi_pair(seq.circuit, circuits.gate_checks(seq.circuit))
    assert pair.without_psi is not None and pair.without_psi.N == 4 and pair.T_with == seq.circuit.T


def test_phi_without_supervision_is_a_lower_bound_beyond_fanin_6():
    seq = sequence(parse_bench(ripple_carry_adder(4)), "c4")
    pair = circuits.phi_pair(seq.circuit, circuits.gate_checks(seq.circuit))
    assert pair.without_psi is None and pair.without == pytest.approx((16 + 3 * 8) * 0.9030899869919435)


def test_cli_prints_detail_and_json(tmp_path, capsys):
    path = tmp_path / "add.bench"
    path.write_text(ripple_carry_adder(3))
    assert circuits.main([str(path), "--output", "c3", "--show", "3"]) == 0
    out = capsys.readouterr().out
    assert "output c3" in out and "y_6 = AND(z1, z2)  # c1" in out and "holds" in out
    assert circuits.main([str(path), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in rows] == ["S6", "S6", "S6"]


BAD = {
    "malformed.bench": ("INPUT(a)\nOUTPUT(y)\ny = AND(a\n", "malformed.bench:3: cannot parse"),
    "undefined.bench": ("INPUT(a)\nOUTPUT(y)\ny = AND(a, b)\n", "undefined.bench:3: signal 'b' is used but never"),
    "twice.bench": ("INPUT(a)\nOUTPUT(y)\ny = NOT(a)\ny = NOT(a)\n", "twice.bench:4: signal 'y' defined twice"),
    "cycle.bench": ("INPUT(a)\nOUTPUT(y)\ny = AND(a, z)\nz = OR(y, a)\n", "cycle.bench: cycle through signals y -> z"),
    "empty.bench": ("# only a comment\n", "empty.bench: empty circuit"),
    "unknown.bench": ("INPUT(a)\nOUTPUT(y)\ny = MUX(a, a)\n", "unknown.bench:3: unknown gate 'MUX'"),
    "bad.aag": ("aag 1 1 0 1 0\n3\n2\n", "bad.aag:2: 3 must be an even literal"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_cli_errors_are_one_line_exit_2(name, tmp_path, capsys):
    text, message = BAD[name]
    (tmp_path / name).write_text(text)
    assert cli.guarded(circuits.main, [str(tmp_path / name)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_cli_refuses_unknown_output_and_bad_k(tmp_path, capsys):
    (tmp_path / "a.bench").write_text(ripple_carry_adder(2))
    assert cli.guarded(circuits.main, [str(tmp_path / "a.bench"), "--output", "nope"]) == 2
    assert "no output named 'nope'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        circuits.main([str(tmp_path / "a.bench"), "--max-fanin", "1"])
    assert info.value.code == 2


def test_cli_as_a_subprocess(tmp_path):
    (tmp_path / "cyc.bench").write_text(BAD["cycle.bench"][0])
    run = subprocess.run([sys.executable, "-m", "verify.circuits", str(tmp_path / "cyc.bench")], cwd=REPO,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and run.stderr.count("\n") == 1 and "cycle through signals" in run.stderr


def test_training_comparison_runs_and_reports_both_modes():
    circuit = sequence(parse_bench(ripple_carry_adder(1)), "c1").circuit  # c1 = AND(a0, b0): one gate
    frame = circuits.compare_training(circuit, circuits.TrainSetup(m=16, steps=40, eta=0.5, batch=4, every=10,
                                                                   seeds=(0, 1)))
    assert set(frame.supervision) == {"subtasks", "end_to_end"} and set(frame.seed) == {0, 1}
    row = circuits.training_row(frame, "adder1:c1")
    learned = row.measured["subtasks"]
    assert row.verdict == ("consistent" if all(s is not None for s in learned) else "inconsistent")
    assert "subtasks: zero error at step" in row.evidence and "end_to_end" in row.evidence
