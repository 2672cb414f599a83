"""Lemma 2 (eq. 8; proof in App. B, eq. 16-21): length-2 parity as sign of a degree-2 polynomial (claim L2).

Statement: with w = (1, 0, 1, 0) / sqrt(2) there is psi(z) = a_2 z^2 + a_1 z + a_0 with |a_i| < 10 and
psi(<w/|w|, (e_{z1}; e_{z2})>) = 1 if z1 = z2 else -1 (eq. 8), where e_0 = (1, 0), e_1 = (0, 1).

Method (re-derive, then compare with the print, step by step, exactly in sympy):
  eq. 16  the inner products, computed from w and the one-hot vectors, against the printed values;
  eq. 17  the nodes and values they induce (eq. 8's labels at eq. 16's values) against the printed ones;
  eq. 18-21  the interpolant through those nodes (``verify.interpolation.lagrange_form``); each printed line
          (transcribed only to be compared) against it coefficient by coefficient, and against the printed
          line before it (which step of the algebra breaks); eq. 19's three terms against the weighted
          Lagrange terms of eq. 18.
  corrected  our psi (the interpolant, expanded) at the four inputs against eq. 8's labels, its degree, and
          max |a_i| < 10; our eq. 19 terms against eq. 18's.

Rule ``exact`` (verify.evidence): holds when every comparison holds; erratum when only printed lines fail
and every check and corrected comparison holds (then ``conclusion_survives``: our psi satisfies Lemma 2);
fails otherwise. The printed eq. 21's values at the inputs and its sign pattern are shown as context.

Controls (``controls``): the same ``decide`` fed (a) the printed eq. 21 planted as if it were our construction
(it takes the value 3 at z1 = z2 = 0, so the corrected comparisons fail: the verdict must become fails), and
(b) our corrected lines planted in place of the print (nothing printed is wrong any more: holds).

Run: ``python -m verify.lemma2 [--json] [--verbose]`` (no sizes: the lemma is one fixed polynomial).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from itertools import product

import sympy
from sympy import Rational, sqrt

from verify import cli
from verify.evidence import Comparison, Control, Finding, compare
from verify.interpolation import coefficients, encode, lagrange_form

CLAIMS = ("L2",)

z = sympy.Symbol("z")
R2 = sqrt(2)

# The paper's vector (line above eq. 16).
W = sympy.Matrix([1, 0, 1, 0]) / R2
COEFFICIENT_BOUND = 10  # Lemma 2: |a_i| < 10
INPUTS = tuple(product((0, 1), repeat=2))


def label(z1: int, z2: int) -> int:
    """Eq. 8's target: 1 when z1 = z2, -1 otherwise."""
    return 1 if z1 == z2 else -1


# ---- as printed (transcribed only to be compared) ------------------------------------------
PRINTED_EQ16 = {(0, 0): R2, (0, 1): 1 / R2, (1, 0): 1 / R2, (1, 1): sympy.Integer(0)}
PRINTED_EQ17 = ((sympy.Integer(0), 1), (R2, 1), (1 / R2, -1))  # psi(0) = psi(sqrt2) = 1, psi(1/sqrt2) = -1
PRINTED_EQ18 = (
    ((z - 1 / R2) / (0 - 1 / R2)) * ((z - R2) / (0 - R2))
    - ((z - 0) / (1 / R2 - 0)) * ((z - R2) / (1 / R2 - R2))
    + ((z - 0) / (R2 - 0)) * ((z - 1 / R2) / (R2 - 1 / R2))
)
PRINTED_EQ19_TERMS = (1 * (z - 1 / R2) * (z - R2), z / 2 * (z - R2), 3 * z * (z - 1 / R2))
PRINTED_EQ20_TERMS = (z**2 - 3 / R2 * z + 1, z**2 / 2 - z / R2, 3 * z**2 - 3 * z / R2)
PRINTED_EQ21 = Rational(9, 2) * z**2 - 7 / R2 * z + 1


def printed_lines() -> dict[str, sympy.Expr]:
    """Eq. 18-21 as printed, in order."""
    return {"eq. 18": PRINTED_EQ18, "eq. 19": sympy.Add(*PRINTED_EQ19_TERMS), "eq. 20": sympy.Add(*PRINTED_EQ20_TERMS),
            "eq. 21": PRINTED_EQ21}


# ---- re-derived ---------------------------------------------------------------------------------
def inner_products() -> dict[tuple[int, int], sympy.Expr]:
    """Eq. 16 recomputed: <w/|w|, (e_{z1}; e_{z2})> for all four inputs."""
    unit = W / W.norm()
    return {bits: sympy.radsimp(unit.dot(encode(bits))) for bits in INPUTS}


def nodes_and_values(ip: dict[tuple[int, int], sympy.Expr] | None = None) -> list[tuple[sympy.Expr, int]]:
    """Eq. 17 recomputed: distinct inner products (ascending) with eq. 8's label there.

    Raises ``ValueError`` if two inputs with different labels share an inner product (then no psi exists).
    """
    by_node: dict[sympy.Expr, int] = {}
    for bits, x in (ip or inner_products()).items():
        if by_node.setdefault(x, label(*bits)) != label(*bits):
            raise ValueError(f"inputs with labels +1 and -1 both map to {x}")
    return sorted(by_node.items(), key=lambda item: float(item[0]))


def corrected_form() -> sympy.Expr:
    """Eq. 18 re-derived: the Lagrange form through eq. 17's nodes (unexpanded)."""
    pairs = nodes_and_values()
    return lagrange_form([x for x, _ in pairs], [sympy.Integer(v) for _, v in pairs], z)


def lagrange_terms(pairs: list[tuple[sympy.Expr, int]] | None = None) -> tuple[sympy.Expr, ...]:
    """The weighted Lagrange terms with their constants worked out -- what eq. 19 should read:
    ``value_k / prod_{j != k} (x_k - x_j) * prod_{j != k} (z - x_j)``, products kept unexpanded."""
    pairs = pairs or nodes_and_values()
    out = []
    for k, (xk, vk) in enumerate(pairs):
        others = [xj for j, (xj, _) in enumerate(pairs) if j != k]
        const = sympy.radsimp(vk / sympy.Mul(*[xk - xj for xj in others]))
        out.append(sympy.Mul(const, *[z - xj for xj in others], evaluate=False))
    return tuple(out)


corrected_terms = lagrange_terms  # what eq. 19 should read


def corrected_psi() -> sympy.Poly:
    """The interpolant of eq. 17, expanded: the correct eq. 21 (exact ``sympy.Poly`` in ``z``)."""
    return sympy.Poly(sympy.expand(corrected_form()), z)


def same(a: sympy.Expr, b: sympy.Expr) -> bool:
    """Exact polynomial identity in z."""
    return all(c == 0 for c in coefficients(a - b, z))


def classification(poly: sympy.Expr) -> tuple[int, dict[tuple[int, int], sympy.Expr]]:
    """How many of the four inputs sign(poly(<w/|w|, e>)) labels as eq. 8 says, and the values."""
    values = {k: sympy.radsimp(sympy.expand(sympy.sympify(poly).subs(z, x))) for k, x in inner_products().items()}
    right = sum(int(sympy.sign(v) == label(*k)) for k, v in values.items())
    return right, values


def max_abs_coefficient(poly: sympy.Expr) -> sympy.Expr:
    """max_i |a_i|, exactly (ordered by the rational squares of the coefficients)."""
    return max((sympy.Abs(c) for c in coefficients(poly, z)), key=lambda c: sympy.expand(c**2))


# ---- the evidence model -------------------------------------------------------------------------
@dataclass(frozen=True)
class Config:
    """Lemma 2 has no sizes: one fixed w and one polynomial. (No CLI flags beyond the common ones.)"""

    @classmethod
    def quick(cls) -> Config:
        return cls()

    @classmethod
    def full(cls) -> Config:
        return cls()


@dataclass(frozen=True)
class Data:
    """What L2 measured (re-derived) and the printed forms it is compared with.

    ``psi`` is the polynomial we state as Lemma 2's construction and ``terms`` our eq. 19; the controls plant
    other objects in these fields.
    """

    inner_products: dict[tuple[int, int], sympy.Expr]
    nodes: tuple[tuple[sympy.Expr, int], ...]
    interpolant: sympy.Expr  # the Lagrange form through the re-derived nodes
    lagrange_terms: tuple[sympy.Expr, ...]  # the three weighted terms of eq. 18
    psi: sympy.Expr  # our corrected eq. 21
    terms: tuple[sympy.Expr, ...]  # our corrected eq. 19
    printed16: dict[tuple[int, int], sympy.Expr]
    printed17: tuple[tuple[sympy.Expr, int], ...]
    printed: dict[str, sympy.Expr]  # eq. 18-21 as printed
    printed19_terms: tuple[sympy.Expr, ...]


def measure(config: Config | None = None) -> Data:
    """Re-derive eq. 16-21 and collect the printed forms."""
    ip = inner_products()
    pairs = nodes_and_values(ip)
    interpolant = lagrange_form([x for x, _ in pairs], [sympy.Integer(v) for _, v in pairs], z)
    terms = lagrange_terms(pairs)
    return Data(ip, tuple(pairs), interpolant, terms, sympy.expand(interpolant), terms, dict(PRINTED_EQ16),
                PRINTED_EQ17, printed_lines(), PRINTED_EQ19_TERMS)


def _poly_comparisons(quantity: str, source: str, expr: sympy.Expr, truth: sympy.Expr, role: str,
                      note: str = "") -> list[Comparison]:
    """One exact comparison per coefficient of z^i (i = 2, 1, 0) of ``expr`` against ``truth``."""
    a, b = coefficients(expr, z), coefficients(truth, z)
    n = max(len(a), len(b))
    a, b = a + [sympy.Integer(0)] * (n - len(a)), b + [sympy.Integer(0)] * (n - len(b))
    return [compare(f"{quantity}, coefficient of z^{i}", source, a[i], "eq", b[i], role=role, note=note)
            for i in reversed(range(n))]


def decide(data: Data) -> list[Finding]:
    """Rule ``exact`` over the comparisons listed in the module docstring."""
    comps: list[Comparison] = []
    for bits in INPUTS:
        comps.append(compare("<w/|w|, (e_z1; e_z2)>", "eq. 16", data.inner_products[bits], "eq", data.printed16[bits],
                             params={"z1": bits[0], "z2": bits[1]}, role="printed"))
    printed17 = {sympy.radsimp(x): v for x, v in data.printed17}
    for x, v in data.nodes:
        comps.append(compare("psi at the node", "eq. 17", v, "eq", printed17.get(sympy.radsimp(x), sympy.nan),
                             params={"node": x}, role="printed"))
    comps.append(compare("number of nodes", "eq. 17", len(data.nodes), "eq", len(data.printed17), role="printed"))
    previous = None
    for name, expr in data.printed.items():
        comps += _poly_comparisons(f"{name} as printed vs the interpolant", name, expr, data.interpolant, "printed")
        if previous is not None:
            diff = max((sympy.Abs(c) for c in coefficients(expr - data.printed[previous], z)),
                       key=lambda c: float(c))
            comps.append(compare(f"max |coefficient| of {name} - {previous} (the algebra of this step)", name,
                                 diff, "eq", 0, role="printed"))
        previous = name
    for k, (got, want) in enumerate(zip(data.printed19_terms, data.lagrange_terms, strict=True), 1):
        diff = max((sympy.Abs(c) for c in coefficients(got - want, z)), key=lambda c: float(c))
        comps.append(compare(f"eq. 19 term {k} as printed: max |coefficient| of (printed - Lagrange term)", "eq. 19",
                             diff, "eq", 0, role="printed", note=f"printed {got}, Lagrange {want}"))
    for k, (got, want) in enumerate(zip(data.terms, data.lagrange_terms, strict=True), 1):
        diff = max((sympy.Abs(c) for c in coefficients(got - want, z)), key=lambda c: float(c))
        comps.append(compare(f"eq. 19 term {k} corrected: max |coefficient| of (ours - Lagrange term)", "eq. 19",
                             diff, "eq", 0, role="corrected", note=f"ours {got}"))
    for bits in INPUTS:
        value = sympy.radsimp(sympy.expand(data.psi.subs(z, data.inner_products[bits])))
        comps.append(compare("psi(<w/|w|, e>) of our psi", "eq. 8", value, "eq", label(*bits),
                             params={"z1": bits[0], "z2": bits[1]}, role="corrected", note=f"psi = {data.psi}"))
    comps += _poly_comparisons("our eq. 21 vs the interpolant", "eq. 21", data.psi, data.interpolant, "corrected")
    comps.append(compare("degree of our psi", "Lemma 2", sympy.Poly(data.psi, z).degree(), "le", 2))
    comps.append(compare("max |a_i| of our psi", "Lemma 2", max_abs_coefficient(data.psi), "lt", COEFFICIENT_BOUND))
    printed21 = data.printed["eq. 21"]
    for bits in INPUTS:
        value = sympy.radsimp(sympy.expand(printed21.subs(z, data.inner_products[bits])))
        comps.append(compare("sign of printed eq. 21 at the input times the label", "eq. 6, 8",
                             sympy.sign(value) * label(*bits), "eq", 1, params={"z1": bits[0], "z2": bits[1]},
                             role="context", note=f"printed eq. 21 takes {value}"))
    comps.append(compare("max |a_i| of printed eq. 21", "Lemma 2", max_abs_coefficient(printed21), "lt",
                         COEFFICIENT_BOUND, role="context"))
    deciding_ok = all(c.holds for c in comps if c.role in {"check", "corrected"})
    return [Finding(
        "L2", "exact", tuple(comps), scope="w = (1,0,1,0)/sqrt(2), the four inputs (z1, z2) in {0,1}^2, exact sympy",
        printed=f"eq. 19 = {' + '.join(map(str, data.printed19_terms))}; eq. 21 = {printed21}",
        corrected=f"eq. 19 = {' + '.join(map(str, data.terms))}; eq. 21 = {data.psi}",
        conclusion_survives=deciding_ok,
        details={"psi": str(data.psi), "interpolant": str(sympy.expand(data.interpolant))})]


def check(config: Config | None = None) -> list[Finding]:
    """The L2 finding."""
    return decide(measure(config or Config.quick()))


def controls(findings: list[Finding]) -> list[Control]:
    """(a) the printed eq. 21 (and eq. 19 terms) planted as our construction: must fail; (b) our corrected lines
    planted as the print: nothing printed is wrong any more, must hold."""
    data = measure()
    as_ours = replace(data, psi=PRINTED_EQ21, terms=PRINTED_EQ19_TERMS)
    fixed_print = sympy.Add(*data.terms)
    as_printed = replace(data, printed={"eq. 18": data.printed["eq. 18"], "eq. 19": fixed_print,
                                        "eq. 20": sympy.expand(fixed_print), "eq. 21": data.psi},
                         printed19_terms=data.terms)
    return [Control("L2", "the printed eq. 19 terms and eq. 21 planted as our construction", decide(as_ours)[0]),
            Control("L2", "our corrected eq. 19 terms and eq. 21 planted in place of the print", decide(as_printed)[0])]


def detail_text() -> str:
    """As printed and corrected, side by side, for the CLI."""
    psi = corrected_psi().as_expr()
    lines = ["Lemma 2, App. B: as printed | corrected", ""]
    lines.append("eq. 16 inner products:")
    for k, v in inner_products().items():
        lines.append(f"  z = {k}: {v}   label {label(*k):+d}")
    lines.append("eq. 19 terms (printed | corrected):")
    for p, c in zip(PRINTED_EQ19_TERMS, lagrange_terms(), strict=True):
        lines.append(f"  {sympy.sstr(p):<34} | {sympy.sstr(c)}")
    lines.append(f"eq. 21: {PRINTED_EQ21} | {psi}")
    _, printed_vals = classification(PRINTED_EQ21)
    _, true_vals = classification(psi)
    lines.append("values at the four inputs (printed | corrected | label):")
    for k in printed_vals:
        lines.append(f"  z = {k}: {sympy.sstr(printed_vals[k]):>6} | {sympy.sstr(true_vals[k]):>3} | {label(*k):+d}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser("python -m verify.lemma2", __doc__, Config)
    args = parser.parse_args(argv)
    findings = check(cli.config(Config, args))
    return cli.emit(findings, args, controls=controls(findings), detail="" if args.json else detail_text())


if __name__ == "__main__":
    sys.exit(cli.guarded(main))
