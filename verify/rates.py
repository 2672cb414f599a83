"""A2, A3: how far finite-precision SGD / GD move W from its initialisation (App. C eq. 25-29, App. D eq. 54-58).

Statement. With eta = 1/(m sqrt(n)) and sigma = O(1/m), Algorithm 2 (one sample per step, a gradient
oracle G with ‖G - ∇ℓ‖_inf <= sigma) and Algorithm 3 (the same around E_x[∇ℓ], the exact expectation over
all 2^d inputs) keep ‖W(i) - W(0)‖_F = O(i T^8 / (m sqrt n)). The proof is a chain of per-step relations:

    (25 / 54) ‖W(i+1) - W(0)‖_F <= Σ_{k<=i} ‖W(k+1) - W(k)‖_F                       triangle inequality
    (26 / 55) W(k+1) - W(k) = -eta (∇ℓ + sigma_k),  ‖sigma_k‖_inf <= sigma               the update
    (27 / 56) ∇ℓ = (1/K) Σ_{t=d..T} (-y_t e^{-y_t f_t} / (1 + e^{-y_t f_t})) ∇_W f_t        chain rule
    (28)      ‖∇ℓ‖_F <= max_{d<=t<=T} ‖∇_W f_t‖_F                                      (Algorithm 2)
    (57)      ‖E_x ∇ℓ‖_F <= (1/K) Σ_t E_x ‖∇_W f_t‖_F                                  (Algorithm 3, Jensen)
    (29 / 58) ‖W(k+1) - W(k)‖_F <= eta (right side of 28 / 57 + ‖sigma_k‖_F)

Method. We run the toolkit's own Algorithms 2 and 3 (``numerics.train.fit``, float64) on the parity task of
App. B (T = T of the circuit, 3d/2 - 2) and check every relation at EVERY step through ``fit``'s ``on_step``
hook, with the per-position gradients ∇_W f_t computed a second way (``numerics.probes.position_gradients``:
one backward sweep per position, not the training code's fused back-propagation):

- identities, to float64 rounding: eq. 26 entrywise, |ΔW + eta G| <= u (|W(k+1)| + 2 eta |G|) with
  u = 2^-53 (one rounding each in eta G, W + ΔW and our W(k+1) - W(k)); the oracle's ‖G - ∇ℓ‖_inf <= sigma
  exactly (the oracle guarantees it in real arithmetic, and rounding |G - ∇ℓ| cannot cross sigma); eq. 27 / 56
  as the relative Frobenius difference of the two gradient paths, <= 1e-12;
- bounds, with the measured slack printed: eq. 25 / 54 at every i, eq. 28 / 57 and eq. 29 / 58 at every k;
- the width law: ‖W(n) - W(0)‖_F at eta = 1/(m sqrt n) fitted as m^p over >= 3 widths x >= 3 seeds (the
  ``inflate`` oracle, which maximises every step inside the ball); the bound's shape is p <= -1.

Rule (``empirical``): consistent when every per-step relation holds at every step of every run and the
95% interval of p lies below -1 + ``P_MARGIN`` = -0.75, half-way between the bound's -1 and the -1/2 of
the nearest alternative (eta ∝ 1/sqrt(m)); the margin absorbs the finite-width drift of the gradient norms,
which are O(1) in m only as m -> infinity (measured: m ‖W(n) - W(0)‖_F / sqrt(n) varies by ~10% between
m = 128 and 512, and its seed spread is largest at the smallest m). The fit has power against a step size
that is not ∝ 1/m; the per-step relations have power against any code path that breaks the update or the oracle.
The T^8 in eq. 29 / 58 is the gradient bound of Lemma 10 and is tested in ``verify.finite_width`` (GRAD).

Erratum (part "sigma term", rule ``exact``). Eq. 29 prints the step as eta O(T^8 + 1/m) =
O(T^8/(m sqrt n) + 1/(m^2 sqrt n)) and eq. 58 as eta O(T^8 + 1) = O(T^8/(m sqrt n) + 1/(m^2 sqrt n)): both
give the oracle's share of a step as 1/(m^2 sqrt n). But ‖sigma_k‖_F <= m ‖sigma_k‖_inf = m sigma, attained
by the inflate oracle, so at sigma = 1/m the share is eta m sigma = 1/(m sqrt n), exponent -1 in m, not -2.
The conclusion ‖W(i) - W(0)‖_F = O(i T^8 / (m sqrt n)) survives (T^8 >= 1).

Controls. A planted oracle that leaves the sigma-ball (G = ∇ℓ + 2 sigma sign(∇ℓ)) run through the same per-step
check (eq. 26 fails, and the sigma term exceeds m sigma); distances that shrink like m^(-1/2) (the measured
ones times sqrt(m), as with eta ∝ 1/sqrt(m)) fail the width law.

Quick sizes: d = 6 (T = 7), m = 128, 256, 512, 3 seeds, n = 16 steps, inflate and round oracles: every
step of 36 runs is checked; the width fit spans 4x with 9 points (measured: A2 -1.08 [-1.24, -0.92], A3
-1.01 [-1.06, -0.96]; --full, m = 128..1024, 5 seeds: -1.02 [-1.07, -0.96] and -0.995 [-1.01, -0.98]).

Run: ``python -m verify.rates [--widths 128 256 512] [--seeds 0 1 2] [--steps 16] [--d 6] [--full] [--json]``.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from numerics import probes, rnn
from numerics.circuits import all_inputs
from numerics.oracles import ORACLES
from numerics.sequences import Sequences, build
from numerics.train import Step, TrainConfig, fit, target, threads
from verify import cli, stats
from verify.evidence import Control, Finding, compare

CLAIMS = ("A2", "A3")
U = 2.0**-53  # float64 unit roundoff
REL_TOL = 1e-12  # two float64 summation orders of the same gradient (eq. 27 / 56); and the slack of <= bounds
P_MARGIN = 0.25  # the width exponent must lie below -1 + P_MARGIN: half-way to the -1/2 of eta ∝ 1/sqrt(m)
SOURCES = {
    2: {"id": "A2", "name": "Algorithm 2 (finite-precision SGD, one sample per step)", "tri": "eq. 25",
        "upd": "eq. 26", "chain": "eq. 27", "jensen": "eq. 28", "step": "eq. 29", "ball": "footnote 8"},
    3: {"id": "A3", "name": "Algorithm 3 (finite-precision GD, exact E_x over all 2^d inputs)", "tri": "eq. 54",
        "upd": "eq. 55", "chain": "eq. 56", "jensen": "eq. 57", "step": "eq. 58", "ball": "footnote 11"},
}


@dataclass(frozen=True)
class Config:
    """Sizes of the A2 / A3 check (fields are the CLI flags)."""

    d: int = field(default=6, metadata={"help": "parity input bits (T from the App. B circuit; Algorithm 3 "
                                                "averages over all 2^d inputs)", "range": (4, 12)})
    widths: tuple[int, ...] = field(default=(128, 256, 512), metadata={
        "help": "widths m (>= 3 distinct, for the width law)", "range": (4, 4096)})
    seeds: tuple[int, ...] = field(default=(0, 1, 2), metadata={"help": "initialisation seeds (>= 3)",
                                                                 "range": (0, 2**31 - 1)})
    steps: int = field(default=16, metadata={"help": "iterations n (eta = 1/(m sqrt n))", "range": (2, 10_000)})
    oracles: tuple[str, ...] = field(default=("inflate", "round"), metadata={
        "help": "gradient oracles run (the width law uses inflate)", "choices": tuple(o for o in ORACLES
                                                                                     if o != "exact")})
    sigma_c: float = field(default=1.0, metadata={"help": "precision sigma = sigma_c / m", "range": (1e-6, 1e3),
                                                  "open_lo": True})
    algorithms: tuple[int, ...] = field(default=(2, 3), metadata={"help": "which of Algorithms 2, 3 to run",
                                                                  "range": (2, 3)})

    @classmethod
    def quick(cls) -> Config:
        return cls()

    @classmethod
    def full(cls) -> Config:
        return cls(widths=(128, 256, 512, 1024), seeds=(0, 1, 2, 3, 4), steps=16,
                   oracles=("inflate", "round", "uniform", "shrink"))

    def validate(self) -> None:
        if len(set(self.widths)) < 3 or len(set(self.seeds)) < 3:
            raise ValueError(f"the width law needs >= 3 distinct widths and >= 3 seeds, got widths "
                             f"{list(self.widths)} and seeds {list(self.seeds)}")
        if "inflate" not in self.oracles:
            raise ValueError("--oracles must include inflate (the width law is fitted on it)")


# ------------------------------------------------------------------------------------------------ measure
def step_record(s: Step, fz: rnn.Frozen, d: int, algorithm: int, W0: torch.Tensor, cum: float) -> dict[str, float]:
    """Every quantity of eq. 25-29 / 54-58 at one update ``s`` (see the module docstring).

    ``cum`` is Σ ‖ΔW‖_F over the earlier steps; the returned ``cum`` includes this one.
    """
    m = s.W.shape[0]
    dW = s.W - s.W_prev
    num = (dW + s.eta * s.G).abs()
    den = U * (s.W.abs() + 2.0 * s.eta * s.G.abs())
    upd = torch.where(den > 0, num / den.clamp_min(1e-300), torch.where(num > 0, math.inf, 0.0))
    pg = probes.position_gradients(s.W_prev, fz, s.batch.z, s.batch.y, d)
    gnorm = float(torch.linalg.matrix_norm(s.grad))
    rhs = float(pg.norms.max()) if algorithm == 2 else float(pg.norms.mean())
    sig_fro = float(torch.linalg.matrix_norm(s.G - s.grad))
    step_norm = float(torch.linalg.matrix_norm(dW))
    cum = cum + step_norm
    return {
        "step": s.step, "batch_n": s.batch.n, "update_ratio": float(upd.max()),
        "oracle_inf_ratio": float((s.G - s.grad).abs().max()) / s.sigma if s.sigma > 0 else 0.0,
        "sigma_fro_ratio": sig_fro / (m * s.sigma) if s.sigma > 0 else 0.0,
        "sigma_term": s.eta * sig_fro,
        "chain_rel": float(torch.linalg.matrix_norm(s.grad - pg.loss_grad)) / max(gnorm, 1e-300),
        "jensen_ratio": gnorm / rhs, "grad_norm": gnorm, "max_grad_ft": float(pg.norms.max()),
        "step_ratio": step_norm / (s.eta * (rhs + m * s.sigma)), "step_norm": step_norm,
        "dist": float(torch.linalg.matrix_norm(s.W - W0)), "cum": cum,
    }


def run(algorithm: int, m: int, seed: int, oracle: str, config: Config,
        progress: Callable[[], None] | None = None) -> pd.DataFrame:
    """One run of Algorithm 2 or 3 at eta = 1/(m sqrt n), sigma = sigma_c/m; one row per step (``step_record``)."""
    tc = TrainConfig(d=config.d, m=m, algorithm=algorithm, steps=config.steps, oracle=oracle,
                     sigma=config.sigma_c / m, every=config.steps, seed=seed, exhaustive_eval=False, eval_n=8)
    circuit = target(tc)
    W0, fz = rnn.init(m, seed)
    rows: list[dict[str, float]] = []

    def on_step(s: Step) -> None:
        rows.append(step_record(s, fz, config.d, algorithm, W0, rows[-1]["cum"] if rows else 0.0))

    fit(tc, circuit, on_step=on_step)
    if progress is not None:
        progress()
    frame = pd.DataFrame(rows)
    return frame.assign(algorithm=algorithm, m=m, seed=seed, oracle=oracle, T=circuit.T, d=config.d,
                        n=config.steps, eta=tc.learning_rate, sigma=tc.sigma)


def measure(config: Config, progress: bool = False) -> pd.DataFrame:
    """Every step of every run (algorithm x width x seed x oracle): one tidy frame."""
    config.validate()
    grid = [(a, m, s, o) for a in config.algorithms for m in config.widths for s in config.seeds
            for o in config.oracles]
    bar = tqdm(total=len(grid), desc="A2/A3 runs", disable=None if progress else True)
    with threads(1):
        frames = [run(a, m, s, o, config, progress=lambda: bar.update()) for a, m, s, o in grid]
    bar.close()
    return pd.concat(frames, ignore_index=True)


# ------------------------------------------------------------------------------------------------ decide
def width_fit(data: pd.DataFrame) -> stats.Fit:
    """Exponent p of ‖W(n) - W(0)‖_F ~ m^p over the inflate runs (every seed a point)."""
    last = data[(data.oracle == "inflate") & (data.step == data.n)]
    return stats.power_fit(last.m.to_numpy(float), last.dist.to_numpy(float))


def _params(frame: pd.DataFrame) -> dict[str, object]:
    return {"T": sorted({int(v) for v in frame["T"]}), "m": sorted({int(v) for v in frame.m}),
            "seeds": int(frame.seed.nunique()), "n": int(frame.n.max()), "oracles": sorted(set(frame.oracle))}


def _scope(frame: pd.DataFrame, algorithm: int) -> str:
    src = SOURCES[algorithm]
    return (f"the paper: {src['name']}, eta = 1/(m sqrt n), any sigma-approximate oracle, sigma = O(1/m), "
            f"asymptotic in m (m > m* = poly(n, T)); measured: every step of "
            f"{frame.groupby(['m', 'seed', 'oracle']).ngroups} runs, parity of App. B at d = {int(frame.d.iloc[0])} "
            f"(T = {int(frame['T'].iloc[0])}), "
            f"m = {'/'.join(str(int(v)) for v in sorted(set(frame.m)))}, {frame.seed.nunique()} seeds, "
            f"n = {int(frame.n.max())}, sigma = 1/m, oracles {', '.join(sorted(set(frame.oracle)))}, float64")


def decide_steps(frame: pd.DataFrame, algorithm: int) -> Finding:
    """Rule ``empirical`` on one algorithm's runs: every per-step relation at every step, and the width law."""
    src = SOURCES[algorithm]
    p = _params(frame)
    fitted = width_fit(frame)
    last = frame[frame.step == frame.n]
    want = 1 if algorithm == 2 else 2 ** int(frame.d.iloc[0])
    comps = [
        compare("exponent p of ‖W(n) - W(0)‖_F ~ m^p (inflate, eta = 1/(m sqrt n))", f"{src['tri']}-{src['step']}",
                fitted.slope, "ci_below", -1.0 + P_MARGIN, interval=fitted.slope_ci, level=fitted.level,
                params={"m": p["m"], "points": fitted.n, "n": p["n"]},
                note=f"the bound's shape O(i T^8/(m sqrt n)) has p = -1; margin {P_MARGIN}: half-way to -1/2"),
        compare("inputs per step (min over steps)" if algorithm == 3 else "inputs per step (max over steps)",
                "Algorithm 3 (E_x over all 2^d inputs)" if algorithm == 3 else "Algorithm 2 (one sample per step)",
                int(frame.batch_n.min() if algorithm == 3 else frame.batch_n.max()), "eq", want, params=p),
        compare("max_k |ΔW + eta G| / (u (|W(k+1)| + 2 eta |G|)), entrywise", f"{src['upd']} (identity)",
                float(frame.update_ratio.max()), "le", 1.0, params=p, tol=1e-9,
                note="float64 rounding: u = 2^-53; 1 = the rounding bound of the three operations"),
        compare("max_k ‖G - ∇ℓ‖_inf / sigma", f"{src['upd']}, {src['ball']}", float(frame.oracle_inf_ratio.max()),
                "le", 1.0, params=p, note="exact in float64; eq. 26/55 print the strict < sigma, the "
                                          "algorithm's closed ball allows = sigma (inflate attains it)"),
        compare("max_k ‖∇ℓ - Σ_t (dℓ/df_t) ∇f_t‖_F / ‖∇ℓ‖_F", f"{src['chain']} (identity)",
                float(frame.chain_rel.max()), "le", REL_TOL, params=p,
                note="two float64 paths: the training back-propagation vs one backward sweep per position; "
                     "weights 1/(T-d+1) where the print has 1/(T-d)"),
        compare("max_k ‖∇ℓ‖_F / " + ("max_t ‖∇f_t‖_F" if algorithm == 2 else "(1/K) Σ_t E_x ‖∇f_t‖_F"),
                src["jensen"], float(frame.jensen_ratio.max()), "le", 1.0, params=p, tol=REL_TOL,
                note=f"slack: median ratio {frame.jensen_ratio.median():.3g}"),
        compare("max_k ‖ΔW‖_F / (eta (right side of " + src["jensen"] + " + m sigma))", src["step"],
                float(frame.step_ratio.max()), "le", 1.0, params=p, tol=REL_TOL,
                note=f"slack: median ratio {frame.step_ratio.median():.3g}"),
        compare("max_i ‖W(i) - W(0)‖_F / Σ_{k<i} ‖ΔW_k‖_F", src["tri"], float((frame.dist / frame.cum).max()),
                "le", 1.0, params=p, tol=REL_TOL,
                note=f"slack at i = n: ratio {float((last.dist / last.cum).median()):.3g} (median over runs)"),
    ]
    infl = last[last.oracle == "inflate"]
    consts = (infl.dist * infl.m / np.sqrt(infl.n)).groupby(infl.m).mean()
    comps.append(compare("‖W(n) - W(0)‖_F m / sqrt(n) (the O(.) constant times T^8; mean over seeds)",
                         src["step"], float(consts.max()), "le", float(frame["T"].max()) ** 8,
                         params={"m": [int(v) for v in consts.index], "values": [round(v, 4) for v in consts]},
                         role="context", note="T^8 shown for scale: the bound's slack"))
    comps.append(compare("max over steps and t of ‖∇f_t‖_F", "Lemma 10 (eq. 75)", float(frame.max_grad_ft.max()),
                         "le", float(frame["T"].max()) ** 8, params=p, role="context"))
    return Finding(src["id"], "empirical", tuple(comps), part="steps", scope=_scope(frame, algorithm),
                   details={"width_exponent": fitted.slope, "width_ci": list(fitted.slope_ci)})


def decide_sigma_term(frame: pd.DataFrame, algorithm: int) -> Finding:
    """Rule ``exact``: the oracle's share of a step, eta ‖sigma_k‖_F, against eq. 29 / 58 as printed."""
    src = SOURCES[algorithm]
    p = _params(frame)
    infl = frame[frame.oracle == "inflate"]
    per_m = infl.groupby("m").sigma_term.max()
    fitted = stats.power_fit(per_m.index.to_numpy(float), per_m.to_numpy(float))
    printed = {2: "eq. 29: eta O(T^8 + 1/m) = O(T^8/(m sqrt n) + 1/(m^2 sqrt n))",
               3: "eq. 58: eta O(T^8 + 1) = O(T^8/(m sqrt n) + 1/(m^2 sqrt n))"}[algorithm]
    comps = [
        compare("max_k ‖sigma_k‖_F / (m sigma)", f"{src['upd']} (‖.‖_F <= m ‖.‖_inf)",
                float(frame.sigma_fro_ratio.max()), "le", 1.0, params=p, tol=REL_TOL),
        compare("min_k ‖sigma_k‖_F / (m sigma), inflate oracle", f"{src['ball']} (the sup over the ball is attained)",
                float(infl.sigma_fro_ratio.min()), "eq", 1.0, params=p, tol=1e-9),
        compare("exponent in m of the sigma-term eta ‖sigma_k‖_F (sigma = 1/m)", src["step"], fitted.slope, "eq", -2.0,
                tol=0.05, params={"m": p["m"]}, role="printed", note=printed),
        compare("exponent in m of the sigma-term eta ‖sigma_k‖_F (sigma = 1/m)", src["step"], fitted.slope, "eq", -1.0,
                tol=0.05, params={"m": p["m"]}, role="corrected", note="eta m sigma = 1/(m sqrt n)"),
    ]
    return Finding(src["id"], "exact", tuple(comps), part="sigma term", scope=_scope(frame, algorithm),
                   printed=printed, corrected=f"{src['step']}: eta O(T^8 + m sigma) = O(T^8/(m sqrt n) + 1/(m sqrt n)) "
                                               "at sigma = 1/m", conclusion_survives=True)


def decide(data: pd.DataFrame) -> list[Finding]:
    """Per algorithm: the per-step relations with the width law (``decide_steps``) and the sigma term."""
    out = []
    for algorithm in sorted(set(data.algorithm)):
        frame = data[data.algorithm == algorithm]
        out += [decide_steps(frame, algorithm), decide_sigma_term(frame, algorithm)]
    return out


_MEASURED: dict[int, pd.DataFrame] = {}  # id(findings list) -> its data, so controls reuse the runs


def check(config: Config | None = None, progress: bool = False) -> list[Finding]:
    """A2 and A3 at the given (default quick) sizes."""
    data = measure(config or Config.quick(), progress)
    findings = decide(data)
    _MEASURED.clear()
    _MEASURED[id(findings)] = data
    return findings


# ------------------------------------------------------------------------------------------------ controls
def rogue_run(algorithm: int, m: int, seed: int, d: int, steps: int, factor: float = 2.0) -> pd.DataFrame:
    """Steps of Algorithm 2 / 3 with an oracle OUTSIDE the sigma-ball, G = ∇ℓ + factor sigma sign(∇ℓ), recorded
    by the same ``step_record`` as the real runs (the planted violation of eq. 26 / 55)."""
    tc = TrainConfig(d=d, m=m, algorithm=algorithm, steps=steps, sigma=1.0 / m, oracle="inflate", seed=seed)
    circuit = target(tc)
    W0, fz = rnn.init(m, seed)
    rng = np.random.default_rng([seed, 1])
    everything = build(circuit, all_inputs(d), "subtasks")
    W, rows, eta = W0.clone(), [], tc.learning_rate
    for k in range(1, steps + 1):
        batch: Sequences = everything if algorithm == 3 else build(
            circuit, rng.integers(0, 2, (1, d), dtype=np.uint8), "subtasks")
        _, grad = rnn.loss_and_grad(W, fz, batch.z, torch.as_tensor(batch.y), d)
        G = grad + factor * tc.sigma * torch.where(grad >= 0, 1.0, -1.0).to(grad.dtype)
        W_prev, W = W, W - eta * G
        rows.append(step_record(Step(k, W_prev, W, G, grad, batch, eta, tc.sigma), fz, d, algorithm, W0,
                                rows[-1]["cum"] if rows else 0.0))
    return pd.DataFrame(rows).assign(algorithm=algorithm, m=m, seed=seed, oracle="rogue (2 sigma)", T=circuit.T,
                                     d=d, n=steps, eta=eta, sigma=tc.sigma)


def controls(findings: list[Finding], data: pd.DataFrame | None = None) -> list[Control]:
    """Per algorithm: a rogue oracle (outside the ball) appended to the runs, for the per-step relations and the
    sigma term; distances times sqrt(m) for the width law. Without ``data`` small runs are measured afresh."""
    if data is None:
        data = _MEASURED.get(id(findings))
    if data is None:
        data = measure(Config(widths=(16, 32, 64), steps=4, oracles=("inflate",)))
    out = []
    for algorithm in sorted(set(data.algorithm)):
        frame = data[data.algorithm == algorithm]
        src = SOURCES[algorithm]
        with threads(1):
            rogue = rogue_run(algorithm, int(frame.m.min()), 0, int(frame.d.iloc[0]), 3)
        planted = pd.concat([frame, rogue], ignore_index=True)
        out.append(Control(src["id"], "an oracle outside the sigma-ball (G = ∇ℓ + 2 sigma sign ∇ℓ) among the runs",
                           decide_steps(planted, algorithm), part="steps"))
        out.append(Control(src["id"], "an oracle outside the sigma-ball (G = ∇ℓ + 2 sigma sign ∇ℓ) among the runs",
                           decide_sigma_term(planted, algorithm), part="sigma term"))
        slow = frame.assign(dist=frame.dist * np.sqrt(frame.m), cum=frame.cum * np.sqrt(frame.m))
        out.append(Control(src["id"], "‖W(n) - W(0)‖_F times sqrt(m) (a distance ~ m^(-1/2), as with eta ∝ "
                                      "1/sqrt(m))", decide_steps(slow, algorithm), part="steps"))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser("python -m verify.rates", __doc__, Config)
    args = parser.parse_args(argv)
    config = cli.config(Config, args)
    data = measure(config, progress=True)
    findings = decide(data)
    table = (data[data.step == data.n].groupby(["algorithm", "oracle", "m"])
             [["dist", "cum", "jensen_ratio", "step_ratio", "max_grad_ft"]].mean())
    return cli.emit(findings, args, controls=controls(findings, data),
                    detail="at i = n, mean over seeds:\n" + table.to_string(float_format=lambda v: f"{v:.4g}"))


if __name__ == "__main__":
    sys.exit(cli.guarded(main))
