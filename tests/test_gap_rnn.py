"""T4 (RNN half): the quick check's row, and one run's bookkeeping."""

from verify import gap_rnn


def test_check_at_d8_learns_with_subtasks_and_gives_no_verdict(monkeypatch):
    monkeypatch.setattr(gap_rnn, "QUICK", gap_rnn.QUICK[:1])  # d = 8 only: seconds, not a minute
    (row,) = gap_rnn.check()
    assert row.id == "T4" and row.verdict == "not yet checked"
    sub = [r for r in row.measured if r["supervision"] == "subtasks"]
    assert sub and all(r["learned_at"] is not None and r["final_error"] == 0.0 for r in sub)
    assert "m=64" in row.evidence and "eta=0.5" in row.evidence and "budget=1500" in row.evidence


def test_run_reports_budget_when_not_learned():
    setting = gap_rnn.Setting(d=8, m=8, eta=0.01, batch=4, budget=20, every=10, seeds=(0,))
    r = gap_rnn.run(setting, "subtasks", 0)
    assert r["learned_at"] is None and r["steps"] == 20 and 0 < r["final_error"] <= 1


def test_decide_needs_d16_for_the_end_to_end_half():
    learned = {"supervision": "subtasks", "learned_at": 100, "final_error": 0.0}
    stuck = {"supervision": "end_to_end", "learned_at": None, "final_error": 0.49}
    easy = {"supervision": "end_to_end", "learned_at": 300, "final_error": 0.0}
    assert gap_rnn.decide([(8, learned), (8, easy)]) == "not yet checked"
    assert gap_rnn.decide([(8, learned), (16, learned), (16, stuck)]) == "consistent"
    assert gap_rnn.decide([(16, learned), (16, easy)]) == "inconsistent"
    failed = {"supervision": "subtasks", "learned_at": None, "final_error": 0.3}
    assert gap_rnn.decide([(8, failed), (8, easy)]) == "inconsistent"
