"""Lemma 3 (eq. 9; proof in App. B, eq. 22): any gate of fan-in N as a polynomial of one inner product.

Statement: for every gate l_v: {0,1}^N -> {0,1} there is psi of O(1) degree with max_i |a_i| = O(1)
and a w in R^{2N} with psi(<w/|w|, (e_{z_1}; ...; e_{z_N})>) = l_v(z_1, ..., z_N) (eq. 9).
Proof as printed: alpha(z) = sum_{i=0}^{N-1} 2^i 1[z_i = 0]; w = sqrt(3/(4^N-1)) (2^0, 0, 2^1, 0, ...,
2^{N-1}, 0); "w is a unit vector" with <w/|w|, e> = alpha(z); psi by Lagrange through the alpha's
(eq. 22), "a 2^N-degree polynomial"; the coefficient bound is the maximum over the finitely many gates.

What is checked (exact, sympy / Fraction):
  - |w| and the inner products, computed from w and e_0 = (1, 0), e_1 = (0, 1); compared with alpha
    (whose index range i = 0..N-1 over z_i is read as z_{i+1}, the order w's coordinates give).
    They are sqrt(3/(4^N-1)) * alpha: equal to alpha only for N = 1.
  - psi is built through the nodes the construction really produces (``nodes``); they are distinct;
    it hits every input of every gate exactly; its degree vs the printed 2^N.
  - the maximum |coefficient| over all 2^(2^N) gates, exactly and as a float, with a gate attaining
    it. The coefficients are linear in the truth table (``a_i = sum_k f_k B[k][i]``, B the Lagrange
    basis), so the maximum is a closed form: ``sum_k |B[k][i]|`` for labels in {-1,+1}, and the larger of
    the positive and negative parts of column i for labels in {0,1}. Explicit enumeration of all
    gates (N <= 4) cross-checks it.
  - labels: eq. 9 interpolates l_v in {0,1}, but eq. 6 reads y = sign(psi) in {-1,+1}, and
    sign(0) = 0 is not a label. The construction that eq. 6 can use interpolates y = 2 l_v - 1
    (``labels="pm1"``; psi_pm1 = 2 psi_01 - 1). Constants are reported for both.

Bit order as in ``numerics.circuits``: truth-table index k holds the gate's value when input j
(z_{j+1}) carries bit (k >> j) & 1.

Rule ``exact`` (``decide``: which comparisons are printed, corrected and checks). Controls: eq. 22 as printed
(Lagrange through the nodes alpha) planted as our construction, and eq. 9's {0,1} labels planted as our
corrected labels; the same rule must fail on both. The quick preset covers every fan-in 1..6 by the closed form
(exact, < 1 s) and enumerates every gate up to N = 3, so each comparison is decided at every size the paper
uses (O(1) fan-in), not sampled.

Example::

    python -m verify.lemma3 --fanin 3
    python -m verify.lemma3 --fanin 4 --labels pm1 --enumerate-upto 4 --json
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from math import lcm

import numpy as np
import sympy

from verify import cli
from verify.evidence import Comparison, Control, Finding, compare
from verify.interpolation import basis_coefficients, encode, evaluate_many

CLAIMS = ("L3",)

MAX_FANIN = 6  # 2^64 nodes' basis is still instant; 2^(2^7) gates and degree 127 are beyond any use
ENUMERATE_MAX = 4  # 2^16 gates; fan-in 5 would be 2^32
LABELS = ("01", "pm1")
x = sympy.Symbol("x")  # eq. 22's variable


def _check_fanin(fanin: int) -> None:
    if isinstance(fanin, bool) or not isinstance(fanin, int) or not 1 <= fanin <= MAX_FANIN:
        raise ValueError(f"fan-in must be an integer in 1..{MAX_FANIN}, got {fanin!r}")


def _check_labels(labels: str) -> None:
    if labels not in LABELS:
        raise ValueError(f"labels must be one of {LABELS}, got {labels!r}")


def input_bits(k: int, fanin: int) -> tuple[int, ...]:
    """(z_1, ..., z_N) of truth-table row k: z_{j+1} = (k >> j) & 1."""
    return tuple((k >> j) & 1 for j in range(fanin))


def alpha(bits: Sequence[int]) -> int:
    """The paper's alpha, sum_{i=0}^{N-1} 2^i 1[z_i = 0], with z_i read as the (i+1)-th input."""
    return sum(1 << i for i, b in enumerate(bits) if b == 0)


def paper_w(fanin: int) -> sympy.Matrix:
    """w := sqrt(3/(4^N-1)) (2^0, 0, 2^1, 0, ..., 2^{N-1}, 0) (App. B, line above eq. 22)."""
    _check_fanin(fanin)
    entries = [v for i in range(fanin) for v in (2**i, 0)]
    return sympy.sqrt(sympy.Rational(3, 4**fanin - 1)) * sympy.Matrix(entries)


@functools.cache
def _nodes(fanin: int) -> tuple[sympy.Expr, ...]:
    w = paper_w(fanin)
    unit = w / w.norm()
    out = []
    for k in range(1 << fanin):
        e = encode(input_bits(k, fanin))
        out.append(sympy.radsimp(unit.dot(e)))
    return tuple(out)


def nodes(fanin: int) -> list[sympy.Expr]:
    """<w/|w|, (e_{z_1}; ...; e_{z_N})> for every truth-table row k (exact), with the paper's w."""
    _check_fanin(fanin)
    return list(_nodes(fanin))


@dataclass(frozen=True)
class Basis:
    """The real nodes as ``scale * u_k`` with rational u_k, and the Lagrange basis through the u_k.

    psi's coefficient of x^i for values f is ``sum_k f_k * rows[k][i] * scale^(-i)``; ``scale^2`` is rational.
    """

    fanin: int
    scale: sympy.Expr
    scale_squared: Fraction
    u: tuple[Fraction, ...]
    rows: tuple[tuple[Fraction, ...], ...]

    def inverse_power(self, i: int) -> sympy.Expr:
        """scale^(-i), exact."""
        return sympy.radsimp(self.scale ** (-i))


def _fraction(e: sympy.Expr) -> Fraction:
    e = sympy.simplify(sympy.radsimp(e))
    if not e.is_Rational:
        raise ValueError(f"{e} is not rational")
    return Fraction(int(e.p), int(e.q))


@functools.cache
def real_basis(fanin: int) -> Basis:
    """Basis through the nodes the construction produces, scaled by the smallest positive node."""
    _check_fanin(fanin)
    xs = _nodes(fanin)
    scale = min((v for v in xs if v > 0), key=lambda v: float(v))
    u = tuple(_fraction(v / scale) for v in xs)
    rows = basis_coefficients(u)
    return Basis(fanin, scale, _fraction(scale**2), u, tuple(map(tuple, rows)))


@functools.cache
def printed_basis(fanin: int) -> Basis:
    """Basis through the nodes the proof claims, alpha(z) itself (eq. 22 as printed)."""
    _check_fanin(fanin)
    u = tuple(Fraction(alpha(input_bits(k, fanin))) for k in range(1 << fanin))
    return Basis(fanin, sympy.Integer(1), Fraction(1), u, tuple(map(tuple, basis_coefficients(u))))


def label_values(table: Sequence[int], labels: str) -> list[int]:
    """The values psi must take: l_v itself ("01") or y = 2 l_v - 1 ("pm1", what eq. 6 reads)."""
    _check_labels(labels)
    return list(table) if labels == "01" else [2 * v - 1 for v in table]


def _check_table(table: Sequence[int]) -> int:
    n = len(table)
    fanin = n.bit_length() - 1
    if n < 2 or n != 1 << fanin or fanin > MAX_FANIN:
        raise ValueError(f"a truth table has 2^N rows with N in 1..{MAX_FANIN}, got {n} rows")
    if any(v not in (0, 1) for v in table):
        raise ValueError("truth-table entries must be 0 or 1")
    return fanin


def rational_coefficients(table: Sequence[int], labels: str = "pm1", basis: Basis | None = None) -> list[Fraction]:
    """r_i with psi's coefficient a_i = r_i * scale^(-i) (ascending powers)."""
    fanin = _check_table(table)
    b = basis or real_basis(fanin)
    f = label_values(table, labels)
    n = len(f)
    return [sum((f[k] * b.rows[k][i] for k in range(n) if f[k]), Fraction(0)) for i in range(n)]


def gate_coefficients(table: Sequence[int], labels: str = "pm1") -> tuple[sympy.Expr, ...]:
    """psi's exact coefficients a_0, a_1, ... for one gate, through the real nodes."""
    b = real_basis(_check_table(table))
    return tuple(sympy.Rational(r.numerator, r.denominator) * b.inverse_power(i)
                 for i, r in enumerate(rational_coefficients(table, labels, b)))


def psi_for_gate(table: Sequence[int], labels: str = "pm1") -> sympy.Poly:
    """The interpolant of eq. 22 for one gate, through the nodes of ``nodes(N)`` (N = log2 len(table))."""
    coeffs = gate_coefficients(tuple(table), labels)
    return sympy.Poly(sum((a * x**i for i, a in enumerate(coeffs)), sympy.Integer(0)), x)


def _abs_key(r: Fraction, i: int, b: Basis) -> Fraction:
    """(|r| * |scale|^-i)^2, rational: orders coefficients exactly."""
    return r * r / b.scale_squared**i


def gate_max_abs_coefficient(table: Sequence[int], labels: str = "pm1") -> tuple[sympy.Expr, int]:
    """(max_i |a_i|, i) for one gate's psi, exact (for per-gate constants, e.g. a circuit's gates)."""
    b = real_basis(_check_table(table))
    rs = rational_coefficients(table, labels, b)
    i = max(range(len(rs)), key=lambda j: _abs_key(rs[j], j, b))
    return sympy.Abs(sympy.Rational(rs[i].numerator, rs[i].denominator)) * b.inverse_power(i), i


@dataclass(frozen=True)
class Lemma3Constants:
    """Lemma 3's constants for fan-in N, psi through the nodes the construction produces.

    ``max_abs_coefficient`` is max over all 2^(2^N) gates and all i of |a_i|, attained by
    ``attaining_gate`` (truth table, first input least significant) at ``attaining_index``.
    ``printed_nodes_*`` are the same maximum if the nodes were alpha(z) as the proof claims.
    """

    fanin: int
    labels: str
    n_nodes: int
    nodes_distinct: bool
    w_norm: sympy.Expr
    node_scale: sympy.Expr  # real node = node_scale * alpha(z)
    degree: int
    printed_degree: int
    max_abs_coefficient: sympy.Expr
    max_abs_coefficient_float: float
    attaining_gate: tuple[int, ...]
    attaining_index: int
    max_abs_by_index: tuple[sympy.Expr, ...]
    printed_nodes_max_abs_coefficient: sympy.Expr
    printed_nodes_max_abs_coefficient_float: float

    def row(self) -> dict[str, object]:
        """Flat, JSON-ready summary."""
        return {"fanin": self.fanin, "labels": self.labels, "degree": self.degree,
                "printed_degree": self.printed_degree, "max_abs_coefficient": str(self.max_abs_coefficient),
                "max_abs_coefficient_float": self.max_abs_coefficient_float,
                "attaining_index": self.attaining_index,
                "attaining_gate": "".join(map(str, self.attaining_gate)),
                "printed_nodes_max_abs_coefficient": str(self.printed_nodes_max_abs_coefficient),
                "printed_nodes_max_abs_coefficient_float": self.printed_nodes_max_abs_coefficient_float}


def _column_extremes(b: Basis, labels: str) -> list[tuple[Fraction, tuple[int, ...]]]:
    """Per index i: max over gates of |r_i| (closed form) and a gate attaining it."""
    n = len(b.rows)
    out = []
    for i in range(n):
        col = [b.rows[k][i] for k in range(n)]
        pos = sum((c for c in col if c > 0), Fraction(0))
        neg = -sum((c for c in col if c < 0), Fraction(0))
        if labels == "pm1":  # f_k = sign(B[k][i]): |r_i| = sum_k |B[k][i]|
            out.append((pos + neg, tuple(int(c > 0) for c in col)))
        elif pos >= neg:  # f_k = 1 exactly where B[k][i] > 0
            out.append((pos, tuple(int(c > 0) for c in col)))
        else:
            out.append((neg, tuple(int(c < 0) for c in col)))
    return out


def _best(b: Basis, extremes: list[tuple[Fraction, tuple[int, ...]]]) -> tuple[sympy.Expr, int, tuple[int, ...]]:
    i = max(range(len(extremes)), key=lambda j: _abs_key(extremes[j][0], j, b))
    r, gate = extremes[i]
    return sympy.Rational(r.numerator, r.denominator) * b.inverse_power(i), i, gate


@functools.cache
def constants(fanin: int, labels: str = "pm1") -> Lemma3Constants:
    """Lemma 3's degree and max |coefficient| over all gates of fan-in N, without enumerating gates."""
    _check_fanin(fanin)
    _check_labels(labels)
    b = real_basis(fanin)
    extremes = _column_extremes(b, labels)
    value, index, gate = _best(b, extremes)
    printed_value, _, _ = _best(printed_basis(fanin), _column_extremes(printed_basis(fanin), labels))
    by_index = tuple(sympy.Rational(r.numerator, r.denominator) * b.inverse_power(i)
                     for i, (r, _) in enumerate(extremes))
    return Lemma3Constants(
        fanin=fanin, labels=labels, n_nodes=1 << fanin, nodes_distinct=len(set(b.u)) == len(b.u),
        w_norm=sympy.radsimp(paper_w(fanin).norm()), node_scale=b.scale,
        degree=max(i for i, (r, _) in enumerate(extremes) if r != 0), printed_degree=2**fanin,
        max_abs_coefficient=value, max_abs_coefficient_float=float(value),
        attaining_gate=gate, attaining_index=index, max_abs_by_index=by_index,
        printed_nodes_max_abs_coefficient=printed_value,
        printed_nodes_max_abs_coefficient_float=float(printed_value))


@dataclass(frozen=True)
class Enumeration:
    """Every gate of fan-in N, explicitly: per-index max |r_i| (with a gate) and whether every gate's psi
    hits every input exactly."""

    fanin: int
    labels: str
    gates: int
    max_abs: tuple[Fraction, ...]
    argmax_gate: tuple[tuple[int, ...], ...]
    all_hit: bool
    sign_right: int  # gates whose sign(psi) is eq. 6's label 2 l_v - 1 on every input
    max_abs_coefficient: sympy.Expr
    attaining_index: int
    attaining_gate: tuple[int, ...]


def enumerate_gates(fanin: int, labels: str = "pm1") -> Enumeration:
    """All 2^(2^N) gates (N <= 4): each gate's coefficients F @ B in exact integers (column i of B
    scaled by its common denominator; int64 is exact here, |entries| < 2^63 is asserted), then each
    gate's psi evaluated at every node in Python integers and compared with its values."""
    _check_fanin(fanin)
    _check_labels(labels)
    if fanin > ENUMERATE_MAX:
        raise ValueError(f"explicit enumeration is supported for fan-in 1..{ENUMERATE_MAX}, got {fanin}")
    b = real_basis(fanin)
    n = 1 << fanin
    dens = [lcm(*(b.rows[k][i].denominator for k in range(n))) for i in range(n)]
    scaled = [[b.rows[k][i] * dens[i] for i in range(n)] for k in range(n)]
    bound = max(sum(abs(int(scaled[k][i])) for k in range(n)) for i in range(n))
    if 2 * bound >= 2**63:
        raise OverflowError("basis too large for exact int64 enumeration")
    bint = np.array([[int(v) for v in row] for row in scaled], dtype=np.int64)
    g = np.arange(1 << n, dtype=np.int64)
    table = ((g[:, None] >> np.arange(n)) & 1).astype(np.int64)  # row = gate, column k = l_v(row k)
    f = table if labels == "01" else 2 * table - 1
    coeffs = f @ bint  # coeffs[gate, i] = dens[i] * r_i
    # psi(x_j) * D = sum_i coeffs[., i] * (D / dens[i]) * u_j^i: exact in Python integers.
    d_all = lcm(*dens)
    scale_u = lcm(*(u.denominator for u in b.u))
    vander = np.array([[(d_all // dens[i]) * int(u * scale_u) ** i * scale_u ** (n - 1 - i) for u in b.u]
                       for i in range(n)], dtype=object)
    hits = coeffs.astype(object) @ vander
    all_hit = bool((hits == f.astype(object) * (d_all * scale_u ** (n - 1))).all())
    # exact signs of the Python integers; the factor d_all * scale_u^(n-1) is positive
    signs = np.frompyfunc(lambda v: (v > 0) - (v < 0), 1, 1)(hits).astype(np.int64)
    sign_right = int((signs == 2 * table - 1).all(axis=1).sum())
    absval = np.abs(coeffs)
    arg = absval.argmax(axis=0)
    max_abs = tuple(Fraction(int(absval[arg[i], i]), dens[i]) for i in range(n))
    gates = tuple(tuple(int(v) for v in table[arg[i]]) for i in range(n))
    value, index, gate = _best(b, list(zip(max_abs, gates, strict=True)))
    return Enumeration(fanin, labels, 1 << n, max_abs, gates, all_hit, sign_right, value, index, gate)


def _sign_in_field(even: Fraction, odd: Fraction, q: Fraction) -> int:
    """Exact sign of even + odd * sqrt(q), q >= 0 rational."""
    def sign(v: Fraction) -> int:
        return (v > 0) - (v < 0)

    if sign(even) * sign(odd) >= 0:  # same sign, or one of them zero
        return sign(even) or sign(odd) * (q != 0)
    return sign(even) * sign(even * even - odd * odd * q)  # the larger magnitude decides


def printed_psi_at_real_nodes(fanin: int, labels: str = "pm1") -> tuple[int, int, int]:
    """Eq. 22 as printed (Lagrange through alpha) fed the real inner products scale * alpha.

    Returns (gates, gates hit exactly on every input, gates with sign(psi) right on every input);
    the sign test applies to pm1 labels (with 01 labels sign can never give the label 0).
    """
    pb, rb = printed_basis(fanin), real_basis(fanin)
    n = 1 << fanin
    q = rb.scale_squared  # node = sqrt(q) * alpha
    root_rational = bool(sympy.sqrt(sympy.Rational(q.numerator, q.denominator)).is_rational)
    exact = signs = 0
    for g in range(1 << n):
        table = input_bits(g, n)
        f = label_values(table, labels)
        r = rational_coefficients(table, labels, pb)
        ok_exact = ok_sign = True
        for k in range(n):
            a = pb.u[k]  # alpha of row k; psi(sqrt(q) a) = sum_i r_i q^(i//2) sqrt(q)^(i%2) a^i
            even = sum((r[i] * q ** (i // 2) * a**i for i in range(0, n, 2)), Fraction(0))
            odd = sum((r[i] * q ** (i // 2) * a**i for i in range(1, n, 2)), Fraction(0))
            # 1, sqrt(q) are linearly independent over Q unless sqrt(q) is rational.
            ok_exact &= (even + odd * _fraction(sympy.sqrt(sympy.Rational(q.numerator, q.denominator))) == f[k]
                         if root_rational else odd == 0 and even == f[k])
            ok_sign &= _sign_in_field(even, odd, q) == f[k]
        exact += ok_exact
        signs += ok_sign
    return 1 << n, exact, signs


def basis_is_identity(fanin: int) -> bool:
    """Lagrange basis k evaluated at node j equals [j == k], exactly: by linearity every gate's psi
    then hits every input (the scale cancels: psi(scale u) uses r_i u^i)."""
    b = real_basis(fanin)
    return all(v == int(j == k) for k, row in enumerate(b.rows) for j, v in enumerate(evaluate_many(row, b.u)))


def basis_violations(construction: Basis, fanin: int) -> int:
    """How many (k, j) have basis polynomial k of ``construction`` not equal to [j == k] at the j-th real node.

    The construction's psi has coefficients r_i c^(-i) (c its scale); the real node j is s * u_j (s, u_j of
    ``real_basis``). So l_k(s u_j) = sum_i r_i t^i u_j^i with t = s / c, t^2 rational: split into the even and
    odd powers, even + odd * t, and compare exactly (1 and t are independent over Q unless t is rational).
    Zero means every gate's psi, a linear combination of the basis, hits every input exactly.
    """
    real = real_basis(fanin)
    if len(construction.rows) != len(real.u):
        raise ValueError(f"the construction has {len(construction.rows)} nodes, fan-in {fanin} has {len(real.u)}")
    t2 = real.scale_squared / construction.scale_squared
    root = sympy.sqrt(sympy.Rational(t2.numerator, t2.denominator))
    t = _fraction(root) if root.is_rational else None
    bad = 0
    for k, row in enumerate(construction.rows):
        even_rows = [c * t2 ** (i // 2) if i % 2 == 0 else Fraction(0) for i, c in enumerate(row)]
        odd_rows = [c * t2 ** (i // 2) if i % 2 else Fraction(0) for i, c in enumerate(row)]
        evens, odds = evaluate_many(even_rows, real.u), evaluate_many(odd_rows, real.u)
        for j, (even, odd) in enumerate(zip(evens, odds, strict=True)):
            value_ok = (even + odd * t == int(j == k)) if t is not None else (odd == 0 and even == int(j == k))
            bad += not value_ok
    return bad


# ---------------------------------------------------------------------------------------------- evidence
@dataclass(frozen=True)
class Config:
    """Sizes of the L3 check (fields are the CLI flags)."""

    fanin: tuple[int, ...] = field(default=tuple(range(1, MAX_FANIN + 1)), metadata={
        "help": "gate fan-ins N (closed form over all 2^(2^N) gates)", "range": (1, MAX_FANIN)})
    enumerate_upto: int = field(default=3, metadata={
        "help": "also enumerate every gate explicitly for N up to this (0: none)", "range": (0, ENUMERATE_MAX)})
    random_gates: int = field(default=8, metadata={
        "help": "seeded random gates per fan-in whose own max |a_i| must not exceed the closed form",
        "range": (0, 10_000)})
    seed: int = field(default=0, metadata={"help": "seed of the random gates", "range": (0, 2**32 - 1)})
    labels: tuple[str, ...] = field(default=LABELS, metadata={
        "help": "label conventions for the constants: 01 (eq. 9 as printed) and/or pm1 (eq. 6's y = 2 l_v - 1)",
        "choices": LABELS})

    @classmethod
    def quick(cls) -> Config:
        return cls()

    @classmethod
    def full(cls) -> Config:
        return cls(enumerate_upto=ENUMERATE_MAX, random_gates=128)


@dataclass(frozen=True)
class FaninData:
    """What was measured for one fan-in N. ``construction`` names the basis used as our psi ("real nodes";
    the control plants "alpha nodes", eq. 22 as printed)."""

    fanin: int
    construction: str
    w_norm: sympy.Expr
    node_all_zero: sympy.Expr  # <w/|w|, e> at z = 0...0, where alpha = 2^N - 1
    scaled_alpha_gap: sympy.Expr  # max_k |node_k - sqrt(3/(4^N-1)) alpha(z_k)|
    distinct_nodes: int
    basis_violations: int
    degree: int
    constants: dict[str, Lemma3Constants]
    attaining_gate_max: dict[str, sympy.Expr]  # the attaining gate's own max |a_i|, gate by gate
    random_max: dict[str, sympy.Expr]  # the largest own max |a_i| over the seeded random gates
    enumerated: dict[str, Enumeration]  # N <= enumerate_upto
    printed_at_real_nodes: tuple[int, int, int] | None  # eq. 22 through alpha fed the real nodes: gates, exact, sign
    corrected_labels: str = "pm1"


def measure_fanin(fanin: int, config: Config, construction: str = "real nodes") -> FaninData:
    """Every quantity of the module docstring for one fan-in."""
    _check_fanin(fanin)
    if construction not in ("real nodes", "alpha nodes"):
        raise ValueError(f"construction must be 'real nodes' or 'alpha nodes', got {construction!r}")
    ours = real_basis(fanin) if construction == "real nodes" else printed_basis(fanin)
    xs = nodes(fanin)
    n = 1 << fanin
    scale = sympy.sqrt(sympy.Rational(3, 4**fanin - 1))
    gap = max((sympy.Abs(sympy.radsimp(x - scale * alpha(input_bits(k, fanin)))) for k, x in enumerate(xs)),
              key=lambda v: float(v))
    labels = tuple(dict.fromkeys((*config.labels, "pm1")))
    consts = {lab: constants(fanin, lab) for lab in labels}
    rng = np.random.default_rng([config.seed, fanin])
    random_max: dict[str, sympy.Expr] = {}
    attaining: dict[str, sympy.Expr] = {}
    for lab in labels:
        attaining[lab] = gate_max_abs_coefficient(consts[lab].attaining_gate, lab)[0]
        best = sympy.Integer(0)
        for _ in range(config.random_gates):
            table = tuple(int(v) for v in rng.integers(0, 2, size=n))
            value, _ = gate_max_abs_coefficient(table, lab)
            best = max(best, value, key=lambda v: sympy.expand(v**2))
        random_max[lab] = best
    enumerated = {lab: enumerate_gates(fanin, lab) for lab in labels} if fanin <= config.enumerate_upto else {}
    printed = printed_psi_at_real_nodes(fanin) if fanin <= min(3, config.enumerate_upto) else None
    if construction == "alpha nodes" and printed is not None:  # the planted construction's gate counts
        gates, exact, signs = printed
        enumerated = {lab: replace(e, all_hit=exact == gates, sign_right=signs) for lab, e in enumerated.items()}
    degree = max(i for i in range(n) if any(row[i] != 0 for row in ours.rows))
    return FaninData(fanin, construction, sympy.radsimp(paper_w(fanin).norm()), xs[0], gap, len(set(ours.u)),
                     basis_violations(ours, fanin), degree, consts, attaining, random_max, enumerated, printed)


@dataclass(frozen=True)
class Data:
    per_fanin: tuple[FaninData, ...]


def measure(config: Config) -> Data:
    """Measure every fan-in of the config."""
    fanins = sorted(set(config.fanin))
    if config.enumerate_upto > ENUMERATE_MAX:
        raise ValueError(f"explicit enumeration is supported for fan-in 1..{ENUMERATE_MAX}")
    return Data(tuple(measure_fanin(n, config) for n in fanins))


def _squared(v: sympy.Expr) -> sympy.Expr:
    return sympy.nsimplify(sympy.expand(v**2))


def decide(data: Data) -> list[Finding]:
    """Rule ``exact``. Per fan-in N:

    printed   |w| = 1 is a check; <w/|w|, e> = alpha(z) at z = 0...0 (printed); eq. 22 through the nodes alpha,
              fed the real inner products, hits every gate (printed, N <= 3); sign(psi) with eq. 9's {0,1}
              labels gives eq. 6's labels for every gate (printed, enumerated N);
    corrected <w/|w|, e> = sqrt(3/(4^N-1)) alpha(z) at every input; every gate's sign(psi) with y = 2 l_v - 1
              labels is eq. 6's label (enumerated N);
    check     2^N distinct nodes; the Lagrange basis of our construction is the identity at the real nodes
              (so every gate's psi hits every input); every enumerated gate hit; degree <= the printed 2^N;
              the closed-form max |a_i| equals the enumerated one and the attaining gate's own, and no
              random gate exceeds it. The constant's size beside the alpha-nodes one is context.
    """
    comps: list[Comparison] = []
    for f in data.per_fanin:
        n, p = f.fanin, {"N": f.fanin}
        comps.append(compare("|w|", "Lemma 3 (App. B, above eq. 22)", f.w_norm, "eq", 1, params=p))
        comps.append(compare("<w/|w|, e> at z = 0...0", "Lemma 3 (App. B)", f.node_all_zero, "eq", 2**n - 1, params=p,
                             role="printed", note="printed: equals alpha(z) = 2^N - 1 there"))
        comps.append(compare("max_z |<w/|w|, e> - sqrt(3/(4^N-1)) alpha(z)|", "Lemma 3 (App. B)", f.scaled_alpha_gap,
                             "eq", 0, params=p, role="corrected"))
        comps.append(compare("distinct nodes", "eq. 22", f.distinct_nodes, "eq", 2**n, params=p))
        comps.append(compare("(k, j) with Lagrange basis k at real node j != [j = k]", "eq. 22", f.basis_violations,
                             "eq", 0, params={**p, "construction": f.construction}))
        comps.append(compare("degree of psi, max over gates", "Lemma 3 (App. B)", f.degree, "le", 2**n, params=p))
        if f.printed_at_real_nodes is not None:
            gates, exact, _ = f.printed_at_real_nodes
            comps.append(compare("gates whose eq. 22 through the nodes alpha hits every real inner product", "eq. 22",
                                 exact, "eq", gates, params=p, role="printed"))
        for lab, e in f.enumerated.items():
            comps.append(compare("enumerated gates whose psi hits every input", "eq. 22", int(e.all_hit) * e.gates,
                                 "eq", e.gates, params={**p, "labels": lab}))
            comps.append(compare("enumerated max |a_i| - closed form", "Lemma 3", sympy.radsimp(
                e.max_abs_coefficient - f.constants[lab].max_abs_coefficient), "eq", 0, params={**p, "labels": lab}))
            role = "corrected" if lab == f.corrected_labels else "printed"
            comps.append(compare("gates whose sign(psi) is eq. 6's label on every input", "eq. 6, 9", e.sign_right,
                                 "eq", e.gates, params={**p, "labels": lab}, role=role))
        for lab, c in f.constants.items():
            q = {**p, "labels": lab}
            comps.append(compare("attaining gate's own max |a_i|, squared - closed form squared", "Lemma 3",
                                 _squared(f.attaining_gate_max[lab]) - _squared(c.max_abs_coefficient), "eq", 0,
                                 params=q))
            excess = sympy.sign(_squared(f.random_max[lab]) - _squared(c.max_abs_coefficient))
            comps.append(compare("sign of (max over random gates of own max |a_i|)^2 - (closed form)^2", "Lemma 3",
                                 excess, "le", 0, params=q,
                                 note=f"{float(f.random_max[lab]):.4e} vs {c.max_abs_coefficient_float:.4e}"))
            comps.append(compare("max |a_i| over all gates (real nodes)", "Lemma 3", c.max_abs_coefficient_float, "ge",
                                 c.printed_nodes_max_abs_coefficient_float, params=q, role="context",
                                 note="vs the same maximum through the printed nodes alpha"))
    fanins = [f.fanin for f in data.per_fanin]
    ok = all(c.holds for c in comps if c.role in {"check", "corrected"})
    return [Finding(
        "L3", "exact", tuple(comps),
        scope=(f"fan-in N = {', '.join(map(str, fanins))}, all 2^(2^N) gates by the closed form; explicit "
               f"enumeration for N = {', '.join(str(f.fanin) for f in data.per_fanin if f.enumerated) or 'none'}"),
        printed="<w/|w|, e> = alpha(z); psi through the nodes alpha with labels l_v in {0,1}",
        corrected="<w/|w|, e> = sqrt(3/(4^N-1)) alpha(z); psi through these real nodes with labels y = 2 l_v - 1",
        conclusion_survives=ok,
        details={f"{f.fanin}/{lab}": c.row() for f in data.per_fanin for lab, c in f.constants.items()})]


def check(config: Config | None = None) -> list[Finding]:
    """The L3 finding at the given (default quick) sizes."""
    return decide(measure(config or Config.quick()))


def controls(findings: list[Finding]) -> list[Control]:
    """(a) eq. 22 as printed, the Lagrange basis through the nodes alpha, planted as our construction (N = 1..3):
    its basis is not the identity at the real inner products, so the rule must fail; (b) eq. 9's {0,1} labels
    planted as our corrected labels: sign(psi) then misses eq. 6's labels, fails."""
    config = Config(fanin=(1, 2, 3), enumerate_upto=3, random_gates=0)
    planted = Data(tuple(measure_fanin(n, config, "alpha nodes") for n in config.fanin))
    labels01 = Data(tuple(replace(measure_fanin(n, config), corrected_labels="01") for n in config.fanin))
    return [Control("L3", "eq. 22 as printed (Lagrange through the nodes alpha) as our construction, N = 1..3",
                    decide(planted)[0]),
            Control("L3", "eq. 9's {0,1} labels as our corrected labels, N = 1..3", decide(labels01)[0])]


def constants_table(fanins: Iterable[int], labels: Sequence[str] = LABELS) -> str:
    """Plain-text table of the constants by fan-in and label convention."""
    head = (f"{'N':>2} {'labels':>6} {'deg':>4} {'printed':>7} {'max|a_i|':>12} {'at i':>4} "
            f"{'alpha-nodes max':>15}  attaining gate (row k = inputs bits of k, z_1 least significant)")
    lines = [head]
    for n in fanins:
        for lab in labels:
            c = constants(n, lab)
            lines.append(f"{n:>2} {lab:>6} {c.degree:>4} {c.printed_degree:>7} {c.max_abs_coefficient_float:>12.4e} "
                         f"{c.attaining_index:>4} {c.printed_nodes_max_abs_coefficient_float:>15.4e}  "
                         f"{''.join(map(str, c.attaining_gate))}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser("python -m verify.lemma3", __doc__, Config)
    args = parser.parse_args(argv)
    config = cli.config(Config, args)
    findings = check(config)
    detail = "" if args.json else constants_table(sorted(set(config.fanin)), config.labels)
    return cli.emit(findings, args, controls=controls(findings), detail=detail)


if __name__ == "__main__":
    sys.exit(cli.guarded(main))
