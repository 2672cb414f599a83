import itertools
import json
import math
from fractions import Fraction

import mpmath
import pytest
import sympy
from hypothesis import example, given, settings
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


@given(st.integers(1, 300), st.integers(1, 20), st.integers(0, 30), st.fractions(Fraction(1, 10), 100),
       st.sampled_from([1, 2, sympy.E]), st.sampled_from([0, 1, 3]))
def test_phi_expression_is_eq10(t, n, deg, a2, c, kappa):
    psi = phi.Psi("x", n, deg, sympy.Rational(a2.numerator, a2.denominator))
    value = phi.phi_value(t, psi, c, kappa)
    dd = max(deg, 1)  # a degree-0 psi is read as degree <= 1
    expected = sympy.Integer(t) ** (16 + 3 * n + dd) * sympy.nsimplify(c) ** (2 * n) * sympy.Integer(dd) ** (3 * n) \
        * sympy.Rational(a2.numerator, a2.denominator) * (1 + sympy.log(t)) ** kappa
    assert sympy.simplify(value - expected) == 0


@settings(max_examples=60)
@given(st.integers(1, 64), st.integers(0, 70), st.fractions(Fraction(1, 10**6), 10**6), st.integers(1, 400),
       st.sampled_from([0, 1, Fraction(5, 2), 20]), st.sampled_from([Fraction(1, 1000), 1, 7]))
@example(1, 1, Fraction(1), 1, 0, 1)  # a cone of one fan-in-1 gate: T = 1, N = 1, degree 1
@example(1, 0, Fraction(1), 1, 3, 1)  # a constant gate at T = 1 with a polylog factor
def test_log10_phi_is_real_and_finite_for_every_n_and_degree(n, deg, a2, t, kappa, c):
    """Issue 14: eq. 10 must give a real log10 at N = 1, degree 0 or 1, T = 1 (never a complex number)."""
    psi = phi.Psi("x", n, deg, sympy.Rational(a2.numerator, a2.denominator))
    value = phi.log10(phi.phi_value(t, psi, sympy.Rational(c.numerator, c.denominator), kappa))
    assert isinstance(value, float) and math.isfinite(value)
    expected = ((16 + 3 * n + max(deg, 1)) * math.log10(t) + 2 * n * math.log10(c) + 3 * n * math.log10(max(deg, 1))
                + math.log10(a2) + float(kappa) * math.log10(1 + math.log(t)))
    assert value == pytest.approx(expected, rel=1e-12, abs=1e-9)


def test_psi_and_phi_refuse_what_eq10_cannot_read():
    for bad in [(0, 2, 1), (2, -1, 1), (2, 2, 0), (1.5, 2, 1)]:
        with pytest.raises(ValueError):
            phi.Psi("x", *bad)
    with pytest.raises(ValueError, match="T must be >= 1"):
        phi.phi_value(0, phi.lemma2_psi())
    with pytest.raises(ValueError, match="positive"):
        phi.log10(sympy.Integer(0))


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
def test_fitted_exponents_sit_in_eq10s_band_whatever_the_hidden_constants(c, kappa):
    findings = phi.check(phi.Config(d=(8, 16, 32, 64), C=c, kappa=kappa))
    sub, e2e, limit = findings
    assert [f.part for f in findings] == ["with sub-tasks", "without sub-tasks", "after Lemma 2"]
    fit = sub.comparisons[0]
    lo, hi = phi.exponent_band(24, 8, kappa)
    assert fit.reference == (lo, hi) and lo <= fit.measured <= hi and fit.holds
    assert fit.interval[0] < fit.measured < fit.interval[1]
    assert all(c.holds for c in sub.comparisons + e2e.comparisons if c.role == "check")
    assert e2e.comparisons[0].measured >= 1  # every local rate of ln phi in d
    printed, corrected, finite = limit.comparisons
    assert (printed.measured_exact, printed.holds) == ("24", False)
    assert corrected.holds and finite.holds and limit.conclusion_survives


def test_exponent_band_contains_every_local_exponent_of_t_to_the_24():
    ds = [4, 6, 8, 12, 16, 32, 64, 128, 256]
    ln = [24 * math.log(1.5 * d - 2) for d in ds]
    local = [(b - a) / (math.log(e) - math.log(f)) for a, b, f, e in zip(ln, ln[1:], ds, ds[1:], strict=False)]
    lo, hi = phi.exponent_band(24, ds[0], 0)
    assert all(lo <= v <= hi for v in local) and local == sorted(local, reverse=True)


def test_controls_flip_each_part():
    config = phi.Config(d=(8, 16, 32, 64))
    findings = phi.check(config)
    by_part = {f.part: f.verdict for f in findings}
    controls = phi.controls(findings, config)
    assert {c.part for c in controls} == set(by_part)
    for control in controls:
        assert control.flipped(by_part[control.part])
    largest = next(c for c in controls[0].finding.comparisons if c.quantity.startswith("largest local exponent"))
    assert not largest.holds and largest.measured > largest.reference  # e^d has no fixed exponent in d
    assert controls[2].finding.comparisons[-1].measured == math.inf


def test_table_has_lemma3_construction_only_for_small_d():
    rows = phi.table((8, 12, 16))
    assert [(r.d, r.construction) for r in rows if r.construction.startswith("lemma3")] == [
        (8, "lemma3 (eq. 22, parity gate)"), (12, "lemma3 (eq. 22, parity gate)")]
    by = {(r.d, r.construction): r for r in rows}
    # eq. 22's binary encoding needs degree 2^N - 2 for parity and is worse than the symmetric encoding
    assert by[(8, "lemma3 (eq. 22, parity gate)")].degree == 14
    assert by[(8, "lemma3 (eq. 22, parity gate)")].log10_phi > by[(8, "symmetric")].log10_phi


@pytest.mark.parametrize("argv", [["--d", "8", "16"], ["--delta", "2"], ["--kappa", "nan"], ["--kappa", "inf"],
                                  ["--C", "inf"], ["--C", "0"], ["--d", "7", "8", "10"], ["--eps", "-1"]])
def test_cli_errors_are_one_line(argv, capsys):
    try:
        code = cli.guarded(phi.main, argv)
    except SystemExit as exc:
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("python -m verify.phi")


def test_cli_json(capsys):
    assert phi.main(["--d", "8", "10", "12", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["id"] == "PHI" and {p["part"] for p in row["parts"]} == {"with sub-tasks", "without sub-tasks",
                                                                         "after Lemma 2"}
