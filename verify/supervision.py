"""SUP (beyond the paper): how much sub-task supervision is needed? Section 7 (Limitations) leaves open
"what happens when we limit the amount of sub-task supervision ... whether there exists a similar advantage
with only O(1) sub-tasks". Measured here on bit-subset parity (Section 5, App. B's tree).

What is measured. Steps-to-learn as a function of d for several supervision schemes
(``numerics.supervision``): the loss sees only some of the tree's labels, the final answer always. The
RNN part trains the paper's RNN (eq. 1-3, only W trains) with mini-batch SGD (Algorithm 1 with batches, as
T4's SGD part) until its free-running final answer is right on ALL 2^d inputs (evaluated every ``every``
steps); a run that has not learned within its budget is right-censored there (data, not a verdict). The
quick and full presets withhold labels by *removing* them from the sequence (mode "removed": a supervised
label then reads its nearest supervised descendants, so the hardest parity left to find unaided has
``fanin`` bits); ``--mode masked`` keeps them as teacher-forced tokens the loss ignores. The decoder part
reads the runs of ``specs/supervision.toml`` (``python -m numerics.sweep specs/supervision.toml``, 559.2 s
from a fresh store on 2 cores; steps to > 95% greedy validation accuracy, App. G's split) from the spec's store, or from
``--decoder-store DIR``, when they are stored; it is "not yet checked" otherwise.

Schemes of the presets: ``full`` (every label: the paper's arm with supervision), ``none`` (the answer
only: end-to-end), ``budget:K`` (K labels, the answer's nearest nodes first: O(1) labels), and in ``--full``
also ``top:2``, ``bottom:1``, ``every:2`` and ``fraction:0.5``.

The law. For each scheme, log steps = a + r d fitted with ``verify.stats.censored_fit`` (log-normal AFT,
right-censored, stratified bootstrap 95% interval): how the rate r in d changes with the number of
supervised labels. Pooled over every scheme and size, log steps = a + b k with k the largest fan-in once
unsupervised labels are removed (the degree of the hardest parity found without help). Both are reported
as context comparisons with intervals: they are the measured answer, not a test.

The NTK quantity of Lemma 6-7 (context, ``--ntk-d``): with the unsupervised labels removed, the largest
sqrt(y^T (K^t)^-1 y) over the supervised labels, K^t the infinite-width Gram on all 2^d inputs
(``numerics.ntk``), per scheme and d, and its growth rate in d: does the kernel see a label whose children
are unsupervised? It rises with the label's fan-in, as the end-to-end label's does.

Rule (``measured``): measured when the two extremes reproduce the paper's two arms (T4/TAB1):

1. full supervision is fast: every ``full`` run learns within its budget (exact count);
2. no supervision grows faster: the ``none`` arm's rate interval lies above the ``full`` arm's fitted rate.

Either failing makes the row "inconsistent" (the measurement would not reproduce the known arms, so its
answer for partial budgets is not trusted); an arm whose rate is not identified (learned at fewer than two
sizes) makes the part "not yet checked" with the reason. Control: the ``full`` arm replaced by a copy of
the ``none`` arm (full supervision as slow as none): the rule must flip (check 2 fails, a copy has no faster
rate; check 1 fails too whenever a ``none`` run was censored). When a part is already inconsistent, the control
plants the paper's two arms on its sizes and seeds instead (full learned at its measured steps, none e^(d - d_lo)
times slower): the rule must then say measured.

Why the quick sizes decide. d = 8, 10, 12 (subsets of 4-6 bits, 3-5 tree nodes), 3 seeds, budget 1500
steps: every ``full`` run learns inside the budget, and ``none`` learns at the smaller sizes and is censored at
12 bits, so both rates are identified. The quick runs 36 RNN trainings and the NTK norms at d = 6, 8, 10:
68 s of CPU in all (measured on a loaded machine; about 35-40 s wall with 2 workers on an idle 2-core CPU);
``--full`` adds d = 14, 5 seeds, a 4000-step budget, the other schemes and the NTK at d = 12. Single-run step
counts move between CPUs (floating point moves the escape from the plateau): the distribution over seeds is
decided.

Run: ``python -m verify.supervision [--full] [--d 8 10 12] [--schemes full none budget:2] [--json]``.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from numerics import supervision as partial
from verify import cli, stats
from verify.evidence import Comparison, Control, Finding, compare
from verify.figures import Figure, Series

CLAIMS = ("SUP",)
SOURCE = "Section 7 (Limitations)"
SPEC = Path(__file__).resolve().parents[1] / "specs" / "supervision.toml"
CONTROL_REPS = 100  # bootstrap resamples of the control's refits
PARTS = {"rnn": "RNN, SGD", "decoder": "decoder (specs/supervision.toml)"}


def _check_schemes(values: Sequence[str]) -> None:
    for s in values:
        partial.parse(s)


@dataclass(frozen=True)
class Config:
    """Sizes, schemes, optimiser and seeds of the SUP measurement (fields are the CLI flags)."""

    d: tuple[int, ...] = field(default=(8, 10, 12), metadata={"help": "input bits (parity of a d/2-subset)",
                                                              "range": (4, 24)})
    schemes: tuple[str, ...] = field(default=("full", "none", "budget:2", "budget:3"), metadata={
        "help": "supervision schemes (numerics.supervision): full none top:L bottom:L fraction:F every:J budget:K"})
    mode: str = field(default="removed", metadata={"help": "unsupervised labels removed from the sequence or "
                                                           "masked (kept as teacher-forced tokens)",
                                                   "choices": partial.MODES})
    seeds: tuple[int, ...] = field(default=(0, 1, 2), metadata={
        "help": "seeds (initialisation, data draws and the hidden subset)", "range": (0, 2**31 - 1)})
    m: int = field(default=64, metadata={"help": "RNN width", "range": (4, 4096)})
    eta: float = field(default=0.25, metadata={"help": "SGD learning rate", "range": (1e-6, 100.0)})
    batch: int = field(default=128, metadata={"help": "SGD inputs per step", "range": (1, 65536)})
    budget: int = field(default=1500, metadata={"help": "step budget (censoring point)", "range": (10, 10**7)})
    every: int = field(default=50, metadata={"help": "evaluate every k steps", "range": (1, 10**6)})
    workers: int = field(default=2, metadata={"help": "worker processes (one torch thread each)",
                                              "range": (1, 256)})
    boot: int = field(default=200, metadata={"help": "bootstrap resamples of the censored fits",
                                             "range": (50, 100_000)})
    ntk_d: tuple[int, ...] = field(default=(6, 8, 10), metadata={
        "help": "sizes for the infinite-width NTK label norms per scheme (all 2^d inputs; context); () skips",
        "range": (4, 14)})
    decoder: bool = field(default=True, metadata={
        "help": "also decide the decoder part from the stored runs of specs/supervision.toml"})
    decoder_store: str = field(default="", metadata={
        "help": "read the decoder runs from this results store instead of the spec's (e.g. a sweep's --store)"})

    def __post_init__(self) -> None:
        _check_schemes(self.schemes)

    @classmethod
    def quick(cls) -> Config:
        return cls()

    @classmethod
    def full(cls) -> Config:
        return cls(d=(8, 10, 12, 14), seeds=(0, 1, 2, 3, 4), budget=4000, ntk_d=(6, 8, 10, 12),
                   schemes=("full", "none", "budget:2", "budget:3", "top:2", "bottom:1", "every:2", "fraction:0.5"))


@dataclass(frozen=True)
class Run:
    """One run's outcome: ``steps`` is the step it learned at, or its budget when censored."""

    arch: str
    scheme: str
    mode: str
    d: int
    seed: int
    steps: int
    observed: bool
    labels: int  # supervised labels (the answer included)
    gates: int  # labels of the full tree
    fanin: int  # largest fan-in once unsupervised labels are removed
    seconds: float


@dataclass(frozen=True)
class Data:
    runs: tuple[Run, ...]
    config: Config
    decoder_note: str = ""
    ntk: tuple[dict[str, Any], ...] = ()


def ntk_norms(schemes: Sequence[str], ds: Sequence[int], seed: int = 0) -> list[dict[str, Any]]:
    """The NTK quantity of Lemma 6-7 for partially supervised label sets: with the unsupervised labels removed,
    sqrt(y^T (K^t)^-1 y) of each supervised label y at its position t, K^t the infinite-width Gram
    (``numerics.ntk.labelled_grams``) on all 2^d inputs, for the parity tree of (d, subset ``seed``). The row
    keeps the largest (the hardest label the kernel must fit) and all of them in sequence order."""
    from numerics import ntk
    from numerics.circuits import all_inputs, parity_tree, random_subset

    rows = []
    for d in ds:
        circuit = parity_tree(d, random_subset(d, seed))
        for s in schemes:
            reduced = partial.reduce(circuit, partial.mask(circuit, s))
            norms = [pg.label_norm() for pg in ntk.labelled_grams(reduced, all_inputs(d), "subtasks")]
            rows.append({"scheme": s, "d": d, "max_norm": max(norms), "norms": norms,
                         "fanin": reduced.max_fanin})
    return rows


# ---------------------------------------------------------------------------------------------- measuring
def train_config(config: Config, scheme: str, d: int, seed: int) -> Any:
    """The ``numerics.train.TrainConfig`` of one RNN run (the same optimiser for every scheme)."""
    from numerics.train import TrainConfig

    return TrainConfig(d=d, supervision="subtasks", subset_seed=seed, m=config.m, algorithm=1,
                       steps=config.budget, eta=config.eta, batch=config.batch, every=config.every,
                       stop_at_zero=True, seed=seed, dtype="float32", exhaustive_eval=True,
                       partial=scheme, partial_mode=config.mode)


def shape(scheme: str, d: int, seed: int) -> tuple[int, int, int]:
    """(supervised labels, tree labels, largest fan-in) of ``scheme`` on the parity tree of (d, seed)."""
    from numerics.circuits import parity_tree, random_subset

    circuit = parity_tree(d, random_subset(d, seed))
    return (int(partial.mask(circuit, scheme).sum()), len(circuit.gates), partial.max_fanin(circuit, scheme))


def run_one(tc: Any) -> Run:
    """Train one RNN run (one torch thread); its censored steps-to-learn (zero free-running error on all
    2^d inputs)."""
    from numerics.train import steps_to_learn, threads, train

    start = time.perf_counter()
    with threads(1):
        frame = train(tc)
    learned = steps_to_learn(frame)
    observed = learned is not None and not bool((frame.metric == "diverged").any())
    labels, gates, fanin = shape(tc.partial, tc.d, tc.subset_seed)
    return Run("rnn", tc.partial, tc.partial_mode, tc.d, tc.seed, int(learned if observed else tc.steps),
               observed, labels, gates, fanin, time.perf_counter() - start)


def _execute(configs: list[Any], workers: int) -> list[Run]:
    from tqdm.auto import tqdm

    if workers <= 1 or len(configs) <= 1:
        return [run_one(c) for c in tqdm(configs, desc="SUP RNN runs", unit="run", disable=None, file=sys.stderr)]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    order = sorted(range(len(configs)), key=lambda i: -configs[i].d)  # largest first: the pool ends evenly
    out: list[Run | None] = [None] * len(configs)
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(run_one, configs[i]): i for i in order}
        for fut in tqdm(as_completed(futures), total=len(futures), desc="SUP RNN runs", unit="run", disable=None,
                        file=sys.stderr):
            out[futures[fut]] = fut.result()
    return [r for r in out if r is not None]


def decoder_runs(spec: Path = SPEC, root: Path | str | None = None) -> tuple[list[Run], str]:
    """The stored decoder runs of ``spec`` in ``root`` (default: the spec's store; steps to > 95% greedy
    validation accuracy, censored at the budget) and a note; no runs (and the reason) when it holds none."""
    from numerics import store
    from numerics.sweep import load_spec
    from numerics.transformer import SOLVED, first_step_above

    sp = load_spec(spec)
    root = Path(root) if root else sp.store
    if not root.is_dir():
        return [], (f"no stored decoder runs ({root} missing): run python -m numerics.sweep "
                    f"{spec.parent.name}/{spec.name}" + (f" --store {root}" if root != sp.store else ""))
    try:
        frame = store.load(root)
    except store.StoreError as exc:
        raise ValueError(str(exc)) from None
    keys = {store.config_key(c.as_dict()): c for c in sp.runs}
    frame = frame[frame["run"].isin(keys)] if len(frame) else frame
    runs = []
    for key, curve in (frame.groupby("run", sort=False) if len(frame) else ()):
        c = keys[key]
        curve = curve.sort_values("step")
        hit = first_step_above(curve, SOLVED)
        scheme = c.partial or ("full" if c.supervision == "subtasks" else "none")
        labels, gates, fanin = shape(scheme, c.d, c.seed)
        runs.append(Run("decoder", scheme, c.partial_mode, c.d, c.seed,
                        int(hit) if math.isfinite(hit) else c.max_steps, math.isfinite(hit), labels, gates, fanin,
                        float(curve["seconds"].iloc[-1])))
    note = f"{len(runs)} of the spec's {len(sp.runs)} runs stored in {root}"
    return runs, note


def measure(config: Config) -> Data:
    """Train every (scheme, d, seed) RNN run of the config; read the decoder spec's stored runs."""
    if not config.seeds or not config.schemes:
        raise ValueError("give at least one seed and one scheme")
    for name in ("d", "seeds", "schemes"):
        if len(set(getattr(config, name))) != len(getattr(config, name)):
            raise ValueError(f"--{name}: values must be distinct")
    configs = [train_config(config, s, d, seed) for d in config.d for s in config.schemes for seed in config.seeds]
    runs = _execute(configs, config.workers)
    ntk_rows = ntk_norms(config.schemes, config.ntk_d) if config.ntk_d else []
    note = ""
    if config.decoder:
        dec, note = decoder_runs(SPEC, config.decoder_store or None)
        runs = [*runs, *dec]
    return Data(tuple(runs), config, note, tuple(ntk_rows))


# ---------------------------------------------------------------------------------------------- the rule
def _fit(runs: Sequence[Run], x: str, reps: int) -> stats.Fit:
    if len(runs) < 2:
        return stats.Fit(math.nan, math.nan, (math.nan, math.nan), stats.LEVEL, len(runs), "aft-lognormal")
    return stats.censored_fit([getattr(r, x) for r in runs], [r.steps for r in runs], [r.observed for r in runs],
                              reps=reps, seed=0)


def _identified(fit: stats.Fit) -> bool:
    return all(math.isfinite(v) for v in (fit.slope, *fit.slope_ci))


def table(runs: Sequence[Run]) -> list[dict[str, Any]]:
    """Per (scheme, d): runs, learned, median steps over all runs (a censored run counts at its budget, so
    the median is a lower bound when runs are censored), min and max, supervised labels, largest fan-in."""
    rows = []
    for s in dict.fromkeys(r.scheme for r in runs):
        for d in sorted({r.d for r in runs if r.scheme == s}):
            sel = [r for r in runs if r.scheme == s and r.d == d]
            steps = np.array([r.steps for r in sel], float)
            rows.append({"scheme": s, "d": d, "runs": len(sel), "learned": sum(r.observed for r in sel),
                         "median_steps": float(np.median(steps)), "min_steps": float(steps.min()),
                         "max_steps": float(steps.max()), "labels": max(r.labels for r in sel),
                         "gates": sel[0].gates, "fanin": max(r.fanin for r in sel)})
    return rows


def format_table(rows: Sequence[dict[str, Any]]) -> str:
    """The table as text: one line per scheme (with its supervised labels), one column per d: median steps
    and learned/runs (a median with censored runs counts them at the budget: a lower bound)."""
    ds = sorted({r["d"] for r in rows})
    lines = ["scheme (labels) " + "".join(f"{'d=' + str(d):>18}" for d in ds)]
    for s in dict.fromkeys(r["scheme"] for r in rows):
        cells = {r["d"]: r for r in rows if r["scheme"] == s}
        labels = ",".join(sorted({str(r["labels"]) for r in cells.values()}))
        line = f"{s + ' (' + labels + ')':<16}"
        for d in ds:
            r = cells.get(d)
            cell = f"{r['median_steps']:.0f} ({r['learned']}/{r['runs']})" if r else "-"
            line += f"{cell:>18}"
        lines.append(line)
    return "\n".join(lines)


def figure(runs: Sequence[Run], title: str) -> Figure:
    """Steps vs d, one series per scheme: the median over seeds with min-max bars (censored runs at their
    budget)."""
    rows = table(runs)
    series = []
    for s in dict.fromkeys(r["scheme"] for r in rows):
        mine = [r for r in rows if r["scheme"] == s]
        series.append(Series(s, tuple(float(r["d"]) for r in mine), tuple(r["median_steps"] for r in mine),
                             lo=tuple(r["min_steps"] for r in mine), hi=tuple(r["max_steps"] for r in mine)))
    return Figure(title, "d (input bits)", "steps to learn", tuple(series), log_y=True,
                  notes=("median over seeds, bars min-max; a censored run counts at its budget",))


def ntk_comparisons(rows: Sequence[dict[str, Any]]) -> list[Comparison]:
    """Context: per scheme, the largest label norm at each d and its growth rate in d (OLS on log, t-interval)."""
    comps = []
    for s in dict.fromkeys(r["scheme"] for r in rows):
        mine = sorted((r for r in rows if r["scheme"] == s), key=lambda r: r["d"])
        for r in mine:
            comps.append(compare("NTK: largest sqrt(y^T K^-1 y) over the supervised labels (infinite width)",
                                 "Lemma 6-7, eq. 69-70", r["max_norm"], "ge", 0.0,
                                 params={"d": r["d"], "scheme": s, "fanin": r["fanin"]}, role="context",
                                 note="all 2^d inputs; unsupervised labels removed; one subset per d"))
        if len(mine) >= 3:
            fit = stats.exp_fit([r["d"] for r in mine], [r["max_norm"] for r in mine])
            comps.append(compare("NTK: growth rate in d of the largest label norm", "Lemma 6-7", fit.slope, "ci_above",
                                 0.0, interval=fit.slope_ci, level=fit.level,
                                 params={"scheme": s, "d": ",".join(str(r["d"]) for r in mine)}, role="context",
                                 note="OLS of ln norm on d"))
    return comps


def decide_part(runs: Sequence[Run], *, part: str, scope: str, reps: int,
                ntk: Sequence[dict[str, Any]] = ()) -> Finding:
    """The SUP finding of one architecture from its runs (the rule of the module docstring)."""
    by = {s: [r for r in runs if r.scheme == s] for s in dict.fromkeys(r.scheme for r in runs)}
    ds = ",".join(str(d) for d in sorted({r.d for r in runs}))

    def sizes(scheme: str) -> str:
        return ",".join(str(d) for d in sorted({r.d for r in by[scheme]}))
    if not by.get("full") or not by.get("none"):
        return Finding("SUP", "measured", (), part=part, scope=scope,
                       not_checked="needs runs of both extremes (schemes full and none)")
    fits = {s: _fit(rs, "d", reps) for s, rs in by.items()}
    full, none = fits["full"], fits["none"]
    why = None
    if not _identified(none):
        why = ("the no-supervision rate is not identified (learned at fewer than two sizes): "
               f"{_counts(by['none'])}; raise the budget or add smaller sizes")
    elif not math.isfinite(full.slope):
        why = f"the full-supervision rate is not identified: {_counts(by['full'])}"
    learned = sum(r.observed for r in by["full"])
    comps: list[Comparison] = [
        compare("full supervision: fraction of runs learned within the budget", SOURCE,
                Fraction(learned, len(by["full"])), "eq", 1, params={"scheme": "full", "d": sizes("full")},
                note="the paper's arm with sub-task supervision (T4, TAB1) learns fast"),
        compare("no supervision: rate r of log steps = a + r d, vs the full arm's rate", SOURCE, none.slope,
                "ci_above", full.slope, interval=none.slope_ci, level=none.level,
                params={"scheme": "none", "d": sizes("none")},
                note=f"reference: the full arm's rate {full.slope:.3g}; log-normal AFT, right-censored, "
                     "stratified bootstrap"),
    ]
    for s, fit in fits.items():
        if s == "none":
            continue
        labels = sorted({r.labels for r in by[s]})
        comps.append(compare(f"rate r of log steps = a + r d, scheme {s}", SOURCE, fit.slope, "ci_below", none.slope,
                             interval=fit.slope_ci, level=fit.level,
                             params={"scheme": s, "labels": ",".join(map(str, labels)), "d": sizes(s)}, role="context",
                             note="reference: the no-supervision rate (is the growth slower than end-to-end?)"))
    law = _fit(runs, "fanin", reps)
    comps.append(compare("pooled law: slope b of log steps = a + b k (k = largest fan-in left unsupervised)",
                         SOURCE, law.slope, "ci_above", 0.0, interval=law.slope_ci, level=law.level,
                         params={"k": ",".join(map(str, sorted({r.fanin for r in runs}))), "d": ds}, role="context",
                         note="every scheme and size pooled; k = 2 under full supervision, d/2 without"))
    comps.extend(ntk_comparisons(ntk))
    details = {"runs": [asdict(r) for r in runs], "table": table(runs), "ntk": list(ntk),
               "fits": {s: asdict(f) for s, f in fits.items()}, "fanin_law": asdict(law),
               "figures": [figure(runs, f"SUP {part}: steps to learn vs d per scheme").to_json()]}
    return Finding("SUP", "measured", tuple(comps), part=part, scope=scope, not_checked=why, details=details)


def _counts(runs: Sequence[Run]) -> str:
    return ", ".join(f"d={d}: {sum(r.observed for r in runs if r.d == d)}/{sum(r.d == d for r in runs)} learned"
                     for d in sorted({r.d for r in runs}))


def _scope(arch: str, config: Config, runs: Sequence[Run], note: str) -> str:
    ds, seeds = sorted({r.d for r in runs}), sorted({r.seed for r in runs})
    modes = sorted({r.mode for r in runs})
    if arch == "rnn":
        how = (f"the paper's RNN (only W trains), mini-batch SGD (m = {config.m}, eta = {config.eta}, batch "
               f"{config.batch}), budget {config.budget} steps (censoring), evaluated every {config.every} steps; "
               "learned = zero free-running error on all 2^d inputs")
    else:
        how = f"the GPT-style decoder of specs/supervision.toml; learned = > 95% greedy validation accuracy; {note}"
    return (f"an open question (no printed claim); {how}; d = {ds}, seeds {seeds}, unsupervised labels {modes}; "
            "single-run step counts vary across CPUs, the distribution over seeds is what is fitted")


def decide(data: Data) -> list[Finding]:
    """One finding per architecture with runs (the decoder part says why when it has none)."""
    out = []
    for arch in ("rnn", "decoder"):
        mine = [r for r in data.runs if r.arch == arch]
        if not mine:
            if arch == "decoder" and data.decoder_note:
                out.append(Finding("SUP", "measured", (), part=PARTS[arch], not_checked=data.decoder_note))
            continue
        out.append(decide_part(mine, part=PARTS[arch], scope=_scope(arch, data.config, mine, data.decoder_note),
                               reps=data.config.boot, ntk=data.ntk if arch == "rnn" else ()))
    return out


def check(config: Config | None = None) -> list[Finding]:
    """The SUP findings at the given (default quick) sizes."""
    return decide(measure(config or Config.quick()))


def planted_slow_full(runs: Sequence[Run]) -> list[Run]:
    """The control's runs: the ``full`` arm replaced by a copy of the ``none`` arm (same d, seed, steps,
    censoring): full supervision as slow as none."""
    keep = [r for r in runs if r.scheme != "full"]
    return [*keep, *(replace(r, scheme="full") for r in runs if r.scheme == "none")]


def planted_two_arms(runs: Sequence[Run]) -> list[Run]:
    """The control's runs when the measurement is already inconsistent: the paper's two arms planted on the
    measured sizes and seeds: every ``full`` run learned at its measured steps (its budget when censored), and
    the ``none`` arm those steps times e^(d - d_lo), all learned."""
    full = [r for r in runs if r.scheme == "full"]
    d_lo = min(r.d for r in full)
    slow = [replace(r, scheme="none", steps=round(r.steps * math.exp(r.d - d_lo)), observed=True) for r in full]
    return [*[r for r in runs if r.scheme not in ("full", "none")], *(replace(r, observed=True) for r in full),
            *slow]


def controls(findings: list[Finding]) -> list[Control]:
    """Two-sided, so the rule can flip either way: a measured part gets full supervision planted as slow as
    none (the rule must say inconsistent); an inconsistent part gets the paper's two arms planted on its own
    sizes and seeds (the rule must say measured)."""
    out = []
    for f in findings:
        runs = f.details.get("runs") if isinstance(f.details, dict) else None
        if not runs or not any(r["scheme"] == "full" for r in runs):
            continue
        measured = [Run(**r) for r in runs]
        if f.verdict == "inconsistent":
            plant, what = planted_two_arms(measured), ("the paper's two arms planted: full supervision learned at "
                                                       "its measured steps, none e^(d - d_lo) times slower")
        else:
            plant = planted_slow_full(measured)
            what = "the full-supervision arm replaced by a copy of the no-supervision arm"
        out.append(Control("SUP", what, decide_part(plant, part=f.part, scope=f.scope, reps=CONTROL_REPS),
                           part=f.part))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser("python -m verify.supervision", __doc__, Config)
    args = parser.parse_args(argv)
    config = cli.config(Config, args)
    findings = check(config)
    if args.verbose:
        for f in findings:
            if isinstance(f.details, dict) and f.details.get("table"):
                print(f"{f.part}: median steps to learn (learned/runs), budget x d", file=sys.stderr)
                print(format_table(f.details["table"]), file=sys.stderr)
    return cli.emit(findings, args, controls=controls(findings))


if __name__ == "__main__":
    sys.exit(cli.guarded(main))
