"""Every numeric flag of every command line refuses NaN, +-inf and out-of-range values (issue 14 item 5,
issue 18 item 3): one ``prog: error: ...`` line on stderr, exit code 2, before any work starts.

Table-driven over ALL claim modules (``verify.__main__.claim_modules()``) and every int/float field of their
``Config`` (its ``range`` metadata gives the out-of-range values), plus ``numerics.train`` and
``numerics.sweep``. Each case runs ``cli.guarded(module.main, argv)`` in-process; ``verify.cli.config`` is
replaced by a tripwire, so a value the parser wrongly accepts fails the test at once instead of running the
module. Also: every option's help shows its default, and a config field with ``choices`` is a choices flag.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from numerics import cli as ncli
from verify import cli
from verify.__main__ import claim_modules

MODULES = claim_modules()


class Accepted(Exception):
    """The parser let a bad value through (the module would have run)."""


def numeric_fields(config_cls: type) -> list[tuple[str, type, tuple[Any, Any]]]:
    """(flag, int or float, (lo, hi)) for every numeric CLI field of a claim module's Config."""
    out = []
    for f in dataclasses.fields(config_cls):
        if f.metadata.get("cli") is False:
            continue
        elem, _ = cli._field_type(config_cls, f)
        if elem in (int, float):
            out.append(("--" + f.name.replace("_", "-"), elem, f.metadata.get("range", (None, None))))
    return out


def bad_values(kind: type, lo: Any, hi: Any) -> list[str]:
    """NaN, +-inf, and the nearest values outside [lo, hi] (the bounds themselves are allowed)."""
    values = ["nan", "inf", "-inf"]
    if kind is int:
        values += [str(int(lo) - 1)] if lo is not None else []
        values += [str(int(hi) + 1)] if hi is not None else []
    else:
        values += [repr(lo - max(1.0, abs(lo)))] if lo is not None else []
        values += [repr(hi + max(1.0, abs(hi)))] if hi is not None else []
    return values


FLAGS = [pytest.param(m, flag, bad_values(kind, lo, hi), id=f"{m.__name__.removeprefix('verify.')}{flag}")
         for m in MODULES for flag, kind, (lo, hi) in numeric_fields(m.Config)]


def run_main(main: Callable[[list[str] | None], int], argv: list[str], capsys: pytest.CaptureFixture[str]
             ) -> tuple[int, str]:
    """Exit code and stderr of ``cli.guarded(main, argv)`` (argparse's errors exit via SystemExit)."""
    try:
        code = cli.guarded(main, argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    return code, capsys.readouterr().err


@pytest.fixture
def tripwire(monkeypatch: pytest.MonkeyPatch) -> None:
    def accepted(config_cls: type, args: argparse.Namespace) -> Any:
        raise Accepted(f"the parser accepted {vars(args)}")

    monkeypatch.setattr(cli, "config", accepted)


def test_every_claim_module_follows_the_config_pattern() -> None:
    """Config with quick()/full() presets, check, controls and main: what the table below relies on."""
    assert len(MODULES) >= 15
    for m in MODULES:
        assert dataclasses.is_dataclass(m.Config), m.__name__
        assert m.Config.__dataclass_params__.frozen, m.__name__
        for name in ("check", "controls", "main"):
            assert callable(getattr(m, name, None)), f"{m.__name__} has no {name}"
        assert isinstance(m.Config.quick(), m.Config) and isinstance(m.Config.full(), m.Config)


def test_the_table_covers_every_numeric_flag() -> None:
    flags = {(m.__name__, flag) for m in MODULES for flag, _, _ in numeric_fields(m.Config)}
    assert len(flags) >= 80  # ~100 numeric flags over the claim modules today
    assert len(FLAGS) == len(flags) and all(len(p.values[2]) == 5 for p in FLAGS)  # nan, +-inf, lo - 1, hi + 1
    assert all(None not in r for m in MODULES for _, _, r in numeric_fields(m.Config)), "a field without a range"


@pytest.mark.parametrize(("module", "flag", "values"), FLAGS)
@pytest.mark.usefixtures("tripwire")
def test_claim_module_flag_refuses(module: Any, flag: str, values: list[str], capsys: pytest.CaptureFixture[str]
                                   ) -> None:
    for value in values:
        code, err = run_main(module.main, [f"{flag}={value}"], capsys)
        lines = err.strip().splitlines()
        assert code == 2, f"{module.__name__} {flag}={value}: exit {code}, stderr {err!r}"
        assert len(lines) == 1 and "error" in lines[0] and f"argument {flag}" in lines[0], (value, err)
        assert "Traceback" not in err


@pytest.mark.parametrize("value", ["0", "1"])
@pytest.mark.usefixtures("tripwire")
def test_the_tripwire_fires_on_an_accepted_value(value: str) -> None:
    """Control: a value inside the range gets past the parser, into the (replaced) config step."""
    module = next(m for m in MODULES if m.__name__ == "verify.phi")
    with pytest.raises(Accepted):
        cli.guarded(module.main, [f"--kappa={value}"])


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_claim_module_help_shows_defaults_and_choices(module: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    parser = captured_parser(module.main, monkeypatch)
    actions = {a.dest: a for a in parser._actions}
    for f in dataclasses.fields(module.Config):
        if f.metadata.get("cli") is False:
            continue
        action = actions[f.name]
        assert "default" in help_of(parser, action), f"{module.__name__} --{f.name}: no default in --help"
        if "choices" in f.metadata:
            assert tuple(action.choices) == tuple(f.metadata["choices"]), f"{module.__name__} --{f.name}"
    assert_defaults_shown(parser)


# ----------------------------------------------------------------------------------- numerics.* tools
def _train_main(argv: list[str] | None) -> int:
    from numerics.train import main

    return main(argv)


def _sweep_main(argv: list[str] | None) -> int:
    from numerics.sweep import main

    return main(argv)


# flag -> values that must be refused (out of range for the run, by the parser or by train.validate)
TRAIN_BAD = {
    "--d": ["nan", "inf", "-inf", "3", "63", "-1"],
    "--m": ["nan", "inf", "-inf", "0", "-5"],
    "--algorithm": ["nan", "inf", "0", "4"],
    "--steps": ["nan", "inf", "0"],
    "--eta": ["nan", "inf", "-inf", "0", "-0.5"],
    "--batch": ["nan", "inf", "0"],
    "--sigma": ["nan", "inf", "-inf", "-0.1"],
    "--mc": ["nan", "inf", "-1"],
    "--every": ["nan", "inf", "0"],
    "--eval-n": ["nan", "inf", "0"],
    "--seed": ["nan", "inf", "-1"],
    "--subset-seed": ["nan", "inf", "-1"],
    "--gram-probe": ["nan", "inf", "-1"],
    "--max-fanin": ["nan", "inf", "1", "7"],
    "--threads": ["nan", "inf", "-1"],
}
SWEEP_BAD = {"--workers": ["nan", "inf", "-inf", "0", "257"], "--dask-local": ["nan", "inf", "0", "257"],
             "--stack": ["nan", "inf", "-inf", "0", "65"]}


@pytest.mark.parametrize(("flag", "value"), [(f, v) for f, vs in TRAIN_BAD.items() for v in vs])
def test_train_flag_refuses(flag: str, value: str, tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [f"{flag}={value}", "--steps=1" if flag != "--steps" else "--m=4", "--store", str(tmp_path / "s")]
    if flag == "--sigma":
        argv += ["--algorithm=2", "--oracle=uniform"]
    code, err = run_main(_train_main, argv, capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "error" in err, (flag, value, code, err)
    assert not (tmp_path / "s").exists()  # nothing ran


@pytest.mark.parametrize(("flag", "value"), [(f, v) for f, vs in SWEEP_BAD.items() for v in vs])
def test_sweep_flag_refuses(flag: str, value: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_main(_sweep_main, ["no_such_spec.toml", f"{flag}={value}"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and f"argument {flag}" in err, (flag, value, err)


def test_train_accepts_the_bounds(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """Control for the train table: the edge values the table's neighbours surround are accepted."""
    code, err = run_main(_train_main, ["--d=4", "--m=1", "--steps=1", "--mc=0", "--seed=0", "--max-fanin=2",
                                       "--every=1", "--store", str(tmp_path / "s")], capsys)
    assert code == 0, err
    assert len(list((tmp_path / "s").glob("*.parquet"))) == 1


@pytest.mark.parametrize("main", [_train_main, _sweep_main], ids=["numerics.train", "numerics.sweep"])
def test_numerics_help_shows_defaults_and_choices(main: Callable[[list[str] | None], int],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    parser = captured_parser(main, monkeypatch)
    assert_defaults_shown(parser)
    if main is _train_main:
        text = parser.format_help()
        for choices in ("{subtasks,end_to_end}", "{exact,round,uniform,shrink,inflate}", "{float32,float64}",
                        "{1,2,3}"):
            assert choices in text


# ----------------------------------------------------------------------------------- helpers
class _Parsed(Exception):
    pass


def captured_parser(main: Callable[[list[str] | None], int], monkeypatch: pytest.MonkeyPatch
                    ) -> argparse.ArgumentParser:
    """The parser ``main`` builds (caught at its ``parse_args``, before anything runs)."""
    seen: list[argparse.ArgumentParser] = []

    def parse_args(self: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> Any:
        seen.append(self)
        raise _Parsed

    monkeypatch.setattr(ncli.OneLineParser, "parse_args", parse_args)
    with pytest.raises(_Parsed):
        main([])
    return seen[0]


def help_of(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    formatter = parser._get_formatter()
    return formatter._expand_help(action) if action.help else ""


def assert_defaults_shown(parser: argparse.ArgumentParser) -> None:
    """Every option with a real default (not None / a flag's False) names it in its help line."""
    for action in parser._actions:
        if not action.option_strings or isinstance(action, argparse._HelpAction) \
                or action.default in (None, False, argparse.SUPPRESS) or action.default in ([], (), ""):
            continue  # nothing to show (an empty --out list, an unset option)
        text = help_of(parser, action)
        assert "default" in text, f"{parser.prog} {action.option_strings[0]}: help {text!r} hides its default"
        assert str(action.default) in text, f"{parser.prog} {action.option_strings[0]}: {text!r}"
