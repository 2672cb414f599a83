"""Grids of decoder runs (Table 1) on any ``concurrent.futures`` executor, resumable via the store.

A spec is a TOML file::

    store = "results/table1"          # where shards go (relative to the working directory)
    stack = 3                         # optional: up to 3 runs of one shape train as one batched model
    order = "spec"                    # optional: start stacks in the spec's order (default "cost")
    [defaults]                        # numerics.transformer.Config fields shared by every run
    n_layer = 2
    [[grid]]                          # each block: the cartesian product of its lists (scalars = one value)
    supervision = "subtasks"
    d = [8, 16, 32]
    seed = [27, 67, 93]

Stacks start largest budget first (``order = "cost"``: ``numerics.transformer.cost``, the step budget times
the sequence length). A budget says little about runs that stop early (a sub-task run at 95% long before its
budget), so a spec that knows its runs' measured times lists them longest first and sets ``order = "spec"``:
stacks then start in the order of their first run in the file. Neither order changes any run's result.

Every run's config (``Config.as_dict()``) keys one shard of ``numerics.store``; a run whose shard
exists is skipped, so a sweep killed at any moment (even SIGKILL) and started again redoes exactly
the unfinished runs. Workers write their own shard (atomically) as soon as the run ends, so with a
remote Dask cluster the store must be on a filesystem the workers share.

    python -m numerics.sweep specs/table1.toml                     # local process pool
    python -m numerics.sweep specs/table1.toml --dask-local 2      # dask.distributed LocalCluster
    python -m numerics.sweep specs/table1.toml --scheduler tcp://HOST:8786
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import sys
import time
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from numerics import store
from numerics.transformer import Config

ORDERS = ("cost", "spec")


class SpecError(ValueError):
    """A spec that cannot be expanded (bad TOML, unknown field, bad value)."""


@dataclass(frozen=True)
class Spec:
    """An expanded spec: its runs (in file order) and the store they go to."""

    path: Path
    store: Path
    runs: tuple[Config, ...]
    stack: int = 1  # up to this many runs of one shape trained as one batched model (``stack = N`` in the file)
    order: str = "cost"  # the order stacks start in: "cost" (largest budget first) or "spec" (file order)


def _grid(block: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    keys = list(block)
    values = [v if isinstance(v, list) else [v] for v in block.values()]
    for combo in itertools.product(*values):
        yield dict(zip(keys, combo, strict=True))


def load_spec(path: Path | str) -> Spec:
    """Parse and expand a spec file; raises SpecError with the file name on any problem."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text())
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: not valid TOML ({exc})") from None
    unknown = set(raw) - {"store", "defaults", "grid", "description", "stack", "order"}
    if unknown:
        raise SpecError(f"{path}: unknown top-level keys {sorted(unknown)}")
    names = {f.name for f in fields(Config)}
    defaults = raw.get("defaults", {})
    blocks = raw.get("grid", [])
    if not isinstance(blocks, list) or not blocks:
        raise SpecError(f"{path}: needs at least one [[grid]] block")
    runs: list[Config] = []
    for block in blocks:
        for point in _grid(block):
            values = {**defaults, **point}
            bad = set(values) - names
            if bad:
                raise SpecError(f"{path}: unknown config fields {sorted(bad)} (known: {sorted(names)})")
            try:
                config = Config(**values)
            except (TypeError, ValueError) as exc:
                raise SpecError(f"{path}: bad run {point}: {exc}") from None
            if config not in runs:
                runs.append(config)
    # One rule for every command line of the toolkit: a relative path is relative to the working directory.
    stack = raw.get("stack", 1)
    if not isinstance(stack, int) or isinstance(stack, bool) or stack < 1:
        raise SpecError(f"{path}: stack must be an integer >= 1, got {stack!r}")
    order = raw.get("order", "cost")
    if order not in ORDERS:
        raise SpecError(f"{path}: order must be one of {ORDERS}, got {order!r}")
    return Spec(path, Path(raw.get("store", f"results/{path.stem}")), tuple(runs), stack, order)


def run_one(config: Config, root: str) -> tuple[str, bool]:
    """Train ``config`` unless its shard exists, write the shard; return ``(key, ran)``.

    Runs in a worker: one torch thread (the sweep parallelises over runs, not inside them).
    """
    import torch

    from numerics.transformer import train

    key = store.config_key(config.as_dict())
    if store.is_done(root, config.as_dict()):
        return key, False
    torch.set_num_threads(1)
    try:
        curve = train(config)
    except FloatingPointError as exc:
        raise FloatingPointError(f"run {key} ({config}): {exc}") from None
    store.write(root, config.as_dict(), curve)
    return key, True


def run_stack(configs: Sequence[Config], root: str) -> list[tuple[str, bool]]:
    """Train the runs of one stack (``numerics.transformer.groups``) that have no shard yet as one
    batched model, writing each run's shard as soon as that run ends; returns ``(key, ran)`` per run."""
    import torch

    from numerics.transformer import train_many

    todo = [c for c in configs if not store.is_done(root, c.as_dict())]
    torch.set_num_threads(1)
    try:
        train_many(todo, on_done=lambda c, curve: store.write(
            root, c.as_dict(), curve, outputs={"cpu_seconds": curve.attrs["cpu_seconds"], "stack": len(todo)}))
    except FloatingPointError as exc:
        raise FloatingPointError(f"stack of {len(todo)} runs: {exc}") from None
    return [(store.config_key(c.as_dict()), c in todo) for c in configs]


def pending(spec: Spec, root: Path | str | None = None) -> list[Config]:
    """The runs of ``spec`` that have no shard yet in ``root`` (default: the spec's store)."""
    root = spec.store if root is None else root
    return [c for c in spec.runs if not store.is_done(root, c.as_dict())]


def run(runs: Sequence[Config], root: Path | str, executor: Executor, progress: bool = True,
        stack: int = 1, order: str = "cost") -> list[str]:
    """Submit ``runs`` to ``executor`` and wait; returns the keys of runs trained now (a tqdm bar
    counts finished runs). An exception in a run propagates after the others were submitted.

    ``stack`` > 1: runs of one shape go in stacks of up to ``stack`` (``run_stack``), started in ``order``:
    "cost", the largest budgets (``numerics.transformer.cost``) first; "spec", the order of ``runs``."""
    from tqdm.auto import tqdm

    from numerics.transformer import cost, groups

    if order not in ORDERS:
        raise ValueError(f"order must be one of {ORDERS}, got {order!r}")
    if stack > 1:
        stacks = groups(list(runs), stack)
        if order == "cost":
            stacks.sort(key=lambda g: -sum(cost(c) for c in g))
        futures = [executor.submit(run_stack, g, str(root)) for g in stacks]
    else:
        futures = [executor.submit(run_one, c, str(root)) for c in runs]
    trained = []
    with tqdm(total=len(runs), desc="runs", unit="run", disable=None if progress else True) as bar:
        for fut in as_completed(futures):
            result = fut.result()
            for key, ran in result if stack > 1 else [result]:
                if ran:
                    trained.append(key)
                bar.update(1)
    return trained


@contextlib.contextmanager
def executor_for(workers: int, scheduler: str | None = None, dask_local: int | None = None,
                 processes: bool = True) -> Iterator[Executor]:
    """A process pool of ``workers``; or a dask.distributed executor on ``scheduler`` (an address)
    or on a LocalCluster of ``dask_local`` single-threaded workers (``processes`` False: threads)."""
    if scheduler is None and dask_local is None:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            yield pool
        return
    from distributed import Client, LocalCluster

    with contextlib.ExitStack() as stack:
        if dask_local is not None:
            cluster = stack.enter_context(LocalCluster(n_workers=dask_local, threads_per_worker=1,
                                                       processes=processes, dashboard_address=None))
            client = stack.enter_context(Client(cluster))
        else:
            client = stack.enter_context(Client(scheduler, timeout="20s"))
        yield client.get_executor(pure=False)


def main(argv: list[str] | None = None) -> int:
    from numerics import cli

    parser = cli.OneLineParser(prog="python -m numerics.sweep", description=__doc__,
                               formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("spec", type=Path, help="TOML grid spec (e.g. specs/table1.toml)")
    parser.add_argument("--store", type=Path, help="results directory (default: the spec's `store`)")
    parser.add_argument("--workers", type=cli.int_in(1, 256), default=min(2, os.cpu_count() or 1),
                        help="local worker processes (default: min(2, cores))")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="run on this dask.distributed scheduler")
    where.add_argument("--dask-local", type=cli.int_in(1, 256), metavar="N",
                       help="run on a dask LocalCluster of N worker processes")
    parser.add_argument("--stack", type=cli.int_in(1, 64), metavar="N",
                        help="train up to N runs of one shape as one batched model (default: the spec's `stack`, 1)")
    parser.add_argument("--dry-run", action="store_true", help="list the pending runs and exit")
    args = parser.parse_args(argv)
    try:
        spec = load_spec(args.spec)
        root = args.store or spec.store
        # Read every existing shard first: a foreign or truncated one stops the sweep with its name.
        store.load(root) if Path(root).exists() else None
        todo = pending(spec, root)
    except (SpecError, store.StoreError) as exc:
        print(f"python -m numerics.sweep: error: {exc}", file=sys.stderr)
        return 2
    with contextlib.ExitStack() as stack:
        if todo and not args.dry_run:
            try:
                executor = stack.enter_context(executor_for(args.workers, args.scheduler, args.dask_local))
            except OSError as exc:
                print(f"python -m numerics.sweep: error: cannot reach the scheduler ({exc})", file=sys.stderr)
                return 2
        print(f"{args.spec}: {len(spec.runs)} runs, {len(spec.runs) - len(todo)} already in {root}, "
              f"{len(todo)} to run", file=sys.stderr, flush=True)
        if args.dry_run:
            for c in todo:
                print(store.config_key(c.as_dict()), c)
            return 0
        start = time.perf_counter()
        try:
            trained = run(todo, root, executor, stack=args.stack or spec.stack, order=spec.order) if todo else []
        except FloatingPointError as exc:  # a diverged run: finished shards stay, rerun resumes
            print(f"python -m numerics.sweep: error: a run diverged ({exc})", file=sys.stderr)
            return 1
    print(f"trained {len(trained)} runs in {time.perf_counter() - start:.1f} s; store: {root}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
