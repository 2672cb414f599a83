"""App. F Lemma 15 (eq. 81, 91-101): the random-guessing error of the parity class (claim L15).

Statement. H is the class of parities of size-d/2 subsets of [d], |H| = C(d, d/2). For a target h,

    E^{H,alpha,l} := min over H~ subset of H with |H~| >= alpha |H| of E_{h~ ~ U(H~)} E_x[l(h(x), h~(x))]   (81)
    eq. 91:  E^{H,alpha,l01} = 1/2 (1 - 1/(alpha |H|))             for every alpha in (0, 1)
    eq. 100: E_{h~ ~ U(H~)} E_x[l01] = 1/2 - 1/2 * (1/|H~| if h in H~ else 0)
    eq. 101: E^{H, 1 - n O(|H|^{-1/3}), l01} = 1/2 (1 - 1/(|H| - max{O(|H|^{2/3}) n, |H| - 1}))

Method. Exact, by enumeration for every even d <= 12 and every target h in H: the pairwise 0-1 losses
E_x[1{h(x) != h~(x)}] = (2^d - G[h, h~]) / 2^(d+1), with G = P P^T the exact character Gram matrix of
``verify.lemma13``. The minimum in eq. 81 is taken exactly without listing subsets: for a fixed size k the
smallest mean over k-element subsets is the mean of the k smallest losses, so
E^{H,alpha} = min_{k >= ceil(alpha |H|)} (sum of the k smallest losses) / k, in Fractions. (A brute force over
all subsets for d <= 4 in the tests agrees.) This is compared with eq. 91 as printed and with the form that
the proof (eq. 100) actually gives, 1/2 (1 - 1/ceil(alpha |H|)), over alpha = k/|H| and (k - 1/2)/|H|.

Findings. Eq. 100 holds. Eq. 91 holds when alpha |H| is an integer; otherwise the minimum is over
|H~| >= ceil(alpha |H|) and E = 1/2 (1 - 1/ceil(alpha |H|)), strictly above the printed value (so the
printed value remains a valid lower bound and the negative result survives). Eq. 101 with "max" gives the
denominator |H| - (|H| - 1) = 1, i.e. E = 0, whenever n O(|H|^{2/3}) < |H| - 1 (the regime of Theorem 4);
the clipping meant is "min": 1/2 (1 - 1/ceil(|H| - min{c n |H|^{2/3}, |H| - 1})).

Rule ``exact``, three parts (``decide``). Controls: a class with a member listed twice (eq. 100), the printed eq. 91
and eq. 101 planted as ours (both must fail).

Run: ``python -m verify.lemma15 [--dmax 12] [--c 1] [--full] [--json]``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from math import ceil, comb

import numpy as np
import sympy

from numerics.parity import parity_masks
from verify import cli
from verify.evidence import Control, Finding, compare
from verify.lemma13 import ENUMERATE_MAX_D, gram

CLAIMS = ("L15",)

HALF = Fraction(1, 2)


def pairwise_disagreements(d: int, masks: np.ndarray | None = None) -> np.ndarray:
    """D[h, h~] = #{x : h(x) != h~(x)} over all 2^d inputs (exact int64); the 0-1 loss is D / 2^d.

    ``masks``: the class as bitmasks (default: every size-d/2 subset, ``numerics.parity.parity_masks``).
    """
    return ((1 << d) - gram(d, masks)) // 2


def min_mean_from_size(losses: list[Fraction]) -> list[Fraction]:
    """``m[s]`` = min over subsets H~ with |H~| >= s of the mean loss over H~, for s = 1..|H| (``m[0]`` unused).

    For a fixed size k the smallest mean is the mean of the k smallest losses (any other k-subset has a
    sum at least as large), so m[s] = min_{k >= s} (sum of the k smallest) / k: a suffix minimum. Exact.
    """
    ordered = sorted(losses)
    means, total = [], Fraction(0)
    for k, loss in enumerate(ordered, start=1):
        total += loss
        means.append(total / k)
    suffix = means[:]
    for k in range(len(means) - 2, -1, -1):
        suffix[k] = min(suffix[k], suffix[k + 1])
    return [Fraction(0), *suffix]


def exact_E(losses: list[Fraction], alpha: Fraction, table: list[Fraction] | None = None) -> Fraction:
    """Eq. 81 for one target: min over subsets with |H~| >= alpha |H| of the mean loss, exactly.

    Args:
        losses: the target's loss against every member of H (its own entry included).
        alpha: the fraction, 0 < alpha <= 1.
        table: ``min_mean_from_size(losses)`` when already computed.
    """
    if not 0 < alpha <= 1:
        raise ValueError(f"alpha must be in (0, 1], got {alpha}")
    table = min_mean_from_size(losses) if table is None else table
    return table[ceil(alpha * len(losses))]


def eq91_printed(alpha: Fraction, size: int) -> Fraction:
    """Eq. 91 as printed: 1/2 (1 - 1/(alpha |H|))."""
    return HALF * (1 - 1 / (alpha * size))


def eq91_corrected(alpha: Fraction, size: int) -> Fraction:
    """What eq. 100 gives after the minimisation of eq. 81: 1/2 (1 - 1/ceil(alpha |H|))."""
    return HALF * (1 - Fraction(1, ceil(alpha * size)))


def eq100(h: int, members: list[int]) -> Fraction:
    """Eq. 100's right-hand side for target index h and the index set ``members`` of H~."""
    return HALF - HALF * (Fraction(1, len(members)) if h in members else 0)


def alphas(size: int) -> list[Fraction]:
    """alpha = k/|H| (alpha |H| an integer) and (k - 1/2)/|H| (not an integer), k = 1..|H|-1, inside (0, 1)."""
    out = []
    for k in range(1, size):
        out += [Fraction(k, size), Fraction(2 * k - 1, 2 * size)]
    return out


@dataclass(frozen=True)
class Eq91Result:
    """Eq. 91 and 100 for one d: mismatch counts over every distinct target row and every alpha of ``alphas``."""

    d: int
    size: int
    alphas: int
    integer_alphas: int
    integer_mismatch: int  # printed != exact where alpha |H| is an integer
    fractional_alphas: int
    fractional_mismatch: int  # printed != exact where alpha |H| is not an integer
    printed_above: int  # printed > exact (the printed value would not be a lower bound)
    corrected_mismatch: int  # our formula != exact
    eq100_pairs: int
    eq100_mismatch: int
    example: tuple[Fraction, Fraction, Fraction, Fraction]  # alpha, exact, printed, ours at alpha = (|H|-1)/(2|H|)


Formula = Callable[[Fraction, int], Fraction]


def check_eq91(d: int, subsets_per_target: int = 20, seed: int = 0, corrected: Formula | None = None,
               masks: np.ndarray | None = None) -> Eq91Result:
    """Eq. 91 and 100 for every target h of the class, exactly (see the module docstring).

    ``corrected`` is the formula we state (default ``eq91_corrected``); ``masks`` the class (default the whole
    size-d/2 class). The controls plant other values of both.
    """
    corrected = corrected or eq91_corrected
    disagree = pairwise_disagreements(d, masks)
    size = disagree.shape[0]
    scale = 1 << d
    # every target gives the same E when its sorted loss row is the same; compute once per distinct row
    rows = np.unique(np.sort(disagree, axis=1), axis=0)
    grid = alphas(size)
    n_int = n_frac = int_bad = frac_bad = above = corr_bad = 0
    middle = Fraction(size - 1, 2 * size)
    example = (middle, Fraction(0), Fraction(0), Fraction(0))
    for row in rows:
        losses = [Fraction(int(v), scale) for v in row]
        table = min_mean_from_size(losses)
        for alpha in grid:
            exact = exact_E(losses, alpha, table)
            printed = eq91_printed(alpha, size)
            ours = corrected(alpha, size)
            corr_bad += ours != exact
            above += printed > exact
            if (alpha * size).denominator == 1:
                n_int += 1
                int_bad += printed != exact
            else:
                n_frac += 1
                frac_bad += printed != exact
            if alpha == middle:
                example = (alpha, exact, printed, ours)
    rng = np.random.default_rng(seed)
    pairs = bad100 = 0
    for h in range(size):
        for _ in range(subsets_per_target):
            members = [int(i) for i in np.flatnonzero(rng.random(size) < rng.random())] or [h]
            mean = Fraction(int(disagree[h, members].sum()), scale * len(members))
            pairs += 1
            bad100 += mean != eq100(h, members)
    return Eq91Result(d, size, len(grid), n_int, int_bad, n_frac, frac_bad, above, corr_bad, pairs, bad100, example)


# ---------------------------------------------------------------------------------------------- eq. 101
def eq101(size: int, n: int, c: sympy.Expr, form: str) -> sympy.Expr:
    """Eq. 101 with O(|H|^{2/3}) = c |H|^{2/3}: ``form="printed"`` uses max{.}, ``"corrected"`` min{.} and ceil."""
    H = sympy.Integer(size)
    cut = c * n * H ** sympy.Rational(2, 3)
    if form == "printed":
        return sympy.Rational(1, 2) * (1 - 1 / (H - sympy.Max(cut, H - 1)))
    if form == "corrected":
        return sympy.Rational(1, 2) * (1 - 1 / sympy.ceiling(H - sympy.Min(cut, H - 1)))
    raise ValueError(f"form must be 'printed' or 'corrected', got {form!r}")


@dataclass(frozen=True)
class Eq101Row:
    d: int
    n: int
    alpha: float
    exact: Fraction
    printed: sympy.Expr
    corrected: sympy.Expr  # the form stated as ours (``form``)
    form: str = "corrected"


def check_eq101(d: int, c: sympy.Expr | int = 1, ns: tuple[int, ...] = (1, 2, 3), form: str = "corrected"
                ) -> list[Eq101Row]:
    """Eq. 101 against the exact minimum of eq. 81 at alpha = 1 - n c |H|^{-1/3}, for the n with alpha in (0, 1).

    The target is the first subset (every target gives the same minimum; ``check_eq91`` checks all of them).
    """
    c = sympy.nsimplify(c)
    disagree = pairwise_disagreements(d)
    size = disagree.shape[0]
    losses = [Fraction(int(v), 1 << d) for v in disagree[0]]
    out = []
    for n in ns:
        alpha = 1 - n * c * sympy.Integer(size) ** sympy.Rational(-1, 3)
        if not 0 < alpha < 1:
            continue
        # exact eq. 81 at an irrational alpha: only ceil(alpha |H|) matters, and sympy computes it exactly
        smallest = int(sympy.ceiling(alpha * size))
        exact = exact_E(losses, Fraction(smallest, size))
        out.append(Eq101Row(d, n, float(alpha), sympy.Rational(exact.numerator, exact.denominator),
                            eq101(size, n, c, "printed"), eq101(size, n, c, form), form))
    return out


# ---------------------------------------------------------------------------------------------- evidence
@dataclass(frozen=True)
class Config:
    """Sizes of the L15 check (fields are the CLI flags)."""

    dmax: int = field(default=10, metadata={"help": f"enumerate every even d in 2..dmax (at most {ENUMERATE_MAX_D})",
                                             "range": (2, ENUMERATE_MAX_D)})
    c: float = field(default=1.0, metadata={"help": "the constant of eq. 101's O(|H|^{2/3})", "range": (1e-6, 1e6)})
    subsets: int = field(default=20, metadata={"help": "seeded random H~ per target for eq. 100",
                                                "range": (1, 10_000)})
    seed: int = field(default=0, metadata={"help": "seed of the random H~", "range": (0, 2**32 - 1)})

    @classmethod
    def quick(cls) -> Config:
        return cls()

    @classmethod
    def full(cls) -> Config:
        return cls(dmax=12, subsets=100)


@dataclass(frozen=True)
class Data:
    eq91: tuple[Eq91Result, ...]
    eq101: tuple[Eq101Row, ...]
    c: sympy.Expr


def measure(config: Config, corrected91: Formula | None = None, form101: str = "corrected",
            duplicate_member: bool = False) -> Data:
    """Eq. 91 and 100 for every even d <= dmax, eq. 101 for d >= 4. The controls plant another eq. 91
    formula, the printed eq. 101 as ours, or a class with its first member listed twice."""
    c = sympy.nsimplify(config.c)
    results = []
    for d in range(2, config.dmax + 1, 2):
        masks = parity_masks(d)
        if duplicate_member:
            masks = np.concatenate([masks[:1], masks])
        results.append(check_eq91(d, config.subsets, config.seed, corrected91, masks))
    r101 = tuple(row for d in range(4, config.dmax + 1, 2) for row in check_eq101(d, c, form=form101))
    return Data(tuple(results), r101, c)


def decide(data: Data) -> list[Finding]:
    """Rule ``exact``, three parts.

    eq. 100: no (target, H~) pair where the mean 0-1 loss differs from 1/2 - [h in H~]/(2|H~|) (check).
    eq. 91: the printed 1/2 (1 - 1/(alpha|H|)) against the exact minimum, where alpha|H| is and is not an
    integer (printed); ours, 1/2 (1 - 1/ceil(alpha|H|)), at every alpha (corrected); the printed value never
    above the exact one (check: it stays a lower bound, so the negative result survives).
    eq. 101: the printed max{.} form and our min{.}-and-ceiling form against the exact minimum at
    alpha = 1 - n c |H|^(-1/3).
    """
    c100, c91 = [], []
    for r in data.eq91:
        p = {"d": r.d, "|H|": r.size}
        c100.append(compare("(target, H~) pairs where the mean 0-1 loss != eq. 100", "eq. 100", r.eq100_mismatch,
                            "eq", 0, params={**p, "pairs": r.eq100_pairs}))
        c91 += [
            compare("alphas (alpha|H| an integer) where eq. 91 as printed != the exact minimum", "eq. 91",
                    r.integer_mismatch, "eq", 0, params={**p, "alphas": r.integer_alphas}, role="printed"),
            compare("alphas (alpha|H| not an integer) where eq. 91 as printed != the exact minimum", "eq. 91",
                    r.fractional_mismatch, "eq", 0, params={**p, "alphas": r.fractional_alphas}, role="printed"),
            compare("alphas where 1/2 (1 - 1/ceil(alpha|H|)) != the exact minimum", "eq. 91", r.corrected_mismatch,
                    "eq", 0, params={**p, "alphas": r.alphas}, role="corrected"),
            compare("alphas where eq. 91 as printed > the exact minimum", "eq. 91", r.printed_above, "eq", 0,
                    params={**p, "alphas": r.alphas}, note="the printed value remains a lower bound"),
        ]
    last = data.eq91[-1]
    alpha, exact, printed, ours = last.example
    q = {"d": last.d, "|H|": last.size, "alpha": str(alpha)}
    c91 += [compare("E^(H, alpha, l01), eq. 91 as printed", "eq. 91", printed, "eq", exact, params=q, role="printed",
                    note="reference: the exact minimum of eq. 81"),
            compare("E^(H, alpha, l01), ours", "eq. 91", ours, "eq", exact, params=q, role="corrected")]
    c101 = []
    for row in data.eq101:
        q = {"d": row.d, "n": row.n, "alpha": round(row.alpha, 4), "c": str(data.c)}
        c101 += [compare("E^(H, alpha, l01), eq. 101 as printed (max)", "eq. 101", row.printed, "eq", row.exact,
                         params=q, role="printed"),
                 compare(f"E^(H, alpha, l01), eq. 101 ({row.form})", "eq. 101", row.corrected, "eq", row.exact,
                         params=q, role="corrected")]
    checks91 = all(c.holds for c in c91 if c.role in {"check", "corrected"})
    checks101 = all(c.holds for c in c101 if c.role == "corrected")
    out = [Finding("L15", "exact", tuple(c100), part="eq. 100",
                   scope=f"every target of the size-d/2 class, seeded random H~, d = 2..{last.d}"),
           Finding("L15", "exact", tuple(c91), part="eq. 91",
                   scope=f"every target and alpha = k/|H|, (k - 1/2)/|H|, d = 2..{last.d}, exact Fractions",
                   printed="E = 1/2 (1 - 1/(alpha |H|))", corrected="E = 1/2 (1 - 1/ceil(alpha |H|))",
                   conclusion_survives=checks91)]
    if c101:
        out.append(Finding("L15", "exact", tuple(c101), part="eq. 101",
                           scope=f"alpha = 1 - n c |H|^(-1/3) in (0, 1), d = 4..{last.d}",
                           printed="1/2 (1 - 1/(|H| - max{O(|H|^(2/3)) n, |H| - 1}))",
                           corrected="1/2 (1 - 1/ceil(|H| - min{c n |H|^(2/3), |H| - 1}))",
                           conclusion_survives=checks101))
    return out


def check(config: Config | None = None) -> list[Finding]:
    """The L15 findings at the given (default quick) sizes."""
    return decide(measure(config or Config.quick()))


def controls(findings: list[Finding]) -> list[Control]:
    """eq. 100: a class with its first member listed twice (that member's loss against its copy is 0, so the mean
    is off): fails. eq. 91: the printed formula planted as ours: fails. eq. 101: the printed max-form as ours."""
    config = Config(dmax=6, subsets=5)
    dup = decide(measure(config, duplicate_member=True))[0]
    p91 = decide(measure(config, corrected91=eq91_printed))[1]
    p101 = decide(measure(config, form101="printed"))[2]
    return [Control("L15", "a class with its first member listed twice, d <= 6", dup, part="eq. 100"),
            Control("L15", "eq. 91 as printed planted as our formula, d <= 6", p91, part="eq. 91"),
            Control("L15", "eq. 101 as printed (max) planted as our form, d <= 6", p101, part="eq. 101")]


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser("python -m verify.lemma15", __doc__, Config)
    args = parser.parse_args(argv)
    config = cli.config(Config, args)
    findings = check(config)
    sizes = ", ".join(f"d={d}: |H|={comb(d, d // 2)}" for d in range(2, config.dmax + 1, 2))
    return cli.emit(findings, args, controls=controls(findings),
                    detail="" if args.json else f"parity classes enumerated: {sizes}")


if __name__ == "__main__":
    sys.exit(cli.guarded(main))
