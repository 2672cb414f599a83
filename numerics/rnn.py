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


def loss(f: torch.Tensor, y: torch.Tensor, d: int, weights: torch.Tensor | None = None) -> torch.Tensor:
    """Eq. 4 averaged over the batch: logistic loss over the positions t = d..T.

    Eq. 4 prints the factor 1/(T - d) before a sum of T - d + 1 terms (and 1/0 when T = d, the
    end-to-end case); we average over the T - d + 1 terms, which rescales the loss by
    (T - d + 1)/(T - d) and leaves every argument of the paper unchanged.

    Args:
        f: ``(n, T)`` outputs f_1..f_T.
        y: ``(n, T - d + 1)`` targets for t = d..T.
        weights: optional ``(T - d + 1,)`` 0/1 loss mask over the positions (partial supervision,
            ``numerics.supervision``): the mean is then over the supervised positions only.
    """
    margins = y * f[:, d - 1 :]
    if weights is not None:
        w = torch.as_tensor(weights, dtype=f.dtype)
        return (torch.nn.functional.softplus(-margins) * w).sum() / (margins.shape[0] * w.sum())
    return torch.nn.functional.softplus(-margins).mean()


def grad_closed_form(W: torch.Tensor, fz: Frozen, z: torch.Tensor, t: int) -> torch.Tensor:
    """∇_W f_t(z) for ONE sequence ``z`` of shape ``(T,)`` and a 1-based position t: the corrected eq. 76.

    With a_s = W h_{s-1} + A e_{z_s}, h_s = ReLU(a_s) and D_s = diag(1[a_s > 0]) (Lemma 10's proof),
    the chain rule through eq. 1-2 gives

        ∇_W f_t = Σ_{s=1}^{t} δ_s h_{s-1}^T,   δ_t = D_t B,   δ_s = D_s W^T δ_{s+1}  (s < t),

    i.e. δ_s = D_s (W^T D_{s+1}) (W^T D_{s+2}) ... (W^T D_t) B with j increasing from left to right.
    Each term is an outer product (an m x m matrix) of the back-propagated error δ_s and the state
    h_{s-1} *before* step s. Eq. 76 prints Σ_i Π_{j=t}^{i+1}(W^T D_j) B D_i h_i, which is not a matrix
    (B D_i multiplies an m-vector by an m x m matrix) and uses h_i instead of h_{i-1}; see
    ``verify/gradient.py`` for the comparison.

    Returns:
        ``(m, m)`` tensor in W's dtype.
    """
    z = torch.as_tensor(z, dtype=torch.long)
    T = z.shape[0]
    if not 1 <= t <= T:
        raise ValueError(f"position t = {t} is outside 1..{T}")
    H = hidden(W, fz, z[None])[0]  # (T + 1, m): H[s] = h_s
    D = H[1:] > 0  # D[s - 1] is the diagonal of D_s; h_s > 0 exactly where a_s > 0
    delta = fz.B * D[t - 1]
    grad = torch.outer(delta, H[t - 1])
    for s in range(t - 1, 0, -1):
        delta = D[s - 1] * (W.T @ delta)
        grad = grad + torch.outer(delta, H[s - 1])
    return grad


def loss_and_grad(
    W: torch.Tensor, fz: Frozen, z: torch.Tensor, y: torch.Tensor, d: int, chunk: int = 4096,
    weights: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Eq. 4 (``loss``) and its exact gradient in W by hand-written back-propagation through time.

    The fast path of Algorithms 1-3 and of the benchmark: time-major states, one ``addmm`` per step
    forward and backward, and the weight gradient Σ_s δ_s h_{s-1}^T (the corrected eq. 76, summed
    over positions with the loss weights c_t = dℓ/df_t) as ONE matrix product over all (sample,
    step) pairs. The batch is processed in chunks of ``chunk`` rows so memory stays at
    O(chunk · T · m). FLOPs: 2 n m^2 (3T - 1) (``flops``). Checked against autograd in the tests.

    Args:
        z: ``(n, T)`` teacher-forced tokens; y: ``(n, T - d + 1)`` targets in {-1, +1}.
        weights: optional ``(T - d + 1,)`` 0/1 loss mask (partial supervision, mode "masked"): the loss and
            its gradient are ``loss(f, y, d, weights)``'s, the mean over the supervised positions.
    Returns:
        ``(loss, grad)``: the batch-mean loss (0-dim) and ``(m, m)`` gradient, in W's dtype.
    """
    z = torch.as_tensor(z, dtype=torch.long)
    y = torch.as_tensor(y, dtype=W.dtype)
    n, T = z.shape
    m = W.shape[0]
    w = None if weights is None else torch.as_tensor(weights, dtype=W.dtype)
    scale = 1.0 / (n * (T - d + 1)) if w is None else 1.0 / (n * float(w.sum()))
    total = W.new_zeros(())
    grad = torch.zeros_like(W)
    h0 = torch.relu(fz.M0)
    WT = W.T
    for lo in range(0, n, chunk):
        zc, yc = z[lo : lo + chunk], y[lo : lo + chunk]
        k = zc.shape[0]
        H = W.new_empty((T + 1, k, m))
        H[0] = h0
        inputs = fz.A.T[zc.T]  # (T, k, m)
        for s in range(T):
            torch.relu_(torch.addmm(inputs[s], H[s], WT, out=H[s + 1]))
        f = H[d:] @ fz.B  # (T - d + 1, k): f_d .. f_T
        margins = yc.T * f
        if w is None:
            total = total + torch.nn.functional.softplus(-margins).sum()
            c = -yc.T * torch.sigmoid(-margins) * scale  # dℓ/df_t for t = d..T, shape (T - d + 1, k)
        else:  # partial supervision: unsupervised positions carry no loss
            total = total + (torch.nn.functional.softplus(-margins) * w[:, None]).sum()
            c = -yc.T * torch.sigmoid(-margins) * (scale * w[:, None])
        delta = H.new_empty((T, k, m))  # delta[s - 1] = δ_s = dℓ/da_s
        g = torch.outer(c[-1], fz.B)
        delta[T - 1] = g * (H[T] > 0)
        for s in range(T - 1, 0, -1):  # δ_s = D_s (c_s B + W^T δ_{s+1}), rows are samples
            g = torch.mm(delta[s], W, out=delta[s - 1])
            if s >= d:
                g.addr_(c[s - d], fz.B)
            g.mul_(H[s] > 0)
        grad.addmm_(delta.reshape(T * k, m).T, H[:T].reshape(T * k, m))
    return total * scale, grad


def flops(n: int, T: int, m: int) -> int:
    """Multiply-add FLOPs (2 per multiply-add) of ``loss_and_grad`` on n sequences of length T:
    T forward products (n x m)(m x m), T - 1 backward products, one (m x nT)(nT x m) weight product."""
    return 2 * n * m * m * (3 * T - 1)
