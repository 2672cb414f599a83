"""NTK: sqrt(y~^T (H^t)^{-1} y~) on the whole cube for sub-task and end-to-end labels (App. E, eq. 69-70, Lemma 6-7).

The object. For position t, eq. 69's Gram H^t_ij = (1/m) <grad_W f_t(z_i), grad_W f_t(z_j)> at the
initialisation and eq. 70's label vector y~^(t) (the target of position t on each input). Lemma 6 is about
the infinite-width matrix H^{t,inf}: with n = 2^d, i.e. *all* inputs, y~^T (H^{t,inf})^{-1} y~ is exactly the
squared norm of the label in the kernel's RKHS on the cube (the smallest norm of any function of the RKHS
taking those values), so its growth in d is the principled quantity. We compute H^{t,inf} exactly
(``numerics.ntk.limit_gram``: the arc-cosine recursion of the weight-tied ReLU RNN, re-derived from eq. 1-2
and tested against finite-width Grams) and solve in float64 (Cholesky). With this package's initialisation
(B ~ N(0, 1/m)) H^t itself tends to 0 like 1/m, so every value here is sqrt(y^T (m H^t)^{-1} y) — the
printed-scale value is sqrt(m) times it; constants do not change a growth rate in d.

Labels, per d (all 2^d inputs while 2^d <= ``n_max``):
  - sub-task: the label of every position t = d..T of the parity tree (``numerics.circuits.parity_tree``)
    of each seeded subset (``subsets``); S(d) = the largest value over positions and subsets;
  - end-to-end: the subset parity read at t = d (its Gram is the sub-task H^d: f_d reads only x in both
    settings). H^d does not depend on the subset, so the end-to-end value is computed for *every* subset of
    the parity class (C(d, d/2); a seeded sample of ``class_max`` when larger): E(d) = the geometric mean
    over the class (min, median, max beside it);
  - context: ``n_random`` random +-1 label vectors on the same Grams (the kernel's no-structure baseline:
    it grows with n whatever the task), Lemma 7's R = T sum_t value for both settings (T = d end-to-end).

Finite widths (``widths`` x paired ``inits``/``subsets``, d <= ``finite_dmax``): the same values from the
empirical Gram m H^t of ``numerics.ntk.gram`` at W0, reported beside the limit (their ratio to it, per
width) — the change between widths. They are context: Lemma 6 needs m > m* = poly(n, 1/delta, T).

Rule (``empirical``), on the limit values at the d with all inputs and d // 2 >= 3 (below, the tree has one
gate and the sub-task label *is* the end-to-end label), with OLS fits ``verify.stats.exp_fit`` (ln value
on d, 95% t-interval) and ``local_rates`` (d ln value / dd between neighbouring d):
  1. the end-to-end exponential rate's interval lies above 0;
  2. the sub-task rate's interval lies below the lower end of the end-to-end rate's interval;
  3. the end-to-end local rate at the last step is at least 0.9 times the one at the first step (a power
     law c d^p has local rate ~ p / d, falling to 7/11 of it from 6->8 to 10->12; an exponential keeps it);
  4. at the last step the sub-task local rate is below the end-to-end one.
Odd d have a subset of (d - 1) / 2 bits, so a range mixing parities zigzags; the presets use even d.
Why this has power at d = 6..12: E is a deterministic mean over the whole parity class, so the rates are
not sampling noise; a structureless label (controls) grows like the random baseline and breaks 2 and 4;
a polynomial end-to-end series breaks 3. Over a finite range an exponential cannot be told from a
polynomial of high degree: the power-law exponents (``power_fit``) are printed as context.

What Lemma 6-7 predict, and what not. Lemma 6 (Wang et al. 2021, Thm. 4) *bounds* the value by
O(sqrt(phi(T, psi, N))): with sub-task labels (N = 2, degree 2, |a| = O(1); Lemma 2) phi is polynomial in d,
so the sub-task values must stay polynomial — rules 2 and 4 test that they grow slower than the end-to-end
ones. For the end-to-end label (N = d/2) the bound is e^{O(d)}: an upper bound, so the lemmas do NOT predict
that the end-to-end value grows exponentially (that learning fails without sub-tasks is Theorem 4, by the
parity-class argument of Lemmas 13-15); rules 1 and 3 measure that it does, for this kernel. Lemma 7 turns
the values into the radius R = O~(T sum_t value) of a ball around W0 holding a low-loss W*; its constants
are not given, so R is reported, not tested. Neither lemma says anything at widths below m*: at m = 64-256
the finite-width values exceed the limit by factors that shrink with m (printed).

Sampled inputs (``--full``, 2^d > n_max): y^T K^{-1} y on a subset of the cube is the smallest RKHS norm of
an interpolant of fewer points, so it is a lower bound of the cube's value and depends on n, not only on d;
such d are shown as context and never enter a fit.

Controls: (a) the sub-task labels shuffled over the inputs (a seeded permutation per position, the same
Grams): the structure is gone and the same rule must fail; (b) a planted end-to-end series c d^3 in place of
the measured one: rule 3 must fail.

Sizes. Quick: even d = 4..12 (n = 4096 at d = 12), 3 subsets, the whole class (924 parities at d = 12),
widths 64 and 256 x 3 initialisations at d <= 8; about 26 s of CPU on one thread (most of it the limit
recursion and the float64 Cholesky factors at n = 4096). Finite widths stop at d = 8 because eq. 69's Gram
at n = 4096 costs ``numerics.ntk.gram_flops`` = 1.4e12 flops per initialisation at m = 128 (5.4e12 at
m = 256), and at these widths it is far from the limit anyway. ``--full``: 5 subsets and initialisations,
widths up to 1024 at d <= 10, and d = 14 on 8192 sampled inputs.

Run: ``python -m verify.ntk [--d 4 6 8 10 12] [--subsets 0 1 2] [--widths 64 256] [--full] [--json]``.
"""

from __future__ import annotations

import itertools
import math
import sys
from dataclasses import dataclass, field
from math import comb
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from numerics import circuits, ntk, rnn, sequences
from verify import cli, stats
from verify.evidence import Control, Finding, compare
from verify.figures import Figure, Series

CLAIMS = ("NTK",)

FIT_DMIN = 6  # d // 2 >= 3: the tree has at least two gates, so sub-task and end-to-end labels differ
SOURCE = "Lemma 6, eq. 69-70"
LIMIT = 0  # width code of the infinite-width limit in the rows
RATE_SLACK = 0.1  # rule 3: the last local rate may fall this fraction below the first (a power law: ~40%)


@dataclass(frozen=True)
class Config:
    """Sizes of the NTK measurement (fields are the CLI flags)."""

    d: tuple[int, ...] = field(default=(4, 6, 8, 10, 12), metadata={
        "help": "input lengths d (the fits use those with all 2^d inputs and d >= 6)", "range": (4, 20)})
    subsets: tuple[int, ...] = field(default=(0, 1, 2), metadata={
        "help": "seeds of the parity subsets of the sub-task trees (circuits.random_subset)",
        "range": (0, 2**31 - 1)})
    inits: tuple[int, ...] = field(default=(0, 1, 2), metadata={
        "help": "initialisation seeds of the finite widths, paired with --subsets", "range": (0, 2**31 - 1)})
    widths: tuple[int, ...] = field(default=(64, 256), metadata={
        "help": "finite widths m compared with the infinite-width limit", "range": (2, 8192)})
    finite_dmax: int = field(default=8, metadata={"help": "largest d for the finite widths", "range": (4, 16)})
    n_max: int = field(default=4096, metadata={
        "help": "all 2^d inputs when 2^d <= n_max, else a seeded sample of n_max distinct inputs",
        "range": (16, 1 << 15)})
    class_max: int = field(default=1024, metadata={
        "help": "end-to-end labels of every subset of the parity class, or a seeded sample of this many",
        "range": (1, 1 << 16)})
    n_random: int = field(default=8, metadata={"help": "random +-1 label vectors per Gram", "range": (1, 256)})
    seed: int = field(default=0, metadata={
        "help": "seed of random labels, shuffles, input and class samples", "range": (0, 2**31 - 1)})

    @classmethod
    def quick(cls) -> Config:
        return cls()

    @classmethod
    def full(cls) -> Config:
        return cls(d=(4, 6, 8, 10, 12, 14), subsets=(0, 1, 2, 3, 4), inits=(0, 1, 2, 3, 4),
                   widths=(64, 256, 1024), finite_dmax=10, n_max=8192)


@dataclass(frozen=True)
class Data:
    """Long-format rows, one per (width, pair, d, label kind, position).

    Row keys: ``width`` (0 = the infinite-width limit), ``pair`` (index into subsets/inits; -1 for rows that
    do not depend on the subset), ``d``, ``n``, ``all_inputs``, ``T``, ``label`` ("subtask",
    "subtask_shuffled", "end_to_end" (the pair's own subset), "end_to_end_class", "random"), ``t``,
    ``value`` (sqrt(y^T (m H^t)^{-1} y); geometric mean for the class and random rows), and for the class
    rows ``min``, ``median``, ``max``, ``count``.
    """

    rows: tuple[dict[str, Any], ...]
    config: Config


def _inputs(d: int, cfg: Config) -> np.ndarray:
    return sequences.sample_inputs(d, cfg.n_max, seed=cfg.seed + d)


def class_labels(d: int, x: np.ndarray, class_max: int, seed: int) -> np.ndarray:
    """``(n, k)`` end-to-end labels (-1)^(sum_{i in S} x_i) for every size-d//2 subset S (or a seeded sample)."""
    k = d // 2
    total = comb(d, k)
    if total <= class_max:
        subsets = list(itertools.combinations(range(d), k))
    else:
        rng = np.random.default_rng([seed, d, 1])
        chosen: set[tuple[int, ...]] = set()
        while len(chosen) < class_max:
            chosen.add(tuple(sorted(int(i) for i in rng.choice(d, size=k, replace=False))))
        subsets = sorted(chosen)
    masks = np.zeros((d, len(subsets)), dtype=np.int64)
    for j, s in enumerate(subsets):
        masks[list(s), j] = 1
    return (1 - 2 * ((x.astype(np.int64) @ masks) % 2)).astype(np.float64)


def _geo(v: torch.Tensor) -> float:
    return float(torch.exp(torch.log(v).mean()))


def _factors(d: int, pair: int, cfg: Config, width: int, x: np.ndarray, shared: dict[int, Any]):
    """(sequences, iterator of (t, Cholesky factor of m H^t or None when singular)) for one subset.

    In the limit H^d does not depend on the subset (f_d reads only x): its factor is computed once per d
    and shared by every subset through ``shared``.
    """
    subset = circuits.random_subset(d, cfg.subsets[pair])
    seqs = sequences.build(circuits.parity_tree(d, subset), x, "subtasks")
    positions = range(d, seqs.T + 1)
    if width == LIMIT:
        first = positions if d not in shared else positions[1:]
        grams = ntk.iter_limit_gram(seqs.z, first) if len(first) else iter(())
    else:
        W, fz = rnn.init(width, cfg.inits[pair])
        H = ntk.gram(W, fz, seqs.z, list(positions))
        grams = ((t, width * H[k]) for k, t in enumerate(positions))

    def factors():
        if width == LIMIT and d in shared:
            yield d, shared[d]
        for t, K in grams:
            try:
                L = ntk.cholesky(K)
            except ValueError:  # a finite-width Gram can be numerically singular (m^2 not >> n)
                L = None
            del K
            if width == LIMIT and t == d:
                shared[d] = L
            yield t, L

    return seqs, factors()


def _norms(L: torch.Tensor | None, Y: np.ndarray) -> torch.Tensor:
    """Label norms from a factor; NaN when the Gram was singular."""
    if L is None:
        return torch.full((Y.shape[1],), math.nan, dtype=torch.float64)
    return ntk.norms_from_factor(L, Y)


def measure(config: Config) -> Data:
    """Every value of the module docstring, limit first, then the finite widths (d <= finite_dmax)."""
    cfg = config
    if len(cfg.inits) != len(cfg.subsets):
        raise ValueError(f"--inits ({len(cfg.inits)}) and --subsets ({len(cfg.subsets)}) are paired: give as many")
    if any(d // 2 < 2 for d in cfg.d):
        raise ValueError("every d must be >= 4 (a parity tree needs a subset of >= 2 bits)")
    ds = tuple(sorted(set(cfg.d)))
    tasks = [(LIMIT, d) for d in ds] + [(m, d) for m in cfg.widths for d in ds if d <= cfg.finite_dmax]
    rows: list[dict[str, Any]] = []
    for width, d in tqdm(tasks, desc="NTK (width, d)", disable=None, file=sys.stderr):
        x = _inputs(d, cfg)
        n = len(x)
        rng = np.random.default_rng([cfg.seed, d])
        y_rand = rng.choice([-1.0, 1.0], size=(n, cfg.n_random))
        y_class = class_labels(d, x, cfg.class_max, cfg.seed)
        base = {"width": width, "d": d, "n": n, "all_inputs": n == 1 << d}
        pairs = range(len(cfg.subsets))
        shared: dict[int, Any] = {}
        for pair in pairs:
            seqs, grams = _factors(d, pair, cfg, width, x, shared)
            perm = np.random.default_rng([cfg.seed, d, pair, 2])
            common = {**base, "pair": pair, "T": seqs.T}
            for t, K in grams:  # K: the Gram's Cholesky factor
                y = seqs.y[:, t - d]
                labels = [y[:, None], perm.permutation(y)[:, None], y_rand]
                with_class = t == d and (pair == 0 or width != LIMIT)  # H^d does not depend on the subset
                if t == d:  # the end-to-end label of this subset: the final answer, read at t = d
                    labels.append(seqs.y[:, -1:])
                if with_class:
                    labels.append(y_class)
                v = _norms(K, np.concatenate(labels, axis=1))
                rows.append({**common, "label": "subtask", "t": t, "value": float(v[0])})
                rows.append({**common, "label": "subtask_shuffled", "t": t, "value": float(v[1])})
                rows.append({**common, "label": "random", "t": t, "value": _geo(v[2:2 + cfg.n_random])})
                if t == d:
                    k = 2 + cfg.n_random
                    rows.append({**common, "label": "end_to_end", "t": d, "T": d, "value": float(v[k])})
                if with_class:
                    vc = v[k + 1:]
                    rows.append({**common, "T": d, "label": "end_to_end_class", "t": d, "value": _geo(vc),
                                 "min": float(vc.min()), "median": float(vc.median()), "max": float(vc.max()),
                                 "count": int(vc.numel())})
    return Data(tuple(rows), cfg)


# ------------------------------------------------------------------------------------------------ summary
def summarise(data: Data, width: int = LIMIT, sub_label: str = "subtask") -> list[dict[str, Any]]:
    """Per d at one width: E (class geometric mean), S (max sub-task value), random baseline, Lemma 7's R.

    E is the geometric mean over the parity class (and, at a finite width, over the initialisations);
    S is the largest value over positions and subsets, ``S_pairs`` each subset's (init's) own largest.
    """
    out = []
    for d in sorted({r["d"] for r in data.rows if r["width"] == width}):
        sel = [r for r in data.rows if r["width"] == width and r["d"] == d]
        sub = [r for r in sel if r["label"] == sub_label]
        pairs = sorted({r["pair"] for r in sub})
        T = d + d // 2 - 2
        per_pair = [max(r["value"] for r in sub if r["pair"] == p) for p in pairs]
        R_sub = [T * sum(r["value"] for r in sub if r["pair"] == p) for p in pairs]
        cls = [r for r in sel if r["label"] == "end_to_end_class"]
        rand = [r["value"] for r in sel if r["label"] == "random" and r["t"] == d]
        E = _gmean([r["value"] for r in cls])
        out.append({
            "d": d, "n": cls[0]["n"], "all_inputs": cls[0]["all_inputs"], "T": T, "E": E,
            "E_min": min(r["min"] for r in cls), "E_median": _gmean([r["median"] for r in cls]),
            "E_max": max(r["max"] for r in cls), "class_size": cls[0]["count"],
            "S": max(per_pair), "S_pairs": per_pair,
            "e2e_own": [r["value"] for r in sel if r["label"] == "end_to_end"],
            "random": _gmean(rand), "R_e2e": d * E, "R_sub": max(R_sub),
        })
    return out


def _gmean(values: list[float]) -> float:
    return float(np.exp(np.mean(np.log(values))))


def _fit_rows(per_d: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [p for p in per_d if p["all_inputs"] and p["d"] >= FIT_DMIN]


def decide(data: Data, sub_label: str = "subtask", planted_E: dict[int, float] | None = None) -> list[Finding]:
    """The rule of the module docstring on the infinite-width values; finite widths and baselines as context.

    ``sub_label`` / ``planted_E`` exist for the controls (the shuffled labels, a planted series), which go
    through this same code.
    """
    per_d = summarise(data, LIMIT, sub_label)
    if planted_E is not None:
        per_d = [{**p, "E": planted_E[p["d"]]} for p in per_d]
    fit = _fit_rows(per_d)
    ds = [p["d"] for p in fit]
    span = f"{ds[0]}..{ds[-1]}" if ds else "-"
    if len(fit) < 3 or any(not math.isfinite(p[k]) for p in fit for k in ("E", "S")):
        return [Finding("NTK", "empirical", (), not_checked=(
            f"needs >= 3 values of d >= {FIT_DMIN} with all 2^d inputs (n_max {data.config.n_max}); got {ds}"))]
    E, S = [p["E"] for p in fit], [p["S"] for p in fit]
    fe, fs = stats.exp_fit(ds, E), stats.exp_fit(ds, S)
    le, ls = stats.local_rates(ds, E), stats.local_rates(ds, S)
    steps = [f"{a}->{b}" for a, b in itertools.pairwise(ds)]
    prm = {"m": "inf", "d": span, "n": "2^d"}
    sub_name = "sub-task" if sub_label == "subtask" else "sub-task (labels shuffled)"
    comps = [
        compare("end-to-end exp rate (ln E on d; E = class geo-mean)", SOURCE, fe.slope, "ci_above", 0.0,
                params=prm, interval=fe.slope_ci, level=fe.level),
        compare(f"{sub_name} exp rate (ln S on d; S = max over t, subsets)", SOURCE, fs.slope, "ci_below",
                fe.slope_ci[0], params=prm, interval=fs.slope_ci, level=fs.level,
                note="reference: lower end of the end-to-end rate's interval"),
        compare(f"end-to-end local rate at {steps[-1]}", SOURCE, float(le[-1]), "ge", float(le[0]),
                tol=RATE_SLACK * abs(float(le[0])), params=prm,
                note=f"reference: the local rate at {steps[0]}, less {RATE_SLACK:.0%} (a power law's falls to "
                     f"{(ds[0] + ds[1]) / (ds[-2] + ds[-1]):.2f} of it over the range)"),
        compare(f"{sub_name} local rate at {steps[-1]}", SOURCE, float(ls[-1]), "lt", float(le[-1]), params=prm,
                note="reference: end-to-end local rate at the same step"),
    ]
    # context: local rates per step, power-law exponents, random baseline, Lemma 7, finite widths
    for name, vals in (("end-to-end", le), (sub_name, ls)):  # last step against the first, every step listed
        comps.append(compare(f"{name} local rates per step {', '.join(steps)}: last vs first", SOURCE,
                             float(vals[-1]), "ge", float(vals[0]),
                             params={**prm, "rates": [round(float(v), 3) for v in vals]}, role="context"))
    pe, ps = stats.power_fit(ds, E), stats.power_fit(ds, S)
    comps.append(compare("end-to-end power-law exponent (ln E on ln d)", SOURCE, pe.slope, "ci_above", 0.0,
                         params=prm, interval=pe.slope_ci, level=pe.level, role="context"))
    comps.append(compare(f"{sub_name} power-law exponent (ln S on ln d)", SOURCE, ps.slope, "ci_below",
                         pe.slope_ci[0], params=prm, interval=ps.slope_ci, level=ps.level, role="context"))
    last = fit[-1]
    rand = [p["random"] for p in fit]
    fr = stats.exp_fit(ds, rand)
    comps.append(compare("random +-1 labels exp rate (same Grams, t = d)", "baseline", fr.slope, "ci_above", 0.0,
                         params=prm, interval=fr.slope_ci, level=fr.level, role="context"))
    comps.append(compare("end-to-end / random labels", "baseline", last["E"] / last["random"], "le", 1.0,
                         params={"m": "inf", "d": last["d"]}, role="context"))
    comps.append(compare(f"{sub_name} / random labels", "baseline", last["S"] / last["random"], "le", 1.0,
                         params={"m": "inf", "d": last["d"]}, role="context"))
    comps.append(compare("end-to-end class spread (min, max) / geo-mean", "eq. 70", last["E_min"] / last["E"],
                         "le", last["E_max"] / last["E"], params={"d": last["d"], "class": last["class_size"]},
                         role="context"))
    comps.append(compare("Lemma 7 R = T sum_t value: end-to-end", "Lemma 7", last["R_e2e"], "ge", last["R_sub"],
                         params={"m": "inf", "d": last["d"]}, role="context",
                         note="reference: R for sub-task labels (O~, constants unknown)"))
    fre, frs = stats.exp_fit(ds, [p["R_e2e"] for p in fit]), stats.power_fit(ds, [p["R_sub"] for p in fit])
    comps.append(compare("Lemma 7 R end-to-end: exp rate in d", "Lemma 7", fre.slope, "ci_above", 0.0, params=prm,
                         interval=fre.slope_ci, level=fre.level, role="context"))
    comps.append(compare("Lemma 7 R sub-task: power-law exponent in d", "Lemma 7", frs.slope, "ci_contains", 2.0,
                         params=prm, interval=frs.slope_ci, level=frs.level, role="context",
                         note="reference: T x (number of positions) ~ d^2 at a constant value per position"))
    for p in per_d:
        if not p["all_inputs"]:
            comps.append(compare("end-to-end, sampled inputs (a lower bound of the cube's value)", SOURCE, p["E"],
                                 "ge", p["S"], params={"m": "inf", "d": p["d"], "n": p["n"]}, role="context",
                                 note="reference: sub-task S on the same sample"))
    finite = {}
    for m in data.config.widths:
        fin = summarise(data, m, sub_label)
        if not fin:
            continue
        finite[m] = fin
        fin_fit = _fit_rows(fin)
        if len(fin_fit) >= 3:  # the same growth fits at this width (context: Lemma 6 is about m -> inf)
            fds = [p["d"] for p in fin_fit]
            for key, name in (("E", "end-to-end"), ("S", sub_name)):
                ff = stats.exp_fit(fds, [p[key] for p in fin_fit])
                comps.append(compare(f"{name} exp rate at width m", SOURCE, ff.slope, "ci_above", 0.0,
                                     interval=ff.slope_ci, level=ff.level, role="context",
                                     params={"m": m, "d": f"{fds[0]}..{fds[-1]}"}))
        top = fin[-1]
        lim = next(p for p in per_d if p["d"] == top["d"])
        ratios = {"E": top["E"] / lim["E"],
                  "S": _gmean([a / b for a, b in zip(top["S_pairs"], lim["S_pairs"], strict=True)])}
        for key, name in (("E", "end-to-end"), ("S", sub_name)):
            comps.append(compare(f"{name} at width m / infinite width", "Lemma 6 (m > m*)", ratios[key],
                                 "eq", 1.0, tol=0.1, role="context",
                                 params={"m": m, "d": top["d"], "inits": len(data.config.inits)},
                                 note="geometric mean over the initialisations"))
    scope = (f"Lemma 6's H^(t,inf) computed exactly (limit_gram), all 2^d inputs for d = {span} "
             f"(n up to {last['n']}), {len(data.config.subsets)} sub-task trees, end-to-end over "
             f"{last['class_size']} parities of the class at d = {last['d']}; finite widths "
             f"{','.join(map(str, data.config.widths))} x {len(data.config.inits)} inits for d <= "
             f"{data.config.finite_dmax} as context; Lemma 6 bounds only (no lower bound for end-to-end)")
    details = {"per_d": per_d, "finite": finite, "fit_ds": ds,
               "fits": {"E": fe.__dict__, "S": fs.__dict__, "E_power": pe.__dict__, "S_power": ps.__dict__},
               "figures": [figure(per_d, fe, fs).to_json()]}
    return [Finding("NTK", "empirical", tuple(comps), scope=scope, details=details)]


def figure(per_d: list[dict[str, Any]], fe: stats.Fit, fs: stats.Fit) -> Figure:
    """sqrt(y^T H^-1 y) against d (log scale): end-to-end (class geometric mean, min..max of the class as
    bars), the largest sub-task label, random +-1 labels on the same Grams, and the two fitted laws."""
    ds = tuple(float(p["d"]) for p in per_d)
    fit_ds = tuple(float(p["d"]) for p in _fit_rows(per_d))
    return Figure(
        "sqrt(yᵀ H⁻¹ y) at infinite width, all 2^d inputs", "d", "sqrt(yᵀ H⁻¹ y)", (
            Series("end-to-end (class)", ds, tuple(p["E"] for p in per_d),
                   lo=tuple(p["E_min"] for p in per_d), hi=tuple(p["E_max"] for p in per_d)),
            Series("largest sub-task", ds, tuple(p["S"] for p in per_d)),
            Series("random ±1 labels", ds, tuple(p["random"] for p in per_d)),
            Series(f"fit e^({fe.slope:.2f} d)", fit_ds, tuple(math.exp(fe.intercept + fe.slope * d) for d in fit_ds),
                   style="line"),
            Series(f"fit e^({fs.slope:.2f} d)", fit_ds, tuple(math.exp(fs.intercept + fs.slope * d) for d in fit_ds),
                   style="line"),
        ), log_y=True)


def check(config: Config | None = None) -> list[Finding]:
    """The NTK finding at the given (default quick) sizes (the data is kept for ``controls``)."""
    return check_with_data(config)[0]


def controls(findings: list[Finding], data: Data | None = None) -> list[Control]:
    """(a) sub-task labels shuffled over the inputs (same Grams, measured in the same pass);
    (b) a planted polynomial end-to-end series E(d) = E(6) (d / 6)^3. The same ``decide`` must flip."""
    if data is None and findings:
        data = _MEASURED.get(id(findings[0]))
    if data is None:  # findings from elsewhere: measure small sizes (d <= 10, limit only)
        data = measure(Config(d=(4, 6, 8, 10), widths=(), n_max=1024))
    per_d = summarise(data)
    base = next((p["E"] for p in per_d if p["d"] >= FIT_DMIN), 1.0)
    d0 = next((p["d"] for p in per_d if p["d"] >= FIT_DMIN), FIT_DMIN)
    planted = {p["d"]: base * (p["d"] / d0) ** 3 for p in per_d}
    return [
        Control("NTK", "sub-task labels shuffled over the inputs (seeded permutation per position, same Grams)",
                decide(data, sub_label="subtask_shuffled")[0]),
        Control("NTK", f"end-to-end series replaced by a polynomial E({d0}) (d/{d0})^3",
                decide(data, planted_E=planted)[0]),
    ]


_MEASURED: dict[int, Data] = {}  # id(finding) -> the data it was decided on, for ``controls``


def check_with_data(config: Config | None = None) -> tuple[list[Finding], Data]:
    """``check`` that also returns the measured data (for the controls, notebooks and tables)."""
    data = measure(config or Config.quick())
    findings = decide(data)
    _MEASURED.clear()
    _MEASURED[id(findings[0])] = data
    return findings, data


def detail_table(data: Data) -> str:
    """Per d and width: E (class geo-mean, min..max), S (max sub-task), random baseline, Lemma 7's R."""
    lines = [f"{'m':>5} {'d':>3} {'n':>6} {'E e2e':>8} {'(min..max)':>15} {'S sub':>7} {'E/S':>6} "
             f"{'random':>8} {'R_e2e':>8} {'R_sub':>8}"]
    for m in (LIMIT, *data.config.widths):
        for p in summarise(data, m):
            lines.append(f"{'inf' if m == LIMIT else m:>5} {p['d']:>3} {p['n']:>6}{'' if p['all_inputs'] else '*'} "
                         f"{p['E']:>8.3f} {p['E_min']:>7.2f}..{p['E_max']:<7.2f} {p['S']:>7.3f} "
                         f"{p['E'] / p['S']:>6.2f} {p['random']:>8.3f} {p['R_e2e']:>8.1f} {p['R_sub']:>8.1f}")
    lines.append("values: sqrt(y^T (m H^t)^-1 y); m=inf is the exact limit; * = sampled inputs (lower bound)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser("python -m verify.ntk", __doc__, Config)
    args = parser.parse_args(argv)
    cfg = cli.config(Config, args)
    findings, data = check_with_data(cfg)
    return cli.emit(findings, args, controls=controls(findings, data), detail=detail_table(data))


if __name__ == "__main__":
    sys.exit(cli.guarded(main))
