import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numerics import store
from verify import table1
from verify.report import Verdict

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.usefixtures("one_thread")


@given(st.floats(0.5, 4), st.floats(1, 1e3))
def test_power_fit_recovers_the_exponent(p, c):
    d = np.array([8, 16, 32, 64])
    assert table1.fit_power(d, c * d**p) == pytest.approx(p, rel=1e-9)


@given(st.floats(0.05, 2), st.floats(1, 1e3))
def test_rate_fit_recovers_the_rate(r, c):
    d = np.array([8, 10, 12, 14])
    assert table1.fit_rate(d, c * np.exp(r * d)) == pytest.approx(r, rel=1e-9)


def test_paper_growth_rates():
    """Table 1 as printed: with supervision ~ d^2.2 between 8 and 128 bits; without ~ e^(0.9 d)."""
    fits = table1.fits(pd.DataFrame(columns=["supervision", "d", "learned", "seeds", "iters_60", "budget"]))
    assert 1.9 < fits["subtasks_paper"] < 2.6 and 0.8 < fits["end_to_end_paper"] < 1.0


def _runs(curves: dict[tuple[str, int, int], tuple[list[float], int]]) -> pd.DataFrame:
    """Synthetic stored curves -> runs frame, through the same code path as a real store."""
    frames = []
    for k, ((mode, d, seed), (acc, budget)) in enumerate(curves.items()):
        steps = np.arange(len(acc)) * 10
        test = [math.nan] * (len(acc) - 1) + [acc[-1]]
        frames.append(pd.DataFrame({"step": steps, "val_acc": acc, "test_acc": test,
                                    "seconds": 1.0, "run": f"r{k}", "cfg_d": d, "cfg_supervision": mode,
                                    "cfg_seed": seed, "cfg_max_steps": budget, "cfg_batch": 32}))
    return table1.runs_of(pd.concat(frames, ignore_index=True))


LEARN = [0.5, 0.5, 0.7, 0.99]
STALL = [0.5, 0.52, 0.49, 0.51]


def test_gap_gives_consistent_rows():
    runs = _runs({("subtasks", 8, 1): (LEARN, 100), ("subtasks", 16, 1): ([*LEARN, 0.99], 100),
                  ("end_to_end", 8, 1): (LEARN, 100), ("end_to_end", 16, 1): (STALL, 30)})
    rows = {r.id: r for r in table1.verdicts(runs, table1.Source(Path("x"), False))}
    assert [rows[i].verdict for i in ("TAB1", "FIG4", "T4")] == ["consistent"] * 3
    assert "16b >30 [0/1] (paper 212K)" in rows["TAB1"].evidence and "16b 20 (paper 333)" in rows["TAB1"].evidence


def test_no_gap_gives_inconsistent_rows():
    runs = _runs({("subtasks", 8, 1): (LEARN, 100), ("end_to_end", 8, 1): (LEARN, 100),
                  ("end_to_end", 16, 1): ([0.5, 0.61, 0.7, 0.8], 30)})
    rows = {r.id: r for r in table1.verdicts(runs, table1.Source(Path("x"), False))}
    assert rows["TAB1"].verdict == "inconsistent" and rows["T4"].verdict == "inconsistent"
    smoke = {r.id: r for r in table1.verdicts(runs, table1.Source(Path("x"), True))}
    assert all(r.verdict == "not yet checked" for r in smoke.values())
    assert "smoke only, no verdict (inconsistent at smoke size)" in smoke["TAB1"].evidence
    assert "smoke spec" in smoke["TAB1"].evidence
    assert "python -m numerics.sweep specs/table1.toml" in smoke["TAB1"].evidence


def test_slow_transition_is_inconsistent_with_figure_4():
    runs = _runs({("subtasks", 12, 1): ([0.5, 0.61, 0.7, 0.8, 0.8, 0.8, 0.96], 100),
                  ("subtasks", 8, 1): ([0.5, 0.61, 0.7, 0.8, 0.8, 0.8, 0.96], 100)})  # 8 bits: too few to count
    (fig4,) = [r for r in table1.verdicts(runs, table1.Source(Path("x"), False)) if r.id == "FIG4"]
    assert fig4.verdict == "inconsistent" and fig4.measured["median_ratio"] == 5.0 and "1 learned runs" in fig4.evidence


def test_check_reads_a_real_store(tmp_path):
    from numerics.sweep import run_one
    from numerics.transformer import Config

    for mode, d, steps in (("subtasks", 8, 300), ("end_to_end", 8, 20)):
        run_one(Config.smoke(d=d, supervision=mode, max_steps=steps), str(tmp_path))
    rows = table1.check(tmp_path)
    assert [r.id for r in rows] == ["TAB1", "FIG4", "T4"] and all(isinstance(r, Verdict) for r in rows)
    assert str(tmp_path) in rows[0].evidence


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "verify.table1", *args], cwd=REPO, capture_output=True, text=True,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}, timeout=120)


def test_cli_foreign_shard_is_one_line_exit_2(tmp_path):
    pq.write_table(pa.table({"a": [1]}), tmp_path / "feedfacefeedface.parquet")
    proc = _cli("--store", str(tmp_path))
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert "feedfacefeedface.parquet" in proc.stderr and "Traceback" not in proc.stderr


def test_cli_empty_store_is_one_line_exit_2(tmp_path):
    proc = _cli("--store", str(tmp_path / "nothing"))
    assert proc.returncode == 2 and "no stored runs" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_store_error_names_a_truncated_shard(tmp_path):
    path = store.write(tmp_path, {"kind": "transformer", "d": 8}, pd.DataFrame({"step": range(50)}))
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(store.StoreError, match=path.name):
        table1.check(tmp_path)


def test_empty_store_falls_back_to_the_smoke_spec(tmp_path, monkeypatch):
    """A fresh clone: no runs of the full spec stored, so check() trains the smoke spec and says so."""
    tiny = ('n_layer = 1\nn_head = 2\nn_embd = 16\nmax_steps = 20\n'
            '[[grid]]\nd = 8\nsupervision = ["subtasks", "end_to_end"]\n')
    (tmp_path / "full.toml").write_text(f'store = "{tmp_path / "full"}"\n[defaults]\n{tiny}')
    (tmp_path / "smoke.toml").write_text(f'store = "{tmp_path / "smoke"}"\n[defaults]\n{tiny}')
    monkeypatch.setattr(table1, "FULL_SPEC", tmp_path / "full.toml")
    monkeypatch.setattr(table1, "SMOKE_SPEC", tmp_path / "smoke.toml")
    monkeypatch.setattr(table1, "REPO", tmp_path)
    rows = table1.check()
    assert len(list((tmp_path / "smoke").glob("*.parquet"))) == 2 and not (tmp_path / "full").exists()
    assert all("smoke spec smoke.toml (2 runs; full table: python -m numerics.sweep full.toml)" in r.evidence
               for r in rows)


def test_growth_fits_skip_tiny_validation_sets_and_bound_from_below():
    runs = _runs({("subtasks", 8, 1): ([0.5, 0.7, 0.99], 100), ("subtasks", 16, 1): (LEARN, 100),
                  ("subtasks", 32, 1): ([0.5, 0.5, 0.5, 0.7, 0.99], 100),
                  ("end_to_end", 10, 1): (LEARN, 100), ("end_to_end", 12, 1): (STALL, 30)})
    growth = table1.fits(table1.summary(runs))
    assert growth["subtasks_measured"] == pytest.approx(math.log(30 / 20) / math.log(2))  # 8 bits left out
    assert growth["subtasks_paper_same"] == pytest.approx(math.log(1480 / 333) / math.log(2))
    assert math.isnan(growth["end_to_end_measured"])
    assert growth["end_to_end_lower"] == pytest.approx(math.log(30 / 20) / 2)
