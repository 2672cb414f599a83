"""Lemma 2 (eq. 8; proof in App. B, eq. 16-21): length-2 parity as sign of a degree-2 polynomial.

Statement: with w = (1, 0, 1, 0) / sqrt(2) there is psi(z) = a_2 z^2 + a_1 z + a_0 with |a_i| < 10 and
psi(<w/|w|, (e_{z1}; e_{z2})>) = 1 if z1 = z2 else -1 (eq. 8), where e_0 = (1, 0), e_1 = (0, 1).

Method (re-derive, then compare with the print, step by step, exactly in sympy):
  eq. 16  the inner products, computed from w and the one-hot vectors;
  eq. 17  the nodes and values they induce (eq. 8's labels at eq. 16's values);
  eq. 18  the Lagrange form through those nodes (``verify.interpolation.lagrange_form``);
  eq. 19, 20, 21  each printed line as a sympy expression exactly as printed, compared with the true
          interpolant (``expand`` of the difference) and with the printed line before it.
A wrong line is an erratum: the report gives the corrected polynomial, the values the printed
polynomial takes at the nodes, and whether sign(psi) of the printed one -- all eq. 6 uses -- still
labels the four inputs correctly.

Example::

    python -m verify.lemma2            # steps side by side, then the verdict rows
    python -m verify.lemma2 --json
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from itertools import product

import sympy
from sympy import Rational, sqrt

from verify import cli
from verify.interpolation import lagrange_form
from verify.report import Verdict

CLAIMS = ("L2",)

z = sympy.Symbol("z")
R2 = sqrt(2)

# The paper's vector (line above eq. 16) and the one-hot encoding of a bit.
W = sympy.Matrix([1, 0, 1, 0]) / R2
COEFFICIENT_BOUND = 10  # Lemma 2: |a_i| < 10


def one_hot(bit: int) -> sympy.Matrix:
    """e_0 = (1, 0), e_1 = (0, 1)."""
    return sympy.Matrix([1 - bit, bit])


def label(z1: int, z2: int) -> int:
    """Eq. 8's target: 1 when z1 = z2, -1 otherwise."""
    return 1 if z1 == z2 else -1


# ---- as printed (transcribed only to be compared) ------------------------------------------
PRINTED_EQ16 = {"z1=z2=0": R2, "z1!=z2": 1 / R2, "z1=z2=1": sympy.Integer(0)}
PRINTED_EQ17 = ((sympy.Integer(0), 1), (R2, 1), (1 / R2, -1))  # psi(0) = psi(sqrt2) = 1, psi(1/sqrt2) = -1
PRINTED_EQ18 = (
    ((z - 1 / R2) / (0 - 1 / R2)) * ((z - R2) / (0 - R2))
    - ((z - 0) / (1 / R2 - 0)) * ((z - R2) / (1 / R2 - R2))
    + ((z - 0) / (R2 - 0)) * ((z - 1 / R2) / (R2 - 1 / R2))
)
PRINTED_EQ19_TERMS = (1 * (z - 1 / R2) * (z - R2), z / 2 * (z - R2), 3 * z * (z - 1 / R2))
PRINTED_EQ20_TERMS = (z**2 - 3 / R2 * z + 1, z**2 / 2 - z / R2, 3 * z**2 - 3 * z / R2)
PRINTED_EQ21 = Rational(9, 2) * z**2 - 7 / R2 * z + 1
PRINTED = {
    "eq. 18": PRINTED_EQ18,
    "eq. 19": sympy.Add(*PRINTED_EQ19_TERMS),
    "eq. 20": sympy.Add(*PRINTED_EQ20_TERMS),
    "eq. 21": PRINTED_EQ21,
}


def _case(z1: int, z2: int) -> str:
    return "z1!=z2" if z1 != z2 else f"z1=z2={z1}"


def inner_products() -> dict[tuple[int, int], sympy.Expr]:
    """Eq. 16 recomputed: <w/|w|, (e_{z1}; e_{z2})> for all four inputs."""
    unit = W / W.norm()
    return {(z1, z2): sympy.simplify(sympy.radsimp(unit.dot(one_hot(z1).col_join(one_hot(z2)))))
            for z1, z2 in product((0, 1), repeat=2)}


def nodes_and_values() -> list[tuple[sympy.Expr, int]]:
    """Eq. 17 recomputed: distinct inner products (ascending) with eq. 8's label there.

    Raises ``ValueError`` if two inputs with different labels share an inner product (then no psi exists).
    """
    by_node: dict[sympy.Expr, int] = {}
    for (z1, z2), x in inner_products().items():
        if by_node.setdefault(x, label(z1, z2)) != label(z1, z2):
            raise ValueError(f"inputs with labels +1 and -1 both map to {x}")
    return sorted(by_node.items(), key=lambda item: float(item[0]))


def corrected_form() -> sympy.Expr:
    """Eq. 18 re-derived: the Lagrange form through eq. 17's nodes (unexpanded)."""
    pairs = nodes_and_values()
    return lagrange_form([x for x, _ in pairs], [sympy.Integer(v) for _, v in pairs], z)


def corrected_terms() -> tuple[sympy.Expr, ...]:
    """The weighted Lagrange terms with their constants worked out -- what eq. 19 should read:
    ``value_k / prod_{j != k} (x_k - x_j) * prod_{j != k} (z - x_j)``, products kept unexpanded."""
    pairs = nodes_and_values()
    out = []
    for k, (xk, vk) in enumerate(pairs):
        others = [xj for j, (xj, _) in enumerate(pairs) if j != k]
        const = sympy.radsimp(vk / sympy.Mul(*[xk - xj for xj in others]))
        out.append(sympy.Mul(const, *[z - xj for xj in others], evaluate=False))
    return tuple(out)


def corrected_psi() -> sympy.Poly:
    """The interpolant of eq. 17, expanded: the correct eq. 21 (exact ``sympy.Poly`` in ``z``)."""
    return sympy.Poly(sympy.expand(corrected_form()), z)


def same(a: sympy.Expr, b: sympy.Expr) -> bool:
    """Exact polynomial identity in z."""
    return sympy.expand(sympy.radsimp(sympy.expand(a - b))) == 0


def _fmt(e: sympy.Expr) -> str:
    return sympy.sstr(e)


@dataclass(frozen=True)
class Step:
    """One printed line of the proof against the re-derived object."""

    name: str
    printed: sympy.Expr
    equals_previous: bool | None  # the algebra from the previous printed line; None for eq. 18
    equals_interpolant: bool


def steps() -> list[Step]:
    """Eq. 18-21 as printed, each compared with the previous printed line and with the interpolant."""
    truth = corrected_form()
    out, previous = [], None
    for name, expr in PRINTED.items():
        out.append(Step(name, expr, None if previous is None else same(expr, previous), same(expr, truth)))
        previous = expr
    return out


def classification(poly: sympy.Expr) -> tuple[int, dict[tuple[int, int], sympy.Expr]]:
    """How many of the four inputs sign(poly(<w/|w|, e>)) labels as eq. 8 says, and the values."""
    values = {k: sympy.radsimp(sympy.expand(poly.subs(z, x))) for k, x in inner_products().items()}
    right = sum(int(sympy.sign(v) == label(*k)) for k, v in values.items())
    return right, values


def max_abs_coefficient(poly: sympy.Expr) -> sympy.Expr:
    coeffs = sympy.Poly(sympy.expand(poly), z).all_coeffs()
    return max((sympy.Abs(c) for c in coeffs), key=lambda c: sympy.expand(c**2))  # squares are rational here


def check() -> list[Verdict]:
    """Verdict rows for L2: eq. 16, 17, 18, 19, 20, 21 and the coefficient bound."""
    rows: list[Verdict] = []
    ip = inner_products()
    norm = W.norm()
    got16 = {_case(*k): v for k, v in ip.items()}
    ok16 = all(sympy.simplify(got16[c] - PRINTED_EQ16[c]) == 0 for c in PRINTED_EQ16)
    rows.append(Verdict(
        "L2", "holds" if ok16 else "erratum",
        f"eq. 16: |w| = {_fmt(norm)}; <w/|w|, (e_z1; e_z2)> = {_fmt(got16['z1=z2=0'])}, {_fmt(got16['z1!=z2'])}, "
        f"{_fmt(got16['z1=z2=1'])} for z1=z2=0, z1!=z2, z1=z2=1 (printed {_fmt(PRINTED_EQ16['z1=z2=0'])}, "
        f"{_fmt(PRINTED_EQ16['z1!=z2'])}, {_fmt(PRINTED_EQ16['z1=z2=1'])})",
        measured={k: str(v) for k, v in got16.items()}, claimed={k: str(v) for k, v in PRINTED_EQ16.items()},
        relation="eq"))

    pairs = nodes_and_values()
    ok17 = {(sympy.radsimp(x), v) for x, v in pairs} == {(sympy.radsimp(x), v) for x, v in PRINTED_EQ17}
    rows.append(Verdict(
        "L2", "holds" if ok17 else "erratum",
        "eq. 17: nodes/values " + ", ".join(f"psi({_fmt(x)}) = {v}" for x, v in pairs)
        + (" as printed" if ok17 else f"; printed {PRINTED_EQ17}"),
        measured=[(str(x), v) for x, v in pairs], claimed=[(str(x), v) for x, v in PRINTED_EQ17], relation="eq"))

    psi = corrected_psi()
    psi_expr = psi.as_expr()
    terms = corrected_terms()
    for step in steps():
        if step.equals_interpolant:
            rows.append(Verdict("L2", "holds", f"{step.name}: printed form equals the interpolant {_fmt(psi_expr)}",
                                measured=str(psi_expr), claimed=str(step.printed), relation="eq"))
            continue
        right, values = classification(step.printed)
        detail = {"printed": str(step.printed), "corrected": str(psi_expr),
                  "printed_values_at_inputs": {str(k): str(v) for k, v in values.items()},
                  "sign_correct_inputs": right}
        how = ("follows from the previous printed line" if step.equals_previous
               else "does NOT follow from the previous printed line")
        extra = ""
        if step.name == "eq. 19":
            wrong = [k + 1 for k, (p, c) in enumerate(zip(PRINTED_EQ19_TERMS, terms, strict=True)) if not same(p, c)]
            extra = (f"; wrong term(s) {wrong}: printed {', '.join(_fmt(PRINTED_EQ19_TERMS[k - 1]) for k in wrong)} "
                     f"should be {', '.join(_fmt(terms[k - 1]) for k in wrong)}")
            detail["corrected_terms"] = [str(t) for t in terms]
        node_vals = ", ".join(f"{_fmt(sympy.radsimp(step.printed.subs(z, x)))}" for x, _ in pairs)
        rows.append(Verdict(
            "L2", "erratum",
            f"{step.name}: printed (expanded) {_fmt(sympy.expand(step.printed))} != interpolant {_fmt(psi_expr)} "
            f"({how}){extra}; printed takes {node_vals} at nodes "
            f"{', '.join(_fmt(x) for x, _ in pairs)} (should be {', '.join(str(v) for _, v in pairs)}); "
            f"sign(psi) still right on {right}/4 inputs",
            measured=str(psi_expr), claimed=str(step.printed), relation="eq", details=detail))

    a_true, a_printed = max_abs_coefficient(psi_expr), max_abs_coefficient(PRINTED_EQ21)
    ok = bool(a_true < COEFFICIENT_BOUND)
    rows.append(Verdict(
        "L2", "holds" if ok else "fails",
        f"coefficient bound: corrected max |a_i| = {_fmt(a_true)} = {float(a_true):.4f} "
        f"{'<' if ok else '>='} {COEFFICIENT_BOUND} (printed eq. 21: {_fmt(a_printed)} = {float(a_printed):.4f}); "
        f"corrected psi = {_fmt(psi_expr)} satisfies eq. 8 exactly, so Lemma 2's conclusion survives",
        measured=float(a_true), claimed=COEFFICIENT_BOUND, relation="le"))
    return rows


def detail_text() -> str:
    """As printed and corrected, side by side, for the CLI."""
    psi = corrected_psi().as_expr()
    lines = ["Lemma 2, App. B: as printed | corrected", ""]
    lines.append("eq. 16 inner products:")
    for k, v in inner_products().items():
        lines.append(f"  z = {k}: {_fmt(v)}   label {label(*k):+d}")
    lines.append("eq. 19 terms (printed | corrected):")
    for p, c in zip(PRINTED_EQ19_TERMS, corrected_terms(), strict=True):
        lines.append(f"  {_fmt(p):<34} | {_fmt(c)}")
    lines.append(f"eq. 21: {_fmt(PRINTED_EQ21)} | {_fmt(psi)}")
    _, printed_vals = classification(PRINTED_EQ21)
    _, true_vals = classification(psi)
    lines.append("values at the four inputs (printed | corrected | label):")
    for k in printed_vals:
        lines.append(f"  z = {k}: {_fmt(printed_vals[k]):>6} | {_fmt(true_vals[k]):>3} | {label(*k):+d}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser("python -m verify.lemma2", __doc__)
    args = parser.parse_args(argv)
    return cli.emit(check(), as_json=args.json, detail="" if args.json else detail_text())


if __name__ == "__main__":
    sys.exit(cli.guarded(main))
