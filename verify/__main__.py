"""Run every claim module at quick default sizes and print one row per claim of CLAIMS.md.

Verdicts are data: the exit code is 0 when every check ran, 1 when a check crashed (its
traceback is printed to stderr and its claims show "not yet checked"), 2 for bad options.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
import traceback
from pathlib import Path
from types import ModuleType

import verify
from verify import cli
from verify.claims import CLAIM_IDS
from verify.report import Verdict, markdown, merge, table, to_json


def claim_modules() -> list[ModuleType]:
    """Every ``verify.<name>`` that defines ``CLAIMS`` and ``check``, in catalogue order."""
    found = []
    for info in pkgutil.iter_modules(verify.__path__):
        if info.name.startswith("_") or info.name in {"cli", "claims", "report"}:
            continue
        module = importlib.import_module(f"verify.{info.name}")
        if hasattr(module, "CLAIMS") and hasattr(module, "check"):
            found.append(module)
    return sorted(found, key=lambda m: min(CLAIM_IDS.index(c) for c in m.CLAIMS))


def run_all(only: set[str] | None = None) -> tuple[list[Verdict], list[str]]:
    """Run the modules; return their rows and the names of modules that crashed."""
    rows: list[Verdict] = []
    crashed: list[str] = []
    modules = [m for m in claim_modules() if only is None or only & set(m.CLAIMS)]
    for k, module in enumerate(modules, 1):
        name = module.__name__.removeprefix("verify.")
        print(f"[{k}/{len(modules)}] {name} ({', '.join(module.CLAIMS)}) ...", file=sys.stderr, flush=True)
        start = time.perf_counter()
        try:
            rows.extend(module.check())
        except Exception:
            crashed.append(name)
            traceback.print_exc()
        print(f"      {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
    return rows, crashed


def main(argv: list[str] | None = None) -> int:
    parser = cli.OneLineParser(prog="python -m verify", description=__doc__)
    parser.add_argument("--out", action="append", default=[], type=Path,
                        help="also write the report to this .md or .json file (repeatable)")
    parser.add_argument("--only", nargs="+", metavar="ID", choices=CLAIM_IDS,
                        help="run only the modules that check these claim IDs")
    args = parser.parse_args(argv)
    for path in args.out:
        if path.suffix not in {".md", ".json"}:
            parser.error(f"--out {path}: the file must end in .md or .json")
    rows, crashed = run_all(set(args.only) if args.only else None)
    merged = merge(rows)
    print(table(merged))
    for path in args.out:
        path.write_text(to_json(merged) if path.suffix == ".json" else markdown(merged))
        print(f"wrote {path}", file=sys.stderr)
    if crashed:
        print(f"python -m verify: checks crashed in: {', '.join(crashed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(cli.guarded(main))
