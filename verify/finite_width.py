"""LIN, OUT, GRAD (empirical rates): the finite-width lemmas of App. E measured on the paper's RNN.

- LIN (Lemma 8 eq. 71-72, Lemma 11 eq. 77-78): for W, W~ in B(W0, r), r = O(poly(T)/sqrt(m)),
  |f_t(W~) - f_t(W) - <grad f_t(W), W~ - W>| = O(r^{1/3} T^10 sqrt(m) log m) ||W~ - W||_F.
  Measured at W = W0, W~ = W0 + r U with r = c / sqrt(m), U the unit gradient direction and a unit random
  direction (the larger error is kept), max over sequences and positions. With ||W~ - W|| = r the bound's
  shape is s(r, m) = r^{4/3} sqrt(m) log m. Consistent when (i) the error vanishes at least as fast as
  the bound as r -> 0: fitted exponent in r over the two smallest radii >= 4/3 - 0.1, and (ii) the ratio
  max_c error / s(r, m) does not grow with m: fitted exponent in m <= 0.1. Also printed: the exponent in
  r over the whole range (ReLU kinks make it smaller there) and in m at fixed c.
- OUT (Lemma 9 eq. 73): |f_t(W)| = O(T^6 ||W - W0||_F + t). At W0 the fitted exponent in t of the
  root-mean-square over sequences of |f_t| must be <= 1 (+0.1); the Lipschitz ratio
  max_r |f_t(W0 + rU) - f_t(W0)| / r along the gradient direction must grow in t no faster than T^6 (+0.1).
- GRAD (Lemma 10 eq. 75, the rate only; the exact closed form eq. 76 is checked in verify.gradient):
  ||grad_W f_t||_F = O(T^8 ||W - W0||_F + T^4): at W0 the exponent in t of the root-mean-square norm
  must be <= 4 (+0.1); max_r | ||grad f_t(W0 + rU)|| - ||grad f_t(W0)|| | / r must grow in t no faster
  than T^8 (+0.1).

Every fit is least squares on log-log axes, per seed (>= 3 seeds); the verdict uses the worst seed and
the table prints all. Upper bounds only: a measured growth exponent below the bound's is consistent.
Sequences are seeded random token strings (the lemmas hold for any z).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass

import numpy as np
import torch
from tqdm import tqdm

from numerics import probes, rnn
from verify import cli
from verify.report import Verdict

CLAIMS = ("LIN", "OUT", "GRAD")
SLACK = 0.1  # allowed excess of a fitted exponent over the bound's (fit noise over a 16x range)


@dataclass(frozen=True)
class FiniteWidthConfig:
    """Widths (spanning >= 16x), seeds (>= 3), sequence length, scales c of r = c / sqrt(m)."""

    widths: tuple[int, ...] = (32, 64, 128, 256, 512)
    seeds: tuple[int, ...] = (0, 1, 2)
    T: int = 16
    n: int = 8
    cs: tuple[float, ...] = (1 / 64, 1 / 16, 0.25, 1.0, 4.0)
    c_width: float = 1.0  # the c used for the exponent in m


def _slope(x: list[float] | np.ndarray, y: list[float] | np.ndarray) -> float:
    return float(np.polyfit(np.log(np.asarray(x, float)), np.log(np.asarray(y, float)), 1)[0])


def measure(cfg: FiniteWidthConfig, progress: bool = False) -> list[dict]:
    """Tidy rows: one per (metric, m, seed, c, t)."""
    rows: list[dict] = []
    ts = [t for t in (2, 4, 8, 16, 32, 64) if t <= cfg.T]
    grid = [(m, s) for m in cfg.widths for s in cfg.seeds]
    for m, seed in tqdm(grid, desc="widths x seeds", disable=None if progress else True):
        W0, fz = rnn.init(m, seed)
        z = torch.randint(0, 2, (cfg.n, cfg.T), generator=torch.Generator().manual_seed(10_000 + seed))
        U_grad = probes.gradient_direction(W0, fz, z)
        U_rand = probes.random_direction(m, 20_000 + seed)
        f0 = rnn.outputs(W0, fz, z)
        g0 = probes.grad_norms(W0, fz, z, ts)
        for k, t in enumerate(ts):
            rows.append({"metric": "out0", "m": m, "seed": seed, "c": 0.0, "t": t,
                         "value": float(f0[:, t - 1].square().mean())})
            rows.append({"metric": "grad0", "m": m, "seed": seed, "c": 0.0, "t": t,
                         "value": float(g0[:, k].square().mean())})
        # <grad f(W0), r U> = r <grad f(W0), U>: one forward-mode pass per direction serves every radius.
        dirs = [(U, probes.directional_derivatives(W0, U, fz, z)) for U in (U_grad, U_rand)]
        for c in cfg.cs:
            r = c / math.sqrt(m)
            lin = max(float((rnn.outputs(W0 + r * U, fz, z) - f0 - r * dd).abs().max()) for U, dd in dirs)
            rows.append({"metric": "lin", "m": m, "seed": seed, "c": c, "t": cfg.T, "r": r, "value": lin})
            W = W0 + r * U_grad
            df = (rnn.outputs(W, fz, z) - f0).abs()
            dg = (probes.grad_norms(W, fz, z, ts) - g0).abs()
            for k, t in enumerate(ts):
                rows.append({"metric": "out_dev", "m": m, "seed": seed, "c": c, "t": t, "r": r,
                             "value": float(df[:, t - 1].max())})
                rows.append({"metric": "grad_dev", "m": m, "seed": seed, "c": c, "t": t, "r": r,
                             "value": float(dg[:, k].max())})
    return rows


def _sel(rows: list[dict], **kw: object) -> list[dict]:
    return [r for r in rows if all(r.get(k) == v for k, v in kw.items())]


def fits(rows: list[dict], cfg: FiniteWidthConfig) -> dict[str, dict]:
    """Fitted exponents (see the module docstring for which fit tests which bound).

    ``lin_r_small``/``lin_r_all``: per width, the median over seeds. The t-exponents at W0 use the widest
    width and pool the squares over seeds and sequences (root-mean-square), the Lipschitz ratios are per seed.
    """
    out: dict[str, dict] = {k: {} for k in (
        "lin_r_small", "lin_r_all", "lin_m", "lin_ratio_m", "out_t", "out_lip_t", "grad_t", "grad_lip_t")}
    m_top = cfg.widths[-1]
    small = sorted(cfg.cs)[:2]
    for m in cfg.widths:
        p_small, p_all = [], []
        for s in cfg.seeds:
            sel = _sel(rows, metric="lin", m=m, seed=s)
            sm = [r for r in sel if r["c"] in small]
            p_small.append(_slope([r["r"] for r in sm], [r["value"] for r in sm]))
            p_all.append(_slope([r["r"] for r in sel], [r["value"] for r in sel]))
        out["lin_r_small"][m] = float(np.median(p_small))
        out["lin_r_all"][m] = float(np.median(p_all))
    for s in cfg.seeds:
        lin = _sel(rows, metric="lin", seed=s)
        ratio = [max(r["value"] / (r["r"] ** (4 / 3) * math.sqrt(m) * math.log(m)) for r in lin if r["m"] == m)
                 for m in cfg.widths]
        out["lin_ratio_m"][s] = _slope(list(cfg.widths), ratio)
        sel = [r for r in lin if r["c"] == cfg.c_width]
        out["lin_m"][s] = _slope([r["m"] for r in sel], [r["value"] for r in sel])
        for metric, key in (("out_dev", "out_lip_t"), ("grad_dev", "grad_lip_t")):
            sel = _sel(rows, metric=metric, m=m_top, seed=s)
            ts = sorted({r["t"] for r in sel})
            lip = [max(r["value"] / r["r"] for r in sel if r["t"] == t) for t in ts]
            out[key][s] = _slope(ts, lip)
    for metric, key in (("out0", "out_t"), ("grad0", "grad_t")):
        sel = _sel(rows, metric=metric, m=m_top)
        ts = sorted({r["t"] for r in sel})
        rms = [math.sqrt(np.mean([r["value"] for r in sel if r["t"] == t])) for t in ts]
        out[key]["pooled"] = _slope(ts, rms)
    return out


def _bound_m_exponent(widths: tuple[int, ...]) -> float:
    """Fitted exponent of m^{-1/6} log m over the widths (Lemma 8's shape at r = c / sqrt(m))."""
    return _slope(list(widths), [m ** (-1 / 6) * math.log(m) for m in widths])


def _fmt(d: dict[int, float]) -> str:
    return "/".join(f"{v:.2f}" for v in d.values())


def verdicts(f: dict[str, dict[int, float]], cfg: FiniteWidthConfig) -> list[Verdict]:
    span = (f"m={cfg.widths[0]}..{cfg.widths[-1]}, {len(cfg.seeds)} seeds, T={cfg.T}, r=c/sqrt(m), "
            f"c={min(cfg.cs):.3g}..{max(cfg.cs):g}")
    bm = _bound_m_exponent(cfg.widths)
    top = cfg.widths[-1]
    lin_ok = f["lin_r_small"][top] >= 4 / 3 - SLACK and max(f["lin_ratio_m"].values()) <= SLACK
    lin = Verdict(
        "LIN", "consistent" if lin_ok else "inconsistent",
        f"{span}: error ~ r^p at the two smallest r, p = {_fmt(f['lin_r_small'])} for m = "
        f"{'/'.join(map(str, cfg.widths))} (median of seeds; bound r^(4/3) needs p >= {4 / 3:.2f} at the widest "
        f"m, where Lemma 8's probability 1 - O(n) exp(-m^(1/3)) is least vacuous), p = {_fmt(f['lin_r_all'])} over "
        f"all r; error / "
        f"(r^(4/3) sqrt(m) log m) ~ m^{_fmt(f['lin_ratio_m'])} (bound: <= 0); at r = {cfg.c_width:g}/sqrt(m) "
        f"error ~ m^{_fmt(f['lin_m'])} (bound's shape m^(-1/6) log m: {bm:.2f})",
        measured={k: f[k] for k in ("lin_r_small", "lin_r_all", "lin_ratio_m", "lin_m")},
        claimed={"r_exponent": 4 / 3, "ratio_m_exponent": 0.0, "m_exponent": bm}, relation="rate")
    out_ok = max(f["out_t"].values()) <= 1 + SLACK and max(f["out_lip_t"].values()) <= 6 + SLACK
    out = Verdict(
        "OUT", "consistent" if out_ok else "inconsistent",
        f"{span}: at W0, m={cfg.widths[-1]}, rms over seeds and sequences |f_t| ~ t^{_fmt(f['out_t'])} (bound t^1); "
        f"Lipschitz ratio |f(W0+rU)-f(W0)|/r "
        f"~ t^{_fmt(f['out_lip_t'])} (bound T^6)",
        measured={k: f[k] for k in ("out_t", "out_lip_t")}, claimed={"t": 1, "lipschitz_T": 6}, relation="rate")
    grad_ok = max(f["grad_t"].values()) <= 4 + SLACK and max(f["grad_lip_t"].values()) <= 8 + SLACK
    grad = Verdict(
        "GRAD", "consistent" if grad_ok else "inconsistent",
        f"empirical rate, {span}: at W0, m={cfg.widths[-1]}, rms ||grad f_t||_F ~ t^{_fmt(f['grad_t'])} (bound T^4); "
        f"| ||grad f(W0+rU)|| - ||grad f(W0)|| | / r ~ t^{_fmt(f['grad_lip_t'])} (bound T^8)",
        measured={k: f[k] for k in ("grad_t", "grad_lip_t")}, claimed={"t": 4, "lipschitz_T": 8}, relation="rate")
    return [lin, out, grad]


def check(widths: tuple[int, ...] = (32, 64, 128, 256, 512), seeds: tuple[int, ...] = (0, 1, 2),
          T: int = 16) -> list[Verdict]:
    """LIN, OUT, GRAD rates at quick sizes (widths 32..512, three seeds, T = 16)."""
    cfg = FiniteWidthConfig(tuple(widths), tuple(seeds), T)
    return verdicts(fits(measure(cfg), cfg), cfg)


def detail_table(rows: list[dict], cfg: FiniteWidthConfig) -> str:
    lines = ["linearisation error (max over sequences, positions, {gradient, random} direction):",
             f"{'m':>6} {'seed':>4} " + " ".join(f"c={c:<8g}" for c in cfg.cs)]
    for m in cfg.widths:
        for s in cfg.seeds:
            vals = [next(r["value"] for r in _sel(rows, metric="lin", m=m, seed=s, c=c)) for c in cfg.cs]
            lines.append(f"{m:>6} {s:>4} " + " ".join(f"{v:<10.3e}" for v in vals))
    ts = sorted({r["t"] for r in rows if r["metric"] == "grad0"})
    lines.append("\nat W0, seed 0: max|f_t| and max||grad f_t||_F")
    lines.append(f"{'m':>6} " + " ".join(f"t={t:<9}" for t in ts))
    for m in cfg.widths:
        for metric in ("out0", "grad0"):
            vals = [next(r["value"] for r in _sel(rows, metric=metric, m=m, seed=cfg.seeds[0], t=t)) for t in ts]
            lines.append(f"{m:>6} " + " ".join(f"{v:<11.3e}" for v in vals) + f"  {metric}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser("python -m verify.finite_width", __doc__)
    parser.add_argument("--widths", type=cli.int_in(4, 8192), nargs="+", default=[64, 128, 256, 512, 1024, 2048],
                        help="RNN widths (at least 3, spanning >= 16x; default 64..2048)")
    parser.add_argument("--seeds", type=cli.int_in(0, 2**31 - 1), nargs="+", default=[0, 1, 2, 3, 4],
                        help="initialisation seeds (at least 3)")
    parser.add_argument("--T", type=cli.int_in(4, 256), default=32, help="sequence length (default 32)")
    args = parser.parse_args(argv)
    widths = tuple(sorted(set(args.widths)))
    if len(widths) < 3 or widths[-1] < 16 * widths[0]:
        raise cli.UsageError(f"--widths must hold >= 3 widths spanning >= 16x, got {list(widths)}")
    if len(set(args.seeds)) < 3:
        raise cli.UsageError("--seeds needs at least 3 distinct seeds")
    cfg = FiniteWidthConfig(widths, tuple(dict.fromkeys(args.seeds)), args.T)
    rows = measure(cfg, progress=True)
    return cli.emit(verdicts(fits(rows, cfg), cfg), args.json, detail_table(rows, cfg))


if __name__ == "__main__":
    sys.exit(cli.guarded(main))
