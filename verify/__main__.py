"""Run every claim module and print one row per claim of CLAIMS.md (the main job).

Each module runs its quick preset (``--full``: its full preset), then its controls: the same decision
rule on a planted violation, which must flip the verdict. Progress and each module's wall time go to
stderr. Verdicts are data: the exit code is 0 when every check ran, 1 when a check crashed (its traceback
is printed to stderr and its claims read "not yet checked"), 2 for bad options.
"""

from __future__ import annotations

import importlib
import pkgutil
import platform
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import verify
from verify import cli, report
from verify.claims import CLAIM_IDS, claim_id
from verify.evidence import Control, Finding

CORE = {"cli", "claims", "report", "evidence", "stats", "html"}


def claim_modules() -> list[ModuleType]:
    """Every ``verify.<name>`` that defines ``CLAIMS`` and ``check``, in catalogue order."""
    found = []
    for info in pkgutil.iter_modules(verify.__path__):
        if info.name.startswith("_") or info.name in CORE:
            continue
        module = importlib.import_module(f"verify.{info.name}")
        if hasattr(module, "CLAIMS") and hasattr(module, "check"):
            found.append(module)
    return sorted(found, key=lambda m: min(CLAIM_IDS.index(c) for c in m.CLAIMS))


@dataclass
class Run:
    """What the main job measured: findings, controls, per-module seconds, crashed modules."""

    findings: list[Finding] = field(default_factory=list)
    controls: list[Control] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    crashed: list[str] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)


def run_all(only: set[str] | None = None, full: bool = False, with_controls: bool = True) -> Run:
    """Run the modules (those checking an ID in ``only``, when given) and their controls."""
    out = Run()
    modules = [m for m in claim_modules() if only is None or only & set(m.CLAIMS)]
    for k, module in enumerate(modules, 1):
        name = module.__name__.removeprefix("verify.")
        print(f"[{k}/{len(modules)}] {name} ({', '.join(module.CLAIMS)}) ...", file=sys.stderr, flush=True)
        start = time.perf_counter()
        try:
            cfg = None
            if hasattr(module, "Config"):
                cfg = module.Config.full() if full else module.Config.quick()
            found = module.check(cfg) if cfg is not None else module.check()
            out.findings.extend(found)
            if with_controls and hasattr(module, "controls"):
                out.controls.extend(module.controls(found))
        except Exception as exc:
            out.crashed.append(name)
            for cid in module.CLAIMS:
                out.reasons[cid] = f"the check crashed: {type(exc).__name__}: {exc}"
            traceback.print_exc()
        out.seconds[name] = time.perf_counter() - start
        print(f"      {out.seconds[name]:.1f} s", file=sys.stderr, flush=True)
    return out


def provenance(run: Run, wall: float, full: bool) -> dict[str, Any]:
    """Toolkit version and commit, machine, preset and wall times of this run."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        ver = version("subtask-verify")
    except PackageNotFoundError:
        ver = "unknown"
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=Path(verify.__file__).parent, timeout=5).stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        commit = "unknown"
    return {"version": ver, "commit": commit, "python": platform.python_version(),
            "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}, "
                       f"{__import__('os').cpu_count()} cores",
            "preset": "full" if full else "quick", "wall_seconds": round(wall, 1),
            "module_seconds": {k: round(v, 1) for k, v in run.seconds.items()}}


def main(argv: list[str] | None = None) -> int:
    parser = cli.OneLineParser(prog="python -m verify", description=__doc__, formatter_class=cli.HelpFormatter)
    parser.add_argument("--out", action="append", default=[], type=Path, metavar="FILE",
                        help="also write the report to FILE: .md, .json, .csv / .parquet (one row per "
                             "comparison) or .html (repeatable; missing folders are created)")
    parser.add_argument("--only", nargs="+", metavar="ID", type=claim_id,
                        help="run and print only these claim IDs (case-insensitive)")
    parser.add_argument("--full", action="store_true", help="run every module's full preset (slow)")
    parser.add_argument("--controls", action="store_true",
                        help="print, per ID, the verdict on the paper, the planted violation, the control's "
                             "verdict and whether it flipped")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument("--verbose", "-v", action="store_true", help="print every part's evidence")
    args = parser.parse_args(argv)
    for path in args.out:
        if path.suffix not in report.FORMATS:
            parser.error(f"--out {path}: the file must end in one of {' '.join(report.FORMATS)}")
    only = set(args.only) if args.only else None
    start = time.perf_counter()
    run = run_all(only, full=args.full)
    rep = report.rows(run.findings, run.controls, only=only, reasons=run.reasons)
    prov = provenance(run, time.perf_counter() - start, args.full)
    if args.controls:
        results = [c for r in rep for c in r.control_results()]
        print(cli_json(results) if args.json else report.controls_table(rep))
    elif args.json:
        print(report.to_json(rep))
    else:
        print(report.table(rep, verbose=args.verbose))
    for path in args.out:
        report.write(rep, path, provenance=prov)
        print(f"wrote {path}", file=sys.stderr)
    print("module seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in run.seconds.items())
          + f"; total {prov['wall_seconds']} s", file=sys.stderr)
    if run.crashed:
        print(f"python -m verify: checks crashed in: {', '.join(run.crashed)}", file=sys.stderr)
        return 1
    return 0


def cli_json(obj: Any) -> str:
    import json

    return json.dumps(obj, indent=2, ensure_ascii=False)


if __name__ == "__main__":
    sys.exit(cli.guarded(main))
