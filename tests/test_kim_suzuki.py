"""numerics.kim_suzuki: the link, the tree, the vectorised forward passes against slow references, the closed-form
gradient at W = 0 against autograd, and the footnote-3 oracles (Kim & Suzuki, ICLR 2025; Wies et al. Lemma 12)."""

import itertools

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from numerics import kim_suzuki as ks
from numerics import rnn
from numerics.circuits import all_inputs


# ------------------------------------------------------------------------------------------------ link
def test_phi_identity_on_pairs_exactly():
    for a, b in itertools.product((-1.0, 1.0), repeat=2):
        assert float(ks.phi(torch.tensor((a + b) / 2, dtype=torch.float64))) == a * b


def test_phi_flat_at_0_and_pm1_and_continuous():
    t = torch.tensor([-1.0, 0.0, 1.0], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(ks.phi(t).sum(), t)
    assert torch.equal(g, torch.zeros(3, dtype=torch.float64))
    for knot in (-0.5, 0.5):
        lo = ks.phi(torch.tensor(knot - 1e-12, dtype=torch.float64))
        hi = ks.phi(torch.tensor(knot, dtype=torch.float64))
        assert abs(float(lo - hi)) < 1e-10
    assert float(ks.phi(torch.tensor(0.5, dtype=torch.float64))) == 0.0


# ------------------------------------------------------------------------------------------------ tree
@given(v=st.integers(1, 4), extra=st.integers(0, 6), seed=st.integers(0, 10_000))
def test_tree_root_is_the_parity_and_children_are_earlier(v, extra, seed):
    k = 2**v
    d = k + extra
    t = ks.random_tree(d, k, seed)
    assert len(t.children) == k - 1 and t.N == d + k - 1 and t.levels == v
    for i, (a, b) in enumerate(t.children):
        assert a < d + i and b < d + i and t.level[a] == t.level[b] == t.level[d + i] - 1
    Z = ks.sample(t, 64, seed)
    root = Z[:, -1]
    assert torch.equal(root, Z[:, list(t.subset)].prod(dim=1))
    assert [len(t.nodes_of(lev)) for lev in range(1, v + 1)] == [k >> lev for lev in range(1, v + 1)]


def test_tree_refuses_bad_subsets():
    with pytest.raises(ValueError):
        ks.tree(8, (0, 1, 2))
    with pytest.raises(ValueError):
        ks.tree(8, (0, 0, 1, 2))
    with pytest.raises(ValueError):
        ks.random_tree(4, 8, 0)


def test_shuffled_tree_never_keeps_a_true_pair():
    t = ks.random_tree(16, 8, 3)
    s = ks.shuffled(t, 0)
    assert all(set(a) != set(b) for a, b in zip(t.children, s.children, strict=True))


# ------------------------------------------------------------------------------------------------ forward passes
def _slow_forward(W, Z, t, mode):
    """Per sample, per node: the definition, with Python loops."""
    mask = ks.allowed(t, "block" if mode == "selfcons" else "causal")
    A = ks.attention(W, t, "block" if mode == "selfcons" else "causal")
    out = torch.zeros((Z.shape[0], t.k - 1), dtype=Z.dtype)
    for r in range(Z.shape[0]):
        z = Z[r].clone()
        for i in range(t.k - 1):
            s = sum(float(A[i, j]) * float(z[j]) for j in range(t.N) if mask[i, j])
            out[r, i] = ks.phi(torch.tensor(s, dtype=Z.dtype))
            if mode != "teacher":
                z[t.d + i] = out[r, i]
    return out


def _slow_selfcons(W, Z, t):
    """Level by level, per sample: block mask, sign-rounded tokens, a level passed on only when every node's
    batch variance of sign(xhat) is >= FILTER_TAU, outputs of the levels above a failed one zero."""
    A = ks.attention(W, t, "block")
    out = torch.zeros((Z.shape[0], t.k - 1), dtype=Z.dtype)
    tokens = Z.clone()
    tokens[:, t.d:] = 0.0
    for lev in range(1, t.levels + 1):
        nodes = t.nodes_of(lev)
        for i in nodes:
            for r in range(Z.shape[0]):
                s = sum(float(A[i, j]) * float(tokens[r, j]) for j in range(t.N) if t.level[j] < lev)
                out[r, i] = ks.phi(torch.tensor(s, dtype=Z.dtype))
        signs = torch.sign(out[:, nodes])
        for i in nodes:
            tokens[:, t.d + i] = torch.sign(out[:, i])
        if not bool((1 - signs.mean(dim=0) ** 2 >= ks.FILTER_TAU).all()):
            break
    return out


@pytest.mark.parametrize("fwd", [ks.forward, ks.forward_reference], ids=["fast", "autograd"])
@pytest.mark.parametrize("scale", [0.0, 3.0, 30.0])
def test_vectorised_selfcons_matches_the_definition(scale, fwd):
    t = ks.random_tree(6, 4, 2)
    W = torch.randn((t.N, t.N), generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    for i, (a, b) in enumerate(t.children):
        W[t.d + i, [a, b]] += scale
    Z = ks.sample(t, 16, 3)
    torch.testing.assert_close(fwd(W, Z, t, "selfcons").detach(), _slow_selfcons(W, Z, t), rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------------------------------------ fast gradient
@pytest.mark.parametrize("link", [ks.phi, ks.identity_link], ids=["phi", "identity"])
def test_link_forms_equal_the_link_and_its_autograd_derivative(link):
    """The fast path's in-place (value, derivative) against the link and autograd, on a grid through the knots
    -1, -1/2, 0, 1/2, 1 and outside [-1, 1]."""
    t = torch.cat([torch.linspace(-1.5, 1.5, 3001, dtype=torch.float64),
                   torch.tensor([-1.0, -0.5, 0.0, 0.5, 1.0], dtype=torch.float64)]).requires_grad_(True)
    (ref,) = torch.autograd.grad(link(t).sum(), t)
    value, deriv = ks.link_and_grad(link, t.detach())
    torch.testing.assert_close(value, link(t).detach(), rtol=0, atol=1e-15)
    torch.testing.assert_close(deriv, ref, rtol=0, atol=1e-14)


def _random_problem(d, v, seed, scale, boost, n):
    t = ks.random_tree(d, 2**v, seed)
    gen = torch.Generator().manual_seed(seed)
    W = scale * torch.randn((t.N, t.N), generator=gen, dtype=torch.float64)
    for i, (a, b) in enumerate(t.children):
        W[t.d + i, [a, b]] += boost
    return t, W, ks.sample(t, n, seed + 1)


@given(v=st.integers(1, 3), extra=st.integers(0, 5), seed=st.integers(0, 10_000),
       scale=st.sampled_from([0.3, 1.0, 3.0]), boost=st.sampled_from([0.0, 2.0, 6.0]), n=st.integers(1, 40),
       mode=st.sampled_from(ks.MODES), link=st.sampled_from([ks.phi, ks.identity_link]))
def test_fast_gradient_equals_autograd(v, extra, seed, scale, boost, n, mode, link):
    """The analytic forward/backward (``loss_and_grad``) against autograd through ``forward_reference``, float64,
    every mode and both links (the selfcons filter must be decided identically: the outputs agree)."""
    t, W, Z = _random_problem(2**v + extra, v, seed, scale, boost, n)
    with torch.no_grad():
        out_ref = ks.forward_reference(W, Z, t, mode, link)
    torch.testing.assert_close(ks.forward(W, Z, t, mode, link), out_ref, rtol=1e-12, atol=1e-12)
    value, grad = ks.loss_and_grad(W, Z, t, mode, link)
    ref_value, ref_grad = ks.loss_and_grad_reference(W, Z, t, mode, link)
    assert value == pytest.approx(ref_value, rel=1e-12, abs=1e-13)
    torch.testing.assert_close(grad, ref_grad, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("mode", ks.MODES)
def test_fast_gradient_per_chunk_equals_autograd_per_chunk(mode):
    """Chunked accumulation (the selfcons filter decided per chunk) agrees with the reference's."""
    t, W, Z = _random_problem(10, 3, 7, 1.0, 4.0, 90)
    value, grad = ks.loss_and_grad(W, Z, t, mode, chunk=32)
    ref_value, ref_grad = ks.loss_and_grad_reference(W, Z, t, mode, chunk=32)
    assert value == pytest.approx(ref_value, rel=1e-12)
    torch.testing.assert_close(grad, ref_grad, rtol=1e-10, atol=1e-12)


def test_fast_gradient_float32_within_float32_rounding():
    """At the full preset's dtype the two paths differ by float32 rounding only."""
    t, W, Z = _random_problem(24, 3, 3, 1.0, 2.0, 2000)
    for mode in ks.MODES:
        _, ref = ks.loss_and_grad_reference(W.float(), Z.float(), t, mode)
        _, fast = ks.loss_and_grad(W.float(), Z.float(), t, mode)
        assert fast.dtype == torch.float32
        assert float((fast - ref).abs().max()) <= 1e-5 * float(ref.abs().max()), mode


def test_unknown_link_falls_back_to_autograd():
    t, W, Z = _random_problem(8, 2, 0, 1.0, 0.0, 20)
    tanh = torch.tanh
    value, grad = ks.loss_and_grad(W, Z, t, "cot", tanh)
    ref_value, ref_grad = ks.loss_and_grad_reference(W, Z, t, "cot", tanh)
    assert value == ref_value and torch.equal(grad, ref_grad)


@pytest.mark.parametrize("fwd", [ks.forward, ks.forward_reference], ids=["fast", "autograd"])
@pytest.mark.parametrize("mode", ["teacher", "cot", "direct"])
def test_vectorised_forward_matches_the_definition(mode, fwd):
    t = ks.random_tree(6, 4, 1)
    W = torch.randn((t.N, t.N), generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    Z = ks.sample(t, 12, 2)
    torch.testing.assert_close(fwd(W, Z, t, mode).detach(), _slow_forward(W, Z, t, mode), rtol=1e-12, atol=1e-12)


def test_block_mask_sees_only_lower_levels():
    t = ks.random_tree(8, 8, 0)
    m = ks.allowed(t, "block")
    for i in range(t.k - 1):
        lev = t.level[t.d + i]
        assert all(bool(m[i, j]) == (t.level[j] < lev) for j in range(t.N))


def test_solution_weights_solve_every_mode():
    """W with large scores on each node's two children reproduces the chain (phi((a+b)/2) = ab)."""
    t = ks.random_tree(10, 8, 4)
    W = torch.zeros((t.N, t.N), dtype=torch.float64)
    for i, (a, b) in enumerate(t.children):
        W[t.d + i, [a, b]] = 60.0
    Z = ks.sample(t, 256, 0)
    for mode in ks.MODES:
        xh = ks.forward(W, Z, t, mode)
        assert float((xh - Z[:, t.d:]).abs().max()) < 1e-9, mode


def test_selfcons_filter_zeroes_levels_above_an_uninformative_one():
    t = ks.random_tree(16, 8, 0)
    Z = ks.sample(t, 512, 0)
    xh = ks.forward(ks.init(t), Z, t, "selfcons")  # W = 0: level 1 outputs ~ phi(mean of x) < 0: constant sign
    upper = [i for i in range(t.k - 1) if t.level[t.d + i] > 1]
    assert torch.equal(xh[:, upper], torch.zeros_like(xh[:, upper]))
    assert bool((xh[:, t.nodes_of(1)] != 0).any())  # level 1 is computed (phi(1/2) = 0 can occur)


def test_gradient_at_zero_closed_form_equals_autograd():
    t = ks.random_tree(12, 4, 5)
    Z = ks.sample(t, 3000, 1)
    _, g = ks.loss_and_grad(ks.init(t), Z, t, "teacher", chunk=1024)
    torch.testing.assert_close(g, ks.grad_at_zero_teacher(Z, t), rtol=1e-10, atol=1e-14)


def test_gradient_at_zero_is_largest_at_the_children():
    """Theorem 5's mechanism, on a sample large enough for it (n = 64 d^2)."""
    t = ks.random_tree(16, 4, 0)
    _, g = ks.loss_and_grad(ks.init(t), ks.sample(t, 64 * 16 * 16, 0), t, "teacher")
    for i, (a, b) in enumerate(t.children):
        row = -g[t.d + i]
        assert set(torch.topk(row, 2).indices.tolist()) == {a, b}


def test_train_records_and_refuses_bad_input():
    t = ks.random_tree(12, 4, 0)
    run = ks.train(t, "teacher", eta=15.0, epochs=40, n=800, seed=0, n_eval=256, every=10)
    assert run.steps == (0, 10, 20, 30, 40) and run.level_acc.shape == (5, 2)
    assert run.train_loss[-1] < run.train_loss[0]
    with pytest.raises(ValueError):
        ks.train(t, "nope", eta=1.0, epochs=1, n=10, seed=0)
    with pytest.raises(ValueError):
        ks.train(t, "cot", eta=float("nan"), epochs=1, n=10, seed=0)


def test_learned_at_requires_staying_learned():
    run = ks.Run("cot", 4, 4, 1.0, 3, 1, (0, 1, 2, 3), (1, 1, 1, 1),
                 np.zeros((4, 2)), np.array([[0.5, 0.5], [1.0, 0.5], [0.5, 1.0], [1.0, 1.0]]), (0, 0, 0, 0),
                 torch.zeros(1))
    assert run.learned_at(1) == 3 and run.learned_at(2) == 2


def test_parameters_about_9k_at_k32():
    assert ks.parameters(64, 32) == 95**2 == ks.init(ks.random_tree(64, 32, 0)).numel()


# ------------------------------------------------------------------------------------------------ footnote 3
def test_lemma12_oracle_is_in_the_ball_and_returns_the_mean_inside():
    gen = torch.Generator().manual_seed(0)
    g = torch.randn(20, 20, generator=gen, dtype=torch.float64)
    mean = g + 0.3 * torch.randn(20, 20, generator=gen, dtype=torch.float64)
    G = ks.lemma12_oracle(g, mean, 0.25)
    assert float((G - g).abs().max()) <= 0.25
    inside = (mean - g).abs() <= 0.25
    assert torch.equal(G[inside], mean[inside])
    assert torch.equal(ks.lemma12_oracle(g, mean, 10.0), mean)


def test_class_gradients_match_the_rnn_backprop(one_thread):
    d, m = 4, 8
    W, fz = rnn.init(m, 0)
    x = torch.as_tensor(all_inputs(d), dtype=torch.long)
    H = ks.parity_class(d)
    Y = 1.0 - 2.0 * ((x.double() @ H.T) % 2).T
    G = ks.class_gradients(W, fz, x, Y)
    for h in range(H.shape[0]):
        _, ref = rnn.loss_and_grad(W, fz, x, Y[h][:, None], d)
        torch.testing.assert_close(G[h], ref, rtol=1e-9, atol=1e-12)
    # the class mean through one backward with the mean label (the affine trick of _grad_for)
    torch.testing.assert_close(ks._grad_for(W, fz, x, Y.mean(dim=0)), G.mean(dim=0), rtol=1e-9, atol=1e-12)


def test_lemma12_runs_do_not_depend_on_the_target_and_exact_runs_do(one_thread):
    _, dev = ks.lemma12_epsilon(4, 16)
    adv = [ks.rnn_oracle_run(4, 16, 1.0, 15, tg, "lemma12", 2 * dev) for tg in (0, 5)]
    ex = [ks.rnn_oracle_run(4, 16, 1.0, 15, tg, "exact", 2 * dev) for tg in (0, 5)]
    assert torch.equal(adv[0].W, adv[1].W) and adv[0].erased == pytest.approx(1.0)
    assert not torch.equal(ex[0].W, ex[1].W)
    # a target-independent predictor: class-averaged error >= 1/2 - 1/(2 sqrt|H|) (Parseval)
    assert adv[0].class_error >= 0.5 - 0.5 / np.sqrt(6)
    with pytest.raises(ValueError):
        ks.rnn_oracle_run(4, 16, 1.0, 1, 99, "exact", 0.1)
    with pytest.raises(ValueError):
        ks.rnn_oracle_run(4, 16, 1.0, 1, 0, "psychic", 0.1)
