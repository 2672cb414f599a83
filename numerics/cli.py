"""Command-line parsing shared by every ``python -m numerics.*`` and ``python -m verify.*`` tool.

Lives in ``numerics`` (the bottom layer) so that ``numerics`` never imports ``verify``. Errors are one
``prog: error: ...`` line on stderr and exit code 2; numeric types reject NaN, +-inf and out-of-range values.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


class OneLineParser(argparse.ArgumentParser):
    """argparse, but an error prints a single ``prog: error: ...`` line and exits 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


class HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Keeps the module docstring's layout and shows every option's default (options whose default is None
    say theirs in their own help text, e.g. the quick and full presets of a claim module)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or action.default == [] or isinstance(action.default, bool):
            return action.help
        return super()._get_help_string(action)


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


def float_in(lo: float = -math.inf, hi: float = math.inf, *, open_lo: bool = False) -> Callable[[str], float]:
    """argparse type: a finite float in [lo, hi] (or (lo, hi] with ``open_lo``); NaN and +-inf are refused."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text} is not a finite number")
        if value < lo or value > hi or (open_lo and value == lo):
            left = "(" if open_lo else "["
            raise argparse.ArgumentTypeError(f"{value} is out of range; allowed: {left}{lo}, {hi}]")
        return value

    parse.__name__ = "finite number"
    return parse


def positive(kind: type = float) -> Callable[[str], float]:
    """argparse type: a finite number > 0 (``kind`` int or float)."""
    if kind is int:
        return int_in(1, 2**62)
    return float_in(0.0, math.inf, open_lo=True)
