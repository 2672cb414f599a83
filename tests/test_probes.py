"""numerics.probes against autograd, and verify.finite_width (LIN, OUT, GRAD rates)."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from numerics import probes, rnn
from verify import finite_width as fw


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


def test_finite_width_check_rows():
    rows = fw.check(widths=(16, 64, 256), seeds=(0, 1, 2), T=8)
    assert [r.id for r in rows] == ["LIN", "OUT", "GRAD"]
    assert all(r.verdict in {"consistent", "inconsistent"} and r.relation == "rate" for r in rows)


def test_finite_width_cli_rejects_narrow_span(capsys):
    from verify import cli
    assert cli.guarded(fw.main, ["--widths", "64", "128", "256"]) == 2
    assert "16x" in capsys.readouterr().err
