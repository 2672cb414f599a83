"""L1: Lemma 1 (eq. 5, App. A eq. 11-12) — free-running error <= sum of teacher-forced errors, for ANY W.

For every input x, let the teacher-forced run read z^train (the true tokens) and the free-running run
read z^test (its own predictions, eq. 15). A prediction is +1 iff f_t > 0, and the token fed next is
1 iff the prediction is +1, so the label y_t = 2 z_{t+1} - 1 and the token agree (footnote 1).

Per example (the core of the proof): the free-running chain is wrong at some position t >= d iff the
teacher-forced run is wrong at some position. If no teacher-forced step is wrong, z^test = z^train
by induction and every free-running output equals the teacher-forced one; if some is, the first wrong
teacher-forced position t* sees z^test = z^train up to t*, so the free-running prediction there is the
same wrong one. Hence 1[final answer wrong] <= 1[some step wrong] <= Σ_t 1[step t wrong], and
averaging over any finite set of inputs gives eq. 5 with slack = Σ_t TF error - FR error >= 0.

This module measures both sides on parity with sub-task supervision (d = 8, 16, 32) and on random
circuits, at initialisation, during and after SGD training (``numerics.train``), plus weights scaled
far from initialisation, and checks the per-example identity on every evaluated input. Rule ``empirical``
(``decide``). Control: a trained model's free-running answers scored against shuffled labels (the teacher-forced
side keeps the true ones): eq. 5's two sides no longer describe the same task, and the rule must fail.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace

import numpy as np
import torch

from numerics import rnn
from numerics.circuits import Circuit, all_inputs, random_circuit
from numerics.sequences import Sequences, build
from numerics.train import TrainConfig, fit, target, threads
from verify import cli
from verify.evidence import Control, Finding, compare

CLAIMS = ("L1",)


def per_example(W: torch.Tensor, fz: rnn.Frozen, seqs: Sequences, shuffle: np.ndarray | None = None
                ) -> dict[str, np.ndarray]:
    """Boolean arrays over the inputs: final free-running answer wrong, some free-running step wrong,
    some teacher-forced step wrong; and the teacher-forced wrong count per example.

    ``shuffle`` (the control only): a permutation of the inputs; the free-running outputs are then scored
    against the labels of other inputs, which breaks what eq. 5 compares.
    """
    d, T = seqs.d, seqs.T
    y = torch.as_tensor(seqs.y, dtype=W.dtype)
    tf_wrong = rnn.predict(rnn.outputs(W, fz, torch.as_tensor(seqs.z))[:, d - 1 :]) != y
    _, f_free = rnn.free_running(W, fz, seqs.x, T)
    y_free = y if shuffle is None else y[torch.as_tensor(shuffle)]
    fr_wrong = rnn.predict(f_free[:, d - 1 :]) != y_free
    return {
        "final_wrong": fr_wrong[:, -1].numpy(),
        "fr_any": fr_wrong.any(dim=1).numpy(),
        "tf_any": tf_wrong.any(dim=1).numpy(),
        "tf_count": tf_wrong.sum(dim=1).numpy(),
    }


def sides(W: torch.Tensor, fz: rnn.Frozen, seqs: Sequences, shuffle: np.ndarray | None = None) -> dict[str, float]:
    """Both sides of eq. 5 on ``seqs``, the slack, and the number of inputs breaking the per-example identity."""
    e = per_example(W, fz, seqs, shuffle)
    fr, tf = float(e["final_wrong"].mean()), float(e["tf_count"].mean())
    return {"fr_error": fr, "tf_error_sum": tf, "slack": tf - fr,
            "identity_violations": int((e["fr_any"] != e["tf_any"]).sum()), "n": int(seqs.n)}


def _eval_set(circuit: Circuit, n: int, seed: int) -> Sequences:
    d = circuit.n_inputs
    x = all_inputs(d) if d <= 12 else np.random.default_rng(seed).integers(0, 2, size=(n, d))
    return build(circuit, x, "subtasks")


@dataclass(frozen=True)
class Config:
    """Sizes of the L1 check (fields are the CLI flags)."""

    d: tuple[int, ...] = field(default=(8, 16, 32), metadata={"help": "parity input lengths (sub-task supervision)",
                                                              "range": (4, 64)})
    circuits: int = field(default=1, metadata={"help": "random circuits (6 inputs, 8 gates), seeds 0..k-1",
                                               "range": (0, 50)})
    steps_scale: int = field(default=1, metadata={"help": "multiplies the SGD steps (400, 100, 50 by d; 100 for "
                                                          "circuits)", "range": (1, 100)})
    n_eval: int = field(default=512, metadata={"help": "sampled inputs when d > 12 (all 2^d otherwise)",
                                               "range": (16, 1_000_000)})
    scales: tuple[float, ...] = field(default=(0.5, 3.0), metadata={"help": "W0 scaled far from initialisation",
                                                                     "range": (1e-3, 1e3)})

    @classmethod
    def quick(cls) -> Config:
        return cls()

    @classmethod
    def full(cls) -> Config:
        return cls(circuits=5, steps_scale=5, n_eval=8192)


def default_runs(config: Config | None = None) -> list[tuple[str, TrainConfig, Circuit | None]]:
    """Parity and random circuits (SGD, mini-batch 32, eta 0.5); the d = 8 run is wider (m = 64) and longer."""
    config = config or Config.quick()
    k = config.steps_scale
    base = TrainConfig(m=32, algorithm=1, eta=0.5, batch=32, exhaustive_eval=k > 1, eval_n=512 * k)
    steps = {8: 400, 16: 100, 32: 50}
    runs: list[tuple[str, TrainConfig, Circuit | None]] = [
        (f"parity d={d}", replace(base, d=d, m=64 if d == 8 else 32, steps=steps.get(d, 50) * k), None)
        for d in config.d]
    for seed in range(config.circuits):
        c = random_circuit(6, 8, seed)
        runs.append((c.name, replace(base, d=6, steps=100 * k, seed=seed, task=c.name), c))
    return runs


@dataclass(frozen=True)
class Data:
    """One row per (task, stage) evaluation; ``trained`` keeps each run's final weights and evaluation set."""

    rows: tuple[dict, ...]
    trained: tuple[tuple[str, torch.Tensor, rnn.Frozen, Sequences], ...] = ()


def measure(config: Config) -> Data:
    """For each run: both sides of eq. 5 at init, at W0 scaled by ``scales``, during and after training."""
    if any(d % 4 for d in config.d):
        raise ValueError(f"--d {list(config.d)}: the parity tree needs d divisible by 4")
    out, trained = [], []
    with threads(1):  # small problems: one thread is fastest on a shared machine
        for label, train_config, circuit in default_runs(config):
            circ = circuit if circuit is not None else target(train_config)
            seqs = _eval_set(circ, config.n_eval, train_config.seed + 99)
            W0, fz = rnn.init(train_config.m, train_config.seed, train_config.dtype)
            for scale in config.scales:
                out.append({"task": label, "stage": f"W0 x {scale:g}", **sides(W0 * scale, fz, seqs)})
            result = fit(replace(train_config, every=max(1, train_config.steps // 2)), circuit)
            frame = result.frame
            for step, grp in frame[frame.metric.isin(["fr_error", "tf_error_sum"])].groupby("step"):
                v = dict(zip(grp.metric, grp.value, strict=True))
                stage = "init" if step == 0 else ("after" if step == frame.step.max() else "during")
                out.append({"task": label, "stage": f"{stage} (step {step})", "fr_error": v["fr_error"],
                            "tf_error_sum": v["tf_error_sum"], "slack": v["tf_error_sum"] - v["fr_error"],
                            "identity_violations": None, "n": None})
            out.append({"task": label, "stage": f"after, identity (step {frame.step.max()})",
                        **sides(result.W, fz, seqs)})
            trained.append((label, result.W, fz, seqs))
    return Data(tuple(out), tuple(trained))


def decide(data: Data) -> list[Finding]:
    """Rule ``empirical`` (eq. 5 must hold for every W): at every evaluation, free-running final error <= sum of
    teacher-forced errors (the slack is their difference), and wherever the per-example errors were recorded,
    no input has a free-running chain wrong somewhere without a wrong teacher-forced step or vice versa.
    The smallest slack is context."""
    comps = []
    for r in data.rows:
        p = {"task": r["task"], "stage": r["stage"]}
        comps.append(compare("free-running final 0-1 error", "Lemma 1, eq. 5", r["fr_error"], "le", r["tf_error_sum"],
                             params=p, note=f"slack {r['slack']:.4g}"))
        if r["identity_violations"] is not None:
            comps.append(compare("inputs breaking 'FR wrong somewhere iff some TF step wrong'", "App. A eq. 11-12",
                                 r["identity_violations"], "eq", 0, params={**p, "inputs": r["n"]}))
    slack = min(r["slack"] for r in data.rows)
    comps.append(compare("smallest slack sum TF - FR over the evaluations", "Lemma 1, eq. 5", slack, "ge", 0.0,
                         role="context"))
    tasks = sorted({r["task"] for r in data.rows})
    return [Finding("L1", "empirical", tuple(comps), details={"rows": list(data.rows)},
                    scope=f"{', '.join(tasks)}; at W0, W0 scaled, during and after SGD (sub-task supervision)")]


def check(config: Config | None = None) -> list[Finding]:
    """L1 on parity with sub-task supervision and random circuits, before/during/after training."""
    return decide(measure(config or Config.quick()))


def controls(findings: list[Finding]) -> list[Control]:
    """The trained parity d = 8 model (the quick preset's, trained again: small) with its free-running answers
    scored against the labels of other inputs (a seeded permutation: the structure is gone) while the
    teacher-forced side keeps the true labels: the free-running error exceeds the teacher-forced sum, and the
    same rule must give inconsistent."""
    data = measure(Config(d=(8,), circuits=0, scales=()))
    rng = np.random.default_rng(0)
    with threads(1):
        rows = tuple({"task": label, "stage": "trained, free-running scored on shuffled labels",
                      **sides(W, fz, seqs, rng.permutation(seqs.n))} for label, W, fz, seqs in data.trained)
    return [Control("L1", "free-running answers scored against shuffled labels (trained parity d = 8)",
                    decide(Data(rows))[0])]


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser("python -m verify.lemma1", __doc__, Config)
    args = parser.parse_args(argv)
    findings = check(cli.config(Config, args))
    lines = [f"  {r['task']:<34} {r['stage']:<28} FR {r['fr_error']:.4f}  ΣTF {r['tf_error_sum']:.4f}  "
             f"slack {r['slack']:.4f}" + (f"  identity violations {r['identity_violations']}"
                                          if r["identity_violations"] is not None else "")
             for r in findings[0].details["rows"]]
    detail = "" if args.json else ("Lemma 1, eq. 5 (FR = free-running final error, ΣTF = sum of teacher-forced "
                                   "errors):\n" + "\n".join(lines))
    return cli.emit(findings, args, controls=controls(findings), detail=detail)


if __name__ == "__main__":
    sys.exit(cli.guarded(main))
