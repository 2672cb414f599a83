import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

from verify import cli, report
from verify.__main__ import claim_modules, main
from verify.claims import CLAIM_IDS, claim_id
from verify.evidence import Control, Finding, compare

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.mark.skipif(not (SHARED / "CLAIMS.md").exists(), reason="shared/ is not beside the checkout")
def test_catalogue_matches_claims_md():
    text = (SHARED / "CLAIMS.md").read_text()
    ids = [i for i in re.findall(r"^\| ([A-Z][A-Z0-9]*) \|", text, flags=re.M) if i != "ID"]
    assert tuple(ids) == CLAIM_IDS


def _finding(cid: str, ok: bool, part: str = "", rule: str = "exact") -> Finding:
    return Finding(cid, rule, (compare("q", "eq. 1", 1, "eq", 1 if ok else 2, params={"d": 4}),), part=part)


def test_rows_one_per_id_worst_checked_part_and_unchecked_parts_never_hide():
    found = [_finding("T4", True, "RNN", "empirical"), _finding("T4", False, "transformer", "empirical"),
             _finding("L2", True), Finding("FIG4", "empirical", (), not_checked="no data"),
             _finding("TAB1", True, "a", "empirical"), Finding("TAB1", "empirical", (), part="b", not_checked="x")]
    rows = {r.id: r for r in report.rows(found)}
    assert list(rows) == list(CLAIM_IDS)
    assert rows["T4"].verdict == "inconsistent" and rows["T4"].headline.startswith("transformer: ")
    assert rows["TAB1"].verdict == "consistent"  # the unchecked part b does not hide part a
    assert rows["FIG4"].verdict == "not yet checked" and rows["FIG4"].headline == "no data"
    assert rows["L1"].verdict == "not yet checked"


def test_only_restricts_the_rows():
    assert [r.id for r in report.rows([_finding("L2", True)], only={"L2", "L3"})] == ["L2", "L3"]


def test_frame_has_one_row_per_comparison_with_numbers():
    found = [_finding("L2", True), Finding("NTK", "empirical", (
        compare("rate", "Lemma 6", 0.7, "ci_above", 0.1, interval=(0.5, 0.9), params={"d": 10}),
        compare("band", "Lemma 7", 2.0, "in", (1, 3))))]
    frame = report.frame(report.rows(found))
    assert len(frame) == 3
    ntk = frame[frame.id == "NTK"]
    assert ntk.ci_lo.tolist()[0] == 0.5 and ntk.reference_lo.tolist()[1] == 1.0
    assert json.loads(ntk.params.iloc[0]) == {"d": 10} and frame.holds.all()


@pytest.mark.parametrize("suffix", [".md", ".json", ".csv", ".parquet"])
def test_write_every_format_into_a_new_folder(tmp_path, suffix):
    rows = report.rows([_finding("L2", False)], [Control("L2", "planted", _finding("L2", True))])
    path = tmp_path / "new" / f"r{suffix}"
    report.write(rows, path)
    if suffix == ".json":
        row = {r["id"]: r for r in json.loads(path.read_text())}["L2"]
        assert row["verdict"] == "fails" and row["comparisons"][0]["measured"] == 1.0
        assert row["parts"][0]["verdict"] == "fails" and row["controls"][0]["flipped"]
    elif suffix == ".csv":
        assert pd.read_csv(path).measured.tolist() == [1.0]
    elif suffix == ".parquet":
        assert pd.read_parquet(path).reference.tolist() == [2.0]
    else:
        assert "| L2 |" in path.read_text()


def test_markdown_escapes_pipes():
    md = report.markdown(report.rows([Finding("L2", "exact", (compare("|a|", "s", 1, "le", 10),))], only={"L2"}))
    assert "\\|a\\|" in md


def test_controls_table_says_whether_each_flipped():
    rows = report.rows([_finding("L2", True)], [Control("L2", "planted wrong poly", _finding("L2", False))],
                       only={"L2"})
    text = report.controls_table(rows)
    assert re.search(r"L2\s+holds\s+fails\s+yes\s+planted wrong poly", text)


def test_every_claim_module_names_known_ids():
    for module in claim_modules():
        assert set(module.CLAIMS) <= set(CLAIM_IDS), module.__name__
        assert callable(module.main), module.__name__


def test_claim_ids_are_case_insensitive():
    assert claim_id(" l3 ") == "L3"
    with pytest.raises(ValueError, match="unknown claim ID"):
        claim_id("L99")


def test_out_rejects_unknown_suffix(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--out", "report.txt"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and ".md .json" in err[0]


def test_only_runs_and_prints_only_the_selected_claims(capsys, tmp_path):
    out = tmp_path / "sub" / "r.json"
    assert main(["--only", "l13", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert re.search(r"^L13\s", printed, flags=re.M) and not re.search(r"^L2\s", printed, flags=re.M)
    assert [r["id"] for r in json.loads(out.read_text())] == ["L13"]


@dataclass(frozen=True)
class _Cfg:
    d: tuple[int, ...] = field(default=(4, 6), metadata={"help": "sizes", "range": (2, 20)})
    kappa: float = field(default=0.0, metadata={"help": "polylog power", "range": (0, 10)})
    mode: str = field(default="a", metadata={"help": "mode", "choices": ("a", "b")})

    @classmethod
    def quick(cls) -> "_Cfg":
        return cls()

    @classmethod
    def full(cls) -> "_Cfg":
        return cls(d=(4, 6, 8))


@pytest.mark.parametrize("argv, message", [
    (["--kappa", "nan"], "not a finite number"), (["--kappa", "inf"], "not a finite number"),
    (["--kappa", "-1"], "out of range"), (["--d", "1"], "out of range"), (["--d", "x"], "not an integer"),
    (["--mode", "c"], "invalid choice"),
])
def test_config_flags_refuse_bad_values_in_one_line(capsys, argv, message):
    p = cli.parser("python -m verify.x", "doc", _Cfg)
    with pytest.raises(SystemExit) as exc:
        p.parse_args(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_config_flags_override_the_preset():
    p = cli.parser("python -m verify.x", "doc", _Cfg)
    assert cli.config(_Cfg, p.parse_args([])) == _Cfg()
    assert cli.config(_Cfg, p.parse_args(["--full"])).d == (4, 6, 8)
    assert cli.config(_Cfg, p.parse_args(["--full", "--d", "10", "12", "--mode", "b"])) == _Cfg((10, 12), 0.0, "b")
    assert "default 4 6; --full: 4 6 8" in p.format_help().replace("\n", " ").replace("  ", " ")


def test_numerics_imports_without_verify():
    code = ("import sys, importlib, pkgutil\n"
            "class Block:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name == 'verify' or name.startswith('verify.'):\n"
            "            raise ImportError('numerics must not import verify')\n"
            "sys.meta_path.insert(0, Block())\n"
            "import numerics\n"
            "for m in pkgutil.iter_modules(numerics.__path__):\n"
            "    importlib.import_module('numerics.' + m.name)\n"
            "print('ok')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]
