"""numerics.train on a circuit file (issue 18: ``--circuit FILE [--output NAME]``) and its progress lines.

The task is one output's cone (``numerics.cone.sequence``); the store key holds the file's SHA-256, the
output and the fan-in bound, so a re-run replaces its shard and another output or another file never shares
it. The command line and the Python equivalent (``circuit_task`` + ``train``) give the same records.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, replace
from pathlib import Path

import pytest

from numerics import circuit_io, cone, store
from numerics.train import TrainConfig, circuit_task, fit, main, store_config, train

REPO = Path(__file__).resolve().parents[1]
C17 = REPO / "numerics" / "data" / "c17.bench"
ARGS = ["--m", "16", "--steps", "6", "--every", "3", "--eta", "0.5", "--batch", "4"]


def test_circuit_task_is_the_sequenced_cone() -> None:
    netlist = circuit_io.read(C17)
    task = circuit_task(C17)
    assert task.output == cone.largest_output(netlist)
    ref = cone.sequence(netlist, task.output, 2).circuit
    assert task.circuit.gates == ref.gates and task.circuit.n_inputs == ref.n_inputs
    assert task.sha256 == hashlib.sha256(C17.read_bytes()).hexdigest()
    config = task.config(m=8)
    assert config.d == task.circuit.n_inputs and config.task == f"c17.bench:{task.output}" and config.m == 8
    other = circuit_task(C17, output=next(n for n in netlist.output_names if n != task.output))
    assert other.identity != task.identity


def test_store_config_without_a_circuit_is_unchanged() -> None:
    """Runs stored before --circuit existed keep their keys."""
    config = TrainConfig(d=8, m=16)
    expected = {k: v for k, v in asdict(config).items() if k not in {"partial", "partial_mode"}}
    assert store_config(config) == {**expected, "learning_rate": config.learning_rate}


def test_cli_circuit_rerun_replaces_and_outputs_do_not_share(tmp_path: Path, one_thread: None,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "s"
    names = circuit_io.read(C17).output_names
    for _ in range(2):  # the same command twice: one shard
        assert main(["--circuit", str(C17), "--output", names[0], *ARGS, "--store", str(root)]) == 0
    assert len(list(root.glob("*.parquet"))) == 1
    assert main(["--circuit", str(C17), "--output", names[1], *ARGS, "--store", str(root)]) == 0
    copy = tmp_path / "mine.bench"  # the same circuit, one more comment line: another file, another key
    copy.write_text(C17.read_text() + "\n# edited\n")
    assert main(["--circuit", str(copy), "--output", names[0], *ARGS, "--store", str(root)]) == 0
    runs = store.load(root)
    per_run = runs.groupby("run")[["cfg_circuit_output", "cfg_circuit_sha256", "out_circuit_file"]].first()
    assert len(per_run) == 3 and set(per_run.cfg_circuit_output) == set(names)
    assert per_run.cfg_circuit_sha256.nunique() == 2
    assert "free-running error" in capsys.readouterr().out


def test_cli_equals_the_python_equivalent(tmp_path: Path, one_thread: None) -> None:
    assert main(["--circuit", str(C17), *ARGS, "--store", str(tmp_path)]) == 0
    (shard,) = tmp_path.glob("*.parquet")
    stored_config, records = store.read(shard)
    task = circuit_task(C17)
    config = task.config(m=16, steps=6, every=3, eta=0.5, batch=4)
    assert stored_config == store_config(config, task.identity)
    frame = train(config, task.circuit)
    assert frame.equals(records)


@pytest.mark.parametrize(("argv", "message"), [
    (["--circuit", "no_such.bench"], "cannot read"),
    (["--circuit", str(C17), "--output", "nope"], "no output named"),
    (["--circuit", str(C17), "--d", "9"], "reads"),
    (["--output", "x"], "needs --circuit"),
])
def test_cli_circuit_errors_are_one_line(argv: list[str], message: str, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*argv, "--store", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err and not (tmp_path / "s").exists()


def test_progress_before_the_first_step(capsys: pytest.CaptureFixture[str], one_thread: None) -> None:
    """Without a terminal (pytest's capture) a run with progress says what it does before step 1: the build
    of all 2^d inputs for Algorithm 3's exact expectation, then a line at step 0; without progress, nothing."""
    config = TrainConfig(d=6, m=8, algorithm=3, steps=2, every=1, eta=0.5, exhaustive_eval=False, eval_n=16)
    seen = []
    fit(config, progress=True, on_step=lambda s: seen.append(capsys.readouterr().err) if s.step == 1 else None)
    before_first = seen[0]
    assert "building all 2^6 = 64 input sequences" in before_first and "train: step 0/2" in before_first
    assert "train: step 2/2" in capsys.readouterr().err
    fit(replace(config, steps=1), progress=False)
    assert capsys.readouterr().err == ""
