"""The proof chains: every printed step is one decided comparison, corrections hold, controls flip; the
re-derivations behind the errata against independent references."""

import itertools
import json
from fractions import Fraction

import pytest
import sympy as sp

from verify import cli
from verify import proofs as P
from verify.asymptotics import decide, ge, large


@pytest.fixture(scope="module")
def findings():
    return P.check()


def test_one_finding_per_printed_step(findings):
    steps = P.chains()
    assert [f.part for f in findings] == [s.eq for s in steps]
    assert {f.id for f in findings} == set(P.CLAIMS)
    for f in findings:
        printed = [c for c in f.comparisons if c.role == "printed"]
        assert len(printed) == 1 and printed[0].source == f.part
        assert f.rule == "exact"


def test_a_failing_printed_step_carries_a_correction_that_holds(findings):
    failing = [f for f in findings if not f.comparisons[0].holds]
    assert failing  # the appendix has misprints; each is reported with its correction
    for f in failing:
        corrected = [c for c in f.comparisons if c.role == "corrected"]
        assert len(corrected) == 1 and corrected[0].holds, f.part
        assert f.printed and f.corrected
        assert f.conclusion_survives == all(c.holds for c in f.comparisons if c.role in ("corrected", "check"))
    for f in findings:
        if f.comparisons[0].holds:
            assert f.corrected is None and not [c for c in f.comparisons if c.role in ("corrected", "check")]


def test_every_estimate_was_decided(findings):
    # an undecided estimate has no measured value and would read as a failure: none may occur
    for f in findings:
        for c in f.comparisons:
            assert c.measured is not None, (f.part, c.quantity)


def test_controls_flip_for_every_id(findings):
    by_part = {f.part: f.verdict for f in findings}
    ctrls = P.controls(findings)
    assert {c.id for c in ctrls} == set(P.CLAIMS)
    for c in ctrls:
        assert by_part[c.part] == "holds"
        assert c.flipped(by_part[c.part]), c.planted


# ------------------------------------------------------------------------------------------------ references
def test_eq75_from_the_cited_norms_expands_to_the_corrected_bound():
    T, D = P.T, P.Dl
    derived = sp.expand(T * (T**7 * D + T**3) * (T**6 * D + T))
    assert derived == T**14 * D**2 + T**9 * D + T**10 * D + T**5
    hyps = P.BASE
    assert decide(derived, T**8 * D + T**4, hyps).holds is False
    assert decide(derived, T**14 * D**2 + T**10 * D + T**5, hyps).holds is True
    assert decide(T**14 * D**2 + T**10 * D + T**5, derived, hyps).holds is True  # the correction is tight


def test_eq39_needs_n9_from_the_printed_terms():
    (f,) = P.check(P.Config(appendix="C", step="eq. 39 (m*"))
    assert f.corrected.startswith("m ≳ n**9*log(m)**6 besides the printed conditions")
    m, n = P.m, P.n
    lhs = (P.R / sp.sqrt(m)) ** P.third * P.T**10 * n * sp.log(m) * (P.R + n * P.T**8)
    slightly_weaker = (*P.LEMMA4, *P.M4, ge(m, n ** sp.Rational(17, 2) * sp.log(m) ** 6))
    assert decide(lhs, P.R**2 * sp.sqrt(n), slightly_weaker).holds is False


def test_sigma_frobenius_norm_of_an_m_by_m_matrix():
    # ‖σ‖_F <= m ‖σ‖_∞ with equality for the constant matrix: the printed 1/m is off by m^2
    for mm in (2, 5, 9):
        sigma = sp.Rational(1, mm)
        fro = sp.sqrt(sum(sigma**2 for _ in range(mm * mm)))
        assert fro == mm * sigma == 1


def test_union_over_2d_inputs_needs_m_above_T9():
    T, m = P.T, P.m
    assert decide(T, m ** P.third / T**2, P.BASE).holds is False
    assert decide(T, m ** P.third / T**2, (*P.BASE, ge(m, T**9))).holds is True
    assert decide(T, m ** P.third / T**2, (*P.BASE, ge(m, T ** sp.Rational(17, 2)))).holds is False


def test_binomial_bounds_against_direct_counts():
    for d in range(2, 17, 2):
        h = sum(1 for _ in itertools.combinations(range(d), d // 2))
        assert h == sp.binomial(d, d // 2)
        assert 2 ** (d // 2) <= h <= 2**d  # what the corrected |H| rests on
        assert h**2 * 2 * d >= 4**d  # |H| >= 2^d / sqrt(2d)
    # (n/k)^k < C(n, k) fails exactly at k = 1
    bad = [(a, b) for a in range(2, 41) for b in range(1, a) if sp.binomial(a, b) <= Fraction(a, b) ** b]
    assert bad and all(b == 1 for _, b in bad)


def test_eq101_printed_form_collapses_to_zero():
    h = sp.binomial(16, 8)
    a = int(sp.ceiling(sp.Integer(h) ** sp.Rational(2, 3)))
    assert P._eq101(16, 1, minimum=False) == 0  # |H| − max{a, |H| − 1} = 1
    assert P._eq101(16, 1, minimum=True) == sp.Rational(1, 2) * (1 - sp.Rational(1, h - a))
    assert P._eq101(16, 1, minimum=True) == P._eq101_lemma15(16, 1)


def test_ssbd_identity_and_witness():
    assert P._ssbd_identity() == 0
    at, text = P._witness((P.m - 1) / (P.m**2 * sp.sqrt(P.n)))
    assert at != 0 and "m=" in text


def test_planted_exponent_in_eq23_direction():
    # X = T^32/√n against φ/√n with φ >= T^16: the counterexample keeps φ near T^16 and lets T grow
    res = decide(P.T**32 / sp.sqrt(P.n), P.phi / sp.sqrt(P.n), P.BASE + P.PHI)
    assert res.holds is False
    v = {k: a for k, (a, _) in res.direction.items()}
    assert v["T"] > 0 and v["φ"] >= 16 * v["T"] and 32 * v["T"] - v["φ"] == res.growth


# ------------------------------------------------------------------------------------------------ CLI
def test_cli_appendix_and_step_json(capsys):
    assert cli.guarded(P.main, ["--appendix", "E", "--step", "eq. 75", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    (row,) = [r for r in rows if r["id"] == "PE"]
    assert [p["part"] for p in row["parts"]] == ["eq. 75"]
    assert row["parts"][0]["corrected"] == "O(T**14*Δ**2 + T**10*Δ + T**5)"


def test_cli_prints_certificates(capsys):
    assert cli.guarded(P.main, ["--appendix", "thm2"]) == 0
    out = capsys.readouterr().out
    assert "eq. 7 (n)" in out and "fails, ratio grows like" in out and "P2" in out


@pytest.mark.parametrize("argv, message", [(["--step", "eq. 999"], "no step matches"),
                                           (["--appendix", "G"], "invalid choice")])
def test_cli_bad_input_one_line(argv, message, capsys):
    try:
        code = cli.guarded(P.main, argv)
    except SystemExit as exc:
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") <= 2


def test_large_helper_names():
    assert [h.label() for h in large("T")] == ["T ≳ 1"]


def test_every_estimate_that_holds_has_an_exact_certificate(findings):
    for f in findings:
        for c in f.comparisons:
            if c.quantity.startswith("growth") or "growth exponent" in c.quantity:
                if c.holds:
                    assert "holds (" in c.note and "no single-scale certificate" not in c.note, (f.part, c.note)
                else:
                    assert "fails, ratio grows like" in c.note and " along " in c.note, (f.part, c.note)
