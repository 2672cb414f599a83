"""The Elman ReLU RNN of Section 3 (eq. 1-3) with the initialisation of Algorithm 1.

    h_0 = ReLU(M_0)                                  (eq. 3)
    h_t = ReLU(W h_{t-1} + A e_{z_t}),  t = 1..T      (eq. 1)
    f_t = B^T h_t                                    (eq. 2)

e_0, e_1 are the one-hot vectors of R^2, so A e_{z_t} is column z_t of A. Entries of W^(0), A, M_0
are i.i.d. N(0, 2/m) and entries of B are i.i.d. N(0, 1/m). Only W trains: it is passed
separately from the frozen ``Frozen(A, M0, B)`` so that functions of W (loss, Jacobian, NTK) are
plain functions.

A prediction is +1 when f_t > 0 and -1 otherwise; the same rule decides the next token when
decoding free-running (eq. 15, z_t = 1/2 + 1/2 sign(f_{t-1}), with the tie f = 0 sent to 0 so that
z stays a token).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from numerics.dtypes import torch_dtype


@dataclass(frozen=True)
class Frozen:
    """The untrained parameters: A ``(m, 2)``, M0 ``(m,)``, B ``(m,)``."""

    A: torch.Tensor
    M0: torch.Tensor
    B: torch.Tensor

    @property
    def m(self) -> int:
        return self.B.shape[0]


def init(m: int, seed: int, dtype: str = "float64") -> tuple[torch.Tensor, Frozen]:
    """Algorithm 1's initialisation from an explicit seed: returns ``(W0, Frozen(A, M0, B))``."""
    if m < 1:
        raise ValueError(f"width m must be >= 1, got {m}")
    gen = torch.Generator().manual_seed(seed)
    t = torch_dtype(dtype)

    def normal(shape: tuple[int, ...], var: float) -> torch.Tensor:
        return (torch.randn(shape, generator=gen, dtype=torch.float64) * np.sqrt(var)).to(t)

    W0 = normal((m, m), 2.0 / m)
    A = normal((m, 2), 2.0 / m)
    M0 = normal((m,), 2.0 / m)
    B = normal((m,), 1.0 / m)
    return W0, Frozen(A, M0, B)


def hidden(W: torch.Tensor, fz: Frozen, z: torch.Tensor) -> torch.Tensor:
    """Hidden states h_0..h_T, shape ``(n, T + 1, m)``, for token sequences ``z`` of shape ``(n, T)``."""
    z = torch.as_tensor(z, dtype=torch.long)
    n, T = z.shape
    h = torch.relu(fz.M0).expand(n, -1)
    states = [h]
    inputs = fz.A.T[z]  # (n, T, m): A e_{z_t}
    for t in range(T):
        h = torch.relu(h @ W.T + inputs[:, t])
        states.append(h)
    return torch.stack(states, dim=1)


def outputs(W: torch.Tensor, fz: Frozen, z: torch.Tensor) -> torch.Tensor:
    """f_1..f_T, shape ``(n, T)`` (eq. 2)."""
    return hidden(W, fz, z)[:, 1:] @ fz.B


def predict(f: torch.Tensor) -> torch.Tensor:
    """The +-1 prediction of an output: +1 where f > 0, else -1."""
    return torch.where(f > 0, 1.0, -1.0).to(f.dtype)


def free_running(W: torch.Tensor, fz: Frozen, x: torch.Tensor, T: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Greedy decoding (eq. 15 at test time): feed x, then each prediction as the next token.

    Returns ``(z_test, f)`` of shapes ``(n, T)`` and ``(n, T)``; ``f[:, T-1]`` is the final answer.
    """
    x = torch.as_tensor(np.asarray(x), dtype=torch.long)
    n, d = x.shape
    if T < d:
        raise ValueError(f"T = {T} is shorter than the input (d = {d})")
    h = torch.relu(fz.M0).expand(n, -1)
    z = torch.zeros((n, T), dtype=torch.long)
    z[:, :d] = x
    fs = []
    for t in range(T):
        h = torch.relu(h @ W.T + fz.A.T[z[:, t]])
        f = h @ fz.B
        fs.append(f)
        if t + 1 < T and t + 1 >= d:
            z[:, t + 1] = (f > 0).long()
    return z, torch.stack(fs, dim=1)


def loss(f: torch.Tensor, y: torch.Tensor, d: int) -> torch.Tensor:
    """Eq. 4 averaged over the batch: logistic loss over the positions t = d..T.

    Eq. 4 prints the factor 1/(T - d) before a sum of T - d + 1 terms (and 1/0 when T = d, the
    end-to-end case); we average over the T - d + 1 terms, which rescales the loss by
    (T - d + 1)/(T - d) and leaves every argument of the paper unchanged.

    Args:
        f: ``(n, T)`` outputs f_1..f_T.
        y: ``(n, T - d + 1)`` targets for t = d..T.
    """
    margins = y * f[:, d - 1 :]
    return torch.nn.functional.softplus(-margins).mean()
