import itertools
import math
from fractions import Fraction

import mpmath
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from verify import cli, phi

k = sympy.Symbol("k")


@pytest.mark.parametrize("n", range(1, 9))
def test_symmetric_coefficients_match_sympy_interpolate(n):
    reference = sympy.Poly(sympy.interpolate([(j, (-1) ** j) for j in range(n + 1)], k), k)
    fast = phi.symmetric_parity_coefficients(n)
    assert [sympy.Rational(c.numerator, c.denominator) for c in fast] == reference.all_coeffs()[::-1]


@given(st.integers(1, 40))
def test_symmetric_interpolant_hits_minus_one_to_the_k_with_degree_n(n):
    c = phi.symmetric_parity_coefficients(n)
    assert len(c) == n + 1 and c[-1] == Fraction((-2) ** n, math.factorial(n))
    for j in range(n + 1):
        assert sum(ci * j**i for i, ci in enumerate(c)) == (-1) ** j


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_symmetric_psi_reads_parity_through_eq6_inner_product(n):
    # eq. 6 with w = (0, 1, 0, 1, ...): <w/|w|, (e_{z_1}; ...; e_{z_N})> = (number of ones) / sqrt(N)
    w = sympy.Matrix([0, 1] * n)
    u = sympy.Symbol("u")
    coeffs = phi.symmetric_parity_coefficients(n)
    psi = sum(sympy.Rational(c.numerator, c.denominator) * (sympy.sqrt(n) * u) ** i for i, c in enumerate(coeffs))
    a2 = max(sympy.Poly(sympy.expand(psi), u).all_coeffs(), key=lambda a: abs(float(a))) ** 2
    assert sympy.expand(a2) == phi.symmetric_psi(n).max_abs_squared
    for z in itertools.product((0, 1), repeat=n):
        e = sympy.Matrix([v for b in z for v in ((1, 0) if b == 0 else (0, 1))])
        inner = (w / w.norm()).dot(e)
        assert sympy.simplify(psi.subs(u, inner)) == (-1) ** sum(z)


def test_supervised_psi_comes_from_lemma2_and_phi_is_degree_24():
    from verify.lemma2 import corrected_psi

    psi = phi.lemma2_psi()
    assert psi.N == 2 and psi.degree == corrected_psi().degree() == 2
    assert psi.max_abs_squared == 32 == max(sympy.expand(c**2) for c in corrected_psi().all_coeffs())
    assert phi.supervised_exponent() == 16 + 3 * 2 + 2


@given(st.integers(2, 300), st.integers(1, 20), st.integers(1, 30), st.fractions(Fraction(1, 10), 100),
       st.sampled_from([1, 2, sympy.E]), st.sampled_from([0, 1, 3]))
def test_phi_expression_is_eq10(t, n, deg, a2, c, kappa):
    psi = phi.Psi("x", n, deg, sympy.Rational(a2.numerator, a2.denominator))
    value = phi.phi_value(t, psi, c, kappa)
    expected = sympy.Integer(t) ** (16 + 3 * n + deg) * sympy.nsimplify(c) ** (2 * n) * sympy.Integer(deg) ** (3 * n) \
        * sympy.Rational(a2.numerator, a2.denominator) * sympy.log(t) ** kappa
    assert sympy.simplify(value - expected) == 0


@given(st.floats(1, 3000))
def test_width_is_the_least_m_meeting_lemma4(log10_n):
    log_m, bounds = phi.width_log10(log10_n, 50, 0.05)
    assert log_m == max(bounds.values())
    ln_m = mpmath.mpf(bounds["m/log^3 m > n^1.5"]) * mpmath.log(10)
    target = 1.5 * log10_n * mpmath.log(10)
    assert ln_m - 3 * mpmath.log(ln_m) >= target - 1e-9  # bounds are floats
    smaller = ln_m * (1 - 1e-9)
    assert smaller - 3 * mpmath.log(smaller) < target + 1e-6


def test_iteration_bound_is_monotone():
    value = sympy.Integer(10) ** 30
    base = phi.iteration_bound_log10(value, 0.1, 0.05)
    assert abs(base - 2 * (30 - (-1))) < 1e-9
    assert phi.iteration_bound_log10(value, 0.01, 0.05) > base
    assert phi.iteration_bound_log10(sympy.Integer(1), 0.1, 1e-300) > phi.iteration_bound_log10(1, 0.1, 0.5)


@pytest.mark.parametrize(("c", "kappa"), [(1, 0), (0.5, 0), (3, 2)])
def test_verdicts_do_not_depend_on_the_hidden_constants(c, kappa):
    rows = phi.check((8, 16, 32, 64), c=c, kappa=kappa)
    assert [r.verdict for r in rows] == ["holds", "erratum", "holds", "consistent"]
    assert "Theta(d^24)" in rows[1].evidence
    assert 24 <= rows[0].measured < 28  # T = 3d/2 - 2 makes the finite-range slope a little above 24
    assert rows[2].measured > 1 and rows[2].details["local_rates"] == sorted(rows[2].details["local_rates"])


def test_table_has_lemma3_construction_only_for_small_d():
    rows = phi.table((8, 12, 16))
    assert [(r.d, r.construction) for r in rows if r.construction.startswith("lemma3")] == [
        (8, "lemma3 (eq. 22, parity gate)"), (12, "lemma3 (eq. 22, parity gate)")]
    by = {(r.d, r.construction): r for r in rows}
    # eq. 22's binary encoding needs degree 2^N - 2 for parity and is worse than the symmetric encoding
    assert by[(8, "lemma3 (eq. 22, parity gate)")].degree == 14
    assert by[(8, "lemma3 (eq. 22, parity gate)")].log10_phi > by[(8, "symmetric")].log10_phi


def test_cli_errors_are_one_line(capsys):
    assert cli.guarded(phi.main, ["--d", "8", "16"]) == 2
    assert "at least 3" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        phi.main(["--delta", "2"])
    assert exc.value.code == 2 and "(0, 1)" in capsys.readouterr().err
    assert phi.main(["--d", "8", "10", "12", "--json"]) == 0
    assert '"PHI"' in capsys.readouterr().out
