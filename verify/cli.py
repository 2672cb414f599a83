"""What every ``python -m verify.<module>`` shares: a parser whose errors are one line and exit 2,
``--json``, and printing verdict rows.

A module's ``main`` looks like::

    def main(argv: list[str] | None = None) -> int:
        parser = cli.parser("python -m verify.lemma3", __doc__)
        parser.add_argument("--fanin", type=cli.int_in(1, 6), default=3)
        args = parser.parse_args(argv)
        return cli.emit(check(fanin=args.fanin), as_json=args.json)

Bad input raises ``UsageError`` (or argparse rejects it): one line on stderr, exit code 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence

from verify.report import Verdict, table


class UsageError(Exception):
    """Bad input: reported as one line and exit code 2, never a traceback."""


class OneLineParser(argparse.ArgumentParser):
    """argparse, but an error prints a single ``prog: error: ...`` line and exits 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def parser(prog: str, doc: str | None) -> OneLineParser:
    p = OneLineParser(prog=prog, description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--json", action="store_true", help="print the verdict rows as JSON")
    return p


def int_in(lo: int, hi: int) -> Callable[[str], int]:
    """argparse type: an integer in [lo, hi], with a message that says what is allowed."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer; allowed: {lo}..{hi}") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{value} is out of range; allowed: {lo}..{hi}")
        return value

    parse.__name__ = f"integer {lo}..{hi}"
    return parse


def positive(kind: type = float) -> Callable[[str], float]:
    """argparse type: a number > 0."""

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"{text} must be > 0")
        return value

    parse.__name__ = f"positive {kind.__name__}"
    return parse


def emit(rows: Sequence[Verdict], as_json: bool = False, detail: str = "") -> int:
    """Print rows (table, or JSON with ``--json``) after optional detail text; return 0."""
    if as_json:
        print(json.dumps([r.to_json() for r in rows], indent=2))
    else:
        if detail:
            print(detail.rstrip() + "\n")
        print(table(rows))
    return 0


def guarded(main: Callable[[list[str] | None], int], argv: list[str] | None = None) -> int:
    """Run a module's main; turn UsageError into one stderr line and exit code 2.

    A closed stdout (``| head``) ends the run quietly instead of with a traceback.
    """
    try:
        return main(argv)
    except BrokenPipeError:  # output piped into `head` and closed early: not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except UsageError as exc:
        prog = getattr(main, "__module__", "verify")
        if prog == "__main__":  # run as `python -m verify.<name>`: the module's real name is in its spec
            spec = getattr(sys.modules["__main__"], "__spec__", None)
            prog = spec.name if spec is not None else "verify"
        print(f"python -m {prog}: error: {exc}", file=sys.stderr)
        return 2
