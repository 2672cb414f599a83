"""The main job end to end, run once per test session (it is the slowest test: every module's quick preset).

What it asserts is what a referee relies on: every claim with a module carries a verdict on a fresh clone,
every checked claim has a control and every control flips, and the report files are written in every format.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from verify.__main__ import claim_modules
from verify.claims import CLAIM_IDS

SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.mark.slow
@pytest.mark.xdist_group("main_job")
def test_every_claim_with_a_module_has_a_verdict_and_a_control_that_flips(main_job):
    done, files = main_job
    assert done.returncode == 0, done.stderr[-3000:]
    rows = {r["id"]: r for r in json.loads(files[".json"].read_text())}
    assert list(rows) == list(CLAIM_IDS)
    checked_by_a_module = {cid for m in claim_modules() for cid in m.CLAIMS}
    unchecked = sorted(cid for cid in checked_by_a_module if rows[cid]["verdict"] == "not yet checked")
    assert unchecked == [], {cid: rows[cid]["headline"] for cid in unchecked}
    no_control = sorted(cid for cid in checked_by_a_module if not rows[cid]["controls"])
    assert no_control == []
    not_flipped = [(cid, c["part"], c["planted"]) for cid in checked_by_a_module for c in rows[cid]["controls"]
                   if not c["flipped"]]
    assert not_flipped == []
    for cid in checked_by_a_module:
        assert rows[cid]["comparisons"], cid


@pytest.mark.slow
@pytest.mark.xdist_group("main_job")
@pytest.mark.skipif(not (SHARED / "tools" / "check_report.py").exists(), reason="shared/ is not beside the checkout")
def test_report_json_passes_the_shared_shape_check(main_job):
    _, files = main_job
    check = subprocess.run([sys.executable, str(SHARED / "tools" / "check_report.py"), str(files[".json"])],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout


@pytest.mark.slow
@pytest.mark.xdist_group("main_job")
def test_csv_has_one_row_per_comparison(main_job):
    import pandas as pd

    _, files = main_job
    rows = json.loads(files[".json"].read_text())
    frame = pd.read_csv(files[".csv"])
    assert len(frame) == sum(len(r["comparisons"]) for r in rows)
    assert set(frame.id) == {r["id"] for r in rows if r["comparisons"]}


@pytest.mark.slow
@pytest.mark.xdist_group("main_job")
def test_the_html_page_of_the_main_job_renders_every_claim_and_figure(main_job, render, tmp_path):
    _, files = main_job
    shown = render(files[".html"], tmp_path / "report.png")
    assert shown["errors"] == []
    assert shown["sections"] == list(CLAIM_IDS)
    assert shown["series_per_figure"] and all(n >= 1 for n in shown["series_per_figure"])
    assert all(n >= 1 for n in shown["drawn_per_figure"])
