"""Benchmark: the analytic forward/backward of Kim & Suzuki's one-layer model (``numerics.kim_suzuki.loss_and_grad``)
against the autograd reference (``loss_and_grad_reference``), measured in the same run.

Setting of ``python -m verify.kim_suzuki --full``: d = 64, k in {8, 16, 32}, n = 100K samples, float32, one torch
thread, the four modes (direct, cot, teacher, selfcons): 12 full-batch GD steps, each timed for both paths (the
reference once after a warm-up, the fast path as the median of ``--repeats``), printed as ratios, with the largest
gradient difference relative to the gradient's largest entry (float rounding only). W is a seeded random matrix
(scale 1; the cost does not depend on its values). Then the held-out evaluation forward (n = 4096, no gradient) both
ways, and the 12 steps summed: the per-epoch cost of the four-model grid and its ``--epochs`` + 1 epochs serially.

    python -m benchmarks.kim_suzuki                  # the full preset's shapes
    python -m benchmarks.kim_suzuki --n 20000 --ks 8 16
"""

from __future__ import annotations

import argparse
import statistics
import sys

import torch

from benchmarks.train import wall_times
from numerics import kim_suzuki as ks
from numerics.train import threads

D = 64


def _seconds(fn, repeats: int) -> float:
    """Median wall time of ``fn()`` over ``repeats`` calls after one warm-up."""
    return statistics.median(wall_times(fn, repeats))


def measure(k: int, mode: str, n: int, n_eval: int, dtype: torch.dtype, repeats: int) -> dict:
    """One (k, mode): seconds per step of both paths, their gradient difference, and the evaluation forwards."""
    t = ks.random_tree(D, k, seed=0)
    Z = ks.sample(t, n, 0, dtype)
    Zev = ks.sample(t, n_eval, 1, dtype)
    W = torch.randn((t.N, t.N), generator=torch.Generator().manual_seed(k), dtype=dtype)
    ref = _seconds(lambda: ks.loss_and_grad_reference(W, Z, t, mode), 1)
    fast = _seconds(lambda: ks.loss_and_grad(W, Z, t, mode), repeats)
    _, g_ref = ks.loss_and_grad_reference(W, Z, t, mode)
    _, g_fast = ks.loss_and_grad(W, Z, t, mode)
    rel = float((g_fast - g_ref).abs().max() / g_ref.abs().max())
    gen = "selfcons" if mode == "selfcons" else "cot"  # the evaluation's generation path

    def ref_forward() -> None:
        with torch.no_grad():
            ks.forward_reference(W, Zev, t, gen)

    ev_ref = _seconds(ref_forward, repeats)
    ev_fast = _seconds(lambda: ks.forward(W, Zev, t, gen), repeats)
    return {"k": k, "mode": mode, "ref": ref, "fast": fast, "rel": rel, "ev_ref": ev_ref, "ev_fast": ev_fast}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.kim_suzuki", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ks", type=int, nargs="+", default=[8, 16, 32], help="subset sizes (powers of two <= 64)")
    p.add_argument("--n", type=int, default=100_000, help="training samples (full batch)")
    p.add_argument("--n-eval", type=int, default=4096, help="held-out samples of the evaluation forward")
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    p.add_argument("--repeats", type=int, default=5, help="timed calls of the fast path (median)")
    p.add_argument("--epochs", type=int, default=350, help="epochs of the grid estimate")
    p.add_argument("--every", type=int, default=5, help="evaluation interval of the grid estimate")
    args = p.parse_args(argv)
    if any(k < 2 or k & (k - 1) or k > D for k in args.ks) or args.n < 1 or args.n_eval < 1 or args.repeats < 1:
        print("python -m benchmarks.kim_suzuki: error: need k a power of two in 2..64, n, n-eval, repeats >= 1",
              file=sys.stderr)
        return 2
    dtype = torch.float32 if args.dtype == "float32" else torch.float64
    print(f"d={D}, k in {args.ks}, n={args.n}, {args.dtype}, 1 torch thread; one full-batch step (loss and "
          f"gradient): autograd reference vs analytic, same run")
    rows = []
    with threads(1):
        for k in args.ks:
            for mode in ks.MODES:
                r = measure(k, mode, args.n, args.n_eval, dtype, args.repeats)
                rows.append(r)
                print(f"k={k:>2} {mode:<8} reference {1e3 * r['ref']:7.1f} ms  fast {1e3 * r['fast']:6.1f} ms  "
                      f"speed-up x{r['ref'] / r['fast']:4.1f}  (max |dg| / max |g| = {r['rel']:.1e});  evaluation "
                      f"forward n={args.n_eval}: x{r['ev_ref'] / r['ev_fast']:4.1f}", flush=True)
    ref = sum(r["ref"] for r in rows)
    fast = sum(r["fast"] for r in rows)
    evals = args.epochs // args.every + 1
    grid_ref = (args.epochs + 1) * ref + evals * sum(r["ev_ref"] for r in rows)
    grid_fast = (args.epochs + 1) * fast + evals * sum(r["ev_fast"] for r in rows)
    print(f"all {len(rows)} runs, one epoch: reference {ref:.2f} s, fast {fast:.2f} s: speed-up x{ref / fast:.1f}")
    print(f"the grid's {args.epochs + 1} epochs + {evals} evaluations, serially on one thread: reference "
          f"{grid_ref / 60:.1f} min, fast {grid_fast / 60:.1f} min (x{grid_ref / grid_fast:.1f}; --full runs them on "
          f"two processes, target <= 10 min for the whole --full)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
