"""Finite-width probes of the RNN near its initialisation (App. E, Lemma 8-11).

- Linearisation error (Lemma 8 eq. 71-72, Lemma 11 eq. 77-78):
  |f_t(W~) - f_t(W) - <grad_W f_t(W), W~ - W>|, the inner product computed exactly in forward mode by
  differentiating eq. 1-2 along V = W~ - W (no gradient matrix is formed):
  dh_0 = 0, dh_s = D_s (V h_{s-1} + W dh_{s-1}), <grad_W f_t, V> = B^T dh_t.
- Gradient norms ||grad_W f_t(W)||_F (Lemma 10, eq. 75) from the factors of ``numerics.ntk``:
  ||sum_s delta_s h_{s-1}^T||_F^2 = sum_{s,s'} <delta_s, delta_s'> <h_{s-1}, h_{s'-1}> (= m H^t_ii of eq. 69).
- The loss gradient assembled position by position (eq. 27 / 56): sum_t dl/df_t grad_W f_t, with the norms
  of its terms (the right sides of eq. 28 / 57), a second path beside ``rnn.loss_and_grad``.

A radius r is a Frobenius distance ||W~ - W||_F; the lemmas take r = poly(T) / sqrt(m).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from numerics import ntk, rnn
from numerics.rnn import Frozen


def random_direction(m: int, seed: int, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """A Gaussian ``(m, m)`` direction of unit Frobenius norm, drawn from ``seed``."""
    U = torch.randn((m, m), generator=torch.Generator().manual_seed(seed), dtype=torch.float64).to(dtype)
    return U / torch.linalg.matrix_norm(U)


def gradient_direction(W: torch.Tensor, fz: Frozen, z: torch.Tensor | np.ndarray) -> torch.Tensor:
    """The unit direction of grad_W sum_{i,t} f_t(z_i): the steepest first-order change of the outputs."""
    Wg = W.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(rnn.outputs(Wg, fz, z).sum(), Wg)
    return g / torch.linalg.matrix_norm(g)


def directional_derivatives(W: torch.Tensor, V: torch.Tensor, fz: Frozen, z: torch.Tensor | np.ndarray) -> torch.Tensor:
    """<grad_W f_t(z_i), V> for every sequence and position, ``(n, T)``, by forward-mode recursion."""
    z = torch.as_tensor(np.asarray(z), dtype=torch.long)
    n, T = z.shape
    h = torch.relu(fz.M0).expand(n, -1)
    dh = torch.zeros_like(h)
    inputs = fz.A.T[z]
    out = []
    for s in range(T):
        g = h @ W.T + inputs[:, s]
        mask = (g > 0).to(W.dtype)
        dh = mask * (h @ V.T + dh @ W.T)
        h = torch.relu(g)
        out.append(dh @ fz.B)
    return torch.stack(out, dim=1)


def linearisation_error(
    W: torch.Tensor, W_tilde: torch.Tensor, fz: Frozen, z: torch.Tensor | np.ndarray
) -> torch.Tensor:
    """|f_t(W~) - f_t(W) - <grad_W f_t(W), W~ - W>| for every sequence and position, ``(n, T)``."""
    z = torch.as_tensor(np.asarray(z), dtype=torch.long)
    lin = directional_derivatives(W, W_tilde - W, fz, z)
    return (rnn.outputs(W_tilde, fz, z) - rnn.outputs(W, fz, z) - lin).abs()


def _norms(fac: ntk.Factors) -> torch.Tensor:
    """||sum_s delta_s h_{s-1}^T||_F for every sample and position of ``fac``, ``(n, P)``."""
    out = []
    for t in fac.positions:
        d = fac.deltas[t].transpose(0, 1)  # (n, t, m)
        h = fac.hs[:t].transpose(0, 1)
        sq = ((d @ d.transpose(1, 2)) * (h @ h.transpose(1, 2))).sum((1, 2))
        out.append(sq.clamp_min(0).sqrt())
    return torch.stack(out, dim=1)


def grad_norms(W: torch.Tensor, fz: Frozen, z: torch.Tensor | np.ndarray, positions: Sequence[int]) -> torch.Tensor:
    """||grad_W f_t(z_i)||_F for every sequence and requested 1-based position, ``(n, P)`` (eq. 75)."""
    return _norms(ntk.factors(W, fz, z, positions))


@dataclass(frozen=True)
class PositionGradients:
    """The per-position gradients behind one loss gradient (App. C eq. 27, App. D eq. 56).

    Attributes:
        norms: ``(n, K)``: ||grad_W f_t(z_i)||_F for t = d..T (K = T - d + 1 positions).
        weights: ``(n, K)``: dl/df_t = -y_t e^{-y_t f_t} / (1 + e^{-y_t f_t}) / (n K), the chain-rule weights.
        loss_grad: ``(m, m)``: sum_{i,t} weights[i, t] grad_W f_t(z_i), i.e. the gradient of the batch-mean of
            eq. 4 assembled position by position (eq. 27 / 56), independently of ``rnn.loss_and_grad``.
    """

    norms: torch.Tensor
    weights: torch.Tensor
    loss_grad: torch.Tensor


def position_gradients(W: torch.Tensor, fz: Frozen, z: torch.Tensor | np.ndarray, y: torch.Tensor | np.ndarray,
                       d: int) -> PositionGradients:
    """Eq. 27 / 56 term by term: each position's gradient grad_W f_t (its norm, and its weighted sum).

    Args:
        W: ``(m, m)``; z: ``(n, T)`` teacher-forced tokens; y: ``(n, T - d + 1)`` targets in {-1, +1} for
        t = d..T; d: the first supervised position.

    The loss is eq. 4 averaged over the T - d + 1 supervised positions (``rnn.loss``), so the weights carry
    1 / (n (T - d + 1)) where eq. 27 prints 1 / (T - d). Work: one forward pass and one backward sweep
    carrying every position (``ntk.factors``), about (T^2 / 2) n m^2 multiply-adds.
    """
    z = torch.as_tensor(np.asarray(z), dtype=torch.long)
    y = torch.as_tensor(np.asarray(y), dtype=W.dtype)
    n, T = z.shape
    if not 1 <= d <= T or y.shape != (n, T - d + 1):
        raise ValueError(f"need 1 <= d <= T and y of shape (n, T - d + 1) = ({n}, {T - d + 1}); got d = {d}, "
                         f"y {tuple(y.shape)}")
    positions = range(d, T + 1)
    fac = ntk.factors(W, fz, z, positions)
    f = rnn.outputs(W, fz, z)[:, d - 1:]
    weights = -y * torch.sigmoid(-y * f) / (n * (T - d + 1))
    grad = torch.zeros_like(W)
    for k, t in enumerate(positions):
        weighted = fac.deltas[t] * weights[:, k][None, :, None]  # (t, n, m)
        grad += weighted.reshape(-1, W.shape[0]).T @ fac.hs[:t].reshape(-1, W.shape[0])
    return PositionGradients(_norms(fac), weights, grad)
