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
far from initialisation, and checks the per-example identity on every evaluated input.
"""

from __future__ import annotations

import sys
from dataclasses import replace

import numpy as np
import torch

from numerics import rnn
from numerics.circuits import Circuit, all_inputs, random_circuit
from numerics.sequences import Sequences, build
from numerics.train import TrainConfig, fit, target, threads
from verify import cli
from verify.report import Verdict

CLAIMS = ("L1",)


def per_example(W: torch.Tensor, fz: rnn.Frozen, seqs: Sequences) -> dict[str, np.ndarray]:
    """Boolean arrays over the inputs: final free-running answer wrong, some free-running step wrong,
    some teacher-forced step wrong; and the teacher-forced wrong count per example."""
    d, T = seqs.d, seqs.T
    y = torch.as_tensor(seqs.y, dtype=W.dtype)
    tf_wrong = rnn.predict(rnn.outputs(W, fz, torch.as_tensor(seqs.z))[:, d - 1 :]) != y
    _, f_free = rnn.free_running(W, fz, seqs.x, T)
    fr_wrong = rnn.predict(f_free[:, d - 1 :]) != y
    return {
        "final_wrong": fr_wrong[:, -1].numpy(),
        "fr_any": fr_wrong.any(dim=1).numpy(),
        "tf_any": tf_wrong.any(dim=1).numpy(),
        "tf_count": tf_wrong.sum(dim=1).numpy(),
    }


def sides(W: torch.Tensor, fz: rnn.Frozen, seqs: Sequences) -> dict[str, float]:
    """Both sides of eq. 5 on ``seqs``, the slack, and the number of inputs breaking the per-example identity."""
    e = per_example(W, fz, seqs)
    fr, tf = float(e["final_wrong"].mean()), float(e["tf_count"].mean())
    return {"fr_error": fr, "tf_error_sum": tf, "slack": tf - fr,
            "identity_violations": int((e["fr_any"] != e["tf_any"]).sum()), "n": int(seqs.n)}


def _eval_set(circuit: Circuit, n: int, seed: int) -> Sequences:
    d = circuit.n_inputs
    x = all_inputs(d) if d <= 12 else np.random.default_rng(seed).integers(0, 2, size=(n, d))
    return build(circuit, x, "subtasks")


def measure(runs: list[tuple[str, TrainConfig, Circuit | None]], n_eval: int = 2048,
            scales: tuple[float, ...] = (0.5, 3.0)) -> list[dict[str, object]]:
    """For each run: both sides of eq. 5 at init, at W0 scaled by ``scales``, during and after training."""
    out = []
    for label, config, circuit in runs:
        circ = circuit if circuit is not None else target(config)
        seqs = _eval_set(circ, n_eval, config.seed + 99)
        W0, fz = rnn.init(config.m, config.seed, config.dtype)
        for scale in scales:
            out.append({"task": label, "stage": f"W0 x {scale:g}", **sides(W0 * scale, fz, seqs)})
        result = fit(replace(config, every=max(1, config.steps // 2)), circuit)
        frame = result.frame
        for step, grp in frame[frame.metric.isin(["fr_error", "tf_error_sum"])].groupby("step"):
            v = dict(zip(grp.metric, grp.value, strict=True))
            stage = "init" if step == 0 else ("after" if step == frame.step.max() else "during")
            out.append({"task": label, "stage": f"{stage} (step {step})", "fr_error": v["fr_error"],
                        "tf_error_sum": v["tf_error_sum"], "slack": v["tf_error_sum"] - v["fr_error"],
                        "identity_violations": None, "n": None})
        out.append({"task": label, "stage": f"after, identity (step {frame.step.max()})",
                    **sides(result.W, fz, seqs)})
    return out


def default_runs(full: bool = False) -> list[tuple[str, TrainConfig, Circuit | None]]:
    """Parity (d = 8, 16, 32) and random circuits; quick sizes by default (SGD, mini-batch 32, eta 0.5)."""
    k = 5 if full else 1
    base = TrainConfig(m=32, algorithm=1, eta=0.5, batch=32, exhaustive_eval=full, eval_n=512 * k)
    runs: list[tuple[str, TrainConfig, Circuit | None]] = [
        ("parity d=8", replace(base, d=8, m=64, steps=400 * k), None),
        ("parity d=16", replace(base, d=16, steps=100 * k), None),
        ("parity d=32", replace(base, d=32, steps=50 * k), None),
    ]
    for seed in range(k):
        c = random_circuit(6, 8, seed)
        runs.append((c.name, replace(base, d=6, steps=100 * k, seed=seed, task=c.name), c))
    return runs


def check(full: bool = False) -> list[Verdict]:
    """L1 on parity (d = 8, 16, 32, sub-task supervision) and random circuits, before/during/after training."""
    with threads(1):  # small problems: one thread is fastest on a shared machine
        rows = measure(default_runs(full), n_eval=512 if not full else 8192)
    slack = min(r["slack"] for r in rows)
    violations = sum(r["identity_violations"] or 0 for r in rows)
    ok = slack >= 0 and violations == 0

    def brief(r: dict[str, object]) -> str:
        return f"{r['task']} {r['stage']}: FR {r['fr_error']:.3f} <= ΣTF {r['tf_error_sum']:.3f}"

    shown = [brief(r) for r in rows if str(r["stage"]).startswith(("init", "after, identity"))]
    evidence = (f"{len(rows)} evaluations (init, W0 scaled x0.5/x3, during, after SGD): min slack ΣTF - FR = "
                f"{slack:.4f}, per-example identity (FR chain wrong somewhere iff some TF step wrong) broken on "
                f"{violations} inputs; " + "; ".join(shown))
    return [Verdict("L1", "holds" if ok else "fails", evidence, measured=slack, claimed=0.0, relation="ge",
                    details={"rows": rows})]


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser("python -m verify.lemma1", __doc__)
    parser.add_argument("--full", action="store_true", help="longer training and more random circuits")
    args = parser.parse_args(argv)
    rows = check(full=args.full)
    lines = [f"  {r['task']:<34} {r['stage']:<28} FR {r['fr_error']:.4f}  ΣTF {r['tf_error_sum']:.4f}  "
             f"slack {r['slack']:.4f}" + (f"  identity violations {r['identity_violations']}"
                                          if r["identity_violations"] is not None else "")
             for r in rows[0].details["rows"]]
    return cli.emit(rows, as_json=args.json, detail="Lemma 1, eq. 5 (FR = free-running final error, "
                    "ΣTF = sum of teacher-forced errors):\n" + "\n".join(lines))


if __name__ == "__main__":
    sys.exit(cli.guarded(main))

