"""LIN, OUT, GRAD (rate part): the finite-width lemmas of App. E as constants over T and m.

Statements (each with high probability over the initialisation, for m > m* = poly(T), W in a Frobenius ball
B(W0, poly(T)/sqrt(m)); asymptotic: the O(.) hide constants independent of T and m):

- GRAD, Lemma 10 (eq. 75): ‖∇_W f_t(z)‖_F = O(T^8 ‖W - W0‖_F + T^4), simultaneously for all x and t.
- OUT, Lemma 9 (eq. 73-74): |f_t(z)| = O(T^6 ‖W - W0‖_F + t); max over x and d < t <= T: O(T^6 ‖W - W0‖_F + T).
- LIN, Lemma 8 / 11 (eq. 71-72, 77-78): for W, W~ in B(W0, r),
  |f_t(W~) - f_t(W) - <∇f_t(W), W~ - W>| = O(r^{1/3} T^10 sqrt(m) log m) ‖W~ - W‖_F.

Method. GRAD / OUT: for the parity task of App. B at d = 6, 12, 22 (T = 7, 16, 31 from the circuit; ``--full``
adds d = 44, T = 64), width m = ceil(``width_factor`` T^2) >= T^2, 3 seeds, 8 sampled inputs (teacher-forced z),
we run Algorithm 2 (eta = 1/(m sqrt n), inflate oracle at sigma = 1/m, n steps) and take at steps 0, n/2 and n
the per-position ‖∇_W f_t‖_F (``numerics.probes.grad_norms``: exact, from the back-propagated factors, every
position t = d..T separately, never the position-averaged loss gradient) and |f_t|. M_T is the max over steps,
positions and inputs. The bound at the measured radius rho = ‖W - W0‖_F is T^8 rho + T^4 >= T^4 (resp.
T^6 rho + T >= T), so the constants C_T = M_T / T^4 (resp. M_T / T) are conservative: if they do not grow, the
bound's constant does not either.

Rule (``empirical``), GRAD and OUT: consistent when (i) the exponent p of M_T ~ T^p fitted over every (T, seed)
point has its 95% interval below the bound's exponent k (4 for GRAD, 1 for OUT), and (ii) C_T at the
largest T is at most the largest C_T at the smaller T (the constant does not grow). A super-polynomial M_T
fails both; e^T planted on the measured M_T is the control. The local exponents between neighbouring T are
shown as context only: M_T is a max over seeds of a heavy-tailed norm (at T = 31, m = 961 the five seeds'
max ‖∇f_t‖ range from 12 to 43), so a single jump says little; the pooled fit's interval carries the scatter.

LIN: at W = W0 (the centre of the ball) and W~ = W0 + r U, r = c / sqrt(m) for 6 radii c = 2^-10 .. 1, U the
unit gradient direction of Σ f_t and a unit Gaussian direction (the larger error kept), max over 8 inputs and
positions t = d..T of the parity task at d = 12 (T = 16), widths m = 64, 256, 1024, 3 seeds. Then ‖W~ - W‖ = r
and the bound's shape is r^{4/3} sqrt(m) log m.
Rule (``empirical``): consistent when (i) per width, the exponent of the error in r (6 radii x seeds pooled)
has its 95% interval above 4/3 — the error vanishes at least as fast as the bound as r -> 0 — and (ii) the
constant C_m = max_r error / (r^{4/3} sqrt(m) log m) does not grow with m: its fitted exponent in m (widths x
seeds) has its interval below 0. Controls: an error planted linear in r (the shape of a wrong gradient)
fails (i); the measured errors rescaled so that C_m grows like m^(1/2) fail (ii).
What is measured: the error goes like r^1.5 (ReLU units flipping with random signs), close to the bound's
r^{4/3}, so (i) has real power; (ii) has a wide margin (the bound's sqrt(m) log m is loose).

Not tested: the T^10 of Lemma 8 (one T), the probabilities, other W than W0 for LIN, and all 2^d inputs (we
sample 8; the lemmas' "for all x" is a union bound).

Run: ``python -m verify.finite_width [--d 6 12 22] [--seeds 0 1 2] [--lin-widths 64 256 1024] [--full]``.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from numerics import probes, rnn
from numerics.circuits import Circuit, parity_tree, random_subset
from numerics.sequences import build, sample_inputs
from numerics.train import Step, TrainConfig, fit, threads
from verify import cli, stats
from verify.evidence import Control, Finding, compare

CLAIMS = ("LIN", "OUT", "GRAD")
BOUND_K = {"GRAD": 4, "OUT": 1}  # the T-exponent of the bound at W0 (eq. 75: T^4; eq. 74: T)
SOURCE = {"GRAD": "Lemma 10, eq. 75", "OUT": "Lemma 9, eq. 73-74", "LIN": "Lemma 8 / 11, eq. 71-72, 77-78"}
LIN_R_EXPONENT = 4 / 3


@dataclass(frozen=True)
class Config:
    """Sizes of the LIN / OUT / GRAD check (fields are the CLI flags)."""

    d: tuple[int, ...] = field(default=(6, 12, 22), metadata={
        "help": "parity sizes d for GRAD/OUT (T = 3d/2 - 2 from the circuit; >= 3 distinct)", "range": (4, 62)})
    width_factor: float = field(default=1.0, metadata={"help": "GRAD/OUT width m = ceil(width_factor T^2)",
                                                       "range": (1.0, 64.0)})
    seeds: tuple[int, ...] = field(default=(0, 1, 2), metadata={"help": "initialisation seeds (>= 3)",
                                                                 "range": (0, 2**31 - 1)})
    inputs: int = field(default=8, metadata={"help": "sampled inputs x per size", "range": (1, 4096)})
    steps: int = field(default=8, metadata={"help": "Algorithm 2 steps n of the GRAD/OUT runs", "range": (2, 10_000)})
    lin_d: int = field(default=12, metadata={"help": "LIN: parity size d (T from the circuit)", "range": (4, 62)})
    lin_widths: tuple[int, ...] = field(default=(64, 256, 1024), metadata={"help": "LIN widths (>= 3 distinct)",
                                                                          "range": (4, 8192)})
    lin_cs: tuple[float, ...] = field(default=(2**-10, 2**-8, 2**-6, 2**-4, 2**-2, 1.0), metadata={
        "help": "LIN radii r = c / sqrt(m) (>= 5 distinct)", "range": (1e-9, 1e3), "open_lo": True})

    @classmethod
    def quick(cls) -> Config:
        return cls()

    @classmethod
    def full(cls) -> Config:
        return cls(d=(6, 12, 22, 44), seeds=(0, 1, 2, 3, 4), steps=16, lin_widths=(64, 256, 1024, 4096))

    def validate(self) -> None:
        if len(set(self.d)) < 3 or len(set(self.lin_widths)) < 3 or len(set(self.seeds)) < 3:
            raise ValueError(f"fits need >= 3 distinct --d, --lin-widths and --seeds, got {list(self.d)}, "
                             f"{list(self.lin_widths)}, {list(self.seeds)}")
        if len(set(self.lin_cs)) < 5:
            raise ValueError(f"--lin-cs needs >= 5 distinct radii, got {list(self.lin_cs)}")


def task(d: int) -> Circuit:
    """The App. B parity tree of a seeded d/2-subset (subset seed 0): T = 3d/2 - 2."""
    return parity_tree(d, random_subset(d, 0))


# ------------------------------------------------------------------------------------------------ measure
def measure_bounds(config: Config, progress: bool = False) -> pd.DataFrame:
    """GRAD / OUT: per (T, seed, step of an Algorithm 2 run) the max over inputs and positions t = d..T of
    ‖∇_W f_t‖_F and |f_t|, with the radius rho = ‖W - W0‖_F."""
    rows = []
    grid = [(d, s) for d in sorted(set(config.d)) for s in config.seeds]
    for d, seed in tqdm(grid, desc="GRAD/OUT", disable=None if progress else True):
        circuit = task(d)
        T = circuit.T
        m = math.ceil(config.width_factor * T * T)
        seqs = build(circuit, sample_inputs(d, config.inputs, 1000 + seed), "subtasks")
        z = torch.as_tensor(seqs.z)
        n = config.steps
        tc = TrainConfig(d=d, m=m, algorithm=2, steps=n, oracle="inflate", sigma=1.0 / m, seed=seed, every=n,
                         exhaustive_eval=False, eval_n=8)
        W0, fz = rnn.init(m, seed)
        snaps = {0: W0}

        def keep(s: Step, snaps: dict[int, torch.Tensor] = snaps, n: int = n) -> None:
            if s.step in (n // 2, n):
                snaps[s.step] = s.W

        fit(tc, circuit, on_step=keep)
        positions = list(range(d, T + 1))
        for step, W in sorted(snaps.items()):
            g = probes.grad_norms(W, fz, z, positions)
            f = rnn.outputs(W, fz, z)[:, d - 1:].abs()
            rows.append({"d": d, "T": T, "m": m, "seed": seed, "step": step,
                         "rho": float(torch.linalg.matrix_norm(W - W0)), "grad": float(g.max()),
                         "grad_t": positions[int(g.max(0).values.argmax())], "out": float(f.max()),
                         "out_t": positions[int(f.max(0).values.argmax())]})
    return pd.DataFrame(rows)


def measure_lin(config: Config, progress: bool = False) -> pd.DataFrame:
    """LIN: the linearisation error at W0 for every width, seed and radius r = c / sqrt(m)."""
    circuit = task(config.lin_d)
    d, T = circuit.n_inputs, circuit.T
    rows = []
    grid = [(m, s) for m in sorted(set(config.lin_widths)) for s in config.seeds]
    for m, seed in tqdm(grid, desc="LIN", disable=None if progress else True):
        W0, fz = rnn.init(m, seed)
        z = torch.as_tensor(build(circuit, sample_inputs(d, config.inputs, 1000 + seed), "subtasks").z)
        f0 = rnn.outputs(W0, fz, z)
        dirs = [probes.gradient_direction(W0, fz, z), probes.random_direction(m, 20_000 + seed)]
        derivs = [probes.directional_derivatives(W0, U, fz, z) for U in dirs]
        for c in sorted(set(config.lin_cs)):
            r = c / math.sqrt(m)
            err = max(float((rnn.outputs(W0 + r * U, fz, z) - f0 - r * dd)[:, d - 1:].abs().max())
                      for U, dd in zip(dirs, derivs, strict=True))
            rows.append({"m": m, "seed": seed, "c": c, "r": r, "err": err, "T": T, "d": d})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Data:
    """What LIN / OUT / GRAD measured (tidy frames, one row per measurement)."""

    bounds: pd.DataFrame
    lin: pd.DataFrame


def measure(config: Config, progress: bool = False) -> Data:
    config.validate()
    with threads(1):
        return Data(measure_bounds(config, progress), measure_lin(config, progress))


# ------------------------------------------------------------------------------------------------ decide
def decide_constant(bounds: pd.DataFrame, claim: str) -> Finding:
    """Rule ``empirical`` for GRAD (column ``grad``) or OUT (``out``): the T-growth of M_T against T^k."""
    col, k = claim.lower(), BOUND_K[claim]
    per_seed = bounds.groupby(["T", "seed"])[col].max().reset_index()
    fitted = stats.power_fit(per_seed["T"].to_numpy(float), per_seed[col].to_numpy(float))
    top = per_seed.groupby("T")[col].max()
    Ts = top.index.to_numpy(float)
    local = stats.local_rates(np.log(Ts), top.to_numpy(float))
    C = top / top.index.to_numpy(float) ** k
    ms = bounds.groupby("T").m.first()
    rho_sqrt_m = float((bounds.rho * np.sqrt(bounds.m)).max())
    quantity = "‖∇_W f_t‖_F" if claim == "GRAD" else "|f_t|"
    params = {"T": [int(t) for t in top.index], "m": [int(v) for v in ms], "seeds": int(bounds.seed.nunique())}
    comps = [
        compare(f"exponent p of M_T = max {quantity} ~ T^p", SOURCE[claim], fitted.slope, "ci_below", float(k),
                interval=fitted.slope_ci, level=fitted.level, params={**params, "points": fitted.n},
                note=f"bound at rho -> 0: T^{k}; rho > 0 only adds"),
        compare(f"C_T = M_T / T^{k} at the largest T", SOURCE[claim], float(C.iloc[-1]), "le", float(C.iloc[:-1].max()),
                params={**params, "C_T": [float(f"{v:.4g}") for v in C],
                        "local exponents": [float(f"{v:.3g}") for v in local]},
                note="vs the largest C_T at the smaller T: the constant does not grow (local exponents d ln M_T / "
                     "d ln T of the max over seeds shown, not deciding: a heavy-tailed max jumps between sizes)"),
        compare("max rho sqrt(m), rho = ‖W - W0‖_F along the runs", SOURCE[claim], rho_sqrt_m, "le", 1.0,
                role="context", params={"steps": sorted({int(s) for s in bounds.step})},
                note=f"W stays in B(W0, 1/sqrt(m)), inside the lemma's ball; the bound's rho-term "
                     f"T^{8 if claim == 'GRAD' else 6} rho only adds to T^{k}"),
    ]
    scope = (f"the paper: {SOURCE[claim]}, W in B(W0, poly(T)/sqrt(m)), m > m* = poly(T), w.h.p., all x and t, "
             f"asymptotic in T; measured: parity of App. B at T = {'/'.join(str(int(t)) for t in top.index)} with "
             f"m = {'/'.join(str(int(v)) for v in ms)} (>= T^2), {bounds.seed.nunique()} seeds, sampled inputs, "
             f"positions t = d..T, W at steps {sorted({int(s) for s in bounds.step})} of Algorithm 2 "
             f"(eta = 1/(m sqrt n), inflate oracle, sigma = 1/m), float64")
    return Finding(claim, "empirical", tuple(comps), part="rate" if claim == "GRAD" else "", scope=scope,
                   details={"M_T": {int(t): float(v) for t, v in top.items()}, "exponent": fitted.slope})


def lin_constants(lin: pd.DataFrame) -> pd.Series:
    """Per (m, seed): C = max over radii of error / (r^{4/3} sqrt(m) log m)."""
    shape = lin.r ** LIN_R_EXPONENT * np.sqrt(lin.m) * np.log(lin.m)
    return (lin.err / shape).groupby([lin.m, lin.seed]).max()


def decide_lin(lin: pd.DataFrame) -> Finding:
    """Rule ``empirical`` for LIN: the error's exponent in r per width, and the constant's exponent in m."""
    comps = []
    params_all = {"T": int(lin["T"].iloc[0]), "seeds": int(lin.seed.nunique()), "radii": int(lin.c.nunique())}
    for m, g in lin.groupby("m"):
        f = stats.power_fit(g.r.to_numpy(float), g.err.to_numpy(float))
        comps.append(compare("exponent of the linearisation error in r = ‖W~ - W‖_F", SOURCE["LIN"], f.slope,
                             "ci_above", LIN_R_EXPONENT, interval=f.slope_ci, level=f.level,
                             params={"m": int(m), **params_all,
                                     "c": f"{g.c.min():.3g}..{g.c.max():.3g}"},
                             note="the bound r^(1/3) ‖W~ - W‖ = r^(4/3) at W = W0"))
    C = lin_constants(lin).reset_index(name="C")
    fm = stats.power_fit(C.m.to_numpy(float), C.C.to_numpy(float))
    comps.append(compare("exponent in m of C_m = max_r error / (r^(4/3) sqrt(m) log m)", SOURCE["LIN"], fm.slope,
                         "ci_below", 0.0, interval=fm.slope_ci, level=fm.level,
                         params={"m": sorted(int(v) for v in set(lin.m)), **params_all,
                                 "C_m (mean over seeds)": [float(f"{v:.3g}") for v in C.groupby("m").C.mean()]},
                         note="bounded constant: does not grow with m"))
    cs = "/".join(f"{v:.3g}" for v in sorted(set(lin.c)))
    ms = "/".join(str(int(v)) for v in sorted(set(lin.m)))
    scope = (f"the paper: {SOURCE['LIN']}, all W, W~ in B(W0, r), r = O(poly(T)/sqrt(m)), w.h.p., asymptotic in m; "
             f"measured: W = W0, W~ = W0 + r U (gradient and random unit U), r = c/sqrt(m), c = {cs}, m = {ms}, "
             f"{lin.seed.nunique()} seeds, parity of App. B at d = {int(lin.d.iloc[0])} (T = {int(lin['T'].iloc[0])}), "
             "sampled inputs, positions t = d..T, float64")
    return Finding("LIN", "empirical", tuple(comps), scope=scope)


def decide(data: Data) -> list[Finding]:
    """LIN, OUT and GRAD (rate part) from the measured frames."""
    return [decide_lin(data.lin), decide_constant(data.bounds, "OUT"), decide_constant(data.bounds, "GRAD")]


_MEASURED: dict[int, Data] = {}  # id(findings list) -> its data, so controls reuse the measurement


def check(config: Config | None = None, progress: bool = False) -> list[Finding]:
    """LIN, OUT, GRAD (rate) at the given (default quick) sizes."""
    data = measure(config or Config.quick(), progress)
    findings = decide(data)
    _MEASURED.clear()
    _MEASURED[id(findings)] = data
    return findings


# ------------------------------------------------------------------------------------------------ controls
def planted_exponential(bounds: pd.DataFrame) -> pd.DataFrame:
    """The measured M_T times e^T: a series growing like e^T where the bounds are polynomial."""
    return bounds.assign(grad=bounds.grad * np.exp(bounds["T"]), out=bounds.out * np.exp(bounds["T"]))


def planted_linear(lin: pd.DataFrame) -> pd.DataFrame:
    """A linearisation error linear in r (as from a wrong gradient): the measured error at the largest radius,
    scaled down proportionally to r, per width and seed."""
    top = lin.loc[lin.groupby(["m", "seed"]).r.idxmax()].set_index(["m", "seed"])
    slope = top.err / top.r
    return lin.assign(err=lin.r * slope.loc[list(zip(lin.m, lin.seed, strict=True))].to_numpy())


def planted_growing(lin: pd.DataFrame, power: float = 0.5) -> pd.DataFrame:
    """The measured errors rescaled per (m, seed) so that the constant C_m grows like m^power from its largest
    measured value (the r-profile of each width and seed is kept)."""
    C = lin_constants(lin)
    m_min = float(lin.m.min())
    target = float(C.max()) * (C.index.get_level_values("m").to_numpy(float) / m_min) ** power
    factor = pd.Series(target / C.to_numpy(), index=C.index)
    return lin.assign(err=lin.err * factor.loc[list(zip(lin.m, lin.seed, strict=True))].to_numpy())


def controls(findings: list[Finding], data: Data | None = None) -> list[Control]:
    """e^T planted on M_T (GRAD, OUT); an error linear in r and a constant growing like sqrt(m) (LIN)."""
    if data is None:
        data = _MEASURED.get(id(findings))
    if data is None:
        data = measure(Config(d=(6, 8, 12), lin_widths=(16, 32, 64), inputs=4, steps=2))
    exp = planted_exponential(data.bounds)
    return [
        Control("LIN", "a linearisation error linear in r (slope 1), as from a wrong gradient",
                decide_lin(planted_linear(data.lin))),
        Control("LIN", "the measured errors rescaled so that C_m grows like m^(1/2) (r-profiles kept)",
                decide_lin(planted_growing(data.lin))),
        Control("OUT", "the measured max |f_t| times e^T", decide_constant(exp, "OUT")),
        Control("GRAD", "the measured max ‖∇f_t‖_F times e^T", decide_constant(exp, "GRAD"), part="rate"),
    ]


def detail(data: Data) -> str:
    """M_T and C_T per T (GRAD/OUT) and the LIN error per width and radius (mean over seeds)."""
    b = data.bounds.groupby(["T", "m"]).agg(grad=("grad", "max"), out=("out", "max"), rho=("rho", "max"))
    b["grad/T^4"] = b.grad / b.index.get_level_values("T") ** 4
    b["out/T"] = b.out / b.index.get_level_values("T")
    lin = data.lin.pivot_table(index="m", columns="c", values="err", aggfunc="max")
    fmt = lambda v: f"{v:.3g}"  # noqa: E731
    return ("GRAD/OUT: max over seeds, steps, inputs and positions\n" + b.to_string(float_format=fmt)
            + "\n\nLIN: max error over seeds (columns: c, r = c/sqrt(m))\n" + lin.to_string(float_format=fmt))


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser("python -m verify.finite_width", __doc__, Config)
    args = parser.parse_args(argv)
    data = measure(cli.config(Config, args), progress=True)
    findings = decide(data)
    return cli.emit(findings, args, controls=controls(findings, data), detail=detail(data))


if __name__ == "__main__":
    sys.exit(cli.guarded(main))
