import itertools
import json
from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from verify import lemma15 as l15


def brute_force_E(losses, alpha):
    """Eq. 81 literally: every subset H~ with |H~| >= alpha |H|."""
    n = len(losses)
    best = None
    for k in range(1, n + 1):
        if k < alpha * n:
            continue
        for members in itertools.combinations(range(n), k):
            mean = sum((losses[m] for m in members), Fraction(0)) / k
            best = mean if best is None or mean < best else best
    return best


@pytest.mark.parametrize("d", [2, 4])
def test_exact_minimisation_matches_brute_force_over_all_subsets(d):
    disagree = l15.pairwise_disagreements(d)
    size = disagree.shape[0]
    for h in range(size):
        losses = [Fraction(int(v), 1 << d) for v in disagree[h]]
        for alpha in l15.alphas(size):
            assert l15.exact_E(losses, alpha) == brute_force_E(losses, alpha) == l15.eq91_corrected(alpha, size)


@given(st.lists(st.fractions(0, 1), min_size=1, max_size=7), st.fractions(Fraction(1, 100), 1))
def test_min_mean_from_size_matches_brute_force_for_any_losses(losses, alpha):
    assert l15.exact_E(losses, alpha) == brute_force_E(losses, alpha)


def test_pairwise_losses_are_half_off_the_diagonal():
    for d in (2, 4, 6, 8):
        disagree = l15.pairwise_disagreements(d)
        assert (disagree.diagonal() == 0).all()
        off = disagree[~np.eye(disagree.shape[0], dtype=bool)]
        assert (off == 1 << (d - 1)).all()


@given(st.integers(1, 69), st.integers(1, 69))
def test_eq91_corrected_is_exact_monotone_and_above_printed(k, j):
    d, size = 8, 70
    losses = [Fraction(int(v), 1 << d) for v in l15.pairwise_disagreements(d)[5]]
    a, b = sorted((Fraction(2 * k - 1, 2 * size), Fraction(j, size)))
    ea, eb = l15.exact_E(losses, a), l15.exact_E(losses, b)
    assert ea <= eb  # a larger fraction can only raise the minimum
    for alpha, e in ((a, ea), (b, eb)):
        assert e == l15.eq91_corrected(alpha, size)
        assert e >= l15.eq91_printed(alpha, size)
        assert (e == l15.eq91_printed(alpha, size)) == ((alpha * size).denominator == 1)


def test_exact_E_rejects_alpha_outside_the_range():
    with pytest.raises(ValueError, match="alpha"):
        l15.exact_E([Fraction(0)], Fraction(0))


def test_eq101_printed_collapses_to_zero_and_min_form_matches():
    size, n = 924, 1
    assert l15.eq101(size, n, sympy.Integer(1), "printed") == 0  # denominator |H| - (|H| - 1) = 1
    rows = l15.check_eq101(12, 1, ns=(1, 2))
    assert rows and all(r.printed == 0 for r in rows)
    assert all(sympy.Rational(r.exact) == r.corrected for r in rows)
    # when the cut exceeds |H| - 1 the max-branch is the cut and printed equals corrected without ceiling issues
    big = l15.eq101(6, 10, sympy.Integer(1), "corrected")
    assert big == 0  # at most |H| - 1 can be removed: one member left, loss 1/2 (1 - 1/1)
    with pytest.raises(ValueError, match="form"):
        l15.eq101(6, 1, sympy.Integer(1), "other")


def test_findings_count_mismatches_exactly():
    eq100, eq91, eq101 = l15.check(l15.Config(dmax=8, subsets=3))
    assert [f.part for f in (eq100, eq91, eq101)] == ["eq. 100", "eq. 91", "eq. 101"]
    assert all(c.measured == 0 and c.holds for c in eq100.comparisons)
    frac = [c for c in eq91.comparisons if "not an integer" in c.quantity]
    integer = [c for c in eq91.comparisons if "(alpha|H| an integer)" in c.quantity]
    assert [c.measured for c in integer] == [0, 0, 0, 0]
    assert [(c.params["d"], c.measured) for c in frac] == [(2, 1), (4, 5), (6, 19), (8, 69)]  # every such alpha
    ours = next(c for c in eq91.comparisons if c.quantity == "E^(H, alpha, l01), ours")
    assert ours.measured_exact == ours.reference_exact == "17/35" and ours.params["alpha"] == "69/140"
    assert all(c.holds for c in eq91.comparisons + eq101.comparisons if c.role in {"check", "corrected"})
    assert all(c.measured == 0 and not c.holds for c in eq101.comparisons if c.role == "printed")
    assert eq91.conclusion_survives and eq101.conclusion_survives


def test_controls_flip_every_part():
    findings = l15.check(l15.Config(dmax=6, subsets=3))
    by_part = {f.part: f.verdict for f in findings}
    controls = l15.controls(findings)
    assert [c.part for c in controls] == ["eq. 100", "eq. 91", "eq. 101"]
    assert all(c.flipped(by_part[c.part]) for c in controls)
    dup = controls[0].finding.comparisons
    assert any(c.measured > 0 for c in dup)


def test_cli(capsys):
    with pytest.raises(SystemExit) as exc:
        l15.main(["--c", "-1"])
    assert exc.value.code == 2 and "out of range" in capsys.readouterr().err
    assert l15.main(["--dmax", "6", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["id"] == "L15" and len(row["parts"]) == 3
