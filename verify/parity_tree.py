"""App. B eq. 13-15: the parity tree as a sequence of sub-tasks (claims T13, T14).

Statement (App. B). For a subset i_1 < ... < i_{d/2} of [d], the sub-tasks are the nodes of a full binary
tree over the d/4 leaf pairs (x_{i_1}, x_{i_2}), ..., (x_{i_{d/2-1}}, x_{i_{d/2}}), laid out leaves first:

    eq. 13   T := d + (nodes in a full binary tree with d/4 leaves) - 1 = 3d/2 - 2
    eq. 14   y_t = (-1)^(x_{i_{2(t-d)+1}} + x_{i_{2(t-d)+2}})                 d <= t < 5d/4
             y_t = (-1)^(y_{2(t-5d/4)+d} + y_{2(t-5d/4)+d+1})                  otherwise (as printed)
    eq. 15   z_t = x_t (t <= d),  z_t = (1 + y_{t-1}) / 2 (t > d, training)

Method. Eq. 13's node count is re-derived (a full binary tree with L leaves has 2L - 1 nodes) and compared
with the printed 3d/2 - 2 symbolically and with ``numerics.circuits.parity_tree`` for every supported d.
Eq. 14 is written again below, index by index (1-based as printed), independently of the circuit code;
its child positions are compared with the circuit's gate parents position by position, and its labels are
evaluated on all 2^d inputs (d <= 16) or on seeded samples: the root must equal the subset parity
(-1)^(sum_j x_{i_j}) and every label y_t must be a function of exactly two earlier sequence positions.

Finding (erratum). Printed literally, the upper case puts the {-1, +1} labels in the exponent:
y_a + y_b is in {-2, 0, 2}, so (-1)^(y_a + y_b) = 1 for every input and the root is constant. The
recursion that reproduces the parity uses the tokens of eq. 15, (-1)^(z_{a+1} + z_{b+1}) with
z_{c+1} = (1 + y_c) / 2, which equals the product y_a * y_b.

Supported d. Section 5 assumes d/2 (so d/4) a power of two: ``paper_tree_supported(d)``. Eq. 14's index
map itself is defined whenever 4 | d and then still describes a full binary tree (checked here); the
toolkit's ``parity_tree`` instead carries the last node of an odd level up unchanged, which agrees with
eq. 14 position by position exactly for the supported d. For an even d that is not supported this module
checks that documented generalisation (T = d + d/2 - 2 gates still) and says so; an odd d is refused.

Run: ``python -m verify.parity_tree [--d 16] [--seed S] [--samples N] [--json]``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import sympy

from numerics.circuits import Circuit, all_inputs, paper_tree_supported, parity_tree, random_subset
from verify import cli
from verify.report import Verdict

CLAIMS = ("T13", "T14")

EXHAUSTIVE_MAX_D = 16  # all 2^d inputs up to here; seeded samples above
FORMS = ("printed", "corrected")


# ---------------------------------------------------------------------------------------------- eq. 13
def eq13_printed(d: sympy.Expr | int) -> sympy.Expr:
    """Eq. 13 as printed: T = 3d/2 - 2."""
    return sympy.Rational(3, 2) * d - 2


def eq13_derived(d: sympy.Expr | int) -> sympy.Expr:
    """Eq. 13 re-derived: d + (2L - 1) - 1 with L = d/4 leaves (a full binary tree has L - 1 inner nodes)."""
    leaves = sympy.Rational(1, 4) * d
    return d + (2 * leaves - 1) - 1


# ---------------------------------------------------------------------------------------------- eq. 14
@dataclass(frozen=True)
class Children:
    """The two operands of y_t in eq. 14, 1-based as printed.

    ``kind == "x"``: y_t reads x_{i_a}, x_{i_b} (a, b index the subset i_1 < i_2 < ...).
    ``kind == "y"``: y_t reads the labels y_a, y_b (a, b are sequence indices d <= a < b < t).
    """

    kind: str
    a: int
    b: int


def eq14_T(d: int) -> int:
    """Last label index of eq. 14's recursion, T = 3d/2 - 2 (requires 4 | d)."""
    if d < 4 or d % 4:
        raise ValueError(f"eq. 14 needs d divisible by 4 (d/4 leaf pairs), got d={d}")
    return 3 * d // 2 - 2


def eq14_children(d: int, t: int) -> Children:
    """Eq. 14, index by index: the operands of y_t for d <= t <= T (1-based, as printed)."""
    T = eq14_T(d)
    if not d <= t <= T:
        raise ValueError(f"eq. 14 defines y_t for {d} <= t <= {T}, got t={t}")
    if t < Fraction(5 * d, 4):
        return Children("x", 2 * (t - d) + 1, 2 * (t - d) + 2)
    base = 2 * (t - 5 * d // 4) + d
    return Children("y", base, base + 1)


def eq14_parents(d: int, subset: Sequence[int]) -> list[tuple[int, int]]:
    """Eq. 14's operands as 0-based array positions of the circuit layout, one pair per label y_d..y_T.

    ``subset`` is 0-based and sorted (i_j = subset[j - 1] + 1). A raw bit x_{i} sits at array position
    i - 1; the token of label y_c is z_{c+1} (eq. 15), at array position c.
    """
    if len(subset) != d // 2:
        raise ValueError(f"eq. 14 reads a subset of d/2 = {d // 2} bits, got {len(subset)}")
    out = []
    for t in range(d, eq14_T(d) + 1):
        ch = eq14_children(d, t)
        out.append((subset[ch.a - 1], subset[ch.b - 1]) if ch.kind == "x" else (ch.a, ch.b))
    return out


def eq14_labels(d: int, subset: Sequence[int], x: np.ndarray, form: str = "corrected") -> np.ndarray:
    """The labels y_d..y_T of eq. 14 on a batch of inputs, computed from the recursion alone.

    Args:
        d: input length (4 | d).
        subset: 0-based sorted subset of d/2 indices.
        x: ``(batch, d)`` 0/1 inputs.
        form: ``"printed"`` evaluates (-1)^(y_a + y_b) literally with y in {-1, +1};
            ``"corrected"`` uses the eq. 15 tokens, (-1)^(z_{a+1} + z_{b+1}) with z = (1 + y) / 2.
    Returns:
        ``(batch, T - d + 1)`` int64 array of labels in {-1, +1}; column k is y_{d+k}.
    """
    if form not in FORMS:
        raise ValueError(f"form must be one of {FORMS}, got {form!r}")
    x = np.asarray(x, dtype=np.int64)
    T = eq14_T(d)
    y = np.zeros((x.shape[0], T - d + 1), dtype=np.int64)
    for t in range(d, T + 1):
        ch = eq14_children(d, t)
        if ch.kind == "x":
            exponent = x[:, subset[ch.a - 1]] + x[:, subset[ch.b - 1]]
        elif form == "printed":
            exponent = y[:, ch.a - d] + y[:, ch.b - d]
        else:
            exponent = (1 + y[:, ch.a - d]) // 2 + (1 + y[:, ch.b - d]) // 2
        y[:, t - d] = 1 - 2 * (exponent % 2)  # (-1)^exponent; Python's % keeps negative exponents right
    return y


def sequence_from_labels(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Eq. 15 at training time: z = (x_1..x_d, (1 + y_d)/2, ..., (1 + y_{T-1})/2), shape ``(batch, T)``."""
    return np.concatenate([np.asarray(x, dtype=np.int64), (1 + y[:, :-1]) // 2], axis=1)


# ------------------------------------------------------------------------------------------ invariants
def subset_parity_label(x: np.ndarray, subset: Sequence[int]) -> np.ndarray:
    """y = (-1)^(sum_j x_{i_j}) (Section 5)."""
    return 1 - 2 * (np.asarray(x, dtype=np.int64)[:, list(subset)].sum(axis=1) % 2)


def determined_by(target: np.ndarray, columns: np.ndarray) -> bool:
    """Whether ``target`` (batch,) is a function of the rows of ``columns`` (batch, k) on these inputs."""
    keys = columns.astype(np.int64) @ (1 << np.arange(columns.shape[1], dtype=np.int64))
    order = np.argsort(keys, kind="stable")
    k, v = keys[order], target[order]
    same_key = k[1:] == k[:-1]
    return bool(np.all(v[1:][same_key] == v[:-1][same_key]))


def dependence_report(z: np.ndarray, y: np.ndarray, parents: Sequence[tuple[int, int]], d: int) -> list[str]:
    """Problems with "y_t depends on exactly 2 earlier positions" on this batch; ``[]`` when it holds.

    Label y_{d+k} (column k of ``y``) is predicted at position t = d + k from z_1..z_t (array columns
    0..t-1). It must read two distinct earlier positions, be a function of those two, and be a function of
    no single position (nor constant), so no smaller set of positions determines it.
    """
    problems = []
    for k, (a, b) in enumerate(parents):
        t = d + k
        if not (a != b and 0 <= a < t and 0 <= b < t):
            problems.append(f"y_{t} reads positions {a + 1}, {b + 1}, not two distinct ones before {t + 1}")
            continue
        if not determined_by(y[:, k], z[:, [a, b]]):
            problems.append(f"y_{t} is not a function of z_{a + 1}, z_{b + 1}")
        if len(np.unique(y[:, k])) < 2 or single_position_determines(y[:, k], z[:, :t]).any():
            problems.append(f"y_{t} is determined by fewer than 2 positions")
    return problems


def single_position_determines(target: np.ndarray, z: np.ndarray) -> np.ndarray:
    """For each column s of the 0/1 matrix ``z`` (batch, t): is the ±1 ``target`` a function of z[:, s]?

    It is iff, for each value of z_s, the target takes one value only: count the four (z_s, target)
    combinations for all s at once and look for a z-value that meets both target values.
    """
    z = z.astype(np.int64)
    plus = (target == 1).astype(np.int64)
    minus = 1 - plus
    ones_plus, ones_minus = plus @ z, minus @ z
    zeros_plus, zeros_minus = plus.sum() - ones_plus, minus.sum() - ones_minus
    mixed = ((ones_plus > 0) & (ones_minus > 0)) | ((zeros_plus > 0) & (zeros_minus > 0))
    return ~mixed


def inputs_for(d: int, samples: int, seed: int) -> tuple[np.ndarray, str]:
    """All 2^d inputs for d <= 16, else ``samples`` seeded uniform draws; with a word for the report."""
    if d <= EXHAUSTIVE_MAX_D:
        return all_inputs(d), f"all 2^{d}"
    return np.random.default_rng(seed).integers(0, 2, size=(samples, d), dtype=np.uint8), f"{samples} sampled"


@dataclass(frozen=True)
class TreeCheck:
    """Everything measured for one (d, subset)."""

    d: int
    subset: tuple[int, ...]
    supported: bool
    T_circuit: int
    T_printed: Fraction
    inputs: str
    parents_match_eq14: bool | None  # None: eq. 14 undefined for this d
    root_ok_circuit: bool
    root_ok_eq14: bool | None
    labels_match_eq14: bool | None
    dependence_problems: tuple[str, ...]
    printed_root_constant: bool | None
    printed_root_mismatch: float | None  # fraction of inputs where the printed recursion's root is wrong


def check_tree(d: int, subset: Sequence[int], samples: int = 4096, seed: int = 0) -> TreeCheck:
    """Check one parity tree against eq. 13-15 (see the module docstring)."""
    subset = tuple(int(i) for i in subset)
    circuit: Circuit = parity_tree(d, subset)
    x, how = inputs_for(d, samples, seed)
    values = circuit.evaluate(x).astype(np.int64)
    y_circ = 2 * values[:, d:] - 1
    truth = subset_parity_label(x, subset)
    root_ok_circuit = bool(np.array_equal(y_circ[:, -1], truth))
    parents_circ = [g.parents for g in circuit.gates]
    if d % 4 == 0 and len(subset) == d // 2:
        parents14 = eq14_parents(d, subset)
        y14 = eq14_labels(d, subset, x, "corrected")
        y_printed = eq14_labels(d, subset, x, "printed")
        z14 = sequence_from_labels(x, y14)
        problems = [f"eq. 14: {p}" for p in dependence_report(z14, y14, parents14, d)]
        problems += [f"circuit: {p}" for p in dependence_report(values[:, : circuit.T], y_circ, parents_circ, d)]
        return TreeCheck(
            d, subset, paper_tree_supported(d), circuit.T, Fraction(3 * d, 2) - 2, how,
            parents_match_eq14=parents14 == [tuple(p) for p in parents_circ],
            root_ok_circuit=root_ok_circuit,
            root_ok_eq14=bool(np.array_equal(y14[:, -1], truth)),
            labels_match_eq14=bool(np.array_equal(y14, y_circ)) if y14.shape == y_circ.shape else False,
            dependence_problems=tuple(problems),
            printed_root_constant=bool(len(np.unique(y_printed[:, -1])) == 1),
            printed_root_mismatch=float(np.mean(y_printed[:, -1] != truth)),
        )
    problems = dependence_report(values[:, : circuit.T], y_circ, parents_circ, d)
    return TreeCheck(
        d, subset, False, circuit.T, Fraction(3 * d, 2) - 2, how, None, root_ok_circuit, None, None,
        tuple(problems), None, None,
    )


def supported_ds(d_max: int) -> list[int]:
    """Every d <= d_max for which App. B's tree exists as described in Section 5 (d/4 a power of two)."""
    return [d for d in range(4, d_max + 1, 4) if paper_tree_supported(d)]


# ---------------------------------------------------------------------------------------------- check
def check(d: int | None = None, seed: int = 0, samples: int = 4096, t13_max_d: int = 4096) -> list[Verdict]:
    """Verdict rows for T13 and T14.

    Args:
        d: one input length; ``None`` checks every supported d <= 16 exhaustively and 32, 64, 128 on samples.
        seed: seed of the random subset (``random_subset(d, seed)``) and of sampled inputs.
        samples: inputs drawn when d > 16.
        t13_max_d: eq. 13 is compared with the circuit for every supported d up to this.
    """
    if d is not None and (d < 4 or d % 2):
        raise cli.UsageError(f"d={d}: the subset has d/2 >= 2 bits, so d must be even and >= 4")
    ds = [d] if d is not None else [*supported_ds(EXHAUSTIVE_MAX_D), 32, 64, 128]
    results = [check_tree(dd, random_subset(dd, seed), samples, seed) for dd in ds]
    rows = [_t13_row(results, t13_max_d, seed)]
    rows += _t14_rows(results)
    return rows


def _t13_row(results: list[TreeCheck], t13_max_d: int, seed: int) -> Verdict:
    dsym = sympy.Symbol("d", positive=True)
    symbolic_ok = sympy.simplify(eq13_derived(dsym) - eq13_printed(dsym)) == 0
    sweep = supported_ds(t13_max_d)
    bad = [dd for dd in sweep if parity_tree(dd, random_subset(dd, seed)).T != eq13_printed(dd)]
    generalised = [r for r in results if not r.supported]
    bad += [r.d for r in generalised if r.T_circuit != r.T_printed]
    gen_note = ""
    if generalised:
        gen_note = (f"; d={', '.join(str(r.d) for r in generalised)} not supported by App. B (d/4 must be a power "
                    f"of two): the toolkit's generalisation gives T={', '.join(str(r.T_circuit) for r in generalised)}")
    ok = symbolic_ok and not bad
    evidence = (f"d + (2(d/4) - 1) - 1 {'==' if symbolic_ok else '!='} 3d/2 - 2 symbolically; circuit T == 3d/2 - 2 "
                f"for {len(sweep) - len([b for b in bad if b in sweep])}/{len(sweep)} supported d in "
                f"{sweep[0]}..{sweep[-1]}{gen_note}")
    if bad:
        evidence += f"; mismatch at d={bad}"
    return Verdict("T13", "holds" if ok else "fails", evidence,
                   measured={"symbolic": symbolic_ok, "mismatched_d": bad},
                   claimed="T = 3d/2 - 2", relation="eq", details={"supported_d": sweep})


def _t14_rows(results: list[TreeCheck]) -> list[Verdict]:
    paper = [r for r in results if r.supported]
    general = [r for r in results if not r.supported]
    rows = []
    if paper:
        structure_ok = all(r.parents_match_eq14 and r.root_ok_circuit and r.root_ok_eq14 and r.labels_match_eq14
                           and not r.dependence_problems for r in paper)
        ds = ", ".join(f"{r.d} ({r.inputs})" for r in paper)
        evidence = (f"eq. 14 (tokens in the exponent) == parity_tree gate by gate and label by label; root == "
                    f"(-1)^(subset sum); each y_t a function of exactly 2 earlier positions; d = {ds}")
        problems = [f"d={r.d}: {p}" for r in paper for p in r.dependence_problems]
        problems += [f"d={r.d}: eq. 14 parents differ from parity_tree" for r in paper if not r.parents_match_eq14]
        problems += [f"d={r.d}: root != parity" for r in paper if not (r.root_ok_circuit and r.root_ok_eq14)]
        problems += [f"d={r.d}: labels differ" for r in paper if not r.labels_match_eq14]
        if problems:
            evidence += "; problems: " + "; ".join(problems[:5])
        rows.append(Verdict("T14", "holds" if structure_ok else "fails", evidence,
                            measured={r.d: not r.dependence_problems for r in paper}, claimed="parity at the root, "
                            "fan-in 2", relation="eq", details={"problems": problems}))
        printed_ok = all(not r.printed_root_constant and r.printed_root_mismatch == 0 for r in paper if r.d > 4)
        upper = [r for r in paper if r.d > 4]
        if upper:
            mismatch = ", ".join(f"{r.printed_root_mismatch:.2f}" for r in upper)
            evidence = ("eq. 14 as printed, (-1)^(y_a + y_b) with y in {-1,+1}: y_a + y_b in {-2,0,2} so every "
                        f"upper label is +1 and the root is constant (root wrong on a fraction {mismatch} of inputs "
                        f"for d = {', '.join(str(r.d) for r in upper)}); corrected: y_t = (-1)^(z_(a+1) + z_(b+1)) "
                        "with z = (1+y)/2 (eq. 15), i.e. y_a*y_b, which reproduces the parity; the lemma survives")
            rows.append(Verdict("T14", "holds" if printed_ok else "erratum", evidence,
                                measured={r.d: r.printed_root_mismatch for r in upper}, claimed=0.0, relation="eq",
                                details={"printed": "(-1)^(y_a + y_b)",
                                         "corrected": "(-1)^(z_(a+1) + z_(b+1)) = y_a y_b"}))
    for r in general:
        ok = r.root_ok_circuit and not r.dependence_problems
        evidence = (f"d={r.d} is not supported by App. B (d/4 must be a power of two); checked the toolkit's "
                    f"documented generalisation (odd levels carry their last node up): root == parity and every "
                    f"label reads exactly 2 earlier positions on {r.inputs} inputs: {'yes' if ok else 'no'}")
        if r.parents_match_eq14 is not None:
            agrees = "agrees" if r.parents_match_eq14 else "differs"
            evidence += (f"; eq. 14's index map is defined for this d and {agrees} position by position, its "
                         f"(corrected) root == parity: {r.root_ok_eq14}")
        rows.append(Verdict("T14", "holds" if ok else "fails", evidence, measured=ok, claimed=True, relation="eq",
                            details={"problems": list(r.dependence_problems)}))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser("python -m verify.parity_tree", __doc__)
    parser.add_argument("--d", type=cli.int_in(4, 4096), default=None,
                        help="input length (even, >= 4); default: every supported d <= 16 and 32, 64, 128. "
                             "d/4 a power of two is App. B's tree; other even d use parity_tree's generalisation")
    parser.add_argument("--seed", type=cli.int_in(0, 2**32 - 1), default=0, help="seed of the subset and samples")
    parser.add_argument("--samples", type=cli.int_in(1, 1_000_000), default=4096,
                        help="sampled inputs when d > 16 (all 2^d inputs otherwise)")
    args = parser.parse_args(argv)
    rows = check(d=args.d, seed=args.seed, samples=args.samples)
    detail = ""
    if args.d is not None:
        subset = random_subset(args.d, args.seed)
        detail = f"d={args.d}, subset (1-based) = {[i + 1 for i in subset]}"
    return cli.emit(rows, as_json=args.json, detail=detail)


if __name__ == "__main__":
    sys.exit(cli.guarded(main))
