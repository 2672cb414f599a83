"""The appendix's proof chains, step by step, checked mechanically (claims PC, PD, PE, P2, PF).

Each printed step of App. C (Theorem 3, eq. 23-24; Lemma 4's proof, eq. 25-51), App. D (Lemma 5's proof,
eq. 52-68), App. E (Lemmas 9-11, eq. 73-78; Lemmas 6-8 are Wang et al. (2021)'s and are assumed), Theorem 2
(eq. 7) from Theorem 3 and Lemma 1 (eq. 5), and App. F (Theorem 4, Corollary 1, Lemmas 12-15's sizes and
probabilities, eq. 101) is one :class:`Step`: the quantity, the printed form, the form *derived from the
ingredients its proof cites*, and the hypotheses in force (the lemma's, e.g. ``R = Ω(T^16)``, and the
printed width condition on m*). An O(·) step is the estimate ``derived ≲ printed`` decided by
:mod:`verify.asymptotics` (a certificate, or a counterexample direction and the growth of the ratio along
it); an exact step (derivatives, identities, constants, binomials, exponentials, eq. 101) is decided with
sympy. Probabilities are compared through their exponents: a failure probability ``e^{A − Ω(M)}`` is at
most ``e^{−O(B) − Ω(M)}`` for suitable constants iff ``A + B ≲ M``.

Rule ``exact`` (verify.evidence), one finding per step (its ``part`` is the equation): the step holds when
its printed comparison holds; when it fails, the finding carries the corrected form (a corrected bound, or
the weakest width condition computed by :func:`verify.asymptotics.weakest_condition`, or a corrected exact
value), a comparison showing that the correction holds, and "check" comparisons of whether the lemma's
conclusion survives (e.g. the corrected term is still O(R²√n) under m > m*). Readings of O(·), the
direction of union bounds and the external lemmas assumed are stated in each comparison's note.

Control, per ID: one step that holds is planted with a wrong exponent or factor (e.g. eq. 40 printed as
O(R²/n) instead of O(R²/√n)); the same evaluation and rule must stop saying "holds".

Sizes: none; every chain is symbolic, so quick and full are the same (about 4 s of CPU for all five chains
and their controls, mostly HiGHS LPs through ``scipy.optimize.linprog`` and a few sympy limits).

Run: ``python -m verify.proofs [--appendix C|D|E|F|thm2] [--step "eq. 29"] [--json] [--verbose]``.
"""

from __future__ import annotations

import dataclasses
import itertools
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import sympy as sp

from verify import cli
from verify.asymptotics import (
    Hyp,
    Result,
    ge,
    large,
    show,
    simplify_condition,
    symbol,
    weakest_condition,
)
from verify.asymptotics import decide as decide_estimate
from verify.evidence import Comparison, Control, Finding, compare

CLAIMS = ("PC", "PD", "PE", "P2", "PF")
APPENDIX = {"C": "PC", "D": "PD", "E": "PE", "thm2": "P2", "F": "PF"}

# ------------------------------------------------------------------------------------------------ symbols
T, m, n, R, d, t, k = (symbol(s) for s in ("T", "m", "n", "R", "d", "t", "k"))
Dl, phi, Dinv, eps, sig = (symbol(s) for s in ("Δ", "φ", "δ⁻¹", "ε", "σ"))
SMALL_EPS = (ge(1, eps, "ε ≲ 1"),)
H, Var, G = symbol("|H|"), symbol("Var"), symbol("G")
half, third, sixth = sp.Rational(1, 2), sp.Rational(1, 3), sp.Rational(1, 6)
L = sp.log(Dinv)  # log(1/δ)
eta = 1 / (m * sp.sqrt(n))  # Algorithm 2/3's learning rate
DN = sp.sqrt(n) * T**8 / m  # ‖W^(i) − W^(0)‖_F <= n T^8/(m √n) for i <= n (the induction of eq. 29 / 58)

BASE = (*large("T", "m", "n", "R", "δ⁻¹"), ge(T, d, "d ≤ T"), ge(T, t, "t ≤ T"), ge(d, 1, "d ≳ 1"), ge(t, 1, "t ≳ 1"))
LEMMA4 = (*BASE, ge(R, T ** 16, "R = Ω(T^16)"))
SIGMA = (ge(1 / m, sig, "σ = O(1/m)"),)
M4 = (ge(m, T**6 * sp.log(n * T * Dinv)**3, "m* ≳ T^6 log³(nT/δ)"), ge(m, sp.sqrt(n) * T**8, "m* ≳ √n T^8"),
      ge(m, n, "m* > n"), ge(m, n**sp.Rational(3, 2) * sp.log(m)**3, "m*/log³m* > n^{3/2}"))
M5 = (ge(m, T**7 * sp.log(n * T * Dinv)**3, "m* ≳ T^7 log³(nT/δ)"), ge(m, sp.sqrt(n) * T**8, "m* ≳ √n T^8"),
      ge(m, n, "m* > n"), ge(m, n**sp.Rational(9, 2) * sp.log(m)**3, "m*/log³m* > n^{9/2}"))
PHI = (ge(phi, T**16, "φ ≳ T^16 (eq. 10)"),)
M4_NEEDED = sp.Max(T**6 * sp.log(n * T * Dinv)**3, sp.sqrt(n) * T**11, T**9, n, n**9 * sp.log(m)**6)
M5_NEEDED = sp.Max(T**9, T**6 * sp.log(n * T * Dinv)**3, sp.sqrt(n + L**2) * T**11, (n + L**2)**9 * sp.log(m)**6,
                   n**2, L**4)
DELTA = (ge(DN, Dl, "Δ = ‖W − W0‖_F ≤ √n T^8/m (induction)"),)

READ_UNION = ("reading: a union bound over the 2^d inputs and the T − d positions multiplies a failure "
              "probability by 2^d T = e^{O(T)} (d ≤ T), so O(T) in an exponent is nonnegative; Lemma 9/10 "
              "read as uniform over W in the ball (as Allen-Zhu et al. 2019's Lemmas B.3, B.11, C.2, C.9 are)")
READ_SIGMA = ("reading: W is m×m (Algorithm 2), so ‖σ_k‖_F ≤ m ‖σ_k‖_∞ < mσ = O(1) for σ = O(1/m), "
              "not O(1/m)")
EXT_WANG = "external: Wang et al. (2021) Theorem 2, Theorem 4, Lemma 15 and Theorem 13 (Lemmas 6-8), assumed"


# ------------------------------------------------------------------------------------------------ steps
@dataclass(frozen=True)
class Est:
    """The estimate ``lhs ≲ rhs`` under ``hyps``; with ``repair_on`` the weakest condition on that symbol
    is computed and added when the estimate fails (used for survival and context checks)."""

    lhs: Any
    rhs: Any
    hyps: tuple[Hyp, ...]
    what: str = ""
    repair_on: str | None = None


@dataclass(frozen=True)
class Exact:
    """An exact comparison ``value() relation reference`` decided by sympy (``value`` is a thunk so that
    building the chains costs nothing)."""

    value: Callable[[], Any]
    relation: str
    reference: Any
    what: str


@dataclass(frozen=True)
class Step:
    """One printed step of a chain.

    Attributes:
        id: claim ID; eq: the equation ("eq. 29"); what: the quantity.
        printed: the printed form; derived: how the cited ingredients give it (text).
        check: the printed step as an estimate ``derived ≲ printed`` (:class:`Est`) or an exact comparison.
        fix: what to compare when the printed step fails: ("bound", corrected expr), ("condition", symbol)
            or ("exact", :class:`Exact`).
        survives: checks that the lemma's conclusion survives the correction (evaluated only on failure).
        context: shown, never deciding (e.g. the same step with an ingredient corrected elsewhere).
        note: the readings and external ingredients assumed.
    """

    id: str
    eq: str
    what: str
    printed: str
    derived: str
    check: Est | Exact
    fix: tuple[Any, ...] | None = None
    survives: tuple[Est | Exact, ...] = ()
    context: tuple[Est | Exact, ...] = ()
    note: str = ""


def _b(n_: int, k_: int) -> int:
    return int(sp.binomial(n_, k_))


SAMPLE_D = tuple(range(2, 257, 2))


def _eq101(d_: int, n_: int, minimum: bool) -> sp.Rational:
    """Eq. 101 at |H| = C(d, d/2), n iterations, the O(·) constant 1 and a = n ⌈|H|^{2/3}⌉ (|H~| is an
    integer): the printed form (max) or the corrected one (min); Lemma 15 gives 1/2 (1 − 1/⌈α|H|⌉)."""
    h = _b(d_, d_ // 2)
    a = n_ * int(sp.ceiling(sp.Integer(h) ** sp.Rational(2, 3)))
    inner = h - (min(a, h - 1) if minimum else max(a, h - 1))
    return sp.Rational(1, 2) * (1 - sp.Rational(1, inner))


def _eq101_lemma15(d_: int, n_: int) -> sp.Rational:
    h = _b(d_, d_ // 2)
    a = n_ * int(sp.ceiling(sp.Integer(h) ** sp.Rational(2, 3)))
    return sp.Rational(1, 2) * (1 - sp.Rational(1, max(h - a, 1)))


def _ssbd_identity() -> sp.Expr:
    """Shalev-Shwartz & Ben-David Lemma 14.1, one step, 2-d vectors: <g, w − w*> − (‖w − w*‖² −
    ‖w − ηg − w*‖²)/(2η) − η‖g‖²/2 (must be 0)."""
    g1, g2, w1, w2, s1, s2, e = sp.symbols("g1 g2 w1 w2 s1 s2 eta", real=True)
    ip = g1 * (w1 - s1) + g2 * (w2 - s2)
    before = (w1 - s1)**2 + (w2 - s2)**2
    after = (w1 - e * g1 - s1)**2 + (w2 - e * g2 - s2)**2
    return sp.simplify(ip - (before - after) / (2 * e) - e * (g1**2 + g2**2) / 2)


def chains() -> tuple[Step, ...]:
    """Every step of the five chains, in the paper's order."""
    x, y, f, u, kk = sp.Symbol("x", real=True), sp.Symbol("y"), sp.Symbol("f"), sp.Symbol("u", real=True), \
        sp.Symbol("k", positive=True)
    dd = sp.Symbol("d", positive=True)
    lin = (R / sp.sqrt(m))**third * T**10 * sp.sqrt(m) * sp.log(m)  # Lemma 8's factor, r = R/√m (eq. 31)
    lin_d = (T**8 / sp.sqrt(m))**third * T**10 * sp.sqrt(m) * sp.log(m)  # r = T^8/√m (eq. 60)
    sum_w = n**sp.Rational(3, 2) * T**8 / m + n * R / sp.sqrt(m)  # Σ_i ‖W^(i) − W*‖_F (triangle, i <= n)
    sum_wd = n * (DN + T**8 / sp.sqrt(m))  # Σ_i ‖W^(i) − W~‖_F, W~ ∈ B(W0, T^8/√m)
    grad75 = T * (T**7 * Dl + T**3) * (T**6 * Dl + T)  # eq. 76 with the cited norms, Σ over i <= t <= T
    grad75_fix = T**14 * Dl**2 + T**10 * Dl + T**5
    logloss_T14 = sp.log(1 + sp.exp(x))
    steps: list[Step] = [
        # ------------------------------------------------------------------------------------------- PC
        Step("PC", "eq. 23", "Theorem 3's bound for Algorithm 2 from Lemma 4 (eq. 24), Lemma 7's R and Lemma 6.2",
             "Õ(φ/√n) + O(log(1/δ)/√n)",
             "(R² + log 1/δ)/√n with R = max(T^16, Õ(T·Σ_{t=d}^T √φ)) = max(T^16, Õ(T²√φ))",
             Est((T**32 + T**4 * phi + L) / sp.sqrt(n), (phi + L) / sp.sqrt(n), BASE + PHI),
             fix=("bound", (T**32 + T**4 * phi + L) / sp.sqrt(n)),
             survives=(Est((T**32 + T**4 * phi + L) / sp.sqrt(n), eps, BASE + PHI + SMALL_EPS,
                           "the corrected bound is below ε for n polynomial", repair_on="n"),),
             note=("reading: App. C says Theorem 3 holds for Algorithm 2 with Lemma 4 in place of Wang et al.'s "
                   "Lemma 14; Lemma 4 needs R = Ω(T^16), Lemma 7 gives R = Õ(T Σ_t √(yᵀH⁻¹y)), Lemma 6.2 "
                   "√(yᵀH⁻¹y) = O(√φ); Õ hides logarithms only; " + EXT_WANG)),
        Step("PC", "eq. 27", "the chain rule for the logistic loss", "−y e^{−yf}/(1 + e^{−yf})",
             "d/df log(1 + e^{−yf})",
             Exact(lambda: sp.simplify(sp.diff(sp.log(1 + sp.exp(-y * f)), f)
                                       + y * sp.exp(-y * f) / (1 + sp.exp(-y * f))), "eq", 0,
                   "d/df log(1+e^{-yf}) − (printed)")),
        Step("PC", "eq. 28 (coefficient)", "0 ≤ x/(1+x) ≤ 1 for x ≥ 0", "≤ 1", "sup_{x≥0} x/(1+x)",
             Exact(lambda: sp.maximum(x / (1 + x), x, sp.Interval(0, sp.oo)), "le", 1, "sup_{x≥0} x/(1+x)")),
        Step("PC", "eq. 28", "‖∇ℓ‖_F / max_t ‖∇f_t‖_F", "≤ 1",
             "eq. 27 averages T − d + 1 terms with weight 1/(T − d): sup_{k=T−d≥1} (k+1)/k",
             Exact(lambda: sp.maximum((kk + 1) / kk, kk, sp.Interval(1, sp.oo)), "le", 1,
                   "sup over k = T − d ≥ 1 of (k+1)/k"),
             fix=("exact", Exact(lambda: sp.maximum((kk + 1) / kk, kk, sp.Interval(1, sp.oo)), "le", 2,
                                 "sup over k = T − d ≥ 1 of (k+1)/k (corrected constant 2)"),
                  "‖∇ℓ‖_F ≤ ((T−d+1)/(T−d)) max_t ‖∇f_t‖_F ≤ 2 max_t ‖∇f_t‖_F"),
             note="the coefficients are < 1 but tend to 1; O(·) is unchanged (an absolute constant)"),
        Step("PC", "eq. 29 (Lemma 10's ball)", "‖W^(k) − W^(0)‖_F inside Lemma 10's B(W0, poly(T)/√m)",
             "O(T^8/√m) radius", "k T^8/(m√n) ≤ √n T^8/m",
             Est(DN, T**8 / sp.sqrt(m), LEMMA4 + M4)),
        Step("PC", "eq. 29 (m* ≳ √n T^8)", "Lemma 10 along the induction", "max_t ‖∇f_t‖_F = O(T^8)",
             "T^8 ‖W − W0‖_F + T^4 with ‖W − W0‖_F ≤ √n T^8/m",
             Est(T**8 * Dl + T**4, T**8, LEMMA4 + M4 + DELTA),
             context=(Est(grad75.subs(Dl, DN), T**8, LEMMA4 + M4,
                          "with eq. 75 as re-derived in PE (T(T^7Δ + T^3)(T^6Δ + T))", repair_on="m"),)),
        Step("PC", "eq. 29 (m* ≳ T^6 log³(nT/δ))", "Lemma 10's failure probability over the n samples z_k and "
             "T − d positions", "m* = Ω(T^6 log³(nT/δ)) makes it ≤ δ",
             "nT e^{−Ω(m^{1/3}/T²)} ≤ δ ⇔ log(nT/δ) ≲ m^{1/3}/T²",
             Est(sp.log(n * T * Dinv), m**third / T**2, BASE + M4),
             note="union over the n sampled z_k and the T − d positions; " + READ_UNION),
        Step("PC", "eq. 29 (σ term)", "‖σ_k‖_F", "O(1/m) (eq. 29: η O(T^8 + 1/m))", "m ‖σ_k‖_∞ < mσ",
             Est(m * sig, 1 / m, BASE + SIGMA),
             fix=("bound", sp.Integer(1)),
             survives=(Est(T**8 + m * sig, T**8, BASE + SIGMA, "the step ‖W^(k+1) − W^(k)‖_F = η O(T^8)"),),
             note=READ_SIGMA),
        Step("PC", "eq. 29 (second form)", "η O(T^8 + 1/m)", "T^8/(m√n) + 1/(m²√n)", "η = 1/(m√n)",
             Exact(lambda: sp.simplify(eta * (T**8 + 1 / m) - (T**8 / (m * sp.sqrt(n)) + 1 / (m**2 * sp.sqrt(n)))),
                   "eq", 0, "η(T^8 + 1/m) − (printed)")),
        Step("PC", "eq. 29 (induction)", "Σ_{k=0}^{i} ‖W^(k+1) − W^(k)‖_F", "(i+1) T^8/(m√n)",
             "i + 1 steps of T^8/(m√n) (eq. 25)",
             Exact(lambda: sp.simplify(sp.summation(T**8 / (m * sp.sqrt(n)), (kk, 0, symbol("i")))
                                       - (symbol("i") + 1) * T**8 / (m * sp.sqrt(n))), "eq", 0,
                   "Σ_{k=0}^{i} T^8/(m√n) − (printed)")),
        Step("PC", "eq. 30 (convexity)", "the logistic loss is convex in f (first-order bound of eq. 30)",
             "ℓ(f₁) − ℓ(f₂) ≤ ℓ'(f₁)(f₁ − f₂)", "inf_x d²/dx² log(1 + e^{−x}) = inf e^x/(1+e^x)²",
             Exact(lambda: sp.minimum(sp.simplify(sp.diff(sp.log(1 + sp.exp(-x)), x, 2)), x, sp.Reals), "ge", 0,
                   "inf_x d²/dx² log(1+e^{-x})")),
        Step("PC", "eq. 31 (radius)", "‖W^(i) − W^(0)‖_F for Lemma 8 with r = R/√m", "O(R/√m) (m* > n)",
             "√n T^8/m", Est(DN, R / sp.sqrt(m), LEMMA4 + M4)),
        Step("PC", "eq. 32-33", "Shalev-Shwartz & Ben-David Lemma 14.1 (one step)",
             "<g, w − w*> = (‖w − w*‖² − ‖w − ηg − w*‖²)/(2η) + η‖g‖²/2", "expanded in sympy (2-d vectors)",
             Exact(_ssbd_identity, "eq", 0, "left − right")),
        Step("PC", "eq. 37 (first term)", "‖W^(1) − W*‖²_F / (2η)", "O(R² + T^16)/(2ηm)",
             "(T^8/(m√n) + R/√m)² m√n/2",
             Est((T**8 / (m * sp.sqrt(n)) + R / sp.sqrt(m))**2 * m * sp.sqrt(n), (R**2 + T**16) * sp.sqrt(n),
                 LEMMA4)),
        Step("PC", "eq. 37 (second term)", "(η/2) Σ_i ‖∇ℓ + σ_i‖²_F", "(ηn/2) O(T^8 + 1)²",
             "(ηn/2)(T^8 + mσ)² (eq. 28, Lemma 10, ‖σ_i‖_F < mσ)",
             Est(eta * n * (T**8 + m * sig)**2, eta * n * (T**8 + 1)**2, BASE + SIGMA)),
        Step("PC", "eq. 38 (Lemma 8 term)", "O((R/√m)^{1/3} T^10 √m log m) Σ_i ‖W^(i) − W*‖_F",
             "O((R/√m)^{1/3} T^10 n log m)(R + n T^8)", "Σ_i ‖W^(i) − W*‖_F ≤ n^{3/2}T^8/m + nR/√m",
             Est(lin * sum_w, (R / sp.sqrt(m))**third * T**10 * n * sp.log(m) * (R + n * T**8), LEMMA4)),
        Step("PC", "eq. 38 (σ term)", "Σ_i |<σ_i, W^(i) − W*>|", "O(m^{−3/2}(n² T^8 + nR))",
             "‖σ_i‖_F Σ_i ‖W^(i) − W*‖_F (Cauchy-Schwarz) with ‖σ_i‖_F < mσ",
             Est(m * sig * sum_w, m**sp.Rational(-3, 2) * (n**2 * T**8 + n * R), LEMMA4 + SIGMA + M4),
             fix=("bound", sum_w),
             survives=(Est(sum_w, R**2 * sp.sqrt(n), LEMMA4 + M4, "the corrected σ term is O(R²√n)"),),
             context=(Est(sig * sum_w, m**sp.Rational(-3, 2) * (n**2 * T**8 + n * R), LEMMA4 + SIGMA + M4,
                          "with eq. 29's printed ‖σ_i‖_F ≤ σ"),),
             note=READ_SIGMA),
        Step("PC", "eq. 39 (first terms)", "eq. 37's two terms", "O(R²√n)", "R = Ω(T^16), m ≥ 1",
             Est((R**2 + T**16) * sp.sqrt(n) + eta * n * (T**8 + 1)**2, R**2 * sp.sqrt(n), LEMMA4)),
        Step("PC", "eq. 39 (σ term)", "O(m^{−3/2}(n²T^8 + nR))", "O(m^{−3/2} n² R)", "R = Ω(T^16)",
             Est(m**sp.Rational(-3, 2) * (n**2 * T**8 + n * R), m**sp.Rational(-3, 2) * n**2 * R, LEMMA4)),
        Step("PC", "eq. 39 (m*/log³m* > n^{3/2})", "eq. 38's Lemma 8 term under the printed m*",
             "m*/log³m* > n^{3/2} makes it O(R²√n)",
             "(R/√m)^{1/3} T^10 n log m (R + nT^8) against R²√n",
             Est((R / sp.sqrt(m))**third * T**10 * n * sp.log(m) * (R + n * T**8), R**2 * sp.sqrt(n), LEMMA4 + M4),
             fix=("condition", "m"),
             context=(Est(lin * sum_w, R**2 * sp.sqrt(n), LEMMA4 + M4,
                          "with the tighter Σ_i ‖W^(i) − W*‖_F ≤ n^{3/2}T^8/m + nR/√m", repair_on="m"),),
             note="the lemma only asserts m* = poly(n, R, T, 1/δ): a corrected polynomial m* keeps it"),
        Step("PC", "eq. 40", "(1/n) Σ_i L_i(W^(i))", "O(R²/√n)", "(Σ_i L_i(W*) + O(R²√n))/n, L_i(W*) ≤ (1+R²)/n",
             Est((1 + R**2 + R**2 * sp.sqrt(n)) / n, R**2 / sp.sqrt(n), LEMMA4)),
        Step("PC", "eq. 41 (=)", "max_x max_t |f_t| by Lemma 9", "O(T^14 √(n/m) + T)", "T^6 √n T^8/m + T",
             Est(T**6 * Dl + T, T**14 * sp.sqrt(n / m) + T, LEMMA4 + M4 + DELTA)),
        Step("PC", "eq. 41 (≤)", "O(T^14 √(n/m) + T)", "O(T^14)", "m* > n",
             Est(T**14 * sp.sqrt(n / m) + T, T**14, LEMMA4 + M4)),
        Step("PC", "eq. 41 (probability)", "Lemma 9's eq. 74 (all 2^d inputs) under the printed m*",
             "m* = Ω(max{T^6 log³(nT/δ), √n T^8}), m* > n make it hold with probability ≥ 1 − δ",
             "e^{O(T) − Ω(m^{1/3}/T²)} ≤ δ ⇔ T + log(1/δ) ≲ m^{1/3}/T²",
             Est(T + L, m**third / T**2, LEMMA4 + M4), fix=("condition", "m"), note=READ_UNION),
        Step("PC", "eq. 41 (loss bound)", "log(1 + e^{O(T^14)}) ≤ C T^14", "log(1+e^x) ≤ x + log 2",
             "min_{x≥0} (x + log 2 − log(1+e^x))",
             Exact(lambda: sp.minimum(x + sp.log(2) - logloss_T14, x, sp.Interval(0, sp.oo)), "ge", 0,
                   "min_{x≥0} x + log 2 − log(1+e^x)")),
        Step("PC", "eq. 46", "the conditional variance by the mean", "l² ≤ C T^14 l for 0 ≤ l ≤ C T^14",
             "l = C T^14 u, u ∈ [0, 1]: min (u − u²)",
             Exact(lambda: sp.minimum(u - u**2, u, sp.Interval(0, 1)), "ge", 0, "min_{u∈[0,1]} u − u²")),
        Step("PC", "eq. 50", "dividing eq. 49 by 1 − (e − 2)", "1/(3 − e)", "3 − e > 0",
             Exact(lambda: 3 - sp.E, "gt", 0, "3 − e"), note="external: Ji & Telgarsky (2020) Lemma C.2"),
        Step("PC", "eq. 51", "eq. 50's right side", "O(R²√n) + O(R ln(1/δ))",
             "(1/(3−e)) O(R²√n) + O(T^14) ln(1/δ), R = Ω(T^16)",
             Est(R**2 * sp.sqrt(n) + T**14 * L, R**2 * sp.sqrt(n) + R * L, LEMMA4)),
        Step("PC", "eq. 24 (from eq. 51)", "(1/n) Σ_i E_x[l]", "O((R² + log(1/δ))/√n)", "(R²√n + R log(1/δ))/n",
             Est((R**2 * sp.sqrt(n) + R * L) / n, (R**2 + L) / sp.sqrt(n),
                 (*LEMMA4, ge(n, R ** 4, "n ≳ R^4 (reading)"))),
             context=(Est((R**2 * sp.sqrt(n) + R * L) / n, (R**2 + L) / sp.sqrt(n), LEMMA4,
                          "without the reading n ≳ R^4"),),
             note=("reading: eq. 24 bounds an average of 0-1 losses (≤ 1), so it says something only for "
                   "n ≳ R^4; without that reading the R log(1/δ)/n term is not O((R² + log 1/δ)/√n)")),
        Step("PC", "eq. 24 (0-1 loss)", "l_{0-1} ≤ l / log 2", "log(1 + e^{−x}) ≥ log 2 for x ≤ 0",
             "min_{x≤0} log(1 + e^{−x})",
             Exact(lambda: sp.minimum(sp.log(1 + sp.exp(-x)), x, sp.Interval(-sp.oo, 0)), "ge", sp.log(2),
                   "min_{x≤0} log(1+e^{-x})")),
        Step("PC", "Lemma 8 (probability)", "O(n) e^{−Ω(m^{1/3})} under the printed m*", "≤ δ",
             "log(n/δ) ≲ m^{1/3}", Est(sp.log(n * Dinv), m**third, BASE + M4),
             note="external: Wang et al. (2021) Theorem 13 with footnote 14's stronger probability, assumed"),
        Step("PC", "m* (Lemma 4, all conditions)", "every width condition the chain needs",
             "m* = Ω(max{T^6 log³(nT/δ), √n T^8}), m* > n, m*/log³m* > n^{3/2}",
             "T^6 log³(nT/δ) (eq. 29), √n T^11 (eq. 29 with eq. 75 as re-derived in PE), T^9 (eq. 41), n (eq. 31), "
             "n^9 log⁶m (eq. 39)",
             Est(M4_NEEDED, m, LEMMA4 + M4), fix=("condition", "m"),
             survives=(Est(M4_NEEDED.subs(sp.log(m), sp.log(n)), (n * T * Dinv)**11, BASE,
                           "the corrected m* is poly(n, T, 1/δ) (log m ≲ log n at m = n^10)"),),
             note="the lemma asserts only m* = poly(n, R, T, 1/δ): that survives; the exponents change"),
        # ------------------------------------------------------------------------------------------- PD
        Step("PD", "eq. 53 (radius)", "the SGD run of n' = max(n, ln²(1/δ)) steps stays in B(W0, T^8/√m)",
             "m > max{n², ln⁴(1/δ)}", "√n' T^8/m ≲ T^8/√m",
             Est(sp.sqrt(n + L**2) * T**8 / m, T**8 / sp.sqrt(m),
                 (*BASE, ge(m, n ** 2, "m > n²"), ge(m, L ** 4, "m > ln⁴(1/δ)")))),
        Step("PD", "eq. 53 (bound)", "min_i E_x[l(W^(i))] ≤ mean over the n' SGD steps", "O(R²/√n)",
             "(R²√n' + R ln(1/δ))/n' (eq. 51) with n' = n + ln²(1/δ)",
             Est((R**2 * sp.sqrt(n + L**2) + R * L) / (n + L**2), R**2 / sp.sqrt(n), LEMMA4)),
        Step("PD", "eq. 53 (width)", "Lemma 4's own m* for the n'-step SGD run", "m > max{n², ln⁴(1/δ)}",
             "m ≳ √n' T^8 and m ≳ T^6 log³(n'T/δ) (eq. 29), n' = n + ln²(1/δ)",
             Est(sp.sqrt(n + L**2) * T**8 + T**6 * sp.log(n * T * Dinv)**3, m,
                 (*LEMMA4, ge(m, n ** 2, "m > n²"), ge(m, L ** 4, "m > ln⁴(1/δ)"))),
             fix=("condition", "m"),
             note="log(n'T/δ) ≲ log(nT/δ); Lemma 5's own m* is the max of all its conditions, which is poly"),
        Step("PD", "eq. 58 (m* ≳ T^7 log³(nT/δ))", "Lemma 10 for E_x over all 2^d inputs, T − d positions and "
             "n iterates", "m* = Ω(max{T^7 log³(nT/δ), √n T^8}) makes the failure probability ≤ δ",
             "e^{O(T) − Ω(m^{1/3}/T²)} nT ≤ δ ⇔ T + log(nT/δ) ≲ m^{1/3}/T²",
             Est(T + sp.log(n * T * Dinv), m**third / T**2, BASE + M5), fix=("condition", "m"), note=READ_UNION),
        Step("PD", "eq. 58 (m* ≳ √n T^8)", "Lemma 10 along the induction", "E_x ‖∇f_t‖_F = O(T^8)",
             "T^8 √n T^8/m + T^4", Est(T**8 * DN + T**4, T**8, BASE + M5)),
        Step("PD", "eq. 58 (σ term)", "‖σ_k‖_F", "O(1) (η O(T^8 + 1))", "m ‖σ_k‖_∞ < mσ",
             Est(m * sig, 1, BASE + SIGMA), note=READ_SIGMA),
        Step("PD", "eq. 58 (second form)", "η O(T^8 + 1)", "T^8/(m√n) + 1/(m²√n)", "η = 1/(m√n)",
             Exact(lambda: sp.simplify(eta * (T**8 + 1) - (T**8 / (m * sp.sqrt(n)) + 1 / (m**2 * sp.sqrt(n)))),
                   "eq", 0, "η(T^8 + 1) − (printed)"),
             fix=("exact", Exact(lambda: sp.simplify(eta * (T**8 + 1) - (T**8 / (m * sp.sqrt(n))
                                                                       + 1 / (m * sp.sqrt(n)))),
                                 "eq", 0, "η(T^8 + 1) − (T^8/(m√n) + 1/(m√n))"),
                  "η O(T^8 + 1) = O(T^8/(m√n) + 1/(m√n))"),
             survives=(Est(1 / (m * sp.sqrt(n)), T**8 / (m * sp.sqrt(n)), BASE,
                           "the induction's O((i+1)T^8/(m√n)) is unchanged"),)),
        Step("PD", "eq. 60 (radius)", "‖W^(i) − W^(0)‖_F for Lemma 11 with r = T^8/√m", "O(T^8/√m) (m* > n)",
             "√n T^8/m", Est(DN, T**8 / sp.sqrt(m), BASE + M5)),
        Step("PD", "Lemma 11 (probability)", "e^{O(T log T) − Ω(m^{1/3})} under the printed m*", "≤ δ",
             "T log T + log(1/δ) ≲ m^{1/3}", Est(T * sp.log(T) + L, m**third, BASE + M5)),
        Step("PD", "eq. 65 (first term)", "‖W^(1) − W~‖²_F/(2η)", "O(T^16)/(2ηm)", "(T^8/(m√n) + T^8/√m)² m√n/2",
             Est((T**8 / (m * sp.sqrt(n)) + T**8 / sp.sqrt(m))**2 * m * sp.sqrt(n), T**16 * sp.sqrt(n), BASE)),
        Step("PD", "eq. 66 (Lemma 11 term)", "O((T^8/√m)^{1/3} T^10 √m log m) Σ_i ‖W^(i) − W~‖_F",
             "O((T^8/√m)^{1/3} T^10 n log m)(2nT^8)", "Σ_i ‖W^(i) − W~‖_F ≤ n(√n T^8/m + T^8/√m)",
             Est(lin_d * sum_wd, (T**8 / sp.sqrt(m))**third * T**10 * n * sp.log(m) * n * T**8, BASE + M5)),
        Step("PD", "eq. 66 (σ term)", "Σ_i |<σ_i, W^(i) − W~>|", "O(m^{−3/2} n² T^8)",
             "‖σ_i‖_F Σ_i ‖W^(i) − W~‖_F with ‖σ_i‖_F < mσ",
             Est(m * sig * sum_wd, m**sp.Rational(-3, 2) * n**2 * T**8, LEMMA4 + SIGMA + M5),
             fix=("bound", sum_wd),
             survives=(Est(sum_wd, R**2 * sp.sqrt(n), LEMMA4 + M5, "the corrected σ term is O(R²√n)"),),
             note=READ_SIGMA),
        Step("PD", "eq. 67 (algebra)", "(T^8/√m)^{1/3} T^10 n log m · 2nT^8", "O(m^{−1/6} T^{62/3} n² log m)",
             "expanded in sympy",
             Exact(lambda: sp.simplify((T**8 / sp.sqrt(m))**third * T**10 * n * sp.log(m) * 2 * n * T**8
                                       - 2 * m**(-sixth) * T**sp.Rational(62, 3) * n**2 * sp.log(m)), "eq", 0,
                   "left − right")),
        Step("PD", "eq. 67 (first terms)", "eq. 65's two terms", "O(T^16 √n)", "η = 1/(m√n)",
             Est(T**16 * sp.sqrt(n) + eta * n * (T**8 + 1)**2, T**16 * sp.sqrt(n), BASE)),
        Step("PD", "eq. 67 (m*/log³m* > n^{9/2})", "eq. 67's remaining terms under the printed m*",
             "m*/log³m* > n^{9/2} makes them O(R²√n)",
             "m^{−1/6} T^{62/3} n² log m + m^{−3/2} n² T^8 against R²√n",
             Est(m**(-sixth) * T**sp.Rational(62, 3) * n**2 * sp.log(m) + m**sp.Rational(-3, 2) * n**2 * T**8,
                 R**2 * sp.sqrt(n), LEMMA4 + M5),
             fix=("condition", "m"),
             note="the lemma only asserts m* = poly(n, R, T, 1/δ): a corrected polynomial m* keeps it"),
        Step("PD", "eq. 68", "(1/n) Σ_i E_x[l(W^(i))]", "O(R²/√n)", "(n O(R²/√n) (eq. 53) + O(R²√n))/n",
             Est((n * R**2 / sp.sqrt(n) + R**2 * sp.sqrt(n)) / n, R**2 / sp.sqrt(n), LEMMA4)),
        Step("PD", "m* (Lemma 5, all conditions)", "every width condition the chain needs",
             "m* = Ω(max{T^7 log³(nT/δ), √n T^8}), m* > max{n², ln⁴(1/δ)}, m*/log³m* > n^{9/2}",
             "T^9 and T^6 log³(nT/δ) (eq. 58), √n' T^11 (eq. 58 with eq. 75 as re-derived in PE, and the SGD run of "
             "eq. 53 with n' = n + ln²(1/δ)), n'^9 log⁶m (eq. 39 for that run, eq. 67), n², ln⁴(1/δ)",
             Est(M5_NEEDED, m, LEMMA4 + M5 + (ge(m, n**2, "m > n²"), ge(m, L**4, "m > ln⁴(1/δ)"))),
             fix=("condition", "m"),
             survives=(Est(M5_NEEDED.subs(sp.log(m), sp.log(n * Dinv)), (n * T * Dinv)**20, BASE,
                           "the corrected m* is poly(n, T, 1/δ)"),),
             note="the lemma asserts only m* = poly(n, R, T, 1/δ): that survives; the exponents change"),
        # ------------------------------------------------------------------------------------------- PE
        Step("PE", "eq. 73", "|f_t| ≤ ‖B‖₂ (‖h_t^{W0}‖ + ‖h_t^W − h_t^{W0}‖)", "O(T^6 ‖W − W0‖_F + t)",
             "O(1)(O(t) + O(T^6 Δ)) (Allen-Zhu et al. B.3, C.2.a; ‖B‖₂ = O(1))",
             Est(t + T**6 * Dl, T**6 * Dl + t, BASE),
             note="external: Allen-Zhu et al. (2019) Lemmas B.3, C.2.a; Bandeira & Van Handel (2016)"),
        Step("PE", "Lemma 9 (probability)", "‖B‖₂ = O(1) fails with e^{−Ω(m)}, the h_t bounds with "
             "e^{−Ω(m^{1/3}/T²)}", "1 − e^{−Ω(m^{1/3}/T²)}", "e^{−Ω(m)} ≤ e^{−Ω(m^{1/3}/T²)} ⇔ m^{1/3}/T² ≲ m",
             Est(m**third / T**2, m, BASE)),
        Step("PE", "eq. 74", "max over x and d < t ≤ T", "O(T^6 Δ + T)", "eq. 73 with t ≤ T",
             Est(T**6 * Dl + t, T**6 * Dl + T, BASE)),
        Step("PE", "eq. 74 (probability)", "union over the 2^d inputs and T − d positions",
             "1 − e^{−O(T) − Ω(m^{1/3}/T²)}", "1 − 2^d T e^{−Ω(m^{1/3}/T²)} = 1 − e^{O(T) − Ω(m^{1/3}/T²)}; "
             "the printed form needs O(T) + O(T) ≲ m^{1/3}/T²",
             Est(T, m**third / T**2, BASE), fix=("condition", "m"), note=READ_UNION),
        Step("PE", "eq. 75", "‖∇_W f_t‖_F from eq. 76", "O(T^8 ‖W − W0‖_F + T^4)",
             "Σ_{i≤t} ‖Π(WᵀD_j)‖₂ ‖B‖₂ ‖D_i‖₂ ‖h_i‖ ≤ T (T^7Δ + T^3)(T^6Δ + T)",
             Est(grad75, T**8 * Dl + T**4, BASE),
             fix=("bound", grad75_fix),
             survives=(Est(grad75_fix.subs(Dl, DN), T**8, BASE,
                           "Lemma 4/5's max_t ‖∇f_t‖_F = O(T^8) along the induction", repair_on="m"),),
             note=("ingredients as the proof cites them: ‖h_i‖ = O(T^6Δ + i) (Lemma 9's proof), "
                   "‖Π_j WᵀD_j‖₂ = O(T^7Δ + T^3) (Allen-Zhu et al. B.11, C.9.d), ‖B‖₂ = O(1), ‖D_i‖₂ ≤ 1, "
                   "t ≤ T terms")),
        Step("PE", "Lemma 10 (probability)", "the three events of eq. 75's proof", "1 − e^{−Ω(m^{1/3}/T²)}",
             "e^{−Ω(m)} + 2e^{−Ω(m^{1/3}/T²)} ⇔ m^{1/3}/T² ≲ m", Est(m**third / T**2, m, BASE)),
        Step("PE", "Lemma 10 (all x, t)", "union over the 2^d inputs and T − d positions",
             "1 − e^{−O(T) − Ω(m^{1/3}/T²)}", "1 − e^{O(T) − Ω(m^{1/3}/T²)}; the printed form needs "
             "T ≲ m^{1/3}/T²", Est(T, m**third / T**2, BASE), fix=("condition", "m"), note=READ_UNION),
        Step("PE", "Lemma 11 (probability)", "Lemma 8 over all 2^d inputs (n = 2^d)", "1 − e^{O(T log T) − Ω(m^{1/3})}",
             "O(2^d) e^{−Ω(m^{1/3})} = e^{O(T) − Ω(m^{1/3})}: needs T ≲ T log T", Est(T, T * sp.log(T), BASE),
             note="external: Wang et al. (2021) Theorem 13 (Lemma 8) with footnote 14, assumed"),
        # ------------------------------------------------------------------------------------------- P2
        Step("P2", "eq. 7 (sum over t)", "(1/n) Σ_i Σ_{t=d}^T E[l_{0-1}]", "(T − d) × eq. 23's average",
             "eq. 23 divides by n(T − d)",
             Exact(lambda: sp.simplify(symbol("S") / n - (T - d) * symbol("S") / (n * (T - d))), "eq", 0,
                   "(1/n)S − (T−d) S/(n(T−d))"),
             note="Lemma 1 (eq. 5) holds for any W: final error ≤ Σ_t (union bound, as App. A)"),
        Step("P2", "eq. 7 (n)", "(T − d) · eq. 23's bound < ε", "n > Õ(((φ + log 1/δ)/ε)²)",
             "k(φ + log 1/δ)/√n < ε with k = T − d (Lemma 1's sum)",
             Est(k * (phi + L) / sp.sqrt(n), eps,
                 BASE + PHI + SMALL_EPS + large("k") + (ge(n, (phi + L)**2 / eps**2, "n ≳ ((φ + log 1/δ)/ε)²"),)),
             fix=("condition", "n"),
             context=(Est(k * (T**32 + T**4 * phi + L) / sp.sqrt(n), eps,
                          BASE + PHI + SMALL_EPS + large("k"), "with eq. 23 as re-derived in PC", repair_on="n"),),
             note=("k = T − d is the number of supervised positions (T − d = d/2 − 2 for the parity tree); Õ "
                   "hides logarithms only, so k² is not absorbed")),
        # ------------------------------------------------------------------------------------------- PF
        Step("PF", "|H|", "the size of the parity class", "C(d, d/2)", "counted for d = 8",
             Exact(lambda: sp.Integer(len(list(itertools.combinations(range(8), 4)))), "eq", sp.binomial(8, 4),
                   "#{size-4 subsets of [8]}")),
        Step("PF", "C(n, k) > (n/k)^k", "for every 1 ≤ k < n (the proof's inequality)", "strict",
             "#{(n, k): C(n, k) ≤ (n/k)^k, 1 ≤ k < n ≤ 40}",
             Exact(lambda: sp.Integer(sum(_b(a, b) <= Fraction(a, b)**b for a in range(2, 41)
                                          for b in range(1, a))), "eq", 0, "#violations of the strict form"),
             fix=("exact", Exact(lambda: sp.Integer(sum(_b(a, b) < Fraction(a, b)**b for a in range(2, 41)
                                                        for b in range(1, a))), "eq", 0,
                                 "#violations of C(n, k) ≥ (n/k)^k"), "C(n, k) ≥ (n/k)^k (equality at k = 1)"),
             survives=(Exact(lambda: min(sp.Rational(_b(a, a // 2), 2**(a // 2)) for a in SAMPLE_D), "ge", 1,
                             "min over even d ≤ 256 of |H| / 2^{d/2}"),),
             note="equality at k = 1: C(n, 1) = n"),
        Step("PF", "|H| = Ω(e^d)", "liminf |H| e^{−d} > 0", "|H| = Ω(e^d)", "|H| ≤ 2^d: |H| e^{−d} ≤ (2/e)^d → 0",
             Exact(lambda: sp.limit((2 / sp.E)**dd, dd, sp.oo), "gt", 0, "lim (2/e)^d (≥ limsup |H| e^{-d})"),
             fix=("exact", Exact(lambda: min(sp.Rational(_b(a, a // 2), 2**a) * sp.sqrt(2 * a) for a in SAMPLE_D),
                                 "ge", 1, "min over even d ≤ 256 of |H| √(2d)/2^d (|H| = Θ(2^d/√d))"),
                  "|H| = Θ(2^d/√d) ≥ 2^d/√(2d): Ω(2^{d/2}), not Ω(e^d)"),
             survives=(Exact(lambda: min(sp.Rational(_b(a, a // 2), 2**(a // 2)) for a in SAMPLE_D), "ge", 1,
                             "min over even d ≤ 256 of |H|/2^{d/2} (still exponential)"),),
             context=(Exact(lambda: max(sp.Rational(_b(a, a // 2), 2**a) for a in SAMPLE_D), "le", 1,
                            "max over even d ≤ 256 of |H|/2^d"),)),
        Step("PF", "Lemma 14", "sup_w Var(H, F, w) from eq. 90", "O(|H|^{−1})",
             "|H|^{−1} G with G = E_x‖∂p_w/∂w‖² = O(poly(d)) (Lemma 14's assumption)",
             Est(G / H, 1 / H, (*large("G", "|H|"),)),
             fix=("bound", G / H),
             survives=(Exact(lambda: sp.limit(dd**10 * 2**(-dd / 2), dd, sp.oo), "eq", 0,
                             "lim d^10 2^{−d/2} (poly(d)/|H| is still exponentially small, |H| ≥ 2^{d/2})"),),
             note=("G is O(poly(d)) by assumption, not O(1): eq. 90 keeps it and the statement drops it; eq. 90 "
                   "itself is checked numerically under L14")),
        Step("PF", "Lemma 12's ε", "ε = (sup_w Var)^{1/3} with Lemma 14", "O(|H|^{−1/3})",
             "Var = O(|H|^{−1})", Est(Var**third, H**(-third), (ge(1 / H, Var, "Var = O(|H|⁻¹) (Lemma 14)"),))),
        Step("PF", "Theorem 4 (oracle accuracy)", "e^{−d/3} against Lemma 12's Ω(ε), ε ≤ (G/|H|)^{1/3} (eq. 90)",
             "Ω(e^{−d/3})", "|H|^{−1/3} ≥ 2^{−d/3}: e^{−d/3}/ε ≤ (2/e)^{d/3} → 0",
             Exact(lambda: sp.limit((2 / sp.E)**(dd / 3), dd, sp.oo), "gt", 0, "lim (2/e)^{d/3}"),
             fix=("exact", Exact(lambda: min((sp.Rational(_b(a, a // 2), 2**a) * sp.sqrt(a))**third
                                             for a in SAMPLE_D), "gt", 0,
                                 "min over even d ≤ 256 of (2^{−d/3} d^{1/6}) / |H|^{−1/3}"),
                  "accuracy Ω((G/|H|)^{1/3}), at least Ω(2^{−d/3} d^{1/6}) for G ≥ 1, in place of Ω(e^{−d/3})"),
             survives=(Exact(lambda: sp.limit(2**(-dd / 3) * dd**sixth, dd, sp.oo), "eq", 0,
                             "lim 2^{−d/3} d^{1/6} (still exponentially small)"),),
             note=("reading: Lemma 12 applies when the oracle's tolerance is at least a constant times "
                   "ε = (sup Var)^{1/3}, which eq. 90 bounds by (G/|H|)^{1/3} with G = E‖∂p/∂w‖²; to cover every "
                   "network with G ≥ 1 the tolerance must be ≳ |H|^{−1/3} ≥ 2^{−d/3}, and c·e^{−d/3} is below it")),
        Step("PF", "Theorem 4 (probability)", "1 − nε with n = poly(d) (Lemma 12)", "1 − O(e^{−d/3})",
             "nε with ε up to (G/|H|)^{1/3} ≥ 2^{−d/3} (G ≥ 1), n = d: e^{−d/3}/(nε) ≤ (2/e)^{d/3}/d → 0",
             Exact(lambda: sp.limit((2 / sp.E)**(dd / 3) / dd, dd, sp.oo), "gt", 0, "lim (2/e)^{d/3}/d"),
             fix=("exact", Exact(lambda: sp.limit(dd**sp.Rational(9, 2) * 2**(-dd / 3) * sp.exp(dd / 10), dd, sp.oo),
                                 "eq", 0,
                                 "lim d^{9/2} 2^{−d/3} e^{d/10} (n = d, G = d^10: n(G/|H|)^{1/3} ≤ 2^{1/6} d^{9/2} "
                                 "2^{−d/3} is e^{−Ω(d)})"),
                  "1 − O(n (G/|H|)^{1/3}) = 1 − O(n G^{1/3} d^{1/6} 2^{−d/3}) = 1 − e^{−Ω(d)} for n, G = poly(d)"),
             note="n = d stands for any unbounded n = poly(d); Lemma 12's failure probability is nε"),
        Step("PF", "Theorem 4 (loss)", "1/2 − loss = 1/(2α|H|), α → 1 (Lemma 15)", "loss ≥ 1/2 − O(e^{−d})",
             "1/|H| ≥ 2^{−d}: e^{−d} 2α|H| ≤ 2(2/e)^d → 0",
             Exact(lambda: sp.limit(2 * (2 / sp.E)**dd, dd, sp.oo), "gt", 0, "lim 2(2/e)^d"),
             fix=("exact", Exact(lambda: max(sp.Rational(2**a, _b(a, a // 2)) / sp.sqrt(a) for a in SAMPLE_D),
                                 "le", sp.sqrt(2),
                                 "max over even d ≤ 256 of (1/|H|)/(√d 2^{−d}) (gap O(√d 2^{−d}))"),
                  "1/2 − O(√d 2^{−d}) in place of 1/2 − O(e^{−d})"),
             survives=(Exact(lambda: sp.limit(sp.sqrt(dd) * 2**(-dd), dd, sp.oo), "eq", 0,
                             "lim √d 2^{−d} (the loss still tends to 1/2)"),)),
        Step("PF", "eq. 101", "E^{H, 1 − nO(|H|^{−1/3})} at d = 16, n = 1",
             "½(1 − 1/(|H| − max{O(|H|^{2/3})n, |H|−1}))",
             "Lemma 15 at α|H| = |H| − n⌈|H|^{2/3}⌉: ½(1 − 1/max(|H| − a, 1))",
             Exact(lambda: _eq101(16, 1, minimum=False), "eq", _eq101_lemma15(16, 1), "printed eq. 101"),
             fix=("exact", Exact(lambda: _eq101(16, 1, minimum=True), "eq", _eq101_lemma15(16, 1),
                                 "eq. 101 with min in place of max"),
                  "½(1 − 1/(|H| − min{O(|H|^{2/3})n, |H| − 1}))"),
             survives=(Exact(lambda: _eq101_lemma15(16, 1), "ge", sp.Rational(1, 2) - sp.Rational(1, 2**8),
                             "the loss bound at d = 16 (≥ 1/2 − 2^{−d/2})"),),
             note=("the O(·) constant taken as 1 and |H~| = |H| − n⌈|H|^{2/3}⌉ (an integer); with max the "
                   "denominator is min{|H| − n O(|H|^{2/3}), 1} ≤ 1 and the bound collapses to ≤ 0")),
        Step("PF", "Corollary 1", "the iterations Lemma 12 needs for loss ≤ 1/2 − 1/4", "exponential in d",
             "n ≥ (1 − 2/|H|)|H|^{1/3} ≥ (1 − 2^{1−d/2}) 2^{d/6}; against d^10",
             Exact(lambda: sp.limit((1 - 2**(1 - dd / 2)) * 2**(dd / 6) / dd**10, dd, sp.oo), "gt", 10**6,
                   "lim (1 − 2^{1−d/2}) 2^{d/6} / d^10")),
    ]
    return tuple(steps)


# ------------------------------------------------------------------------------------------------ measure
@dataclass(frozen=True)
class Outcome:
    """What one check measured: an estimate's Result (with the repair condition, if any) or an exact value."""

    kind: str  # "est" | "exact"
    what: str
    result: Result | None = None
    condition: str | None = None
    value: Any = None
    relation: str = "eq"
    reference: Any = None


@dataclass(frozen=True)
class StepData:
    step: Step
    printed: Outcome
    corrected: Outcome | None
    corrected_text: str | None
    survives: tuple[Outcome, ...]
    context: tuple[Outcome, ...]


def _witness(value: sp.Expr) -> tuple[sp.Expr, str]:
    """A symbolic difference that did not simplify to a number, evaluated at a point where it is finite and
    nonzero (the symbols, sorted by name, at distinct primes): the exact counterexample to an identity."""
    names = sorted(value.free_symbols, key=str)
    primes = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37]
    for shift in range(4):
        point = {s: primes[(j + shift) % len(primes)] for j, s in enumerate(names)}
        at = sp.nsimplify(sp.simplify(value.subs(point)))
        if at.is_finite and at != 0:
            return at, f" = {show(value)}, at {', '.join(f'{s}={v}' for s, v in point.items())}"
    return sp.Integer(0), f" = {show(value)}"


def _run(check: Est | Exact) -> Outcome:
    if isinstance(check, Exact):
        value = sp.sympify(check.value())
        what = check.what
        if value.free_symbols:
            value, at = _witness(value)
            what += at
        return Outcome("exact", what, value=value, relation=check.relation, reference=sp.sympify(check.reference))
    res = decide_estimate(check.lhs, check.rhs, check.hyps)
    if res.holds is False and check.repair_on:
        cond = weakest_condition(check.lhs, check.rhs, check.hyps, check.repair_on)
        if cond is not None:
            simple = simplify_condition(cond, check.hyps, check.repair_on)
            repaired = decide_estimate(check.lhs, check.rhs, (*check.hyps, ge(symbol(check.repair_on), simple)))
            return Outcome("est", check.what, repaired, f"{check.repair_on} ≳ {show(simple)}")
    return Outcome("est", check.what, res)


def evaluate(step: Step) -> StepData:
    """Measure one step: the printed comparison; if it fails, the corrected one and the survival checks."""
    printed = _run(step.check)
    holds = printed.result.holds if printed.kind == "est" else None
    if printed.kind == "exact":
        holds = compare("", "", printed.value, printed.relation, printed.reference).holds
    corrected, text, survives = None, None, ()
    if not holds and step.fix is not None:
        kind, arg = step.fix[0], step.fix[1]
        if kind == "bound":
            est = step.check
            assert isinstance(est, Est)
            corrected = _run(Est(est.lhs, arg, est.hyps, "corrected bound"))
            text = f"O({show(arg)})"
        elif kind == "condition":
            est = step.check
            assert isinstance(est, Est)
            cond = weakest_condition(est.lhs, est.rhs, est.hyps, arg)
            if cond is not None:
                simple = simplify_condition(cond, est.hyps, arg)
                corrected = Outcome("est", "with the corrected width condition",
                                    decide_estimate(est.lhs, est.rhs, (*est.hyps, ge(symbol(arg), simple))),
                                    f"{arg} ≳ {show(simple)}")
                text = (f"{arg} ≳ {show(simple)} besides the printed conditions"
                        + (f" (weakest: {arg} ≳ {show(cond)})" if simple != cond else ""))
        else:
            corrected = _run(arg)
            text = step.fix[2] if len(step.fix) > 2 else arg.what
        survives = tuple(_run(s) for s in step.survives)
    return StepData(step, printed, corrected, text, survives, tuple(_run(c) for c in step.context))


@dataclass(frozen=True)
class Config:
    """Which chains and steps to check (fields are the CLI flags)."""

    appendix: str = field(default="all", metadata={
        "help": "one chain: C (PC), D (PD), E (PE), F (PF), thm2 (P2), or all",
        "choices": ("all", "C", "D", "E", "F", "thm2")})
    step: str = field(default="", metadata={"help": "only steps whose equation contains this text, e.g. 'eq. 29'"})

    @classmethod
    def quick(cls) -> Config:
        return cls()

    @classmethod
    def full(cls) -> Config:
        return cls()


@dataclass(frozen=True)
class Data:
    steps: tuple[StepData, ...]


def select(config: Config) -> tuple[Step, ...]:
    """The steps of the chosen appendix / step filter; ValueError if none matches."""
    out = [s for s in chains() if config.appendix == "all" or s.id == APPENDIX[config.appendix]]
    if config.step:
        out = [s for s in out if config.step.strip().lower() in s.eq.lower()]
    if not out:
        raise ValueError(f"no step matches --appendix {config.appendix} --step {config.step!r}")
    return tuple(out)


def measure(config: Config) -> Data:
    return Data(tuple(evaluate(s) for s in select(config)))


# ------------------------------------------------------------------------------------------------ decide
def _comparison(o: Outcome, step: Step, role: str, extra_note: str = "") -> Comparison:
    note = "; ".join(x for x in (extra_note, step.note if role in ("printed", "check") else "") if x)
    if o.kind == "exact":
        return compare(o.what, f"{step.eq}", o.value, o.relation, o.reference, role=role, note=note)
    res = o.result
    assert res is not None
    params = {"with": o.condition} if o.condition else {}
    evidence = res.text().split(": ", 1)[-1]
    under = f"under {'; '.join(res.hyps)}" if res.hyps else "no hypotheses"
    quantity = f"{o.what + ': ' if o.what else ''}growth exponent of ({res.lhs})/({res.rhs})"
    measured = res.growth  # None when undecided: the comparison then fails, never holds by accident
    return compare(quantity, step.eq, measured, "le", 0, params=params, role=role,
                   note="; ".join(x for x in (evidence, under, note) if x))


def decide_step(sd: StepData) -> Finding:
    """Rule ``exact`` on one step: the printed comparison; on failure the corrected form and survival."""
    step = sd.step
    comps = [_comparison(sd.printed, step, "printed", f"printed: {step.printed}; derived: {step.derived}")]
    printed_holds = comps[0].holds
    printed_text = corrected_text = None
    survives = None
    if not printed_holds:
        printed_text = step.printed
        if sd.corrected is not None:
            comps.append(_comparison(sd.corrected, step, "corrected", f"corrected: {sd.corrected_text}"))
            corrected_text = sd.corrected_text
        surv = [_comparison(o, step, "check", "conclusion survives") for o in sd.survives]
        comps.extend(surv)
        survives = bool(sd.corrected is not None and comps[1].holds and all(c.holds for c in surv))
    comps.extend(_comparison(o, step, "context") for o in sd.context)
    details = {"derived": step.derived, "printed": step.printed, "note": step.note,
               "estimate": _details(sd.printed)}
    if sd.corrected is not None and not printed_holds:
        details["corrected_estimate"] = _details(sd.corrected)
    return Finding(step.id, "exact", tuple(comps), part=step.eq, scope=step.what, printed=printed_text,
                   corrected=corrected_text, conclusion_survives=survives, details=details)


def _details(o: Outcome) -> dict[str, Any] | None:
    """An estimate's answer as data (JSON-able): sides, hypotheses, certificate or direction."""
    if o.kind != "est" or o.result is None:
        return None
    r = o.result
    return {"lhs": r.lhs, "rhs": r.rhs, "hypotheses": list(r.hyps), "holds": r.holds,
            "growth": None if r.growth is None else str(r.growth), "scale": r.scale,
            "direction": {k: [str(a), str(b)] for k, (a, b) in r.direction.items()},
            "certificate": list(r.certificate), "condition": o.condition}


def decide(data: Data) -> list[Finding]:
    """One finding per step (rule ``exact``), in the chains' order."""
    return [decide_step(sd) for sd in data.steps]


def check(config: Config | None = None) -> list[Finding]:
    """The findings of the selected chains (default: all five)."""
    return decide(measure(config or Config.quick()))


# ------------------------------------------------------------------------------------------------ controls
PLANTS: dict[str, tuple[str, Callable[[Step], Step], str]] = {}


def _plant_rhs(factor: Any) -> Callable[[Step], Step]:
    def plant(s: Step) -> Step:
        est = s.check
        assert isinstance(est, Est)
        return dataclasses.replace(s, check=dataclasses.replace(est, rhs=est.rhs * factor), fix=None)
    return plant


def _plant_exact(value: Callable[[], Any]) -> Callable[[Step], Step]:
    def plant(s: Step) -> Step:
        ex = s.check
        assert isinstance(ex, Exact)
        return dataclasses.replace(s, check=dataclasses.replace(ex, value=value), fix=None)
    return plant


PLANTS = {
    "PC": ("eq. 40", _plant_rhs(1 / sp.sqrt(n)), "eq. 40 printed as O(R²/n) instead of O(R²/√n)"),
    "PD": ("eq. 68", _plant_rhs(1 / sp.sqrt(n)), "eq. 68 printed as O(R²/n) instead of O(R²/√n)"),
    "PE": ("eq. 73", _plant_rhs(1 / T), "eq. 73 with T^5 Δ + t/T in place of T^6 Δ + t"),
    "P2": ("eq. 7 (sum over t)", _plant_exact(lambda: sp.simplify(symbol("S") / n - (T - d + 1) * symbol("S")
                                                                 / (n * (T - d)))),
           "Lemma 1's sum counted as T − d + 1 averages of eq. 23"),
    "PF": ("Lemma 12's ε", _plant_rhs(H**(-sixth)), "ε = O(|H|^{−1/2}) in place of O(|H|^{−1/3})"),
}


def controls(findings: Sequence[Finding]) -> list[Control]:
    """Per ID present in ``findings``: a step that holds, planted with a wrong exponent or factor, through
    the same ``evaluate`` / ``decide_step``."""
    ids = {f.id for f in findings}
    by_eq = {s.eq: s for s in chains()}
    out = []
    for cid, (eq, plant, text) in PLANTS.items():
        if cid not in ids:
            continue
        out.append(Control(cid, text, decide_step(evaluate(plant(by_eq[eq]))), part=eq))
    return out


# ------------------------------------------------------------------------------------------------ CLI
def detail(findings: Sequence[Finding]) -> str:
    """Every step: equation, verdict, printed vs derived, and each comparison's certificate / direction."""
    lines = []
    for f in findings:
        lines.append(f"[{f.id}] {f.part}: {f.verdict} — {f.scope}")
        for c in f.comparisons:
            tag = {"printed": "printed", "corrected": "corrected", "check": "survives", "context": "context"}[c.role]
            mark = "" if c.role == "context" else (" ok" if c.holds else " VIOLATED")
            lines.append(f"    {tag}{mark}: {c.quantity}" + (f" [{', '.join(f'{k}: {v}' for k, v in c.params.items())}]"
                                                          if c.params else ""))
            if c.note:
                lines.append(f"        {c.note}")
        if f.corrected:
            lines.append(f"    => printed {f.printed}; corrected {f.corrected}; conclusion "
                         f"{'survives' if f.conclusion_survives else 'does not survive'}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser("python -m verify.proofs", __doc__, Config)
    args = parser.parse_args(argv)
    findings = check(cli.config(Config, args))
    return cli.emit(findings, args, controls=controls(findings),
                    detail="" if args.json else detail(findings))


if __name__ == "__main__":
    sys.exit(cli.guarded(main))
