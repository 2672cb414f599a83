"""GPT-style decoder for the bit-subset parity experiment (Section 5.2, Table 1, Figures 3-4, App. G).

The task: d input bits x, a hidden subset of d/2 of them drawn from the dataset seed (App. G's seeds
are 27, 67, 93), target y = (-1)^(subset sum) (Section 5). With intermediate supervision the decoder
reads z = Concat{x; S} (S = the parity tree's sub-task tokens, App. B eq. 13-15, built by
``numerics.circuits.parity_tree``) and is trained teacher-forced on every sub-task label; without it,
it reads x and is trained on the final bit only. Evaluation generates the chain greedily from x and
scores the final answer (App. G: "greedy decoding").

The model is a small pre-LayerNorm GPT decoder (learned positions, no dropout, GPT-2 initialiser
range 0.02) over the vocabulary {0, 1, START}. Input ``[START, z_1 .. z_T]``; the output at input
position t (having read z_t) predicts z_{t+1}, so the outputs at positions d..T carry the targets
y_d..y_T of ``numerics.sequences`` (the last one is the final answer).

Data follow App. G / Table 2: validation and test sets of min(1024, 12.5% of the 2^d inputs),
disjoint, never seen in training; training enumerates the rest of the cube in shuffled epochs when
the step budget covers the cube (``steps * batch >= 2^d``), and draws fresh uniform inputs (rejecting
any validation or test input) otherwise. Metrics (Table 1, Figure 4): the first evaluated step whose
validation accuracy exceeds 60% ("better than random"), the first exceeding 95%, and the test
accuracy at the end of the run. Validation is evaluated every ``eval_every(step)`` steps: every 10
steps at first (App. G footnote 22), then at 5% of the step count (the paper uses 1K above 4K steps).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.nn import functional as F

from numerics import cpu_kernels
from numerics.circuits import Circuit, all_inputs, parity_tree, random_subset
from numerics.sequences import SUPERVISION, build, split

START = 2  # the start token; tokens 0 and 1 are the bits
LEARNED = 0.60  # Table 1: "better than random" = validation accuracy > 60%
SOLVED = 0.95  # Figure 4: accuracy > 95%
PRECISIONS = ("float32", "bfloat16")
# Config fields added after runs were stored, with their defaults: ``Config.as_dict`` omits them there.
LATER_FIELDS: dict[str, Any] = {"precision": "float32", "eval_per_doubling": 20, "partial": "",
                                 "partial_mode": "removed"}


@dataclass(frozen=True)
class Config:
    """One training run. The defaults are the CPU-sized model of ``specs/table1.toml``."""

    d: int = 8  # input bits; the hidden subset has d // 2 of them
    supervision: str = "subtasks"  # "subtasks" (with intermediate supervision) | "end_to_end"
    seed: int = 27  # dataset seed (subset, split, training stream); App. G uses 27, 67, 93
    init_seed: int = 0  # model initialisation seed
    n_layer: int = 2
    n_head: int = 4
    n_embd: int = 64  # width; the MLP is 4x wider (GPT-2)
    qkv_std: float = 0.02  # init std of the attention's query/key/value weights (GPT-2: 0.02, like the rest)
    batch: int = 32  # Table 2
    lr: float = 1e-3  # Adam, betas (0.9, 0.999), eps 1e-8 as Table 2
    weight_decay: float = 0.0  # AdamW decoupled weight decay
    grad_clip: float = 1.0  # clip the gradient's global norm (transformers.Trainer's default max_grad_norm)
    max_steps: int = 20_000  # step budget
    eval_min: int = 10  # finest validation interval (App. G footnote 22)
    stop_at: float = 0.99  # stop early once validation accuracy reaches this (1.0 disables)
    # Compute dtype of the matmuls and the attention: "float32", or "bfloat16" (AMX; the weights, the
    # optimiser, LayerNorm statistics and the residual stream stay float32). Falls back to float32 on a
    # CPU without AMX; each record's ``precision`` column says what ran. Omitted from ``as_dict`` at
    # its default, so the store keys of earlier runs are unchanged.
    precision: str = "float32"
    # Validation evaluations per doubling of the step count (``eval_every``): 20 resolves the step where
    # accuracy first passes a level to within 5%, 10 to within 10% at half the evaluation cost.
    eval_per_doubling: int = 20
    # Partial supervision (numerics.supervision, issue 16): a scheme string ("budget:2", "top:1", ...) picks the
    # tree labels the loss sees ("" = off); "removed" drops the others from the sequence, "masked" keeps them as
    # teacher-forced tokens with no loss. Omitted from ``as_dict`` at these defaults.
    partial: str = ""
    partial_mode: str = "removed"

    def __post_init__(self) -> None:
        if self.supervision not in SUPERVISION:
            raise ValueError(f"supervision must be one of {SUPERVISION}, got {self.supervision!r}")
        if self.partial or self.partial_mode != "removed":
            from numerics import supervision as partial

            if self.supervision != "subtasks":
                raise ValueError("partial supervision (partial=...) needs supervision 'subtasks'")
            partial.parse(self.partial or "full")
            if self.partial_mode not in partial.MODES:
                raise ValueError(f"partial_mode must be one of {partial.MODES}, got {self.partial_mode!r}")
        if self.d < 4:
            raise ValueError(f"d must be >= 4 (a d/2-bit subset with a tree), got {self.d}")
        if self.n_embd % self.n_head:
            raise ValueError(f"n_embd {self.n_embd} is not a multiple of n_head {self.n_head}")
        for name in ("n_layer", "n_head", "n_embd", "batch", "max_steps", "eval_min", "eval_per_doubling"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1")
        if not self.qkv_std > 0:
            raise ValueError(f"qkv_std must be > 0, got {self.qkv_std}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {self.precision!r}")
        if not (self.lr > 0 and self.weight_decay >= 0 and self.grad_clip > 0 and 0 < self.stop_at <= 1):
            raise ValueError("need lr > 0, weight_decay >= 0, grad_clip > 0 and 0 < stop_at <= 1")

    @classmethod
    def smoke(cls, **changes: Any) -> Config:
        """A seconds-long run for tests: a 1-layer width-32 decoder on 8 bits with supervision."""
        return replace(cls(d=8, n_layer=1, n_head=2, n_embd=32, lr=3e-3, max_steps=400), **changes)

    def as_dict(self) -> dict[str, Any]:
        """The config as the store keys it: fields added later are left out at their defaults, so a
        run keeps the key it had before they existed."""
        values = asdict(self)
        for name, default in LATER_FIELDS.items():
            if values[name] == default:
                del values[name]
        return {"kind": "transformer", **values}


class Block(nn.Module):
    """Pre-LN GPT block: x + attn(ln(x)), then x + mlp(ln(x)); causal scaled dot-product attention."""

    def __init__(self, n_embd: int, n_head: int) -> None:
        super().__init__()
        self.n_head = n_head
        self.ln1 = nn.LayerNorm(n_embd)
        self.qkv = nn.Linear(n_embd, 3 * n_embd)
        self.proj = nn.Linear(n_embd, n_embd)
        self.ln2 = nn.LayerNorm(n_embd)
        self.fc = nn.Linear(n_embd, 4 * n_embd)
        self.out = nn.Linear(4 * n_embd, n_embd)

    def forward(self, h: torch.Tensor, past: tuple[torch.Tensor, torch.Tensor] | None = None, start: int = 0
                ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """``h``: ``(batch, L, n_embd)`` -> (``(batch, L - start, n_embd)``, this layer's keys and values).

        With ``past`` (the keys and values of the earlier positions) ``h`` holds only the new
        positions: the KV cache of greedy decoding. Without it the attention is causal over ``h``.
        ``start`` > 0 computes queries and outputs for positions ``start..L-1`` only (all keys and
        values are still used): the last layer needs no outputs where there is no target.
        """
        b, length, c = h.shape
        q, k, v = self.qkv(self.ln1(h)).split(c, dim=2)
        q, k, v = (t.view(b, length, self.n_head, c // self.n_head).transpose(1, 2) for t in (q, k, v))
        if past is not None:
            k, v = torch.cat([past[0], k], dim=2), torch.cat([past[1], v], dim=2)
        mask = None
        if start:  # query i (absolute position start + i) sees keys 0..start + i
            q, h = q[:, :, start:], h[:, start:]
            mask = torch.ones(length - start, length, dtype=torch.bool).tril(diagonal=start)
        causal = past is None and mask is None and length > 1
        a = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=causal)
        h = h + self.proj(a.transpose(1, 2).reshape(b, length - start, c))
        return h + self.out(F.gelu(self.fc(self.ln2(h)), approximate="tanh")), (k, v)


class Decoder(nn.Module):
    """GPT-style causal decoder over {0, 1, START} with learned positions; logits over {0, 1}."""

    def __init__(self, n_positions: int, n_layer: int, n_head: int, n_embd: int, generator: torch.Generator,
                 qkv_std: float = 0.02):
        super().__init__()
        self.tok = nn.Embedding(3, n_embd)
        self.pos = nn.Embedding(n_positions, n_embd)
        self.blocks = nn.ModuleList(Block(n_embd, n_head) for _ in range(n_layer))
        self.ln = nn.LayerNorm(n_embd)
        self.head = nn.Linear(n_embd, 2, bias=False)
        # GPT-2 initialiser: N(0, 0.02), zero biases; the query/key/value weights N(0, qkv_std). A larger
        # qkv_std starts the heads with uneven (rather than near-uniform) attention, which lets a sub-task's
        # two parent positions be found far sooner (specs/table1.toml).
        for name, p in self.named_parameters():
            if p.dim() > 1:
                std = 0.02 / math.sqrt(2 * n_layer) if name.endswith(("proj.weight", "out.weight")) else 0.02
                std = qkv_std if name.endswith("qkv.weight") else std
                with torch.no_grad():
                    p.copy_(torch.randn(p.shape, generator=generator) * std)
            elif name.endswith("bias"):
                nn.init.zeros_(p)

    def forward(self, u: torch.Tensor, start: int = 0) -> torch.Tensor:
        """``u``: ``(batch, L)`` tokens -> ``(batch, L - start, 2)`` next-token logits over {0, 1} at
        positions ``start..L-1`` (the last layer computes only those)."""
        h = self.tok(u) + self.pos.weight[: u.shape[1]]
        last = len(self.blocks) - 1
        for i, block in enumerate(self.blocks):
            h, _ = block(h, start=start if i == last else 0)
        return self.head(self.ln(h))

    def step(self, u: torch.Tensor, cache: list | None, offset: int = 0) -> tuple[torch.Tensor, list]:
        """Logits of tokens ``u`` at positions ``offset..``, given the per-layer keys/values ``cache``
        of positions ``0..offset-1`` (None: no earlier positions); returns the extended cache."""
        h = self.tok(u) + self.pos.weight[offset : offset + u.shape[1]]
        new = []
        for i, block in enumerate(self.blocks):
            h, kv = block(h, None if cache is None else cache[i])
            new.append(kv)
        return self.head(self.ln(h)), new


def model_for(config: Config, circuit: Circuit) -> Decoder:
    """The decoder of ``config``, long enough for the sequence of ``circuit``, initialised from init_seed."""
    length = 1 + (circuit.T if config.supervision == "subtasks" else circuit.d)
    gen = torch.Generator().manual_seed(config.init_seed)
    return Decoder(length, config.n_layer, config.n_head, config.n_embd, gen, config.qkv_std)


def with_start(z: np.ndarray) -> torch.Tensor:
    """``(n, T)`` tokens -> ``(n, T + 1)`` long tensor ``[START, z]``."""
    u = np.concatenate([np.full((z.shape[0], 1), START, dtype=np.int64), z.astype(np.int64)], axis=1)
    return torch.from_numpy(u)


def optimizer(model: Decoder, config: Config) -> torch.optim.Optimizer:
    """AdamW with Table 2's betas and eps (fused kernel)."""
    return torch.optim.AdamW(model.parameters(), lr=config.lr, betas=(0.9, 0.999), eps=1e-8,
                             weight_decay=config.weight_decay, fused=True)


def loss_on(model: Decoder, u: torch.Tensor, targets: torch.Tensor, d: int) -> torch.Tensor:
    """Teacher-forced cross-entropy on the outputs at positions d..T (targets as 0/1 tokens)."""
    logits = model(u, start=d)
    return F.cross_entropy(logits.reshape(-1, 2), targets.reshape(-1))


@torch.no_grad()
def generate(model: Decoder, x: np.ndarray, n_new: int) -> np.ndarray:
    """Greedy decoding (App. G): read ``[START, x]``, append the argmax token ``n_new`` times.

    Returns the ``(n, n_new)`` generated tokens; the last column is the final answer's token.
    """
    u = with_start(x)
    logits, cache = model.step(u, None)
    out = [logits[:, -1, :].argmax(dim=-1, keepdim=True)]
    for k in range(1, n_new):
        logits, cache = model.step(out[-1], cache, offset=u.shape[1] + k - 1)
        out.append(logits[:, -1, :].argmax(dim=-1, keepdim=True))
    return torch.cat(out, dim=1).numpy()


@torch.no_grad()
def generate_reference(model: Decoder, x: np.ndarray, n_new: int) -> np.ndarray:
    """Greedy decoding without the KV cache (the whole prefix re-read each step): the slow oracle."""
    u = with_start(x)
    for _ in range(n_new):
        u = torch.cat([u, model(u)[:, -1, :].argmax(dim=-1, keepdim=True)], dim=1)
    return u[:, x.shape[1] + 1 :].numpy()


def answer_accuracy(model: Decoder, circuit: Circuit, config: Config, x: np.ndarray) -> float:
    """Accuracy of the greedily generated final answer against the circuit's true value."""
    n_new = len(circuit.gates) if config.supervision == "subtasks" else 1
    was_training = model.training
    model.eval()
    tokens = generate(model, x, n_new)
    model.train(was_training)
    return float(np.mean(tokens[:, -1] == circuit.evaluate(x)[:, -1]))


def eval_every(step: int, finest: int = 10, per_doubling: int = 20) -> int:
    """Validation interval at ``step``: ``finest`` up to ``per_doubling * finest`` steps, then doubling
    with each doubling of ``step`` (finest * 2^k on [per_doubling finest 2^k, 2 per_doubling finest 2^k)):
    ``per_doubling`` evaluations per doubling, so the step where accuracy first passes a level is
    resolved to within 1/per_doubling (5% at the default 20)."""
    return finest * 2 ** max(0, int(math.log2(max(step, 1) / (per_doubling * finest))))


@dataclass(frozen=True)
class Data:
    """App. G's split: disjoint validation and test inputs, and a training stream that avoids them."""

    circuit: Circuit
    val: np.ndarray
    test: np.ndarray
    train: np.ndarray | None  # the rest of the cube when the budget covers it, else None (fresh samples)
    mask: np.ndarray | None = None  # partial supervision, mode "masked": the gate labels the loss sees

    @property
    def d(self) -> int:
        return self.circuit.d


def holdout_size(d: int) -> int:
    """min(1024, 12.5% of the 2^d inputs) (Table 2)."""
    return min(1024, (1 << d) // 8) if d < 40 else 1024


def make_data(config: Config) -> Data:
    """Subset from ``seed``; validation, test and (if the budget covers the cube) training inputs."""
    d = config.d
    circuit = parity_tree(d, random_subset(d, config.seed))
    mask = None
    if config.partial:  # the reduced circuit ("removed") or the loss mask ("masked"), numerics.supervision
        from numerics import supervision as partial

        circuit, mask = partial.task(circuit, config.partial, config.partial_mode)
    split_seed, _ = np.random.SeedSequence(config.seed).spawn(2)
    n = holdout_size(d)
    enumerate_cube = d <= 24 and config.max_steps * config.batch >= 1 << d
    if enumerate_cube:
        cube = all_inputs(d)
        val, test, train = split(cube, (n, n, cube.shape[0] - 2 * n), int(split_seed.generate_state(1)[0]))
        return Data(circuit, val, test, train, mask)
    rng = np.random.default_rng(split_seed)
    held: set[bytes] = set()
    rows = []
    while len(rows) < 2 * n:
        row = rng.integers(0, 2, size=d, dtype=np.uint8)
        if row.tobytes() not in held:
            held.add(row.tobytes())
            rows.append(row)
    held_x = np.stack(rows)
    return Data(circuit, held_x[:n], held_x[n:], None, mask)


def training_batches(data: Data, config: Config):
    """Yield ``(batch, d)`` training inputs forever: shuffled epochs over ``data.train``, or fresh
    uniform samples with any validation/test input rejected."""
    _, stream_seed = np.random.SeedSequence(config.seed).spawn(2)
    rng = np.random.default_rng(stream_seed)
    if data.train is not None:
        while True:
            order = rng.permutation(data.train.shape[0])
            for start in range(0, len(order) - config.batch + 1, config.batch):
                yield data.train[order[start : start + config.batch]]
    held = {row.tobytes() for row in np.concatenate([data.val, data.test])}
    while True:
        x = rng.integers(0, 2, size=(config.batch, data.d), dtype=np.uint8)
        keep = np.array([row.tobytes() not in held for row in x])
        if keep.all():
            yield x
        elif keep.any():
            yield x[keep]


def first_step_above(curve: pd.DataFrame, level: float) -> float:
    """First evaluated step >= 1 whose validation accuracy exceeds ``level`` (NaN if none); the
    untrained model at step 0 is recorded but never counts as learning."""
    hit = curve.loc[(curve["val_acc"] > level) & (curve["step"] > 0), "step"]
    return float(hit.iloc[0]) if len(hit) else math.nan


def train(config: Config, progress: bool = False) -> pd.DataFrame:
    """Train one decoder; return its learning curve as a tidy frame.

    Columns: ``step``, ``loss`` (training loss averaged since the last evaluation), ``val_acc``
    (greedy final-answer accuracy on the validation set), ``test_acc`` (NaN except on the last row,
    the test accuracy at the end), ``seconds`` (wall time so far), ``precision`` (the compute dtype
    that ran). Each step: a teacher-forced batch, cross-entropy on the outputs at positions d..T,
    gradient norm clipped at ``grad_clip``, AdamW. The run stops at ``max_steps`` or once validation
    accuracy reaches ``stop_at``; a non-finite loss raises FloatingPointError. This is ``train_many``
    with one run (``train_reference`` is the plain nn.Module loop it is tested against). Summaries:
    ``summarize``.
    """
    return train_many([config], progress)[0]


def train_reference(config: Config, progress: bool = False) -> pd.DataFrame:
    """``train`` written plainly on the nn.Module ``Decoder`` (float32, one run): the slow reference.

    Columns: ``step``, ``loss`` (training loss averaged since the last evaluation), ``val_acc``
    (greedy final-answer accuracy on the validation set), ``test_acc`` (NaN except on the last row,
    the test accuracy at the end), ``seconds`` (wall time so far). Each step: a teacher-forced batch,
    cross-entropy on the outputs at positions d..T, gradient norm clipped at ``grad_clip``, AdamW.
    The run stops at ``max_steps`` or once validation accuracy reaches ``stop_at``; a non-finite
    loss raises FloatingPointError. Summaries: ``summarize``.
    """
    data = make_data(config)
    circuit = data.circuit
    model = model_for(config, circuit)
    opt = optimizer(model, config)
    rows = [{"step": 0, "loss": math.nan, "val_acc": answer_accuracy(model, circuit, config, data.val),
             "test_acc": math.nan, "seconds": 0.0}]
    start, losses, step = time.perf_counter(), [], 0
    batches = training_batches(data, config)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=config.max_steps, desc=f"d={config.d} {config.supervision}", disable=None)
    while step < config.max_steps:
        seq = build(circuit, next(batches), config.supervision)
        targets = torch.from_numpy(((seq.y + 1) / 2).astype(np.int64))
        loss = loss_on(model, with_start(seq.z), targets, config.d)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"training diverged at step {step} (loss {loss.item()})")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        opt.step()
        losses.append(loss.item())
        step += 1
        if bar is not None:
            bar.update(1)
        if step % eval_every(step, config.eval_min, config.eval_per_doubling) == 0 or step == config.max_steps:
            acc = answer_accuracy(model, circuit, config, data.val)
            rows.append({"step": step, "loss": float(np.mean(losses)), "val_acc": acc, "test_acc": math.nan,
                         "seconds": time.perf_counter() - start})
            losses = []
            if bar is not None:
                bar.set_postfix(val_acc=f"{acc:.3f}")
            if acc >= config.stop_at:
                break
    if bar is not None:
        bar.close()
    if rows[-1]["step"] != step:  # the budget ended between evaluations
        rows.append({"step": step, "loss": float(np.mean(losses)) if losses else math.nan,
                     "val_acc": answer_accuracy(model, circuit, config, data.val), "test_acc": math.nan,
                     "seconds": time.perf_counter() - start})
    rows[-1]["test_acc"] = answer_accuracy(model, circuit, config, data.test)
    rows[-1]["seconds"] = time.perf_counter() - start
    return pd.DataFrame(rows)


def summarize(curve: pd.DataFrame) -> dict[str, float]:
    """Table 1 / Figure 4 numbers of one learning curve: steps to > 60% and > 95% validation
    accuracy (NaN when not reached), their difference, the final step and the test accuracy at the end."""
    t60, t95 = first_step_above(curve, LEARNED), first_step_above(curve, SOLVED)
    return {"iters_60": t60, "iters_95": t95, "transition": t95 - t60, "steps": float(curve["step"].iloc[-1]),
            "test_acc": float(curve["test_acc"].iloc[-1]),
            "seconds": float(curve["seconds"].iloc[-1]) if "seconds" in curve else math.nan}


# ----------------------------------------------------------------------------------------------------
# Batched training: several runs of one shape (seeds, init seeds, budgets) as one stack of decoders.
#
# The parameters of M decoders are stacked along a leading model dimension and every linear layer is one
# batched matmul (M, tokens, in) @ (M, in, out); each model reads its own batch from its own data stream,
# its loss is its own mean, its gradient is clipped by its own norm, and AdamW is elementwise, so the
# models stay independent: stacking changes the speed, not the runs (up to floating-point rounding,
# tested against the single-model Decoder). A model that stops (early stop or budget) leaves the stack.


def bf16_hardware() -> bool:
    """True when bfloat16 matmuls run on AMX tiles (the only case where ``precision="bfloat16"`` pays)."""
    amx = getattr(torch.cpu, "_is_amx_tile_supported", None)
    try:
        return bool(amx and amx()) and bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def compute_dtype(precision: str) -> torch.dtype:
    """The dtype a run of ``precision`` computes its matmuls and attention in on this CPU: bfloat16 only
    with AMX (``bf16_hardware``), else float32."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    return torch.bfloat16 if precision == "bfloat16" and bf16_hardware() else torch.float32


KERNELS = ("compiled", "sdpa", "bmm")


def kernels_for(dtype: torch.dtype) -> str:
    """The kernels a stack trains with, as measured by ``benchmarks.transformer`` at heads of dimension 4:

    - ``"compiled"`` (float32 and bfloat16, when ``cpu_kernels.available()``): ``numerics.cpu_kernels``'
      causal attention and tanh-GELU (float32 arithmetic on float32 or bfloat16 activations); 5x faster
      than CPU flash attention forward + backward;
    - ``"sdpa"`` (float32 without a C compiler): PyTorch's fused SDPA (CPU flash) and ``F.gelu``;
    - ``"bmm"`` (bfloat16 without a C compiler): an explicit batched-matmul attention (``baddbmm`` with an
      additive causal mask, softmax, ``bmm``), where CPU flash attention is 3-5x slower in bfloat16.

    Greedy decoding with a KV cache runs ``"compiled"`` with ``torch_attention``."""
    return "compiled" if cpu_kernels.available() else torch_attention(dtype)


def torch_attention(dtype: torch.dtype) -> str:
    """PyTorch's attention for ``dtype`` activations: ``"sdpa"`` in float32, ``"bmm"`` in bfloat16."""
    return "sdpa" if dtype == torch.float32 else "bmm"


def group_key(config: Config) -> tuple:
    """Runs with equal keys can share a stack: same task shape, architecture, optimiser and schedule
    (seed, init_seed, qkv_std, max_steps and stop_at may differ)."""
    return (config.d, config.supervision, config.n_layer, config.n_head, config.n_embd, config.batch,
            config.lr, config.weight_decay, config.grad_clip, config.eval_min, config.eval_per_doubling,
            config.precision, config.partial, config.partial_mode)


def seq_length(config: Config) -> int:
    """Tokens the decoder reads: START and z_1..z_T (T = d + G - 1 with the parity tree's G = d/2 - 1 gates
    under supervision, T = d without)."""
    return 1 + config.d + (config.d // 2 - 2 if config.supervision == "subtasks" else 0)


def cost(config: Config) -> int:
    """A run's budget in token-steps (max_steps x sequence length): the order a sweep submits stacks in."""
    return config.max_steps * seq_length(config)


def groups(configs: list[Config] | tuple[Config, ...], max_models: int = 8) -> list[list[Config]]:
    """``configs`` split into stacks of at most ``max_models`` runs with equal ``group_key`` (first-seen
    order)."""
    if max_models < 1:
        raise ValueError(f"max_models must be >= 1, got {max_models}")
    by_key: dict[tuple, list[Config]] = {}
    for c in configs:
        by_key.setdefault(group_key(c), []).append(c)
    return [g[i : i + max_models] for g in by_key.values() for i in range(0, len(g), max_models)]


def _linear(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None, dtype: torch.dtype) -> torch.Tensor:
    """``x @ w + b`` per model: ``(M, n, in) @ (M, in, out)``, operands in ``dtype``."""
    if dtype != torch.float32:
        x, w = x.to(dtype), w.to(dtype)
        b = None if b is None else b.to(dtype)
    y = torch.bmm(x, w)
    # in place on bmm's output (which its backward does not need): baddbmm's backward copied the whole
    # output gradient once more to reduce the broadcast bias
    return y if b is None else y.add_(b.unsqueeze(1))


def _ln_linear(h: torch.Tensor, g: torch.Tensor, beta: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None,
               dtype: torch.dtype) -> torch.Tensor:
    """``LayerNorm(h; g, beta) @ w + b`` per model, with the LayerNorm's affine folded into the linear layer
    (``(n g + beta) w + b = n (g w) + (beta w + b)``, n the normalised h, eps 1e-5): per-model affine
    parameters cost no pass over the activations."""
    bias = torch.bmm(beta.unsqueeze(1), w).squeeze(1)
    return _linear(F.layer_norm(h, h.shape[-1:]), g.unsqueeze(2) * w, bias if b is None else bias + b, dtype)


def _attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, kind: str) -> torch.Tensor:
    """Causal attention of queries ``(N, H, Lq, D)`` on keys/values ``(N, H, Lk, D)``; query i sits at
    absolute position ``Lk - Lq + i`` and sees keys ``0..Lk - Lq + i``."""
    n, heads, lq, dim = q.shape
    lk = k.shape[2]
    if kind == "sdpa":
        if lq == lk:
            return F.scaled_dot_product_attention(q, k, v, is_causal=lq > 1)
        mask = None if lq == 1 else torch.ones(lq, lk, dtype=torch.bool).tril(diagonal=lk - lq)
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    if kind != "bmm":
        raise ValueError(f"attention must be 'sdpa' or 'bmm', got {kind!r}")
    bias = torch.zeros(lq, lk, dtype=q.dtype)
    if lq > 1:
        bias = bias.masked_fill(~torch.ones(lq, lk, dtype=torch.bool).tril(diagonal=lk - lq), float("-inf"))
    s = torch.baddbmm(bias.expand(n * heads, lq, lk), q.reshape(n * heads, lq, dim),
                      k.reshape(n * heads, lk, dim).transpose(1, 2), alpha=dim**-0.5)
    return torch.bmm(torch.softmax(s, dim=-1), v.reshape(n * heads, lk, dim)).view(n, heads, lq, dim)


def kv_cache(n_layer: int, rows: int, n_head: int, head_dim: int, length: int, dtype: torch.dtype
             ) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Per-layer key and value buffers ``(rows, n_head, length, head_dim)`` for greedy decoding: each call of
    ``stacked_forward`` writes its positions in place, so no step copies the earlier ones (``torch.cat`` per
    step made decoding quadratic in the length and cost a quarter of an evaluation)."""
    return [(torch.empty(rows, n_head, length, head_dim, dtype=dtype),
             torch.empty(rows, n_head, length, head_dim, dtype=dtype)) for _ in range(n_layer)]


def stacked_forward(p: dict[str, torch.Tensor], u: torch.Tensor, n_layer: int, n_head: int, *, start: int = 0,
                    dtype: torch.dtype = torch.float32, kernels: str = "sdpa",
                    cache: list[tuple[torch.Tensor, torch.Tensor]] | None = None, offset: int = 0
                    ) -> torch.Tensor:
    """M decoders at once. ``u``: ``(M, B, L)`` tokens at positions ``offset..offset+L-1`` ->
    ``(M, B, L - start, 2)`` float32 logits. ``kernels``: one of ``KERNELS`` (``kernels_for``).

    ``cache`` (greedy decoding, ``kv_cache``) holds the keys/values of positions ``0..offset-1``; this call
    writes those of its positions into it and attends over ``0..offset+L-1``. ``start`` > 0 computes the last
    layer's outputs for positions ``start..`` only (Decoder.forward's fast path).
    """
    if kernels not in KERNELS:
        raise ValueError(f"kernels must be one of {KERNELS}, got {kernels!r}")
    compiled = kernels == "compiled"
    m, b, length = u.shape
    c = p["tok"].shape[-1]
    hd = c // n_head
    h = p["tok"][torch.arange(m).view(m, 1, 1), u] + p["pos"][:, None, offset : offset + length]
    h = h.reshape(m, b * length, c)
    for i in range(n_layer):
        qkv = _ln_linear(h, p[f"{i}.ln1.w"], p[f"{i}.ln1.b"], p[f"{i}.qkv.w"], p[f"{i}.qkv.b"], dtype)
        first = start if i == n_layer - 1 else 0  # the first query position this layer computes
        rows = length - first
        if first:
            h = h.view(m, b, length, c)[:, :, first:].reshape(m, b * rows, c)
        if compiled and cache is None:
            a = cpu_kernels.causal_attention(qkv.view(m * b, length, 3, n_head, hd), first)
        else:
            q, k, v = qkv.view(m * b, length, 3, n_head, hd).permute(2, 0, 3, 1, 4).unbind(0)
            if cache is not None:
                K, V = cache[i]
                K[:, :, offset : offset + length], V[:, :, offset : offset + length] = k, v
                k, v = K[:, :, : offset + length], V[:, :, : offset + length]
            kind = torch_attention(dtype) if compiled else kernels  # the compiled kernel has no KV-cache path
            a = _attend(q[:, :, first:], k, v, kind).transpose(1, 2)
        h = h + _linear(a.reshape(m, b * rows, c), p[f"{i}.proj.w"], p[f"{i}.proj.b"], dtype)
        f = _ln_linear(h, p[f"{i}.ln2.w"], p[f"{i}.ln2.b"], p[f"{i}.fc.w"], p[f"{i}.fc.b"], dtype)
        f = cpu_kernels.gelu(f) if compiled else F.gelu(f, approximate="tanh")
        h = h + _linear(f, p[f"{i}.out.w"], p[f"{i}.out.b"], dtype)
    logits = _ln_linear(h, p["ln.w"], p["ln.b"], p["head"], None, dtype).float()
    return logits.view(m, b, -1, 2)


def stack_parameters(models: list[Decoder]) -> dict[str, torch.Tensor]:
    """The parameters of equally shaped Decoders stacked along a leading model dimension (linear
    weights transposed to ``(in, out)``), as fresh leaf tensors."""
    def st(get) -> torch.Tensor:
        return torch.stack([get(mod).detach() for mod in models]).clone().requires_grad_(True)

    p = {"tok": st(lambda mod: mod.tok.weight), "pos": st(lambda mod: mod.pos.weight)}
    for i in range(len(models[0].blocks)):
        for ln in ("ln1", "ln2"):
            p[f"{i}.{ln}.w"] = st(lambda mod, i=i, ln=ln: getattr(mod.blocks[i], ln).weight)
            p[f"{i}.{ln}.b"] = st(lambda mod, i=i, ln=ln: getattr(mod.blocks[i], ln).bias)
        for lin in ("qkv", "proj", "fc", "out"):
            p[f"{i}.{lin}.w"] = st(lambda mod, i=i, lin=lin: getattr(mod.blocks[i], lin).weight.T)
            p[f"{i}.{lin}.b"] = st(lambda mod, i=i, lin=lin: getattr(mod.blocks[i], lin).bias)
    p["ln.w"], p["ln.b"] = st(lambda mod: mod.ln.weight), st(lambda mod: mod.ln.bias)
    p["head"] = st(lambda mod: mod.head.weight.T)
    return p


class Stack:
    """M decoders of one shape trained together: stacked parameters, fused AdamW, per-model clipping."""

    def __init__(self, configs: list[Config], circuits: list[Circuit], kernels: str | None = None) -> None:
        first = configs[0]
        if any(group_key(c) != group_key(first) for c in configs):
            raise ValueError("a Stack needs configs with equal group_key (shape, optimiser, schedule)")
        self.configs = list(configs)
        self.n_layer, self.n_head, self.d = first.n_layer, first.n_head, first.d
        self.dtype = compute_dtype(first.precision)
        self.kernels = kernels or kernels_for(self.dtype)
        if self.kernels not in KERNELS:
            raise ValueError(f"kernels must be one of {KERNELS}, got {kernels!r}")
        self.params = stack_parameters([model_for(c, k) for c, k in zip(configs, circuits, strict=True)])
        self.opt = self._optimizer()

    def _optimizer(self) -> torch.optim.Optimizer:
        c = self.configs[0]
        return torch.optim.AdamW(list(self.params.values()), lr=c.lr, betas=(0.9, 0.999), eps=1e-8,
                                 weight_decay=c.weight_decay, fused=True)

    def forward(self, u: torch.Tensor, start: int = 0, **kw: Any) -> torch.Tensor:
        return stacked_forward(self.params, u, self.n_layer, self.n_head, start=start, dtype=self.dtype,
                               kernels=self.kernels, **kw)

    def step(self, u: torch.Tensor, targets: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        """One teacher-forced step for every model; ``u`` ``(M, B, L)``, ``targets`` ``(M, B, K)`` 0/1,
        ``weights`` ``(M, B)`` (0 for padding rows). Returns the ``(M,)`` losses (before the step)."""
        logits = self.forward(u, start=self.d)
        ce = F.cross_entropy(logits.reshape(-1, 2), targets.reshape(-1), reduction="none").view(targets.shape)
        valid = targets >= 0  # a target -100 is a label without loss (partial supervision, "masked")
        per_row = ce.mean(dim=2) if bool(valid.all()) else ce.sum(dim=2) / valid.sum(dim=2)
        losses = (per_row * weights).sum(dim=1) / weights.sum(dim=1)
        bad = ~torch.isfinite(losses)
        if bad.any():
            i = int(bad.nonzero()[0, 0])
            raise FloatingPointError(f"training diverged (loss {losses[i].item()}) in run {self.configs[i]}")
        self.opt.zero_grad(set_to_none=True)
        losses.sum().backward()
        grads = [q.grad for q in self.params.values()]
        m = len(self.configs)
        norm = torch.stack([g.reshape(m, -1).pow(2).sum(dim=1) for g in grads]).sum(dim=0).sqrt()
        coef = (torch.tensor([c.grad_clip for c in self.configs]) / (norm + 1e-6)).clamp(max=1.0)
        for g in grads:  # torch.nn.utils.clip_grad_norm_, one norm per model
            g.mul_(coef.view(m, *([1] * (g.dim() - 1))))
        self.opt.step()
        return losses.detach()

    def keep(self, idx: list[int]) -> None:
        """Keep only the models at positions ``idx`` (their parameters and optimiser state)."""
        index = torch.tensor(idx, dtype=torch.long)
        old = {name: (q, self.opt.state.get(q, {})) for name, q in self.params.items()}
        self.params = {name: q.detach()[index].clone().requires_grad_(True) for name, (q, _) in old.items()}
        self.configs = [self.configs[i] for i in idx]
        self.opt = self._optimizer()
        for name, q in self.params.items():
            state = old[name][1]
            if state:
                self.opt.state[q] = {k: (v.clone() if v.dim() == 0 or k == "step" else v[index].clone())
                                     for k, v in state.items()}

    def _params(self, idx: list[int] | None) -> dict[str, torch.Tensor]:
        if idx is None:
            return self.params
        index = torch.tensor(idx, dtype=torch.long)
        return {name: q.detach()[index] for name, q in self.params.items()}

    @torch.no_grad()
    def generate(self, x: list[np.ndarray], n_new: int, idx: list[int] | None = None, chunk: int = 256
                 ) -> np.ndarray:
        """Greedy decoding (KV cache) by the models at positions ``idx`` (default all): ``x[i]`` ``(n, d)``
        inputs of the i-th of them -> ``(len(x), n, n_new)`` tokens."""
        p = self._params(idx)
        out = []
        for lo in range(0, x[0].shape[0], chunk):
            u = torch.stack([with_start(xi[lo : lo + chunk]) for xi in x])
            m, b, length = u.shape
            width = p["tok"].shape[-1]
            cache = kv_cache(self.n_layer, m * b, self.n_head, width // self.n_head, length + n_new - 1, self.dtype)
            kw = {"dtype": self.dtype, "kernels": self.kernels, "cache": cache}
            logits = stacked_forward(p, u, self.n_layer, self.n_head, start=length - 1, **kw)  # the last row only
            toks = [logits[:, :, -1].argmax(dim=-1, keepdim=True)]
            for k in range(1, n_new):
                logits = stacked_forward(p, toks[-1], self.n_layer, self.n_head, offset=length + k - 1, **kw)
                toks.append(logits[:, :, -1].argmax(dim=-1, keepdim=True))
            out.append(torch.cat(toks, dim=2))
        return torch.cat(out, dim=1).numpy()

    def accuracy(self, data: list[Data], which: str, idx: list[int] | None = None) -> list[float]:
        """Greedy final-answer accuracy of the models at ``idx`` (default all), the i-th on
        ``getattr(data[i], which)`` ("val" / "test")."""
        n_new = len(data[0].circuit.gates) if self.configs[0].supervision == "subtasks" else 1
        xs = [getattr(dt, which) for dt in data]
        tokens = self.generate(xs, n_new, idx)
        return [float(np.mean(tokens[i, :, -1] == dt.circuit.evaluate(xs[i])[:, -1])) for i, dt in enumerate(data)]


def _batch(circuit: Circuit, x: np.ndarray, supervision: str, batch: int, mask: np.ndarray | None = None
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tokens ``(batch, T + 1)``, 0/1 targets and row weights of one model's batch; a short batch (fresh
    samples that hit a held-out input) is padded with weight-0 copies of its first row. With a loss
    ``mask`` (partial supervision, "masked") the unsupervised targets are -100 (no loss)."""
    seq = build(circuit, x, supervision)
    u = np.concatenate([np.full((len(x), 1), START, dtype=np.int64), seq.z.astype(np.int64)], axis=1)
    t = ((seq.y + 1) / 2).astype(np.int64)
    if mask is not None:
        t[:, ~np.asarray(mask, dtype=bool)] = -100
    w = np.ones(batch)
    if len(x) < batch:
        pad = batch - len(x)
        u, t = np.concatenate([u, np.repeat(u[:1], pad, 0)]), np.concatenate([t, np.repeat(t[:1], pad, 0)])
        w[len(x) :] = 0.0
    return u, t, w


def train_many(configs: list[Config] | tuple[Config, ...], progress: bool = False,
               kernels: str | None = None,
               on_done: Callable[[Config, pd.DataFrame], None] | None = None) -> list[pd.DataFrame]:
    """Train runs of one ``group_key`` as one stack; return each run's learning curve (as ``train``).

    Each run has its own data (``make_data``), training stream, initialisation, budget and early stop;
    they share the batched matmuls. Evaluation follows ``eval_every`` (the same steps for every run),
    and a run whose budget ends between evaluations is evaluated at its last step. Columns as
    ``train``'s, plus ``precision`` (the compute dtype that ran) and ``kernels`` (``KERNELS``: which
    attention and GELU ran; they differ in float32 rounding only); ``seconds`` is the stack's wall time,
    and ``frame.attrs["cpu_seconds"]`` the process's CPU time when the run ended (what the stack cost so
    far, also on a shared machine).
    ``on_done(config, curve)`` is called as each run ends (a sweep writes its shard then).
    """
    configs = list(configs)
    if not configs:
        return []
    datas = [make_data(c) for c in configs]
    stack = Stack(configs, [dt.circuit for dt in datas], kernels)
    precision = "bfloat16" if stack.dtype == torch.bfloat16 else "float32"
    first = configs[0]
    streams = [training_batches(dt, c) for dt, c in zip(datas, configs, strict=True)]
    curves: list[list[dict[str, Any]]] = [[] for _ in configs]
    cpu_seconds = [math.nan] * len(configs)
    active = list(range(len(configs)))

    def evaluate(pos: list[int], step: int) -> list[float]:
        """Validation accuracy of the active runs at stack positions ``pos``, recorded in their curves."""
        idx = None if len(pos) == len(active) else pos
        accs = stack.accuracy([datas[active[j]] for j in pos], "val", idx)
        for j, acc in zip(pos, accs, strict=True):
            i = active[j]
            curves[i].append({"step": step, "loss": float(np.mean(losses[i])) if losses[i] else math.nan,
                              "val_acc": acc, "test_acc": math.nan, "seconds": time.perf_counter() - clock,
                              "precision": precision, "kernels": stack.kernels})
            losses[i] = []
        return accs

    losses: dict[int, list[float]] = {i: [] for i in active}
    clock, cpu, step = time.perf_counter(), time.process_time(), 0
    evaluate(list(range(len(active))), 0)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=max(c.max_steps for c in configs), disable=None,
                   desc=f"d={first.d} {first.supervision} x{len(configs)}")
    while active:
        parts = [_batch(datas[i].circuit, next(streams[i]), first.supervision, first.batch, datas[i].mask)
                 for i in active]
        u, t, w = (torch.from_numpy(np.stack(a)) for a in zip(*parts, strict=True))
        for i, value in zip(active, stack.step(u, t, w.float()).tolist(), strict=True):
            losses[i].append(value)
        step += 1
        if bar is not None:
            bar.update(1)
        every = step % eval_every(step, first.eval_min, first.eval_per_doubling) == 0
        due = [j for j, i in enumerate(active) if every or step == configs[i].max_steps]
        if not due:
            continue
        accs = evaluate(due, step)
        if bar is not None:
            bar.set_postfix(val_acc=" ".join(f"{a:.2f}" for a in accs))
        done = [j for j, acc in zip(due, accs, strict=True)
                if acc >= configs[active[j]].stop_at or step >= configs[active[j]].max_steps]
        if not done:
            continue
        tests = stack.accuracy([datas[active[j]] for j in done], "test", done)
        for j, acc in zip(done, tests, strict=True):
            curves[active[j]][-1]["test_acc"] = acc
            curves[active[j]][-1]["seconds"] = time.perf_counter() - clock
            cpu_seconds[active[j]] = time.process_time() - cpu
            if on_done is not None:
                on_done(configs[active[j]], _frame(curves[active[j]], cpu_seconds[active[j]]))
        stay = [j for j in range(len(active)) if j not in done]
        active = [active[j] for j in stay]
        if active:
            stack.keep(stay)
    if bar is not None:
        bar.close()
    return [_frame(rows, c) for rows, c in zip(curves, cpu_seconds, strict=True)]


def _frame(rows: list[dict[str, Any]], cpu_seconds: float) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    frame.attrs["cpu_seconds"] = cpu_seconds
    return frame
