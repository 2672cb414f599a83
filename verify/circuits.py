"""Section 6 on real circuits (claim S6): a circuit's gates, topologically sorted, are sub-tasks Lemma 3 covers.

Statement (Section 6): any f in P has a polynomial-size circuit G = (V, E); "since both the AND and OR
logical gates can be decomposed into a boolean circuit with binary-tree like structure, we may assume that
the input degree of each vertex is O(1)"; a topological sort of G gives the intermediate labels S "with
length T := |V|", each label a gate l_v of O(1) earlier positions; Lemma 3 then puts every label in
H_phi(T, psi, N) with N, max deg psi_t, max |a_t,i| not growing with d, "phi(T, psi, N) = O(d)".

Method, for one output of a real circuit (ISCAS BENCH, AIGER; ``numerics.circuit_io``):

1. its cone of influence, fan-in reduced to <= k by balanced trees (``numerics.cone``, ``numerics.fanin``),
   checked against the original by simulation (all inputs for d <= 12, else 4096 seeded samples);
2. every label reads only earlier positions and at most k of them;
3. Lemma 3 per gate, exactly (``verify.lemma3``, labels y = 2 l_v - 1 as eq. 6 reads them): for every
   distinct truth table that occurs, psi through the nodes <w/|w|, e> the construction produces hits
   every value exactly (sympy), and its max |a_i| is at most Lemma 3's maximum over all gates of that
   fan-in; the largest coefficient and degree over the circuit's gates;
4. eq. 10 (``verify.phi``) with sub-task supervision (T = d + |S| - 1, N = max fan-in, D and A from
   step 3) and without (T = d, N = d: the answer as one gate of fan-in d, eq. 22's psi of its truth
   table, exact for d <= 6; above that only eq. 10's factor T^(16+3N) is given, a lower bound for D, A >= 1);
5. the printed length T := |V| against the sequence's T (eq. 13's convention, T = 3d/2 - 2 for parity).

With ``--train STEPS`` the paper's RNN (``numerics.train``, Algorithm 1 with mini-batches, a declared
learning rate) learns the chosen output with sub-task supervision and end to end, over seeds, on all 2^d
inputs; the row is "consistent" when sub-task supervision reaches zero free-running error on every seed
(Section 6's positive result), with the steps each mode needed beside it. Training is not part of the
quick ``check()``.

A separate row checks the "wide AND/OR become binary trees" sentence on its own: every AND/OR/XOR and
negation of fan-in 3..8 reduced to fan-in 2 is a tree of N - 1 gates and depth ceil(log2 N) computing the
same function on all inputs.

``check()`` runs this on ISCAS-85 c17, shipped as ``numerics/data/c17.bench`` (a copy of
``shared/data/circuits/c17.bench``).

Run: ``python -m verify.circuits FILE [--output NAME] [--max-fanin K] [--show N] [--json]``.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import sympy

import numerics
from numerics.circuit_io import CircuitFormatError, Netlist, read
from numerics.circuits import Circuit, Gate, all_inputs, named_table
from numerics.cone import Sequencing, describe, sequence
from numerics.fanin import equivalent, reduce_fanin
from verify import cli, lemma3, phi
from verify.report import Verdict

CLAIMS = ("S6",)

DATA = Path(numerics.__file__).parent / "data"
EXHAUSTIVE_D = 12  # equivalence on all 2^d inputs up to here
WIDE_KINDS = ("AND", "OR", "XOR", "NAND", "NOR", "XNOR")


@dataclass(frozen=True)
class GateCheck:
    """Lemma 3 for one distinct truth table of the circuit (labels +-1)."""

    table: tuple[int, ...]
    kind: str
    count: int
    fanin: int
    degree: int
    max_abs: sympy.Expr
    hits: bool
    lemma3_bound: sympy.Expr

    @property
    def within_bound(self) -> bool:
        return bool(self.max_abs <= self.lemma3_bound)


def gate_checks(circuit: Circuit) -> list[GateCheck]:
    """Lemma 3 for every distinct gate table of ``circuit`` (exact, through the real nodes)."""
    counts: dict[tuple[int, ...], list] = {}
    for gate in circuit.gates:
        counts.setdefault(gate.table, [gate.kind, 0])[1] += 1
    out = []
    for table, (kind, count) in counts.items():
        fanin = len(table).bit_length() - 1
        psi = lemma3.psi_for_gate(table, "pm1")
        hits = all(sympy.radsimp(sympy.expand(psi.as_expr().subs(lemma3.x, node))) == 2 * v - 1
                   for node, v in zip(lemma3.nodes(fanin), table, strict=True))
        value, _ = lemma3.gate_max_abs_coefficient(table, "pm1")
        out.append(GateCheck(table, kind, count, fanin, int(psi.degree()), value, hits,
                             lemma3.constants(fanin, "pm1").max_abs_coefficient))
    return out


def answer_table(circuit: Circuit) -> tuple[int, ...]:
    """The final answer as one gate of fan-in d: its truth table over all 2^d inputs."""
    return tuple(int(v) for v in circuit.evaluate(all_inputs(circuit.d))[:, -1])


@dataclass(frozen=True)
class PhiPair:
    """log10 of eq. 10 with and without sub-task supervision (C = 1, no polylog), and what each used."""

    with_sub: float
    without: float
    with_psi: phi.Psi
    without_psi: phi.Psi | None  # None: d > 6, only the T^(16+3N) factor (a lower bound)
    T_with: int
    T_without: int


def phi_pair(circuit: Circuit, checks: list[GateCheck]) -> PhiPair:
    """Eq. 10 for the circuit's sequence and for the end-to-end task (see the module docstring)."""
    degree = max(c.degree for c in checks)
    a2 = max((sympy.expand(c.max_abs**2) for c in checks), key=lambda v: float(v))
    with_psi = phi.Psi("lemma3 per gate", circuit.max_fanin, degree, a2)
    with_sub = phi.log10(phi.phi_value(circuit.T, with_psi))
    d = circuit.d
    if d <= lemma3.MAX_FANIN:
        table = answer_table(circuit)
        value, _ = lemma3.gate_max_abs_coefficient(table, "pm1")
        psi = phi.Psi("lemma3 (eq. 22, answer as one gate)", d, int(lemma3.psi_for_gate(table, "pm1").degree()),
                      sympy.expand(value**2))
        return PhiPair(with_sub, phi.log10(phi.phi_value(d, psi)), with_psi, psi, circuit.T, d)
    return PhiPair(with_sub, (16 + 3 * d) * math.log10(d), with_psi, None, circuit.T, d)


def wide_gate_rows(max_n: int = 8) -> Verdict:
    """Section 6's "AND/OR decompose into binary trees": every wide kind, fan-in 3..max_n, to fan-in 2."""
    bad = []
    for kind in WIDE_KINDS:
        for n in range(3, max_n + 1):
            wide = Circuit(n, (Gate(tuple(range(n)), named_table(kind, n), "y", kind),))
            tree = reduce_fanin(wide, 2)
            if not (len(tree.gates) == n - 1 and tree.depth() == math.ceil(math.log2(n)) and tree.max_fanin == 2
                    and equivalent(wide, tree, samples=1 << n)):
                bad.append(f"{kind}{n}")
    cases = len(WIDE_KINDS) * (max_n - 2)
    return Verdict(
        "S6", "holds" if not bad else "fails",
        f"wide gates -> binary trees: {cases - len(bad)}/{cases} of AND/OR/XOR/NAND/NOR/XNOR with fan-in 3..{max_n} "
        f"become N-1 fan-in-2 gates of depth ceil(log2 N), equal on all inputs (negation at the root only)"
        + (f"; failed: {', '.join(bad)}" if bad else ""),
        measured=cases - len(bad), claimed=cases, relation="eq")


@dataclass(frozen=True)
class CircuitReport:
    """Everything the S6 rows say about one output of one circuit."""

    source: str
    seq: Sequencing
    equivalent: bool
    equivalence: str
    reads_earlier: bool
    checks: list[GateCheck]
    phi: PhiPair
    seconds: float


def analyse(netlist: Netlist, source: str, output: str | None = None, max_fanin: int = 2) -> CircuitReport:
    start = time.perf_counter()
    seq = sequence(netlist, output, max_fanin)
    d = seq.circuit.d
    exhaustive = d <= EXHAUSTIVE_D
    same = equivalent(seq.original, seq.circuit, samples=1 << d if exhaustive else 4096, seed=0)
    reads_earlier = all(0 < g.fanin <= max_fanin and max(g.parents) < d + k for k, g in enumerate(seq.circuit.gates))
    checks = gate_checks(seq.circuit)
    pair = phi_pair(seq.circuit, checks)
    return CircuitReport(source, seq, same, "all inputs" if exhaustive else "4096 seeded inputs", reads_earlier,
                         checks, pair, time.perf_counter() - start)


def rows(report: CircuitReport) -> list[Verdict]:
    """The S6 verdict rows of one analysed circuit."""
    s, checks, p = report.seq, report.checks, report.phi
    b, a = s.before, s.after
    worst = max(checks, key=lambda c: float(c.max_abs))
    top_degree = max(c.degree for c in checks)
    ok = report.equivalent and report.reads_earlier and all(c.hits and c.within_bound for c in checks)
    without = (f"{p.without:.1f} (T={p.T_without}, N={s.circuit.d}, eq. 22 deg {p.without_psi.degree}, "
               f"max |a| {float(p.without_psi.max_abs):.4g})" if p.without_psi is not None
               else f">= {p.without:.1f} (T=N={p.T_without}: T^(16+3N) only)")
    evidence = (
        f"{report.source} output {s.output}: cone d={a.d}, |V|={b.V}->{a.V}, |S|={b.gates}->{a.gates}, T={a.T}, "
        f"depth {b.depth}->{a.depth}, max fan-in {b.max_fanin}->{a.max_fanin} (k={s.max_fanin}); "
        f"reduced == original on {report.equivalence}: {report.equivalent}; every label reads <= k earlier "
        f"positions: {report.reads_earlier}; Lemma 3: {sum(c.hits for c in checks)}/{len(checks)} distinct gate "
        f"tables interpolated exactly, max deg {top_degree}, max |a| = {worst.max_abs} = "
        f"{float(worst.max_abs):.4g} ({worst.kind or 'table'} fan-in {worst.fanin}; all-gate bound "
        f"{float(worst.lemma3_bound):.4g}); log10 phi (eq. 10, C=1) with sub-tasks {p.with_sub:.1f} "
        f"(T={p.T_with}, N={a.max_fanin}, D={top_degree}), without {without}"
    )
    structure = Verdict("S6", "holds" if ok else "fails", evidence,
                        measured={"V": a.V, "T": a.T, "S": a.gates, "depth": a.depth, "max_fanin": a.max_fanin,
                                  "max_abs_coefficient": float(worst.max_abs), "max_degree": top_degree,
                                  "log10_phi_subtasks": p.with_sub, "log10_phi_end_to_end": p.without},
                        claimed={"max_fanin": s.max_fanin, "lemma3": "every gate interpolated exactly"},
                        relation="le",
                        details={"gates": [{"table": "".join(map(str, c.table)), "kind": c.kind, "count": c.count,
                                            "fanin": c.fanin, "degree": c.degree, "max_abs": str(c.max_abs),
                                            "max_abs_float": float(c.max_abs), "hits": c.hits,
                                            "lemma3_bound": float(c.lemma3_bound)} for c in checks],
                                 "seconds": report.seconds})
    length = Verdict(
        "S6", "holds" if a.T == a.V else "erratum",
        f"{report.source} {s.output}: printed 'S with length T := |V|' gives T={a.V}; the sequence has "
        f"|S|={a.gates} labels and T = d + |S| - 1 = |V| - 1 = {a.T} positions (eq. 13's convention, "
        f"3d/2-2 for parity: the answer is never fed back); off by one, T stays polynomial in d",
        measured=a.T, claimed=a.V, relation="eq")
    return [structure, length]


@dataclass(frozen=True)
class TrainSetup:
    """Training for the S6 comparison: Algorithm 1 with mini-batches and a fixed, declared learning rate
    (Theorem 2's 1/(m sqrt n) is far too small at these widths)."""

    m: int = 256
    steps: int = 3000
    eta: float = 0.5
    batch: int = 32
    every: int = 50
    seeds: tuple[int, ...] = (0, 1, 2)


def compare_training(circuit: Circuit, setup: TrainSetup = TrainSetup()) -> pd.DataFrame:
    """Learning curves of the RNN on ``circuit`` with and without sub-task supervision.

    Returns the tidy frames of ``numerics.train.train`` stacked, with columns ``supervision`` and ``seed``.
    """
    from numerics.train import TrainConfig, threads, train

    frames = []
    with threads(1):  # small problems: one thread is fastest, and fair on a shared machine
        for supervision in ("subtasks", "end_to_end"):
            for seed in setup.seeds:
                config = TrainConfig(d=circuit.d, supervision=supervision, m=setup.m, algorithm=1,
                                     steps=setup.steps, eta=setup.eta, batch=setup.batch, every=setup.every,
                                     seed=seed, task=circuit.name)
                frames.append(train(config, circuit).assign(supervision=supervision, seed=seed))
    return pd.concat(frames, ignore_index=True)


def training_row(frame: pd.DataFrame, label: str) -> Verdict:
    """S6's positive result measured: does sub-task supervision learn the circuit (zero free-running error)?"""
    from numerics.train import steps_to_learn

    learned = {sup: [steps_to_learn(g) for _, g in frame[frame.supervision == sup].groupby("seed")]
               for sup in ("subtasks", "end_to_end")}
    final = frame[frame.metric == "fr_error"].sort_values("step").groupby(["supervision", "seed"]).value.last()

    def show(sup: str) -> str:
        steps = ", ".join("never" if s is None else str(s) for s in learned[sup])
        return f"{sup}: zero error at step [{steps}], final error mean {final[sup].mean():.3f}"

    ok = all(s is not None for s in learned["subtasks"])
    return Verdict("S6", "consistent" if ok else "inconsistent",
                   f"RNN on {label} ({len(learned['subtasks'])} seeds): {show('subtasks')}; {show('end_to_end')}",
                   measured=dict(learned), claimed="sub-task supervision learns", relation="rate")


def load(path: str | Path | None) -> tuple[Netlist, str, str | None]:
    """(netlist, label, default output): the file, or the shipped c17."""
    if path is not None:
        return read(path), Path(path).name, None
    return read(DATA / "c17.bench"), "c17", None


def check(path: str | Path | None = None, output: str | None = None, max_fanin: int = 2) -> list[Verdict]:
    """S6 rows for one circuit output (default: c17's first output) and the wide-gate row."""
    netlist, source, default_output = load(path)
    return [*rows(analyse(netlist, source, output or default_output, max_fanin)), wide_gate_rows()]


def detail(report: CircuitReport, show: int) -> str:
    s = report.seq
    lines = [f"{report.source}: output {s.output}, max fan-in k = {s.max_fanin} ({report.seconds:.3f} s)",
             f"{'':8}{'d':>6}{'|S|':>8}{'|V|':>8}{'T':>8}{'depth':>7}{'fan-in':>8}"]
    for label, sh in (("before", s.before), ("after", s.after)):
        lines.append(f"{label:8}{sh.d:>6}{sh.gates:>8}{sh.V:>8}{sh.T:>8}{sh.depth:>7}{sh.max_fanin:>8}")
    lines.append("\nLemma 3 per distinct gate (labels +-1):")
    lines.append(f"  {'kind':<6}{'table':<18}{'count':>6}{'N':>3}{'deg':>5}{'max |a|':>14}{'bound(N)':>14}  hits")
    for c in sorted(report.checks, key=lambda c: -float(c.max_abs)):
        lines.append(f"  {c.kind or '-':<6}{''.join(map(str, c.table)):<18}{c.count:>6}{c.fanin:>3}{c.degree:>5}"
                     f"{float(c.max_abs):>14.6g}{float(c.lemma3_bound):>14.6g}  {c.hits}")
    if show:
        lines.append(f"\nsub-task sequence (first {min(show, len(s.circuit.gates))} of {len(s.circuit.gates)}):")
        lines += ["  " + ln for ln in describe(s.circuit, show)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser("python -m verify.circuits", __doc__)
    parser.add_argument("file", nargs="?", type=Path, help="a .bench, .aag or .aig circuit (default: c17)")
    parser.add_argument("--output", help="which output's cone to sequence (default: the first)")
    parser.add_argument("--max-fanin", type=cli.int_in(2, lemma3.MAX_FANIN), default=2, metavar="K",
                        help=f"reduce gates to fan-in <= K (2..{lemma3.MAX_FANIN}; default 2)")
    parser.add_argument("--show", type=cli.int_in(0, 10**6), default=12, metavar="N",
                        help="print the first N sub-tasks (default 12)")
    parser.add_argument("--train", type=cli.int_in(0, 10**7), default=0, metavar="STEPS",
                        help="also train the RNN for STEPS steps with and without sub-tasks (3 seeds; d <= 16)")
    args = parser.parse_args(argv)
    try:
        netlist, source, default_output = load(args.file)
        report = analyse(netlist, source, args.output or default_output, args.max_fanin)
    except (CircuitFormatError, ValueError) as exc:
        raise cli.UsageError(str(exc)) from None
    out = [*rows(report), wide_gate_rows()]
    if args.train:
        if report.seq.circuit.d > 16:
            raise cli.UsageError(f"--train needs a cone of d <= 16 inputs, {report.seq.output} has d = "
                                 f"{report.seq.circuit.d}")
        frame = compare_training(report.seq.circuit, TrainSetup(steps=args.train, every=max(1, args.train // 60)))
        out.append(training_row(frame, f"{report.source}:{report.seq.output}"))
    return cli.emit(out, as_json=args.json, detail=detail(report, args.show))


if __name__ == "__main__":
    sys.exit(cli.guarded(main))
