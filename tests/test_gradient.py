"""GRAD exact half: eq. 76 as printed vs the corrected closed form, both against autograd."""

import torch

from numerics import rnn
from verify import gradient


def test_corrected_variant_is_the_closed_form_and_printed_is_not():
    W, fz = rnn.init(10, 3)
    z = torch.tensor([0, 1, 1, 0, 1, 0, 0, 1])
    W = W.requires_grad_(True)
    f = rnn.outputs(W, fz, z[None])[0]
    (auto,) = torch.autograd.grad(f[5], W)
    v = gradient.variants(W.detach(), fz, z, 6)
    assert torch.allclose(v["corrected"], auto, rtol=1e-12, atol=1e-14)
    assert not torch.allclose(v["printed"], auto, rtol=1e-2)


def test_chain_order():
    """Π_{j=lo}^{hi} (W^T D_j) in increasing order equals the explicit product (and differs from decreasing)."""
    g = torch.Generator().manual_seed(0)
    W = torch.randn(4, 4, generator=g, dtype=torch.float64)
    D = (torch.randn(3, 4, generator=g) > 0).double()
    up = gradient._chain(W, D, 2, 3, ascending=True)
    down = gradient._chain(W, D, 2, 3, ascending=False)
    assert torch.allclose(up, W.T @ torch.diag(D[1]) @ W.T @ torch.diag(D[2]))
    assert torch.allclose(down, W.T @ torch.diag(D[2]) @ W.T @ torch.diag(D[1]))


def test_check_reports_the_erratum():
    (row,) = gradient.check(m=12, seeds=2)
    assert row.id == "GRAD" and row.verdict == "erratum"
    assert row.measured <= 1e-10 < 1e-2 < row.claimed
