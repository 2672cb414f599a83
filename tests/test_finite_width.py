"""LIN, OUT, GRAD (rate) in verify.finite_width: the rules on planted laws, the measurement at small sizes,
and the controls."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from numerics import probes, rnn
from verify import cli
from verify import finite_width as fw

SMALL = fw.Config(d=(4, 6, 8), seeds=(0, 1, 2), inputs=4, steps=2, lin_widths=(16, 32, 64), lin_d=4,
                  lin_cs=(2**-8, 2**-6, 2**-4, 2**-2, 1.0))


@pytest.fixture(scope="module")
def small_data():
    return fw.measure(SMALL)


def series(Ts, values, seeds=3, noise=0.05):
    rng = np.random.default_rng(0)
    rows = [{"T": T, "m": T * T, "seed": s, "step": 0, "rho": 0.0, "grad": v * math.exp(rng.normal(0, noise)),
             "out": v * math.exp(rng.normal(0, noise))} for T, v in zip(Ts, values, strict=True) for s in range(seeds)]
    return pd.DataFrame(rows)


def deciding(finding):
    return [c for c in finding.comparisons if c.role != "context"]


@pytest.mark.parametrize("claim", ["GRAD", "OUT"])
def test_constant_rule_accepts_polynomial_growth_below_the_bound(claim):
    Ts = np.array([8, 16, 32, 64])
    k = fw.BOUND_K[claim]
    finding = fw.decide_constant(series(Ts, Ts ** (k - 0.5)), claim)
    assert all(c.holds for c in deciding(finding))


@pytest.mark.parametrize("claim", ["GRAD", "OUT"])
def test_constant_rule_rejects_exponential_growth_and_growth_at_the_bound_plus_one(claim):
    Ts = np.array([8, 16, 32, 64])
    k = fw.BOUND_K[claim]
    for values in (np.exp(Ts / 4.0), Ts ** (k + 1.0)):
        assert not all(c.holds for c in deciding(fw.decide_constant(series(Ts, values), claim)))


def lin_frame(power, widths=(64, 256, 1024), m_power=0.0):
    rng = np.random.default_rng(1)
    rows = []
    for m in widths:
        for s in range(3):
            for c in (2**-10, 2**-8, 2**-6, 2**-4, 2**-2, 1.0):
                r = c / math.sqrt(m)
                rows.append({"m": m, "seed": s, "c": c, "r": r, "T": 16, "d": 12,
                             "err": r**power * m**m_power * math.exp(rng.normal(0, 0.1))})
    return pd.DataFrame(rows)


def test_lin_rule_on_planted_errors():
    assert all(c.holds for c in deciding(fw.decide_lin(lin_frame(1.5))))
    linear = fw.decide_lin(lin_frame(1.0))
    assert not any(c.holds for c in deciding(linear) if "in r" in c.quantity)
    growing = fw.decide_lin(lin_frame(1.5, m_power=1.5))  # error / (r^(4/3) sqrt(m) log m) grows with m
    assert not next(c for c in deciding(growing) if "in m" in c.quantity).holds


def test_planted_linear_error_is_linear_and_meets_the_measured_error_at_the_largest_radius():
    lin = lin_frame(1.5)
    planted = fw.planted_linear(lin)
    top = lin.r == lin.groupby("m").r.transform("max")
    np.testing.assert_allclose(planted.err[top], lin.err[top])
    for _, g in planted.groupby(["m", "seed"]):
        np.testing.assert_allclose(g.err / g.r, (g.err / g.r).iloc[0])


def test_planted_growing_constant_grows_like_sqrt_m_and_keeps_the_r_profile():
    lin = lin_frame(1.5)
    planted = fw.planted_growing(lin)
    C = fw.lin_constants(planted).groupby("m").max()
    np.testing.assert_allclose(C.to_numpy(), C.iloc[0] * (C.index.to_numpy() / C.index[0]) ** 0.5)
    ratio = planted.err / lin.err
    np.testing.assert_allclose(ratio, ratio.groupby([lin.m, lin.seed]).transform("first"), rtol=1e-12)


def test_measured_maxima_are_the_probes_maxima(small_data):
    """M_T at step 0 is the max over inputs and positions t = d..T of the exact per-position norms."""
    row = small_data.bounds[(small_data.bounds.step == 0) & (small_data.bounds.seed == 1)].iloc[-1]
    circuit = fw.task(int(row.d))
    W0, fz = rnn.init(int(row.m), 1)
    from numerics.sequences import build, sample_inputs

    z = torch.as_tensor(build(circuit, sample_inputs(int(row.d), SMALL.inputs, 1001), "subtasks").z)
    norms = probes.grad_norms(W0, fz, z, range(int(row.d), circuit.T + 1))
    assert row.grad == pytest.approx(float(norms.max()), rel=1e-12)
    assert row.m >= row["T"] ** 2 and row.rho == 0.0


def test_bounds_are_measured_along_the_run(small_data):
    b = small_data.bounds
    assert sorted(set(b.step)) == [0, 1, 2]
    assert (b[b.step > 0].rho > 0).all()
    assert sorted(set(b["T"])) == sorted(fw.task(d).T for d in SMALL.d)


def test_lin_error_is_second_order_small_at_the_smallest_radius(small_data):
    lin = small_data.lin
    smallest = lin[lin.c == lin.c.min()]
    assert (smallest.err < smallest.r).all()  # o(r): the linearisation is first-order exact


def test_controls_flip_on_measured_data(small_data):
    findings = fw.decide(small_data)
    assert [(f.id, f.part) for f in findings] == [("LIN", ""), ("OUT", ""), ("GRAD", "rate")]
    for control in fw.controls(findings, small_data):
        assert control.verdict == "inconsistent"
        if "e^T" in control.planted:
            assert not next(c for c in control.finding.comparisons if "exponent" in c.quantity).holds
        if "C_m grows" in control.planted:
            assert not next(c for c in control.finding.comparisons if "exponent in m" in c.quantity).holds


def test_config_validation_and_cli():
    with pytest.raises(ValueError, match=">= 3 distinct"):
        fw.measure(fw.Config(d=(6, 12)))
    with pytest.raises(ValueError, match=">= 5 distinct radii"):
        fw.measure(fw.Config(lin_cs=(0.1, 0.2, 0.3)))
    assert cli.guarded(fw.main, ["--lin-widths", "64", "128"]) == 2
