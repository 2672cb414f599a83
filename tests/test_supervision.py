"""numerics.supervision: scheme invariants (hypothesis), the reduced circuit against the original, the
masked loss against autograd, and both trainers under partial supervision."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st

from numerics import rnn
from numerics import supervision as S
from numerics.circuits import all_inputs, parity_tree, random_subset
from numerics.sequences import build


def tree(d: int, seed: int):
    return parity_tree(d, random_subset(d, seed))


sizes = st.integers(4, 24)
seeds = st.integers(0, 1000)


@settings(max_examples=60, deadline=None)
@given(d=sizes, seed=seeds, K=st.integers(1, 30))
@example(d=4, seed=0, K=1)
def test_budget_mask_has_the_budget_and_the_answer(d, seed, K):
    c = tree(d, seed)
    m = S.mask(c, f"budget:{K}")
    assert m.sum() == min(K, len(c.gates))
    assert m[-1]
    # greedy by depth: no unsupervised label is nearer the answer than a supervised one
    depth = S.depths(c)
    if not m.all():
        assert depth[m].max() <= depth[~m].min()


@settings(max_examples=60, deadline=None)
@given(d=sizes, seed=seeds, data=st.data())
def test_top_and_bottom_partition_the_levels(d, seed, data):
    c = tree(d, seed)
    lv = S.levels(c)
    depth = int(lv.max())
    assert depth == c.depth()
    L = data.draw(st.integers(0, depth))
    top, bottom = S.mask(c, f"top:{L}"), S.mask(c, f"bottom:{depth - L}")
    assert (top | bottom).all()
    both = np.flatnonzero(top & bottom)
    assert set(both.tolist()) <= {len(c.gates) - 1}  # only the answer, which every scheme supervises
    # as level sets (the answer aside) they are complementary
    assert set(lv[top[:-1].nonzero()[0]]) .isdisjoint(set(lv[bottom[:-1].nonzero()[0]]))


@settings(max_examples=60, deadline=None)
@given(d=sizes, seed=seeds, f=st.floats(0, 1), fseed=st.integers(0, 99), J=st.integers(1, 12))
def test_every_scheme_supervises_the_answer_with_the_stated_count(d, seed, f, fseed, J):
    c = tree(d, seed)
    G = len(c.gates)
    frac = S.mask(c, f"fraction:{f}:{fseed}")
    assert frac[-1] and frac.sum() == round(f * (G - 1)) + 1
    assert (S.mask(c, f"fraction:{f}:{fseed}") == frac).all()  # seeded
    every = S.mask(c, f"every:{J}")
    assert every[-1] and every.sum() == len(range(J - 1, G - 1, J)) + 1
    for s in ("full", "none", "top:1", "bottom:1"):
        assert S.mask(c, s)[-1]


@settings(max_examples=40, deadline=None)
@given(d=st.integers(4, 20), seed=seeds)
def test_full_is_subtasks_and_none_is_end_to_end(d, seed):
    c = tree(d, seed)
    x = np.random.default_rng(seed).integers(0, 2, (64, d), dtype=np.uint8)
    assert S.mask(c, "full").all() and S.mask(c, "none").sum() == 1
    full, sub = S.sequences(c, x, "full", "removed"), build(c, x, "subtasks")
    assert np.array_equal(full.z, sub.z) and np.array_equal(full.y, sub.y)
    none, e2e = S.sequences(c, x, "none", "removed"), build(c, x, "end_to_end")
    assert np.array_equal(none.z, e2e.z) and np.array_equal(none.y, e2e.y)
    masked = S.sequences(c, x, "none", "masked")
    assert np.array_equal(masked.z, sub.z) and masked.mask.sum() == 1 and masked.mask[-1]
    assert S.max_fanin(c, "full") == 2 and S.max_fanin(c, "none") == len(random_subset(d, seed))


SCHEMES = ("none", "top:1", "top:2", "bottom:1", "fraction:0.5:3", "every:2", "every:3", "budget:2", "budget:4")


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("d", [6, 8, 12])
def test_reduced_circuit_computes_the_supervised_labels(scheme, d):
    c = tree(d, 5)
    keep = S.mask(c, scheme)
    r = S.reduce(c, keep)
    x = all_inputs(d)
    assert np.array_equal(r.evaluate(x)[:, d:], c.evaluate(x)[:, d:][:, keep])
    assert r.max_fanin == S.max_fanin(c, scheme)
    assert len(r.gates) == keep.sum() and r.T == d + keep.sum() - 1


def test_parse_refuses_bad_schemes():
    for bad in ("most", "top", "top:-1", "budget:0", "every:0", "fraction:1.5", "fraction:x", "full:2", "budget:2:3"):
        with pytest.raises(ValueError):
            S.parse(bad)
    assert str(S.parse("fraction:0.25:4")) == "fraction:0.25:4" and str(S.parse("budget:3")) == "budget:3"
    with pytest.raises(ValueError):
        S.reduce(tree(8, 0), np.array([True, True, False]))  # the answer unsupervised
    with pytest.raises(ValueError):
        build(tree(8, 0), all_inputs(8), "end_to_end", mask=np.array([True]))


def test_masked_loss_and_gradient_match_autograd():
    c = tree(8, 1)
    seqs = S.sequences(c, all_inputs(8)[:40], "budget:2", "masked")
    W0, fz = rnn.init(16, 3)
    y = torch.as_tensor(seqs.y)
    w = torch.as_tensor(seqs.mask, dtype=torch.float64)
    W = W0.clone().requires_grad_(True)
    ref = rnn.loss(rnn.outputs(W, fz, seqs.z), y, 8, w)
    ref.backward()
    loss, grad = rnn.loss_and_grad(W0, fz, seqs.z, y, 8, weights=w)
    assert torch.allclose(loss, ref.detach(), rtol=1e-12)
    assert torch.allclose(grad, W.grad, rtol=1e-10, atol=1e-14)
    # only the supervised positions count: changing an unsupervised target changes nothing
    y2 = y.clone()
    y2[:, ~torch.as_tensor(seqs.mask)] *= -1
    assert torch.allclose(rnn.loss_and_grad(W0, fz, seqs.z, y2, 8, weights=w)[1], grad)
    # all-ones weights are the plain loss
    ones = torch.ones_like(w)
    assert torch.allclose(rnn.loss_and_grad(W0, fz, seqs.z, y, 8, weights=ones)[1],
                          rnn.loss_and_grad(W0, fz, seqs.z, y, 8)[1])


def test_rnn_trainer_runs_partial_schemes_and_keeps_store_keys():
    from numerics.train import TrainConfig, fit, store_config

    base = TrainConfig(d=8, m=16, steps=5, every=5, eta=0.5, batch=8)
    assert "partial" not in store_config(base) and "partial_mode" not in store_config(base)
    none = fit(TrainConfig(**{**base.__dict__, "partial": "none"}))
    e2e = fit(TrainConfig(**{**base.__dict__, "supervision": "end_to_end"}))
    assert torch.equal(none.W, e2e.W)  # removing every label but the answer is the end-to-end arm
    full = fit(TrainConfig(**{**base.__dict__, "partial": "full"}))
    assert torch.equal(full.W, fit(base).W)
    masked = fit(TrainConfig(**{**base.__dict__, "partial": "budget:2", "partial_mode": "masked"}))
    assert masked.frame[masked.frame.metric == "tf_error"].t.nunique() == 3  # the sequence keeps every gate
    with pytest.raises(ValueError):
        fit(TrainConfig(**{**base.__dict__, "supervision": "end_to_end", "partial": "budget:2"}))


def test_decoder_partial_supervision():
    from numerics import transformer as tr

    assert tr.Config().as_dict() == tr.Config(partial="", partial_mode="removed").as_dict()
    assert "partial" not in tr.Config().as_dict()
    none = tr.make_data(tr.Config(d=8, partial="none", max_steps=10))
    assert none.circuit.T == 8 and len(none.circuit.gates) == 1
    masked = tr.make_data(tr.Config(d=8, partial="budget:2", partial_mode="masked", max_steps=10))
    x = masked.val[:4]
    _, t, _ = tr._batch(masked.circuit, x, "subtasks", 4, masked.mask)
    assert (t[:, ~masked.mask] == -100).all() and (t[:, masked.mask] >= 0).all()
    # a masked target carries no loss: the stack's loss equals the mean over the supervised targets
    cfg = tr.Config.smoke(partial="budget:2", partial_mode="masked", max_steps=1)
    stack = tr.Stack([cfg], [masked.circuit])
    u, t, w = (torch.from_numpy(np.stack([a])) for a in tr._batch(masked.circuit, x, "subtasks", 4, masked.mask))
    logits = stack.forward(u, start=8)
    ce = torch.nn.functional.cross_entropy(logits.reshape(-1, 2), t.reshape(-1), reduction="none").view(t.shape)
    expected = ce[..., torch.as_tensor(masked.mask)].mean()
    assert torch.allclose(stack.step(u, t, w.float()), expected.detach().reshape(1), rtol=1e-5)
    with pytest.raises(ValueError):
        tr.Config(supervision="end_to_end", partial="budget:2")
    with pytest.raises(ValueError):
        tr.Config(partial="budget:2", partial_mode="hidden")
