"""The evidence model: comparisons decide themselves, rules map comparisons to verdicts, controls flip."""

import math
from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from verify import stats
from verify.evidence import NOT_CHECKED, RULES, SEVERITY, Control, Finding, compare, merge_verdicts

fractions = st.fractions(min_value=-100, max_value=100, max_denominator=50)
finite = st.floats(-1e6, 1e6, allow_nan=False)


@given(fractions, fractions)
def test_exact_relations_agree_with_fraction_arithmetic(a, b):
    for rel, expected in (("eq", a == b), ("le", a <= b), ("ge", a >= b), ("lt", a < b), ("gt", a > b)):
        c = compare("q", "eq. 1", a, rel, b)
        assert c.holds is expected, (rel, a, b)
        assert c.measured_exact is not None and c.tol == 0


@given(st.integers(1, 50), st.integers(1, 50))
def test_exact_sympy_expressions_are_compared_exactly(p, q):
    # sqrt(p)^2 / q against p / q: equal exactly, not only to float rounding
    assert compare("q", "s", sympy.sqrt(p) ** 2 / q, "eq", sympy.Rational(p, q)).holds
    assert not compare("q", "s", sympy.sqrt(2) * p, "eq", sympy.Rational(p * 141421356237, 10**11)).holds


@given(finite, finite, st.floats(0, 10))
def test_float_relations_use_the_tolerance(m, r, tol):
    assert compare("q", "s", m, "eq", r, tol=tol).holds is (abs(m - r) <= tol)
    assert compare("q", "s", m, "le", r, tol=tol).holds is (m <= r + tol)
    assert compare("q", "s", m, "ge", r, tol=tol).holds is (m >= r - tol)


@pytest.mark.parametrize("rel", ["eq", "le", "ge", "lt", "gt"])
def test_nan_never_holds(rel):
    assert not compare("q", "s", math.nan, rel, 1.0, tol=1.0).holds
    assert not compare("q", "s", 1.0, "ci_above", 0.0, interval=(math.nan, 2.0)).holds


@given(finite, st.floats(0, 100), finite)
def test_interval_relations(lo, width, r):
    ci = (lo, lo + width)
    assert compare("q", "s", lo, "ci_above", r, interval=ci).holds is (lo > r)
    assert compare("q", "s", lo, "ci_below", r, interval=ci).holds is (lo + width < r)
    assert compare("q", "s", lo, "ci_contains", r, interval=ci).holds is (lo <= r <= lo + width)
    assert compare("q", "s", lo, "ci_within", (r, r + 50), interval=ci).holds is (r <= lo and lo + width <= r + 50)


def test_bad_comparisons_are_value_errors():
    with pytest.raises(ValueError, match="relation"):
        compare("q", "s", 1, "approx", 1)
    with pytest.raises(ValueError, match="interval"):
        compare("q", "s", 1.0, "ci_above", 0.0)
    with pytest.raises(ValueError, match="tolerance"):
        compare("q", "s", 1, "eq", 1, tol=0.1)
    with pytest.raises(ValueError, match="role"):
        compare("q", "s", 1, "eq", 1, role="vibe")


def _c(holds: bool, role: str = "check"):
    return compare("q", "s", 1, "eq", 1 if holds else 2, role=role)


def test_exact_rule():
    assert RULES["exact"]([_c(True), _c(True, "printed")]) == "holds"
    assert RULES["exact"]([_c(True), _c(False, "printed"), _c(True, "corrected")]) == "erratum"
    # a wrong print without a corrected form that holds is not an erratum
    assert RULES["exact"]([_c(False, "printed")]) == "fails"
    assert RULES["exact"]([_c(False, "printed"), _c(False, "corrected")]) == "fails"
    assert RULES["exact"]([_c(False), _c(False, "printed"), _c(True, "corrected")]) == "fails"
    # context never decides
    assert RULES["exact"]([_c(True), _c(False, "context")]) == "holds"


def test_empirical_and_measured_rules():
    assert RULES["empirical"]([_c(True), _c(True)]) == "consistent"
    assert RULES["empirical"]([_c(True), _c(False)]) == "inconsistent"
    assert RULES["measured"]([_c(True)]) == "measured"
    assert RULES["measured"]([_c(False)]) == "inconsistent"


@given(st.lists(st.sampled_from(SEVERITY), max_size=6))
def test_merge_takes_the_most_serious_checked_part(verdicts):
    merged = merge_verdicts(verdicts)
    checked = [v for v in verdicts if v != NOT_CHECKED]
    if not checked:
        assert merged == NOT_CHECKED
    else:
        assert merged in checked and all(SEVERITY.index(merged) <= SEVERITY.index(v) for v in checked)


def test_not_checked_only_without_deciding_comparisons_or_with_a_reason():
    assert Finding("L2", "exact", (_c(True),)).verdict == "holds"
    assert Finding("L2", "exact", (_c(True),), not_checked="no data").verdict == NOT_CHECKED
    assert Finding("L2", "exact", (_c(False, "context"),)).verdict == NOT_CHECKED
    with pytest.raises(ValueError, match="comparisons or a not_checked"):
        Finding("L2", "exact", ())
    with pytest.raises(ValueError, match="claim ID"):
        Finding("L99", "exact", (_c(True),))
    with pytest.raises(ValueError, match="rule"):
        Finding("L2", "vibes", (_c(True),))


def test_evidence_is_rendered_from_the_comparisons():
    c = compare("max |a_i|", "Lemma 2", Fraction(7, 2), "le", 10, params={"N": 2})
    f = Finding("L2", "exact", (c,), scope="all gates")
    assert f.evidence == "max |a_i| [N=2]: 7/2 <= 10 ok; scope: all gates"
    assert f.to_json()["comparisons"][0]["measured"] == 3.5


def test_control_flips_only_between_checked_verdicts():
    ctl = Control("L2", "planted", Finding("L2", "exact", (_c(False),)))
    assert ctl.flipped("holds") and not ctl.flipped("fails") and not ctl.flipped(NOT_CHECKED)
    idle = Control("L2", "planted", Finding("L2", "exact", (_c(True),), not_checked="x"))
    assert not idle.flipped("holds")


# ------------------------------------------------------------------------------------------------ stats
@given(st.floats(-3, 3), st.floats(-5, 5))
def test_linear_fit_recovers_an_exact_line(slope, intercept):
    x = np.arange(5.0)
    fit = stats.linear_fit(x, intercept + slope * x)
    assert fit.slope == pytest.approx(slope, abs=1e-9) and fit.slope_ci[0] <= fit.slope <= fit.slope_ci[1]


def test_two_points_give_no_interval():
    fit = stats.linear_fit([1, 2], [1, 3])
    assert fit.slope == pytest.approx(2) and all(math.isnan(v) for v in fit.slope_ci)


def test_power_and_exp_fits():
    d = np.array([4, 8, 16, 32])
    assert stats.power_fit(d, 3 * d**2.5).slope == pytest.approx(2.5)
    assert stats.exp_fit(d, 2 * np.exp(0.7 * d)).slope == pytest.approx(0.7)
    assert np.allclose(stats.local_rates(d, np.exp(0.7 * d)), 0.7)


def test_censored_fit_recovers_a_slope_and_uses_censoring():
    covered = 0
    for seed in range(5):
        rng = np.random.default_rng(seed)
        x = np.repeat([4.0, 6.0, 8.0, 10.0], 6)
        steps = np.exp(1.0 + 0.5 * x + 0.2 * rng.standard_normal(x.size))
        budget = np.exp(5.5)
        observed = steps <= budget
        assert 0 < observed.sum() < x.size  # some runs are censored
        fit = stats.censored_fit(x, np.minimum(steps, budget), observed, reps=100, seed=1)
        assert abs(fit.slope - 0.5) < 0.06
        covered += fit.slope_ci[0] <= 0.5 <= fit.slope_ci[1]
        # treating censored runs as if they had learned at the budget biases the slope down
        assert stats.linear_fit(x, np.log(np.minimum(steps, budget))).slope < fit.slope
    assert covered >= 4


def test_censored_fit_without_two_observed_sizes_has_no_interval():
    fit = stats.censored_fit([4, 4, 8, 8], [10, 12, 100, 100], [True, True, False, False], reps=20)
    assert math.isnan(fit.slope)
