import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from verify import cli
from verify.__main__ import claim_modules, main
from verify.claims import CLAIM_IDS
from verify.report import Verdict, markdown, merge

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.mark.skipif(not (SHARED / "CLAIMS.md").exists(), reason="shared/ is not beside the checkout")
def test_catalogue_matches_claims_md():
    text = (SHARED / "CLAIMS.md").read_text()
    ids = [i for i in re.findall(r"^\| ([A-Z][A-Z0-9]*) \|", text, flags=re.M) if i != "ID"]
    assert tuple(ids) == CLAIM_IDS


def test_merge_keeps_one_row_per_id_and_the_worst_verdict():
    rows = [Verdict("T4", "holds", "rnn: ok"), Verdict("T4", "inconsistent", "transformer: slow"),
            Verdict("L2", "erratum", "eq. 19")]
    merged = merge(rows)
    assert [r.id for r in merged] == list(CLAIM_IDS)
    by_id = {r.id: r for r in merged}
    assert by_id["T4"].verdict == "inconsistent"
    assert "rnn: ok" in by_id["T4"].evidence and "transformer: slow" in by_id["T4"].evidence
    assert by_id["L2"].verdict == "erratum"
    assert by_id["L1"].verdict == "not yet checked"


def test_verdict_rejects_unknown_words():
    with pytest.raises(ValueError, match="verdict"):
        Verdict("L2", "probably", "x")
    with pytest.raises(ValueError, match="claim ID"):
        Verdict("L99", "holds", "x")
    with pytest.raises(ValueError, match="evidence"):
        Verdict("L2", "holds", " ")


def test_markdown_escapes_pipes():
    md = markdown([Verdict("L2", "holds", "|a| < 10")])
    assert "\\|a\\| < 10" in md


def test_every_claim_module_names_known_ids():
    for module in claim_modules():
        assert set(module.CLAIMS) <= set(CLAIM_IDS), module.__name__
        assert callable(module.main), module.__name__


def test_out_rejects_unknown_suffix(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--out", "report.txt"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and ".md or .json" in err[0]


def test_one_line_parser_errors(capsys):
    p = cli.parser("python -m verify.x", "doc")
    p.add_argument("--n", type=cli.int_in(1, 6))
    with pytest.raises(SystemExit) as exc:
        p.parse_args(["--n", "9"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "allowed: 1..6" in err[0]


@pytest.mark.skipif(not (SHARED / "tools" / "check_report.py").exists(), reason="shared/ is not beside the checkout")
def test_report_json_passes_the_shared_shape_check(tmp_path):
    out = tmp_path / "report.json"
    done = subprocess.run([sys.executable, "-m", "verify", "--only", "T13", "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    rows = json.loads(out.read_text())
    assert [r["id"] for r in rows] == list(CLAIM_IDS)
    check = subprocess.run([sys.executable, str(SHARED / "tools" / "check_report.py"), str(out)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
