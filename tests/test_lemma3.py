"""Lemma 3 (App. B eq. 22): real nodes, closed-form constants vs enumeration vs per-gate sympy interpolation."""

import json
import subprocess
import sys
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy
from hypothesis import example, given, settings
from hypothesis import strategies as st

from verify import lemma3
from verify.cli import guarded

FANINS = range(1, lemma3.MAX_FANIN + 1)


def gates(fanin: int) -> st.SearchStrategy[tuple[int, ...]]:
    n = 1 << fanin
    return st.lists(st.integers(0, 1), min_size=n, max_size=n).map(tuple)


def square(e: sympy.Expr) -> sympy.Expr:
    return sympy.nsimplify(sympy.expand(e**2))


@pytest.mark.parametrize("fanin", FANINS)
def test_nodes_against_a_float_recomputation_and_scaled_alpha(fanin):
    w = np.concatenate([[2.0**i, 0.0] for i in range(fanin)]) * np.sqrt(3 / (4**fanin - 1))
    assert np.linalg.norm(w) == pytest.approx(1.0, rel=1e-14)
    scale = sympy.sqrt(sympy.Rational(3, 4**fanin - 1))
    for k, node in enumerate(lemma3.nodes(fanin)):
        bits = [(k >> j) & 1 for j in range(fanin)]
        e = np.concatenate([np.eye(2)[b] for b in bits])
        assert float(node) == pytest.approx(w @ e / np.linalg.norm(w), rel=1e-13, abs=1e-15)
        a = sum(2**i for i, b in enumerate(bits) if b == 0)  # alpha, z_{i+1} carrying weight 2^i
        assert sympy.simplify(node - scale * a) == 0
    assert lemma3.constants(fanin).w_norm == 1


@pytest.mark.parametrize("fanin", FANINS)
def test_degree_and_distinct_nodes(fanin):
    c = lemma3.constants(fanin)
    assert c.nodes_distinct and c.n_nodes == 2**fanin
    assert c.degree == 2**fanin - 1 and c.printed_degree == 2**fanin
    assert lemma3.basis_is_identity(fanin)


# fan-in 4 for one label set only (pm1 = 2 * 01 - 1 is tested on its own)
ENUMERATED = [(n, lab) for n in range(1, lemma3.ENUMERATE_MAX) for lab in lemma3.LABELS]
ENUMERATED += [(lemma3.ENUMERATE_MAX, "pm1")]


@pytest.mark.parametrize(("fanin", "labels"), ENUMERATED)
def test_closed_form_equals_explicit_enumeration(fanin, labels):
    closed = lemma3.constants(fanin, labels)
    enum = lemma3.enumerate_gates(fanin, labels)
    assert enum.gates == 2 ** (2**fanin) and enum.all_hit
    assert enum.max_abs_coefficient == closed.max_abs_coefficient
    assert enum.attaining_index == closed.attaining_index
    # per index too: closed-form column maxima against the enumerated ones
    b = lemma3.real_basis(fanin)
    for i, m in enumerate(enum.max_abs):
        assert sympy.simplify(closed.max_abs_by_index[i] - sympy.Rational(m.numerator, m.denominator)
                              * b.inverse_power(i)) == 0


@pytest.mark.parametrize("labels", lemma3.LABELS)
@pytest.mark.parametrize("fanin", FANINS)
def test_attaining_gate_attains_the_maximum(fanin, labels):
    c = lemma3.constants(fanin, labels)
    value, index = lemma3.gate_max_abs_coefficient(c.attaining_gate, labels)
    assert square(value - c.max_abs_coefficient) == 0 and index == c.attaining_index
    assert c.max_abs_coefficient_float == pytest.approx(float(c.max_abs_coefficient), rel=1e-15)


def _slow_psi(table, labels):
    """Slow reference: one sympy.interpolate through the real nodes."""
    xs = lemma3.nodes(len(table).bit_length() - 1)
    points = list(zip(xs, lemma3.label_values(table, labels), strict=True))
    return sympy.Poly(sympy.interpolate(points, lemma3.x), lemma3.x)


@settings(max_examples=15)
@given(st.integers(1, 3).flatmap(gates), st.sampled_from(lemma3.LABELS))
@example((0, 1, 1, 0), "pm1")
def test_psi_for_gate_matches_sympy_interpolate_small(table, labels):
    assert sympy.expand(lemma3.psi_for_gate(table, labels).as_expr() - _slow_psi(table, labels).as_expr()) == 0


@settings(max_examples=1)
@given(gates(4))
@example(tuple(bin(k).count("1") % 2 for k in range(32)))  # fan-in 5 parity, always
def test_psi_for_gate_matches_sympy_interpolate_fanin_4_5(table):
    fanin = len(table).bit_length() - 1
    psi = lemma3.psi_for_gate(table, "pm1")
    assert sympy.expand(psi.as_expr() - _slow_psi(table, "pm1").as_expr()) == 0
    value, _ = lemma3.gate_max_abs_coefficient(table)
    assert square(value) <= square(lemma3.constants(fanin).max_abs_coefficient)


@settings(max_examples=1)
@given(gates(6))
def test_psi_for_gate_fanin_6_hits_every_node_by_direct_substitution(table):
    psi = lemma3.psi_for_gate(table, "pm1").as_expr()
    for node, y in zip(lemma3.nodes(6), lemma3.label_values(table, "pm1"), strict=True):
        assert sympy.expand(psi.subs(lemma3.x, node)) == y


@settings(max_examples=30)
@given(st.sampled_from([5, 6]).flatmap(gates), st.sampled_from(lemma3.LABELS))
def test_random_gates_never_exceed_the_closed_form_maximum(table, labels):
    fanin = len(table).bit_length() - 1
    value, _ = lemma3.gate_max_abs_coefficient(table, labels)
    assert square(value) <= square(lemma3.constants(fanin, labels).max_abs_coefficient)


@settings(max_examples=20)
@given(st.integers(1, 6).flatmap(gates))
def test_pm1_is_two_times_01_minus_one(table):
    pm = lemma3.rational_coefficients(table, "pm1")
    zo = lemma3.rational_coefficients(table, "01")
    assert pm == [2 * zo[0] - 1, *(2 * c for c in zo[1:])]


@given(st.fractions(-50, 50, max_denominator=20), st.fractions(-50, 50, max_denominator=20),
       st.fractions(0, 30, max_denominator=20))
@example(Fraction(1), Fraction(-1), Fraction(1))
@example(Fraction(-3), Fraction(0), Fraction(0))
def test_sign_in_quadratic_field_matches_high_precision(even, odd, q):
    with mpmath.workdps(60):
        value = mpmath.mpf(even.numerator) / even.denominator + \
            mpmath.mpf(odd.numerator) / odd.denominator * mpmath.sqrt(mpmath.mpf(q.numerator) / q.denominator)
    expected = 0 if even * even == odd * odd * q and (even == 0 or (even > 0) != (odd > 0)) else int(mpmath.sign(value))
    assert lemma3._sign_in_field(even, odd, q) == expected


def test_printed_construction_at_real_nodes():
    assert lemma3.printed_psi_at_real_nodes(1) == (4, 4, 4)  # N = 1: the scale is 1
    total, exact, signs = lemma3.printed_psi_at_real_nodes(2)
    assert total == 16 and 2 <= exact < 16 and exact <= signs  # the two constant gates always hit


def test_bad_inputs_raise():
    for bad in (0, 7, 2.5, True, "3"):
        with pytest.raises(ValueError, match="fan-in"):
            lemma3.constants(bad)
    with pytest.raises(ValueError, match="labels"):
        lemma3.constants(2, "+-")
    with pytest.raises(ValueError, match="rows"):
        lemma3.psi_for_gate((0, 1, 1))
    with pytest.raises(ValueError, match="0 or 1"):
        lemma3.psi_for_gate((0, 2))
    with pytest.raises(ValueError, match="enumeration"):
        lemma3.enumerate_gates(5)


@pytest.mark.parametrize("fanin", FANINS)
def test_basis_violations_zero_for_real_nodes_and_positive_for_alpha_nodes(fanin):
    assert lemma3.basis_violations(lemma3.real_basis(fanin), fanin) == 0
    printed = lemma3.basis_violations(lemma3.printed_basis(fanin), fanin)
    assert (printed == 0) == (fanin == 1)  # N = 1: the scale sqrt(3/(4^N-1)) is 1


@pytest.mark.parametrize("fanin", range(1, 4))
def test_sign_of_psi_meets_eq6_labels_only_with_pm1_labels(fanin):
    pm1, zo = lemma3.enumerate_gates(fanin, "pm1"), lemma3.enumerate_gates(fanin, "01")
    assert pm1.sign_right == pm1.gates == 2 ** (2**fanin)
    assert zo.sign_right == 1  # only the constant-1 gate: sign(0) = 0 is no label of eq. 6


def test_finding_comparisons_at_small_fanins():
    config = lemma3.Config(fanin=(1, 2, 3), enumerate_upto=3, random_gates=4)
    (finding,) = lemma3.check(config)
    by = {(c.quantity, c.params.get("N"), c.params.get("labels")): c for c in finding.comparisons}
    assert by["|w|", 3, None].measured_exact == "1" and by["|w|", 3, None].holds
    node = by["<w/|w|, e> at z = 0...0", 2, None]
    assert node.role == "printed" and node.measured_exact == "3*sqrt(5)/5" and node.reference_exact == "3"
    assert by["<w/|w|, e> at z = 0...0", 1, None].holds  # N = 1: alpha itself
    assert by["degree of psi, max over gates", 3, None].measured == 7 and by["degree of psi, max over gates", 3,
                                                                              None].reference == 8
    printed = by["gates whose eq. 22 through the nodes alpha hits every real inner product", 2, None]
    assert printed.reference == 16 and 2 <= printed.measured < 16
    assert all(c.holds for c in finding.comparisons if c.role in {"check", "corrected"})
    assert finding.conclusion_survives
    assert {c.role for c in finding.comparisons if not c.holds} == {"printed"}


def test_controls_flip():
    (finding,) = lemma3.check(lemma3.Config(fanin=(1, 2, 3), random_gates=0))
    for control in lemma3.controls([finding]):
        assert control.flipped(finding.verdict)
        failed = [c for c in control.finding.comparisons if c.role in {"check", "corrected"} and not c.holds]
        assert failed
    planted = lemma3.controls([finding])[0].finding
    assert any(c.measured > 0 for c in planted.comparisons if c.quantity.startswith("(k, j) with Lagrange basis"))


@pytest.mark.parametrize("argv", [["--fanin", "0"], ["--fanin", "7"], ["--fanin", "2.5"], ["--fanin", "x"],
                                  ["--labels", "bits"], ["--enumerate-upto", "5"], ["--seed", "nan"]])
def test_cli_bad_input_one_line_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        guarded(lemma3.main, argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in err[0]


def test_cli_json_and_subprocess():
    proc = subprocess.run([sys.executable, "-m", "verify.lemma3", "--fanin", "2", "--json"],
                          capture_output=True, text=True, check=True)
    rows = json.loads(proc.stdout)
    assert [r["id"] for r in rows] == ["L3"]
    assert {c["params"]["N"] for c in rows[0]["comparisons"]} == {2}
    bad = subprocess.run([sys.executable, "-m", "verify.lemma3", "--fanin", "9"], capture_output=True, text=True)
    assert bad.returncode == 2 and "allowed: 1..6" in bad.stderr and "Traceback" not in bad.stderr
