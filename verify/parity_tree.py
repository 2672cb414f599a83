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

Rule ``exact`` (see ``decide``). Controls: eq. 13 planted as 2d - 2 (T13 must fail) and the printed recursion
planted as ours (its root is constant: T14 must fail).

Run: ``python -m verify.parity_tree [--d 16] [--seed S] [--samples N] [--full] [--json]``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import sympy

from numerics.circuits import Circuit, all_inputs, paper_tree_supported, parity_tree, random_subset
from verify import cli
from verify.evidence import Comparison, Control, Finding, compare

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
    zb = np.asarray(z) != 0
    for k, (a, b) in enumerate(parents):
        t = d + k
        if not (a != b and 0 <= a < t and 0 <= b < t):
            problems.append(f"y_{t} reads positions {a + 1}, {b + 1}, not two distinct ones before {t + 1}")
            continue
        if not determined_by(y[:, k], z[:, [a, b]]):
            problems.append(f"y_{t} is not a function of z_{a + 1}, z_{b + 1}")
        if len(np.unique(y[:, k])) < 2 or single_position_determines(y[:, k], zb[:, :t]).any():
            problems.append(f"y_{t} is determined by fewer than 2 positions")
    return problems


def single_position_determines(target: np.ndarray, z: np.ndarray) -> np.ndarray:
    """For each column s of the 0/1 matrix ``z`` (batch, t): is the ±1 ``target`` a function of z[:, s]?

    It is iff, for each value of z_s, the target takes one value only: count the four (z_s, target)
    combinations for all s at once and look for a z-value that meets both target values.
    """
    z = z if z.dtype == bool else np.asarray(z) != 0
    plus = np.asarray(target) == 1
    # counts by reduction, not a matrix product: BLAS threads only contend on a loaded machine
    ones_plus, ones_minus = np.count_nonzero(z[plus], axis=0), np.count_nonzero(z[~plus], axis=0)
    zeros_plus, zeros_minus = plus.sum() - ones_plus, (~plus).sum() - ones_minus
    mixed = ((ones_plus > 0) & (ones_minus > 0)) | ((zeros_plus > 0) & (zeros_minus > 0))
    return ~mixed


def inputs_for(d: int, samples: int, seed: int) -> tuple[np.ndarray, str]:
    """All 2^d inputs for d <= 16, else ``samples`` seeded uniform draws; with a word for the report."""
    if d <= EXHAUSTIVE_MAX_D:
        return all_inputs(d), f"all 2^{d}"
    return np.random.default_rng(seed).integers(0, 2, size=(samples, d), dtype=np.uint8), f"{samples} sampled"


@dataclass(frozen=True)
class TreeCheck:
    """Everything measured for one (d, subset); mismatch counts are over the evaluated inputs."""

    d: int
    subset: tuple[int, ...]
    supported: bool
    T_circuit: int
    inputs: str
    n_inputs: int
    root_mismatch_circuit: int  # parity_tree's root vs (-1)^(subset sum)
    dependence_problems: tuple[str, ...]
    parents_mismatch: int | None = None  # eq. 14's child positions vs parity_tree's, positions that differ
    root_mismatch_eq14: int | None = None  # eq. 14 (``form``) root vs the parity
    labels_mismatch_eq14: int | None = None  # eq. 14 (``form``) labels vs parity_tree's, (input, t) entries
    printed_root_mismatch: int | None = None  # eq. 14 as printed: root vs the parity
    form: str = "corrected"


def check_tree(d: int, subset: Sequence[int], samples: int = 4096, seed: int = 0, form: str = "corrected") -> TreeCheck:
    """Check one parity tree against eq. 13-15 (see the module docstring); ``form`` is the recursion taken as
    ours ("corrected"; the control plants "printed")."""
    subset = tuple(int(i) for i in subset)
    circuit: Circuit = parity_tree(d, subset)
    x, how = inputs_for(d, samples, seed)
    values = circuit.evaluate(x).astype(np.int64)
    y_circ = 2 * values[:, d:] - 1
    truth = subset_parity_label(x, subset)
    base = dict(d=d, subset=subset, supported=paper_tree_supported(d), T_circuit=circuit.T, inputs=how,
                n_inputs=len(x), root_mismatch_circuit=int(np.sum(y_circ[:, -1] != truth)))
    parents_circ = [tuple(g.parents) for g in circuit.gates]
    if d % 4 == 0 and len(subset) == d // 2:
        parents14 = eq14_parents(d, subset)
        y14 = eq14_labels(d, subset, x, form)
        y_printed = eq14_labels(d, subset, x, "printed")
        z14 = sequence_from_labels(x, y14)
        problems = [f"eq. 14: {p}" for p in dependence_report(z14, y14, parents14, d)]
        problems += [f"circuit: {p}" for p in dependence_report(values[:, : circuit.T], y_circ, parents_circ, d)]
        same_shape = len(parents14) == len(parents_circ)
        return TreeCheck(
            **base, dependence_problems=tuple(problems),
            parents_mismatch=(sum(a != b for a, b in zip(parents14, parents_circ, strict=True)) if same_shape
                              else max(len(parents14), len(parents_circ))),
            root_mismatch_eq14=int(np.sum(y14[:, -1] != truth)),
            labels_mismatch_eq14=int(np.sum(y14 != y_circ)) if y14.shape == y_circ.shape else int(y14.size),
            printed_root_mismatch=int(np.sum(y_printed[:, -1] != truth)), form=form)
    problems = dependence_report(values[:, : circuit.T], y_circ, parents_circ, d)
    return TreeCheck(**base, dependence_problems=tuple(problems))


def supported_ds(d_max: int) -> list[int]:
    """Every d <= d_max for which App. B's tree exists as described in Section 5 (d/4 a power of two)."""
    return [d for d in range(4, d_max + 1, 4) if paper_tree_supported(d)]


# ---------------------------------------------------------------------------------------------- evidence
@dataclass(frozen=True)
class Config:
    """Sizes of the T13/T14 check (fields are the CLI flags)."""

    d: tuple[int, ...] = field(default=(4, 8, 16, 32, 64, 128), metadata={
        "help": "input lengths (even; d/4 a power of two is App. B's tree, other even d parity_tree's "
                "generalisation); all 2^d inputs up to d = 16, seeded samples above", "range": (4, 4096)})
    seed: int = field(default=0, metadata={"help": "seed of the subsets and the sampled inputs",
                                           "range": (0, 2**32 - 1)})
    samples: int = field(default=4096, metadata={"help": "sampled inputs when d > 16", "range": (1, 1_000_000)})
    t13_max_d: int = field(default=4096, metadata={"help": "eq. 13 vs the circuit's T for every supported d up "
                                                           "to this", "range": (4, 65536)})

    @classmethod
    def quick(cls) -> Config:
        return cls()

    @classmethod
    def full(cls) -> Config:
        return cls(d=(4, 8, 16, 32, 64, 128, 256), samples=8192, t13_max_d=65536)


@dataclass(frozen=True)
class Data:
    """What T13/T14 measured. ``eq13`` is the formula compared with the circuits (the printed 3d/2 - 2; the
    control plants another)."""

    eq13: sympy.Expr
    t13: tuple[tuple[int, int], ...]  # (d, circuit T) for every supported d up to t13_max_d
    trees: tuple[TreeCheck, ...]


D_SYMBOL = sympy.Symbol("d", positive=True)


def measure(config: Config, eq13: sympy.Expr | None = None, form: str = "corrected") -> Data:
    """Eq. 13 against the circuits; each d's tree against eq. 14-15."""
    bad = [d for d in config.d if d % 2]
    if bad:
        raise ValueError(f"d={bad[0]}: the subset has d/2 >= 2 bits, so d must be even and >= 4")
    t13 = tuple((d, parity_tree(d, random_subset(d, config.seed)).T) for d in supported_ds(config.t13_max_d))
    trees = tuple(check_tree(d, random_subset(d, config.seed), config.samples, config.seed, form)
                  for d in sorted(set(config.d)))
    return Data(eq13_printed(D_SYMBOL) if eq13 is None else eq13, t13, trees)


def decide(data: Data) -> list[Finding]:
    """Rule ``exact``.

    T13: the coefficients of eq. 13 (d and 1) equal the re-derived count d + (2 d/4 - 1) - 1, and the circuit's
    T equals eq. 13 at every supported d (and at every unsupported d that was checked).
    T14: per supported d, eq. 14's child positions equal parity_tree's; our recursion's root is the parity on
    every input and its labels equal the circuit's (corrected); the printed recursion's root is the parity
    (printed); the circuit's root is the parity and every label is a function of exactly 2 earlier positions
    (check). Unsupported even d form their own part (the toolkit's generalisation), with check comparisons.
    """
    derived = sympy.Poly(eq13_derived(D_SYMBOL), D_SYMBOL)
    printed = sympy.Poly(data.eq13, D_SYMBOL)
    t13 = [compare(f"coefficient of {name} in eq. 13", "eq. 13", printed.coeff_monomial(mono), "eq",
                   derived.coeff_monomial(mono), note="printed vs d + (2(d/4) - 1) - 1")
           for name, mono in (("d", D_SYMBOL), ("1", 1))]
    t13 += [compare("circuit T", "eq. 13", t, "eq", data.eq13.subs(D_SYMBOL, d), params={"d": d})
            for d, t in data.t13]
    t13 += [compare("circuit T (parity_tree's generalisation)", "eq. 13", r.T_circuit, "eq",
                    data.eq13.subs(D_SYMBOL, r.d), params={"d": r.d}) for r in data.trees if not r.supported]
    sweep = [d for d, _ in data.t13]
    out = [Finding("T13", "exact", tuple(t13), scope=f"symbolic in d, and parity_tree's T for every supported d in "
                   f"{sweep[0]}..{sweep[-1]}" if sweep else "symbolic in d")]
    paper, general = [r for r in data.trees if r.supported], [r for r in data.trees if not r.supported]
    comps: list[Comparison] = []
    for r in paper:
        p = {"d": r.d, "inputs": r.inputs}
        comps.append(compare("eq. 14 child positions differing from parity_tree's", "eq. 14", r.parents_mismatch,
                             "eq", 0, params=p))
        comps.append(compare("inputs where parity_tree's root != (-1)^(subset sum)", "eq. 14", r.root_mismatch_circuit,
                             "eq", 0, params=p))
        comps.append(compare("labels y_t not a function of exactly 2 earlier positions", "eq. 14-15",
                             len(r.dependence_problems), "eq", 0, params=p,
                             note="; ".join(r.dependence_problems[:3])))
        comps.append(compare("fraction of inputs where the root of eq. 14 as printed, (-1)^(y_a + y_b), != parity",
                             "eq. 14", Fraction(r.printed_root_mismatch, r.n_inputs), "eq", 0, params=p,
                             role="printed"))
        comps.append(compare(f"fraction of inputs where the root of our eq. 14 ({r.form}) != parity", "eq. 14-15",
                             Fraction(r.root_mismatch_eq14, r.n_inputs), "eq", 0, params=p, role="corrected",
                             note="(-1)^(z_(a+1) + z_(b+1)) with z = (1+y)/2, i.e. y_a y_b"))
        comps.append(compare(f"labels of our eq. 14 ({r.form}) differing from parity_tree's", "eq. 14-15",
                             r.labels_mismatch_eq14, "eq", 0, params=p, role="corrected"))
    if paper:
        ok = all(c.holds for c in comps if c.role != "printed")
        out.append(Finding("T14", "exact", tuple(comps),
                           scope=f"d = {', '.join(f'{r.d} ({r.inputs})' for r in paper)}, seeded subsets",
                           printed="y_t = (-1)^(y_a + y_b) above the leaves, y in {-1,+1}",
                           corrected="y_t = (-1)^(z_(a+1) + z_(b+1)), z = (1 + y)/2 (eq. 15), i.e. y_a y_b",
                           conclusion_survives=ok))
    gen: list[Comparison] = []
    for r in general:
        p = {"d": r.d, "inputs": r.inputs}
        gen.append(compare("inputs where parity_tree's root != (-1)^(subset sum)", "eq. 14", r.root_mismatch_circuit,
                           "eq", 0, params=p))
        gen.append(compare("labels y_t not a function of exactly 2 earlier positions", "eq. 14-15",
                           len(r.dependence_problems), "eq", 0, params=p, note="; ".join(r.dependence_problems[:3])))
    if general:
        out.append(Finding("T14", "exact", tuple(gen), part="generalised d",
                           scope="d/4 not a power of two: not App. B's tree; parity_tree carries the last node of an "
                                 "odd level up unchanged"))
    return out


def check(config: Config | None = None) -> list[Finding]:
    """The T13 and T14 findings at the given (default quick) sizes."""
    return decide(measure(config or Config.quick()))


def controls(findings: list[Finding]) -> list[Control]:
    """T13: eq. 13 planted as 2d - 2 (a tree over d/2 leaves, one per subset bit, instead of d/4 leaf pairs): the
    circuits contradict it, fails. T14: the printed recursion planted as ours: its root is constant, fails."""
    config = Config(d=(8, 16), t13_max_d=256)
    t13 = decide(measure(config, eq13=2 * D_SYMBOL - 2))[0]
    t14 = next(f for f in decide(measure(config, form="printed")) if f.id == "T14" and not f.part)
    return [Control("T13", "eq. 13 planted as T = 2d - 2 (d/2 leaves)", t13),
            Control("T14", "eq. 14 as printed planted as our recursion, d = 8, 16", t14)]


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser("python -m verify.parity_tree", __doc__, Config)
    args = parser.parse_args(argv)
    config = cli.config(Config, args)
    findings = check(config)
    detail = "\n".join(f"d={d}, subset (1-based) = {[i + 1 for i in random_subset(d, config.seed)]}"
                       for d in sorted(set(config.d)) if d <= 16)
    return cli.emit(findings, args, controls=controls(findings), detail="" if args.json else detail)


if __name__ == "__main__":
    sys.exit(cli.guarded(main))
