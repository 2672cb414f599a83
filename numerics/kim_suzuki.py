"""The one-layer transformer of Kim & Suzuki (ICLR 2025, arXiv 2410.08633) on k-parity, and its training modes.

Setting (K&S Section 2-3, as summarised in issue 17; reconstructions are marked [R]).

- Data: x uniform on {±1}^d, y = prod_{i in p} x_i for a hidden subset p of size k = 2^v. The chain of thought is
  the binary tree over p (the same tree as Wies et al.'s App. B): level 1 multiplies adjacent subset bits
  (x_{p1} x_{p2}), (x_{p3} x_{p4}), ...; each next level multiplies adjacent nodes of the level below. Node
  m = d + 1 .. d + k - 1 (1-based; 0-based ``d + i``) holds the product of its two children, nodes are ordered
  level by level, and the root d + k - 1 is y. The sequence has N = d + k - 1 positions.
- Model: token j is (e_j, z_j) with e_j the one-hot position and z_j the data part. One softmax attention head
  whose score depends on positions only: K^T Q is reparametrised as one matrix W over the N positions, so node m
  attends with weights softmax_j(W[m, j]) over the positions it may see; the value is the data part z_j; no skip
  connection; then the fixed link phi:

      xhat_m = phi( sum_j softmax(W[m, allowed])_j z_j ).

  phi is the piecewise quadratic of the experiments: -4t^2-8t-3 on [-1, -1/2), 4t^2-1 on [-1/2, 1/2),
  -4t^2+8t-3 on [1/2, 1]; phi(0) = -1, phi(±1) = 1, phi'(0) = phi'(±1) = 0, so phi((a+b)/2) = ab on {±1}.
  Outside [-1, 1] (never reached: the argument is a convex combination of ±1 data) phi is held at its end values.
  W is (N, N) (9025 entries at d = 64, k = 32); rows of input positions never receive a gradient.
- Masks: ``causal`` (node m sees every position before it) and ``block`` [R] (the block-causal mask of K&S
  Theorem 7: a node of level l sees the positions of levels < l, the inputs being level 0).
- Loss: squared error over the intermediate states scaled by 1/(k-1), with the factor 1/2 [R],
  L = (1/(2(k-1))) sum_m E (xhat_m - x_m)^2; ``direct`` uses the final state only, (1/2) E (xhat_root - y)^2.
  (Without the 1/2, the paper's eta = 15 makes plain CoT at k = 8 oscillate with period 2 in our runs.)

Training modes (``MODES``), full-batch gradient descent on a fixed sample:

- ``direct``   no intermediate supervision: the chain is generated free-running (continuous outputs fed back,
  gradients through the chain) and only the final answer enters the loss (K&S Theorem 2's setting) [R].
- ``cot``      CoT without teacher forcing: the same free-running chain, every state in the loss.
- ``teacher``  CoT with teacher forcing: every node reads the true states of the earlier positions.
- ``selfcons`` CoT with self-consistency (K&S Theorem 7) [R]: block-causal mask; generated states are rounded
  to sign(xhat) before they are fed on (no gradient through them); a filter iota passes a level's rounded
  states on only when the level's outputs on the augmented (generated) data are informative, i.e. every node
  of the level has batch variance of sign(xhat) >= ``FILTER_TAU`` (a constant output carries nothing about x);
  a node reading a level that did not pass has its output zeroed (its loss term is then the constant 1 and it
  gets no gradient). The filter's statistic and threshold are our reconstruction of K&S's u_j / iota.

The free-running generation used for evaluation is the mode's own inference path: continuous, causal for
``direct``/``cot``/``teacher``; rounded, filtered and block-causal for ``selfcons``.
Everything is vectorised over the full batch: the input part of every node's score is one matrix product
(n x d)(d x (k-1)); the generated part adds one (n x i) product per node (causal) or per level (block).

Gradients: ``loss_and_grad`` is an analytic forward/backward (``_fast``: the generated states kept as a ``(k-1, n)``
buffer, a reverse recursion through the free-running chain, the softmax's backward on the node rows, the link's
value and derivative in one in-place pass, ``LINK_GRADS``); ``loss_and_grad_reference`` is autograd through
``forward_reference``, the slow reference it is tested against (equal to float rounding, every mode and link).
Autograd over the many small elementwise ops of phi and the k^2/2 chain nodes cost 3-8x more per step at the
paper's sizes (``python -m benchmarks.kim_suzuki``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

MODES = ("direct", "cot", "teacher", "selfcons")
MASKS = ("causal", "block")
FILTER_TAU = 0.5  # [R] a level passes the self-consistency filter when every node's Var(sign xhat) >= this
LEARNED_ACC = 0.99  # a level counts as learned when every node's free-running sign accuracy is >= this

Link = Callable[[torch.Tensor], torch.Tensor]


# ------------------------------------------------------------------------------------------------ link
def phi(t: torch.Tensor) -> torch.Tensor:
    """K&S's piecewise quadratic link: phi(0) = -1, phi(±1) = 1, phi'(0) = phi'(±1) = 0."""
    t = t.clamp(-1.0, 1.0)
    return torch.where(t < -0.5, -4 * t * t - 8 * t - 3, torch.where(t < 0.5, 4 * t * t - 1, -4 * t * t + 8 * t - 3))


def identity_link(t: torch.Tensor) -> torch.Tensor:
    """A link without phi((a+b)/2) = ab: the control that replaces phi."""
    return t


def _phi_into(s: torch.Tensor, value: torch.Tensor, deriv: torch.Tensor | None) -> None:
    """phi(s) into ``value`` and phi'(s) into ``deriv`` (skipped if ``None``) without temporaries (the fast
    path's form).

    With w = min(|t|, 1) - 1/2 in [-1/2, 1/2], phi(t) = 4 w (1 - |w|) (it is 4w^2 + 4w = 4t^2 - 1 on |t| < 1/2 and
    4w - 4w^2 = -4|t|^2 + 8|t| - 3 on 1/2 <= |t| <= 1: phi is even) and phi'(t) = sign(t) (4 - 8|w|), which is 0 at
    t = 0 and outside [-1, 1] (as ``phi``'s clamp gives)."""
    torch.abs(s, out=value).clamp_(max=1.0).sub_(0.5)  # w
    if deriv is None:
        value.addcmul_(value, value.abs(), value=-1.0).mul_(4.0)  # 4 w (1 - |w|)
        return
    torch.abs(value, out=deriv)  # |w|
    value.addcmul_(value, deriv, value=-1.0).mul_(4.0)
    torch.copysign(deriv.mul_(-8.0).add_(4.0), s, out=deriv)


def _identity_into(s: torch.Tensor, value: torch.Tensor, deriv: torch.Tensor | None) -> None:
    """The identity link and its derivative 1."""
    value.copy_(s)
    if deriv is not None:
        deriv.fill_(1.0)


LINKS: dict[str, Link] = {"phi": phi, "identity": identity_link}
LINK_GRADS: dict[Link, Callable[[torch.Tensor, torch.Tensor, torch.Tensor | None], None]] = {
    phi: _phi_into, identity_link: _identity_into}
"""Each link with its in-place value-and-derivative form ``(s, value, deriv or None)``: the analytic forward/backward
(``loss_and_grad``) needs it; a link not listed here falls back to the autograd reference."""


def link_and_grad(link: Link, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(link(t), link'(t))`` by the link's form in ``LINK_GRADS``."""
    value, deriv = torch.empty_like(t), torch.empty_like(t)
    LINK_GRADS[link](t, value, deriv)
    return value, deriv


# ------------------------------------------------------------------------------------------------ tree
@dataclass(frozen=True)
class Tree:
    """The k-parity chain of thought over a subset of [d].

    Attributes:
        d: input bits; k: subset size (a power of two >= 2).
        subset: the 0-based subset, sorted.
        children: per node i = 0..k-2 (position d + i), the two 0-based positions it multiplies.
        level: per position 0..N-1, 0 for inputs and 1..log2 k for nodes.
    """

    d: int
    k: int
    subset: tuple[int, ...]
    children: tuple[tuple[int, int], ...]
    level: tuple[int, ...]

    @property
    def N(self) -> int:
        return self.d + self.k - 1

    @property
    def levels(self) -> int:
        return round(math.log2(self.k))

    def nodes_of(self, lev: int) -> list[int]:
        """0-based node indices i (position d + i) of level ``lev``."""
        return [i for i in range(self.k - 1) if self.level[self.d + i] == lev]


def tree(d: int, subset: tuple[int, ...] | list[int], children: tuple[tuple[int, int], ...] | None = None) -> Tree:
    """The binary tree over ``subset`` (adjacent pairs, level by level), or a given ``children`` table."""
    subset = tuple(sorted(int(i) for i in subset))
    k = len(subset)
    if k < 2 or k & (k - 1):
        raise ValueError(f"k = |subset| must be a power of two >= 2, got {k}")
    if len(set(subset)) != k or not all(0 <= i < d for i in subset):
        raise ValueError(f"subset must hold distinct indices in 0..{d - 1}")
    level = [0] * (d + k - 1)
    kids: list[tuple[int, int]] = []
    current = list(subset)
    lev = 1
    while len(current) > 1:
        nxt = []
        for a, b in zip(current[0::2], current[1::2], strict=True):
            kids.append((a, b))
            level[d + len(kids) - 1] = lev
            nxt.append(d + len(kids) - 1)
        current, lev = nxt, lev + 1
    if children is not None:
        if len(children) != k - 1 or any(not (0 <= a < d + i and 0 <= b < d + i and a != b)
                                         for i, (a, b) in enumerate(children)):
            raise ValueError("children must give two distinct earlier positions for each of the k - 1 nodes")
        kids = [tuple(c) for c in children]  # type: ignore[misc]
    return Tree(d, k, subset, tuple(kids), tuple(level))


def random_tree(d: int, k: int, seed: int) -> Tree:
    """The tree over a uniformly drawn k-subset of [d] (seeded)."""
    if not 2 <= k <= d:
        raise ValueError(f"need 2 <= k <= d, got k = {k}, d = {d}")
    rng = np.random.default_rng(seed)
    return tree(d, tuple(int(i) for i in rng.choice(d, size=k, replace=False)))


def shuffled(t: Tree, seed: int) -> Tree:
    """A control tree: each node's children replaced by two other earlier positions of the same levels' range
    (uniformly drawn, never the true pair)."""
    rng = np.random.default_rng(seed)
    kids = []
    for i, (a, b) in enumerate(t.children):
        pos = t.d + i
        while True:
            c = tuple(sorted(int(v) for v in rng.choice(pos, size=2, replace=False)))
            if set(c) != {a, b}:
                break
        kids.append(c)
    return Tree(t.d, t.k, t.subset, tuple(kids), t.level)  # type: ignore[arg-type]


def sample(t: Tree, n: int, seed: int, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """``(n, N)`` sequences: x uniform on {±1}^d (seeded) followed by the true states of the k - 1 nodes."""
    if n < 1:
        raise ValueError(f"need n >= 1 samples, got {n}")
    gen = torch.Generator().manual_seed(int(seed))
    x = torch.randint(0, 2, (n, t.d), generator=gen, dtype=torch.int8).to(dtype) * 2 - 1
    return states(t, x)


def states(t: Tree, x: torch.Tensor) -> torch.Tensor:
    """Append the tree's states to inputs ``x`` of shape ``(n, d)`` in {±1}: returns ``(n, N)``."""
    cols = [x[:, j] for j in range(t.d)]
    for a, b in t.children:
        cols.append(cols[a] * cols[b])
    return torch.stack(cols, dim=1)


# ------------------------------------------------------------------------------------------------ model
def allowed(t: Tree, mask: str) -> torch.Tensor:
    """``(k-1, N)`` bool: which positions node i (position d + i) may attend to."""
    if mask not in MASKS:
        raise ValueError(f"mask must be one of {MASKS}, got {mask!r}")
    out = torch.zeros((t.k - 1, t.N), dtype=torch.bool)
    for i in range(t.k - 1):
        pos = t.d + i
        if mask == "causal":
            out[i, :pos] = True
        else:
            out[i] = torch.tensor([t.level[j] < t.level[pos] for j in range(t.N)])
    return out


def attention(W: torch.Tensor, t: Tree, mask: str) -> torch.Tensor:
    """``(k-1, N)`` attention weights of the nodes: softmax of W's node rows over the allowed positions."""
    scores = W[t.d:].masked_fill(~allowed(t, mask), float("-inf"))
    return torch.softmax(scores, dim=1)


def init(t: Tree, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """W = 0 (K&S Theorems 5 and 7 start there): uniform attention over the allowed positions."""
    return torch.zeros((t.N, t.N), dtype=dtype)


def _mode_mask(mode: str) -> str:
    return "block" if mode == "selfcons" else "causal"


def forward_reference(W: torch.Tensor, Z: torch.Tensor, t: Tree, mode: str, link: Link = phi,
                      tau: float = FILTER_TAU) -> torch.Tensor:
    """Node outputs xhat ``(n, k-1)`` of ``mode`` on sequences ``Z`` ``(n, N)`` (only the inputs are read,
    except under teacher forcing, where every node reads the true earlier states), differentiable in W by
    autograd: the slow reference of ``forward`` / ``loss_and_grad``."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    A = attention(W, t, _mode_mask(mode))
    d, k = t.d, t.k
    if mode == "teacher":
        return link(Z @ A.T)
    base = Z[:, :d] @ A[:, :d].T  # (n, k-1): every node's score from the inputs
    if mode in ("direct", "cot"):
        outs: list[torch.Tensor] = []
        for i in range(k - 1):
            s = base[:, i]
            for j, o in enumerate(outs):  # k^2/2 fused multiply-adds of length n: cheaper than re-stacking
                s = torch.addcmul(s, o, A[i, d + j])
            outs.append(link(s))
        return torch.stack(outs, dim=1)
    # selfcons: block-causal, level by level; rounded, filtered tokens fed on without gradient
    out = base.new_zeros(base.shape)
    fed = base.new_zeros(base.shape)  # the rounded, filtered tokens of the nodes generated so far
    open_ = True  # every lower level passed the filter
    for lev in range(1, t.levels + 1):
        idx = t.nodes_of(lev)
        if not open_:
            break  # outputs of this and higher levels stay zeroed
        s = base[:, idx] + fed @ A[idx, d:].T
        xh = link(s)
        out = out.index_copy(1, torch.tensor(idx), xh)
        r = torch.sign(xh.detach())
        variance = 1.0 - r.mean(dim=0) ** 2
        open_ = bool((variance >= tau).all())
        fed = fed.index_copy(1, torch.tensor(idx), r)
    return out


def loss(xhat: torch.Tensor, Z: torch.Tensor, t: Tree, mode: str) -> torch.Tensor:
    """Half the squared loss over the intermediate states scaled by 1/(k-1); ``direct``: the final state only."""
    target = Z[:, t.d:]
    if mode == "direct":
        return 0.5 * ((xhat[:, -1] - target[:, -1]) ** 2).mean()
    return ((xhat - target) ** 2).mean(dim=0).sum() / (2 * (t.k - 1))


def loss_and_grad_reference(W: torch.Tensor, Z: torch.Tensor, t: Tree, mode: str, link: Link = phi,
                            chunk: int | None = None) -> tuple[float, torch.Tensor]:
    """Full-batch loss and its gradient in W by autograd through ``forward_reference`` (the slow reference of
    ``loss_and_grad``), accumulated over chunks of the batch (``None``: one chunk).

    The ``selfcons`` filter is decided per chunk.
    """
    n = Z.shape[0]
    chunk = n if chunk is None else chunk
    grad = torch.zeros_like(W)
    total = 0.0
    for lo in range(0, n, chunk):
        Wr = W.detach().clone().requires_grad_(True)
        Zc = Z[lo:lo + chunk]
        value = loss(forward_reference(Wr, Zc, t, mode, link), Zc, t, mode) * (Zc.shape[0] / n)
        (g,) = torch.autograd.grad(value, Wr, allow_unused=True)
        if g is not None:
            grad += g
        total += float(value.detach())
    return total, grad


# ------------------------------------------------------------------------------------------------ fast path
def _level_ranges(t: Tree) -> list[tuple[int, int]]:
    """Per level 1..log2 k, the node range [lo, hi) (nodes are ordered level by level)."""
    out = []
    for lev in range(1, t.levels + 1):
        idx = t.nodes_of(lev)
        out.append((idx[0], idx[-1] + 1))
    return out


def _fast(W: torch.Tensor, ZT: torch.Tensor, t: Tree, mode: str, link: Link, tau: float,
          need_grad: bool) -> tuple[torch.Tensor, float, torch.Tensor | None]:
    """The analytic forward (and backward) of the model on transposed sequences ``ZT`` ``(N, n)``.

    Node scores s = V A^T with V the tokens each node reads: the true states (teacher), the inputs and the
    rounded, filtered generated states (selfcons, no gradient through them), or the inputs and the generated
    outputs o_j = link(s_j) (direct / cot, with gradient through them). Generated states are a ``(k-1, n)``
    buffer, so each node's chain term is one matvec. Backward: g_s = g_o link'(s), where for direct / cot
    g_o_i = dL/do_i + sum_{l > i} A[l, d+i] g_s_l (reverse recursion); grad_A = G_s V; then the softmax's
    backward dW = A * (dA - rowsum(A * dA)) on the node rows (zero where masked: A is 0 there).

    Returns the outputs ``(k-1, n)``, the loss and the gradient ``(N, N)`` (NaN and ``None`` unless ``need_grad``).
    """
    into = LINK_GRADS[link]
    d, m = t.d, t.k - 1
    n = ZT.shape[1]
    A = attention(W, t, _mode_mask(mode)).to(ZT.dtype)

    def row(D: torch.Tensor, i: int) -> torch.Tensor | None:
        return D[i] if need_grad else None

    X = ZT[d:]  # (m, n): the true states
    if mode == "teacher":
        S = A @ ZT
        O, D = torch.empty_like(S), torch.empty_like(S if need_grad else S[:0])
        for i in range(m):  # row by row: each row's passes stay in cache
            into(S[i], O[i], row(D, i))
        R = X
    elif mode in ("direct", "cot"):
        S = A[:, :d] @ ZT[:d]  # (m, n): every node's score from the inputs
        O = torch.empty_like(S)
        D = torch.empty_like(S if need_grad else S[:0])
        for i in range(m):
            if i:
                S[i].addmv_(O[:i].T, A[i, d:d + i])
            into(S[i], O[i], row(D, i))
        R = O
    else:  # selfcons: block-causal, level by level; rounded, filtered tokens fed on without gradient
        S = A[:, :d] @ ZT[:d]
        O = torch.zeros_like(S)
        D = torch.zeros_like(S if need_grad else S[:0])
        R = torch.zeros_like(S)  # the rounded tokens of the nodes generated so far
        for lo, hi in _level_ranges(t):
            if lo:
                S[lo:hi].addmm_(A[lo:hi, d:d + lo], R[:lo])
            for i in range(lo, hi):
                into(S[i], O[i], row(D, i))
            R[lo:hi] = torch.sign(O[lo:hi])
            if not bool((1.0 - R[lo:hi].mean(dim=1) ** 2 >= tau).all()):
                break  # outputs of the higher levels stay zero (D = 0: no gradient)
    if not need_grad:
        return O, math.nan, None
    err = O - X
    if mode == "direct":
        value = 0.5 * float((err[-1] * err[-1]).sum()) / n
    else:  # (a multiply and a sum: Tensor.square goes through a slower pow kernel)
        value = float((err * err).sum(dim=1).sum()) / (2 * m * n)
    if mode == "direct":
        gO = torch.zeros_like(O)
        gO[-1] = err[-1] / n
    else:
        gO = err.div_(n * m)
    if mode in ("direct", "cot"):
        G = D  # overwritten row by row, from the last node down, by g_s
        for i in range(m - 1, -1, -1):
            if i < m - 1:
                gO[i].addmv_(G[i + 1:].T, A[i + 1:, d + i])
            G[i].mul_(gO[i])
    else:
        G = D.mul_(gO)
    gA = torch.cat([G @ ZT[:d].T, G @ R.T], dim=1)  # (m, N)
    grad = torch.zeros_like(W)
    grad[d:] = (A * (gA - (A * gA).sum(dim=1, keepdim=True))).to(W.dtype)
    return O, value, grad


def forward(W: torch.Tensor, Z: torch.Tensor, t: Tree, mode: str, link: Link = phi,
            tau: float = FILTER_TAU) -> torch.Tensor:
    """Node outputs xhat ``(n, k-1)`` of ``mode`` on sequences ``Z`` ``(n, N)`` by the analytic forward (no
    gradient; links without a derivative in ``LINK_GRADS`` go through ``forward_reference``)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if link not in LINK_GRADS:
        with torch.no_grad():
            return forward_reference(W, Z, t, mode, link, tau)
    with torch.no_grad():
        return _fast(W.detach(), Z.T.contiguous(), t, mode, link, tau, need_grad=False)[0].T


def loss_and_grad(W: torch.Tensor, Z: torch.Tensor, t: Tree, mode: str, link: Link = phi,
                  chunk: int | None = None, tau: float = FILTER_TAU) -> tuple[float, torch.Tensor]:
    """Full-batch loss and its gradient in W by the analytic forward/backward (``_fast``), accumulated over chunks
    of the batch (``None``: the whole batch at once, the default; the ``selfcons`` filter is decided per chunk).
    Equals ``loss_and_grad_reference`` up to float rounding (tested); links without a derivative in
    ``LINK_GRADS`` go through it."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if link not in LINK_GRADS:
        return loss_and_grad_reference(W, Z, t, mode, link, chunk)
    return _loss_and_grad_T(W, Z.T.contiguous(), t, mode, link, chunk, tau)


def _loss_and_grad_T(W: torch.Tensor, ZT: torch.Tensor, t: Tree, mode: str, link: Link, chunk: int | None,
                     tau: float = FILTER_TAU) -> tuple[float, torch.Tensor]:
    """``loss_and_grad`` on transposed sequences ``ZT`` ``(N, n)`` (training keeps them so)."""
    n = ZT.shape[1]
    chunk = n if chunk is None else chunk
    if chunk >= n:
        with torch.no_grad():
            _, value, grad = _fast(W.detach(), ZT, t, mode, link, tau, need_grad=True)
        return value, grad  # type: ignore[return-value]
    grad = torch.zeros_like(W)
    total = 0.0
    with torch.no_grad():
        for lo in range(0, n, chunk):
            _, value, g = _fast(W.detach(), ZT[:, lo:lo + chunk].contiguous(), t, mode, link, tau, need_grad=True)
            share = min(chunk, n - lo) / n
            grad += g * share  # type: ignore[operator]
            total += value * share
    return total, grad


def grad_at_zero_teacher(Z: torch.Tensor, t: Tree) -> torch.Tensor:
    """Closed form of the teacher-forced gradient at W = 0 (the slow reference for ``loss_and_grad``).

    At W = 0 node i attends uniformly to its p = d + i earlier positions: s_i = mean_{j<p} z_j, xhat_i = phi(s_i),
    and d softmax_j / dW_ij' = a_j (1[j = j'] - a_j'), so

        dL/dW[p, j] = (1/(k-1)) E[(xhat_i - x_p) phi'(s_i) (z_j - s_i)] / p   for j < p, 0 otherwise.
    """
    n = Z.shape[0]
    d, k = t.d, t.k
    G = torch.zeros((t.N, t.N), dtype=Z.dtype)
    for i in range(k - 1):
        p = d + i
        s = Z[:, :p].mean(dim=1)
        dphi = torch.where(s < -0.5, -8 * s - 8, torch.where(s < 0.5, 8 * s, -8 * s + 8))
        r = (phi(s) - Z[:, p]) * dphi
        G[p, :p] = (1.0 / (k - 1)) * (r[:, None] * (Z[:, :p] - s[:, None])).sum(dim=0) / (n * p)
    return G


# ------------------------------------------------------------------------------------------------ training
@dataclass(frozen=True)
class Run:
    """One full-batch GD run.

    Attributes:
        mode, d, k, eta, epochs, n: the run.
        steps: the evaluated epochs (0 = at init).
        train_loss: the mode's own training loss at each evaluated epoch.
        level_loss: ``(len(steps), levels)`` held-out free-running squared error per level (mean over its nodes).
        level_acc: ``(len(steps), levels)`` held-out free-running min-over-nodes sign accuracy per level.
        final_acc: held-out free-running accuracy of the final answer sign(xhat_root) == y at each step.
        W: the final weights.
    """

    mode: str
    d: int
    k: int
    eta: float
    epochs: int
    n: int
    steps: tuple[int, ...]
    train_loss: tuple[float, ...]
    level_loss: np.ndarray
    level_acc: np.ndarray
    final_acc: tuple[float, ...]
    W: torch.Tensor

    def learned_at(self, level: int, acc: float = LEARNED_ACC) -> int | None:
        """First evaluated epoch from which level ``level`` (1-based) stays learned (min-node accuracy >= acc)."""
        ok = self.level_acc[:, level - 1] >= acc
        for j in range(len(self.steps)):
            if ok[j:].all():
                return self.steps[j]
        return None


def evaluate(W: torch.Tensor, Z: torch.Tensor, t: Tree, mode: str,
             link: Link = phi) -> tuple[np.ndarray, np.ndarray, float]:
    """Free-running (the mode's inference path) per-level squared error, per-level min-node sign accuracy,
    and the final answer's sign accuracy, on held-out ``Z``."""
    gen_mode = "selfcons" if mode == "selfcons" else "cot"
    with torch.no_grad():
        xh = forward(W, Z, t, gen_mode, link)
    target = Z[:, t.d:]
    err = ((xh - target) ** 2).mean(dim=0)
    acc = (torch.sign(xh) == target).to(torch.float64).mean(dim=0)
    lev = np.array(t.level[t.d:])
    level_loss = np.array([float(err[lev == v].mean()) for v in range(1, t.levels + 1)])
    level_acc = np.array([float(acc[lev == v].min()) for v in range(1, t.levels + 1)])
    return level_loss, level_acc, float(acc[-1])


def train(t: Tree, mode: str, *, eta: float, epochs: int, n: int, seed: int, n_eval: int = 4096,
          every: int = 1, link: Link = phi, dtype: torch.dtype = torch.float64, chunk: int | None = None,
          progress: bool = False) -> Run:
    """Full-batch GD from W = 0 on ``n`` seeded samples; held-out evaluation on ``n_eval`` fresh samples.

    The gradient is ``loss_and_grad``'s (analytic; ``chunk = None``: the whole batch at once, so the ``selfcons``
    filter is decided on the full batch)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if not (eta > 0 and math.isfinite(eta)) or epochs < 0 or every < 1:
        raise ValueError("eta must be finite and > 0, epochs >= 0, every >= 1")
    Z = sample(t, n, seed, dtype)
    ZT = Z.T.contiguous()  # the fast path's layout, made once
    Zev = sample(t, n_eval, seed + 1_000_003, dtype)
    W = init(t, dtype)
    steps, losses, lls, las, fas = [], [], [], [], []

    def record(step: int, value: float) -> None:
        ll, la, fa = evaluate(W, Zev, t, mode, link)
        steps.append(step)
        losses.append(value)
        lls.append(ll)
        las.append(la)
        fas.append(fa)

    from tqdm.auto import tqdm

    for step in tqdm(range(epochs + 1), disable=None if progress else True, desc=f"{mode} k={t.k}", unit="epoch"):
        if link in LINK_GRADS:
            value, grad = _loss_and_grad_T(W, ZT, t, mode, link, chunk)
        else:
            value, grad = loss_and_grad_reference(W, Z, t, mode, link, chunk)
        if step % every == 0 or step == epochs:
            record(step, value)
        if step == epochs:
            break
        W = W - eta * grad
    return Run(mode, t.d, t.k, eta, epochs, n, tuple(steps), tuple(losses), np.array(lls), np.array(las),
               tuple(fas), W)


def one_step(t: Tree, *, eta: float, n: int, seed: int, n_eval: int, link: Link = phi,
             dtype: torch.dtype = torch.float64) -> tuple[torch.Tensor, float]:
    """K&S Theorem 5: one teacher-forced gradient step from W = 0; returns W_1 and max |xhat - x| over the
    held-out samples and every node of the free-running chain."""
    Z = sample(t, n, seed, dtype)
    _, grad = loss_and_grad(init(t, dtype), Z, t, "teacher", link)
    W1 = -eta * grad
    Zev = sample(t, n_eval, seed + 1_000_003, dtype)
    with torch.no_grad():
        xh = forward(W1, Zev, t, "cot", link)
    return W1, float((xh - Zev[:, t.d:]).abs().max())


def parameters(d: int, k: int) -> int:
    """Entries of W: (d + k - 1)^2."""
    return (d + k - 1) ** 2


# ------------------------------------------------------------------------------------------------ footnote 3
KSF_ORACLES = ("lemma12", "exact", "round", "uniform")


def parity_class(d: int) -> torch.Tensor:
    """Every d/2-subset of [d] as a 0/1 row (Wies et al.'s class H of Section 5 / App. F), ``(C(d, d/2), d)``."""
    import itertools

    if d < 2 or d % 2:
        raise ValueError(f"the parity class needs an even d >= 2, got {d}")
    return torch.tensor([[1.0 if i in c else 0.0 for i in range(d)] for c in itertools.combinations(range(d), d // 2)],
                        dtype=torch.float64)


def class_gradients(W: torch.Tensor, fz: object, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """grad_W F_h(W) for every row of ``labels`` ``(H, 2^d)`` at once: F_h = E_x softplus(-y_h(x) f_d(x)) on the
    end-to-end RNN (z = x, T = d; eq. 1-4 of Wies et al.). d softplus(-y f)/df = (tanh(f/2) - y)/2 for y = ±1,
    which is affine in y, so the gradient for label row y is grad_W E_x[c_y(x) f(x)] with c_y detached;
    one Jacobian serves the whole class. Returns ``(H, m, m)``."""
    from numerics import rnn

    d = x.shape[1]
    Wr = W.detach().clone().requires_grad_(True)
    f = rnn.outputs(Wr, fz, x)[:, d - 1]  # type: ignore[arg-type]
    n = x.shape[0]
    jac = torch.stack([torch.autograd.grad(f[i], Wr, retain_graph=i + 1 < n)[0] for i in range(n)])  # (n, m, m)
    c = (torch.tanh(f.detach() / 2)[None, :] - labels) / (2 * n)  # (H, n)
    return torch.einsum("hn,nab->hab", c, jac)


def _grad_for(W: torch.Tensor, fz: object, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """grad_W E_x[c_y(x) f(x)] for one label vector y (±1 or a class mean), by one backward pass."""
    from numerics import rnn

    d = x.shape[1]
    Wr = W.detach().clone().requires_grad_(True)
    f = rnn.outputs(Wr, fz, x)[:, d - 1]  # type: ignore[arg-type]
    c = ((torch.tanh(f / 2) - y) / (2 * x.shape[0])).detach()
    (g,) = torch.autograd.grad((c * f).sum(), Wr)
    return g


def lemma12_oracle(grad: torch.Tensor, mean: torch.Tensor, sigma: float) -> torch.Tensor:
    """The adversarial sigma-approximate oracle of Wies et al.'s Lemma 12 (Shamir 2018, Thm. 4): the point of the
    max-norm ball B_inf(grad, sigma) closest to the class-mean gradient E_h~[grad F_h~]. Entries where the mean is
    inside the ball are the mean itself (bit for bit), so when the whole mean is inside, the update carries no
    information about the target h."""
    from numerics.oracles import _into_ball  # an ulp outside the ball after rounding: moved back (TwoSum check)

    diff = mean - grad
    return _into_ball(torch.where(diff.abs() <= sigma, mean, grad + diff.clamp(-sigma, sigma)), grad, sigma)


@dataclass(frozen=True)
class OracleRun:
    """One end-to-end RNN run (Algorithm 3: exact expectation over all 2^d inputs) under one oracle.

    Attributes:
        oracle, target (row of the class), sigma, steps, eta.
        W: final weights; error: final 0-1 error on the run's own target; class_error: the final predictor's
        0-1 error averaged over every target of the class; erased: fraction of (step, entry) pairs where the
        oracle returned the class mean exactly (``lemma12`` only, else 0).
    """

    oracle: str
    target: int
    sigma: float
    steps: int
    eta: float
    W: torch.Tensor
    error: float
    class_error: float
    erased: float


def rnn_oracle_run(d: int, m: int, eta: float, steps: int, target: int, oracle: str, sigma: float,
                   seed: int = 0) -> OracleRun:
    """End-to-end parity on the paper's RNN from Algorithm 1's init (seed), full GD over all 2^d inputs with a
    sigma-approximate gradient oracle: ``lemma12`` (adversarial, above) or numerics.oracles' exact/round/uniform."""
    from numerics import oracles, rnn
    from numerics.circuits import all_inputs

    if oracle not in KSF_ORACLES:
        raise ValueError(f"oracle must be one of {KSF_ORACLES}, got {oracle!r}")
    H = parity_class(d)
    if not 0 <= target < H.shape[0]:
        raise ValueError(f"target must index the class (0..{H.shape[0] - 1}), got {target}")
    x = torch.as_tensor(all_inputs(d), dtype=torch.long)
    Y = 1.0 - 2.0 * ((x.double() @ H.T) % 2).T  # (H, 2^d) labels y_h(x) = (-1)^<x,h>
    y, ybar = Y[target], Y.mean(dim=0)
    W, fz = rnn.init(m, seed)
    gen = torch.Generator().manual_seed(seed + 7919)
    erased = 0.0
    for _ in range(steps):
        g = _grad_for(W, fz, x, y)
        if oracle == "lemma12":
            mean = _grad_for(W, fz, x, ybar)
            G = lemma12_oracle(g, mean, sigma)
            erased += float((G == mean).double().mean()) / steps
        else:
            G = oracles.apply(oracle, g, sigma, gen)
        W = W - eta * G
    with torch.no_grad():
        f = rnn.outputs(W, fz, x)[:, d - 1]
    wrong = (torch.where(f > 0, 1.0, -1.0)[None, :] != Y).double().mean(dim=1)
    return OracleRun(oracle, target, sigma, steps, eta, W, float(wrong[target]), float(wrong.mean()), erased)


def lemma12_epsilon(d: int, m: int, seed: int = 0) -> tuple[float, float]:
    """At Algorithm 1's init: Lemma 12's eps = Var(H, F, W0)^(1/3) (eq. 80, Frobenius norm, h uniform on the
    class) and the largest entry max_h ‖grad F_h - E_h~ grad F_h~‖_inf."""
    from numerics import rnn
    from numerics.circuits import all_inputs

    H = parity_class(d)
    x = torch.as_tensor(all_inputs(d), dtype=torch.long)
    Y = 1.0 - 2.0 * ((x.double() @ H.T) % 2).T
    W, fz = rnn.init(m, seed)
    G = class_gradients(W, fz, x, Y)
    dev = G - G.mean(dim=0, keepdim=True)
    var = float((dev ** 2).sum(dim=(1, 2)).mean())
    return var ** (1.0 / 3.0), float(dev.abs().max())
