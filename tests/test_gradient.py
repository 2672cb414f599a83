"""GRAD exact half: eq. 76 as printed vs the corrected closed form, both against autograd."""

import torch

from numerics import rnn
from verify import gradient


def test_corrected_variant_is_the_closed_form_and_printed_is_not():
    W, fz = rnn.init(10, 3)
    z = torch.tensor([0, 1, 1, 0, 1, 0, 0, 1])
    W = W.requires_grad_(True)
    f = rnn.outputs(W, fz, z[None])[0]
    (auto,) = torch.autograd.grad(f[5], W)
    v = gradient.variants(W.detach(), fz, z, 6)
    assert torch.allclose(v["corrected"], auto, rtol=1e-12, atol=1e-14)
    assert not torch.allclose(v["printed"], auto, rtol=1e-2)


def test_chain_order():
    """Π_{j=lo}^{hi} (W^T D_j) in increasing order equals the explicit product (and differs from decreasing)."""
    g = torch.Generator().manual_seed(0)
    W = torch.randn(4, 4, generator=g, dtype=torch.float64)
    D = (torch.randn(3, 4, generator=g) > 0).double()
    up = gradient._chain(W, D, 2, 3, ascending=True)
    down = gradient._chain(W, D, 2, 3, ascending=False)
    assert torch.allclose(up, W.T @ torch.diag(D[1]) @ W.T @ torch.diag(D[2]))
    assert torch.allclose(down, W.T @ torch.diag(D[2]) @ W.T @ torch.diag(D[1]))


def test_finding_compares_errors_against_autograd_and_controls_flip():
    config = gradient.Config(m=12, seeds=(0, 1), scale=(1.0,))
    (finding,) = gradient.check(config)
    assert finding.part == "eq. 76"
    printed, ours, explicit = finding.comparisons[:3]
    assert ours.role == explicit.role == "corrected" and ours.measured <= 1e-10 and explicit.measured <= 1e-10
    assert printed.role == "printed" and printed.measured > 1e-2 and not printed.holds
    assert finding.conclusion_survives
    controls = gradient.controls([finding])
    assert all(c.flipped(finding.verdict) for c in controls)
    as_ours = controls[0].finding.comparisons[1]
    assert as_ours.role == "corrected" and not as_ours.holds


def test_cli_rejects_bad_values(capsys):
    from verify import cli

    for argv in (["--m", "1"], ["--scale", "nan"], ["--seed", "-1"]):
        try:
            code = cli.guarded(gradient.main, argv)
        except SystemExit as exc:
            code = exc.code
        assert code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 3
