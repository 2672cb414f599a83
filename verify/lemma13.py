"""App. F Lemma 13 (eq. 83-88): distinct subset parities are uncorrelated under uniform x (claim L13).

Statement. For subsets (i_j)_{j=1}^{d/2} != (i~_j)_{j=1}^{d/2} of [d] (as sets; two orderings of one set give
the same parity and correlation 1), with h, h~ in {0,1}^d their indicator vectors,

    E_x[(-1)^(sum_j x_{i_j}) (-1)^(sum_j x_{i~_j})] = 0                                   (83)

via (84) E[(-1)^<x,h> (-1)^<x,h~>] = (85) E[(-1)^<x,h+h~>] = (86) E[prod_j (-1)^(x_j (h_j + h~_j))]
= (87) prod_j E[(-1)^(x_j (h_j + h~_j))] = prod_j ((-1)^(h_j + h~_j) + 1) / 2 = (88).

Method. Exact enumeration: for every even d <= 12 the character matrix P[h, x] = (-1)^<x,h> over all
C(d, d/2) subsets and all 2^d inputs, and its Gram matrix P P^T, which must equal 2^d I (the diagonal is
2^d, every off-diagonal entry is 2^d times the correlation (83)). P has entries +-1 and every entry of
P P^T is an integer of size at most 2^d <= 4096, so the float64 product (BLAS) is exact; it is converted
to int64 and compared exactly. Then each printed step 84-88 is evaluated separately, as a Fraction, for
seeded random pairs: by direct enumeration of x for d <= 16 and through the per-coordinate product
(87)-(88) for larger d.

Rule: ``exact`` (verify.evidence): holds when every comparison is an exact 0 (or the 2^d diagonal).
Control: a parity class with one subset listed twice; the Gram then has an off-diagonal 2^d and the rule fails.

Run: ``python -m verify.lemma13 [--dmax 12] [--pairs 40] [--seed S] [--full] [--json]``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from fractions import Fraction
from math import comb

import numpy as np

from numerics.parity import parity_masks
from verify import cli
from verify.evidence import Control, Finding, compare

CLAIMS = ("L13",)

ENUMERATE_MAX_D = 12  # P P^T for C(12, 6) = 924 subsets x 4096 inputs; d = 14 would be 3432 x 16384
DIRECT_X_MAX_D = 16  # steps 84-86 enumerate all 2^d inputs up to here


def half_subsets(d: int) -> np.ndarray:
    """Every subset of [d] of size d/2 as a bitmask (bit j-1 set iff j is in the subset), in lexicographic order
    (``numerics.parity.parity_masks``, the one source of the class)."""
    return parity_masks(d)


def character_matrix(d: int, masks: np.ndarray) -> np.ndarray:
    """P[h, x] = (-1)^<x, h> for each subset mask h and every x in {0,1}^d (x as the integer with bit j-1 = x_j)."""
    x = np.arange(1 << d, dtype=np.int64)
    return (1 - 2 * (np.bitwise_count(masks[:, None] & x[None, :]) & 1)).astype(np.int8)


def steps(h: tuple[int, ...], h2: tuple[int, ...], enumerate_x: bool) -> dict[str, Fraction]:
    """The value of each printed step of the proof (eq. 84-88) for indicator vectors h, h~, exactly.

    With ``enumerate_x`` the expectations over x in eq. 84-86 are sums over all 2^d inputs (d <= 16);
    eq. 87 is the product of one-coordinate expectations, each a sum over x_j in {0, 1}.
    """
    d = len(h)
    out: dict[str, Fraction] = {}
    if enumerate_x:
        if d > DIRECT_X_MAX_D:
            raise ValueError(f"enumerating x is limited to d <= {DIRECT_X_MAX_D}")
        x = ((np.arange(1 << d, dtype=np.int64)[:, None] >> np.arange(d)) & 1)
        hv, h2v = np.array(h, dtype=np.int64), np.array(h2, dtype=np.int64)
        sign = lambda e: 1 - 2 * (e % 2)  # noqa: E731  (-1)^e for integer arrays
        n = 1 << d
        out["84"] = Fraction(int((sign(x @ hv) * sign(x @ h2v)).sum()), n)
        out["85"] = Fraction(int(sign(x @ (hv + h2v)).sum()), n)
        out["86"] = Fraction(int(np.prod(sign(x * (hv + h2v)[None, :]), axis=1).sum()), n)
    prod87 = Fraction(1)
    prod88 = Fraction(1)
    for a, b in zip(h, h2, strict=True):
        prod87 *= Fraction(sum((-1) ** (xj * (a + b)) for xj in (0, 1)), 2)
        prod88 *= Fraction((-1) ** (a + b) + 1, 2)
    out["87"] = prod87
    out["88"] = prod88
    return out


def random_pair(d: int, rng: np.random.Generator, k: int | None = None) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Two distinct indicator vectors of size-k subsets (default d/2) of [d]."""
    k = d // 2 if k is None else k
    while True:
        a, b = (np.zeros(d, dtype=np.int64) for _ in range(2))
        a[rng.choice(d, size=k, replace=False)] = 1
        b[rng.choice(d, size=k, replace=False)] = 1
        if not np.array_equal(a, b):
            return tuple(int(v) for v in a), tuple(int(v) for v in b)


def gram(d: int, masks: np.ndarray | None = None) -> np.ndarray:
    """P P^T (int64) for the given subset masks (default: the whole class), exactly; d <= 12."""
    if d > ENUMERATE_MAX_D:
        raise ValueError(f"exhaustive enumeration is limited to d <= {ENUMERATE_MAX_D}, got {d}")
    p = character_matrix(d, half_subsets(d) if masks is None else masks).astype(np.float64)
    return np.rint(p @ p.T).astype(np.int64)  # exact: see the module docstring


@dataclass(frozen=True)
class EnumerationResult:
    d: int
    subsets: int
    off_diagonal_nonzero: int
    max_abs_correlation: Fraction
    diagonal: tuple[int, ...]


def enumerate_masks(d: int, masks: np.ndarray) -> EnumerationResult:
    """Eq. 83 for every ordered pair of distinct members of ``masks``: the Gram matrix must be 2^d I."""
    if d > ENUMERATE_MAX_D:
        raise ValueError(f"exhaustive enumeration is limited to d <= {ENUMERATE_MAX_D}, got {d}")
    g = gram(d, masks)
    off = g - np.diag(np.diag(g))
    return EnumerationResult(d, g.shape[0], int(np.count_nonzero(off)),
                             Fraction(int(np.abs(off).max(initial=0)), 1 << d), tuple(int(v) for v in np.diag(g)))


def enumerate_d(d: int) -> EnumerationResult:
    """Eq. 83 over the whole parity class of size-d/2 subsets of [d]."""
    return enumerate_masks(d, half_subsets(d))


@dataclass(frozen=True)
class Config:
    """Sizes of the L13 check (fields are the CLI flags)."""

    dmax: int = field(default=12, metadata={"help": "enumerate every even d in 2..dmax",
                                             "range": (2, ENUMERATE_MAX_D)})
    pairs: int = field(default=40, metadata={"help": "seeded random pairs per d for the steps 84-88",
                                              "range": (1, 100_000)})
    seed: int = field(default=0, metadata={"help": "seed of the random pairs", "range": (0, 2**32 - 1)})
    sample_ds: tuple[int, ...] = field(default=(14, 16, 32, 64, 128), metadata={
        "help": "larger even d checked on random pairs (84-86 by enumeration up to d = 16)", "range": (2, 4096)})

    @classmethod
    def quick(cls) -> Config:
        return cls()

    @classmethod
    def full(cls) -> Config:
        return cls(pairs=400, sample_ds=(14, 16, 32, 64, 128, 256, 512))


@dataclass(frozen=True)
class Data:
    """What L13 measured: the enumerations, and per printed step the largest |value| over the sampled pairs."""

    enumerated: tuple[EnumerationResult, ...]
    step_max: dict[str, Fraction]
    step_pairs: dict[str, int]
    ds: tuple[int, ...]


def measure(config: Config) -> Data:
    """Enumerate the class for every even d <= dmax; evaluate eq. 84-88 on seeded random pairs."""
    if any(d % 2 for d in config.sample_ds):
        raise ValueError(f"--sample-ds {config.sample_ds}: every d must be even")
    enumerated = tuple(enumerate_d(d) for d in range(2, config.dmax + 1, 2))
    rng = np.random.default_rng(config.seed)
    step_max: dict[str, Fraction] = {}
    step_pairs: dict[str, int] = {}
    ds = (*range(2, config.dmax + 1, 2), *config.sample_ds)
    for d in ds:
        for _ in range(config.pairs):
            h, h2 = random_pair(d, rng)
            for step, value in steps(h, h2, enumerate_x=d <= DIRECT_X_MAX_D).items():
                step_max[step] = max(step_max.get(step, Fraction(0)), abs(value))
                step_pairs[step] = step_pairs.get(step, 0) + 1
    return Data(enumerated, step_max, step_pairs, ds)


def decide(data: Data) -> list[Finding]:
    """Rule ``exact``: every enumerated Gram is 2^d I (off-diagonal correlations 0, diagonal 2^d) and every
    printed step 84-88 is 0 on every sampled pair of distinct subsets."""
    comps = []
    for r in data.enumerated:
        comps.append(compare("max |E_x[p_h p_h~]| over distinct pairs", "eq. 83", r.max_abs_correlation, "eq", 0,
                             params={"d": r.d, "pairs": r.subsets * (r.subsets - 1)}))
        comps.append(compare("min diagonal of P P^T / 2^d", "eq. 83 (h = h~)", Fraction(min(r.diagonal), 1 << r.d),
                             "eq", 1, params={"d": r.d}))
    for step in sorted(data.step_max):
        comps.append(compare(f"max |eq. {step}| over sampled distinct pairs", f"eq. {step}", data.step_max[step],
                             "eq", 0, params={"pairs": data.step_pairs[step], "d": f"{min(data.ds)}..{max(data.ds)}"}))
    scope = (f"all C(d, d/2) subsets and all 2^d inputs for even d <= {data.enumerated[-1].d}; "
             f"steps 84-88 on seeded random pairs up to d = {max(data.ds)}")
    return [Finding("L13", "exact", tuple(comps), scope=scope,
                    details={"class_sizes": {r.d: comb(r.d, r.d // 2) for r in data.enumerated}})]


def check(config: Config | None = None) -> list[Finding]:
    """The L13 finding at the given (default quick) sizes."""
    return decide(measure(config or Config.quick()))


def controls(findings: list[Finding]) -> list[Control]:
    """Plant a parity class with two equal members (the first subset twice): the same rule must fail."""
    d = 6
    masks = half_subsets(d)
    planted = Data((enumerate_masks(d, np.concatenate([masks[:1], masks])),), {}, {}, (d,))
    return [Control("L13", "a parity class of d = 6 with its first subset listed twice", decide(planted)[0])]


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser("python -m verify.lemma13", __doc__, Config)
    args = parser.parse_args(argv)
    findings = check(cli.config(Config, args))
    return cli.emit(findings, args, controls=controls(findings))


if __name__ == "__main__":
    sys.exit(cli.guarded(main))
