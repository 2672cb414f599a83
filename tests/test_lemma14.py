"""verify.lemma14: the variance of eq. 80 computed two ways, the Bessel identity, the verdict."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from numerics import circuits, ntk, rnn
from verify import lemma14 as l14


def direct_variance(W, fz, d, Y):
    """Var(H, F, W) by autograd: grad F_h for each h separately."""
    x = torch.as_tensor(circuits.all_inputs(d))
    grads = []
    for k in range(Y.shape[1]):
        Wg = W.clone().requires_grad_(True)
        p = rnn.outputs(Wg, fz, x)[:, d - 1]
        F = torch.nn.functional.softplus(-Y[:, k] * p).mean()
        grads.append(torch.autograd.grad(F, Wg)[0].flatten())
    G = torch.stack(grads)
    return float((G - G.mean(0)).square().sum(1).mean())


@pytest.mark.parametrize("d", [4, 6])
def test_variance_matches_autograd(d):
    W, fz = rnn.init(12, 0)
    x = torch.as_tensor(circuits.all_inputs(d))
    Y = torch.as_tensor(l14.class_labels(d, "end_to_end"))
    J = ntk.gradients(W, fz, x, d).reshape(len(x), -1)
    p = rnn.outputs(W, fz, x)[:, d - 1]
    assert l14.gradient_variance(J, p, Y) == pytest.approx(direct_variance(W, fz, d, Y), rel=1e-9)


def test_class_labels_are_the_subset_parities():
    d = 6
    Y = l14.class_labels(d, "end_to_end")
    x = circuits.all_inputs(d)
    assert Y.shape == (64, math.comb(6, 3))
    for k, S in enumerate(l14.parity_class(d)):
        assert (Y[:, k] == (-1.0) ** x[:, list(S)].sum(1)).all()
    first = l14.class_labels(d, "subtasks")
    for k, S in enumerate(l14.parity_class(d)):
        assert (first[:, k] == (-1.0) ** x[:, list(S[:2])].sum(1)).all()


def test_logistic_variance_is_a_quarter_of_the_character_variance():
    """l' = a(p) - y/2 for y = +-1, so Var = (1/4) Var_h E_x[h dp/dW] exactly (the Bessel step of eq. 90)."""
    d = 6
    W, fz = rnn.init(10, 1)
    x = torch.as_tensor(circuits.all_inputs(d))
    J = ntk.gradients(W, fz, x, d).reshape(len(x), -1)
    p = rnn.outputs(W, fz, x)[:, d - 1]
    Y = torch.as_tensor(l14.class_labels(d, "end_to_end"))
    C = Y.T @ J / len(x)
    char_var = float((C - C.mean(0)).square().sum(1).mean())
    assert l14.gradient_variance(J, p, Y) == pytest.approx(char_var / 4, rel=1e-10)
    assert char_var <= float(J.square().sum(1).mean()) / Y.shape[1] * (1 + 1e-12)


def test_bound_compared_per_model_and_the_control_flips(one_thread):
    (finding,) = l14.check(l14.Config(d=(4, 6), m=8, seeds=(0, 1)))
    deciding = [c for c in finding.comparisons if c.role == "check"]
    assert [(c.params["d"], c.params["seed"]) for c in deciding] == [(4, 0), (4, 1), (6, 0), (6, 1)]
    rows = finding.details["rows"]
    for c, r in zip(deciding, rows, strict=True):
        assert c.measured == r["var_e2e"] <= c.reference == r["bound"] and c.holds
        assert r["ratio_e2e"] <= 0.25 * (1 + 1e-9)  # Bessel's constant for the logistic loss
    (control,) = l14.controls([finding])
    assert control.flipped(finding.verdict)
    broken = [c for c in control.finding.comparisons if c.role == "check" and not c.holds]
    assert broken and all(c.measured > c.reference for c in broken)


def test_correlated_labels_are_not_orthogonal():
    Y = l14.correlated_labels(6)
    assert Y.shape == (64, math.comb(6, 3))
    gram = Y.T @ Y / 64
    assert set(np.unique(np.abs(gram))) == {1.0}  # every pair is +-1 correlated, unlike the parity class


def test_cli(capsys):
    from verify import cli

    assert cli.guarded(l14.main, ["--d", "5"]) == 2
    assert "even" in capsys.readouterr().err
    assert l14.main(["--d", "4", "--m", "8", "--seed", "0", "--json"]) == 0
