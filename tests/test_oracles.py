"""Every oracle of Algorithms 2-3 returns G with ‖G - grad‖_inf <= sigma, checked exactly (Fractions)."""

from fractions import Fraction

import numpy as np
import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from numerics import oracles

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
sigmas = st.floats(min_value=0.0, max_value=1e300, allow_nan=False, allow_infinity=False)


@pytest.mark.parametrize("name", oracles.ORACLES)
@given(grad=arrays(np.float64, st.integers(1, 12), elements=finite), sigma=sigmas, seed=st.integers(0, 2**31))
@example(grad=np.array([0.0, 1e-300, -1e300, 1.0, 2.5]), sigma=5e-324, seed=0)
@example(grad=np.array([1.0, -1.0, 0.1, 0.3]), sigma=0.1, seed=1)
@example(grad=np.array([1e308, -1e308]), sigma=1e308, seed=2)
@example(grad=np.array([3.335560990257432e-183]), sigma=1.3197638915388482e-173, seed=0)  # s * e underflows
def test_every_oracle_stays_in_the_sigma_ball(name, grad, sigma, seed):
    g = torch.as_tensor(grad)
    G = oracles.apply(name, g, sigma, torch.Generator().manual_seed(seed))
    assert G.shape == g.shape and torch.isfinite(G).all()
    s = Fraction(sigma)
    for a, b in zip(G.tolist(), g.tolist(), strict=True):
        assert abs(Fraction(a) - Fraction(b)) <= s, f"{name}: |{a} - {b}| > {sigma}"


def test_rules_do_what_they_say():
    g = torch.tensor([0.37, -0.05, 0.0, -1.0], dtype=torch.float64)
    assert torch.equal(oracles.apply("exact", g, 0.1), g)
    assert torch.allclose(oracles.apply("round", g, 0.1), torch.tensor([0.4, -0.0, 0.0, -1.0], dtype=torch.float64))
    assert torch.allclose(oracles.apply("shrink", g, 0.1), torch.tensor([0.27, 0.0, 0.0, -0.9], dtype=torch.float64))
    assert torch.allclose(oracles.apply("inflate", g, 0.1), torch.tensor([0.47, -0.15, 0.1, -1.1], dtype=torch.float64))
    u = oracles.apply("uniform", g, 0.1, torch.Generator().manual_seed(0))
    assert 0 < float((u - g).abs().max()) <= 0.1


def test_inflate_attains_the_frobenius_worst_case():
    """‖G - grad‖_F = m sigma for an m x m gradient: the largest the max-norm ball allows (eq. 29, 58)."""
    g = torch.randn(6, 6, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    G = oracles.apply("inflate", g, 1e-3)
    assert float(torch.linalg.matrix_norm(G - g)) == pytest.approx(6 * 1e-3, rel=1e-9)
    for name in ("round", "uniform", "shrink"):
        other = oracles.apply(name, g, 1e-3, torch.Generator().manual_seed(1))
        assert float(torch.linalg.matrix_norm(other - g)) <= 6 * 1e-3 + 1e-15


def test_uniform_is_seeded():
    g = torch.zeros(5, dtype=torch.float64)
    a = oracles.apply("uniform", g, 1.0, torch.Generator().manual_seed(3))
    b = oracles.apply("uniform", g, 1.0, torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


BAD = [("bogus", 0.1, "oracle"), ("round", -1.0, "sigma"), ("round", float("nan"), "sigma"),
       ("round", float("inf"), "sigma")]


@pytest.mark.parametrize(("name", "sigma", "match"), BAD)
def test_bad_input(name, sigma, match):
    with pytest.raises(ValueError, match=match):
        oracles.apply(name, torch.zeros(2), sigma)
