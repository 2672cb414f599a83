"""Exact Lagrange interpolation, shared by Lemma 2 (App. B eq. 18) and Lemma 3 (App. B eq. 22).

Two views of the same object:

- ``lagrange_form``: the interpolant written exactly as the paper writes it, a sum over nodes of the
  value times the Lagrange basis product ``prod_{j != k} (z - x_j) / (x_k - x_j)``, as an unexpanded
  sympy expression (any exact sympy nodes, e.g. ``sqrt(2)``).
- ``basis_coefficients``: the monomial coefficients of every Lagrange basis polynomial through
  rational nodes, in ``fractions.Fraction`` (fast: one synthetic division per node). The coefficients
  of an interpolant are linear in the values: ``a_i = sum_k f_k * B[k][i]``, which is what makes the
  Lemma 3 maximum over all gates computable without enumerating them.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from math import lcm

import sympy


def one_hot(bit: int) -> sympy.Matrix:
    """The one-hot encoding of a bit used by eq. 6, 16 and 22: e_0 = (1, 0), e_1 = (0, 1)."""
    if bit not in (0, 1):
        raise ValueError(f"a bit is 0 or 1, got {bit!r}")
    return sympy.Matrix([1 - bit, bit])


def encode(bits: Sequence[int]) -> sympy.Matrix:
    """(e_{z_1}; ...; e_{z_N}), the stacked one-hot encodings (a column of length 2N)."""
    return sympy.Matrix.vstack(*(one_hot(b) for b in bits))


def coefficients(expr: sympy.Expr, z: sympy.Symbol) -> list[sympy.Expr]:
    """Exact ascending coefficients of the polynomial ``expr`` in ``z`` (radicals simplified)."""
    poly = sympy.Poly(sympy.expand(expr), z)
    return [sympy.radsimp(c) for c in reversed(poly.all_coeffs())]


def lagrange_form(nodes: Sequence[sympy.Expr], values: Sequence[sympy.Expr], z: sympy.Symbol) -> sympy.Expr:
    """``sum_k values[k] * prod_{j != k} (z - x_j) / (x_k - x_j)``, unevaluated products (eq. 18 / 22).

    Raises ``ValueError`` when the nodes are not distinct (the Lagrange form is then undefined).
    """
    if len(nodes) != len(values):
        raise ValueError(f"{len(nodes)} nodes but {len(values)} values")
    if any(sympy.simplify(a - b) == 0 for k, a in enumerate(nodes) for b in nodes[:k]):
        raise ValueError("interpolation nodes are not distinct")
    terms = []
    for k, (xk, fk) in enumerate(zip(nodes, values, strict=True)):
        factors = [sympy.Mul(z - xj, sympy.Pow(xk - xj, -1), evaluate=False)
                   for j, xj in enumerate(nodes) if j != k]
        terms.append(sympy.Mul(fk, *factors, evaluate=False))
    return sympy.Add(*terms, evaluate=False)


def node_polynomial(nodes: Sequence[Fraction]) -> list[Fraction]:
    """Ascending coefficients of ``prod_j (u - u_j)``."""
    coeffs = [Fraction(1)]
    for uj in nodes:
        shifted = [Fraction(0), *coeffs]  # u * p(u)
        coeffs = [s - uj * c for s, c in zip(shifted, [*coeffs, Fraction(0)], strict=True)]
    return coeffs


def basis_coefficients(nodes: Sequence[Fraction | int]) -> list[list[Fraction]]:
    """``B[k][i]``: coefficient of ``u^i`` in the Lagrange basis polynomial of node ``k``.

    ``l_k(u) = prod_{j != k} (u - u_j) / (u_k - u_j)``; ``prod_j (u - u_j)`` is divided by ``(u - u_k)``
    (synthetic division) and scaled by the quotient's value at ``u_k``. Exact rationals.
    """
    us = [Fraction(u) for u in nodes]
    if len(set(us)) != len(us):
        raise ValueError("interpolation nodes are not distinct")
    full = node_polynomial(us)
    n = len(us)
    rows = []
    for uk in us:
        # full(u) = (u - uk) q(u): q_{n-1} = full_n, q_{i-1} = full_i + uk q_i.
        q = [Fraction(0)] * n
        q[n - 1] = full[n]
        for i in range(n - 1, 0, -1):
            q[i - 1] = full[i] + uk * q[i]
        denom = sum((c * uk**i for i, c in enumerate(q)), Fraction(0))
        rows.append([c / denom for c in q])
    return rows


def evaluate(coeffs: Sequence[Fraction], u: Fraction) -> Fraction:
    """Horner evaluation of ascending coefficients at a rational point."""
    acc = Fraction(0)
    for c in reversed(coeffs):
        acc = acc * u + c
    return acc


def evaluate_many(coeffs: Sequence[Fraction], points: Sequence[Fraction]) -> list[Fraction]:
    """Exact values at many rational points in integer arithmetic (fast for degree ~ 60).

    With c_i = C_i / D and u = p / q: value = sum_i C_i p^i q^(m-i) / (D q^m), m = len - 1, by the
    homogeneous Horner rule acc <- acc * p + C_i q^(m-i).
    """
    den = lcm(*(c.denominator for c in coeffs))
    ints = [c.numerator * (den // c.denominator) for c in coeffs]
    m = len(ints) - 1
    out = []
    for u in points:
        p, q = u.numerator, u.denominator
        acc = 0
        for i in range(m, -1, -1):
            acc = acc * p + ints[i] * q ** (m - i)
        out.append(Fraction(acc, den * q**m))
    return out
