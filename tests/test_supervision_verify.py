"""verify.supervision (SUP): the rule on planted runs (both sanity checks, each failing alone), the control
flips, unidentified arms are "not yet checked", the figure and table, and the CLI on bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from verify import supervision as sup
from verify.evidence import NOT_CHECKED
from verify.figures import Figure, svg


def planted(rates: dict[str, float], ds=(8, 10, 12), seeds=(0, 1, 2), budget=4000, a=2.0, noise=0.15):
    """Runs with log steps = a + r d + noise per scheme, censored at the budget (seeded)."""
    rng = np.random.default_rng(0)
    runs = []
    for s, r in rates.items():
        for d in ds:
            for seed in seeds:
                steps = math.exp(a + r * d + noise * rng.standard_normal())
                obs = steps < budget
                k = 1 if s == "none" else 2
                runs.append(sup.Run("rnn", s, "removed", d, seed, int(min(steps, budget)), bool(obs), k, d // 2 - 1,
                                    d // 2 if s == "none" else 2, 0.0))
    return runs


def finding(runs):
    return sup.decide_part(runs, part="RNN, SGD", scope="planted", reps=30)


@pytest.fixture(autouse=True)
def _few_control_reps(monkeypatch):
    monkeypatch.setattr(sup, "CONTROL_REPS", 30)


def test_known_arms_measured_and_the_control_flips():
    f = finding(planted({"full": 0.1, "none": 0.45, "budget:2": 0.2}, seeds=(0, 1, 2, 3)))
    assert f.verdict == "measured"
    checks = [c for c in f.comparisons if c.role == "check"]
    assert len(checks) == 2 and all(c.holds for c in checks)
    # the fitted rates are reported with intervals, as context
    rate = {c.params["scheme"]: c for c in f.comparisons if c.quantity.startswith("rate r") and c.role == "context"}
    assert set(rate) == {"full", "budget:2"}
    assert abs(rate["full"].measured - 0.1) < 0.05 and rate["full"].interval[0] < rate["full"].measured
    (control,) = sup.controls([f])
    assert control.verdict != f.verdict and control.flipped(f.verdict)


def test_an_inconsistent_part_gets_the_paper_arms_planted_and_flips():
    """The control is two-sided: a part that is already inconsistent (here none as fast as full, one seed's full run
    censored) gets the two arms planted on its own sizes and seeds, and the rule must then say measured."""
    runs = planted({"full": 0.2, "none": 0.2})
    runs = [sup.Run(**{**r.__dict__, "steps": 4000, "observed": False}) if r.scheme == "full" and r.d == 12
            and r.seed == 0 else r for r in runs]
    f = finding(runs)
    assert f.verdict == "inconsistent"
    (control,) = sup.controls([f])
    assert control.finding.verdict == "measured" and control.flipped(f.verdict)
    assert "paper's two arms" in control.planted


def test_slow_full_supervision_is_inconsistent():
    # full supervision censored at the largest size: the first sanity check fails alone
    runs = planted({"full": 0.1, "none": 0.6}, budget=4000)
    runs = [sup.Run(**{**r.__dict__, "steps": 4000, "observed": False}) if r.scheme == "full" and r.d == 12 else r
            for r in runs]
    f = finding(runs)
    held = [c.holds for c in f.comparisons if c.role == "check"]
    assert held[0] is False and f.verdict == "inconsistent"


def test_none_as_fast_as_full_is_inconsistent():
    runs = planted({"full": 0.2, "none": 0.2})
    runs = [*[r for r in runs if r.scheme == "full"],
            *[sup.Run(**{**r.__dict__, "scheme": "none"}) for r in runs if r.scheme == "full"]]
    f = finding(runs)
    assert [c.holds for c in f.comparisons if c.role == "check"] == [True, False]
    assert f.verdict == "inconsistent"


def test_unidentified_none_rate_is_not_checked():
    runs = planted({"full": 0.1, "none": 2.0}, budget=200)  # none censored everywhere
    f = finding(runs)
    assert f.verdict == NOT_CHECKED and "not identified" in f.not_checked
    assert sup.decide_part([r for r in runs if r.scheme == "full"], part="p", scope="s", reps=50).verdict == NOT_CHECKED


def test_table_and_figure():
    runs = planted({"full": 0.1, "none": 0.45})
    f = finding(runs)
    rows = {(r["scheme"], r["d"]): r for r in f.details["table"]}
    assert rows[("full", 8)]["runs"] == 3 and rows[("none", 12)]["fanin"] == 6
    fig = Figure.from_json(f.details["figures"][0])
    assert [s.name for s in fig.series] == ["full", "none"] and fig.series[0].x == (8.0, 10.0, 12.0)
    assert svg(fig).count('class="series"') == 2
    pooled = [c for c in f.comparisons if c.quantity.startswith("pooled law")]
    assert pooled and pooled[0].measured > 0


def test_shape_of_schemes():
    assert sup.shape("full", 12, 0) == (5, 5, 2)
    assert sup.shape("none", 12, 0) == (1, 5, 6)
    assert sup.shape("budget:2", 12, 0)[0] == 2


def test_tiny_measurement_end_to_end():
    cfg = sup.Config(d=(4, 6), schemes=("full", "none"), seeds=(0, 1), budget=40, every=20, batch=16, m=8,
                     workers=1, boot=50, decoder=False, ntk_d=(4, 6))
    data = sup.measure(cfg)
    assert [(r["scheme"], r["d"]) for r in data.ntk] == [("full", 4), ("none", 4), ("full", 6), ("none", 6)]
    assert len(data.runs) == 8 and {r.scheme for r in data.runs} == {"full", "none"}
    for r in data.runs:
        assert r.steps <= 40 and (r.observed or r.steps == 40) and r.steps % 20 == 0
    (f,) = sup.decide(data)
    assert f.part == sup.PARTS["rnn"]


def test_decoder_part_without_store_is_not_checked(tmp_path, monkeypatch):
    spec = tmp_path / "s.toml"
    spec.write_text(f'store = "{tmp_path / "none"}"\n[[grid]]\nd = 8\nsupervision = "subtasks"\npartial = "budget:2"\n')
    runs, note = sup.decoder_runs(spec)
    assert runs == [] and "no stored decoder runs" in note


def test_decoder_runs_read_another_store(tmp_path):
    """``decoder_store``: the spec's runs are read from a sweep's --store; the spec's own store stays unread."""
    from numerics.sweep import load_spec, run_one

    spec = tmp_path / "s.toml"
    spec.write_text(f'store = "{tmp_path / "missing"}"\n[defaults]\nn_layer = 1\nn_head = 2\nn_embd = 16\n'
                    'lr = 3e-3\nmax_steps = 30\n[[grid]]\nd = 8\nsupervision = "subtasks"\npartial = "budget:2"\n')
    (config,) = load_spec(spec).runs
    run_one(config, str(tmp_path / "other"))
    runs, note = sup.decoder_runs(spec, tmp_path / "other")
    assert [(r.arch, r.scheme, r.d, r.labels) for r in runs] == [("decoder", "budget:2", 8, 2)]
    assert runs[0].steps <= 30 and str(tmp_path / "other") in note
    none, why = sup.decoder_runs(spec)
    assert none == [] and "missing" in why


@pytest.mark.parametrize("argv", [["--schemes", "most"], ["--d", "2"], ["--mode", "hidden"], ["--budget", "nan"]])
def test_cli_refuses_bad_input(argv, capsys):
    from verify import cli

    try:
        code = cli.guarded(sup.main, argv)
    except SystemExit as exc:  # argparse's one-line error
        code = exc.code
    assert code == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_ntk_norms_of_the_extremes_are_the_two_arms():
    from numerics import ntk
    from numerics.circuits import all_inputs, parity_tree, random_subset

    rows = {r["scheme"]: r for r in sup.ntk_norms(["full", "none"], [8])}
    c, x = parity_tree(8, random_subset(8, 0)), all_inputs(8)
    sub = [pg.label_norm() for pg in ntk.labelled_grams(c, x, "subtasks")]
    (e2e,) = [pg.label_norm() for pg in ntk.labelled_grams(c, x, "end_to_end")]
    assert rows["full"]["norms"] == pytest.approx(sub, rel=1e-12)
    assert rows["none"]["norms"] == pytest.approx([e2e], rel=1e-12) and rows["none"]["fanin"] == 4
    comps = sup.ntk_comparisons(sup.ntk_norms(["none"], [4, 6, 8]))
    assert all(c.role == "context" for c in comps) and comps[-1].interval is not None
