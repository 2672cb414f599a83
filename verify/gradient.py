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
so eq. 75's conclusion is unaffected by the misprint. The empirical rate of eq. 75 is checked elsewhere
(``verify.finite_width``); this module is GRAD's part "eq. 76". Rule ``exact`` (``decide``); controls: the printed
form planted as ours (fails) and ours as the print (holds).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace

import numpy as np
import torch

from numerics import rnn
from numerics.circuits import random_circuit
from numerics.sequences import build
from numerics.train import threads
from verify import cli
from verify.evidence import Control, Finding, compare

CLAIMS = ("GRAD",)


def _chain(W: torch.Tensor, D: torch.Tensor, lo: int, hi: int, ascending: bool) -> torch.Tensor:
    """Π_{j=lo}^{hi} (W^T D_j) as a matrix, factors in increasing j (``ascending``) or decreasing j."""
    P = torch.eye(W.shape[0], dtype=W.dtype)
    order = range(lo, hi + 1) if ascending else range(hi, lo - 1, -1)
    for j in order:
        P = P @ (W.T * D[j - 1])  # W^T D_j scales column k of W^T by D_j[k]
    return P


def variants(W: torch.Tensor, fz: rnn.Frozen, z: torch.Tensor, t: int) -> dict[str, torch.Tensor]:
    """The printed eq. 76 (made a matrix), two half-corrections, the corrected form as explicit products and as
    ``numerics.rnn.grad_closed_form``'s backward recursion, for one z and t."""
    H = rnn.hidden(W, fz, z[None])[0]
    D = (H[1:] > 0).to(W.dtype)
    out = {name: torch.zeros_like(W) for name in ("printed", "order fixed, h_i kept", "h_(i-1), printed order",
                                                 "corrected, explicit products")}
    for i in range(1, t + 1):
        down = _chain(W, D, i + 1, t, ascending=False) @ fz.B
        up = _chain(W, D, i + 1, t, ascending=True) @ fz.B
        out["printed"] += torch.outer(down, D[i - 1] * H[i])
        out["order fixed, h_i kept"] += torch.outer(D[i - 1] * up, H[i])
        out["h_(i-1), printed order"] += torch.outer(D[i - 1] * down, H[i - 1])
        out["corrected, explicit products"] += torch.outer(D[i - 1] * up, H[i - 1])
    out["corrected"] = rnn.grad_closed_form(W, fz, z, t)
    return out


@dataclass(frozen=True)
class Config:
    """Sizes of the eq. 76 check (fields are the CLI flags)."""

    m: int = field(default=24, metadata={"help": "RNN width", "range": (2, 512)})
    seeds: tuple[int, ...] = field(default=(0, 1, 2), metadata={"help": "random circuits / initialisations",
                                                                 "range": (0, 2**31 - 1)})
    d: int = field(default=6, metadata={"help": "inputs of the random circuits", "range": (2, 16)})
    gates: int = field(default=6, metadata={"help": "gates of the random circuits", "range": (1, 32)})
    scale: tuple[float, ...] = field(default=(1.0, 1.5), metadata={"help": "W = scale * W0", "range": (0.01, 100.0)})

    @classmethod
    def quick(cls) -> Config:
        return cls()

    @classmethod
    def full(cls) -> Config:
        return cls(m=64, seeds=tuple(range(8)), scale=(0.5, 1.0, 1.5, 3.0))


@dataclass(frozen=True)
class Data:
    """Max relative Frobenius error against autograd of each variant; which variant is stated as ours and
    which one is the print (the controls swap them)."""

    worst: dict[str, float]
    cases: int
    config: Config
    ours: str = "corrected"
    printed: str = "printed"


def measure(config: Config) -> Data:
    """Max relative Frobenius error of each variant against autograd, over seeds, W-scales, positions (float64)."""
    worst: dict[str, float] = {}
    cases = 0
    with threads(1):
        for seed in dict.fromkeys(config.seeds):
            circuit = random_circuit(config.d, config.gates, seed)
            x = np.random.default_rng(seed).integers(0, 2, size=(1, config.d))
            z = torch.as_tensor(build(circuit, x, "subtasks").z[0])
            W0, fz = rnn.init(config.m, seed, "float64")
            for scale in config.scale:
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
    return Data(worst, cases, config)


TOL = 1e-10  # float64 products of <= 2T matrices of size m: rounding is ~1e-14


def decide(data: Data) -> list[Finding]:
    """Rule ``exact`` (float64, tolerance 1e-10 on the max relative Frobenius error against autograd): the
    printed eq. 76 (made a matrix) is role "printed", ours role "corrected"; the two half-corrections are context.
    Erratum when the print misses and ours matches; ``conclusion_survives`` when ours matches (Lemma 10's norm
    argument bounds our terms the same way)."""
    cfg = data.config
    p = {"m": cfg.m, "T": cfg.d + cfg.gates - 1, "cases": data.cases, "scales": list(cfg.scale)}
    comps = [
        compare("max rel. Frobenius error vs autograd, eq. 76 as printed", "eq. 76", data.worst[data.printed], "le",
                TOL, params=p, role="printed", note="read as sum_i prod_(j=t..i+1) (W^T D_j) B (D_i h_i)^T"),
        compare("max rel. Frobenius error vs autograd, ours", "eq. 76", data.worst[data.ours], "le", TOL, params=p,
                role="corrected", note="sum_(i=1..t) D_i prod_(j=i+1..t) (W^T D_j) B h_(i-1)^T"),
    ]
    if data.ours == "corrected":  # the same formula assembled from explicit products, not the recursion
        comps.append(compare("max rel. Frobenius error vs autograd, ours as explicit products", "eq. 76",
                             data.worst["corrected, explicit products"], "le", TOL, params=p, role="corrected"))
    comps += [compare(f"max rel. Frobenius error vs autograd, {name}", "eq. 76", err, "le", TOL, params=p,
                      role="context", note="half-correction")
              for name, err in data.worst.items()
              if name not in {data.printed, data.ours, "corrected, explicit products"}]
    return [Finding("GRAD", "exact", tuple(comps), part="eq. 76",
                    scope=f"float64, random circuits of seeds {list(cfg.seeds)}, every position t, autograd reference",
                    printed="grad_W f_t = sum_(i=1..t) prod_(j=t..i+1) (W^T D_j) B D_i h_i(z) (ill-typed: B in R^m "
                            "times D_i in R^(m x m))",
                    corrected="grad_W f_t = sum_(i=1..t) D_i (W^T D_(i+1)) ... (W^T D_t) B h_(i-1)^T",
                    conclusion_survives=comps[1].holds, details={"relative_errors": data.worst})]


def check(config: Config | None = None) -> list[Finding]:
    """The GRAD eq. 76 finding at the given (default quick) sizes."""
    return decide(measure(config or Config.quick()))


def controls(findings: list[Finding]) -> list[Control]:
    """The printed form planted as ours (fails), and ours planted as the print (holds), on small fresh data."""
    data = measure(Config(m=8, seeds=(0,), scale=(1.0,)))
    return [Control("GRAD", "eq. 76 as printed planted as our closed form", decide(replace(data, ours="printed"))[0],
                    part="eq. 76"),
            Control("GRAD", "our closed form planted as the print", decide(replace(data, printed="corrected"))[0],
                    part="eq. 76")]


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser("python -m verify.gradient", __doc__, Config)
    args = parser.parse_args(argv)
    findings = check(cli.config(Config, args))
    errors = findings[0].details["relative_errors"]
    detail = "\n".join(f"  {k:<26} max rel. error vs autograd {v:.3e}" for k, v in errors.items())
    return cli.emit(findings, args, controls=controls(findings),
                    detail="" if args.json else "eq. 76 variants (float64):\n" + detail)


if __name__ == "__main__":
    sys.exit(cli.guarded(main))
