"""numerics.probes against autograd and against the training code's back-propagation."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from numerics import probes, rnn


def autograd_grads(W, fz, z, t):
    out = []
    for i in range(len(z)):
        Wg = W.clone().requires_grad_(True)
        (g,) = torch.autograd.grad(rnn.outputs(Wg, fz, z[i : i + 1])[0, t - 1], Wg)
        out.append(g)
    return torch.stack(out)


@given(m=st.integers(2, 24), T=st.integers(1, 7), seed=st.integers(0, 2**16))
def test_directional_derivative_is_gradient_inner_product(m, T, seed):
    W, fz = rnn.init(m, seed)
    z = torch.randint(0, 2, (3, T), generator=torch.Generator().manual_seed(seed))
    V = probes.random_direction(m, seed + 1)
    dd = probes.directional_derivatives(W, V, fz, z)
    for t in range(1, T + 1):
        expect = (autograd_grads(W, fz, z, t) * V).sum((1, 2))
        torch.testing.assert_close(dd[:, t - 1], expect, rtol=1e-10, atol=1e-14)


@given(m=st.integers(2, 24), T=st.integers(1, 7), seed=st.integers(0, 2**16))
def test_grad_norms_match_autograd(m, T, seed):
    W, fz = rnn.init(m, seed)
    z = torch.randint(0, 2, (3, T), generator=torch.Generator().manual_seed(seed))
    pos = sorted({1, T})
    got = probes.grad_norms(W, fz, z, pos)
    for k, t in enumerate(pos):
        expect = torch.linalg.matrix_norm(autograd_grads(W, fz, z, t))
        torch.testing.assert_close(got[:, k], expect, rtol=1e-10, atol=1e-14)


def test_linearisation_error_is_zero_at_zero_step_and_second_order_for_small_steps():
    W, fz = rnn.init(64, 0)
    z = torch.randint(0, 2, (4, 6), generator=torch.Generator().manual_seed(0))
    assert float(probes.linearisation_error(W, W, fz, z).max()) == 0.0
    U = probes.random_direction(64, 1)
    e1 = float(probes.linearisation_error(W, W + 1e-4 * U, fz, z).max())
    e2 = float(probes.linearisation_error(W, W + 2e-4 * U, fz, z).max())
    assert e1 > 0 and 3.0 < e2 / e1 < 5.0  # no ReLU flips at this radius: exactly quadratic


def test_gradient_direction_is_unit_and_ascends():
    W, fz = rnn.init(16, 0)
    z = torch.randint(0, 2, (3, 5), generator=torch.Generator().manual_seed(0))
    U = probes.gradient_direction(W, fz, z)
    assert float(torch.linalg.matrix_norm(U)) == pytest.approx(1.0)
    assert float(probes.directional_derivatives(W, U, fz, z).sum()) > 0


@given(m=st.integers(2, 24), d=st.integers(1, 4), extra=st.integers(0, 4), n=st.integers(1, 4),
       seed=st.integers(0, 2**16))
def test_position_gradients_rebuild_the_loss_gradient(m, d, extra, n, seed):
    """Eq. 27 term by term equals the training code's fused back-propagation; norms equal grad_norms."""
    T = d + extra
    W, fz = rnn.init(m, seed)
    gen = torch.Generator().manual_seed(seed)
    z = torch.randint(0, 2, (n, T), generator=gen)
    y = torch.randint(0, 2, (n, T - d + 1), generator=gen).double() * 2 - 1
    _, grad = rnn.loss_and_grad(W, fz, z, y, d)
    pg = probes.position_gradients(W, fz, z, y, d)
    torch.testing.assert_close(pg.loss_grad, grad, rtol=1e-10, atol=1e-14)
    torch.testing.assert_close(pg.norms, probes.grad_norms(W, fz, z, range(d, T + 1)), rtol=1e-12, atol=0.0)
    assert float(pg.weights.abs().max()) <= 1.0 / (n * (T - d + 1))  # |dl/df| <= 1 (eq. 28's x/(1+x) <= 1)


def test_position_gradients_rejects_mismatched_targets():
    W, fz = rnn.init(4, 0)
    with pytest.raises(ValueError, match="T - d \\+ 1"):
        probes.position_gradients(W, fz, torch.zeros((2, 5), dtype=torch.long), torch.ones((2, 3)), 2)
