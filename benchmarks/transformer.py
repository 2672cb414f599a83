"""Training steps per second: our decoder (numerics.transformer) against transformers.GPT2LMHeadModel.

Both models get the width, depth and heads of ``specs/table1.toml`` and the same sequence length
(the 32-bit task with supervision, T + 1 = 47 tokens), batch 32, the same fused AdamW; one
teacher-forced step = forward, loss on the positions d..T, backward, update; no dropout in either.
Our decoder's last layer computes outputs only where there is a target; GPT2LMHeadModel computes
every position. GPT2LMHeadModel comes from the optional ``bench`` extra
(``pip install subtask-verify[bench]``); without it only our decoder is measured.

    python -m benchmarks.transformer [--steps 50] [--threads 1]
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import numpy as np
import torch
from torch.nn import functional as F

from numerics.sequences import build
from numerics.sweep import load_spec
from numerics.transformer import START, Config, loss_on, make_data, model_for, optimizer, with_start
from verify.table1 import FULL_SPEC


def steps_per_second(step: Callable[[], None], steps: int) -> float:
    for _ in range(3):  # warm-up
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return steps / (time.perf_counter() - start)


def ours(config: Config, u: torch.Tensor, targets: torch.Tensor) -> Callable[[], None]:
    model = model_for(config, make_data(config).circuit)
    opt = optimizer(model, config)

    def step() -> None:
        loss = loss_on(model, u, targets, config.d)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step


def gpt2(config: Config, u: torch.Tensor, targets: torch.Tensor) -> Callable[[], None]:
    from transformers import GPT2Config, GPT2LMHeadModel

    hf = GPT2Config(vocab_size=3, n_positions=u.shape[1], n_embd=config.n_embd, n_layer=config.n_layer,
                    n_head=config.n_head, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                    bos_token_id=START, eos_token_id=START)
    torch.manual_seed(config.init_seed)
    model = GPT2LMHeadModel(hf)
    model.train()
    opt = optimizer(model, config)  # the same optimiser for both

    def step() -> None:
        logits = model(input_ids=u).logits[:, config.d :, :2]
        loss = F.cross_entropy(logits.reshape(-1, 2), targets.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step


def main(argv: list[str] | None = None) -> int:
    from verify import cli

    parser = cli.OneLineParser(prog="python -m benchmarks.transformer", description=__doc__)
    parser.add_argument("--steps", type=cli.int_in(5, 100_000), default=50, help="timed steps per model")
    parser.add_argument("--threads", type=cli.int_in(1, 256), default=1, help="torch threads")
    parser.add_argument("--d", type=cli.int_in(8, 64), default=32, help="task bits (sets the sequence length)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    # The model of specs/table1.toml (its width, depth and heads) on the d-bit task with supervision.
    model = {k: getattr(load_spec(FULL_SPEC).runs[0], k) for k in ("n_layer", "n_head", "n_embd", "qkv_std", "lr")}
    config = Config(d=args.d, **model)
    data = make_data(config)
    seq = build(data.circuit, data.val[: config.batch], "subtasks")
    u = with_start(seq.z)
    targets = torch.from_numpy(((seq.y + 1) / 2).astype(np.int64))
    shape = (f"n_layer={config.n_layer} n_head={config.n_head} n_embd={config.n_embd} seq_len={u.shape[1]} "
             f"batch={config.batch} threads={args.threads}")
    ours_rate = steps_per_second(ours(config, u, targets), args.steps)
    print(f"{shape}\nours (numerics.transformer.Decoder): {ours_rate:8.1f} steps/s")
    try:
        import transformers
    except ImportError:
        print("transformers is not installed (optional extra: pip install 'subtask-verify[bench]'); "
              "GPT2LMHeadModel not measured")
        return 0
    theirs = steps_per_second(gpt2(config, u, targets), args.steps)
    print(f"transformers {transformers.__version__} GPT2LMHeadModel: {theirs:8.1f} steps/s")
    print(f"ratio ours / GPT2LMHeadModel: {ours_rate / theirs:.2f}x (target >= 1.5x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
