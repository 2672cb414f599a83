"""The fast paths of numerics.rnn against autograd (float64): the corrected eq. 76 per position and the
hand-written BPTT of eq. 4's gradient."""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from numerics import rnn
from numerics.circuits import parity_tree, random_subset
from numerics.sequences import build

RTOL64 = 1e-12


def rel(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(torch.linalg.matrix_norm(a - b) / max(float(torch.linalg.matrix_norm(b)), 1e-300))


def _seqs(d: int, supervision: str, n: int, seed: int):
    circuit = parity_tree(d, random_subset(d, seed))
    x = np.random.default_rng(seed).integers(0, 2, size=(n, d))
    return build(circuit, x, supervision)


@given(seed=st.integers(0, 10_000), scale=st.sampled_from([0.3, 1.0, 1.7, 3.0]), m=st.integers(2, 20))
def test_closed_form_gradient_matches_autograd(seed, scale, m):
    s = _seqs(8, "subtasks", 1, seed)
    W0, fz = rnn.init(m, seed)
    W = (W0 * scale).requires_grad_(True)
    f = rnn.outputs(W, fz, torch.as_tensor(s.z))[0]
    for t in range(1, s.T + 1):
        (auto,) = torch.autograd.grad(f[t - 1], W, retain_graph=True)
        closed = rnn.grad_closed_form(W.detach(), fz, s.z[0], t)
        assert torch.allclose(closed, auto, rtol=RTOL64, atol=1e-14), f"t={t}: rel err {rel(closed, auto):.2e}"


@pytest.mark.parametrize("supervision", ["subtasks", "end_to_end"])
@pytest.mark.parametrize("chunk", [1, 7, 4096])
def test_loss_and_grad_matches_autograd(supervision, chunk):
    s = _seqs(8, supervision, 37, seed=3)
    W0, fz = rnn.init(16, 5)
    W = (W0 * 1.3).requires_grad_(True)
    y = torch.as_tensor(s.y)
    reference = rnn.loss(rnn.outputs(W, fz, torch.as_tensor(s.z)), y, s.d)
    (auto,) = torch.autograd.grad(reference, W)
    value, grad = rnn.loss_and_grad(W.detach(), fz, s.z, y, s.d, chunk=chunk)
    assert float(value) == pytest.approx(reference.item(), rel=1e-13)
    assert rel(grad, auto) <= RTOL64


def test_loss_gradient_is_sum_of_closed_forms():
    """Metamorphic: eq. 4's gradient = Σ_t c_t ∇f_t with the corrected eq. 76 per position."""
    s = _seqs(8, "subtasks", 1, seed=1)
    W, fz = rnn.init(12, 2)
    f = rnn.outputs(W, fz, torch.as_tensor(s.z))[0]
    y = torch.as_tensor(s.y[0])
    c = -y * torch.sigmoid(-y * f[s.d - 1 :]) / y.shape[0]
    total = sum(float(c[k]) * rnn.grad_closed_form(W, fz, s.z[0], s.d + k) for k in range(y.shape[0]))
    _, grad = rnn.loss_and_grad(W, fz, s.z, s.y, s.d)
    assert rel(grad, total) <= RTOL64


def test_float32_agrees_with_float64():
    s = _seqs(8, "subtasks", 64, seed=0)
    W64, fz64 = rnn.init(32, 0, "float64")
    W32, fz32 = rnn.init(32, 0, "float32")
    _, g64 = rnn.loss_and_grad(W64, fz64, s.z, s.y, s.d)
    _, g32 = rnn.loss_and_grad(W32, fz32, s.z, s.y, s.d)
    assert rel(g32.double(), g64) < 1e-4


def test_closed_form_rejects_bad_position():
    W, fz = rnn.init(4, 0)
    with pytest.raises(ValueError, match="outside"):
        rnn.grad_closed_form(W, fz, torch.zeros(5, dtype=torch.long), 6)


def test_flops_count():
    assert rnn.flops(n=3, T=4, m=5) == 2 * 3 * 25 * 11
