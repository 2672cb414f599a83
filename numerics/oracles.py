"""Finite-precision gradient oracles of Algorithms 2 and 3 (App. C-D).

Algorithms 2-3 update W with an *arbitrary* G in the max-norm ball B_inf(grad, sigma) (footnotes 8
and 11): every entry of G is within sigma of the exact gradient. The analysis (eq. 26, 55) writes
G = grad + sigma_k with ‖sigma_k‖_inf <= sigma and must cover every such choice, so an oracle here
is one way of picking G in the ball:

- ``exact``:   G = grad.
- ``round``:   every entry rounded to the grid sigma·Z (a fixed-point number format), |G - grad| <= sigma/2.
- ``uniform``: G = grad + U[-sigma, sigma]^{m x m}, independent entries from an explicit generator.
- ``shrink``:  every entry moved sigma towards 0 and clipped there, so entries with |grad| <= sigma vanish
  (an underflowing number format; the worst case for progress: it shortens every coordinate of the step).
- ``inflate``: every entry moved sigma away from 0 (0 goes to +sigma). The worst case for the distance
  bounds eq. 25-29 and 54-58: it maximises both ‖G‖_F and ‖G - grad‖_F over the ball, the latter to
  exactly m·sigma, the Frobenius size of the sigma_k term that eq. 29/58 must absorb
  (‖sigma_k‖_F <= m ‖sigma_k‖_inf; with the paper's sigma = O(1/m) this is O(1), not the O(1/m) printed
  in eq. 29's middle term).

Guarantee: for finite float inputs every oracle returns G with |G_ij - grad_ij| <= sigma exactly (in
the real numbers, for the float values held). Floating-point rounding of ``grad ± sigma`` can push an
entry a fraction of an ulp outside; ``_into_ball`` detects that exactly (TwoSum) and moves such an
entry one ulp back towards grad, or to grad itself.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

ORACLES = ("exact", "round", "uniform", "shrink", "inflate")

def _inside(G: torch.Tensor, grad: torch.Tensor, sigma: float) -> torch.Tensor:
    """Exactly |G - grad| <= sigma, entrywise, decided in floating point with Knuth's TwoSum.

    s = fl(G - grad) and the rounding error e satisfy s + e = G - grad exactly (no overflow), and
    |e| <= ulp(s)/2, so |G - grad| <= sigma iff |s| < sigma, or |s| = sigma with e pointing back inwards.
    """
    s = G - grad
    bb = s - G
    e = (G - (s - bb)) + (-grad - bb)
    # signs compared directly: the product s * e underflows to 0 for tiny sigma (a false 'inside')
    return torch.isfinite(s) & ((s.abs() < sigma) | ((s.abs() == sigma) & (torch.sign(s) * torch.sign(e) <= 0)))


def _into_ball(G: torch.Tensor, grad: torch.Tensor, sigma: float) -> torch.Tensor:
    """Entries just outside the ball after rounding: one ulp towards grad, else grad itself."""
    inside = _inside(G, grad, sigma)
    if inside.all():
        return G
    G = torch.where(inside, G, torch.nextafter(G, grad))
    return torch.where(_inside(G, grad, sigma), G, grad)


def _round(grad: torch.Tensor, sigma: float, gen: torch.Generator | None) -> torch.Tensor:
    return torch.round(grad / sigma) * sigma


def _uniform(grad: torch.Tensor, sigma: float, gen: torch.Generator | None) -> torch.Tensor:
    u = torch.rand(grad.shape, generator=gen, dtype=torch.float64).to(grad.dtype)
    return grad + (2.0 * u - 1.0) * sigma


def _shrink(grad: torch.Tensor, sigma: float, gen: torch.Generator | None) -> torch.Tensor:
    return torch.sign(grad) * torch.clamp(grad.abs() - sigma, min=0.0)


def _inflate(grad: torch.Tensor, sigma: float, gen: torch.Generator | None) -> torch.Tensor:
    step = torch.full_like(grad, sigma)
    return grad + torch.where(grad >= 0, step, -step)


_RULES: dict[str, Callable[[torch.Tensor, float, torch.Generator | None], torch.Tensor]] = {
    "round": _round,
    "uniform": _uniform,
    "shrink": _shrink,
    "inflate": _inflate,
}


def check_oracle(name: str, sigma: float) -> None:
    """Raise ValueError (one line) for an unknown oracle or a sigma that is negative or not finite."""
    if name not in ORACLES:
        raise ValueError(f"oracle must be one of {ORACLES}, got {name!r}")
    if not (sigma >= 0 and sigma < float("inf")):
        raise ValueError(f"precision sigma must be a finite number >= 0, got {sigma}")


def apply(name: str, grad: torch.Tensor, sigma: float, gen: torch.Generator | None = None) -> torch.Tensor:
    """A sigma-approximation G of ``grad`` (Algorithms 2-3): ‖G - grad‖_inf <= sigma.

    Args:
        name: one of ``ORACLES``.
        grad: the exact gradient (any shape).
        sigma: the precision, >= 0. With sigma = 0 every oracle returns grad.
        gen: generator for ``uniform`` (explicit seed); the other oracles are deterministic.
    """
    check_oracle(name, sigma)
    if name == "exact" or sigma == 0:
        return grad.clone()
    return _into_ball(_RULES[name](grad, sigma, gen), grad, sigma)
