"""NTK: per-position empirical NTK Gram H^t at initialisation and sqrt(y^T (H^t)^{-1} y) (App. E eq. 69-70, Lemma 6-7).

Lemma 6 bounds sqrt(y~^T (H^{t,inf})^{-1} y~) by O(sqrt(phi(T, psi, N))), and phi is polynomial in d with
sub-task supervision (every label a degree-2 function of two earlier tokens) and exponential without it
(the label is the parity of d/2 input bits). Lemma 7 turns these into the radius
R = O~(T sum_{t=d}^T sqrt(y~^T (H^{t,inf})^{-1} y~)) of a ball around W0 that holds a low-loss W*.

What is measured, for each d: the empirical Gram H^t of eq. 69 at one initialisation W0 (width m, float64,
``numerics.ntk.gram``), on n distinct inputs x (all 2^d when 2^d <= n_max, else a seeded sample of n_max
distinct ones; a repeated input, or for t < d a repeated prefix z_1..z_t, makes two rows of H^t equal and
H^t singular), for
  - the sub-task labels y~^(t) at every position t = d..T of the parity tree of a seeded subset of size d/2,
  - the end-to-end label (T = d, one output at t = d, the subset parity). Its Gram is the sub-task
    H^d: f_d reads only z_1..z_d = x in both settings (tests check the two Grams are equal).
Beside each value: the mean of the same quantity over 8 seeded random +-1 label vectors on the same Gram
(the kernel's no-structure baseline, which also grows with n) and the ratio. Conditioning is reported
(smallest eigenvalue, condition number); no ridge is used unless lambda_min <= 1e-12 lambda_max, and the
value with a ridge of 1e-6 lambda_max is always printed beside it to show how much the value hinges on it.

The verdict fits ln(value) = a + b d on the d with n = 2^d (all inputs), for the end-to-end value and for
the largest sub-task value, and ln(value) = a + k ln d for the polynomial exponent. The claim's shape is
that the end-to-end value outgrows every polynomial while the sub-task one does not: "consistent" when the
end-to-end growth rate b exceeds the sub-task one and the ratio end-to-end / sub-task at the largest d is
at least twice that at the smallest d with d // 2 > 2 (for d // 2 = 2 the tree has one gate and the two
labels coincide, so the ratio is 1 by construction); "inconsistent" otherwise. Over a finite range of d an exponential
cannot be told from a polynomial of high degree, so the fitted numbers are printed and the verdict is only
about which label outgrows the other.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

from numerics import circuits, ntk, rnn, sequences
from verify import cli
from verify.report import Verdict

CLAIMS = ("NTK",)

RIDGE_NEEDED = 1e-12  # a ridge is added only when lambda_min <= RIDGE_NEEDED * lambda_max
RIDGE_PROBE = 1e-6  # the sensitivity check: value with ridge RIDGE_PROBE * lambda_max


@dataclass(frozen=True)
class NTKConfig:
    """Sizes of one NTK measurement.

    Attributes:
        ds: input lengths d (>= 4; subset size d // 2 >= 2).
        m: width of the RNN.
        n_max: at most this many distinct inputs per d (all 2^d when 2^d <= n_max).
        seed: initialisation seed (W0, A, M0, B).
        subset_seed: seed of the parity subset (``circuits.random_subset``) and of the input sample.
        n_random: random +-1 label vectors for the baseline.
        block: sample block of ``ntk.gram``.
    """

    ds: tuple[int, ...] = (4, 5, 6, 7, 8)
    m: int = 64
    n_max: int = 1024
    seed: int = 0
    subset_seed: int = 0
    n_random: int = 8
    block: int = 128


def _quad(sp: ntk.Spectrum, y: np.ndarray, y_rand: np.ndarray) -> dict[str, float]:
    """value, random baseline, ridge used, and the ridge-probe value for one Gram and one label."""
    ridge = 0.0 if sp.lam_min > RIDGE_NEEDED * sp.lam_max else RIDGE_NEEDED * sp.lam_max
    value = float(sp.label_norm(y, ridge))
    rand = float(sp.label_norm(y_rand, ridge).mean())
    probe = float(sp.label_norm(y, ridge + RIDGE_PROBE * sp.lam_max))
    return {"value": value, "random": rand, "ratio": value / rand, "ridge": ridge, "value_ridge_probe": probe,
            "lam_min": sp.lam_min, "lam_max": sp.lam_max, "cond": sp.cond}


def measure(cfg: NTKConfig, progress: bool = False) -> list[dict]:
    """One row per (d, label kind, position): see the module docstring for the quantities."""
    rows: list[dict] = []
    W0, fz = rnn.init(cfg.m, cfg.seed)
    for d in tqdm(cfg.ds, desc="NTK over d", disable=None if progress else True):
        subset = circuits.random_subset(d, cfg.subset_seed)
        circuit = circuits.parity_tree(d, subset)
        x = sequences.sample_inputs(d, cfg.n_max, cfg.subset_seed)
        seqs = sequences.build(circuit, x, "subtasks")
        e2e = sequences.build(circuit, x, "end_to_end")
        positions = list(range(d, seqs.T + 1))
        H = ntk.gram(W0, fz, seqs.z, positions, cfg.block)
        rng = np.random.default_rng([cfg.subset_seed, d])
        y_rand = rng.choice([-1.0, 1.0], size=(seqs.n, cfg.n_random))
        common = {"d": d, "n": seqs.n, "all_inputs": seqs.n == 1 << d, "T": seqs.T, "m": cfg.m}
        for k, t in enumerate(positions):
            sp = ntk.Spectrum.of(H[k])
            rows.append({**common, "label": "subtask", "t": t, **_quad(sp, seqs.y[:, k], y_rand)})
            if t == d:
                rows.append({**common, "label": "end_to_end", "t": d, "T": d, **_quad(sp, e2e.y[:, 0], y_rand)})
    return rows


def _fit(ds: list[int], vs: list[float], log_x: bool) -> float:
    x = np.log(ds) if log_x else np.asarray(ds, dtype=float)
    return float(np.polyfit(x, np.log(vs), 1)[0])


def summarise(rows: list[dict]) -> dict:
    """Per d: end-to-end value, max sub-task value, their random baselines, Lemma 7's R; fitted rates."""
    per_d = []
    for d in sorted({r["d"] for r in rows}):
        sub = [r for r in rows if r["d"] == d and r["label"] == "subtask"]
        e2e = next(r for r in rows if r["d"] == d and r["label"] == "end_to_end")
        worst = max(sub, key=lambda r: r["value"])
        per_d.append({
            "d": d, "n": e2e["n"], "all_inputs": e2e["all_inputs"], "T": sub[0]["T"],
            "e2e": e2e["value"], "e2e_random": e2e["random"], "e2e_ratio": e2e["ratio"],
            "sub_max": worst["value"], "sub_max_t": worst["t"], "sub_max_ratio": worst["ratio"],
            "sub_max_ratio_all": max(r["ratio"] for r in sub),
            "R_sub": sub[0]["T"] * sum(r["value"] for r in sub), "R_e2e": d * e2e["value"],
            "cond_max": max(r["cond"] for r in sub),
            "ridge_used": any(r["ridge"] > 0 for r in sub),
            "ridge_probe_change": max(abs(r["value_ridge_probe"] / r["value"] - 1) for r in [*sub, e2e]),
        })
    fit_rows = [p for p in per_d if p["all_inputs"]]
    if len(fit_rows) < 3:
        fit_rows = per_d
    ds = [p["d"] for p in fit_rows]
    fits = {}
    if len(ds) >= 2:
        for key in ("e2e", "sub_max"):
            vs = [p[key] for p in fit_rows]
            fits[key] = {"exp_rate": _fit(ds, vs, False), "poly_exp": _fit(ds, vs, True)}
    return {"per_d": per_d, "fit_ds": ds, "fits": fits}


def detail_table(rows: list[dict], summary: dict) -> str:
    lines = [f"{'d':>3} {'n':>6} {'label':<10} {'t':>3} {'sqrt(yHy)':>10} {'random':>10} {'ratio':>7} "
             f"{'lam_min':>9} {'cond':>9} {'ridge':>8} {'ridge-probe':>11}"]
    for r in rows:
        lines.append(f"{r['d']:>3} {r['n']:>6} {r['label']:<10} {r['t']:>3} {r['value']:>10.4g} {r['random']:>10.4g} "
                     f"{r['ratio']:>7.3f} {r['lam_min']:>9.2e} {r['cond']:>9.2e} {r['ridge']:>8.1e} "
                     f"{r['value_ridge_probe']:>11.4g}")
    lines.append("")
    lines.append(f"{'d':>3} {'e2e':>9} {'sub max':>9} {'(t)':>4} {'e2e/sub':>8} {'R_e2e':>9} {'R_sub':>9}")
    for p in summary["per_d"]:
        lines.append(f"{p['d']:>3} {p['e2e']:>9.4g} {p['sub_max']:>9.4g} {p['sub_max_t']:>4} "
                     f"{p['e2e'] / p['sub_max']:>8.3f} {p['R_e2e']:>9.4g} {p['R_sub']:>9.4g}")
    return "\n".join(lines)


def verdicts(summary: dict, cfg: NTKConfig) -> list[Verdict]:
    per_d, fits = summary["per_d"], summary["fits"]
    if len(per_d) < 2 or not fits:
        raise ValueError("the NTK verdict needs at least two values of d")
    # With d // 2 == 2 the tree has one gate: the sub-task label IS the end-to-end label, so the ratio
    # e2e / sub-task is 1 there by construction; its growth is measured from the first d with two gates on.
    proper = [p for p in per_d if p["d"] // 2 > 2] or per_d
    lo, hi = proper[0], per_d[-1]
    growth = (hi["e2e"] / hi["sub_max"]) / (lo["e2e"] / lo["sub_max"])
    b_e, b_s = fits["e2e"]["exp_rate"], fits["sub_max"]["exp_rate"]
    ok = b_e > b_s and growth >= 2.0
    ridge = "no ridge needed" if not any(p["ridge_used"] for p in per_d) else f"ridge {RIDGE_NEEDED:g} lam_max used"
    evidence = (
        f"m={cfg.m}, d={','.join(str(p['d']) for p in per_d)} (fit on d={','.join(map(str, summary['fit_ds']))}, "
        f"n=2^d): sqrt(yH^-1y) end-to-end {lo['e2e']:.3g}->{hi['e2e']:.3g} (exp rate {b_e:.3f}/d, "
        f"poly exp {fits['e2e']['poly_exp']:.2f}), sub-task max {lo['sub_max']:.3g}->{hi['sub_max']:.3g} "
        f"(exp rate {b_s:.3f}/d, poly exp {fits['sub_max']['poly_exp']:.2f}); "
        f"e2e/sub grows x{growth:.2f} from d={lo['d']} (needs >= 2); "
        f"vs random labels: e2e {hi['e2e_ratio']:.2f}, sub-task <= {hi['sub_max_ratio_all']:.2f} at d={hi['d']}; "
        f"R (Lemma 7, O~) e2e {hi['R_e2e']:.3g}, sub {hi['R_sub']:.3g}; "
        f"max cond {max(p['cond_max'] for p in per_d):.1e}, "
        f"{ridge}, 1e-6 ridge moves values <= {100 * max(p['ridge_probe_change'] for p in per_d):.1f}%"
    )
    return [Verdict("NTK", "consistent" if ok else "inconsistent", evidence,
                    measured={"exp_rate_e2e": b_e, "exp_rate_sub": b_s, "ratio_growth": growth},
                    claimed="end-to-end exponential in d, sub-task polynomial", relation="rate",
                    details={"per_d": per_d, "fits": fits})]


def check(ds: tuple[int, ...] = (4, 5, 6, 7, 8), m: int = 64, n_max: int = 1024, seed: int = 0,
          subset_seed: int = 0) -> list[Verdict]:
    """The NTK claim at quick sizes (d = 4..8 with all 2^d inputs, width 64)."""
    cfg = NTKConfig(tuple(ds), m, n_max, seed, subset_seed)
    rows = measure(cfg)
    return verdicts(summarise(rows), cfg)


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser("python -m verify.ntk", __doc__)
    parser.add_argument("--d", type=cli.int_in(4, 24), nargs="+", default=[4, 6, 8, 10, 12],
                        help="input lengths d (default 4 6 8 10 12)")
    parser.add_argument("--m", type=cli.int_in(2, 8192), default=128, help="RNN width (default 128)")
    parser.add_argument("--n-max", type=cli.int_in(4, 1 << 16), default=4096,
                        help="at most this many distinct inputs per d (default 4096)")
    parser.add_argument("--seed", type=cli.int_in(0, 2**31 - 1), default=0, help="initialisation seed")
    parser.add_argument("--subset-seed", type=cli.int_in(0, 2**31 - 1), default=0, help="parity subset seed")
    args = parser.parse_args(argv)
    ds = tuple(sorted(set(args.d)))
    if len(ds) < 2:
        raise cli.UsageError("give at least two values of --d to fit a growth rate")
    cfg = NTKConfig(ds, args.m, args.n_max, args.seed, args.subset_seed)
    rows = measure(cfg, progress=True)
    summary = summarise(rows)
    return cli.emit(verdicts(summary, cfg), args.json, detail_table(rows, summary))


if __name__ == "__main__":
    sys.exit(cli.guarded(main))
