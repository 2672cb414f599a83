"""Benchmark: the fast NTK Gram (numerics.ntk.gram) against the torch.func reference, in the same run.

Setting of the issue: d = 16 (parity tree, T = 22), all positions t = 16..22, m = 1024, float64.
  1. reference (per-sample ``vmap(jacrev)`` through ``functional_call`` + J J^T / m per position) vs the
     fast path at n = 128: time ratio;
  2. the fast path alone at n = 512 and n = 2048: achieved GFLOP/s (``ntk.gram_flops``) against a
     same-run float64 matmul of the fast path's dominant shape, and peak memory.
Every measurement runs in its own subprocess and reports the growth of ``ru_maxrss`` over the
process's state after setup (inputs and model built), so peak memory is attributable to it.
The memory model ``ntk.gram_bytes`` gives the largest n that fits in a budget (default 24 GiB).

``--limit``: the infinite-width Gram of ``verify.ntk`` (``ntk.limit_gram``, prefix classes, carried sum)
against the plain n x n recursion (``numerics.ntk_reference.plain_limit_gram``) on the parity tree's
sub-task sequences with all 2^d inputs, every position t = d..T: time ratio at d = 10 (n = 1024), then the
fast path alone at d = 12 (n = 4096, the quick check's largest) with a float64 Cholesky of one of its Grams
against a same-run matmul.

    python -m benchmarks.ntk                 # n = 128 (both), 512, 2048 (fast)
    python -m benchmarks.ntk --sizes 128 512 # skip n = 2048
    python -m benchmarks.ntk --limit         # the infinite-width Gram
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import torch

D, M = 16, 1024


def _setup(n: int) -> tuple:
    from numerics import circuits, rnn, sequences

    circuit = circuits.parity_tree(D, circuits.random_subset(D, 0))
    x = sequences.sample_inputs(D, n, seed=0)
    z = torch.as_tensor(sequences.build(circuit, x, "subtasks").z)
    W, fz = rnn.init(M, 0)
    return W, fz, z, list(range(D, circuit.T + 1))


def _saved(kind: str, n: int) -> str:
    """Where a measurement subprocess leaves its Gram for the parent to compare."""
    return os.path.join(tempfile.gettempdir(), f"benchmarks_ntk_{kind}_{n}.pt")


def _limit_setup(d: int) -> tuple:
    from numerics import circuits, sequences

    circuit = circuits.parity_tree(d, circuits.random_subset(d, 0))
    z = sequences.build(circuit, circuits.all_inputs(d), "subtasks").z
    return z, list(range(d, circuit.T + 1))


def _one_limit(kind: str, d: int) -> dict:
    """One infinite-width measurement (kind limit / plain_limit / cholesky) at d, all 2^d inputs."""
    from numerics import ntk
    from numerics.ntk_reference import plain_limit_gram

    z, positions = _limit_setup(d)
    if kind == "cholesky":
        K = ntk.limit_gram(z, [d])[0]
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    start = time.perf_counter()
    flops = 0.0
    if kind == "limit":
        H = ntk.limit_gram(z, positions)
    elif kind == "plain_limit":
        H = plain_limit_gram(z, positions)
    else:
        ntk.cholesky(K)
        flops = len(z) ** 3 / 3
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - base
    if kind != "cholesky":
        torch.save(H, _saved(kind, d))
    return {"kind": kind, "n": len(z), "seconds": seconds, "gflops": flops / seconds / 1e9, "peak_bytes": peak}


def _one(kind: str, n: int) -> dict:
    """Run one measurement in this process; return seconds, flops and the maxrss growth (bytes)."""
    from numerics import ntk
    from numerics.ntk_reference import reference_gram

    if kind in {"limit", "plain_limit", "cholesky"}:
        return _one_limit(kind, n)  # n is d here
    W, fz, z, positions = _setup(n)
    if kind == "matmul":
        rows = max(positions) * min(128, n)
        a = torch.randn(rows, M, dtype=torch.float64)
        a @ a.T  # warm-up
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    start = time.perf_counter()
    if kind == "fast":
        H = ntk.gram(W, fz, z, positions)
        flops = ntk.gram_flops(n, M, positions)
    elif kind == "reference":
        H = reference_gram(W, fz, z, positions)
        flops = 2.0 * len(positions) * n * n * M * M
    else:
        reps = 5
        for _ in range(reps):
            H = a @ a.T
        flops = 2.0 * reps * rows * rows * M
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - base
    out = {"kind": kind, "n": n, "seconds": seconds, "gflops": flops / seconds / 1e9, "peak_bytes": peak}
    if kind in {"fast", "reference"}:
        torch.save(H, _saved(kind, n))
    return out


def _run(kind: str, n: int) -> dict:
    proc = subprocess.run([sys.executable, "-m", "benchmarks.ntk", "--one", kind, "--n", str(n)],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def largest_n(budget_bytes: float) -> int:
    """Largest n whose ``ntk.gram_bytes`` (d = 16, m = 1024, all positions) fits in the budget."""
    from numerics import ntk

    positions = list(range(D, D + D // 2 - 1))
    lo, hi = 1, 1 << 20
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if ntk.gram_bytes(mid, M, positions) <= budget_bytes else (lo, mid - 1)
    return lo


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.ntk", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=[128, 512, 2048], help="n for the fast path")
    p.add_argument("--budget-gib", type=float, default=24.0)
    p.add_argument("--limit", action="store_true", help="benchmark the infinite-width Gram instead")
    p.add_argument("--one", choices=["fast", "reference", "matmul", "limit", "plain_limit", "cholesky"],
                   help=argparse.SUPPRESS)
    p.add_argument("--n", type=int, default=128, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.one:
        print(json.dumps(_one(args.one, args.n)))
        return 0
    if args.limit:
        return limit_main()
    from numerics import ntk

    print(f"d={D}, T={D + D // 2 - 2}, m={M}, positions {D}..{D + D // 2 - 2}, float64, "
          f"torch threads {torch.get_num_threads()}")
    mm = _run("matmul", 128)
    print(f"same-run matmul (2816 x 1024 x 2816): {mm['gflops']:.1f} GFLOP/s")
    ref = _run("reference", 128)
    fast = _run("fast", 128)
    H_ref = torch.load(_saved("reference", 128))
    H_fast = torch.load(_saved("fast", 128))
    err = float(torch.linalg.matrix_norm(H_fast - H_ref).max() / torch.linalg.matrix_norm(H_ref).max())
    print(f"n=128: reference {ref['seconds']:.2f} s (peak +{ref['peak_bytes'] / 2**30:.2f} GiB), fast "
          f"{fast['seconds']:.2f} s (peak +{fast['peak_bytes'] / 2**30:.2f} GiB): "
          f"speed-up x{ref['seconds'] / fast['seconds']:.1f} (target >= 50); rel. Frobenius difference {err:.1e}")
    for n in args.sizes:
        if n == 128:
            r = fast
        else:
            r = _run("fast", n)
        model = ntk.gram_bytes(n, M, list(range(D, D + D // 2 - 1)))
        print(f"fast n={n}: {r['seconds']:.2f} s, {r['gflops']:.1f} GFLOP/s = "
              f"{100 * r['gflops'] / mm['gflops']:.0f}% of matmul (target >= 60% at n=512); "
              f"peak +{r['peak_bytes'] / 2**30:.2f} GiB (model {model / 2**30:.2f} GiB; "
              f"n m^2 floats would be {n * M * M * 8 / 2**30:.1f} GiB)")
    n_max = largest_n(args.budget_gib * 2**30)
    hours = ntk.gram_flops(n_max, M, list(range(D, D + D // 2 - 1))) / (mm["gflops"] * 1e9) / 3600
    print(f"largest n in {args.budget_gib:g} GiB by the memory model: {n_max} "
          f"(about {hours:.1f} h at the same-run matmul rate)")
    return 0


def limit_main() -> int:
    """The ``--limit`` benchmark (see the module docstring)."""
    print(f"infinite-width Gram (numerics.ntk.limit_gram), parity tree, all 2^d inputs, positions d..T, "
          f"torch threads {torch.get_num_threads()}")
    plain, fast = _run("plain_limit", 10), _run("limit", 10)
    a, b = torch.load(_saved("plain_limit", 10)), torch.load(_saved("limit", 10))
    err = float(torch.linalg.matrix_norm(a - b).max() / torch.linalg.matrix_norm(a).max())
    print(f"d=10 (n=1024): plain recursion {plain['seconds']:.2f} s (peak +{plain['peak_bytes'] / 2**30:.2f} GiB), "
          f"limit_gram {fast['seconds']:.2f} s (peak +{fast['peak_bytes'] / 2**30:.2f} GiB): "
          f"speed-up x{plain['seconds'] / fast['seconds']:.1f}; rel. Frobenius difference {err:.1e}")
    big = _run("limit", 12)
    mm = _run("matmul", 128)
    chol = _run("cholesky", 12)
    print(f"d=12 (n=4096): limit_gram {big['seconds']:.2f} s for 5 positions (peak +{big['peak_bytes'] / 2**30:.2f}"
          f" GiB); one float64 Cholesky {chol['seconds']:.2f} s = {chol['gflops']:.1f} GFLOP/s "
          f"({100 * chol['gflops'] / mm['gflops']:.0f}% of the same-run matmul, {mm['gflops']:.1f} GFLOP/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
