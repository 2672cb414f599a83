"""An estimate checker for the appendix's O(·) chains: decide ``X ≲ Y`` under hypotheses (claims PC-PF).

The language (after Tao's ``estimates``, teorth/estimates, re-designed here): positive quantities (the
symbols of a sympy expression: T, m, n, R, d, t, Δ = ‖W − W⁰‖_F, 1/δ, φ, ...), products, rational powers,
sums of positive terms (a sum is comparable to its largest term: ``a + b ≍ max(a, b)``), ``Max``, ``Min``
and logarithms of monomials (``log(n T/δ) ≍ max(log n, log T, log 1/δ)``: a log is a symbol of its own,
``log u``, with two rules, ``log u ≥ 1`` and ``log u ≲_η u^η`` for every η > 0). Numeric factors are
dropped: ``X ≲ Y`` means ``X ≤ C Y`` for a constant C, for every value of the symbols allowed by the
hypotheses. A hypothesis ``A ≳ B`` (``m ≳ n^{3/2} log³ m``, ``R ≳ T^16``, ``1/m ≳ σ``) is a monomial
inequality; ``Max`` on its right side is split into one hypothesis per term.

Normal form. Every expression is ``max_i min_j x_ij`` of monomials x_ij (products distribute over max and
min, a negative power swaps them). In logarithmic coordinates a monomial is a linear form.

Decision (two scales). A direction is ``u = t^{v_u} (log t)^{w_u}`` for every symbol u, t → ∞. A monomial
then grows like ``t^{a·v} (log t)^{a·w + Σ_u b_u [v_u > 0]}`` (a its exponents, b the exponents of its
log factors: ``log u`` is of order ``log t`` exactly when u grows polynomially). Values compare
lexicographically. ``X ≲ Y`` fails iff some admissible direction makes ``X / Y → ∞``: for a piece i of X
and a choice l(k) of one term in each piece k of Y (the case split), every ``x_ij`` must beat every
``y_{k,l(k)}``. For each case and each pattern S of growing log-bases, :func:`decide` finds the cone of
first-scale directions v allowed by the hypotheses (``scipy.optimize.linprog``, HiGHS), its implicit
equalities (the forms that vanish on all of it), and solves the second-scale problem in w for the forms
tied at the first scale. A failure is returned as a counterexample direction, verified exactly in
rationals. When no case fails the estimate holds, and the certificate is the Motzkin/Farkas multipliers
of each case: weights μ on the compared pairs and powers λ of the hypotheses (and of the two log rules)
whose product is an exact identity of monomials, also verified in rationals.

Beyond the decision: :func:`weakest_condition` gives the weakest monomial condition ``m ≳ P`` on one
symbol that makes a failing estimate hold (and :func:`simplify_condition` a simpler sufficient one under the
hypotheses); :func:`holds_for_large` reads the regime hypothesis ``m ≥ poly(n, T)`` (the estimate holds for
m above *some* polynomial iff such a condition exists); :func:`largest_exponent` gives the largest exponent
of one symbol for which an estimate still holds. ``python -m verify.asymptotics LHS RHS --hyp ... --weakest m``
asks one question from the command line.
Exponentials, binomials and probabilities (C(d, d/2), e^{-d/3}, 2^d, union bounds) are not monomials:
``verify.proofs`` handles them exactly with sympy, and compares the *exponents* of probabilities
(``e^{O(T) − Ω(m^{1/3}/T²)}``) with this checker.

Scope of the model: directions with polynomial and one logarithmic scale; ``log log`` factors are not in
the language; a failure that appears only at a third scale is not seen (none of the appendix's estimates
has one).
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp
from scipy.optimize import linprog

Mono = tuple[tuple[str, Fraction], ...]  # sorted (symbol, exponent) pairs, exponents nonzero
Form = tuple[tuple[Mono, ...], ...]  # max over pieces of min over monomials
LOG = "log "  # a log symbol's name: "log m"
ONE: Mono = ()
ETA_MIN = 1e-4  # the log rule log u ≲ u^η is used with η >= ETA_MIN in certificates
_TOL = 1e-9


# ------------------------------------------------------------------------------------------------ monomials
def mono(exps: Mapping[str, Any]) -> Mono:
    """A monomial from ``{symbol: exponent}`` (exponents made Fractions, zeros dropped)."""
    out: dict[str, Fraction] = {}
    for k, v in exps.items():
        f = Fraction(v)
        if f:
            out[k] = out.get(k, Fraction(0)) + f
    return tuple(sorted((k, v) for k, v in out.items() if v))


def mono_mul(a: Mono, b: Mono) -> Mono:
    d = dict(a)
    for k, v in b:
        d[k] = d.get(k, Fraction(0)) + v
    return mono(d)


def mono_pow(a: Mono, p: Fraction) -> Mono:
    return mono({k: v * p for k, v in a})


def mono_div(a: Mono, b: Mono) -> Mono:
    return mono_mul(a, mono_pow(b, Fraction(-1)))


def is_log(name: str) -> bool:
    return name.startswith(LOG)


def log_base(name: str) -> str:
    return name[len(LOG):]


# ------------------------------------------------------------------------------------------------ forms
def _dedupe(pieces: Iterable[tuple[Mono, ...]]) -> Form:
    seen: dict[tuple[Mono, ...], None] = {}
    for p in pieces:
        key = tuple(sorted(set(p)))
        seen.setdefault(key, None)
    return tuple(seen)


def f_mono(m: Mono) -> Form:
    return ((m,),)


def f_mul(a: Form, b: Form) -> Form:
    return _dedupe(tuple(mono_mul(x, y) for x in pa for y in pb) for pa in a for pb in b)


def f_max(*forms: Form) -> Form:
    return _dedupe(p for f in forms for p in f)


def f_min(*forms: Form) -> Form:
    out = forms[0]
    for f in forms[1:]:
        out = _dedupe(pa + pb for pa in out for pb in f)
    return out


def f_pow(a: Form, p: Fraction) -> Form:
    p = Fraction(p)
    if p == 0:
        return f_mono(ONE)
    if p > 0:
        return _dedupe(tuple(mono_pow(x, p) for x in piece) for piece in a)
    # (max_i min_j x_ij)^p = min_i max_j x_ij^p = max over choices j(i) of min_i x_{i j(i)}^p
    return _dedupe(tuple(mono_pow(x, p) for x in choice) for choice in itertools.product(*a))


def form(expr: Any) -> Form:
    """The max-min normal form of a positive sympy expression (numeric factors dropped).

    Raises ValueError for what is not in the language: a non-positive term or factor, a symbolic or
    irrational exponent, exp, a log of a non-monomial.
    """
    e = sp.sympify(expr)
    if e.is_Number:
        if not e.is_positive:
            raise ValueError(f"not a positive quantity: {e}")
        return f_mono(ONE)
    if e.is_Symbol:
        return f_mono(mono({e.name: 1}))
    if e in (sp.E, sp.pi):
        return f_mono(ONE)
    if isinstance(e, sp.Add):
        parts = []
        for a in e.args:
            if a.could_extract_minus_sign():
                raise ValueError(f"a sum with a negative term is not an estimate: {e}")
            parts.append(form(a))
        return f_max(*parts)
    if isinstance(e, sp.Mul):
        out = f_mono(ONE)
        for a in e.args:
            if a.is_Number:
                if not a.is_positive:
                    raise ValueError(f"not a positive quantity: {e}")
                continue
            out = f_mul(out, form(a))
        return out
    if isinstance(e, sp.Pow):
        if e.base == sp.E:
            raise ValueError(f"exponentials are handled exactly, not by the estimate checker: {e}")
        ex = e.exp
        if not (ex.is_Rational):
            raise ValueError(f"only rational exponents: {e}")
        return f_pow(form(e.base), Fraction(int(ex.p), int(ex.q)))
    if isinstance(e, sp.Max):
        return f_max(*(form(a) for a in e.args))
    if isinstance(e, sp.Min):
        return f_min(*(form(a) for a in e.args))
    if isinstance(e, sp.log):
        inner = form(e.args[0])
        if len(inner) != 1 or len(inner[0]) != 1:
            raise ValueError(f"log of a non-monomial: {e}")
        m = inner[0][0]
        if any(v < 0 for _, v in m):
            raise ValueError(f"log of a monomial with a negative exponent (it may be < 1): {e}")
        if any(is_log(k) for k, _ in m):
            raise ValueError(f"log log is not in the language: {e}")
        if not m:
            return f_mono(ONE)
        return f_max(*(f_mono(mono({LOG + k: 1})) for k, _ in m))
    if isinstance(e, sp.exp):
        raise ValueError(f"exponentials are handled exactly, not by the estimate checker: {e}")
    raise ValueError(f"not in the estimate language: {e} ({type(e).__name__})")


def symbol(name: str) -> sp.Symbol:
    return sp.Symbol(name, positive=True)


def mono_expr(m: Mono) -> sp.Expr:
    out = sp.Integer(1)
    for k, v in m:
        base = sp.log(symbol(log_base(k))) if is_log(k) else symbol(k)
        out *= base ** sp.Rational(v.numerator, v.denominator)
    return out


def form_expr(f: Form) -> sp.Expr:
    pieces = [sp.Min(*(mono_expr(x) for x in p)) if len(p) > 1 else mono_expr(p[0]) for p in f]
    return sp.Max(*pieces) if len(pieces) > 1 else pieces[0]


def show(e: Any) -> str:
    """Compact text of an expression: ``T**8/(m*sqrt(n))``."""
    return sp.sstr(sp.sympify(e))


# ------------------------------------------------------------------------------------------------ hypotheses
@dataclass(frozen=True)
class Hyp:
    """A hypothesis ``lhs ≳ rhs`` (``m ≳ n**(3/2) log(m)**3``); ``text`` names it in certificates."""

    lhs: Any
    rhs: Any
    text: str = ""

    def label(self) -> str:
        return self.text or f"{show(self.lhs)} ≳ {show(self.rhs)}"

    def monos(self) -> list[tuple[Mono, str]]:
        """The monomial ratios lhs/rhs ≳ 1 (one per term of a Max/sum on the right, per term of a Min on the
        left)."""
        left, right = form(self.lhs), form(self.rhs)
        if len(left) != 1:
            raise ValueError(f"hypothesis {self.label()}: a max on the larger side is a disjunction")
        if any(len(p) != 1 for p in right):
            raise ValueError(f"hypothesis {self.label()}: a min on the smaller side is a disjunction")
        out = []
        for a in left[0]:
            for (b,) in right:
                out.append((mono_div(a, b), self.label()))
        return out


def ge(lhs: Any, rhs: Any, text: str = "") -> Hyp:
    """The hypothesis ``lhs ≳ rhs``."""
    return Hyp(sp.sympify(lhs), sp.sympify(rhs), text)


def large(*names: str) -> tuple[Hyp, ...]:
    """``u ≳ 1`` for each symbol name (the usual standing assumption on T, m, n, R, 1/δ, ...)."""
    return tuple(ge(symbol(n), 1, f"{n} ≳ 1") for n in names)


# ------------------------------------------------------------------------------------------------ results
@dataclass(frozen=True)
class Result:
    """The answer to ``lhs ≲ rhs`` under hypotheses.

    Attributes:
        holds: True (no admissible direction makes lhs/rhs unbounded), False (one does), None (undecided:
            an LP answer could not be verified exactly).
        growth: the leading growth exponent of lhs/rhs along the worst direction: 0 when it holds, the
            exponent of t (first scale) or, when that is 0, of log t (second scale) along the counterexample.
        scale: "t" or "log t": the scale of ``growth`` for a failure.
        direction: for a failure, each symbol's rate along the counterexample, ``u = t^a (log t)^b``.
        certificate: for a success, one line per case: the hypotheses (and log rules) and their powers.
        cases: how many (piece, choice, log pattern) cases were examined.
    """

    lhs: str
    rhs: str
    hyps: tuple[str, ...]
    holds: bool | None
    growth: Fraction | None
    scale: str = "t"
    direction: Mapping[str, tuple[Fraction, Fraction]] = field(default_factory=dict)
    certificate: tuple[str, ...] = ()
    cases: int = 0

    def direction_text(self) -> str:
        parts = []
        for k, (a, b) in sorted(self.direction.items()):
            if a == 0 and b == 0:
                continue
            s = f"t^{_frac(a)}" if a else ""
            if b:
                s += ("·" if s else "") + f"(log t)^{_frac(b)}"
            parts.append(f"{k} ~ {s}")
        return ", ".join(parts) or "all symbols bounded"

    def text(self) -> str:
        if self.holds:
            cert = "; ".join(self.certificate) if self.certificate else "no single-scale certificate"
            return f"{self.lhs} ≲ {self.rhs}: holds ({cert})"
        if self.holds is None:
            return f"{self.lhs} ≲ {self.rhs}: undecided"
        return (f"{self.lhs} ≲ {self.rhs}: fails, ratio grows like ({self.scale})^{_frac(self.growth)} "
                f"along {self.direction_text()}")


def _frac(f: Fraction | None) -> str:
    if f is None:
        return "?"
    return str(f.numerator) if f.denominator == 1 else f"{f.numerator}/{f.denominator}"


# ------------------------------------------------------------------------------------------------ LP helpers
def _lp(c, a_ub=None, b_ub=None, a_eq=None, b_eq=None, bounds=None):
    res = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    return res


def _relint(ineq: np.ndarray, eq: np.ndarray, k: int) -> tuple[np.ndarray, set[int]] | None:
    """A relative-interior point of the cone {v : ineq @ v >= 0, eq @ v = 0} and the indices of the
    inequality rows that vanish on the whole cone (its implicit equalities).

    One LP maximises Σ_g min(g·v, 1) over a box of half-width 1000: adding any point of the cone never
    decreases a row, so while the box does not bind, every row that can be positive is saturated and a row
    left at 0 is an implicit equality. If the box binds, the LP is repeated on the rows not yet positive.
    """
    remaining = set(range(len(ineq)))
    point = np.zeros(k)
    box = 1e3
    while remaining:
        rem = sorted(remaining)
        r = len(rem)
        c = np.concatenate([np.zeros(k), -np.ones(r)])
        a_ub = np.zeros((r + len(ineq), k + r))
        a_ub[:r, :k] = -ineq[rem]
        a_ub[np.arange(r), k + np.arange(r)] = 1.0
        a_ub[r:, :k] = -ineq
        b_ub = np.zeros(r + len(ineq))
        a_eq = np.hstack([eq, np.zeros((len(eq), r))]) if len(eq) else None
        b_eq = np.zeros(len(eq)) if len(eq) else None
        res = _lp(c, a_ub, b_ub, a_eq, b_eq, [(-box, box)] * k + [(0, 1)] * r)
        if res.status != 0:
            return None
        v = res.x[:k]
        positive = {g for idx, g in enumerate(rem) if res.x[k + idx] > 1e-7}
        point = point + v
        remaining -= positive
        if not positive or np.max(np.abs(v), initial=0.0) < box * (1 - 1e-6):
            break
    return point, remaining


def _level2(rows: list[tuple[np.ndarray, float, bool]], k: int) -> np.ndarray | None:
    """A w with ``a·w + c > 0`` for strict rows and ``>= 0`` for the others, or None (the smallest such w,
    in l1 norm, once the strict margin is fixed)."""
    if not rows:
        return np.zeros(k)
    has_strict = any(s for _, _, s in rows)
    # variables w+ (k), w- (k), s; strict rows: a.w + c >= s; weak rows: a.w + c >= 0; s <= 1
    a_ub, b_ub = [], []
    for a, c0, strict in rows:
        a_ub.append(np.concatenate([-a, a, [1.0 if strict else 0.0]]))
        b_ub.append(c0)
    bounds = [(0, 1e3)] * (2 * k) + [(None, 1)]
    res = _lp(np.concatenate([np.zeros(2 * k), [-1.0]]), np.array(a_ub), np.array(b_ub), None, None, bounds)
    if res.status != 0:
        return None
    margin = -res.fun
    if has_strict and margin <= 1e-7:
        return None
    # second pass: keep half the margin, minimise |w|_1
    bounds = [(0, 1e3)] * (2 * k) + [(margin / 2 if has_strict else None, 1)]
    res = _lp(np.concatenate([np.ones(2 * k), [0.0]]), np.array(a_ub), np.array(b_ub), None, None, bounds)
    if res.status != 0:
        return None
    return res.x[:k] - res.x[k:2 * k]


def _rational(x: float, den: int = 720) -> Fraction:
    return Fraction(x).limit_denominator(den)


# ------------------------------------------------------------------------------------------------ decision
@dataclass(frozen=True)
class _Row:
    main: dict[str, Fraction]
    logs: dict[str, Fraction]  # base -> exponent of log(base)


def _split(m: Mono) -> _Row:
    main: dict[str, Fraction] = {}
    logs: dict[str, Fraction] = {}
    for k, v in m:
        if is_log(k):
            logs[log_base(k)] = logs.get(log_base(k), Fraction(0)) + v
        else:
            main[k] = main.get(k, Fraction(0)) + v
    return _Row(main, logs)


def decide(lhs: Any, rhs: Any, hyps: Sequence[Hyp] = (), *, certificate: bool = True) -> Result:
    """Decide ``lhs ≲ rhs`` under ``hyps`` (cached; see :func:`decide_uncached`)."""
    return _decide_cached(sp.sympify(lhs), sp.sympify(rhs), tuple(hyps), certificate)


@functools.lru_cache(maxsize=4096)
def _decide_cached(lhs: sp.Expr, rhs: sp.Expr, hyps: tuple[Hyp, ...], certificate: bool) -> Result:
    return decide_uncached(lhs, rhs, hyps, certificate=certificate)


def decide_uncached(lhs: Any, rhs: Any, hyps: Sequence[Hyp] = (), *, certificate: bool = True) -> Result:
    """Decide ``lhs ≲ rhs`` under ``hyps`` (see the module docstring for the method).

    Returns a :class:`Result`: holds with a certificate per case, or fails with a counterexample direction
    and the growth exponent of lhs/rhs along it (both verified exactly in rationals).
    """
    x, y = form(lhs), form(rhs)
    hyp_rows: list[tuple[Mono, str]] = [h for hyp in hyps for h in hyp.monos()]
    # every log base gets u ≳ 1 (log u needs u >= e)
    bases = sorted({log_base(k) for f in (x, y) for p in f for mm in p for k, _ in mm if is_log(k)}
                   | {log_base(k) for mm, _ in hyp_rows for k, _ in mm if is_log(k)})
    for b in bases:
        hyp_rows.append((mono({b: 1}), f"{b} ≳ 1 (log {b} ≥ 1)"))
    symbols = sorted({k for f in (x, y) for p in f for mm in p for k, _ in mm if not is_log(k)}
                     | {k for mm, _ in hyp_rows for k, _ in mm if not is_log(k)} | set(bases))
    index = {s: i for i, s in enumerate(symbols)}
    k = len(symbols)

    def vec(d: Mapping[str, Fraction]) -> np.ndarray:
        out = np.zeros(k)
        for s, v in d.items():
            out[index[s]] = float(v)
        return out

    hsplit = [_split(mm) for mm, _ in hyp_rows]
    hvec = np.array([vec(h.main) for h in hsplit]) if hsplit else np.zeros((0, k))
    cases = 0
    certs: list[str] = []
    for piece in x:
        for choice in itertools.product(*y):
            pairs = [(xa, yb) for xa in piece for yb in choice]
            fsplit = [_split(mono_div(xa, yb)) for xa, yb in pairs]
            fvec = np.array([vec(f.main) for f in fsplit])
            used = sorted({b for f in fsplit for b in f.logs} | {b for h in hsplit for b in h.logs})
            # bases forced to 0 on the whole first-scale cone cannot grow in any pattern
            ineq_all = np.vstack([fvec, hvec]) if len(hvec) else fvec
            found = _relint(ineq_all, np.zeros((0, k)), k)
            if found is None:
                free = used
            else:
                free = [b for b in used if abs(found[0][index[b]]) > 1e-9]
            best = None
            for r in range(len(free), -1, -1):
                for grow in itertools.combinations(free, r):
                    cases += 1
                    fail = _case_fails(fvec, fsplit, hvec, hsplit, set(grow), used, index, k)
                    if fail == _UNDECIDED:
                        return Result(show(lhs), show(rhs), tuple(h.label() for h in hyps), None, None,
                                      cases=cases)
                    if fail is not None and (best is None or _rank(fail) > _rank(best)):
                        best = fail
                    if best is not None and best[3] == "t":
                        break
                if best is not None and best[3] == "t":
                    break
            if best is not None:
                v, w, growth, scale = best
                direction = {s: (v[index[s]], w[index[s]]) for s in symbols}
                return Result(show(lhs), show(rhs), tuple(h.label() for h in hyps), False, growth,
                              scale, direction, (), cases)
            if certificate:
                certs.append(_certificate(pairs, hyp_rows))
    return Result(show(lhs), show(rhs), tuple(h.label() for h in hyps), True, Fraction(0), "t", {},
                  tuple(dict.fromkeys(c for c in certs if c)), cases)


_UNDECIDED = "undecided"


def _rank(fail: tuple) -> tuple[int, Fraction]:
    """Failures at the first scale (t) before those at the second (log t); then the faster growth."""
    return (1 if fail[3] == "t" else 0, fail[2])


def _case_fails(fvec, fsplit, hvec, hsplit, grow: set[str], used: list[str], index, k):
    """One case of the split: a verified counterexample (v, w, growth, scale) or None."""
    eq_rows = [np.eye(k)[index[b]] for b in used if b not in grow]
    eq = np.array(eq_rows) if eq_rows else np.zeros((0, k))
    ineq = np.vstack([fvec, hvec]) if len(hvec) else fvec
    found = _relint(ineq, eq, k)
    if found is None:
        return None
    v, tight = found
    nf = len(fvec)
    if any(abs(v[index[b]]) <= 1e-9 for b in grow):
        return None  # this pattern of growing log bases is not realisable
    rows2 = []
    for g in sorted(tight):
        if g < nf:
            f = fsplit[g]
            rows2.append((fvec[g], float(sum(f.logs.get(b, 0) for b in grow)), True))
        else:
            h = hsplit[g - nf]
            rows2.append((hvec[g - nf], float(sum(h.logs.get(b, 0) for b in grow)), False))
    w = _level2(rows2, k)
    if w is None:
        return None
    v = _polish(v, tight, ineq, eq, [index[b] for b in grow], k)
    return _verify_failure(v, w, fvec, fsplit, hvec, hsplit, grow, used, index, k)


def _polish(v: np.ndarray, tight: set[int], ineq: np.ndarray, eq: np.ndarray, grow: list[int],
            k: int) -> np.ndarray:
    """The smallest (l1) first-scale direction with the same tight rows: rows positive at ``v`` stay >= 1
    (so the second-scale solution stays valid), tight rows stay 0. Falls back to ``v``."""
    pos = [g for g in range(len(ineq)) if g not in tight]
    a_ub = np.vstack([np.hstack([-ineq[pos], ineq[pos]]), np.zeros((0, 2 * k))]) if pos else None
    b_ub = -np.ones(len(pos)) if pos else None
    eq_rows = [ineq[g] for g in sorted(tight)] + list(eq)
    a_eq = np.hstack([np.array(eq_rows), -np.array(eq_rows)]) if eq_rows else None
    b_eq = np.zeros(len(eq_rows)) if eq_rows else None
    res = _lp(np.ones(2 * k), a_ub, b_ub, a_eq, b_eq, [(0, None)] * (2 * k))
    if res.status != 0:
        return v
    out = res.x[:k] - res.x[k:]
    if any(out[j] <= 1e-9 for j in grow):
        return v
    return out


def _verify_failure(v, w, fvec, fsplit, hvec, hsplit, grow, used, index, k):
    """Round (v, w) to rationals and check every condition exactly; None if it does not verify."""
    nonzero = [abs(float(a)) for a in v if abs(a) > 1e-7]
    scale = min(nonzero) if nonzero else 1.0  # the slowest growing symbol ~ t
    vq = [_rational(float(a) / scale) for a in v]
    wq = [_rational(float(a), 720) for a in w]

    def dot(d: Mapping[str, Fraction], z) -> Fraction:
        return sum((val * z[index[s]] for s, val in d.items()), Fraction(0))

    def logpart(logs: Mapping[str, Fraction]) -> Fraction:
        return sum((logs.get(b, Fraction(0)) for b in grow), Fraction(0))

    for b in used:
        if (b in grow) != (vq[index[b]] > 0) or vq[index[b]] < 0:
            return _UNDECIDED
    for h in hsplit:
        a1 = dot(h.main, vq)
        if a1 < 0 or (a1 == 0 and dot(h.main, wq) + logpart(h.logs) < 0):
            return _UNDECIDED
    growths = []
    for f in fsplit:
        a1 = dot(f.main, vq)
        a2 = dot(f.main, wq) + logpart(f.logs)
        if a1 < 0 or (a1 == 0 and a2 <= 0):
            return _UNDECIDED
        growths.append((a1, a2))
    lead = min(growths)
    if lead[0] > 0:
        return vq, wq, lead[0], "t"
    return vq, wq, lead[1], "log t"


def _certificate(pairs: list[tuple[Mono, Mono]], hyp_rows: list[tuple[Mono, str]]) -> str:
    """Farkas multipliers of one case: Σ μ_q log(x_q/y_q) + Σ λ_r log H_r + log rules = 0, verified exactly."""
    rows = [mono_div(xa, yb) for xa, yb in pairs]
    hmonos = [h for h, _ in hyp_rows]
    bases = sorted({log_base(s) for mm in rows + hmonos for s, _ in mm if is_log(s)})
    coords = sorted({s for mm in rows + hmonos for s, _ in mm} | {LOG + b for b in bases} | set(bases))
    ci = {s: i for i, s in enumerate(coords)}
    nq, nr, nb = len(rows), len(hmonos), len(bases)
    nvar = nq + nr + 3 * nb  # μ, λ, γ (log u >= 1), α, β (u^α / log^β u, α >= η β)
    a_eq = np.zeros((len(coords) + 1, nvar))
    for j, mm in enumerate(rows):
        for s, val in mm:
            a_eq[ci[s], j] = float(val)
    for j, mm in enumerate(hmonos):
        for s, val in mm:
            a_eq[ci[s], nq + j] = float(val)
    for j, b in enumerate(bases):
        a_eq[ci[LOG + b], nq + nr + j] = 1.0  # γ: log b >= 1
        a_eq[ci[b], nq + nr + nb + j] = 1.0  # α on b
        a_eq[ci[LOG + b], nq + nr + 2 * nb + j] = -1.0  # β on log b
    a_eq[len(coords), :nq] = 1.0
    b_eq = np.zeros(len(coords) + 1)
    b_eq[-1] = 1.0
    a_ub = np.zeros((nb, nvar))
    for j in range(nb):
        a_ub[j, nq + nr + nb + j] = -1.0
        a_ub[j, nq + nr + 2 * nb + j] = ETA_MIN
    cost = np.concatenate([np.zeros(nq), np.ones(nr + nb), np.zeros(nb), np.ones(nb)])  # α costs nothing
    res = _lp(cost, a_ub if nb else None, np.zeros(nb) if nb else None, a_eq, b_eq, [(0, None)] * nvar)
    if res.status != 0:
        return ""
    candidates = [[_rational(float(a), den) for a in res.x] for den in (12, 360)]
    exact = _exact_on_support(a_eq, b_eq, res.x)
    if exact is not None:
        candidates.append(exact)
    for z in candidates:
        if _check_cert(z, rows, hmonos, bases, nq, nr, nb):
            return _render_cert(z, rows, hyp_rows, bases, nq, nr, nb)
    return ""


def _exact_on_support(a_eq: np.ndarray, b_eq: np.ndarray, x: np.ndarray) -> list[Fraction] | None:
    """Solve the equalities exactly (rationals) on the support of an LP vertex; None if not unique."""
    support = [j for j, v in enumerate(x) if v > 1e-9]
    if not support:
        return None
    a = sp.Matrix([[sp.Rational(_rational(float(a_eq[i, j]), 10**6)) for j in support]
                   for i in range(a_eq.shape[0])])
    b = sp.Matrix([sp.Rational(_rational(float(v), 10**6)) for v in b_eq])
    try:
        sol, params = a.gauss_jordan_solve(b)
    except ValueError:
        return None
    if params.shape[0]:
        return None
    z = [Fraction(0)] * len(x)
    for j, val in zip(support, sol, strict=True):
        z[j] = Fraction(int(val.p), int(val.q))
    return z


def _check_cert(z, rows, hmonos, bases, nq, nr, nb) -> bool:
    if any(a < 0 for a in z) or sum(z[:nq]) != 1:
        return False
    total: dict[str, Fraction] = {}
    for j, mm in enumerate(rows):
        for s, val in mm:
            total[s] = total.get(s, Fraction(0)) + z[j] * val
    for j, mm in enumerate(hmonos):
        for s, val in mm:
            total[s] = total.get(s, Fraction(0)) + z[nq + j] * val
    for j, b in enumerate(bases):
        total[LOG + b] = total.get(LOG + b, Fraction(0)) + z[nq + nr + j] - z[nq + nr + 2 * nb + j]
        total[b] = total.get(b, Fraction(0)) + z[nq + nr + nb + j]
        if z[nq + nr + 2 * nb + j] > 0 and z[nq + nr + nb + j] <= 0:
            return False
    return all(v == 0 for v in total.values())


def _render_cert(z, rows, hyp_rows, bases, nq, nr, nb) -> str:
    parts = []
    if nq > 1:
        parts.append("weights " + ", ".join(f"{_frac(z[j])}·[{show(mono_expr(rows[j]))}]"
                                            for j in range(nq) if z[j]))
    powers: dict[str, Fraction] = {}
    for j in range(nr):
        if z[nq + j]:
            label = hyp_rows[j][1]
            powers[label] = powers.get(label, Fraction(0)) + z[nq + j]
    parts.extend(f"({label})^{_frac(p)}" for label, p in powers.items())
    for j, b in enumerate(bases):
        if z[nq + nr + j]:
            parts.append(f"(log {b} ≥ 1)^{_frac(z[nq + nr + j])}")
        if z[nq + nr + 2 * nb + j]:
            eta = z[nq + nr + nb + j] / z[nq + nr + 2 * nb + j]
            parts.append(f"(log {b} ≲ {b}^{_frac(eta)})^{_frac(z[nq + nr + 2 * nb + j])}")
        elif z[nq + nr + nb + j]:  # the rule's u^η part alone: u ≥ e (a log base)
            parts.append(f"({b} ≳ 1)^{_frac(z[nq + nr + nb + j])}")
    return " × ".join(parts) if parts else "identity"


# ------------------------------------------------------------------------------------------------ repairs
def weakest_condition(lhs: Any, rhs: Any, hyps: Sequence[Hyp], on: str) -> sp.Expr | None:
    """The weakest condition ``on ≳ P`` (P a max of monomials, possibly with ``log on``) that makes
    ``lhs ≲ rhs`` hold term by term, or None when no lower bound on ``on`` can (a term does not decrease in
    ``on``). ``rhs`` must be a monomial; a term of ``lhs`` that already holds adds nothing."""
    y = form(rhs)
    if len(y) != 1 or len(y[0]) != 1:
        raise ValueError(f"weakest_condition needs a monomial on the right, got {show(rhs)}")
    conds: list[sp.Expr] = []
    for piece in form(lhs):
        term = form_expr((piece,))
        if decide(term, rhs, hyps, certificate=False).holds:
            continue
        if len(piece) != 1:
            return None
        ratio = dict(mono_div(piece[0], y[0][0]))
        k = -ratio.pop(on, Fraction(0))
        if k <= 0:
            return None
        conds.append(mono_expr(mono({s: v / k for s, v in ratio.items()})))
    if not conds:
        return sp.Integer(1)
    return _prune(conds, hyps)


def _prune(terms: list[sp.Expr], hyps: Sequence[Hyp]) -> sp.Expr:
    """Max of ``terms`` without the terms that are ≲ the max of the others under ``hyps``."""
    terms = list(dict.fromkeys(terms))
    j = 0
    while j < len(terms) and len(terms) > 1:
        rest = terms[:j] + terms[j + 1:]
        if decide(terms[j], sp.Max(*rest) if len(rest) > 1 else rest[0], hyps, certificate=False).holds:
            terms = rest
        else:
            j += 1
    return sp.Max(*terms) if len(terms) > 1 else terms[0]


def holds_for_large(lhs: Any, rhs: Any, hyps: Sequence[Hyp], on: str) -> tuple[bool, sp.Expr | None]:
    """The regime hypothesis ``on ≥ poly(...)``: does ``lhs ≲ rhs`` hold once ``on`` exceeds *some* polynomial
    of the other symbols? Returns (answer, the weakest such polynomial condition, simplified)."""
    if decide(lhs, rhs, hyps, certificate=False).holds:
        return True, sp.Integer(1)
    cond = weakest_condition(lhs, rhs, hyps, on)
    if cond is None:
        return False, None
    simple = simplify_condition(cond, hyps, on)
    return bool(decide(lhs, rhs, (*hyps, ge(symbol(on), simple)), certificate=False).holds), simple


def simplify_condition(cond: Any, hyps: Sequence[Hyp], on: str) -> sp.Expr:
    """A simpler sufficient condition: drop the largest set of symbols (other than ``on`` and its log) from
    each term P of ``cond`` such that ``P ≲ P'`` under ``hyps`` (so ``on ≳ P'`` implies ``on ≳ P``)."""
    out = []
    for piece in form(cond):
        (m,) = piece
        names = sorted({k for k, _ in m if k not in (on, LOG + on)})
        best = m
        for r in range(len(names), 0, -1):
            found = None
            for drop in itertools.combinations(names, r):
                if not any(dict(m)[s] < 0 for s in drop):
                    continue  # dropping only growing factors makes P smaller: P ≲ P' cannot follow
                cand = mono({k: v for k, v in m if k not in drop})
                if decide(mono_expr(m), mono_expr(cand), hyps, certificate=False).holds:
                    found = cand
                    break
            if found is not None:
                best = found
                break
        out.append(mono_expr(best))
    return _prune(out, hyps)


def largest_exponent(make: Any, rhs: Any, hyps: Sequence[Hyp], lo: Fraction, hi: Fraction,
                     den: int = 12) -> Fraction | None:
    """The largest exponent p on the grid lo, lo + 1/den, ..., hi for which ``make(p) ≲ rhs`` holds
    (``make`` maps a Fraction to an expression, monotone in p), or None if none does (bisection)."""
    grid = [lo + Fraction(j, den) for j in range(int((hi - lo) * den) + 1)]

    def ok(p: Fraction) -> bool:
        return bool(decide(make(sp.Rational(p.numerator, p.denominator)), rhs, hyps, certificate=False).holds)

    if not ok(grid[0]):
        return None
    a, b = 0, len(grid) - 1
    if ok(grid[b]):
        return grid[b]
    while b - a > 1:
        mid = (a + b) // 2
        if ok(grid[mid]):
            a = mid
        else:
            b = mid
    return grid[a]


def growth_along(expr: Any, direction: Mapping[str, tuple[Fraction, Fraction]], t: float) -> float:
    """log of ``expr`` at the point ``u = t^a (log t)^b`` of a direction (numeric; for tests and plots)."""
    subs = {}
    lt = math.log(t)
    for s in sp.sympify(expr).free_symbols:
        a, b = direction.get(s.name, (Fraction(0), Fraction(0)))
        subs[s] = sp.Float(math.exp(float(a) * lt + float(b) * math.log(lt)), 30)
    return float(sp.log(sp.sympify(expr).subs(subs)))


# ------------------------------------------------------------------------------------------------ CLI
def parse(text: str) -> sp.Expr:
    """A positive expression from text (every symbol positive): ``"T**8/(m*sqrt(n)) + log(m)"``."""
    try:
        e = sp.parse_expr(text.replace("^", "**"))
    except (SyntaxError, TypeError, sp.SympifyError) as exc:
        raise ValueError(f"cannot parse {text!r}: {exc}") from None
    return e.subs({s: symbol(s.name) for s in e.free_symbols})


def parse_hyp(text: str) -> Hyp:
    """``"A >= B"`` (or ``≳``, ``<=``, ``≲``) as a hypothesis."""
    for op, flip in ((">=", False), ("≳", False), ("<=", True), ("≲", True)):
        if op in text:
            left, right = text.split(op, 1)
            lhs, rhs = parse(left), parse(right)
            return ge(rhs, lhs, text) if flip else ge(lhs, rhs, text)
    raise ValueError(f"a hypothesis needs >= or <=: {text!r}")


def main(argv: list[str] | None = None) -> int:
    """``python -m verify.asymptotics LHS RHS [--hyp "m >= n**2"] [--large T m n] [--weakest m]``."""
    from verify import cli

    p = cli.OneLineParser(prog="python -m verify.asymptotics",
                          description="Decide LHS ≲ RHS under hypotheses: a certificate or a counterexample "
                                      "direction (see the module docstring).", formatter_class=cli.HelpFormatter)
    p.add_argument("lhs")
    p.add_argument("rhs")
    p.add_argument("--hyp", action="append", default=[], metavar="'A >= B'", help="a hypothesis (repeatable)")
    p.add_argument("--large", nargs="+", default=[], metavar="SYMBOL", help="symbols that are >= 1")
    p.add_argument("--weakest", metavar="SYMBOL", help="on failure, the weakest lower bound on SYMBOL that fixes it")
    args = p.parse_args(argv)
    hyps = (*large(*args.large), *(parse_hyp(h) for h in args.hyp))
    lhs, rhs = parse(args.lhs), parse(args.rhs)
    res = decide(lhs, rhs, hyps)
    print(res.text())
    if res.holds is False and args.weakest:
        cond = weakest_condition(lhs, rhs, hyps, args.weakest)
        if cond is None:
            print(f"no lower bound on {args.weakest} makes it hold")
        else:
            simple = simplify_condition(cond, hyps, args.weakest)
            print(f"weakest: {args.weakest} ≳ {show(cond)}; sufficient under the hypotheses: "
                  f"{args.weakest} ≳ {show(simple)}")
    return 0


if __name__ == "__main__":
    import sys

    from verify import cli as _cli

    sys.exit(_cli.guarded(main))
