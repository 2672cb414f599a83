"""Lemma 2 (App. B eq. 16-21) and the shared exact interpolation helpers."""

import json
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from verify import lemma2
from verify.interpolation import basis_coefficients, evaluate, evaluate_many, lagrange_form, node_polynomial

z = lemma2.z


def test_inner_products_match_a_float_recomputation():
    w = np.array([1.0, 0.0, 1.0, 0.0]) / np.sqrt(2)
    for (z1, z2), exact in lemma2.inner_products().items():
        e = np.concatenate([np.eye(2)[z1], np.eye(2)[z2]])
        assert float(exact) == pytest.approx(w @ e / np.linalg.norm(w), rel=1e-15, abs=1e-15)


def test_corrected_psi_is_sympys_interpolant_and_solves_eq_8_exactly():
    psi = lemma2.corrected_psi()
    pairs = lemma2.nodes_and_values()
    assert psi == sympy.Poly(sympy.interpolate(pairs, z), z)
    assert psi.degree() == 2
    for (z1, z2), node in lemma2.inner_products().items():
        assert sympy.radsimp(psi.eval(node)) == lemma2.label(z1, z2)
    assert all(abs(float(c)) < lemma2.COEFFICIENT_BOUND for c in psi.all_coeffs())


def comparisons(finding, source=None, role=None):
    return [c for c in finding.comparisons
            if (source is None or c.source == source) and (role is None or c.role == role)]


def test_printed_lines_eq18_right_eq19_wrong_eq20_eq21_follow_the_wrong_line():
    (finding,) = lemma2.check()
    assert all(c.holds for c in comparisons(finding, "eq. 18"))
    algebra = {c.source: c.holds for c in finding.comparisons if "the algebra of this step" in c.quantity}
    assert algebra == {"eq. 19": False, "eq. 20": True, "eq. 21": True}  # the one broken step is 18 -> 19
    z2 = {c.source: (c.measured_exact, c.reference_exact) for c in finding.comparisons
          if c.quantity.endswith("as printed vs the interpolant, coefficient of z^2")}
    assert z2["eq. 21"] == ("9/2", "4") and z2["eq. 18"] == ("4", "4")
    # eq. 19's terms: the first is right, the second and third are not
    terms = [c.holds for c in comparisons(finding, "eq. 19", "printed") if "term" in c.quantity]
    assert terms == [True, False, False]


def test_printed_eq21_values_and_sign_classification():
    right, values = lemma2.classification(lemma2.PRINTED_EQ21)
    assert values[(1, 1)] == 1 and values[(0, 1)] == sympy.Rational(-1, 4) and values[(0, 0)] == 3
    assert right == 4  # sign(psi) still labels all four inputs
    wrong = lemma2.PRINTED_EQ21 + 2 * z  # a polynomial that does misclassify is caught
    assert lemma2.classification(wrong)[0] < 4


def test_finding_is_an_erratum_with_exact_corrected_values():
    (finding,) = lemma2.check()
    corrected = comparisons(finding, role="corrected")
    assert corrected and all(c.holds for c in corrected)
    assert [c.measured_exact for c in corrected if c.source == "eq. 8"] == ["1", "-1", "-1", "1"]
    bound = next(c for c in finding.comparisons if c.quantity == "max |a_i| of our psi")
    assert bound.measured_exact == "4*sqrt(2)" and bound.relation == "lt" and bound.reference == 10
    assert finding.conclusion_survives
    failed = {c.source for c in finding.comparisons if c.role != "context" and not c.holds}
    assert failed == {"eq. 19", "eq. 20", "eq. 21"}


def test_controls_flip_both_ways():
    (finding,) = lemma2.check()
    planted_ours, planted_print = lemma2.controls([finding])
    assert planted_ours.flipped(finding.verdict) and planted_print.flipped(finding.verdict)
    # the printed eq. 21 as our psi: it takes 3 at z1 = z2 = 0 where eq. 8 wants 1
    bad = [c for c in planted_ours.finding.comparisons if c.role == "corrected" and not c.holds]
    assert any(c.source == "eq. 8" and c.measured_exact == "3" for c in bad)
    assert planted_ours.finding.conclusion_survives is False
    assert all(c.holds for c in planted_print.finding.comparisons if c.role != "context")


def test_cli_in_process_and_json(capsys):
    assert lemma2.main([]) == 0
    out = capsys.readouterr().out  # the side-by-side table carries both polynomials
    assert str(lemma2.PRINTED_EQ21) in out and str(lemma2.corrected_psi().as_expr()) in out
    assert lemma2.main(["--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["id"] for row in rows] == ["L2"]
    assert all(c["holds"] for c in rows[0]["comparisons"] if c["role"] == "corrected")


def test_cli_bad_option_one_line_exit_2():
    proc = subprocess.run([sys.executable, "-m", "verify.lemma2", "--bogus"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


# ---- interpolation helpers -------------------------------------------------------------------
rationals = st.fractions(min_value=-20, max_value=20, max_denominator=12)


@given(st.lists(rationals, min_size=1, max_size=7, unique=True), st.data())
def test_basis_coefficients_agree_with_the_lagrange_form(nodes, data):
    values = data.draw(st.lists(st.integers(-3, 3), min_size=len(nodes), max_size=len(nodes)))
    rows = basis_coefficients(nodes)
    coeffs = [sum((v * rows[k][i] for k, v in enumerate(values)), Fraction(0)) for i in range(len(nodes))]
    sym_nodes = [sympy.Rational(u.numerator, u.denominator) for u in nodes]
    reference = sympy.Poly(lagrange_form(sym_nodes, [sympy.Integer(v) for v in values], z), z)
    assert sympy.Poly(sum(sympy.Rational(c.numerator, c.denominator) * z**i for i, c in enumerate(coeffs)), z) \
        == reference
    for k, u in enumerate(nodes):  # interpolation property, twice: Horner and integer evaluation
        assert evaluate(coeffs, u) == values[k]
    assert evaluate_many(coeffs, nodes) == [Fraction(v) for v in values]


@given(st.lists(rationals, min_size=0, max_size=6), rationals)
def test_node_polynomial_vanishes_exactly_at_the_nodes(nodes, u):
    p = node_polynomial(nodes)
    assert len(p) == len(nodes) + 1 and p[-1] == 1
    assert (evaluate(p, u) == 0) == (u in nodes)


def test_duplicate_nodes_are_rejected():
    with pytest.raises(ValueError, match="distinct"):
        basis_coefficients([1, 2, 1])
    with pytest.raises(ValueError, match="distinct"):
        lagrange_form([sympy.sqrt(2), 2 / sympy.sqrt(2)], [1, 2], z)
