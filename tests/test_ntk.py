"""Fast NTK Gram (numerics.ntk) against a torch.func reference (functional_call + jacrev), and verify.ntk."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from numerics import circuits, ntk, rnn, sequences
from numerics.ntk_reference import reference_gram
from verify import ntk as vntk

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


def test_verify_ntk_rows_and_cli(capsys):
    rows = vntk.check(ds=(4, 5, 6))
    assert [r.id for r in rows] == ["NTK"] and rows[0].verdict in {"consistent", "inconsistent"}
    per_d = rows[0].details["per_d"]
    assert [p["d"] for p in per_d] == [4, 5, 6] and all(p["all_inputs"] for p in per_d)
    assert per_d[0]["e2e"] == pytest.approx(per_d[0]["sub_max"])  # d = 4: one gate, the two settings coincide
    assert vntk.main(["--d", "4", "5", "--m", "16", "--json"]) == 0
    assert '"id": "NTK"' in capsys.readouterr().out


def test_verify_ntk_bad_input():
    from verify import cli
    with pytest.raises(SystemExit) as exc:
        vntk.main(["--d", "3"])
    assert exc.value.code == 2
    assert cli.guarded(vntk.main, ["--d", "6"]) == 2
