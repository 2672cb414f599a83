"""The slow oracles for ``numerics.ntk``.

``reference_gram``: H^t of eq. 69 by the plain Jacobian contraction. Eq. 1-3 are written again here,
independently of ``numerics.rnn``, as a ``torch.nn.Module`` on one-hot tokens; ``torch.func``
(``functional_call`` + ``vmap(jacrev)``) gives every per-sample gradient of f_t as an m^2-vector and
H^t = J J^T / m. It builds n x m^2 Jacobians, so it is only for checking the fast path.

``plain_limit_gram``: the infinite-width recursion of ``numerics.ntk.limit_gram`` on full n x n numpy
matrices, every Pi_s^(t) kept and summed directly (no prefix classes, no carried sum, no in-place
arithmetic). ``tests/test_ntk.py`` compares each pair (to 1e-10 / 1e-12) and ``benchmarks/ntk.py`` times
them in one run.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.func import functional_call, jacrev, vmap

from numerics import rnn


class ReferenceRNN(torch.nn.Module):
    """Eq. 1-3 written again, independently of numerics.rnn, on one-hot tokens of one sequence."""

    def __init__(self, W: torch.Tensor, fz: rnn.Frozen) -> None:
        super().__init__()
        self.W = torch.nn.Parameter(W.clone())
        self.register_buffer("A", fz.A)
        self.register_buffer("M0", fz.M0)
        self.register_buffer("B", fz.B)

    def forward(self, onehot: torch.Tensor) -> torch.Tensor:
        h, out = torch.relu(self.M0), []
        for s in range(onehot.shape[0]):
            h = torch.relu(self.W @ h + self.A @ onehot[s])
            out.append(self.B @ h)
        return torch.stack(out)


def reference_gram(W: torch.Tensor, fz: rnn.Frozen, z: torch.Tensor, positions: list[int]) -> torch.Tensor:
    """H^t by the plain Jacobian contraction: per-sample jacrev, then J J^T / m."""
    module = ReferenceRNN(W, fz)
    onehot = torch.nn.functional.one_hot(torch.as_tensor(z), 2).to(W.dtype)
    out = []
    for t in positions:
        def f_t(Wp: torch.Tensor, seq: torch.Tensor, t: int = t) -> torch.Tensor:
            return functional_call(module, {"W": Wp}, (seq[:t],))[t - 1]

        J = vmap(jacrev(f_t), in_dims=(None, 0))(W, onehot).reshape(len(onehot), -1)
        out.append(J @ J.T / W.shape[0])
    return torch.stack(out)


def plain_limit_gram(z: np.ndarray, positions: list[int]) -> torch.Tensor:
    """K^{t,inf} for each position by the recursion of ``numerics.ntk.limit_gram``'s docstring, written plainly.

    Equal prefixes get theta = 0 exactly (arccos(1 - eps) would be 1e-8, not 0).
    """
    z = np.asarray(z)
    n = z.shape[0]
    sigma = [np.ones((n, n))]
    theta = []
    for s in range(1, max(positions) + 1):
        q = sigma[-1] + (z[:, s - 1][:, None] == z[:, s - 1][None, :])
        nrm = np.sqrt(np.diag(q))
        cos = np.clip(q / np.outer(nrm, nrm), -1, 1)
        cos[(z[:, None, :s] == z[None, :, :s]).all(-1)] = 1.0
        th = np.arccos(cos)
        theta.append(th)
        sigma.append(np.outer(nrm, nrm) * (np.sin(th) + (np.pi - th) * cos) / np.pi)
    out = []
    for t in positions:
        pi = (np.pi - theta[t - 1]) / (2 * np.pi)  # Pi_t^(t)
        K = pi * sigma[t - 1]
        for s in range(t - 1, 0, -1):
            pi = pi * (np.pi - theta[s - 1]) / np.pi  # Pi_s^(t) = Pi_{s+1}^(t) (pi - theta_s) / pi
            K = K + pi * sigma[s - 1]
        out.append(K)
    return torch.as_tensor(np.stack(out))
