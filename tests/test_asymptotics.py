"""The estimate checker on estimates whose truth is known, and against brute force along random directions."""

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from verify import asymptotics as asy
from verify.asymptotics import decide, form, ge, large, symbol

a, b, c, d, m, n, T, R = (symbol(s) for s in "a b c d m n T R".split())
third = sp.Rational(1, 3)


# ------------------------------------------------------------------------------------------------ known truths
def test_weak_am_gm_holds_with_weights_one_third():
    res = decide((a * b * c) ** third, sp.Max(a, b, c))
    assert res.holds is True and res.growth == 0
    (cert,) = res.certificate
    assert cert.count("1/3·") == 3  # the convex combination of the three comparisons


def test_am_gm_fails_without_the_cube_root():
    res = decide(a * b * c, sp.Max(a, b, c), large("a", "b", "c"))
    assert res.holds is False and res.growth > 0


def test_chain_gives_ac_le_bd_but_not_ad_le_bc():
    hyps = (ge(b, a), ge(c, b), ge(d, c))
    ok = decide(a * c, b * d, hyps)
    assert ok.holds is True
    assert ok.certificate == ("(b ≳ a)^1 × (d ≳ c)^1",)
    bad = decide(a * d, b * c, hyps)
    assert bad.holds is False and bad.scale == "t" and bad.growth > 0
    v = {k: a1 for k, (a1, _) in bad.direction.items()}
    # the direction respects a <= b <= c <= d and makes ad/(bc) grow
    assert v["a"] <= v["b"] <= v["c"] <= v["d"]
    assert v["a"] + v["d"] - v["b"] - v["c"] == bad.growth


def test_counterexample_direction_grows_numerically():
    hyps = (ge(b, a), ge(c, b), ge(d, c))
    bad = decide(a * d, b * c, hyps)
    values = [asy.growth_along(a * d / (b * c), bad.direction, t) for t in (1e2, 1e4, 1e8)]
    assert values[0] < values[1] < values[2]
    for h in hyps:  # hypotheses hold along it
        assert all(asy.growth_along(h.lhs / h.rhs, bad.direction, t) >= -1e-9 for t in (1e2, 1e4, 1e8))


def test_log_rules():
    assert decide(sp.log(m), m ** sp.Rational(1, 100), large("m")).holds is True
    lone = decide(sp.log(m), 1, large("m"))
    assert lone.holds is False and lone.scale == "log t" and lone.growth == 1
    cert = decide(sp.log(m) ** 3 / m ** sp.Rational(1, 6), 1, large("m"))
    assert cert.holds is True and "log m ≲ m^" in cert.certificate[0]
    # log n <= log m when m >= n^2, but (log n)^2 is not O(log m)
    assert decide(sp.log(n), sp.log(m), (*large("m", "n"), ge(m, n ** 2))).holds is True
    assert decide(sp.log(n) ** 2, sp.log(m), (*large("m", "n"), ge(m, n ** 2))).holds is False
    # log of a product is the max of the logs
    assert decide(sp.log(n * T), sp.log(n) + sp.log(T), large("n", "T")).holds is True
    assert decide(sp.log(n) + sp.log(T), sp.log(n * T), large("n", "T")).holds is True


def test_log_factor_decides_a_tie():
    hyp = (*large("m", "n"), ge(m, n ** 9 * sp.log(m) ** 18))
    assert decide(n ** sp.Rational(3, 2) * sp.log(m) ** 3 / m ** sp.Rational(1, 6), 1, hyp).holds is True
    weaker = (*large("m", "n"), ge(m, n ** 9 * sp.log(m) ** 17))
    res = decide(n ** sp.Rational(3, 2) * sp.log(m) ** 3 / m ** sp.Rational(1, 6), 1, weaker)
    assert res.holds is False and res.scale == "log t"


def test_curve_with_a_log_correction_is_a_counterexample():
    # m <= n log n does not give m = O(n): the failure is at the second scale (m = n log n)
    res = decide(m, n, (*large("m", "n"), ge(n * sp.log(n), m)))
    assert res.holds is False and res.scale == "log t"


def test_normal_form_distributes_and_swaps():
    assert len(form((a + b) * (c + d))) == 4  # max of four products
    inv = form(1 / (a + b))  # (max(a, b))^-1 = min(1/a, 1/b): one piece with two terms
    assert len(inv) == 1 and len(inv[0]) == 2
    assert len(form(sp.Min(a, b) * sp.Max(c, d))) == 2
    assert form(7 * a**2) == form(a**2)  # constants dropped


@pytest.mark.parametrize("bad", [a - b, sp.exp(a), a**b, sp.log(a / b), -a, sp.log(sp.log(a))])
def test_outside_the_language_is_refused(bad):
    with pytest.raises(ValueError):
        form(bad)


def test_hypothesis_with_a_max_on_the_larger_side_is_refused():
    with pytest.raises(ValueError, match="disjunction"):
        decide(a, b, (ge(sp.Max(a, c), b),))


def test_weakest_condition_is_weakest():
    lhs = n ** sp.Rational(3, 2) * sp.log(m) ** 3 / m ** sp.Rational(1, 6)
    hyps = large("m", "n")
    cond = asy.weakest_condition(lhs, 1, hyps, "m")
    assert sp.simplify(cond - n**9 * sp.log(m) ** 18) == 0
    assert decide(lhs, 1, (*hyps, ge(m, cond))).holds is True
    assert decide(lhs, 1, (*hyps, ge(m, n ** sp.Rational(17, 2) * sp.log(m) ** 18))).holds is False


def test_weakest_condition_none_when_the_symbol_cannot_help():
    assert asy.weakest_condition(T * m, 1, large("T", "m"), "m") is None


def test_simplify_condition_uses_hypotheses():
    hyps = (*large("T", "n", "m", "R"), ge(R, T ** 16))
    cond = T**108 * n**9 * sp.log(m) ** 6 / R**10
    simple = asy.simplify_condition(cond, hyps, "m")
    assert sp.simplify(simple - n**9 * sp.log(m) ** 6) == 0


def test_largest_exponent():
    delta = symbol("Δ")
    hyps = (*large("T"), ge(1, delta))
    p = asy.largest_exponent(lambda q: T**q * delta + T**4, T**8, hyps, Fraction(0), Fraction(12))
    assert p == 8


def test_decide_is_cached_and_deterministic():
    r1 = decide(a * d, b * c, (ge(b, a), ge(c, b), ge(d, c)))
    r2 = decide(a * d, b * c, (ge(b, a), ge(c, b), ge(d, c)))
    assert r1 == r2


# ------------------------------------------------------------------------------------------------ properties
SYMS = ("a", "b", "c")
exps = st.integers(-2, 2)
monos = st.tuples(exps, exps, exps)


def _expr(mon):
    return sp.Mul(*(symbol(s) ** e for s, e in zip(SYMS, mon, strict=True)))


def _vec(mon):
    return np.array(mon, dtype=float)


@settings(max_examples=40, deadline=None)
@given(st.lists(monos, min_size=1, max_size=2), st.lists(monos, min_size=1, max_size=2),
       st.lists(monos.filter(any), max_size=2), st.integers(0, 2**32 - 1))
def test_against_brute_force_directions(xs, ys, hs, seed):
    """X = sum of monomials, Y = sum of monomials, hypotheses H_r >= 1: the checker's answer agrees with a
    brute-force scan of random exponent directions (holds => no sampled admissible direction makes X/Y grow;
    fails => the returned direction is admissible and X/Y grows along it)."""
    lhs = sp.Add(*(_expr(x) for x in xs))
    rhs = sp.Add(*(_expr(y) for y in ys))
    hyps = tuple(ge(_expr(h), 1) for h in hs)
    res = decide(lhs, rhs, hyps, certificate=False)
    assert res.holds is not None
    rng = np.random.default_rng(seed)
    if res.holds:
        vs = rng.normal(size=(3000, 3))
        for h in hs:
            vs = vs[vs @ _vec(h) >= 0]
        growth = np.max(vs @ np.array(xs, float).T, axis=1) - np.max(vs @ np.array(ys, float).T, axis=1)
        assert np.all(growth <= 1e-9)
    else:
        v = np.array([float(res.direction.get(s, (0, 0))[0]) for s in SYMS])
        assert all(v @ _vec(h) >= -1e-12 for h in hs)
        assert res.scale == "t"  # without log factors a failure is always at the first scale
        gap = max(v @ _vec(x) for x in xs) - max(v @ _vec(y) for y in ys)
        assert gap > 0 and gap >= float(res.growth) - 1e-9  # growth is that of one piece of X


@settings(max_examples=25, deadline=None)
@given(monos, monos, st.integers(1, 3))
def test_metamorphic_scaling(x, y, k):
    """X ≲ Y iff X^k ≲ Y^k iff X·Z ≲ Y·Z for a monomial Z (the same question asked differently)."""
    hyps = large(*SYMS)
    base = decide(_expr(x), _expr(y), hyps, certificate=False).holds
    assert decide(_expr(x) ** k, _expr(y) ** k, hyps, certificate=False).holds == base
    z = a * b**2 / c
    assert decide(_expr(x) * z, _expr(y) * z, hyps, certificate=False).holds == base


@settings(max_examples=25, deadline=None)
@given(monos, monos)
def test_certificate_is_an_exact_identity(x, y):
    """When a monomial estimate holds under u >= 1 for each symbol, its certificate is Y/X = Π u^{λ_u}:
    the powers are exactly the exponents of Y/X, all nonnegative."""
    res = decide(_expr(x), _expr(y), large(*SYMS))
    diff = [yy - xx for xx, yy in zip(x, y, strict=True)]
    assert res.holds == all(v >= 0 for v in diff)
    if res.holds and any(diff):
        (cert,) = res.certificate
        for s, v in zip(SYMS, diff, strict=True):
            if v:
                assert f"({s} ≳ 1)^{v}" in cert


# ------------------------------------------------------------------------------------------------ CLI
def test_cli_certificate_and_weakest(capsys):
    from verify import cli

    assert cli.guarded(asy.main, ["(a*b*c)**(1/3)", "Max(a, b, c)"]) == 0
    assert "holds" in capsys.readouterr().out
    argv = ["n**(3/2)*log(m)**3/m**(1/6)", "1", "--large", "m", "n", "--hyp", "m >= n**(3/2)*log(m)**3",
            "--weakest", "m"]
    assert cli.guarded(asy.main, argv) == 0
    out = capsys.readouterr().out
    assert "fails" in out and "m ≳ n**9*log(m)**18" in out


@pytest.mark.parametrize("argv", [["a - b", "1"], ["a +", "1"], ["a", "b", "--hyp", "a b"]])
def test_cli_bad_input_is_one_line(argv, capsys):
    from verify import cli

    assert cli.guarded(asy.main, argv) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_regime_m_above_some_polynomial():
    hyps = large("m", "n", "T")
    ok, cond = asy.holds_for_large(n**2 * T**3 * sp.log(m) / sp.sqrt(m), 1, hyps, "m")
    assert ok and sp.simplify(cond - n**4 * T**6 * sp.log(m) ** 2) == 0
    assert asy.holds_for_large(T * sp.sqrt(m), 1, hyps, "m") == (False, None)
    assert asy.holds_for_large(T, T**2, hyps, "m") == (True, 1)
