"""Lemma 3 constants: closed form vs the naive per-gate reference, measured in the same run.

The naive reference is what the lemma's proof suggests: for every gate of fan-in N, one
``sympy.interpolate`` through the real nodes (``verify.lemma3.nodes``), then the largest |coefficient|,
maximised over all 2^(2^N) gates. The closed form (``verify.lemma3.constants``) uses that the
coefficients are linear in the truth table and never enumerates gates. Both are exact; the run checks
that they find the same maximum.

Fan-in 3: the naive reference runs on all 256 gates. Fan-in 4: 65536 gates at ~0.3 s each would take
hours, so by default it runs on a seeded sample (always including the closed form's attaining gate)
and the full time is EXTRAPOLATED as mean time per gate x 65536; ``--full-naive`` runs every gate.
Fan-in 5 and 6: closed-form wall time only. Caches are cleared before every closed-form timing.

Targets (issue 2): fan-in 4 at least 50x faster than naive; fan-in 6 exact in under 60 s.

Example::

    python -m benchmarks.lemma3
    python -m benchmarks.lemma3 --sample 128 --seed 1
    python -m benchmarks.lemma3 --full-naive      # hours
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

import numpy as np
import sympy
from tqdm import tqdm

from verify import lemma3


def clear_caches() -> None:
    for fn in (lemma3.constants, lemma3.real_basis, lemma3.printed_basis, lemma3._nodes):
        fn.cache_clear()


def timed_constants(fanin: int, labels: str) -> tuple[lemma3.Lemma3Constants, float]:
    clear_caches()
    start = time.perf_counter()
    c = lemma3.constants(fanin, labels)
    return c, time.perf_counter() - start


def naive_gate_max(table: Sequence[int], labels: str, xs: Sequence[sympy.Expr]) -> sympy.Expr:
    """One ``sympy.interpolate`` through the real nodes; the largest |coefficient|, exactly."""
    values = lemma3.label_values(table, labels)
    p = sympy.Poly(sympy.interpolate(list(zip(xs, values, strict=True)), lemma3.x), lemma3.x)
    return max((sympy.Abs(c) for c in p.all_coeffs()), key=lambda c: sympy.expand(c**2))


def naive_max(fanin: int, gates: Sequence[int], labels: str) -> tuple[sympy.Expr, float]:
    """Max over the given gates (as integers: bit k = table row k); wall time includes the nodes."""
    start = time.perf_counter()
    lemma3._nodes.cache_clear()
    xs = lemma3.nodes(fanin)
    best = sympy.Integer(0)
    for g in tqdm(gates, desc=f"naive fan-in {fanin}", disable=None, leave=False):
        m = naive_gate_max(lemma3.input_bits(g, 1 << fanin), labels, xs)
        if sympy.expand(m**2) > sympy.expand(best**2):
            best = m
    return best, time.perf_counter() - start


def gate_int(table: Sequence[int]) -> int:
    return sum(v << k for k, v in enumerate(table))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.lemma3", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--labels", choices=lemma3.LABELS, default="pm1", help="label convention (default pm1)")
    parser.add_argument("--sample", type=int, default=64, help="fan-in 4 naive sample size (default 64)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the fan-in 4 sample")
    parser.add_argument("--full-naive", action="store_true", help="run the naive reference on all 65536 gates")
    args = parser.parse_args(argv)
    if not 1 <= args.sample <= 1 << 16:
        parser.exit(2, f"{parser.prog}: error: --sample must be in 1..65536, got {args.sample}\n")

    print(f"Lemma 3 max |coefficient| over all gates, labels={args.labels}, exact (sympy/Fraction)")
    print(f"{'N':>2} {'gates':>7} {'closed form':>12} {'naive':>12} {'ratio':>9}  naive run        same max")
    for fanin in (3, 4):
        n_gates = 1 << (1 << fanin)
        closed, t_closed = timed_constants(fanin, args.labels)
        if fanin == 3 or args.full_naive:
            gates, how = list(range(n_gates)), "all gates"
        else:
            rng = np.random.default_rng(args.seed)
            sample = rng.choice(n_gates, size=args.sample - 1, replace=False).tolist()
            gates = sorted({gate_int(closed.attaining_gate), *sample})
            how = f"{len(gates)} sampled, EXTRAPOLATED x{n_gates / len(gates):.0f}"
        value, t_naive = naive_max(fanin, gates, args.labels)
        t_full = t_naive * n_gates / len(gates)
        same = sympy.expand(value - closed.max_abs_coefficient) == 0
        print(f"{fanin:>2} {n_gates:>7} {t_closed:>11.4f}s {t_full:>11.1f}s {t_full / t_closed:>8.0f}x  "
              f"{how:<16} {same}")
    for fanin in (5, 6):
        start = time.perf_counter()
        clear_caches()
        both = [lemma3.constants(fanin, lab) for lab in lemma3.LABELS]
        wall = time.perf_counter() - start
        print(f"{fanin:>2} 2^{1 << fanin:<5} {wall:>11.4f}s  (closed form, both label sets, exact; "
              f"max |a_i| pm1 {both[1].max_abs_coefficient_float:.4e}, 01 {both[0].max_abs_coefficient_float:.4e})")
    print("targets: fan-in 4 ratio >= 50x; fan-in 6 exact < 60 s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
