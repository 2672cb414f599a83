import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from numerics import store
from numerics.sweep import SpecError, executor_for, load_spec, pending, run, run_one
from numerics.transformer import Config

REPO = Path(__file__).resolve().parents[1]
TINY = 'n_layer = 1\nn_head = 2\nn_embd = 16\nlr = 3e-3\neval_min = 10\nstop_at = 1.0\n'

pytestmark = pytest.mark.usefixtures("one_thread")


def _spec(tmp_path: Path, grid: str, steps: int = 20, name: str = "spec.toml") -> Path:
    path = tmp_path / name
    path.write_text(f'store = "{tmp_path / "store"}"\n[defaults]\n{TINY}max_steps = {steps}\n{grid}')
    return path


def test_grid_expands_to_the_product(tmp_path):
    spec = load_spec(_spec(tmp_path, '[[grid]]\nd = [8, 12]\nseed = [27, 67, 93]\nsupervision = "subtasks"\n'
                                      '[[grid]]\nd = 8\nsupervision = ["end_to_end"]\nseed = [27, 27]\n'))
    assert len(spec.runs) == 2 * 3 + 1
    assert {(c.d, c.seed) for c in spec.runs[:6]} == {(d, s) for d in (8, 12) for s in (27, 67, 93)}
    assert all(c.n_embd == 16 and c.max_steps == 20 for c in spec.runs)
    assert spec.store == tmp_path / "store"


@pytest.mark.parametrize("text, match", [
    ("[[grid]]\nwidth = [1]\n", "unknown config fields"),
    ("[[grid]]\nd = [3]\n", "bad run"),
    ("[grid\n", "not valid TOML"),
    ("[defaults]\nd = 8\n", "at least one"),
])
def test_bad_specs_name_the_file(tmp_path, text, match):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(SpecError, match=match) as info:
        load_spec(path)
    assert "bad.toml" in str(info.value)


def test_specs_in_the_repo_expand():
    full, smoke = load_spec(REPO / "specs" / "table1.toml"), load_spec(REPO / "specs" / "smoke.toml")
    with_ = sorted({c.d for c in full.runs if c.supervision == "subtasks"})
    without = sorted({c.d for c in full.runs if c.supervision == "end_to_end"})
    assert {8, 16, 32} <= set(with_) and {8, 10, 12, 14} <= set(without)  # >= 4 sizes per arm (issue 11)
    assert {c.seed for c in full.runs} == {27, 67, 93} and all(c.batch == 32 for c in full.runs)
    assert len(smoke.runs) <= 6


def test_probes_train_the_model_of_the_table1_spec():
    """The probes behind the spec's lr and q/k/v init (specs/table1_probes.toml) use its width, heads and
    batch (one probe varies the depth), and between them try the spec's setting."""
    full, probes = load_spec(REPO / "specs" / "table1.toml"), load_spec(REPO / "specs" / "table1_probes.toml")
    shape = {(c.n_head, c.n_embd, c.batch, c.grad_clip, c.weight_decay) for c in full.runs}
    assert len(shape) == 1 and {(c.n_head, c.n_embd, c.batch, c.grad_clip, c.weight_decay)
                                for c in probes.runs} == shape
    assert {c.n_layer for c in full.runs} < {c.n_layer for c in probes.runs}
    chosen = {(c.lr, c.qkv_std) for c in full.runs}
    assert len(chosen) == 1 and chosen <= {(c.lr, c.qkv_std) for c in probes.runs}


def test_dask_local_cluster_gives_the_same_shards_as_in_process(tmp_path):
    """A real dask.distributed LocalCluster of 2 worker processes; results equal the in-process run."""
    spec = load_spec(_spec(tmp_path, '[[grid]]\nd = 8\nseed = [27, 67]\nsupervision = ["subtasks", "end_to_end"]\n'))
    with executor_for(1, dask_local=2) as executor:
        trained = run(spec.runs, spec.store, executor, progress=False)
    assert len(trained) == 4 and not pending(spec)
    ref = tmp_path / "ref"
    run_one(spec.runs[0], str(ref))
    a = store.read(store.shard_path(spec.store, spec.runs[0].as_dict()))[1]
    b = store.read(store.shard_path(ref, spec.runs[0].as_dict()))[1]
    assert a.drop(columns="seconds").equals(b.drop(columns="seconds"))
    with executor_for(1, dask_local=2, processes=False) as executor:  # everything done: nothing reruns
        assert run(spec.runs, spec.store, executor, progress=False) == []


def _sweep(spec: Path, *extra: str, **kw) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO), "TQDM_DISABLE": "1"}
    return subprocess.Popen([sys.executable, "-m", "numerics.sweep", str(spec), "--workers", "1", *extra],
                            env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def test_sigkill_then_resume_redoes_only_unfinished_runs(tmp_path):
    """Kill a real sweep (driver and worker, SIGKILL) once some shards exist; the rerun trains exactly
    the missing runs, keeps every finished shard byte for byte and leaves one shard per run."""
    path = _spec(tmp_path, '[[grid]]\nd = 8\nseed = [1, 2, 3, 4, 5, 6, 7, 8]\nsupervision = "end_to_end"\n', steps=150)
    spec = load_spec(path)
    root = spec.store
    proc = _sweep(path, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(root.glob("*.parquet"))) < 2:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
    before = {p.name: p.read_bytes() for p in root.glob("*.parquet")}
    assert 2 <= len(before) < len(spec.runs), "the sweep finished before it could be killed"
    proc = _sweep(path)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert f"{len(before)} already in" in err and f"trained {len(spec.runs) - len(before)} runs" in err
    shards = sorted(root.glob("*.parquet"))
    assert [p.stem for p in shards] == sorted(store.config_key(c.as_dict()) for c in spec.runs)
    assert all(before[name] == (root / name).read_bytes() for name in before)
    assert len(store.load(root).groupby("run")) == len(spec.runs)


def test_cli_foreign_shard_is_one_line_exit_2(tmp_path):
    path = _spec(tmp_path, '[[grid]]\nd = 8\n')
    (tmp_path / "store").mkdir()
    pq.write_table(pa.table({"a": [1]}), tmp_path / "store" / "0123456789abcdef.parquet")
    proc = _sweep(path)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2 and len(err.strip().splitlines()) == 1
    assert "0123456789abcdef.parquet" in err and "Traceback" not in err


@pytest.mark.parametrize("args", [["missing.toml"], ["SPEC", "--workers", "0"], ["SPEC", "--bogus"]])
def test_cli_bad_input_is_one_line_exit_2(tmp_path, args):
    spec = _spec(tmp_path, '[[grid]]\nd = 8\n')
    proc = _sweep(Path(args[0].replace("SPEC", str(spec))), *args[1:])
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_dry_run_lists_pending(tmp_path):
    path = _spec(tmp_path, '[[grid]]\nd = 8\nseed = [1, 2]\n')
    spec = load_spec(path)
    run_one(spec.runs[0], str(spec.store))
    proc = _sweep(path, "--dry-run")
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0 and out.count("\n") == 1 and store.config_key(spec.runs[1].as_dict()) in out
    assert json.loads((spec.store / f"{store.config_key(spec.runs[0].as_dict())}.json").read_text())["seed"] == 1


def test_config_roundtrip_through_the_store(tmp_path):
    config = Config.smoke(max_steps=10)
    run_one(config, str(tmp_path))
    stored, _ = store.read(store.shard_path(tmp_path, config.as_dict()))
    assert Config(**{k: v for k, v in stored.items() if k != "kind"}) == config


def test_a_diverged_run_is_one_line_and_leaves_no_shard(tmp_path, capsys):
    from numerics.sweep import main

    path = tmp_path / "div.toml"
    path.write_text(f'store = "{tmp_path / "s"}"\n[defaults]\n{TINY}lr = 1e30\nmax_steps = 30\n[[grid]]\nd = 8\n'
                    .replace("lr = 3e-3\n", ""))
    assert main([str(path), "--workers", "1"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert "diverged" in err[-1] and not list((tmp_path / "s").glob("*.parquet"))


def test_a_relative_store_in_a_spec_is_relative_to_the_working_directory(tmp_path, monkeypatch):
    spec_dir = tmp_path / "elsewhere"
    spec_dir.mkdir()
    path = spec_dir / "mine.toml"
    path.write_text(f'store = "out/mine"\n[defaults]\n{TINY}max_steps = 5\n[[grid]]\nd = 8\n')
    monkeypatch.chdir(tmp_path)
    assert load_spec(path).store == Path("out/mine")
    assert load_spec(path).store.resolve() == tmp_path / "out" / "mine"


@pytest.mark.parametrize("order", ["cost", "spec"])
def test_stacks_start_in_the_asked_order(tmp_path, order):
    """``order = "spec"`` submits stacks in the spec's order; "cost" largest budget x length first."""
    from concurrent.futures import Executor, Future

    from numerics.transformer import cost

    class Recorder(Executor):
        def __init__(self) -> None:
            self.stacks: list[list] = []

        def submit(self, fn, *args, **kwargs):  # type: ignore[override]
            self.stacks.append(args[0])
            fut: Future = Future()
            fut.set_result([(store.config_key(c.as_dict()), False) for c in args[0]])
            return fut

    path = tmp_path / "order.toml"
    path.write_text(f'stack = 2\norder = "{order}"\n[defaults]\n{TINY}\n'
                    '[[grid]]\nd = 8\nseed = [1, 2]\nmax_steps = 10\n'
                    '[[grid]]\nd = 12\nseed = [1, 2]\nmax_steps = 20\nsupervision = "end_to_end"\n')
    spec = load_spec(path)
    assert spec.order == order
    rec = Recorder()
    run(spec.runs, tmp_path / "store", rec, progress=False, stack=spec.stack, order=spec.order)
    firsts = [g[0] for g in rec.stacks]
    if order == "spec":
        assert [c.d for c in firsts] == [8, 12]
    else:
        assert [cost(c) for c in firsts] == sorted((cost(c) for c in firsts), reverse=True)
        assert [c.d for c in firsts] == [12, 8]


def test_an_unknown_order_is_a_spec_error(tmp_path):
    with pytest.raises(SpecError, match="order"):
        path = tmp_path / "bad.toml"
        path.write_text('order = "random"\n[[grid]]\nd = 8\n')
        load_spec(path)
