"""Train the paper's RNN (eq. 1-3, only W trains) with Algorithms 1, 2 or 3.

- Algorithm 1 (SGD): each step draws one input x uniformly from {0,1}^d and steps along the exact
  gradient of eq. 4: W <- W - eta ∇ℓ.
- Algorithm 2 (finite-precision SGD, App. C): the same, through a gradient oracle G with
  ‖G - ∇ℓ‖_inf <= sigma (``numerics.oracles``).
- Algorithm 3 (finite-precision GD, App. D): G approximates E_x[∇ℓ], the exact expectation over all
  2^d inputs (refused above ``EXACT_GD_MAX_D`` unless ``mc`` > 0 asks for a Monte-Carlo estimate from
  ``mc`` fresh inputs per step, recorded as ``algorithm 3 (Monte-Carlo)`` and labelled so in the CLI).

The default learning rate is Theorem 2's eta = 1/(m sqrt(n)) with n = ``steps``. Declared
extensions, off by default: ``batch`` > 1 averages the gradient over that many fresh inputs per step
in Algorithms 1-2 (mini-batch SGD); ``stop_at_zero`` stops at the first evaluation with zero
free-running error (used to count steps-to-learn).

The run records a tidy long-format frame with columns ``step, metric, t, value`` (``t`` is the paper's
1-based position for per-position metrics, else -1). Every step (cheap): ``train_loss`` (eq. 4 on the
step's batch, before the update), ``dist`` ‖W(i) - W(0)‖_F, ``step_norm`` ‖ΔW‖_F and ``oracle_err``
max|G - grad|. Every ``every`` steps (and at steps 0 and the last), on the evaluation set: ``loss``,
``tf_error`` (teacher-forced 0-1 error at each position t = d..T), ``tf_error_sum`` (their sum: the
right side of Lemma 1, eq. 5), ``fr_error`` (free-running final-answer error, the left side) and
``lemma1_slack`` (right minus left); with ``gram_probe = k > 0`` also ``ntk_drift`` at each position t,
the relative change ‖H^t(W) - H^t(W0)‖_F / ‖H^t(W0)‖_F of the NTK Gram (eq. 69, ``numerics.ntk``) on the
first k evaluation inputs. Evaluation uses all 2^d
inputs for d <= ``EXHAUSTIVE_D`` (unless ``exhaustive_eval`` is off) and otherwise ``eval_n`` seeded
inputs that training never draws.

A non-finite loss stops the run: the frame keeps everything recorded and ends with a ``diverged``
row at that step.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from numerics import oracles, rnn, store
from numerics.circuits import Circuit, all_inputs, parity_tree, random_subset
from numerics.dtypes import DTYPES
from numerics.sequences import SUPERVISION, Sequences, build

EXHAUSTIVE_D = 16  # evaluate on every input up to here
EXACT_GD_MAX_D = 20  # Algorithm 3's exact expectation enumerates 2^d inputs up to here
MAX_D = 62  # inputs are encoded as int64 keys


@dataclass(frozen=True)
class TrainConfig:
    """One training run. Defaults are the paper's setting at a small size."""

    d: int = 8  # input bits; the task is parity of a random d/2-subset (App. B tree) unless a circuit is given
    supervision: str = "subtasks"  # "subtasks" (every tree node is a position) or "end_to_end"
    subset_seed: int = 0  # which d/2-subset (numerics.circuits.random_subset)
    m: int = 128  # width
    algorithm: int = 1  # 1 SGD, 2 finite-precision SGD, 3 finite-precision GD
    steps: int = 200  # n
    eta: float | None = None  # None: Theorem 2's 1/(m sqrt(n))
    batch: int = 1  # Algorithms 1-2: inputs per step; > 1 is the declared mini-batch extension
    oracle: str = "exact"  # Algorithms 2-3: numerics.oracles.ORACLES
    sigma: float = 0.0  # oracle precision
    mc: int = 0  # Algorithm 3: 0 exact expectation; > 0 Monte-Carlo estimate from mc inputs (declared)
    every: int = 10  # record every k steps
    eval_n: int = 4096  # evaluation inputs when d > EXHAUSTIVE_D or exhaustive_eval is off
    exhaustive_eval: bool = True  # evaluate on all 2^d inputs when d <= EXHAUSTIVE_D
    stop_at_zero: bool = False  # stop at the first evaluation with zero free-running error
    seed: int = 0  # initialisation (Algorithm 1) and data draws
    dtype: str = "float64"
    gram_probe: int = 0  # > 0: record the NTK Gram's relative change on this many evaluation inputs
    task: str = "parity"  # label only: "parity", or the circuit's name when train() gets a circuit
    # Partial supervision (numerics.supervision, issue 16): a scheme string ("budget:2", "top:1", ...) picks
    # the labels the loss sees ("" = off: ``supervision`` decides alone); ``partial_mode`` "removed" drops the
    # others from the sequence, "masked" keeps them as teacher-forced tokens. Left out of ``store_config``
    # at these defaults, so stored runs keep their keys.
    partial: str = ""
    partial_mode: str = "removed"

    @property
    def learning_rate(self) -> float:
        return self.eta if self.eta is not None else 1.0 / (self.m * math.sqrt(self.steps))

    @classmethod
    def smoke(cls) -> TrainConfig:
        """A run of about a second for tests."""
        return cls(d=8, m=32, algorithm=2, steps=20, eta=0.5, batch=8, oracle="uniform", sigma=1e-3, every=5)


def validate(config: TrainConfig, circuit: Circuit | None = None) -> None:
    """Raise ValueError with one clear line for any config the run cannot honour."""
    c = config
    if c.m < 1:
        raise ValueError(f"width m must be >= 1, got {c.m}")
    if c.steps < 1:
        raise ValueError(f"steps must be >= 1, got {c.steps}")
    if c.eta is not None and not (c.eta > 0 and math.isfinite(c.eta)):
        raise ValueError(f"learning rate eta must be a finite number > 0, got {c.eta}")
    if c.algorithm not in (1, 2, 3):
        raise ValueError(f"algorithm must be 1, 2 or 3, got {c.algorithm}")
    oracles.check_oracle(c.oracle, c.sigma)
    if c.algorithm == 1 and (c.oracle != "exact" or c.sigma != 0):
        raise ValueError("Algorithm 1 uses the exact gradient; use algorithm 2 or 3 for an oracle with sigma > 0")
    if c.supervision not in SUPERVISION:
        raise ValueError(f"supervision must be one of {SUPERVISION}, got {c.supervision!r}")
    if c.partial or c.partial_mode != "removed":
        from numerics import supervision as partial

        if c.supervision != "subtasks":
            raise ValueError("partial supervision (partial=...) needs supervision 'subtasks'")
        partial.parse(c.partial or "full")
        if c.partial_mode not in partial.MODES:
            raise ValueError(f"partial_mode must be one of {partial.MODES}, got {c.partial_mode!r}")
    if c.batch < 1 or c.every < 1 or c.eval_n < 1 or c.mc < 0 or c.gram_probe < 0:
        raise ValueError("batch, every and eval_n must be >= 1, mc and gram_probe >= 0")
    if c.dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {sorted(DTYPES)}, got {c.dtype!r}")
    d = circuit.n_inputs if circuit is not None else c.d
    if circuit is not None and circuit.n_inputs != c.d:
        raise ValueError(f"config d = {c.d} but the circuit has {circuit.n_inputs} inputs")
    if circuit is None and not 4 <= d <= MAX_D:
        raise ValueError(f"parity needs 4 <= d <= {MAX_D} (a d/2-subset of at least 2 bits), got d = {d}")
    if not 1 <= d <= MAX_D:
        raise ValueError(f"d must be in 1..{MAX_D}, got {d}")
    if c.algorithm == 3 and c.mc == 0 and d > EXACT_GD_MAX_D:
        raise ValueError(
            f"Algorithm 3's exact expectation needs all 2^{d} inputs (limit d <= {EXACT_GD_MAX_D}); "
            "pass mc > 0 for a declared Monte-Carlo estimate"
        )


@contextmanager
def threads(n: int) -> Iterator[None]:
    """Temporarily run torch on ``n`` threads (small problems on a shared machine run fastest on one)."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def target(config: TrainConfig) -> Circuit:
    """The default task: parity of a random d/2-subset as the App. B tree (numerics.circuits)."""
    return parity_tree(config.d, random_subset(config.d, config.subset_seed))


def _keys(x: np.ndarray) -> np.ndarray:
    return (x.astype(np.int64) << np.arange(x.shape[1], dtype=np.int64)).sum(axis=1)


class _Data:
    """Evaluation set and the per-step input draws (uniform on {0,1}^d, never an evaluation input
    when the evaluation set is a sample of at most half the cube)."""

    def __init__(self, circuit: Circuit, config: TrainConfig, mask: np.ndarray | None = None) -> None:
        self.circuit, self.supervision, self.mask = circuit, config.supervision, mask
        self.d = circuit.n_inputs
        self.rng = np.random.default_rng([config.seed, 1])
        if self.d <= EXHAUSTIVE_D and config.exhaustive_eval:
            x_eval = all_inputs(self.d)
            self.eval_keys = None
        else:
            x_eval = np.unique(np.random.default_rng([config.seed, 2]).integers(0, 2, (config.eval_n, self.d)), axis=0)
            # held out from training, unless the sample is most of the cube (then training draws anything)
            self.eval_keys = np.sort(_keys(x_eval)) if 2 * x_eval.shape[0] <= 1 << self.d else None
        self.eval = build(circuit, x_eval, config.supervision, mask=mask)

    def draw(self, n: int) -> Sequences:
        x = self.rng.integers(0, 2, size=(n, self.d), dtype=np.uint8)
        if self.eval_keys is not None:
            clash = np.isin(_keys(x), self.eval_keys)
            while clash.any():
                x[clash] = self.rng.integers(0, 2, size=(int(clash.sum()), self.d), dtype=np.uint8)
                clash = np.isin(_keys(x), self.eval_keys)
        return build(self.circuit, x, self.supervision, mask=self.mask)


def evaluate(W: torch.Tensor, fz: rnn.Frozen, seqs: Sequences) -> dict[str, object]:
    """Loss, teacher-forced error per position, their sum (Lemma 1's right side) and the
    free-running final-answer error (its left side) on ``seqs``."""
    d, T = seqs.d, seqs.T
    z = torch.as_tensor(seqs.z)
    y = torch.as_tensor(seqs.y, dtype=W.dtype)
    f = rnn.outputs(W, fz, z)
    weights = None if seqs.mask is None else torch.as_tensor(seqs.mask, dtype=W.dtype)
    tf = (rnn.predict(f[:, d - 1 :]) != y).to(torch.float64).mean(dim=0)
    _, f_free = rnn.free_running(W, fz, seqs.x, T)
    fr = (rnn.predict(f_free[:, -1]) != y[:, -1]).to(torch.float64).mean()
    return {
        "loss": float(rnn.loss(f, y, d, weights)),
        "tf_error": tf.tolist(),
        "tf_error_sum": float(tf.sum()),
        "fr_error": float(fr),
    }


@dataclass(frozen=True)
class Result:
    """A finished run: the record frame, the initial and final W, and the frozen parameters."""

    frame: pd.DataFrame
    W0: torch.Tensor
    W: torch.Tensor
    frozen: rnn.Frozen


def train(config: TrainConfig, circuit: Circuit | None = None, progress: bool = False) -> pd.DataFrame:
    """Run Algorithm ``config.algorithm`` and return the tidy record frame (see the module docstring)."""
    return fit(config, circuit, progress).frame


@dataclass(frozen=True)
class Step:
    """One update W = W_prev - eta G as ``fit`` made it, passed to its ``on_step`` hook.

    Attributes:
        step: the iteration i (1-based). W_prev, W: W(i-1) and W(i). grad: the exact gradient of eq. 4 on
        the step's batch at W_prev (Algorithm 3: the expectation over all 2^d inputs). G: what the oracle
        returned (= grad for Algorithm 1). batch: the step's sequences. eta, sigma: learning rate, precision.
    """

    step: int
    W_prev: torch.Tensor
    W: torch.Tensor
    G: torch.Tensor
    grad: torch.Tensor
    batch: Sequences
    eta: float
    sigma: float


def fit(config: TrainConfig, circuit: Circuit | None = None, progress: bool = False,
        on_step: Callable[[Step], None] | None = None) -> Result:
    """Run Algorithm ``config.algorithm``; the records and the weights (see the module docstring).

    Args:
        config: the run; ``config.d`` must equal the circuit's input count when a circuit is given.
        circuit: any Circuit (c17, adders, ...); default the parity tree of ``target(config)``.
        progress: show a tqdm bar (command lines only).
        on_step: called after every update with the :class:`Step` (e.g. to check eq. 25-28 per step);
            it must not modify the tensors it is given.
    """
    validate(config, circuit)
    circuit = circuit if circuit is not None else target(config)
    mask = None
    if config.partial:
        from numerics import supervision as partial

        circuit, mask = partial.task(circuit, config.partial, config.partial_mode)
    dtype = DTYPES[config.dtype]
    W0, fz = rnn.init(config.m, config.seed, config.dtype)
    W = W0.clone()
    data = _Data(circuit, config, mask)
    d = data.eval.d
    eta = config.learning_rate
    gen = torch.Generator().manual_seed(config.seed + 7919)
    full = data.eval if config.algorithm == 3 and config.mc == 0 else None
    if full is not None and full.n != 1 << d:  # the evaluation set is a sample (exhaustive_eval off, or large d)
        _say(progress, f"train: building all 2^{d} = {1 << d:,} input sequences for Algorithm 3's exact "
                       "expectation ...")
        full = build(circuit, all_inputs(d), config.supervision, mask=mask)
    if full is not None:
        gflop = rnn.flops(full.n, full.T, config.m) / 1e9
        _say(progress and gflop > 50, f"train: each Algorithm 3 step is one exact gradient over {full.n:,} inputs "
                                      f"(T = {full.T}, m = {config.m}: {gflop:,.0f} GFLOP); the first step "
                                      "comes after that much work")
    rows: list[tuple[int, str, int, float]] = []
    tracker = None
    if config.gram_probe > 0:
        from numerics.ntk import GramTracker

        probe = data.eval.z[: config.gram_probe]  # distinct inputs: a repeated one makes H^t singular
        tracker = GramTracker.at_init(W0, fz, probe, positions=range(d, data.eval.T + 1))

    def record(step: int) -> float:
        ev = evaluate(W, fz, data.eval)
        if tracker is not None:
            rows.extend((step, "ntk_drift", t, v) for t, v in tracker(W).items())
        rows.extend((step, "tf_error", d + k, e) for k, e in enumerate(ev["tf_error"]))
        for name in ("loss", "tf_error_sum", "fr_error"):
            rows.append((step, name, -1, ev[name]))
        rows.append((step, "lemma1_slack", -1, ev["tf_error_sum"] - ev["fr_error"]))
        return ev["fr_error"]

    def confirm_zero(step: int) -> bool:
        if data.eval.n == 1 << d or d > EXACT_GD_MAX_D:
            return True
        everything = build(circuit, all_inputs(d), config.supervision)
        _, f_free = rnn.free_running(W, fz, everything.x, everything.T)
        err = float((rnn.predict(f_free[:, -1]) != torch.as_tensor(everything.answer, dtype=dtype)).double().mean())
        rows.append((step, "fr_error_all", -1, err))
        return err == 0.0

    from tqdm.auto import tqdm

    rows.extend((0, k, -1, 0.0) for k in ("dist", "step_norm", "oracle_err"))
    _say(progress and data.eval.n > 4096, f"train: evaluating at step 0 on {data.eval.n:,} inputs ...")
    fr = record(0)
    bar = tqdm(range(1, config.steps + 1), disable=None if progress else True, desc="train", unit="step")
    lines = _Lines(progress and bar.disable, config.steps)  # no bar (not a terminal): one line now and then
    lines(0, fr, 0.0)
    for step in bar:
        if config.algorithm == 3:
            batch = full if full is not None else data.draw(config.mc)
        else:
            batch = data.draw(config.batch)
        weights = None if batch.mask is None else torch.as_tensor(batch.mask, dtype=dtype)
        loss, grad = rnn.loss_and_grad(W, fz, batch.z, torch.as_tensor(batch.y, dtype=dtype), d, weights=weights)
        if not torch.isfinite(loss) or not torch.isfinite(grad).all():
            rows.append((step, "diverged", -1, float(loss)))
            bar.close()
            break
        G = oracles.apply(config.oracle, grad, config.sigma, gen) if config.algorithm > 1 else grad
        delta = -eta * G
        W_prev, W = W, W + delta
        if on_step is not None:
            on_step(Step(step, W_prev, W, G, grad, batch, eta, config.sigma))
        dist = float(torch.linalg.matrix_norm(W - W0))
        rows.append((step, "train_loss", -1, float(loss)))
        rows.append((step, "dist", -1, dist))
        rows.append((step, "step_norm", -1, float(torch.linalg.matrix_norm(delta))))
        rows.append((step, "oracle_err", -1, float((G - grad).abs().max())))
        if step % config.every == 0 or step == config.steps:
            fr = record(step)
            bar.set_postfix(fr_error=f"{fr:.4f}", dist=f"{dist:.3g}")
            lines(step, fr, dist)
            if config.stop_at_zero and fr == 0.0 and confirm_zero(step):
                bar.close()
                break
    frame = pd.DataFrame(rows, columns=["step", "metric", "t", "value"])
    return Result(frame.astype({"step": "int64", "t": "int64", "value": "float64"}), W0, W, fz)


def _say(show: bool, message: str) -> None:
    """One progress line on stderr (command lines only: ``fit(progress=True)``)."""
    if show:
        print(message, file=sys.stderr, flush=True)


class _Lines:
    """Progress without a terminal (no tqdm bar): one stderr line at the first recording, then at most one
    every ``period`` seconds."""

    def __init__(self, show: bool, steps: int, period: float = 10.0) -> None:
        self.show, self.steps, self.period, self.last = show, steps, period, -math.inf

    def __call__(self, step: int, fr: float, dist: float) -> None:
        now = time.monotonic()
        if self.show and (now - self.last >= self.period or step == self.steps):
            self.last = now
            print(f"train: step {step}/{self.steps}, free-running error {fr:.4f}, ‖W - W0‖_F = {dist:.3g}",
                  file=sys.stderr, flush=True)


def diverged_at(frame: pd.DataFrame) -> int | None:
    """The step at which a run stopped on a non-finite loss, or None."""
    hit = frame.loc[frame.metric == "diverged", "step"]
    return int(hit.iloc[0]) if len(hit) else None


def steps_to_learn(frame: pd.DataFrame) -> int | None:
    """The first recorded step with zero free-running final-answer error, or None."""
    hit = frame.loc[(frame.metric == "fr_error") & (frame.value == 0.0), "step"]
    return int(hit.min()) if len(hit) else None


def store_config(config: TrainConfig, circuit: Mapping[str, object] | None = None) -> dict[str, object]:
    """The config as stored (with the learning rate actually used); the partial-supervision fields are left
    out at their defaults (off), so runs stored before they existed keep their keys.

    ``circuit``: for a run on a circuit file, what identifies the task (``CircuitTask.identity``: the file's
    SHA-256, the output, the fan-in bound), added under ``circuit_*`` keys so that two files or two outputs
    never share a shard."""
    values = asdict(config)
    for name, default in (("partial", ""), ("partial_mode", "removed")):
        if values[name] == default:
            del values[name]
    extra = {f"circuit_{k}": v for k, v in (circuit or {}).items()}
    return {**values, **extra, "learning_rate": config.learning_rate}


@dataclass(frozen=True)
class CircuitTask:
    """One output of a circuit file as the RNN's task (Section 6): the sequenced cone and what identifies it.

    Attributes:
        circuit: the output's cone, fan-in reduced (``numerics.cone.sequence``), ready for ``train``/``fit``.
        output: the output's name (the largest cone when none was asked for).
        sha256: the SHA-256 of the file's bytes (the store's key: renaming the file keeps its runs).
        path: the file as given.
        max_fanin: the fan-in bound of the reduction.
    """

    circuit: Circuit
    output: str
    sha256: str
    path: Path
    max_fanin: int

    @property
    def identity(self) -> dict[str, object]:
        """What keys a stored run besides the TrainConfig (``store_config(config, task.identity)``)."""
        return {"sha256": self.sha256, "output": self.output, "max_fanin": self.max_fanin}

    def config(self, **fields: object) -> TrainConfig:
        """A TrainConfig for this task: ``d`` is the cone's input count, ``task`` names file and output."""
        return TrainConfig(**{"d": self.circuit.n_inputs, "task": f"{self.path.name}:{self.output}", **fields})


def circuit_task(path: Path | str, output: str | None = None, max_fanin: int = 2) -> CircuitTask:
    """Read a BENCH / AIGER / BLIF file (``numerics.circuit_io.read``) and sequence one output's cone
    (``numerics.cone.sequence``: default the largest cone, fan-in reduced to ``max_fanin``).

    Raises ValueError (one line, naming the file) for an unreadable file, an unknown output or a constant
    output, and for a cone wider than ``MAX_D`` inputs.

    Example::

        task = circuit_task("numerics/data/c17.bench", output="22")
        frame = train(task.config(m=64, steps=100), task.circuit)
    """
    import hashlib

    from numerics import circuit_io, cone

    path = Path(path)
    netlist = circuit_io.read(path)
    seq = cone.sequence(netlist, output, max_fanin)
    if seq.circuit.n_inputs > MAX_D:
        raise ValueError(f"{path}: the cone of output {seq.output} reads {seq.circuit.n_inputs} inputs; "
                         f"the RNN's training takes at most {MAX_D}")
    return CircuitTask(seq.circuit, seq.output, hashlib.sha256(path.read_bytes()).hexdigest(), path, max_fanin)


def _parser() -> argparse.ArgumentParser:
    from numerics.cli import HelpFormatter, OneLineParser, float_in, int_in

    def one_of(values: object) -> str:
        return "{" + ",".join(map(str, values)) + "}"  # type: ignore[call-overload]

    p = OneLineParser(prog="python -m numerics.train", description=__doc__, formatter_class=HelpFormatter)
    dflt = TrainConfig()
    big = 2**62
    p.add_argument("--d", type=int_in(1, MAX_D), default=None,
                   help=f"input bits: parity of a random d/2-subset (default {dflt.d}; with --circuit the cone's "
                        "input count, which --d must match if given)")
    p.add_argument("--circuit", type=Path, metavar="FILE", default=None,
                   help="train on one output of this circuit file (.bench, .aag, .aig, .blif) instead of parity")
    p.add_argument("--output", metavar="NAME", default=None,
                   help="with --circuit: the output to learn (default: the output with the largest cone)")
    p.add_argument("--max-fanin", type=int_in(2, 6), default=2,
                   help="with --circuit: reduce the cone to gates of at most this fan-in (numerics.fanin)")
    p.add_argument("--supervision", default=dflt.supervision, metavar=one_of(SUPERVISION),
                   help="every tree node a position (subtasks) or the answer only")
    p.add_argument("--subset-seed", type=int_in(0, big), default=dflt.subset_seed, help="which d/2-subset")
    p.add_argument("--m", type=int_in(-big, big), default=dflt.m, help="width")
    p.add_argument("--algorithm", type=int_in(-big, big), default=dflt.algorithm, metavar="{1,2,3}",
                   help="1 SGD, 2 finite-precision SGD, 3 finite-precision GD")
    p.add_argument("--steps", type=int_in(-big, big), default=dflt.steps, help="iterations n")
    p.add_argument("--eta", type=float_in(), default=None, help="learning rate (default 1/(m sqrt(n)), Theorem 2)")
    p.add_argument("--batch", type=int_in(-big, big), default=dflt.batch,
                   help="inputs per step, Algorithms 1-2 (>1: extension)")
    p.add_argument("--oracle", default=dflt.oracle, metavar=one_of(oracles.ORACLES),
                   help="gradient oracle of Algorithms 2-3")
    p.add_argument("--sigma", type=float_in(), default=dflt.sigma, help="oracle precision")
    p.add_argument("--mc", type=int_in(-big, big), default=dflt.mc,
                   help="Algorithm 3: Monte-Carlo inputs per step (0: exact)")
    p.add_argument("--every", type=int_in(-big, big), default=dflt.every, help="record every k steps")
    p.add_argument("--eval-n", type=int_in(-big, big), default=dflt.eval_n,
                   help=f"evaluation inputs when d > {EXHAUSTIVE_D}")
    p.add_argument("--stop-at-zero", action="store_true", help="stop once the free-running error is 0")
    p.add_argument("--seed", type=int_in(0, big), default=dflt.seed, help="initialisation and data draws")
    p.add_argument("--dtype", default=dflt.dtype, metavar=one_of(sorted(DTYPES)), help="floating-point type")
    p.add_argument("--gram-probe", type=int_in(-big, big), default=dflt.gram_probe,
                   help="record the NTK Gram's relative change on this many evaluation inputs (0: off)")
    p.add_argument("--partial", default=dflt.partial,
                   help="partial supervision scheme (numerics.supervision: full, none, top:L, bottom:L, "
                        "fraction:F[:SEED], every:J, budget:K); empty: off")
    p.add_argument("--partial-mode", default=dflt.partial_mode, metavar="{removed,masked}",
                   help="unsupervised labels removed from the sequence or masked in the loss")
    p.add_argument("--store", type=Path, default=Path("results/train"),
                   help="results folder (Parquet + JSON), relative to the working directory")
    p.add_argument("--threads", type=int_in(0, 1024), default=0, help="torch threads (0: torch's default)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    fields = {k: v for k, v in vars(args).items()
              if k not in {"store", "threads", "circuit", "output", "max_fanin"}}
    task = None
    try:
        if args.circuit is None:
            if args.output is not None:
                raise ValueError("--output needs --circuit FILE")
            fields["d"] = TrainConfig.d if args.d is None else args.d
            config = TrainConfig(**fields)
        else:
            task = circuit_task(args.circuit, args.output, args.max_fanin)
            if args.d is not None and args.d != task.circuit.n_inputs:
                raise ValueError(f"--d {args.d} but the cone of output {task.output} of {args.circuit} reads "
                                 f"{task.circuit.n_inputs} inputs (leave --d out)")
            config = task.config(**{k: v for k, v in fields.items() if k != "d"})
        validate(config, None if task is None else task.circuit)
    except ValueError as exc:
        print(f"python -m numerics.train: error: {exc}", file=sys.stderr)
        return 2
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    if task is not None:
        shape = task.circuit
        print(f"{args.circuit}: output {task.output}, d = {shape.n_inputs} inputs, {len(shape.gates)} gates "
              f"(fan-in <= {task.max_fanin}), T = {shape.T}", file=sys.stderr)
    if config.algorithm == 3 and config.mc > 0:
        print(f"Algorithm 3 with a Monte-Carlo gradient estimate from {config.mc} inputs per step "
              "(declared extension, not the exact expectation)", file=sys.stderr)
    start = time.perf_counter()
    frame = train(config, None if task is None else task.circuit, progress=True)
    seconds = time.perf_counter() - start
    outputs: dict[str, object] = {"seconds": round(seconds, 3)}
    if task is not None:
        outputs["circuit_file"] = str(task.path)
    path = store.write(args.store, store_config(config, None if task is None else task.identity), frame,
                       outputs=outputs)
    final = frame[frame.metric == "fr_error"].iloc[-1]
    dist = frame[frame.metric == "dist"].iloc[-1]
    print(f"step {final.step}: free-running error {final.value:.4f}, ‖W - W0‖_F = {dist.value:.4g}, "
          f"eta = {config.learning_rate:.4g}, {seconds:.1f} s; wrote {path}")
    learned = steps_to_learn(frame)
    if learned is not None:
        print(f"zero free-running error first recorded at step {learned}")
    bad = diverged_at(frame)
    if bad is not None:
        print(f"python -m numerics.train: diverged (non-finite loss) at step {bad}; kept the records up to it",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

