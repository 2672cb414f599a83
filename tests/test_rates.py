"""A2/A3 (verify.rates): the per-step relations of eq. 25-29 / 54-58 on real runs, the width-law rule on
planted power laws, the rogue-oracle control, and the sigma-term comparison."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from verify import cli, rates

SMALL = rates.Config(d=4, widths=(16, 32, 64), seeds=(0, 1, 2), steps=4, oracles=("inflate", "round"))


@pytest.fixture(scope="module")
def small_data():
    return rates.measure(SMALL)


def by_quantity(finding, start):
    (c,) = [c for c in finding.comparisons if c.quantity.startswith(start)]
    return c


def test_every_step_is_recorded(small_data):
    runs = small_data.groupby(["algorithm", "m", "seed", "oracle"])
    assert runs.ngroups == 2 * 3 * 3 * 2
    assert all(sorted(g.step) == list(range(1, SMALL.steps + 1)) for _, g in runs)
    assert set(small_data["T"]) == {rates.target(rates.TrainConfig(d=4)).T}  # T of the circuit, not a formula


def test_algorithm_3_averages_over_the_whole_cube_and_algorithm_2_draws_one_input(small_data):
    assert set(small_data[small_data.algorithm == 3].batch_n) == {2**SMALL.d}
    assert set(small_data[small_data.algorithm == 2].batch_n) == {1}


def test_identities_hold_to_float64_rounding(small_data):
    assert small_data.update_ratio.max() <= 1.0 + 1e-9  # eq. 26 / 55 entrywise, in units of the rounding bound
    assert small_data.chain_rel.max() <= rates.REL_TOL  # eq. 27 / 56: two gradient paths agree
    assert small_data.oracle_inf_ratio.max() <= 1.0  # the oracle stays in the sigma-ball, exactly


def test_bounds_hold_at_every_step(small_data):
    assert (small_data.dist <= small_data.cum * (1 + rates.REL_TOL)).all()  # eq. 25 / 54
    assert (small_data.jensen_ratio <= 1 + rates.REL_TOL).all()  # eq. 28 / 57
    assert (small_data.step_ratio <= 1 + rates.REL_TOL).all()  # eq. 29 / 58
    # Algorithm 3 moves along nearly one direction: the triangle inequality is almost tight there
    a3 = small_data[(small_data.algorithm == 3) & (small_data.step == SMALL.steps)]
    assert (a3.dist / a3.cum).min() > 0.5


def test_inflate_attains_the_frobenius_size_m_sigma(small_data):
    inflate = small_data[small_data.oracle == "inflate"]
    np.testing.assert_allclose(inflate.sigma_fro_ratio, 1.0, rtol=1e-9)
    np.testing.assert_allclose(inflate.sigma_term, inflate.eta * inflate.m * inflate.sigma, rtol=1e-9)


def test_findings_decide_from_the_per_step_comparisons(small_data):
    findings = rates.decide(small_data)
    assert [(f.id, f.part) for f in findings] == [("A2", "steps"), ("A2", "sigma term"), ("A3", "steps"),
                                                  ("A3", "sigma term")]
    for f in findings[::2]:
        per_step = [c for c in f.comparisons if c.role == "check" and "exponent" not in c.quantity]
        assert len(per_step) == 7 and all(c.holds for c in per_step)
    for f in findings[1::2]:
        printed = [c for c in f.comparisons if c.role == "printed"]
        corrected = [c for c in f.comparisons if c.role == "corrected"]
        assert printed and corrected
        assert corrected[0].measured == pytest.approx(-1.0, abs=1e-9)  # eta m sigma = 1/(m sqrt n)
        assert not printed[0].holds


def _final(ms, dist):
    return pd.DataFrame({"oracle": "inflate", "step": 4, "n": 4, "m": ms, "dist": dist})


def test_width_rule_separates_one_over_m_from_one_over_sqrt_m():
    ms = np.repeat([64.0, 128.0, 256.0], 3)
    noise = np.exp(np.random.default_rng(0).normal(0, 0.02, ms.size))
    one = rates.width_fit(_final(ms, 3.0 / ms * noise))
    half = rates.width_fit(_final(ms, 3.0 / np.sqrt(ms) * noise))
    assert one.slope_ci[1] < -1 + rates.P_MARGIN < half.slope_ci[0]


def test_rogue_oracle_breaks_the_ball_and_the_sigma_bound(one_thread):
    rogue = rates.rogue_run(2, 16, 0, 4, 2)
    assert rogue.oracle_inf_ratio.min() == pytest.approx(2.0)
    assert rogue.sigma_fro_ratio.min() == pytest.approx(2.0)


def test_controls_flip_the_deciding_comparisons(small_data):
    findings = rates.decide(small_data)
    ctl = rates.controls(findings, small_data)
    assert len(ctl) == 6
    for c in ctl:
        assert c.verdict in {"inconsistent", "fails"}
        failing = [x.quantity for x in c.finding.comparisons if x.role != "context" and not x.holds]
        if "outside" in c.planted and c.part == "steps":
            assert any("‖G - ∇ℓ‖_inf" in q for q in failing)
        elif "outside" in c.planted:
            assert any("‖sigma_k‖_F / (m sigma)" in q for q in failing)
        else:
            assert failing == [next(x.quantity for x in c.finding.comparisons if "exponent p" in x.quantity)]


def test_config_validation_and_cli():
    with pytest.raises(ValueError, match="3 distinct widths"):
        rates.measure(rates.Config(widths=(16, 32)))
    with pytest.raises(ValueError, match="inflate"):
        rates.measure(rates.Config(oracles=("round",)))
    assert cli.guarded(rates.main, ["--widths", "16", "32"]) == 2
    with pytest.raises(SystemExit) as exc:  # the parser refuses an oracle outside the choices
        rates.main(["--oracles", "exact"])
    assert exc.value.code == 2
