"""numerics.cpu_kernels against float64 autograd references: values and gradients, at random shapes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.nn import functional as F

from numerics import cpu_kernels
from numerics.transformer import Config, kernels_for, train

pytestmark = pytest.mark.skipif(not cpu_kernels.available(), reason="no C compiler: the decoder uses torch's kernels")


def reference_attention(qkv: torch.Tensor, start: int) -> torch.Tensor:
    """Causal softmax attention written out in float64: (N, L, 3, H, D) -> (N, L - start, H, D)."""
    q, k, v = qkv.double().unbind(2)  # (N, L, H, D)
    length, dim = qkv.shape[1], qkv.shape[-1]
    s = torch.einsum("nihd,njhd->nhij", q[:, start:], k) * dim**-0.5
    allowed = torch.ones(length, length, dtype=torch.bool).tril()[start:]
    p = torch.softmax(s.masked_fill(~allowed, float("-inf")), dim=-1)
    return torch.einsum("nhij,njhd->nihd", p, v)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 5), st.integers(1, 20), st.sampled_from([(32, 4), (8, 8), (3, 5), (1, 1)]),
       st.data(), st.floats(0.1, 8.0), st.integers(0, 2**31 - 1))
def test_attention_and_its_gradient_match_float64(n, length, heads_dim, data, spread, seed):
    heads, dim = heads_dim
    start = data.draw(st.integers(0, length - 1))
    g = torch.Generator().manual_seed(seed)
    qkv = (torch.randn(n, length, 3, heads, dim, generator=g) * spread).requires_grad_(True)
    grad_out = torch.randn(n, length - start, heads, dim, generator=g)
    got = cpu_kernels.causal_attention(qkv, start)
    (got_grad,) = torch.autograd.grad(got, qkv, grad_out)
    x = qkv.detach().double().requires_grad_(True)
    want = reference_attention(x, start)
    (want_grad,) = torch.autograd.grad(want, x, grad_out.double())
    got, want = got.detach(), want.detach()
    # float32 rounds a score s to s (1 + 6e-8), an error of 6e-8 |s| in its exponent: tolerances grow with the
    # largest score, as any float32 attention's error does
    q, k, _ = x.detach().unbind(2)
    s_max = float(torch.einsum("nihd,njhd->nhij", q, k).abs().max()) * dim**-0.5
    tol = 2e-6 * (1.0 + s_max)
    torch.testing.assert_close(got.double(), want, rtol=tol, atol=tol * (1.0 + float(want.abs().max())))
    torch.testing.assert_close(got_grad.double(), want_grad, rtol=5 * tol,
                               atol=5 * tol * (1.0 + float(want_grad.abs().max())))


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 5000), st.floats(0.01, 200.0), st.integers(0, 2**31 - 1))
def test_gelu_and_its_gradient_match_float64(n, spread, seed):
    x = (torch.randn(n, generator=torch.Generator().manual_seed(seed)) * spread).requires_grad_(True)
    gy = torch.randn(n, generator=torch.Generator().manual_seed(seed + 1))
    got = cpu_kernels.gelu(x)
    (got_grad,) = torch.autograd.grad(got, x, gy)
    x64 = x.detach().double().requires_grad_(True)
    want = F.gelu(x64, approximate="tanh")
    (want_grad,) = torch.autograd.grad(want, x64, gy.double())
    got, want = got.detach(), want.detach()
    torch.testing.assert_close(got.double(), want, rtol=2e-6, atol=1e-6)
    torch.testing.assert_close(got_grad.double(), want_grad, rtol=2e-5, atol=1e-5)


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 4), st.integers(1, 16), st.sampled_from([(32, 4), (8, 8), (3, 5)]), st.data(),
       st.integers(0, 2**31 - 1))
def test_bfloat16_is_the_float32_kernel_on_widened_inputs(n, length, heads_dim, data, seed):
    """bfloat16 in and out: the float32 arithmetic on the exactly widened inputs, rounded to nearest even as
    torch's .to(torch.bfloat16) rounds (forward bit for bit; the backward also reads the rounded output, so
    its gradient is checked against float64 at bfloat16's resolution)."""
    heads, dim = heads_dim
    start = data.draw(st.integers(0, length - 1))
    g = torch.Generator().manual_seed(seed)
    qkv = torch.randn(n, length, 3, heads, dim, generator=g).bfloat16().requires_grad_(True)
    grad_out = torch.randn(n, length - start, heads, dim, generator=g).bfloat16()
    got = cpu_kernels.causal_attention(qkv, start)
    assert got.dtype == torch.bfloat16
    assert torch.equal(got, cpu_kernels.causal_attention(qkv.detach().float(), start).bfloat16())
    (got_grad,) = torch.autograd.grad(got, qkv, grad_out)
    x = qkv.detach().double().requires_grad_(True)
    (want_grad,) = torch.autograd.grad(reference_attention(x, start), x, grad_out.double())
    assert got_grad.dtype == torch.bfloat16
    torch.testing.assert_close(got_grad.double(), want_grad, rtol=0.02, atol=0.02 * (1 + float(want_grad.abs().max())))

    y = torch.randn(257, generator=g).mul(4).bfloat16().requires_grad_(True)
    gy = torch.randn(257, generator=g).bfloat16()
    out = cpu_kernels.gelu(y)
    y32 = y.detach().float().requires_grad_(True)
    out32 = cpu_kernels.gelu(y32)
    assert out.dtype == torch.bfloat16 and torch.equal(out, out32.bfloat16())
    assert torch.equal(torch.autograd.grad(out, y, gy)[0], torch.autograd.grad(out32, y32, gy.float())[0].bfloat16())


def test_the_reference_sees_a_broken_mask():
    """Control for the attention test: the same comparison fails on a kernel that lets a query see one key
    ahead (the test's reference is not too lenient to notice)."""
    qkv = torch.randn(2, 9, 3, 4, 2, generator=torch.Generator().manual_seed(3))
    leaky = torch.softmax(torch.einsum("nihd,njhd->nhij", *qkv.double().unbind(2)[:2]) * 2**-0.5
                          + torch.ones(9, 9).tril(1).log(), dim=-1)
    wrong = torch.einsum("nhij,njhd->nihd", leaky, qkv.double()[:, :, 2])
    assert not torch.allclose(wrong, reference_attention(qkv, 0), rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(cpu_kernels.causal_attention(qkv).double(), reference_attention(qkv, 0),
                               rtol=1e-5, atol=1e-5)


def test_rejects_what_it_cannot_compute():
    with pytest.raises(ValueError, match="float32 or bfloat16"):
        cpu_kernels.causal_attention(torch.zeros(1, 4, 3, 2, 2, dtype=torch.float64))
    with pytest.raises(ValueError, match="start"):
        cpu_kernels.causal_attention(torch.zeros(1, 4, 3, 2, 2), start=4)
    with pytest.raises(ValueError, match=r"\(N, L, 3, H, D\)"):
        cpu_kernels.causal_attention(torch.zeros(1, 4, 2, 2, 2))
    with pytest.raises(ValueError, match="float32 or bfloat16"):
        cpu_kernels.gelu(torch.zeros(3, dtype=torch.float16))


def test_without_a_compiler_the_decoder_uses_torch_kernels(monkeypatch):
    monkeypatch.setenv(cpu_kernels.ENV, "0")
    cpu_kernels._library.cache_clear()
    try:
        assert not cpu_kernels.available()
        assert kernels_for(torch.float32) == "sdpa" and kernels_for(torch.bfloat16) == "bmm"
        with pytest.raises(RuntimeError, match="unavailable"):
            cpu_kernels.gelu(torch.zeros(3))
        plain = train(Config.smoke(max_steps=30))
    finally:
        monkeypatch.delenv(cpu_kernels.ENV)
        cpu_kernels._library.cache_clear()
    assert cpu_kernels.available() and kernels_for(torch.float32) == "compiled"
    compiled = train(Config.smoke(max_steps=30))
    assert set(plain["kernels"]) == {"sdpa"} and set(compiled["kernels"]) == {"compiled"}
    np.testing.assert_allclose(compiled["loss"], plain["loss"], atol=1e-4)  # rounding apart, the same run


def test_the_build_is_cached_per_source(tmp_path, monkeypatch):
    """A fresh cache folder gets one library; loading again reuses it (no second build)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    cpu_kernels._library.cache_clear()
    try:
        assert cpu_kernels.available()
        built = sorted((tmp_path / "subtask-verify").glob("cpu_kernels-*.so"))
        assert len(built) == 1
        stamp = built[0].stat().st_mtime_ns
        cpu_kernels._library.cache_clear()
        assert cpu_kernels.available() and built[0].stat().st_mtime_ns == stamp
        x = torch.linspace(-3, 3, 7)
        np.testing.assert_allclose(cpu_kernels.gelu(x).numpy(), F.gelu(x, approximate="tanh").numpy(), atol=1e-6)
    finally:
        cpu_kernels._library.cache_clear()
