"""One Algorithm 3 step (App. D): eq. 4's loss and its exact gradient over all 2^d inputs, against matmul.

The step is ``numerics.rnn.loss_and_grad`` on every input of {0,1}^d (parity of a d/2-subset with
sub-task supervision, T = d + d/2 - 2): T forward products (n x m)(m x m), T - 1 backward products and
one (m x nT)(nT x m) weight-gradient product, 2 n m^2 (3T - 1) FLOPs in all (``rnn.flops``). The
baseline, timed in the same run, is plain ``torch.matmul`` doing the same FLOPs as (3T - 1) products of
shape (n x m)(m x m). Printed: seconds, achieved GFLOP/s of each, and their ratio (target >= 60%).

    python -m benchmarks.train                 # d = 14, m = 1024, float32 and float64
    python -m benchmarks.train --d 10 --m 256  # smaller
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

import torch

from numerics import rnn
from numerics.circuits import all_inputs, parity_tree, random_subset
from numerics.sequences import build


def wall_times(fn: Callable[[], object], repeats: int) -> list[float]:
    """Wall times of ``repeats`` calls of ``fn`` after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def best_of(fn: Callable[[], object], repeats: int) -> float:
    """Fastest wall time of ``repeats`` calls after one warm-up."""
    return min(wall_times(fn, repeats))


def run(d: int, m: int, dtype: str, repeats: int, chunk: int) -> dict[str, float]:
    seqs = build(parity_tree(d, random_subset(d, 0)), all_inputs(d), "subtasks")
    n, T = seqs.n, seqs.T
    W, fz = rnn.init(m, 0, dtype)
    y = torch.as_tensor(seqs.y, dtype=W.dtype)
    z = torch.as_tensor(seqs.z)
    work = rnn.flops(n, T, m)
    step = best_of(lambda: rnn.loss_and_grad(W, fz, z, y, d, chunk=chunk), repeats)
    a = torch.randn(min(n, chunk), m, dtype=W.dtype)
    products = (3 * T - 1) * -(-n // a.shape[0])  # same FLOPs in chunk-sized products
    base_work = 2 * a.shape[0] * m * m * products
    out = torch.empty_like(a)

    def baseline() -> None:
        for _ in range(products):
            torch.matmul(a, W, out=out)

    base = best_of(baseline, repeats)
    return {"n": n, "T": T, "step_s": step, "step_gflops": work / step / 1e9,
            "matmul_s": base, "matmul_gflops": base_work / base / 1e9}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.train", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--d", type=int, default=14, help="input bits (all 2^d inputs per step)")
    p.add_argument("--m", type=int, default=1024, help="width")
    p.add_argument("--dtypes", nargs="+", default=["float32", "float64"], choices=["float32", "float64"])
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--chunk", type=int, default=2048, help="inputs per block (memory ~ chunk·T·m)")
    args = p.parse_args(argv)
    if not 4 <= args.d <= 20 or args.m < 1 or args.repeats < 1 or args.chunk < 1:
        print("python -m benchmarks.train: error: need 4 <= d <= 20, m >= 1, repeats >= 1, chunk >= 1", file=sys.stderr)
        return 2
    print(f"Algorithm 3 step, d={args.d} (all {1 << args.d} inputs), m={args.m}, torch threads "
          f"{torch.get_num_threads()} (shared machine: numbers vary with load)")
    for dtype in args.dtypes:
        r = run(args.d, args.m, dtype, args.repeats, args.chunk)
        print(f"{dtype}: T={r['T']}, step {r['step_s']:.2f} s = {r['step_gflops']:.1f} GFLOP/s; "
              f"matmul baseline {r['matmul_gflops']:.1f} GFLOP/s; ratio {r['step_gflops'] / r['matmul_gflops']:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
