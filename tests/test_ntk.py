"""Fast NTK Gram (numerics.ntk) against a torch.func reference (functional_call + jacrev); the infinite-width
Gram against a plain n x n recursion and against finite widths; verify.ntk's rule on planted series."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from numerics import circuits, ntk, rnn, sequences
from numerics.ntk_reference import plain_limit_gram, reference_gram
from verify import cli
from verify import ntk as vntk
from verify.lemma13 import character_matrix, half_subsets

RTOL = {torch.float64: 1e-10}


def rel_frob(a: torch.Tensor, b: torch.Tensor) -> float:
    """Relative Frobenius error (absolute when the reference is 0, e.g. every ReLU dead at tiny m)."""
    return float(torch.linalg.matrix_norm(a - b).max() / torch.linalg.matrix_norm(b).max().clamp_min(1e-300))


@given(m=st.integers(2, 40), n=st.integers(1, 12), T=st.integers(1, 9), block=st.integers(1, 8),
       seed=st.integers(0, 2**16), trained=st.booleans())
def test_fast_gram_matches_torch_func_reference(m, n, T, block, seed, trained):
    W, fz = rnn.init(m, seed)
    if trained:  # any W, not only the initialisation
        W = W + 0.3 * torch.randn(W.shape, generator=torch.Generator().manual_seed(seed + 1), dtype=W.dtype) / m**0.5
    z = torch.randint(0, 2, (n, T), generator=torch.Generator().manual_seed(seed))
    positions = sorted({1, T, (T + 1) // 2})
    fast = ntk.gram(W, fz, z, positions, block=block)
    ref = reference_gram(W, fz, z, positions)
    err = rel_frob(fast, ref)
    assert err < RTOL[torch.float64], f"numerics.ntk.gram vs torch.func reference: rel. Frobenius error {err:.2e}"
    assert torch.equal(fast, fast.transpose(1, 2)), "gram is not exactly symmetric"


@pytest.mark.parametrize("m,T", [(64, 5), (10, 6)])  # t^2 < m (factored) and t^2 >= m (per-block gradients)
def test_both_contractions_agree_with_explicit_gradients(m, T):
    W, fz = rnn.init(m, 3)
    z = torch.randint(0, 2, (9, T), generator=torch.Generator().manual_seed(4))
    H = ntk.gram(W, fz, z, [T], block=4)[0]
    J = ntk.gradients(W, fz, z, T).reshape(9, -1)
    assert rel_frob(H, J @ J.T / m) < 1e-12


def test_gradients_match_autograd():
    W, fz = rnn.init(12, 5)
    z = torch.randint(0, 2, (3, 7), generator=torch.Generator().manual_seed(6))
    G = ntk.gradients(W, fz, z, 5)
    for i in range(3):
        Wg = W.clone().requires_grad_(True)
        (g,) = torch.autograd.grad(rnn.outputs(Wg, fz, z[i : i + 1])[0, 4], Wg)
        torch.testing.assert_close(G[i], g, rtol=1e-12, atol=1e-14)


def test_end_to_end_gram_equals_subtask_gram_at_t_equals_d():
    d = 6
    c = circuits.parity_tree(d, circuits.random_subset(d, 0))
    x = circuits.all_inputs(d)
    W, fz = rnn.init(16, 0)
    sub = ntk.gram(W, fz, sequences.build(c, x, "subtasks").z, [d])
    e2e = ntk.gram(W, fz, sequences.build(c, x, "end_to_end").z, [d])
    assert rel_frob(sub, e2e) < 1e-13


def test_repeated_input_makes_gram_singular():
    W, fz = rnn.init(16, 0)
    z = torch.tensor([[0, 1, 1], [1, 0, 1], [0, 1, 1]])
    sp = ntk.Spectrum.of(ntk.gram(W, fz, z, [3])[0])
    assert abs(sp.lam_min) < 1e-12 * sp.lam_max
    with pytest.raises(ValueError, match="positive definite"):
        sp.label_norm(torch.ones(3), ridge=-1.0)


def test_label_norm_matches_solve():
    W, fz = rnn.init(32, 1)
    z = torch.as_tensor(circuits.all_inputs(5))
    H = ntk.gram(W, fz, z, [5])[0]
    y = torch.as_tensor(np.random.default_rng(0).choice([-1.0, 1.0], size=32))
    expect = torch.sqrt(y @ torch.linalg.solve(H, y))
    torch.testing.assert_close(ntk.Spectrum.of(H).label_norm(y), expect, rtol=1e-8, atol=0)


def test_tracker_is_zero_at_init_and_positive_after_a_step():
    W0, fz = rnn.init(16, 2)
    z = torch.randint(0, 2, (6, 5), generator=torch.Generator().manual_seed(0))
    tracker = ntk.GramTracker.at_init(W0, fz, z, [4, 5])
    assert all(v == 0.0 for v in tracker(W0).values())
    drift = tracker(W0 + 0.1 * torch.randn(W0.shape, dtype=W0.dtype, generator=torch.Generator().manual_seed(1)))
    assert all(v > 0 for v in drift.values()) and len(tracker.history) == 2


def test_bad_positions_raise():
    W, fz = rnn.init(4, 0)
    with pytest.raises(ValueError, match="positions"):
        ntk.gram(W, fz, torch.zeros((2, 3), dtype=torch.long), [0])


def test_flop_and_memory_models_do_not_grow_like_n_m_squared():
    pos = list(range(16, 23))
    assert ntk.gram_bytes(512, 1024, pos) < 512 * 1024 * 1024 * 8 / 4
    assert ntk.gram_flops(128, 1024, pos) == 128 * 128 * 1024 * (22**2 + sum(t * t for t in pos))


@given(n=st.integers(1, 24), T=st.integers(1, 8), seed=st.integers(0, 2**16))
def test_limit_gram_matches_plain_recursion(n, T, seed):
    z = np.random.default_rng(seed).integers(0, 2, size=(n, T))  # repeats allowed: prefix classes merge rows
    positions = sorted({1, T, (T + 1) // 2})
    fast = ntk.limit_gram(z, positions)
    ref = plain_limit_gram(z, positions)
    err = rel_frob(fast, ref)
    assert err < 1e-12, f"numerics.ntk.limit_gram vs the plain n x n recursion: rel. Frobenius error {err:.2e}"
    diag = torch.diagonal(fast, dim1=1, dim2=2)
    expect = torch.tensor([t * (t + 1) / 4 for t in positions], dtype=torch.float64)[:, None].expand_as(diag)
    # sum_s (1/2) s: ||delta_s||^2 = 1/2 and ||h_{s-1}||^2 = s in the limit
    torch.testing.assert_close(diag, expect, rtol=1e-13, atol=0)


def test_finite_width_grams_approach_the_limit(one_thread):
    """The mean of m H^t over seeds tends to K^{t,inf} (error ~ 1/sqrt(m)): the limit is the right one."""
    z = circuits.all_inputs(4)[::2].astype(np.int64)
    pos = [1, 2, 4]
    K = ntk.limit_gram(z, pos)
    err = {}
    for m in (64, 1024):
        mean = sum(m * ntk.gram(*rnn.init(m, seed), z, pos) for seed in range(8)) / 8
        err[m] = rel_frob(mean, K)
    assert err[1024] < 0.08 and err[1024] < err[64] / 2, f"finite width vs limit: {err}"


def test_labelled_grams_carry_their_positions_labels():
    d = 6
    c = circuits.parity_tree(d, circuits.random_subset(d, 1))
    x = circuits.all_inputs(d)
    seqs = sequences.build(c, x, "subtasks")
    sub = ntk.labelled_grams(c, x, "subtasks")
    assert [pg.t for pg in sub] == list(range(d, seqs.T + 1))
    for k, pg in enumerate(sub):
        assert np.array_equal(pg.labels, seqs.y[:, k]) and pg.width is None
        assert torch.equal(pg.gram, ntk.limit_gram(seqs.z, [pg.t])[0])
    (e2e,) = ntk.labelled_grams(c, x, "end_to_end")
    assert e2e.t == d and np.array_equal(e2e.labels, seqs.y[:, -1])  # the final answer, read at t = d
    assert torch.equal(e2e.gram, sub[0].gram)  # f_d reads only x in both settings
    W, fz = rnn.init(16, 0)
    fin = ntk.labelled_grams(c, x, "end_to_end", W, fz)[0]
    assert fin.width == 16 and torch.equal(fin.gram, ntk.gram(W, fz, x, [d])[0])
    with pytest.raises(ValueError, match="both W and fz"):
        ntk.labelled_grams(c, x, "subtasks", W=W)


def test_label_norms_match_solve_and_refuse_singular():
    K = ntk.limit_gram(circuits.all_inputs(5), [5])[0]
    Y = np.random.default_rng(0).choice([-1.0, 1.0], size=(32, 3))
    expect = torch.sqrt((torch.as_tensor(Y) * torch.linalg.solve(K, torch.as_tensor(Y))).sum(0))
    torch.testing.assert_close(ntk.label_norms(K, Y), expect, rtol=1e-10, atol=0)
    z = np.array([[0, 1], [1, 0], [0, 1]])  # a repeated input: two equal rows
    with pytest.raises(ValueError, match="positive definite"):
        ntk.label_norms(ntk.limit_gram(z, [2])[0], np.ones(3))


@pytest.mark.parametrize("d", [4, 6, 8])
def test_class_labels_are_the_parity_class(d):
    x = circuits.all_inputs(d)
    Y = vntk.class_labels(d, x, class_max=10**6, seed=0)
    assert np.array_equal(Y.T.astype(np.int64), character_matrix(d, half_subsets(d)).astype(np.int64))
    sample = vntk.class_labels(d, x, class_max=3, seed=0)
    assert sample.shape == (1 << d, 3) and len({tuple(c) for c in sample.T}) == 3


# ------------------------------------------------------------------------------------------------ the rule
def planted(E, S, shuffled=None, ds=(4, 6, 8, 10, 12), widths=()) -> vntk.Data:
    """Synthetic rows: E(d), S(d) (sub-task values at every position), random = 1.2 E."""
    rows = []
    for w in (vntk.LIMIT, *widths):
        for d in ds:
            base = {"width": w, "d": d, "n": 1 << d, "all_inputs": True, "T": d + d // 2 - 2}
            for pair in range(3):
                for t in range(d, d + d // 2 - 1):
                    v = S(d) * (1 - 0.1 * pair) * (0.9 if t < d + d // 2 - 2 else 1.0)
                    rows.append({**base, "pair": pair, "label": "subtask", "t": t, "value": v})
                    rows.append({**base, "pair": pair, "label": "subtask_shuffled", "t": t,
                                 "value": (shuffled or E)(d)})
                    rows.append({**base, "pair": pair, "label": "random", "t": t, "value": 1.2 * E(d)})
                rows.append({**base, "pair": pair, "label": "end_to_end", "t": d, "T": d, "value": E(d)})
            rows.append({**base, "pair": 0, "T": d, "label": "end_to_end_class", "t": d, "value": E(d),
                         "min": E(d) / 3, "median": E(d), "max": 2 * E(d), "count": 20})
    return vntk.Data(tuple(rows), vntk.Config(d=ds, widths=widths))


def test_rule_holds_on_an_exponential_end_to_end_and_flat_sub_task_series():
    data = planted(lambda d: np.exp(0.3 * d), lambda d: 3 + 0.05 * d, widths=(64,))
    (f,) = vntk.decide(data)
    checks = [c for c in f.comparisons if c.role == "check"]
    assert len(checks) == 4 and all(c.holds for c in checks)
    ratios = [c for c in f.comparisons if c.quantity.startswith("end-to-end at width m")]
    assert [c.measured for c in ratios] == [pytest.approx(1.0)]  # the planted width equals the limit
    rates = [c for c in f.comparisons if c.quantity == "end-to-end exp rate at width m"]
    assert rates[0].measured == pytest.approx(0.3) and rates[0].role == "context"
    assert checks[0].interval[0] > 0 and checks[1].interval[1] < checks[0].interval[0]
    for control in vntk.controls([f], data):  # the same rule on shuffled labels / a polynomial series
        assert control.flipped(f.verdict), control.planted


@pytest.mark.parametrize("E,S,failing", [
    (lambda d: d**3.0, lambda d: 3.0 + 0 * d, 2),  # polynomial end-to-end: its local rate falls (rule 3)
    (lambda d: np.exp(0.3 * d), lambda d: np.exp(0.3 * d) / 2, 1),  # sub-task grows as fast (rule 2)
    (lambda d: 5.0 + 0 * d, lambda d: 3.0 + 0 * d, 0),  # nothing grows (rule 1)
])
def test_rule_fails_where_the_shape_is_wrong(E, S, failing):
    (f,) = vntk.decide(planted(E, S))
    checks = [c for c in f.comparisons if c.role == "check"]
    assert not checks[failing].holds and f.verdict != vntk.decide(
        planted(lambda d: np.exp(0.3 * d), lambda d: 3 + 0.05 * d))[0].verdict


def test_rule_needs_three_sizes_with_all_inputs():
    (f,) = vntk.decide(planted(lambda d: np.exp(0.3 * d), lambda d: 3.0 + 0 * d, ds=(4, 6, 8)))
    assert f.not_checked is not None and not f.comparisons


def test_measure_small_sizes_end_to_end(one_thread):
    """A real (small) measurement: values equal the direct solves; d = 4 has one gate, the labels coincide."""
    cfg = vntk.Config(d=(4, 6), subsets=(0, 1), inits=(0, 1), widths=(16,), finite_dmax=4, n_random=2)
    data = vntk.measure(cfg)
    lim = [r for r in data.rows if r["width"] == vntk.LIMIT]
    at4 = {r["label"]: r["value"] for r in lim if r["d"] == 4 and r["pair"] == 0}
    assert at4["subtask"] == pytest.approx(at4["end_to_end"], rel=1e-12)
    c = circuits.parity_tree(6, circuits.random_subset(6, 1))
    direct = [pg.label_norm() for pg in ntk.labelled_grams(c, circuits.all_inputs(6), "subtasks")]
    got = [r["value"] for r in lim if r["d"] == 6 and r["pair"] == 1 and r["label"] == "subtask"]
    assert got == pytest.approx(direct, rel=1e-10)
    per_d = vntk.summarise(data)
    assert per_d[1]["class_size"] == 20 and per_d[1]["E_min"] <= per_d[1]["E"] <= per_d[1]["E_max"]
    assert {r["d"] for r in data.rows if r["width"] == 16} == {4}


def test_cli_json_and_bad_input(capsys):
    assert vntk.main(["--d", "4", "6", "--widths", "8", "--finite-dmax", "4", "--n-random", "2", "--json"]) == 0
    out = capsys.readouterr().out
    assert '"id": "NTK"' in out and '"comparisons"' in out
    with pytest.raises(SystemExit) as exc:  # refused by the generated parser
        vntk.main(["--d", "3"])
    assert exc.value.code == 2
    assert cli.guarded(vntk.main, ["--d", "4", "6", "--inits", "0"]) == 2  # inits and subsets are paired


def test_controls_reuse_the_checked_data(monkeypatch, one_thread):
    """``python -m verify`` calls check() then controls(findings): the controls must not measure again."""
    cfg = vntk.Config(d=(4, 6), subsets=(0,), inits=(0,), widths=(8,), finite_dmax=4, n_random=1)
    found = vntk.check(cfg)
    monkeypatch.setattr(vntk, "measure", lambda *a, **k: pytest.fail("controls measured again"))
    ctrl = vntk.controls(found)
    assert len(ctrl) == 2 and all(c.id == "NTK" for c in ctrl)
