"""T4 (RNN half): the gap rule on censored steps-to-learn, its controls, one run's bookkeeping, the CLI."""

import math
import subprocess
import sys
from pathlib import Path

import pytest

from verify import cli, gap_rnn
from verify.gap_rnn import E2E, SUB, Arm, Config, Data, Run

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.usefixtures("one_thread")


def _runs(steps_sub, steps_e2e, ds=(4, 6, 8, 12), seeds=(0, 1, 2), budget=10**6, algorithm=3):
    """Runs with steps given as functions of (d, seed); a step count above the budget is censored."""
    out = []
    for d in ds:
        for s in seeds:
            for mode, fn in ((SUB, steps_sub), (E2E, steps_e2e)):
                steps = fn(d, s)
                out.append(Run(algorithm, mode, d, s, int(min(steps, budget)), steps <= budget, 0.0, 0.1, 0.5, 64, 1,
                               "exact", 0.0))
    return Data(tuple(out), Config(boot=60))


def noise(s):
    return (0.8, 1.0, 1.25)[s % 3]


GAP = _runs(lambda d, s: 10 * d**2 * noise(s), lambda d, s: 5 * math.exp(d) * noise(s))
SAME = _runs(lambda d, s: 10 * d**2 * noise(s), lambda d, s: 10 * d**2 * noise(s) * 1.1)


_DECIDED = {}


def _verdict(data):
    """decide() once per data set (the bootstrap refits are the slow part). The cache holds the data too: an
    id alone is reused once its object is freed, and a later test's data then read an earlier verdict."""
    if id(data) not in _DECIDED:
        (finding,) = gap_rnn.decide(data)
        _DECIDED[id(data)] = (data, finding)
    cached, finding = _DECIDED[id(data)]
    assert cached is data
    return finding


def test_clear_gap_is_consistent_with_every_check_holding():
    f = _verdict(GAP)
    assert f.verdict == "consistent" and f.part == gap_rnn.PARTS[3]
    checks = [c for c in f.comparisons if c.role == "check"]
    assert len(checks) == 3 and all(c.holds for c in checks)
    rate = checks[0]
    assert rate.measured == pytest.approx(1.0, abs=0.01)  # e2e steps: 5 e^d times a seed factor, rounded
    assert rate.interval[0] > 0.9


def test_same_rate_is_inconsistent():
    f = _verdict(SAME)
    assert f.verdict == "inconsistent"
    vs_local = f.comparisons[1]
    assert not vs_local.holds and vs_local.interval[0] <= vs_local.reference


def test_censored_end_to_end_runs_enter_the_fit_and_raise_the_rate():
    # the same exponential law, but everything above 5000 steps is censored at 5000 (d = 8, 12): still identified
    data = _runs(lambda d, s: 10 * d**2 * noise(s), lambda d, s: 5 * math.exp(d) * noise(s), budget=5000)
    e2e = [r for r in data.runs if r.supervision == E2E]
    assert any(not r.observed for r in e2e) and any(r.observed for r in e2e)
    f = _verdict(data)
    assert f.verdict == "consistent"
    assert f.comparisons[0].interval[0] > 0.5


def test_unidentified_rate_is_not_yet_checked_with_the_reason():
    data = _runs(lambda d, s: 10 * d**2, lambda d, s: 100 if d == 4 else 10**9, budget=5000)
    f = _verdict(data)
    assert f.verdict == "not yet checked" and "end-to-end rate is not identified" in f.not_checked


def test_likelihood_comparison_decides_only_over_a_wide_range():
    wide = _verdict(GAP).comparisons[2]
    narrow = _verdict(NARROW).comparisons[2]
    assert wide.quantity == narrow.quantity and wide.role == "check" and narrow.role == "context"
    assert _verdict(NARROW).verdict == "consistent"  # rates 1 vs local p/d: decided by checks 1-2


NARROW = _runs(lambda d, s: 10 * d**2 * noise(s), lambda d, s: 5 * math.exp(d) * noise(s), ds=(6, 8, 10))


def test_two_sizes_cannot_tell_power_from_exponential():
    f = _verdict(_runs(lambda d, s: 10 * d**2, lambda d, s: math.exp(d), ds=(6, 8)))
    assert f.verdict == "not yet checked" and ">= 3 sizes" in f.not_checked


@pytest.mark.parametrize("data", [GAP, SAME], ids=["gap", "same-rate"])
def test_control_flips_the_verdict(data):
    f = _verdict(data)
    (control,) = gap_rnn.controls([f])
    assert control.part == f.part and control.flipped(f.verdict)
    assert {f.verdict, control.verdict} == {"consistent", "inconsistent"}


def test_planted_same_rate_copies_the_sub_task_arm():
    planted = gap_rnn.planted_same_rate(GAP)
    sub = sorted((r.d, r.seed, r.steps) for r in planted.runs if r.supervision == SUB)
    e2e = sorted((r.d, r.seed, r.steps) for r in planted.runs if r.supervision == E2E)
    assert sub == e2e and len(sub) == 12


def test_arm_summary_counts_learned_runs():
    arm = Arm.of([(4, 10, True), (4, 30, True), (4, 100, False), (6, 50, False)])
    by = arm.by_size()
    assert by[4] == (3, 2, 20.0) and by[6][:2] == (1, 0) and math.isnan(by[6][2])


def test_run_one_censors_at_the_budget():
    cfg = Config(m=8, sgd_eta=0.01, sgd_batch=4, sgd_budget=20, sgd_every=10)
    r = gap_rnn.run_one(gap_rnn.train_config(cfg, 1, SUB, 8, 0))
    assert not r.observed and r.steps == 20 and 0 < r.final_error <= 1


def test_run_one_learns_d4_by_gd_at_a_multiple_of_every():
    cfg = Config(gd_budget=300, gd_every=10)
    r = gap_rnn.run_one(gap_rnn.train_config(cfg, 3, E2E, 4, 0))
    assert r.observed and r.final_error == 0.0 and r.steps % 10 == 0 and 0 < r.steps <= 300
    assert r.oracle == "exact" and r.batch == 1


def test_same_optimiser_in_both_arms():
    cfg = Config()
    for alg in (1, 3):
        a, b = (gap_rnn.train_config(cfg, alg, mode, 8, 1) for mode in (SUB, E2E))
        assert {k: v for k, v in vars(a).items() if k != "supervision"} == \
            {k: v for k, v in vars(b).items() if k != "supervision"}


def test_check_end_to_end_at_tiny_sizes():
    cfg = Config(gd_d=(4, 5, 6), sgd_d=(), seeds=(0, 1), gd_budget=400, workers=1, boot=50)
    (f,) = gap_rnn.check(cfg)
    runs = [Run(**r) for r in f.details["runs"]]
    assert f.part == gap_rnn.PARTS[3] and len(runs) == 12 and {r.algorithm for r in runs} == {3}
    for r in runs:  # learned runs stop at a zero-error evaluation; the others are censored at the budget
        assert (r.observed and r.final_error == 0.0 and r.steps % 10 == 0 and r.steps <= 400) or \
            (not r.observed and r.steps == 400)
    counts = {(c.quantity.split()[0], c.params["d"]): c.params["learned"] for c in f.comparisons
              if c.quantity.endswith("runs learned / median steps")}
    for name, mode in (("sub-task", SUB), ("end-to-end", E2E)):
        for d in (4, 5, 6):
            mine = [r for r in runs if r.supervision == mode and r.d == d]
            assert counts[(name, d)] == f"{sum(r.observed for r in mine)}/{len(mine)}"


def _run_main(capsys, *args):
    """The CLI in-process: (exit code, stderr lines)."""
    try:
        code = cli.guarded(gap_rnn.main, list(args))
    except SystemExit as exc:  # argparse's one-line error
        code = exc.code
    return code, capsys.readouterr().err.strip().splitlines()


@pytest.mark.parametrize("args", [["--gd-d", "3"], ["--oracle", "nope"], ["--gd-d", "4", "4", "--sgd-d", "6"],
                                  ["--seeds"], ["--sigma", "nan"]])
def test_cli_bad_input_is_one_line_exit_2(capsys, args):
    code, err = _run_main(capsys, *args)
    assert code == 2 and len(err) == 1 and "error" in err[0]


def test_cli_as_a_subprocess_is_one_line_exit_2():
    proc = subprocess.run([sys.executable, "-m", "verify.gap_rnn", "--gd-d", "4", "4"], cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert "distinct" in proc.stderr
