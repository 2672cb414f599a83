"""TAB1, FIG4, T4 (transformer): the chance guard, censored steps from curves, the rules and their controls,
stores (any path, foreign stores), the CLI."""

import math
import shutil
import subprocess
import sys
from math import comb
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numerics import store
from numerics.transformer import eval_every, holdout_size
from verify import cli, table1
from verify.table1 import ALPHA, Data

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.usefixtures("one_thread")


def _tail(v, c):
    """P(Bin(v, 1/2) >= c), exactly."""
    return sum(comb(v, j) for j in range(c, v + 1)) / 2**v


@given(st.integers(1, 400), st.integers(1, 300))
def test_guarded_level_is_the_lowest_level_chance_passes_rarely(v, k):
    level = table1.guarded_level(v, k)
    c0 = math.floor(0.6 * v + 1e-9) + 1
    if level is None:
        assert k * _tail(v, v) >= ALPHA
        return
    c = c0 if level == 0.6 else round(level * v + 0.5)
    assert c0 <= c <= v and k * _tail(v, c) < ALPHA
    assert c == c0 or k * _tail(v, c - 1) >= ALPHA  # one count lower is not evidence
    assert table1.chance(v, k, level) == pytest.approx(k * _tail(v, c), rel=1e-9, abs=1e-300) or \
        table1.chance(v, k, level) == 1.0


@given(st.integers(1, 20_000), st.sampled_from([1, 10, 50]), st.sampled_from([10, 20]))
def test_evaluations_count_the_schedule(budget, eval_min, per_doubling):
    steps = [s for s in range(1, budget + 1) if s % eval_every(s, eval_min, per_doubling) == 0]
    if not steps or steps[-1] != budget:
        steps.append(budget)
    assert table1.evaluations(budget, eval_min, per_doubling) == len(steps)


def test_paper_fits_are_table_1_re_derived():
    f = table1.paper_fits()
    d = np.array(list(table1.PAPER_WITH), float)
    y = np.log(list(table1.PAPER_WITH.values()))
    assert f["with"].slope == pytest.approx(np.polyfit(np.log(d), y, 1)[0], rel=1e-12)
    assert f["with"].slope == pytest.approx(2.41, abs=0.005) and f["with"].slope_ci[0] > 2
    assert f["without"].slope == pytest.approx(0.91, abs=0.005) and f["without"].slope_ci[1] < 1


def _curve(t60, t95, budget, d, level_after=0.97):
    """A curve on the real evaluation schedule: 50% before t60, 70% until t95, then level_after."""
    steps = table1._schedule(budget)
    acc = [0.5 if s < t60 else (0.7 if s < t95 else level_after) for s in steps]
    return steps, acc, budget


def _runs(spec):
    """{(mode, d, seed): (t60, t95, budget)} -> runs, through the store layout and runs_of."""
    return table1.runs_of(table1.curve_frame({k: _curve(*v, d=k[1]) for k, v in spec.items()}))


def test_runs_of_measures_the_guarded_level_and_censors():
    runs = _runs({("subtasks", 12, 1): (100, 200, 1000), ("end_to_end", 8, 1): (100, 300, 1000),
                  ("end_to_end", 12, 1): (5000, 6000, 1000)}).set_index(["supervision", "d"])
    assert runs.loc[("subtasks", 12), "steps"] == 100 and runs.loc[("subtasks", 12), "observed"]
    # 8 bits: 32 validation inputs; 70% is not evidence there, the 97% reached at step 300 is
    assert runs.loc[("end_to_end", 8), "level"] > 0.8 and runs.loc[("end_to_end", 8), "steps"] == 300
    assert runs.loc[("end_to_end", 8), "iters_60"] == 100
    assert not runs.loc[("end_to_end", 12), "observed"] and runs.loc[("end_to_end", 12), "steps"] == 1000
    assert runs.loc[("subtasks", 12), "v"] == holdout_size(12) == 512


def _gap_runs(e2e_steps):
    spec = {}
    for k, s in enumerate((27, 67, 93)):
        f = (0.8, 1.0, 1.25)[k]
        for d in (12, 16, 20, 24):
            t = round(f * d**2 / 10) * 10
            spec[("subtasks", d, s)] = (t, t + 50, 20_000)
        for d in (12, 13, 14, 15):
            t = round(e2e_steps(d) * f / 10) * 10
            spec[("end_to_end", d, s)] = (t, t + 50, 20_000)
    return _runs(spec)


GAP = _gap_runs(lambda d: 20 * math.exp(0.7 * (d - 12)) * 12)
SAME = _gap_runs(lambda d: d**2 * 1.05)
_DECIDED = {}


def _decide(runs, name):
    """decide() once per synthetic data set (the bootstrap refits are the slow part)."""
    if name not in _DECIDED:
        _DECIDED[name] = table1.decide(Data(runs, "synthetic", boot=60))
    return _DECIDED[name]


def test_gap_is_consistent_and_no_gap_is_not():
    gap = {f.id: f for f in _decide(GAP, "gap")}
    same = {f.id: f for f in _decide(SAME, "same")}
    for cid in ("TAB1", "T4"):
        assert gap[cid].verdict == "consistent", gap[cid].evidence
        assert same[cid].verdict == "inconsistent"
        rate = gap[cid].comparisons[0]
        assert rate.interval[0] > 0.4 and rate.measured == pytest.approx(0.7, abs=0.1)
    assert gap["T4"].part == "transformer"
    context = [c for c in gap["TAB1"].comparisons if c.source == "Table 1"]
    assert [round(c.measured, 2) for c in context] == [2.41, 0.91]


@pytest.mark.parametrize("name", ["gap", "same"])
def test_tab1_and_t4_controls_flip(name):
    findings = _decide({"gap": GAP, "same": SAME}[name], name)
    for control in table1.controls(findings):
        paper = next(f for f in findings if f.id == control.id)
        assert control.flipped(paper.verdict), (control.id, paper.verdict, control.verdict)


def test_fig4_sharp_transition_is_consistent_and_slow_is_not():
    sharp = {f.id: f for f in _decide(GAP, "gap")}["FIG4"]
    assert sharp.verdict == "consistent"
    guard, ratio = sharp.comparisons[:2]
    assert guard.holds and guard.measured < ALPHA and ratio.interval[1] < 1
    slow = _runs({("subtasks", 12, s): (100, 900 + 10 * s, 2000) for s in range(3)})
    (fig4,) = [f for f in table1.decide(Data(slow, "synthetic", boot=60)) if f.id == "FIG4"]
    assert fig4.verdict == "inconsistent" and fig4.comparisons[1].measured == pytest.approx(8.1, abs=0.2)


def test_fig4_chance_curves_fail_the_guard():
    runs = table1.runs_of(table1.chance_curves())
    assert (runs.iters_60.notna()).all()  # 32 inputs at chance: every curve passes 60% somewhere
    (fig4,) = [f for f in table1.decide(Data(runs, "planted", fig4_min_d=8, boot=60)) if f.id == "FIG4"]
    assert fig4.verdict == "inconsistent"
    assert not fig4.comparisons[0].holds and fig4.comparisons[0].measured == 1.0


SLOW = _runs({("subtasks", 12, s): (100, 900, 2000) for s in range(3)})


@pytest.mark.parametrize("name", ["gap", "slow"])
def test_fig4_control_flips(name):
    findings = _decide({"gap": GAP, "slow": SLOW}[name], name)
    fig4 = next(f for f in findings if f.id == "FIG4")
    (control,) = table1.controls([fig4])
    assert control.flipped(fig4.verdict)


def test_no_run_past_60_percent_is_not_yet_checked():
    runs = _runs({("subtasks", 12, 1): (5000, 6000, 1000), ("end_to_end", 12, 1): (5000, 6000, 1000)})
    found = {f.id: f for f in table1.decide(Data(runs, "synthetic", boot=60))}
    assert all(f.verdict == "not yet checked" for f in found.values())
    assert table1.controls(list(found.values())) == []  # nothing measured, nothing to oppose


def _tiny(**changes):
    base = dict(with_d=(8,), without_d=(8,), seeds=(27,), with_budget=30, without_budget=30, n_layer=1, n_head=2,
                n_embd=16, workers=1, boot=60)
    return table1.Config(**{**base, **changes})


def test_store_and_in_process_give_the_same_runs_from_any_path(tmp_path):
    """The same runs: trained now, written by the sweep's run_one, read from two paths."""
    from numerics.sweep import run_one

    cfg = _tiny()
    trained = table1.runs_of(table1.train_all(cfg)).drop(columns="run").sort_values("supervision")
    for c in cfg.run_configs():
        run_one(c, str(tmp_path / "a"))
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    a, b = (table1.measure(table1.Config(store=str(tmp_path / p), boot=60)) for p in "ab")
    for data in (a, b):
        got = data.runs.drop(columns="run").sort_values("supervision")
        pd.testing.assert_frame_equal(got.reset_index(drop=True), trained.reset_index(drop=True))
    fa, fb = table1.decide(a), table1.decide(b)
    assert [f.verdict for f in fa] == [f.verdict for f in fb]
    assert [[c.measured for c in f.comparisons] for f in fa] == [[c.measured for c in f.comparisons] for f in fb]


def test_load_store_refuses_a_non_decoder_store(tmp_path):
    store.write(tmp_path, {"d": 8, "m": 64, "algorithm": 1}, pd.DataFrame({"step": [0], "metric": ["loss"],
                                                                            "t": [-1], "value": [0.7]}))
    with pytest.raises(ValueError, match="not a decoder store"):
        table1.load_store(tmp_path)


def _run_main(capsys, *args):
    """The CLI in-process: (exit code, stderr lines)."""
    try:
        code = cli.guarded(table1.main, list(args))
    except SystemExit as exc:  # argparse's one-line error
        code = exc.code
    return code, capsys.readouterr().err.strip().splitlines()


def test_cli_non_decoder_store_is_one_line_exit_2(tmp_path):
    store.write(tmp_path, {"d": 8, "m": 64}, pd.DataFrame({"step": [0], "value": [0.7]}))
    proc = subprocess.run([sys.executable, "-m", "verify.table1", "--store", str(tmp_path)], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert "not a decoder store" in proc.stderr and "Traceback" not in proc.stderr


def test_cli_foreign_shard_is_one_line_exit_2(tmp_path, capsys):
    pq.write_table(pa.table({"a": [1]}), tmp_path / "feedfacefeedface.parquet")
    code, err = _run_main(capsys, "--store", str(tmp_path))
    assert code == 2 and len(err) == 1 and "feedfacefeedface.parquet" in err[0]


@pytest.mark.parametrize("args", [["--store", "/nonexistent/store"], ["--with-d", "2"], ["--lr", "inf"]])
def test_cli_bad_input_is_one_line_exit_2(capsys, args):
    code, err = _run_main(capsys, *args)
    assert code == 2 and len(err) == 1 and "error" in err[0]


def test_tab1_figure_shows_both_arms_the_fitted_laws_and_table_1():
    from verify.figures import from_finding

    tab1 = next(f for f in _decide(GAP, "gap") if f.id == "TAB1")
    (fig,) = from_finding(tab1)
    names = [s.name for s in fig.series]
    assert any(n.startswith("sub-task runs") for n in names) and any(n.startswith("end-to-end runs") for n in names)
    fitted = next(s for s in fig.series if s.name.startswith("end-to-end fit"))
    rate = tab1.comparisons[0].measured
    assert math.log(fitted.y[-1] / fitted.y[0]) / (fitted.x[-1] - fitted.x[0]) == pytest.approx(rate)
    paper = next(s for s in fig.series if s.name == "paper, without")
    assert dict(zip(paper.x, paper.y, strict=True)) == {float(k): float(v) for k, v in table1.PAPER_WITHOUT.items()}
