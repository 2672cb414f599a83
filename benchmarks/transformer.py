"""Decoder training throughput at the Table 1 spec's shapes, against matmul rates measured in the same run.

For each shape of ``specs/table1.toml`` asked for (default: the longest sequence, 32 bits with supervision,
47 tokens; and the censored one, 14 bits without, 15 tokens), model-steps per second of one teacher-forced
training step (forward, loss on positions d..T, backward, per-run gradient clipping, fused AdamW), batch 32:

- ``Decoder``: the plain nn.Module loop (``numerics.transformer.train_reference``'s step), one run: the
  baseline, what the sweep ran before stacks;
- ``stack xM fp32`` / ``stack xM bf16``: ``train_many``'s step with M runs as one batched model (the spec's
  ``stack``), float32 and bfloat16 (bfloat16 only where ``bf16_hardware()``; skipped with a note otherwise),
  with the kernels a run gets (``kernels_for``: ``numerics.cpu_kernels``' compiled attention and GELU when
  a C compiler is present), and the same with PyTorch's own kernels (``, torch kernels``: CPU flash
  attention in float32, batched-matmul attention in bfloat16);
- ``stack xM fp32, H/4 heads, torch kernels``: the same with a quarter of the heads, 4x wider (not the
  spec's model: the lever the spec does not pull, measured to show what heads of size 4 cost PyTorch's
  kernels; compare with ``stack xM fp32, torch kernels``);
- ``GPT2LMHeadModel`` (transformers, the optional ``bench`` extra; skipped with a note when not installed).

Beside them, the same run's rates of the step's own matmuls (every linear layer's forward and both backward
products, M models as ``bmm``) in float32 and bfloat16, the step's matmul GFLOP/s, its fraction of the fp32
matmul rate, and the share of the step spent in attention (fwd + bwd of the heads alone): heads of size 4
make attention elementwise work, not matmul work. Variants are timed round-robin (``--rounds``) so that a
shared machine's load hits them alike; ``uptime``'s load is printed: compare ratios, not absolute rates.

    python -m benchmarks.transformer [--steps 10] [--rounds 3] [--shapes all] [--threads 1]
    python -m benchmarks.transformer --sweep [SPEC]      # time a spec end to end from a fresh store
    python -m benchmarks.transformer --what-if STORE     # TAB1/FIG4 from STORE, as cheaper specs would record them
    python -m benchmarks.transformer --compare A B       # steps to learn, the same runs in two stores
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from scipy import stats
from torch.nn import functional as F

from numerics import cpu_kernels
from numerics.sweep import load_spec
from numerics.transformer import (
    START,
    Config,
    Stack,
    _attend,
    _batch,
    bf16_hardware,
    groups,
    kernels_for,
    loss_on,
    make_data,
    model_for,
    optimizer,
    seq_length,
)
from verify.table1 import FULL_SPEC as SPEC
from verify.table1 import REPO


def _load() -> str:
    try:
        return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg()) + f" on {os.cpu_count()} cores"
    except OSError:
        return "load average unknown"


def spec_shapes(spec_path: Path = SPEC) -> list[list[Config]]:
    """The spec's stacks (one per shape and schedule), longest sequence first."""
    spec = load_spec(spec_path)
    stacks = groups(list(spec.runs), spec.stack)
    return sorted(stacks, key=lambda g: -seq_length(g[0]))


def _inputs(configs: list[Config]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, list]:
    datas = [make_data(c) for c in configs]
    parts = [_batch(dt.circuit, dt.val[: c.batch], c.supervision, c.batch)
             for dt, c in zip(datas, configs, strict=True)]
    u, t, w = (torch.from_numpy(np.stack(a)) for a in zip(*parts, strict=True))
    return u, t, w.float(), datas


def decoder_step(config: Config) -> Callable[[], None]:
    """One step of the plain nn.Module loop (``train_reference``)."""
    u, t, _, datas = _inputs([config])
    model = model_for(config, datas[0].circuit)
    opt = optimizer(model, config)

    def step() -> None:
        loss = loss_on(model, u[0], t[0], config.d)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        opt.step()

    return step


def stack_step(configs: list[Config], kernels: str | None = None) -> Callable[[], None]:
    """One step of ``train_many``'s stack of ``configs``."""
    u, t, w, datas = _inputs(configs)
    stack = Stack(configs, [dt.circuit for dt in datas], kernels)
    return lambda: stack.step(u, t, w)


def gpt2_step(config: Config) -> Callable[[], None] | None:
    """One step of transformers.GPT2LMHeadModel at the same size (None when transformers is missing)."""
    try:
        from transformers import GPT2Config, GPT2LMHeadModel
    except ImportError:
        return None
    u, t, _, _ = _inputs([config])
    hf = GPT2Config(vocab_size=3, n_positions=u.shape[2], n_embd=config.n_embd, n_layer=config.n_layer,
                    n_head=config.n_head, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                    bos_token_id=START, eos_token_id=START)
    torch.manual_seed(config.init_seed)
    model = GPT2LMHeadModel(hf)
    model.train()
    opt = optimizer(model, config)

    def step() -> None:
        logits = model(input_ids=u[0]).logits[:, config.d :, :2]
        loss = F.cross_entropy(logits.reshape(-1, 2), t[0].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        opt.step()

    return step


def linear_shapes(config: Config, length: int) -> list[tuple[int, int, int]]:
    """``(rows, in, out)`` of every linear layer's forward in one step of one model (the last layer computes
    rows for positions d.. only, as the decoder does)."""
    b, c = config.batch, config.n_embd
    shapes = []
    for i in range(config.n_layer):
        rows = b * (length - config.d if i == config.n_layer - 1 else length)
        shapes += [(b * length, c, 3 * c), (rows, c, c), (rows, c, 4 * c), (rows, 4 * c, c)]
    shapes.append((b * (length - config.d), c, 2))
    return shapes


def step_flops(config: Config, length: int) -> float:
    """Matmul FLOPs of one training step of one model: forward, and the two backward products per layer."""
    return 3.0 * sum(2.0 * r * k * n for r, k, n in linear_shapes(config, length))


def matmul_step(config: Config, length: int, models: int, dtype: torch.dtype) -> Callable[[], None]:
    """The step's matmuls alone (forward y = x w; backward dx = dy w^T, dw = x^T dy), ``models`` as bmm."""
    ops = []
    for r, k, n in linear_shapes(config, length):
        x, w, dy = (torch.randn(models, *s, dtype=dtype) for s in ((r, k), (k, n), (r, n)))
        ops += [(x, w), (dy, w.transpose(1, 2)), (x.transpose(1, 2), dy)]

    def step() -> None:
        for a, b in ops:
            torch.bmm(a, b)

    return step


def attention_step(config: Config, length: int, models: int, kernels: str, dtype: torch.dtype
                   ) -> Callable[[], None]:
    """The heads alone (causal attention forward and backward) as ``train_many`` runs them with ``kernels``
    on ``dtype`` activations."""
    n, h, hd = models * config.batch, config.n_head, config.n_embd // config.n_head
    if kernels == "compiled":
        qkv = torch.randn(n, length, 3, h, hd, dtype=dtype, requires_grad=True)
        return lambda: cpu_kernels.causal_attention(qkv).sum().backward()
    q, k, v = (torch.randn(n, h, length, hd, dtype=dtype, requires_grad=True) for _ in range(3))
    return lambda: _attend(q, k, v, kernels).sum().backward()


def time_round_robin(variants: dict[str, Callable[[], None]], steps: int, rounds: int) -> dict[str, float]:
    """Seconds per call of each variant: warm-up, then ``rounds`` rounds of ``steps`` calls each, in turn."""
    for f in variants.values():
        f()
        f()
    spent = dict.fromkeys(variants, 0.0)
    for _ in range(rounds):
        for name, f in variants.items():
            start = time.perf_counter()
            for _ in range(steps):
                f()
            spent[name] += time.perf_counter() - start
    return {name: s / (steps * rounds) for name, s in spent.items()}


def bench_shape(configs: list[Config], steps: int, rounds: int) -> list[str]:
    """The table for one shape (lines of text)."""
    first = configs[0]
    m = len(configs)
    length = seq_length(first)
    flops = step_flops(first, length)
    bf16 = bf16_hardware()
    compiled = cpu_kernels.available()
    models: dict[str, tuple[Callable[[], None], int]] = {
        "Decoder (nn.Module, before)": (decoder_step(first), 1),
        "stack x1 fp32": (stack_step(configs[:1]), 1),
    }
    if compiled:
        models[f"stack x{m} fp32, torch kernels"] = (stack_step(configs, "sdpa"), m)
    models[f"stack x{m} fp32"] = (stack_step(configs), m)
    if bf16:
        low = [replace(c, precision="bfloat16") for c in configs]
        if compiled:
            models[f"stack x{m} bf16, torch kernels"] = (stack_step(low, "bmm"), m)
        models[f"stack x{m} bf16"] = (stack_step(low), m)
    wide = max(1, first.n_head // 4)  # the lever the spec does not pull: fewer, wider heads (another model),
    models[f"stack x{m} fp32, {wide} heads, torch kernels"] = (  # beside the same model's 32 heads of 4
        stack_step([replace(c, n_head=wide) for c in configs], "sdpa"), m)
    hf = gpt2_step(first)
    if hf is not None:
        models["GPT2LMHeadModel"] = (hf, 1)
    attention = {"fp32": (kernels_for(torch.float32), torch.float32), "fp32, torch kernels": ("sdpa", torch.float32)}
    if bf16:
        attention |= {"bf16": (kernels_for(torch.bfloat16), torch.bfloat16),
                      "bf16, torch kernels": ("bmm", torch.bfloat16)}
    others: dict[str, Callable[[], None]] = {
        f"attention {variant}": attention_step(first, length, m, kind, dtype)
        for variant, (kind, dtype) in attention.items() if f"stack x{m} {variant}" in models}
    others["matmuls fp32"] = matmul_step(first, length, m, torch.float32)
    if bf16:
        others["matmuls bf16"] = matmul_step(first, length, m, torch.bfloat16)
    sec = time_round_robin({**{k: f for k, (f, _) in models.items()}, **others}, steps, rounds)
    mm32 = m * flops / sec["matmuls fp32"]
    lines = [f"d={first.d} {first.supervision}: {length} tokens, batch {first.batch}, {first.n_layer} layers, "
             f"width {first.n_embd}, {first.n_head} heads; {flops / 1e9:.2f} GFLOP of matmuls per model-step",
             f"  same-run matmul rates on these shapes (x{m} as bmm): fp32 {mm32 / 1e9:.0f} GFLOP/s"
             + (f", bf16 {m * flops / sec['matmuls bf16'] / 1e9:.0f} GFLOP/s" if bf16 else
                ", bf16 not measured (no AMX: bfloat16 falls back to float32)"),
             "  kernels: " + ("compiled (numerics.cpu_kernels: attention and GELU)" if compiled else
                              "torch only (no C compiler: numerics.cpu_kernels unavailable)")]
    base = 1.0 / sec["Decoder (nn.Module, before)"]
    for name, (_, count) in models.items():
        rate = count / sec[name]
        lines.append(f"  {name:<40} {rate:8.1f} model-steps/s  x{rate / base:4.2f} vs before  "
                     f"{rate * flops / 1e9:6.1f} GFLOP/s = {rate * flops / mm32:4.0%} of fp32 matmul rate")
    if hf is None:
        lines.append("  GPT2LMHeadModel: not measured (pip install 'subtask-verify[bench]' for transformers)")
    for variant, (kind, _) in attention.items():
        name = f"stack x{m} {variant}"
        if name not in sec:
            continue
        dt = variant.split(",")[0]
        lines.append(f"  {name}: attention alone ({kind}, fwd + bwd, {first.n_head} heads of "
                     f"{first.n_embd // first.n_head}) is {sec[f'attention {variant}'] / sec[name]:.0%} of the "
                     f"step, its matmuls at the same-run {dt} rate {sec[f'matmuls {dt}'] / sec[name]:.0%}")
    return lines


def time_sweep(spec: Path, workers: int) -> int:
    """Run ``python -m numerics.sweep SPEC`` into a fresh temporary store; print its own timer, the wall
    time and the workers' CPU time (what the sweep costs on an idle machine, when the CPU is shared)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryDirectory(prefix="table1-") as tmp:
        print(f"{_load()}; python -m numerics.sweep {spec} --store {tmp} --workers {workers}", flush=True)
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "numerics.sweep", str(spec), "--store", tmp,
                               "--workers", str(workers)], cwd=REPO, stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = [ln for ln in proc.stderr.replace("\r", "\n").splitlines() if ln.startswith(("trained", "python -m"))]
    print("\n".join(lines))
    print(f"wall {wall:.0f} s; CPU time of the sweep's processes {cpu:.0f} s (= {cpu / workers:.0f} s on "
          f"{workers} idle cores); {_load()}")
    return proc.returncode


def thinned(frame: pd.DataFrame, per_doubling: int) -> pd.DataFrame:
    """Stored curves as a sparser validation schedule would have recorded them: the rows at the steps
    ``eval_every(step, eval_min, per_doubling)`` keeps (and step 0 and the budget's last step), up to the first
    kept row at or above the run's ``stop_at``. Evaluation does not touch the training stream, so the kept rows
    are exactly what the sparser run records. A run that stopped between two sparse evaluations would have run
    on to the next one; that row is not stored and is written with the stop row's accuracy (``imputed`` =
    True): the one assumption, that a run at >= 95% is still above 60% a few steps later."""
    from numerics.transformer import eval_every

    out = []
    for _, curve in frame.groupby("run", sort=False):
        c = curve.sort_values("step")
        first = c.iloc[0]
        eval_min, stop, budget = int(first["cfg_eval_min"]), float(first["cfg_stop_at"]), int(first["cfg_max_steps"])
        on = [s in (0, budget) or s % eval_every(s, eval_min, per_doubling) == 0 for s in c["step"]]
        kept = c[on].assign(imputed=False)
        last = c.iloc[-1]
        if not on[-1]:  # stopped (or hit the budget) between two sparse evaluations
            step = int(last["step"])
            while step < budget and step % eval_every(step, eval_min, per_doubling):
                step += 1
            kept = pd.concat([kept, last.to_frame().T.assign(step=step, imputed=True)], ignore_index=True)
        hit = kept.index[(kept["val_acc"] >= stop) & (kept["step"] > 0)]
        if len(hit):
            kept = kept.loc[: hit[0]]
        out.append(kept.assign(cfg_eval_per_doubling=per_doubling))
    return pd.concat(out, ignore_index=True).astype({"step": int, "val_acc": float})


def censored_at(frame: pd.DataFrame, supervision: str, d: int, budget: int) -> pd.DataFrame:
    """Stored curves with the runs of (``supervision``, ``d``) cut at ``budget`` steps, as a run with that
    budget records them (the budget row is kept when it was an evaluation; a run that ended earlier is
    unchanged)."""
    sel = (frame["cfg_supervision"] == supervision) & (frame["cfg_d"] == d)
    keep = ~sel | (frame["step"] <= budget)
    return frame[keep].assign(cfg_max_steps=frame["cfg_max_steps"].where(~sel, budget)[keep])


def what_if(store_dir: Path, reps: int = 300) -> int:
    """The Table 1 decisions (``verify.table1``'s rule: TAB1, FIG4) refitted from the runs stored in
    ``store_dir`` as they would have come out of cheaper specs: validation 5 instead of 10 times per
    doubling of the step count (``thinned``), the 14-bit runs without supervision censored at 2K instead of
    6K (``censored_at``), and both. The same decisive comparisons with the same intervals mean the cheaper
    spec carries the same information for the rule."""
    from numerics import store
    from verify import table1

    frame = store.load(store_dir)
    base_pd = int(frame["cfg_eval_per_doubling"].iloc[0])
    variants = {
        f"as stored (validation {base_pd} per doubling)": frame,
        "validation 5 per doubling": thinned(frame, 5),
        "14 bits without supervision censored at 2K": censored_at(frame, "end_to_end", 14, 2000),
        "both": censored_at(thinned(frame, 5), "end_to_end", 14, 2000),
    }
    for label, f in variants.items():
        runs = table1.runs_of(f)
        findings = table1.decide(table1.Data(runs, label, boot=reps))
        evals = runs.groupby("supervision")["k"].max().to_dict()
        imputed = int(f["imputed"].sum()) if "imputed" in f else 0
        print(f"{label}: evaluations per run up to {evals}, imputed rows {imputed}")
        for fd in findings[:2]:
            print(f"  {fd.id} {fd.verdict}")
            for c in fd.comparisons:
                if c.role != "context":
                    print(f"    {c.text()}")
        steps = runs.pivot_table(index=["supervision", "d"], values="steps", aggfunc="median")["steps"]
        print("  median steps to the level: " + ", ".join(f"{m[:3]} {d}: {v:.0f}" for (m, d), v in steps.items()))
    return 0


Steps = tuple[float, float, str]  # steps to > 60%, steps to > 95%, what ran ("<precision> <kernels>")


def steps_to_learn(root: Path) -> dict[tuple, Steps]:
    """Each stored run's steps to > 60% and > 95% validation accuracy, keyed by its config without its
    precision (two stores of one spec pair up run by run). SystemExit when two runs share a key."""
    from numerics import store
    from numerics.transformer import LEARNED, SOLVED, first_step_above

    runs: dict[tuple, Steps] = {}
    frame = store.load(root)
    for _, curve in frame.groupby("run") if len(frame) else ():
        c = curve.sort_values("step")
        cfg = c.iloc[0]
        key = tuple((name[4:], cfg[name]) for name in sorted(c.columns)
                    if name.startswith("cfg_") and name != "cfg_precision")
        if key in runs:
            raise SystemExit(f"{root}: more than one run of {_label(key)}: compare stores of one spec each")
        kernels = cfg["kernels"] if "kernels" in c and isinstance(cfg["kernels"], str) else "sdpa"
        runs[key] = (first_step_above(c, LEARNED), first_step_above(c, SOLVED), f"{cfg['precision']} {kernels}")
    return runs


def _label(key: tuple) -> str:
    """``supervision [partial] d seed`` of a ``steps_to_learn`` key."""
    cfg = dict(key)
    partial = cfg.get("partial")
    return (f"{cfg['supervision']:<10}" + (f" {partial}" if isinstance(partial, str) and partial else "")
            + f" {cfg['d']:>2} {cfg['seed']}")


def compare(first: Path, second: Path) -> int:
    """The runs of one spec stored twice (``first``, ``second``: float32 with PyTorch's kernels and with the
    compiled ones, which differ in rounding only; or float32 and bfloat16, ``specs/table1_bf16.toml``),
    config by config: steps to learn, how often they are equal, and their ratios."""
    a, b = steps_to_learn(first), steps_to_learn(second)
    keys = sorted(a.keys() & b.keys(), key=_label)
    if not keys:
        raise SystemExit(f"{first} and {second} share no config")
    print(f"supervision d seed: steps to >60% {first.name} -> {second.name}, steps to >95% likewise (what ran)")
    ratios, same = [], 0
    for key in keys:
        (a60, a95, ran_a), (b60, b95, ran_b) = a[key], b[key]
        same += a60 == b60 or (math.isnan(a60) and math.isnan(b60))
        print(f"  {_label(key)}: {a60:6.0f} -> {b60:6.0f}   {a95:6.0f} -> {b95:6.0f}  ({ran_a} -> {ran_b})")
        if math.isfinite(a60) and math.isfinite(b60):
            ratios.append(b60 / a60)
    r = np.array(ratios)
    print(f"{len(keys)} pairs; steps to >60% equal in {same}")
    if len(r):
        logs = np.log(r)
        line = (f"{second.name}/{first.name} steps to >60% over {len(r)} pairs learned in both: median "
                f"{np.median(r):.2f}, geometric mean {np.exp(logs.mean()):.2f}")
        if len(r) > 1:
            half = stats.t.ppf(0.975, len(r) - 1) * logs.std(ddof=1) / math.sqrt(len(r))
            line += f" [95% CI {np.exp(logs.mean() - half):.2f}, {np.exp(logs.mean() + half):.2f}]"
        moved = logs[logs != 0]
        if len(moved):
            line += f", Wilcoxon signed-rank p {stats.wilcoxon(moved).pvalue:.2f} (pairs that moved)"
        print(line + f"; spread: sd of log ratio {logs.std(ddof=1) if len(r) > 1 else 0.0:.2f}, "
              f"range [{r.min():.2f}, {r.max():.2f}]")
    return 0


def main(argv: list[str] | None = None) -> int:
    from numerics import cli

    parser = cli.OneLineParser(prog="python -m benchmarks.transformer", description=__doc__,
                               formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=cli.int_in(1, 100_000), default=10, help="timed steps per round")
    parser.add_argument("--rounds", type=cli.int_in(1, 100), default=3, help="round-robin rounds")
    parser.add_argument("--threads", type=cli.int_in(1, 256), default=1, help="torch threads (the sweep uses 1)")
    parser.add_argument("--shapes", choices=["two", "all"], default="two",
                        help="the longest and the censored shape of the spec (two), or every shape (all)")
    parser.add_argument("--spec", type=Path, default=SPEC, help="the spec whose shapes are timed")
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--sweep", action="store_true", help="time the spec end to end from a fresh store")
    what.add_argument("--what-if", type=Path, metavar="STORE",
                      help="TAB1/FIG4 refitted from STORE's runs as a sparser validation schedule and a shorter "
                           "censoring point would have recorded them")
    what.add_argument("--compare", type=Path, nargs=2, metavar=("STORE", "STORE"),
                      help="steps to learn of the same runs stored twice, run by run (float32 with PyTorch's "
                           "kernels vs the compiled ones: the rounding floor; float32 vs bfloat16: "
                           "specs/table1_bf16.toml)")
    parser.add_argument("--workers", type=cli.int_in(1, 256), default=2, help="sweep workers (--sweep)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.sweep:
        return time_sweep(args.spec, args.workers)
    from numerics.store import StoreError

    try:
        if args.what_if:
            return what_if(args.what_if)
        if args.compare:
            return compare(*args.compare)
    except StoreError as exc:
        parser.error(str(exc))
    stacks = spec_shapes(args.spec)
    if args.shapes == "two":
        censored = [g for g in stacks if g[0].supervision == "end_to_end"]
        stacks = [stacks[0]] + ([max(censored, key=lambda g: g[0].d)] if censored else [])
    print(f"{_load()}; torch {torch.__version__}, {args.threads} thread(s); bf16 on AMX: {bf16_hardware()}")
    for g in stacks:
        print("\n".join(bench_shape(g, args.steps, args.rounds)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
