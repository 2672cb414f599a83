"""Per-position empirical NTK Gram matrices of the RNN (App. E, eq. 69) and y^T (H^t)^{-1} y (Lemma 6-7).

    H^t_ij = (1/m) < grad_W f_t(z_i), grad_W f_t(z_j) >_F                     (eq. 69)

The gradient, re-derived from eq. 1-2 (the printed eq. 76 is garbled: its product runs the wrong
way, it multiplies by h_i instead of taking the outer product with h_{i-1}, and D_i sits on the
wrong side of B). With pre-activations g_s = W h_{s-1} + A e_{z_s} and D_s = diag(1[g_s > 0]),

    delta_t^(t) = D_t B,     delta_s^(t) = D_s W^T delta_{s+1}^(t)   (s = t-1, ..., 1)
    grad_W f_t  = sum_{s=1}^t delta_s^(t) h_{s-1}^T                  (rank <= t, m x m)

so
    m H^t_ij = sum_{s,s'=1}^t <delta_s^(t)(i), delta_{s'}^(t)(j)> <h_{s-1}(i), h_{s'-1}(j)>.

The fast path never forms the n m^2 per-sample gradients: it computes, per pair of sample blocks
(I, J) with I <= J (the Gram is symmetric), the hidden-state Gram <h_a(i), h_b(j)> once for all times
(shared by every position t), then for each position t the delta Gram, one matrix product of shape
(t|I| x m)(m x t|J|), its Hadamard product with the matching hidden Gram slice, and the sum over
(s, s'). Work: n^2 m (T^2 + sum_t t^2) / 2 multiply-adds; memory: the factors, n m (T + sum_t t)
floats, plus the output and one block. For narrow networks (t^2 >= m) contracting m^2 gradient
entries per pair is cheaper, and a block's gradients (block x m^2 floats) are formed instead.

The infinite-width limit of m H^t (the H^{t,inf} of Lemma 6) is ``limit_gram`` (an exact recursion, no
network); ``label_norms`` / ``cholesky`` give sqrt(y^T K^{-1} y) by a float64 Cholesky solve; and
``labelled_grams(circuit, x, supervision[, W, fz])`` returns every supervised position's Gram together
with the label that position carries (``PositionGram``), at a finite width or in the limit.

Positions are the paper's 1-based t (f_t is ``outputs(...)[:, t - 1]``). Index conventions of the
tensors here are time-major: ``hs[a]`` is h_a (a = 0..T-1) and ``deltas[t][s - 1]`` is delta_s^(t).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from numerics.rnn import Frozen


@dataclass(frozen=True)
class Factors:
    """The two factors of every per-position gradient grad_W f_t = sum_s delta_s h_{s-1}^T.

    Attributes:
        hs: ``(T_max, n, m)`` hidden states h_0 .. h_{T_max - 1}.
        deltas: position t -> ``(t, n, m)``: delta_1^(t) .. delta_t^(t).
    """

    hs: torch.Tensor
    deltas: dict[int, torch.Tensor]

    @property
    def positions(self) -> tuple[int, ...]:
        return tuple(self.deltas)

    @property
    def n(self) -> int:
        return self.hs.shape[1]

    @property
    def m(self) -> int:
        return self.hs.shape[2]


def _positions(positions: Sequence[int] | None, T: int) -> tuple[int, ...]:
    pos = tuple(range(1, T + 1)) if positions is None else tuple(int(t) for t in positions)
    if not pos:
        raise ValueError("no positions requested")
    if any(not 1 <= t <= T for t in pos):
        raise ValueError(f"positions must lie in 1..T = 1..{T}, got {pos}")
    if len(set(pos)) != len(pos):
        raise ValueError(f"positions repeat: {pos}")
    return pos


def factors(
    W: torch.Tensor, fz: Frozen, z: torch.Tensor | np.ndarray, positions: Sequence[int] | None = None
) -> Factors:
    """Hidden states and backpropagated errors delta_s^(t) at weights ``W`` (any W, not only W0).

    One forward pass, then one backward sweep that carries every requested position at once:
    at step s the errors of all positions t >= s are multiplied by W in a single matrix product.

    Args:
        W: ``(m, m)`` recurrent weights. fz: the frozen A, M0, B. z: ``(n, T)`` tokens in {0, 1}.
        positions: 1-based positions t (default 1..T).
    """
    z = torch.as_tensor(np.asarray(z), dtype=torch.long)
    n, T = z.shape
    pos = _positions(positions, T)
    t_max = max(pos)
    h = torch.relu(fz.M0).to(W.dtype).expand(n, -1)
    inputs = fz.A.T[z]  # (n, T, m)
    hs, masks = [h], []
    for s in range(t_max):
        g = h @ W.T + inputs[:, s]
        masks.append((g > 0).to(W.dtype))
        h = torch.relu(g)
        hs.append(h)
    hs_t = torch.stack(hs[:t_max])  # h_0 .. h_{t_max - 1}
    deltas = {t: torch.empty((t, n, W.shape[0]), dtype=W.dtype) for t in pos}
    live: list[int] = []  # positions whose backward sweep has started, all >= current s
    cur: torch.Tensor | None = None  # (len(live), n, m): delta_{s}^(t) for t in live
    for s in range(t_max, 0, -1):
        if cur is not None:
            cur = (cur @ W) * masks[s - 1]  # delta_s = D_s W^T delta_{s+1}, as rows
        if s in deltas:
            start = (masks[s - 1] * fz.B).unsqueeze(0)
            cur = start if cur is None else torch.cat([cur, start])
            live.append(s)
        if cur is not None:
            for k, t in enumerate(live):
                deltas[t][s - 1] = cur[k]
    return Factors(hs_t, deltas)


def gradients(W: torch.Tensor, fz: Frozen, z: torch.Tensor | np.ndarray, t: int) -> torch.Tensor:
    """Per-sample gradients grad_W f_t, ``(n, m, m)``, from the factors (only for small m: n m^2 floats)."""
    f = factors(W, fz, z, [t])
    return torch.einsum("snj,snk->njk", f.deltas[t], f.hs[:t])


def gram(
    W: torch.Tensor,
    fz: Frozen,
    z: torch.Tensor | np.ndarray,
    positions: Sequence[int] | None = None,
    block: int = 128,
) -> torch.Tensor:
    """Empirical NTK Gram matrices H^t of eq. 69 for every requested position, ``(P, n, n)``.

    ``H[p]`` is H^t for ``t = positions[p]``. Exactly symmetric (the lower triangle mirrors the upper).
    ``block`` is the number of samples per block: memory per block is O((block * T)^2).
    """
    if block < 1:
        raise ValueError(f"block must be >= 1, got {block}")
    fac = factors(W, fz, z, positions)
    return gram_from_factors(fac, block)


def gram_from_factors(fac: Factors, block: int = 128) -> torch.Tensor:
    """The Grams of ``gram`` from precomputed factors (see the module docstring for the algorithm).

    Per position t the cheaper exact contraction is used: the factored one (t^2 m per pair of samples)
    when t^2 < m, the wide-network regime of the theory; otherwise, for narrow networks, each block's
    gradients sum_s delta_s h_{s-1}^T are formed (block x m^2 floats, never n m^2) and contracted
    (m^2 per pair).
    """
    n, m = fac.n, fac.m
    pos = fac.positions
    t_max = max(pos)
    factored = [t for t in pos if t * t < m]
    out = torch.empty((len(pos), n, n), dtype=fac.hs.dtype)
    starts = list(range(0, n, block))

    def dense(rows: slice, t: int) -> torch.Tensor:
        return torch.einsum("sij,sik->ijk", fac.deltas[t][:, rows], fac.hs[:t, rows]).reshape(-1, m * m)

    for a, i0 in enumerate(starts):
        I = slice(i0, min(i0 + block, n))
        bi = I.stop - I.start
        hI = fac.hs[:, I].reshape(t_max * bi, m)
        jac_I = {t: dense(I, t) for t in pos if t not in factored}
        for j0 in starts[a:]:
            J = slice(j0, min(j0 + block, n))
            bj = J.stop - J.start
            same = j0 == i0
            if factored:
                hJ = hI if same else fac.hs[:, J].reshape(t_max * bj, m)
                hidden_gram = hI @ hJ.T  # rows (a, i), columns (b, j): <h_a(i), h_b(j)>, all times at once
            for p, t in enumerate(pos):
                if t in factored:
                    dI = fac.deltas[t][:, I].reshape(t * bi, m)
                    dJ = dI if same else fac.deltas[t][:, J].reshape(t * bj, m)
                    prod = dI @ dJ.T
                    prod.mul_(hidden_gram[: t * bi, : t * bj])
                    blk = prod.view(t, bi, t * bj).sum(0).view(bi, t, bj).sum(1) / m
                else:
                    blk = jac_I[t] @ (jac_I[t] if same else dense(J, t)).T / m
                if same:  # the product's rounding need not be symmetric; make the Gram exactly symmetric
                    blk = (blk + blk.T) / 2
                out[p, I, J] = blk
                if not same:
                    out[p, J, I] = blk.T
    return out


def gram_flops(n: int, m: int, positions: Sequence[int]) -> float:
    """Floating-point operations (2 per multiply-add) of the contractions of ``gram``, counting the
    symmetric half: n^2 m (T^2 + sum_{t^2 < m} t^2) + n^2 m^2 (number of positions with t^2 >= m)."""
    factored = [t for t in positions if t * t < m]
    hidden = max(positions) ** 2 if factored else 0
    return float(n) * n * m * (hidden + sum(t * t for t in factored)) + float(n) * n * m * m * (
        len(positions) - len(factored))


def gram_bytes(n: int, m: int, positions: Sequence[int], block: int = 128, itemsize: int = 8) -> int:
    """Memory model of ``gram``: factors + output + one block's temporaries (bytes)."""
    t_max = max(positions)
    fac = n * m * (t_max + sum(positions))
    outp = len(positions) * n * n
    b = min(block, n)
    tmp = 2 * (t_max * b) ** 2 + 4 * t_max * b * m
    return itemsize * (fac + outp + tmp)


@dataclass(frozen=True)
class Spectrum:
    """Eigen-decomposition of one Gram matrix, for quadratic forms y^T (H + ridge I)^{-1} y."""

    evals: torch.Tensor
    evecs: torch.Tensor

    @classmethod
    def of(cls, H: torch.Tensor) -> Spectrum:
        evals, evecs = torch.linalg.eigh(H)
        return cls(evals, evecs)

    @property
    def lam_min(self) -> float:
        return float(self.evals[0])

    @property
    def lam_max(self) -> float:
        return float(self.evals[-1])

    @property
    def cond(self) -> float:
        """lam_max / lam_min (inf when lam_min <= 0, i.e. numerically singular)."""
        return self.lam_max / self.lam_min if self.lam_min > 0 else float("inf")

    def label_norm(self, y: torch.Tensor | np.ndarray, ridge: float = 0.0) -> torch.Tensor:
        """sqrt(y^T (H + ridge I)^{-1} y) for one label vector ``(n,)`` or several ``(n, k)``.

        Raises ValueError when H + ridge I is not positive definite (then y^T H^-1 y is undefined).
        """
        y = torch.as_tensor(np.asarray(y), dtype=self.evals.dtype)
        lam = self.evals + ridge
        if float(lam[0]) <= 0:
            raise ValueError(f"H + ridge I is not positive definite (smallest eigenvalue {float(lam[0]):.3e})")
        coef = self.evecs.T @ y
        w = coef / lam.reshape(-1, *([1] * (coef.dim() - 1)))
        return torch.sqrt((coef * w).sum(0))


@dataclass
class GramTracker:
    """The Gram's relative change from initialisation on a fixed probe set, for training loops.

    Call ``tracker(W)`` every k steps: it returns {t: ||H^t(W) - H^t(W0)||_F / ||H^t(W0)||_F}.

    Example::

        tracker = GramTracker.at_init(W0, fz, z_probe, positions=range(d, T + 1))
        if step % k == 0:
            log.update({f"ntk_drift_t{t}": v for t, v in tracker(W).items()})
    """

    fz: Frozen
    z: torch.Tensor
    positions: tuple[int, ...]
    H0: torch.Tensor
    block: int = 128
    history: list[dict[int, float]] = field(default_factory=list)

    @classmethod
    def at_init(
        cls, W0: torch.Tensor, fz: Frozen, z: torch.Tensor | np.ndarray, positions: Sequence[int], block: int = 128
    ) -> GramTracker:
        z = torch.as_tensor(np.asarray(z), dtype=torch.long)
        pos = tuple(int(t) for t in positions)
        return cls(fz, z, pos, gram(W0.detach(), fz, z, pos, block), block)

    def __call__(self, W: torch.Tensor) -> dict[int, float]:
        H = gram(W.detach().to(self.H0.dtype), self.fz, self.z, self.positions, self.block)
        diff = torch.linalg.matrix_norm(H - self.H0) / torch.linalg.matrix_norm(self.H0)
        row = {t: float(v) for t, v in zip(self.positions, diff, strict=True)}
        self.history.append(row)
        return row


# ------------------------------------------------------------------------------------------------ width limit
def _prefix_classes(z: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """For s = 1..T: (parent, token, inverse) of the distinct prefixes z_1..z_s.

    ``inverse[i]`` is the class of sample i's prefix of length s; ``parent[c]`` is the class (at s - 1) of
    class c's prefix without its last token (at s = 1 the single empty prefix, class 0); ``token[c]`` is
    that last token z_s.
    """
    n, T = z.shape
    out = []
    prev = np.zeros(n, dtype=np.int64)
    for s in range(1, T + 1):
        key = prev * 2 + z[:, s - 1]
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        out.append((prev[first], z[first, s - 1], inverse.reshape(-1)))
        prev = inverse.reshape(-1)
    return out


def iter_limit_gram(z: torch.Tensor | np.ndarray, positions: Sequence[int] | None = None):
    """Yield ``(t, K^{t,inf})`` for each requested position in increasing t (see ``limit_gram``).

    Only one n x n result is alive at a time, so large n (all 2^13 inputs, or a sample) stays in memory.
    """
    z = np.asarray(z, dtype=np.int64)
    if z.ndim != 2:
        raise ValueError(f"z must be (n, T), got shape {z.shape}")
    pos = sorted(_positions(positions, z.shape[1]))
    t_max = pos[-1]
    classes = _prefix_classes(z[:, :t_max])
    sigma = torch.ones((1, 1), dtype=torch.float64)  # Sigma_0 on the single empty prefix
    G = torch.ones((1, 1), dtype=torch.float64)  # G_1 = Sigma_0
    for s in range(1, t_max + 1):
        parent, token, inverse = classes[s - 1]
        if len(parent) == sigma.shape[0] and np.array_equal(parent, np.arange(len(parent))):
            q = sigma  # every prefix already distinct: no gather (steps s > d on distinct inputs)
        else:
            p = torch.as_tensor(parent)
            q, G = sigma[p][:, p], G[p][:, p]
        one = torch.as_tensor(token, dtype=torch.float64)
        q.addr_(one, one).addr_(1.0 - one, 1.0 - one)  # q_s = Sigma_{s-1} + [z_s = z_s'] (tokens are 0/1)
        norm = torch.sqrt(torch.diagonal(q).clone())
        cos = q.div_(norm[:, None]).div_(norm[None, :]).clamp_(-1.0, 1.0)  # q is now cos theta_s
        cos.fill_diagonal_(1.0)  # exactly: arccos(1 - eps) would be sqrt(2 eps), not 0
        sigma = cos.square().neg_().add_(1.0).clamp_(min=0.0).sqrt_()  # sin theta_s; becomes Sigma_s below
        c = torch.arccos(cos).neg_().add_(torch.pi)  # pi - theta_s
        sigma.add_(c * cos).mul_(norm[:, None]).mul_(norm[None, :]).div_(torch.pi)
        del cos, q
        c.div_(torch.pi)  # c_s = (pi - theta_s) / pi
        if s in pos:
            K = c * G / 2  # Pi_s^(s) = c_s / 2
            if len(inverse) != K.shape[0] or not np.array_equal(inverse, np.arange(len(inverse))):
                idx = torch.as_tensor(inverse)
                K = K[idx][:, idx]
            yield s, K
        if s < t_max:
            G = c.mul_(G).add_(sigma)  # G_{s+1} = c_s G_s + Sigma_s


def limit_gram(z: torch.Tensor | np.ndarray, positions: Sequence[int] | None = None) -> torch.Tensor:
    """The infinite-width limit K^{t,inf} of ``m * H^t`` (eq. 69 without its 1/m), ``(P, n, n)`` float64.

    ``K[p]`` is the limit at ``t = positions[p]``. With this package's initialisation (``numerics.rnn.init``:
    W, A, M0 ~ N(0, 2/m), B ~ N(0, 1/m)) the Gram H^t of eq. 69 tends to 0 like 1/m, while
    ``m H^t = <grad_W f_t(z), grad_W f_t(z')>`` has a deterministic limit (Jacot et al. 2018; for weight-tied
    recurrent networks Yang 2020, "Tensor Programs II", whose gradient-independence rule applies because
    the readout B is drawn independently with mean 0). Re-derived from eq. 1-2:

        q_s(i, j)   = Sigma_{s-1}(i, j) + [z_s(i) = z_s(j)],            Sigma_0 = 1  (h_0 = relu(M0) shared)
        theta_s     = arccos(q_s(i, j) / sqrt(q_s(i, i) q_s(j, j)))
        Sigma_s     = sqrt(q_s(i, i) q_s(j, j)) (sin theta_s + (pi - theta_s) cos theta_s) / pi  (<h_s, h_s'>)
        Pi_t^(t)    = (pi - theta_t) / (2 pi),   Pi_s^(t) = Pi_{s+1}^(t) (pi - theta_s) / pi      (<delta_s, delta_s'>)
        K^{t,inf}   = sum_{s=1}^t Pi_s^(t) Sigma_{s-1}

    (cross-time terms <delta_s, delta_s'>, s != s', vanish in the limit; the diagonal is t (t + 1) / 4).
    The sum is carried forward: G_1 = Sigma_0, G_{t+1} = c_t G_t + Sigma_t with c_t = (pi - theta_t) / pi,
    and K^t = c_t G_t / 2. Every quantity at step s depends only on the prefix z_1..z_s, so the steps run on
    the distinct prefixes (2^s of them on the full cube): with all 2^d inputs only the steps s >= d cost
    n^2 each. ``tests/test_ntk.py`` checks the limit against the mean of finite-width Grams.
    """
    z = np.asarray(z, dtype=np.int64)
    pos = _positions(positions, z.shape[1]) if z.ndim == 2 else ()
    found = dict(iter_limit_gram(z, pos))
    return torch.stack([found[t] for t in pos])


def label_norms(K: torch.Tensor, Y: torch.Tensor | np.ndarray) -> torch.Tensor:
    """sqrt(y^T K^{-1} y) for each column y of ``Y`` (``(n,)`` or ``(n, k)``), by a float64 Cholesky solve.

    Raises ValueError when K is not numerically positive definite (then y^T K^{-1} y is undefined).
    """
    return norms_from_factor(cholesky(K), Y)


def cholesky(K: torch.Tensor) -> torch.Tensor:
    """The float64 Cholesky factor L (K = L L^T); ValueError when K is not numerically positive definite."""
    L, info = torch.linalg.cholesky_ex(K.to(torch.float64))
    if int(info) != 0:
        raise ValueError(f"the Gram is not positive definite (Cholesky fails at leading minor {int(info)})")
    return L


def norms_from_factor(L: torch.Tensor, Y: torch.Tensor | np.ndarray) -> torch.Tensor:
    """sqrt(y^T (L L^T)^{-1} y) for each column of ``Y``: one factorisation, any number of labels."""
    Y = torch.as_tensor(np.asarray(Y), dtype=torch.float64)
    one = Y.dim() == 1
    Y = Y[:, None] if one else Y
    out = torch.sqrt((Y * torch.cholesky_solve(Y, L)).sum(0))
    return out[0] if one else out


@dataclass(frozen=True)
class PositionGram:
    """One position's Gram together with the label that position carries (eq. 69-70).

    Attributes:
        t: the paper's 1-based position (the output f_t).
        gram: ``(n, n)`` float64: eq. 69's H^t at the given W (finite width), or K^{t,inf} = lim m H^t.
        labels: ``(n,)`` the target y~^(t) of eq. 70 in {-1, +1} for each input.
        supervision: ``"subtasks"`` or ``"end_to_end"``.
        width: m of the network, or None for the infinite-width limit.
    """

    t: int
    gram: torch.Tensor
    labels: np.ndarray
    supervision: str
    width: int | None

    def label_norm(self) -> float:
        """sqrt(y~^T (gram)^{-1} y~) of this position's own label (Lemma 6-7)."""
        return float(label_norms(self.gram, self.labels))


def labelled_grams(circuit, x: np.ndarray, supervision: str, W: torch.Tensor | None = None,
                   fz: Frozen | None = None, block: int = 128) -> list[PositionGram]:
    """Every supervised position's Gram with the label it carries: no matching of positions to labels by hand.

    Args:
        circuit: a ``numerics.circuits.Circuit`` (e.g. ``parity_tree(d, subset)``).
        x: ``(n, d)`` distinct 0/1 inputs (``circuits.all_inputs(d)`` for the whole cube).
        supervision: ``"subtasks"`` (positions t = d..T, one per gate) or ``"end_to_end"`` (t = d only).
        W, fz: a network (``numerics.rnn.init``) for the finite-width H^t of eq. 69; both None for the
            infinite-width limit K^{t,inf} (``limit_gram``).

    Example::

        c = circuits.parity_tree(8, circuits.random_subset(8, 0))
        for pg in ntk.labelled_grams(c, circuits.all_inputs(8), "subtasks"):
            print(pg.t, pg.label_norm())
    """
    from numerics import sequences

    if (W is None) != (fz is None):
        raise ValueError("give both W and fz (finite width) or neither (the infinite-width limit)")
    seqs = sequences.build(circuit, x, supervision)
    d = seqs.d
    positions = list(range(d, d + seqs.y.shape[1]))
    if W is None:
        grams = limit_gram(seqs.z, positions)
        width = None
    else:
        grams = gram(W, fz, seqs.z, positions, block)
        width = int(W.shape[0])
    return [PositionGram(t, grams[k], seqs.y[:, k], supervision, width) for k, t in enumerate(positions)]
