"""T4 (RNN half): the quick check's row, and one run's bookkeeping."""

from verify import gap_rnn


def test_quick_check_learns_with_subtasks():
    (row,) = gap_rnn.check()
    assert row.id == "T4" and row.verdict == "consistent"
    sub = [r for r in row.measured if r["supervision"] == "subtasks"]
    assert sub and all(r["learned_at"] is not None and r["final_error"] == 0.0 for r in sub)
    assert "m=64" in row.evidence and "eta=0.5" in row.evidence and "budget=1500" in row.evidence


def test_run_reports_budget_when_not_learned():
    setting = gap_rnn.Setting(d=8, m=8, eta=0.01, batch=4, budget=20, every=10, seeds=(0,))
    r = gap_rnn.run(setting, "subtasks", 0)
    assert r["learned_at"] is None and r["steps"] == 20 and 0 < r["final_error"] <= 1
