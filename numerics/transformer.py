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
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.nn import functional as F

from numerics.circuits import Circuit, all_inputs, parity_tree, random_subset
from numerics.sequences import SUPERVISION, build, split

START = 2  # the start token; tokens 0 and 1 are the bits
LEARNED = 0.60  # Table 1: "better than random" = validation accuracy > 60%
SOLVED = 0.95  # Figure 4: accuracy > 95%


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

    def __post_init__(self) -> None:
        if self.supervision not in SUPERVISION:
            raise ValueError(f"supervision must be one of {SUPERVISION}, got {self.supervision!r}")
        if self.d < 4:
            raise ValueError(f"d must be >= 4 (a d/2-bit subset with a tree), got {self.d}")
        if self.n_embd % self.n_head:
            raise ValueError(f"n_embd {self.n_embd} is not a multiple of n_head {self.n_head}")
        for name in ("n_layer", "n_head", "n_embd", "batch", "max_steps", "eval_min"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1")
        if not self.qkv_std > 0:
            raise ValueError(f"qkv_std must be > 0, got {self.qkv_std}")
        if not (self.lr > 0 and self.weight_decay >= 0 and self.grad_clip > 0 and 0 < self.stop_at <= 1):
            raise ValueError("need lr > 0, weight_decay >= 0, grad_clip > 0 and 0 < stop_at <= 1")

    @classmethod
    def smoke(cls, **changes: Any) -> Config:
        """A seconds-long run for tests: a 1-layer width-32 decoder on 8 bits with supervision."""
        return replace(cls(d=8, n_layer=1, n_head=2, n_embd=32, lr=3e-3, max_steps=400), **changes)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": "transformer", **asdict(self)}


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


def eval_every(step: int, finest: int = 10) -> int:
    """Validation interval at ``step``: ``finest`` up to 20 * finest steps, then doubling with each
    doubling of ``step`` (finest * 2^k on [20 finest 2^k, 40 finest 2^k)): 20 evaluations per
    doubling, so the step where accuracy first passes a level is resolved to within 5%."""
    return finest * 2 ** max(0, int(math.log2(max(step, 1) / (20 * finest))))


@dataclass(frozen=True)
class Data:
    """App. G's split: disjoint validation and test inputs, and a training stream that avoids them."""

    circuit: Circuit
    val: np.ndarray
    test: np.ndarray
    train: np.ndarray | None  # the rest of the cube when the budget covers it, else None (fresh samples)

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
    split_seed, _ = np.random.SeedSequence(config.seed).spawn(2)
    n = holdout_size(d)
    enumerate_cube = d <= 24 and config.max_steps * config.batch >= 1 << d
    if enumerate_cube:
        cube = all_inputs(d)
        val, test, train = split(cube, (n, n, cube.shape[0] - 2 * n), int(split_seed.generate_state(1)[0]))
        return Data(circuit, val, test, train)
    rng = np.random.default_rng(split_seed)
    held: set[bytes] = set()
    rows = []
    while len(rows) < 2 * n:
        row = rng.integers(0, 2, size=d, dtype=np.uint8)
        if row.tobytes() not in held:
            held.add(row.tobytes())
            rows.append(row)
    held_x = np.stack(rows)
    return Data(circuit, held_x[:n], held_x[n:], None)


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
        if step % eval_every(step, config.eval_min) == 0 or step == config.max_steps:
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
            "test_acc": float(curve["test_acc"].iloc[-1]), "seconds": float(curve["seconds"].iloc[-1])}
