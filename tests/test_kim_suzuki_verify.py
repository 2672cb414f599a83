"""verify.kim_suzuki: the KS rows' rules on tiny sizes, and every control flips its row's verdict."""

from dataclasses import replace

import pytest

from verify import kim_suzuki as K
from verify.evidence import NOT_CHECKED

TINY = K.Config(grad_ds=(16, 32), grad_ratios=(1.0, 4.0, 16.0), grad_seeds=(0, 1), step_ds=(24, 32, 40, 48), d=16,
                ks=(8,), etas=(15.0,), n=1000, epochs=80, every=5, n_eval=512, rnn_d=4, rnn_m=32, rnn_steps=40,
                rnn_targets=(0, 5))


@pytest.fixture(scope="module")
def tiny():
    data = K.measure(TINY)
    findings = K.decide(data)
    return data, findings, K.controls(findings, TINY)


def test_every_row_is_checked_with_comparisons(tiny):
    _, findings, _ = tiny
    assert {f.id for f in findings} == set(K.CLAIMS)
    for f in findings:
        assert f.verdict != NOT_CHECKED and any(c.role == "check" for c in f.comparisons), (f.id, f.part)


def test_every_control_flips(tiny):
    _, findings, controls = tiny
    verdict = {(f.id, f.part): f.verdict for f in findings}
    assert {(c.id, c.part) for c in controls} == set(verdict)
    for c in controls:
        assert c.flipped(verdict[(c.id, c.part)]), (c.id, c.part, c.planted, c.finding.evidence)


def test_lemma12_arm_erases_the_target_and_the_exact_arm_does_not(tiny):
    data, _, _ = tiny
    f = data.ksf
    assert f["spread"]["lemma12"] == 0.0 < f["spread"]["exact"]
    assert all(a["erased"] == pytest.approx(1.0) for a in f["arms"]["lemma12"])


def test_ks5_gradient_rule_reads_the_children(tiny):
    data, _, _ = tiny
    finding = K.decide_ks5_gradient(data)
    counts = [c for c in finding.comparisons if c.quantity.startswith("nodes whose")]
    for c in counts:
        d = c.params["d"]
        top = max(r["n"] for r in data.grad if r["d"] == d)
        rows = [r for r in data.grad if r["d"] == d and r["n"] == top]
        assert c.measured == sum(r["top2_at_children"] for r in rows)
        assert c.holds == all(r["top2_at_children"] == r["nodes"] for r in rows)
    planted = [dict(r, top2_at_children=0) for r in data.grad]
    assert K.decide_ks5_gradient(replace(data, grad=planted)).verdict == "inconsistent"


def test_ks7_rule_fails_when_levels_are_learned_together(tiny):
    data, _, _ = tiny
    key = next(k for k in data.runs if k[0] == "selfcons")
    run = dict(data.runs[key], learned_at=[10] * len(data.runs[key]["learned_at"]))
    finding = K.decide_ks7(replace(data, runs={key: run}))[0]
    assert finding.verdict == "inconsistent"


def test_bad_options_are_refused():
    with pytest.raises(ValueError):
        K.measure_runs(replace(TINY, ks=(8, 16), etas=(15.0,)))
    with pytest.raises(ValueError):
        K.measure_ksf(replace(TINY, rnn_targets=(0,)))


@pytest.mark.parametrize("argv", [["--epochs", "-3"], ["--etas", "nan"], ["--dtype", "float16"]])
def test_cli_refuses_bad_flags_in_one_line(argv, capsys):
    from verify import cli

    with pytest.raises(SystemExit) as exc:
        cli.guarded(K.main, argv)
    assert exc.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_cli_refuses_mismatched_etas_in_one_line(capsys):
    from verify import cli

    assert cli.guarded(K.main, ["--ks", "8", "16", "--etas", "15"]) == 2
    assert "one learning rate per k" in capsys.readouterr().err


def test_controls_of_inconsistent_rows_plant_the_claims_pattern(tiny):
    """When KS7 / KSX's ordering come out inconsistent, their controls plant the claimed pattern and flip."""
    data, _, _ = tiny
    broken = {key: (dict(r, learned_at=[None] * len(r["learned_at"]), final_acc=[0.5] * len(r["final_acc"]))
                    if key[0] == "selfcons" else r) for key, r in data.runs.items()}
    findings = K.decide(replace(data, runs=broken))
    verdict = {(f.id, f.part): f.verdict for f in findings}
    assert verdict[("KS7", "")] == verdict[("KSX", "ordering")] == "inconsistent"
    controls = {(c.id, c.part): c for c in K.controls(findings, TINY)}
    for key in (("KS7", ""), ("KSX", "ordering")):
        assert controls[key].flipped(verdict[key]), controls[key].finding.evidence


def test_runs_do_not_depend_on_the_worker_count():
    """--workers 2 (spawned processes, one torch thread each) gives bit-identical runs to the serial path."""
    small = replace(TINY, d=8, ks=(4,), etas=(15.0,), n=200, epochs=10, n_eval=128)
    serial = K.measure_runs(small)
    pooled = K.measure_runs(replace(small, workers=2))
    assert list(serial) == list(pooled)
    assert serial == pooled
