"""What every ``python -m verify.<module>`` shares: flags generated from the module's frozen config,
``--full`` / ``--json`` / ``--verbose`` / ``--out``, and printing findings.

A claim module's configuration is one frozen dataclass whose fields are its CLI flags, with ``quick()``
(the main job's sizes) and ``full()`` presets. Each field's ``metadata`` holds its ``help`` and, for
numbers, ``range=(lo, hi)``; ``choices=(...)`` for strings. Sequences are tuples and take one or more
values on the command line (``--d 4 6 8``). So the CLI's defaults cannot drift from ``check()``'s::

    @dataclass(frozen=True)
    class Config:
        d: tuple[int, ...] = field(default=(4, 6, 8), metadata={"help": "input sizes", "range": (2, 20)})
        seed: int = field(default=0, metadata={"help": "seed", "range": (0, 2**32 - 1)})

        @classmethod
        def quick(cls) -> Config: return cls()
        @classmethod
        def full(cls) -> Config: return cls(d=(4, 6, 8, 10, 12))

    def main(argv=None) -> int:
        parser = cli.parser("python -m verify.lemma13", __doc__, Config)
        args = parser.parse_args(argv)
        findings = check(cli.config(Config, args))
        return cli.emit(findings, args, controls=controls(findings))

Library code raises ``ValueError`` for bad input; ``guarded`` turns it (and ``UsageError``) into one line on
stderr and exit code 2. NaN, +-inf and out-of-range numbers are refused by the parser.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import sys
import typing
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from numerics.cli import HelpFormatter, OneLineParser, float_in, int_in, positive
from verify.evidence import Control, Finding

__all__ = ["HelpFormatter", "OneLineParser", "UsageError", "config", "emit", "float_in", "guarded", "int_in",
           "parser", "positive"]


class UsageError(ValueError):
    """Bad input: reported as one line and exit code 2, never a traceback."""


def _field_type(cls: type, f: dataclasses.Field) -> tuple[Any, bool]:
    """(element type, is a tuple) of a config field."""
    hint = typing.get_type_hints(cls)[f.name]
    origin = typing.get_origin(hint)
    if origin is tuple:
        return typing.get_args(hint)[0], True
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return args[0], False
    return hint, False


def _converter(elem: Any, meta: dict[str, Any]) -> Callable[[str], Any]:
    lo, hi = meta.get("range", (None, None))
    if elem is int:
        return int_in(-(2**62) if lo is None else int(lo), 2**62 if hi is None else int(hi))
    if elem is float:
        return float_in(-math.inf if lo is None else lo, math.inf if hi is None else hi,
                        open_lo=bool(meta.get("open_lo", False)))
    return str


def parser(prog: str, doc: str | None, config_cls: type | None = None) -> OneLineParser:
    """A parser with ``--json``, ``--verbose``, ``--out`` and, given a config class, ``--full`` and one flag
    per config field (defaults shown are the quick preset's)."""
    p = OneLineParser(prog=prog, description=doc, formatter_class=HelpFormatter)
    p.add_argument("--json", action="store_true", help="print the findings as JSON")
    p.add_argument("--verbose", "-v", action="store_true", help="print every comparison, not one line per claim")
    p.add_argument("--out", action="append", default=[], type=Path, metavar="FILE",
                   help="also write the report (.md .json .csv .parquet .html; repeatable)")
    if config_cls is not None:
        p.add_argument("--full", action="store_true", help="start from the full preset instead of the quick one")
        quick, full = config_cls.quick(), config_cls.full()
        for f in dataclasses.fields(config_cls):
            if f.metadata.get("cli") is False:
                continue
            elem, is_tuple = _field_type(config_cls, f)
            flag = "--" + f.name.replace("_", "-")
            q, fu = getattr(quick, f.name), getattr(full, f.name)
            default_text = _show(q) if q == fu else f"{_show(q)}; --full: {_show(fu)}"
            help_text = f"{f.metadata.get('help', '')} (default {default_text})"
            if elem is bool and not is_tuple:
                p.add_argument(flag, dest=f.name, default=None, action=argparse.BooleanOptionalAction,
                               help=help_text)
                continue
            kwargs: dict[str, Any] = {"dest": f.name, "default": None, "type": _converter(elem, dict(f.metadata)),
                                      "help": help_text}
            if "choices" in f.metadata:
                kwargs["choices"] = tuple(f.metadata["choices"])
            if is_tuple:
                kwargs["nargs"] = "+"
            p.add_argument(flag, **kwargs)
    return p


def _show(v: Any) -> str:
    return " ".join(map(str, v)) if isinstance(v, tuple) else str(v)


def config(config_cls: type, args: argparse.Namespace) -> Any:
    """The preset (``--full`` or quick) with every flag the user gave applied on top."""
    base = config_cls.full() if getattr(args, "full", False) else config_cls.quick()
    changes = {}
    for f in dataclasses.fields(config_cls):
        value = getattr(args, f.name, None)
        if value is not None:
            changes[f.name] = tuple(value) if isinstance(value, list) else value
    return dataclasses.replace(base, **changes)


def emit(findings: Sequence[Finding], args: argparse.Namespace | None = None, *,
         controls: Sequence[Control] = (), detail: str = "") -> int:
    """Print findings (one line per claim, every comparison with ``--verbose``, JSON with ``--json``), write
    ``--out`` files, and return 0."""
    from verify import report

    as_json = bool(getattr(args, "json", False))
    verbose = bool(getattr(args, "verbose", False))
    ids = {f.id for f in findings} | {c.id for c in controls}
    rep = report.rows(findings, controls, only=ids)
    if as_json:
        print(report.to_json(rep))
    else:
        if detail:
            print(detail.rstrip() + "\n")
        print(report.table(rep, verbose=verbose))
    for path in getattr(args, "out", []) or []:
        report.write(rep, path)
        print(f"wrote {path}", file=sys.stderr)
    return 0


def guarded(main: Callable[[list[str] | None], int], argv: list[str] | None = None) -> int:
    """Run a module's main; turn UsageError / ValueError from bad input into one stderr line and exit 2.

    A closed stdout (``| head``) ends the run quietly instead of with a traceback.
    """
    try:
        return main(argv)
    except BrokenPipeError:  # output piped into `head` and closed early: not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except ValueError as exc:
        prog = getattr(main, "__module__", "verify")
        if prog == "__main__":  # run as `python -m verify.<name>`: the module's real name is in its spec
            spec = getattr(sys.modules["__main__"], "__spec__", None)
            prog = spec.name if spec is not None else "verify"
        print(f"python -m {prog}: error: {exc}", file=sys.stderr)
        return 2
