"""GRAD (exact half): the closed form of ∇_W f_t in Lemma 10's proof (eq. 76) against autograd.

Eq. 76 prints

    ∇_W f_t(z) = Σ_{i=1}^{t} Π_{j=t}^{i+1} (W^T D_j) B D_i h_i(z),

with D_j = diag(1[h_j > 0]). As written this is not a matrix: B ∈ R^m is followed by D_i ∈ R^{m x m}
(an m x 1 times m x m product), and a matrix-vector chain ending in h_i is a vector, not the m x m
gradient. Re-deriving with the chain rule through eq. 1-2 (a_s = W h_{s-1} + A e_{z_s}, h_s = ReLU(a_s),
f_t = B^T h_t) gives

    ∇_W f_t = Σ_{i=1}^{t} D_i (W^T D_{i+1}) (W^T D_{i+2}) ... (W^T D_t) B h_{i-1}^T      (corrected)

(``numerics.rnn.grad_closed_form``): an outer product per step, the diagonal D_i on the left of the
product, the product in increasing j, and the state h_{i-1} *before* step i. This module evaluates, in
float64 and at every position t, the corrected form, the printed form made into a matrix in the least
invasive way (B D_i h_i read as the outer product B (D_i h_i)^T, the product in the printed order
j = t, ..., i+1), and the two half-corrections, each against autograd. The norm argument of Lemma 10 only
uses ‖Π W^T D_j‖_2, ‖B‖_2 and ‖h‖, which bound the corrected terms equally (with ‖h_{i-1}‖ for ‖h_i‖),
so eq. 75's conclusion is unaffected by the misprint. The empirical rate of eq. 75 is checked elsewhere.
"""

from __future__ import annotations

import sys

import numpy as np
import torch

from numerics import rnn
from numerics.circuits import random_circuit
from numerics.sequences import build
from numerics.train import threads
from verify import cli
from verify.report import Verdict

CLAIMS = ("GRAD",)


def _chain(W: torch.Tensor, D: torch.Tensor, lo: int, hi: int, ascending: bool) -> torch.Tensor:
    """Π_{j=lo}^{hi} (W^T D_j) as a matrix, factors in increasing j (``ascending``) or decreasing j."""
    P = torch.eye(W.shape[0], dtype=W.dtype)
    order = range(lo, hi + 1) if ascending else range(hi, lo - 1, -1)
    for j in order:
        P = P @ (W.T * D[j - 1])  # W^T D_j scales column k of W^T by D_j[k]
    return P


def variants(W: torch.Tensor, fz: rnn.Frozen, z: torch.Tensor, t: int) -> dict[str, torch.Tensor]:
    """The printed eq. 76 (made a matrix), two half-corrections and the corrected form, for one z and t."""
    H = rnn.hidden(W, fz, z[None])[0]
    D = (H[1:] > 0).to(W.dtype)
    out = {name: torch.zeros_like(W) for name in ("printed", "order fixed, h_i kept", "h_(i-1), printed order")}
    for i in range(1, t + 1):
        down = _chain(W, D, i + 1, t, ascending=False) @ fz.B
        up = _chain(W, D, i + 1, t, ascending=True) @ fz.B
        out["printed"] += torch.outer(down, D[i - 1] * H[i])
        out["order fixed, h_i kept"] += torch.outer(D[i - 1] * up, H[i])
        out["h_(i-1), printed order"] += torch.outer(D[i - 1] * down, H[i - 1])
    out["corrected"] = rnn.grad_closed_form(W, fz, z, t)
    return out


def measure(m: int = 24, d: int = 6, gates: int = 6, seeds: int = 3, scales: tuple[float, ...] = (1.0, 1.5)) -> dict:
    """Max relative Frobenius error of each variant against autograd, over seeds, W-scales, positions."""
    worst: dict[str, float] = {}
    cases = 0
    for seed in range(seeds):
        circuit = random_circuit(d, gates, seed)
        x = np.random.default_rng(seed).integers(0, 2, size=(1, d))
        z = torch.as_tensor(build(circuit, x, "subtasks").z[0])
        W0, fz = rnn.init(m, seed, "float64")
        for scale in scales:
            W = (W0 * scale).requires_grad_(True)
            f = rnn.outputs(W, fz, z[None])[0]
            for t in range(1, z.shape[0] + 1):
                (auto,) = torch.autograd.grad(f[t - 1], W, retain_graph=True)
                norm = float(torch.linalg.matrix_norm(auto))
                if norm == 0.0:
                    continue
                cases += 1
                for name, G in variants(W.detach(), fz, z, t).items():
                    err = float(torch.linalg.matrix_norm(G - auto)) / norm
                    worst[name] = max(worst.get(name, 0.0), err)
    return {"worst": worst, "cases": cases, "m": m, "T": d + gates - 1, "seeds": seeds, "scales": scales}


def check(m: int = 24, seeds: int = 3) -> list[Verdict]:
    """The erratum row for eq. 76: printed vs corrected, both against autograd in float64."""
    with threads(1):
        r = measure(m=m, seeds=seeds)
    w = r["worst"]
    tol = 1e-10
    ok = w["corrected"] <= tol
    evidence = (
        f"eq. 76 as printed is ill-typed (B ∈ R^m times D_i ∈ R^(m×m), ends in a vector); read as Σ_i "
        f"Π_(j=t..i+1)(WᵀD_j) B (D_i h_i)ᵀ it differs from autograd by rel. Frobenius error up to {w['printed']:.2g}; "
        f"corrected ∇_W f_t = Σ_(i=1..t) D_i (Π_(j=i+1..t) WᵀD_j) B h_(i-1)ᵀ matches autograd to {w['corrected']:.1e} "
        f"(float64, m={r['m']}, T={r['T']}, {r['cases']} (z, W, t) cases, random circuits); half-fixes still fail "
        f"(order only: {w['order fixed, h_i kept']:.2g}, h_(i-1) only: {w['h_(i-1), printed order']:.2g}); "
        "eq. 75's norm argument is unaffected"
    )
    verdict = "erratum" if ok and w["printed"] > 1e-3 else ("holds" if ok else "fails")
    return [Verdict("GRAD", verdict, evidence, measured=w["corrected"], claimed=w["printed"], relation="eq",
                    details={"relative_errors": w, "cases": r["cases"], "m": r["m"], "T": r["T"]})]


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser("python -m verify.gradient", __doc__)
    parser.add_argument("--m", type=cli.int_in(2, 512), default=24, help="width")
    parser.add_argument("--seeds", type=cli.int_in(1, 50), default=3, help="random circuits / initialisations")
    args = parser.parse_args(argv)
    rows = check(m=args.m, seeds=args.seeds)
    errors = rows[0].details["relative_errors"]
    detail = "\n".join(f"  {k:<26} max rel. error vs autograd {v:.3e}" for k, v in errors.items())
    return cli.emit(rows, as_json=args.json, detail="eq. 76 variants (float64):\n" + detail)


if __name__ == "__main__":
    sys.exit(cli.guarded(main))
