"""Section 6 on real circuits (claim S6): a circuit's gates, topologically sorted, are sub-tasks Lemma 3 covers.

Statement (Section 6): any f in P has a polynomial-size circuit G = (V, E); "since both the AND and OR
logical gates can be decomposed into a boolean circuit with binary-tree like structure, we may assume that
the input degree of each vertex is O(1)"; a topological sort of G gives the intermediate labels S "with
length T := |V|", each label a gate l_v of O(1) earlier positions; Lemma 3 then puts every label in
H_phi(T, psi, N) with N, max deg psi_t, max |a_t,i| not growing with d, "phi(T, psi, N) = O(d)".

Method, per output of a real circuit (BENCH, AIGER, BLIF; ``numerics.circuit_io``, ``numerics.blif``):

1. its cone of influence (all outputs' cones from one backward sweep), wide gates reduced to fan-in <= k
   (balanced trees for AND/OR/XOR and negations, Shannon expansion for any other table;
   ``numerics.cone``, ``numerics.fanin``);
2. every label reads only earlier positions, at least one and at most k of them (counted on the raw
   label list, so a misordered sequence is caught);
3. the sequence recomputes the circuit: its final label against the netlist's own output, and every
   label that keeps a netlist signal's name against that signal, on ``samples`` seeded inputs of the
   whole netlist (bit-parallel); and the final label against the unreduced cone on all 2^d inputs of the
   cone when d <= ``exhaustive_d``;
4. Lemma 3 per distinct label table, exactly (``verify.lemma3``, labels y = 2 l_v - 1 as eq. 6 reads
   them): psi through the nodes the construction produces takes every label value (checked in exact
   rationals: psi(scale u_k) = sum_i r_i u_k^i), and its max |a_i| is at most Lemma 3's maximum over all
   gates of that fan-in;
5. the printed length "T := |V|" against the sequence: z = (x, labels but the last) has T = d + |S| - 1
   = |V| - 1 positions (eq. 13's convention, 3d/2 - 2 for parity; the answer is never fed back): an
   erratum whose conclusion (T polynomial in d) survives;
6. context, not deciding: log10 of eq. 10 (``verify.phi``, C = 1, no polylog) with sub-task supervision
   (T, N = max fan-in, D, A from step 4) and without (T = N = d: the answer as one gate, eq. 22's psi of
   its truth table for d <= 6; above that only the factor T^(16+3N), a lower bound). A failure to evaluate
   eq. 10 is a note in the row, never a traceback.

What cannot be analysed is one line in the row, never a traceback: a file that cannot be read, an output
tied to a constant (no gate computes it). An output that is a primary input is one BUF label (d = 1, T = 1);
a cone of NOT/BUF gates has fan-in 1.
Flip-flops (BENCH DFF, AIGER latches, BLIF .latch) are cut: their outputs are pseudo-inputs, their
next-state signals pseudo-outputs.

Rule: ``exact`` (verify.evidence). Per circuit, every "check" comparison (label violations 0, mismatches 0,
Lemma 3 misses 0, max |a| <= Lemma 3's bound, T = |V| - 1) must hold; "T = |V|" is the printed form
(role "printed"), so a circuit whose checks hold reads "erratum" (conclusion survives).
Controls: c17's sequence with its last label moved to the front (it then reads later positions and the
sequence no longer recomputes the output) must fail; wide gates reduced with the negation at every level of
the tree instead of the root only must fail.

The quick preset runs the circuits shipped in ``numerics/data`` (ISCAS-85 c17 with every output, MCNC
cm138a from BLIF with every output, EPFL priority from binary AIGER at its largest cone): exact and
decisive at that size, a few seconds. The suite over the public netlists is the CLI's:

    python -m verify.circuits PATH... [--all-outputs] [--out table.md|.csv|.json]

one row per circuit (the largest cone; ``--all-outputs``: one per output) with inputs, outputs, gates,
d, T, depth and max fan-in before -> after reduction, the largest Lemma 3 constant, log10 phi with and
without sub-tasks, the S6 verdict, a note and seconds. ``--out`` writes that table (missing folders are
created). With ``--train STEPS`` (one file) the paper's RNN learns the chosen cone with and without
sub-task supervision (``compare_training``; rule ``empirical``).
"""

from __future__ import annotations

import functools
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sympy

import numerics
from numerics.circuit_io import CircuitFormatError, Netlist, read
from numerics.circuits import (
    WIDE_KINDS,
    Circuit,
    Gate,
    all_inputs,
    evaluate_gates,
    evaluate_packed,
    named_table,
    pack,
)
from numerics.cone import Sequencing, describe, largest_output, sequence_all
from numerics.fanin import _tree, reduce_fanin
from verify import cli, lemma3, phi
from verify.evidence import Comparison, Control, Finding, compare

CLAIMS = ("S6",)

DATA = Path(numerics.__file__).parent / "data"
SUFFIXES = (".bench", ".aag", ".aig", ".blif")
SHIPPED = ("c17.bench", "cm138a.blif", "priority.aig")


# ------------------------------------------------------------------------------------------------ config
@dataclass(frozen=True)
class Config:
    """What S6 runs on and how hard it checks (fields are the CLI flags)."""

    circuits: tuple[str, ...] = field(default=SHIPPED, metadata={
        "help": "circuits of the check (names in numerics/data, or paths); positional PATHs run the suite instead",
        "cli": False})
    every_output: tuple[str, ...] = field(default=SHIPPED[:2], metadata={
        "help": "circuits of the check analysed at every output (the others at their largest cone)", "cli": False})
    all_outputs: bool = field(default=False, metadata={
        "help": "analyse every output (default: the output with the largest cone; the shipped c17 and cm138a "
                "always use every output)"})
    output: str = field(default="", metadata={"help": "analyse only this output (one file)"})
    max_fanin: int = field(default=2, metadata={"help": "reduce gates to fan-in <= K", "range": (2, 6)})
    samples: int = field(default=4096, metadata={"help": "seeded inputs of the whole netlist for the recompute check",
                                                  "range": (64, 1 << 20)})
    exhaustive_d: int = field(default=12, metadata={"help": "also check every input of the cone when d <= this",
                                                     "range": (0, 20)})
    seed: int = field(default=0, metadata={"help": "seed of the sampled inputs", "range": (0, 2**32 - 1)})
    wide_max: int = field(default=8, metadata={"help": "wide-gate check: fan-in 3..WIDE_MAX", "range": (3, 12)})

    @classmethod
    def quick(cls) -> Config:
        return cls()

    @classmethod
    def full(cls) -> Config:
        return cls(all_outputs=True, samples=16384, exhaustive_d=16, wide_max=10)


# ------------------------------------------------------------------------------------------------ Lemma 3
@dataclass(frozen=True)
class TableCheck:
    """Lemma 3 for one distinct label table (labels +-1): degree, max |a_i|, nodes missed, the all-gate bound."""

    table: tuple[int, ...]
    fanin: int
    count: int
    degree: int
    max_abs: sympy.Expr
    misses: int
    bound: sympy.Expr


@functools.cache
def _lemma3_table(table: tuple[int, ...]) -> tuple[int, sympy.Expr, int, sympy.Expr]:
    """(degree, max |a_i|, nodes where psi misses the label, Lemma 3's max over all gates of this fan-in)."""
    fanin = len(table).bit_length() - 1
    basis = lemma3.real_basis(fanin)
    r = lemma3.rational_coefficients(table, "pm1", basis)
    values = lemma3.label_values(table, "pm1")
    # psi(scale * u_k) = sum_i a_i (scale u_k)^i = sum_i r_i u_k^i: exact rationals.
    misses = sum(sum((ri * u**i for i, ri in enumerate(r)), Fraction(0)) != v for u, v in zip(basis.u, values,
                                                                                               strict=True))
    degree = max((i for i, ri in enumerate(r) if ri != 0), default=0)
    value, _ = lemma3.gate_max_abs_coefficient(table, "pm1")
    return degree, value, misses, lemma3.constants(fanin, "pm1").max_abs_coefficient


def lemma3_checks(gates: Sequence[Gate]) -> list[TableCheck]:
    """Lemma 3 for every distinct table among ``gates`` (fan-in 1..6)."""
    counts: dict[tuple[int, ...], int] = {}
    for g in gates:
        counts[g.table] = counts.get(g.table, 0) + 1
    out = []
    for table, count in counts.items():
        fanin = len(table).bit_length() - 1
        if not 1 <= fanin <= 6:
            continue  # counted by the label check (fan-in 0 or > k)
        degree, value, misses, bound = _lemma3_table(table)
        out.append(TableCheck(table, fanin, count, degree, value, misses, bound))
    return out


# ------------------------------------------------------------------------------------------------ phi
@dataclass(frozen=True)
class PhiPair:
    """log10 of eq. 10 (C = 1, no polylog) with and without sub-tasks; None with a note where not evaluated."""

    with_sub: float | None
    without: float | None
    without_exact: bool  # False: d > 6, only the factor T^(16+3N) (a lower bound)
    note: str = ""


def _log10_phi(t: int, n: int, degree: int, a2: sympy.Expr) -> float | None:
    value = phi.phi_value(t, phi.Psi("eq. 10", n, degree, a2))
    out = phi.log10(value)
    return out if math.isfinite(out) else None


def phi_pair(circuit: Circuit, checks: Sequence[TableCheck], answer: tuple[int, ...] | None) -> PhiPair:
    """Eq. 10 for the sequence and for the end-to-end task (module docstring, step 6); never raises."""
    try:
        degree = max(c.degree for c in checks)
        a2 = max((sympy.expand(c.max_abs**2) for c in checks), key=lambda v: float(v))
        with_sub = _log10_phi(circuit.T, circuit.max_fanin, degree, a2)
        d = circuit.d
        if answer is not None:
            _, value, _, _ = _lemma3_table(answer)
            deg, _, _, _ = _lemma3_table(answer)
            return PhiPair(with_sub, _log10_phi(d, d, deg, sympy.expand(value**2)), True)
        return PhiPair(with_sub, (16 + 3 * d) * math.log10(d), False)
    except (ValueError, TypeError, ArithmeticError) as exc:
        return PhiPair(None, None, False, f"eq. 10 not evaluated: {type(exc).__name__}: {exc}")


# ------------------------------------------------------------------------------------------------ measure
@dataclass(frozen=True)
class OutputData:
    """What S6 measured on one output of one circuit (``reason`` set: nothing could be measured, and why)."""

    output: str
    reason: str = ""
    before: Any = None  # numerics.cone.Shape
    after: Any = None
    max_fanin: int = 2
    labels: int = 0
    label_violations: int = 0
    samples: int = 0
    final_mismatches: int = 0
    named_labels: int = 0
    named_mismatches: int = 0
    exhaustive: int = 0  # inputs checked against the unreduced cone (0: d too large)
    exhaustive_mismatches: int = 0
    tables: tuple[TableCheck, ...] = ()
    phi: PhiPair | None = None
    seconds: float = 0.0


@dataclass(frozen=True)
class CircuitData:
    """One circuit file: its size and every analysed output (``error``: the file could not be read)."""

    source: str
    inputs: int = 0
    outputs: int = 0
    latches: int = 0
    gates: int = 0
    choice: str = ""  # which outputs: "all outputs", "largest cone", "output NAME"
    results: tuple[OutputData, ...] = ()
    error: str = ""
    seconds: float = 0.0


@dataclass(frozen=True)
class WideData:
    """Wide gates reduced to fan-in 2, per kind: worst |gates - (N-1)|, |depth - ceil(log2 N)|, mismatches."""

    max_n: int
    gate_excess: dict[str, int]
    depth_excess: dict[str, int]
    mismatches: dict[str, int]
    planted: str = ""


@dataclass(frozen=True)
class Data:
    circuits: tuple[CircuitData, ...]
    wide: WideData | None


def label_violations(n_inputs: int, gates: Sequence[Gate], k: int) -> int:
    """Labels that read no position, more than k positions, or a position not earlier than their own."""
    return sum(1 for g, gate in enumerate(gates)
               if not 1 <= gate.fanin <= k or min(gate.parents) < 0 or max(gate.parents) >= n_inputs + g)


def _bits(v: int) -> int:
    return int(v).bit_count()


def measure_output(netlist: Netlist, seq: Sequencing, gates: Sequence[Gate], net_values: dict[str, int],
                   columns: dict[str, int], config: Config) -> OutputData:
    """Steps 2-4 and 6 on one output's sequence ``gates`` over the cone inputs of ``seq.circuit``.

    ``gates`` is normally ``seq.circuit.gates``; the control passes a planted list. ``net_values`` holds the
    netlist's signals and outputs on the sampled inputs (bit-parallel), ``columns`` its input columns.
    """
    start = time.perf_counter()
    circuit = seq.circuit
    n, k = circuit.n_inputs, seq.max_fanin
    batch = config.samples
    full = (1 << batch) - 1
    values = evaluate_packed(n, gates, [columns[nm] for nm in circuit.input_names], batch)
    final_mismatches = _bits((values[-1] ^ net_values[seq.output]) & full)
    named = [(g, gate.name) for g, gate in enumerate(gates) if gate.name in net_values and gate.name != seq.output]
    named_mismatches = sum(1 for g, nm in named if (values[n + g] ^ net_values[nm]) & full)
    exhaustive = exhaustive_mismatches = 0
    if n <= config.exhaustive_d:
        x = all_inputs(n)
        want = evaluate_gates(n, seq.original.gates, x)[:, -1]
        got = evaluate_gates(n, gates, x)[:, -1]
        exhaustive, exhaustive_mismatches = len(x), int(np.count_nonzero(want != got))
    tables = lemma3_checks(gates)
    answer = None
    if 1 <= n <= 6:
        answer = tuple(int(v) for v in evaluate_gates(n, seq.original.gates, all_inputs(n))[:, -1])
    pair = phi_pair(circuit, tables, answer) if tables else PhiPair(None, None, False, "no Lemma 3 table")
    return OutputData(seq.output, "", seq.before, seq.after, k, len(gates), label_violations(n, gates, k), batch,
                      final_mismatches, len(named), named_mismatches, exhaustive, exhaustive_mismatches,
                      tuple(tables), pair, time.perf_counter() - start)


def netlist_values(netlist: Netlist, config: Config) -> tuple[dict[str, int], dict[str, int]]:
    """(signal and output name -> packed values, input name -> packed column) on ``samples`` seeded inputs."""
    x = np.random.default_rng(config.seed).integers(0, 2, size=(config.samples, netlist.n_inputs), dtype=np.uint8)
    cols = pack(x)
    values = evaluate_packed(netlist.n_inputs, netlist.gates, cols, config.samples)
    out = {netlist.signal_name(p): v for p, v in enumerate(values)}
    constants = dict(netlist.constants)
    full = (1 << config.samples) - 1
    for name, pos in netlist.all_outputs:
        out[name] = (full if constants[name] else 0) if pos is None else values[pos]
    return out, dict(zip(netlist.input_names, cols, strict=True))


def _resolve(name: str) -> Path:
    path = Path(name)
    return path if path.exists() or path.is_absolute() or len(path.parts) > 1 else DATA / name


def measure_file(path: str | Path, config: Config, every_output: bool | None = None) -> CircuitData:
    """Read one circuit file and measure the chosen outputs; a file that cannot be read is a CircuitData with
    ``error`` (never an exception for bad input)."""
    start = time.perf_counter()
    path = Path(path)
    source = path.name
    try:
        netlist = read(path)
    except (CircuitFormatError, ValueError) as exc:
        return CircuitData(source, error=str(exc), seconds=time.perf_counter() - start)
    n_pi = netlist.n_inputs - len(netlist.latches)
    head = {"inputs": n_pi, "outputs": len(netlist.outputs), "latches": len(netlist.latches),
            "gates": len(netlist.gates)}
    try:
        if config.output:
            names, choice = [config.output], f"output {config.output}"
        elif every_output if every_output is not None else config.all_outputs:
            names, choice = list(netlist.output_names), "all outputs"
        else:
            names, choice = [largest_output(netlist)], "largest cone"
        seqs = sequence_all(netlist, config.max_fanin, names)
        net_values, columns = netlist_values(netlist, config)
        results = tuple(OutputData(nm, reason=s) if isinstance(s, str)
                        else measure_output(netlist, s, s.circuit.gates, net_values, columns, config)
                        for nm, s in seqs.items())
    except ValueError as exc:  # an unknown --output, every output constant, a constant gate to reduce
        return CircuitData(source, **head, error=str(exc), seconds=time.perf_counter() - start)
    return CircuitData(source, **head, choice=choice, results=results, seconds=time.perf_counter() - start)


def measure_wide(max_n: int, planted: bool = False) -> WideData:
    """Every wide kind of fan-in 3..max_n reduced to fan-in 2 (``planted``: negation at every tree level)."""
    gate_excess, depth_excess, mismatches = {}, {}, {}
    for kind in WIDE_KINDS:
        ge = de = mm = 0
        for n in range(3, max_n + 1):
            wide = Circuit(n, (Gate(tuple(range(n)), named_table(kind, n), "y", kind),))
            if planted:
                gates: list[Gate] = []
                _tree(list(range(n)), kind, kind, 2, "y", n, gates)
                tree = Circuit(n, tuple(gates))
            else:
                tree = reduce_fanin(wide, 2)
            x = all_inputs(n)
            ge = max(ge, abs(len(tree.gates) - (n - 1)))
            de = max(de, abs(tree.depth() - math.ceil(math.log2(n))))
            mm += int(np.count_nonzero(wide.evaluate(x)[:, -1] != tree.evaluate(x)[:, -1]))
        gate_excess[kind], depth_excess[kind], mismatches[kind] = ge, de, mm
    return WideData(max_n, gate_excess, depth_excess, mismatches,
                    "negation at every level of the tree" if planted else "")


def measure(config: Config) -> Data:
    """The shipped circuits (c17 and cm138a with every output) and the wide-gate reduction."""
    files = [_resolve(c) for c in config.circuits]
    circuits = tuple(measure_file(p, config, True if p.name in config.every_output else None) for p in files)
    return Data(circuits, measure_wide(config.wide_max))


# ------------------------------------------------------------------------------------------------ decide
def output_comparisons(source: str, r: OutputData) -> list[Comparison]:
    """The comparisons of one analysed output (empty when it has a ``reason``)."""
    if r.reason:
        return []
    a = r.after
    p = {"circuit": source, "output": r.output, "d": a.d, "k": r.max_fanin}
    comps = [
        compare("labels reading no, > k or non-earlier positions", "Section 6 (O(1) in-degree, topological order)",
                r.label_violations, "eq", 0, params={**p, "labels": r.labels}),
        compare("inputs where the final label != the netlist's output", "Section 6 (S computes f)",
                r.final_mismatches, "eq", 0, params={**p, "seeded inputs": r.samples}),
        compare("named labels != the netlist's signal", "Section 6 (labels are the gates l_v)", r.named_mismatches,
                "eq", 0, params={**p, "named labels": r.named_labels, "seeded inputs": r.samples}),
    ]
    if r.exhaustive:
        comps.append(compare("inputs where the reduced cone != the unreduced cone", "Section 6 (binary trees)",
                             r.exhaustive_mismatches, "eq", 0, params={**p, "inputs": r.exhaustive}))
    if r.tables:
        comps.append(compare("label values psi misses at the real nodes", "Lemma 3, eq. 22",
                             sum(t.misses * t.count for t in r.tables), "eq", 0,
                             params={**p, "distinct tables": len(r.tables)}))
        for fanin in sorted({t.fanin for t in r.tables}):
            worst = max((t for t in r.tables if t.fanin == fanin), key=lambda t: float(t.max_abs))
            comps.append(compare("max |a_i| over the labels' psi", "Lemma 3 (max over all gates of fan-in N)",
                                 worst.max_abs, "le", worst.bound,
                                 params={**p, "N": fanin, "table": "".join(map(str, worst.table))}))
    comps.append(compare("sequence length T", "Section 6 'T := |V|'", a.T, "eq", a.V, params=p, role="printed"))
    comps.append(compare("sequence length T", "eq. 13's convention: d + |S| - 1", a.T, "eq", a.V - 1, params=p,
                         role="corrected"))
    if r.phi is not None and r.phi.with_sub is not None and r.phi.without is not None:
        comps.append(compare("log10 phi with sub-tasks", "eq. 10 (C = 1)", r.phi.with_sub,
                             "lt" if r.phi.without_exact else "le", r.phi.without, params=p, role="context",
                             note="right side: end to end" + ("" if r.phi.without_exact
                                                              else ", lower bound T^(16+3N) only")))
    return comps


def circuit_finding(c: CircuitData) -> Finding:
    """One circuit: every analysed output's comparisons, rule ``exact``; unreadable / nothing analysable
    reads not yet checked with the reason."""
    notes = [f"{r.output}: {r.reason}" for r in c.results if r.reason]
    notes += [f"{r.output}: {r.phi.note}" for r in c.results if r.phi is not None and r.phi.note]
    comps = [x for r in c.results for x in output_comparisons(c.source, r)]
    why = c.error or (None if comps else "; ".join(notes) or "no output to analyse")
    scope = (f"{c.source}: {c.inputs} inputs, {c.outputs} outputs, {c.latches} flip-flops cut, {c.gates} gates; "
             f"{c.choice}" + (f"; {'; '.join(notes)}" if notes and comps else ""))
    return Finding("S6", "exact", tuple(comps), part=c.source, scope=scope if not c.error else "",
                   printed="T := |V|", corrected="T = |V| - 1 = d + |S| - 1 (the answer is never fed back)",
                   conclusion_survives=True, not_checked=why,
                   details={"seconds": round(c.seconds, 3)})


def wide_finding(w: WideData) -> Finding:
    comps = []
    for kind in WIDE_KINDS:
        params = {"kind": kind, "N": f"3..{w.max_n}"}
        comps += [compare("max |gates - (N - 1)|", "Section 6 (binary trees)", w.gate_excess[kind], "eq", 0,
                          params=params),
                  compare("max |depth - ceil(log2 N)|", "Section 6 (binary trees)", w.depth_excess[kind], "eq", 0,
                          params=params),
                  compare("inputs where the tree != the wide gate", "Section 6 (binary trees)", w.mismatches[kind],
                          "eq", 0, params=params)]
    return Finding("S6", "exact", tuple(comps), part="wide gates",
                   scope=f"AND/OR/XOR/NAND/NOR/XNOR of fan-in 3..{w.max_n} to fan-in 2, on all inputs"
                   + (f" (planted: {w.planted})" if w.planted else ""))


def decide(data: Data) -> list[Finding]:
    """Rule ``exact`` per circuit and for the wide gates (module docstring)."""
    out = [circuit_finding(c) for c in data.circuits]
    if data.wide is not None:
        out.append(wide_finding(data.wide))
    return out


def check(config: Config | None = None) -> list[Finding]:
    """S6 on the shipped circuits and the wide-gate reduction (quick preset: a few seconds)."""
    return decide(measure(config or Config.quick()))


def controls(findings: list[Finding]) -> list[Control]:
    """c17 with its last label moved to the front; wide gates with the negation at every tree level."""
    config = Config.quick()
    netlist = read(DATA / "c17.bench")
    seq = sequence_all(netlist, 2, ["G22gat"])["G22gat"]
    assert not isinstance(seq, str)
    gates = seq.circuit.gates
    planted = (gates[-1], *gates[:-1])
    net_values, columns = netlist_values(netlist, config)
    bad = measure_output(netlist, seq, planted, net_values, columns, config)
    planted_circuit = CircuitData("c17.bench", 5, 2, 0, 6, "output G22gat (planted)", (bad,))
    return [Control("S6", "c17's sequence for G22gat with its last label moved to the front",
                    circuit_finding(planted_circuit), part="c17.bench"),
            Control("S6", "wide gates reduced with the negation at every level of the tree",
                    wide_finding(measure_wide(config.wide_max, planted=True)), part="wide gates")]


# ------------------------------------------------------------------------------------------------ suite
def expand(paths: Sequence[str | Path]) -> list[Path]:
    """Files and folders (recursively: every .bench/.aag/.aig/.blif), in the order given, folders sorted."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUFFIXES)
        else:
            out.append(p)  # a missing file becomes a row that says so
    return out


def _fmt(v: float | None, digits: int = 1) -> str:
    return "" if v is None else f"{v:.{digits}f}"


def suite_rows(c: CircuitData) -> list[dict[str, Any]]:
    """Table rows of one circuit: one per analysed output, or one saying why there is none."""
    base = {"circuit": c.source, "inputs": c.inputs, "outputs": c.outputs, "latches": c.latches,
            "gates": c.gates}
    if c.error or not c.results:
        finding = circuit_finding(c)
        return [{**base, "output": "", "verdict": finding.verdict, "note": c.error or finding.not_checked or "",
                 "seconds": round(c.seconds, 3)}]
    rows = []
    for r in c.results:
        finding = circuit_finding(CircuitData(c.source, c.inputs, c.outputs, c.latches, c.gates, c.choice, (r,)))
        row: dict[str, Any] = {**base, "output": r.output + (" (largest cone)" if c.choice == "largest cone" else "")}
        if not r.reason:
            b, a = r.before, r.after
            worst = max(r.tables, key=lambda t: float(t.max_abs)) if r.tables else None
            bad = [x for x in finding.comparisons if x.role == "check" and not x.holds]
            row.update({"d": a.d, "T": a.T, "|V|": a.V, "depth": f"{b.depth}->{a.depth}",
                        "max fan-in": f"{b.max_fanin}->{a.max_fanin}",
                        "max |a| (Lemma 3)": "" if worst is None else f"{float(worst.max_abs):.4g}",
                        "log10 phi sub-tasks": _fmt(r.phi.with_sub if r.phi else None),
                        "log10 phi end to end": ("" if r.phi is None or r.phi.without is None else
                                                 ("" if r.phi.without_exact else ">= ") + _fmt(r.phi.without))})
            note = "; ".join(x.quantity for x in bad) or (r.phi.note if r.phi else "")
        else:
            note = r.reason
        seconds = c.seconds if len(c.results) == 1 else r.seconds  # one output: the file's read + analysis
        row.update({"verdict": finding.verdict, "note": note, "seconds": round(seconds, 3)})
        rows.append(row)
    return rows


def run_suite(paths: Sequence[str | Path], config: Config, progress: bool = True) -> pd.DataFrame:
    """The suite table over files and folders (one row per circuit, or per output with ``all_outputs``)."""
    from tqdm import tqdm

    files = expand(paths)
    rows: list[dict[str, Any]] = []
    bar = tqdm(files, desc="circuits", unit="file", disable=None if progress else True, file=sys.stderr)
    for path in bar:
        bar.set_postfix_str(path.name)
        rows += suite_rows(measure_file(path, config))
    columns = ["circuit", "inputs", "outputs", "latches", "gates", "output", "d", "T", "|V|", "depth", "max fan-in",
               "max |a| (Lemma 3)", "log10 phi sub-tasks", "log10 phi end to end", "verdict", "note", "seconds"]
    frame = pd.DataFrame(rows).reindex(columns=columns)
    for col in ("inputs", "outputs", "latches", "gates", "d", "T", "|V|"):
        frame[col] = frame[col].map(lambda v: "" if pd.isna(v) else int(v)).astype(object)
    frame = frame.astype(object)
    return frame.where(frame.notna(), "")


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """The suite table as .md, .csv, .json or .parquet (missing folders are created)."""
    suffix = path.suffix.lower()
    if suffix not in {".md", ".csv", ".json", ".parquet"}:
        raise ValueError(f"--out {path}: the suite table is written as .md, .csv, .json or .parquet")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".md":
        path.write_text(markdown(frame) + "\n")
    elif suffix == ".csv":
        frame.to_csv(path, index=False)
    elif suffix == ".json":
        path.write_text(frame.to_json(orient="records", indent=1))
    else:
        frame.astype(str).to_parquet(path, index=False)


def markdown(frame: pd.DataFrame) -> str:
    cols = list(frame.columns)
    lines = ["| " + " | ".join(str(c).replace("|", "\\|") for c in cols) + " |", "|" + "---|" * len(cols)]
    for _, row in frame.iterrows():
        lines.append("| " + " | ".join(str(row[c]).replace("|", "\\|") for c in cols) + " |")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------ training
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


def training_finding(frame: pd.DataFrame, label: str) -> Finding:
    """S6's positive result measured (rule ``empirical``): every seed with sub-task supervision reaches zero
    free-running error within the budget (a run that does not is censored at the budget, and fails the
    rule); end to end is context."""
    from numerics.train import steps_to_learn

    learned = {sup: [steps_to_learn(g) for _, g in frame[frame.supervision == sup].groupby("seed")]
               for sup in ("subtasks", "end_to_end")}
    budget = int(frame.step.max())
    comps = [compare("seeds reaching zero free-running error", "Section 6 (sub-task supervision learns f)",
                     sum(s is not None for s in learned["subtasks"]), "eq", len(learned["subtasks"]),
                     params={"circuit": label, "supervision": "subtasks", "steps": budget}),
             compare("seeds reaching zero free-running error", "end to end (no sub-tasks)",
                     sum(s is not None for s in learned["end_to_end"]), "ge", 0,
                     params={"circuit": label, "supervision": "end_to_end", "steps": budget}, role="context")]
    return Finding("S6", "empirical", tuple(comps), part=f"RNN on {label}",
                   details={k: [None if s is None else int(s) for s in v] for k, v in learned.items()})


# ------------------------------------------------------------------------------------------------ CLI
def detail(c: CircuitData, show: int) -> str:
    """Per output: shapes before/after, Lemma 3 per distinct table, the first ``show`` sub-tasks."""
    lines = []
    if c.error:
        return f"{c.source}: {c.error}"
    for r in c.results:
        if r.reason:
            lines.append(f"{c.source}: output {r.output}: {r.reason}")
            continue
        lines += [f"{c.source}: output {r.output}, max fan-in k = {r.max_fanin} ({r.seconds:.3f} s)",
                  f"{'':8}{'d':>6}{'|S|':>8}{'|V|':>8}{'T':>8}{'depth':>7}{'fan-in':>8}"]
        for label, sh in (("before", r.before), ("after", r.after)):
            lines.append(f"{label:8}{sh.d:>6}{sh.gates:>8}{sh.V:>8}{sh.T:>8}{sh.depth:>7}{sh.max_fanin:>8}")
        lines.append(f"  {'table':<18}{'count':>6}{'N':>3}{'deg':>5}{'max |a|':>14}{'bound(N)':>14}{'misses':>8}")
        for t in sorted(r.tables, key=lambda t: -float(t.max_abs)):
            lines.append(f"  {''.join(map(str, t.table)):<18}{t.count:>6}{t.fanin:>3}{t.degree:>5}"
                         f"{float(t.max_abs):>14.6g}{float(t.bound):>14.6g}{t.misses:>8}")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser("python -m verify.circuits", __doc__, Config)
    parser.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                        help="circuit files or folders (.bench .aag .aig .blif): run the suite, one row per circuit "
                             "(--out then writes the table: .md .csv .json .parquet)")
    parser.add_argument("--show", type=cli.int_in(0, 10**6), default=0, metavar="N",
                        help="one file: print the first N sub-tasks of each analysed output (default 0)")
    parser.add_argument("--train", type=cli.int_in(0, 10**7), default=0, metavar="STEPS",
                        help="one file: also train the RNN for STEPS steps with and without sub-tasks (3 seeds; "
                             "d <= 16)")
    args = parser.parse_args(argv)
    config = cli.config(Config, args)
    if not args.paths:
        if args.train or args.show:
            raise cli.UsageError("--train and --show need one circuit file")
        findings = check(config)
        return cli.emit(findings, args, controls=controls(findings))
    for path in args.out:
        if path.suffix.lower() not in {".md", ".csv", ".json", ".parquet"}:
            raise cli.UsageError(f"--out {path}: the suite table is written as .md, .csv, .json or .parquet")
    if len(args.paths) == 1 and args.paths[0].is_file() and (args.show or args.train):
        return _one_file(args, config)
    start = time.perf_counter()
    frame = run_suite(args.paths, config)
    if args.json:
        print(frame.to_json(orient="records", indent=1))
    else:
        with pd.option_context("display.max_rows", None, "display.max_columns", None, "display.width", 250,
                               "display.max_colwidth", 60):
            print(frame.to_string(index=False))
    for path in args.out:
        write_table(frame, path)
        print(f"wrote {path}", file=sys.stderr)
    print(f"{len(frame)} rows, {frame.circuit.nunique() if len(frame) else 0} files, "
          f"{time.perf_counter() - start:.1f} s", file=sys.stderr)
    return 0


def _one_file(args: Any, config: Config) -> int:
    data = measure_file(args.paths[0], config)
    findings = [circuit_finding(data)]
    text = detail(data, args.show)
    if args.show and data.results:
        netlist = read(args.paths[0])
        seqs = sequence_all(netlist, config.max_fanin, [r.output for r in data.results if not r.reason])
        for name, s in seqs.items():
            if not isinstance(s, str):
                text += f"\nsub-task sequence of {name} (first {min(args.show, len(s.circuit.gates))} of " \
                        f"{len(s.circuit.gates)}):\n" + "\n".join("  " + ln for ln in describe(s.circuit, args.show))
    if args.train:
        good = [r for r in data.results if not r.reason]
        if not good or good[0].after.d > 16:
            raise cli.UsageError("--train needs an analysable cone of d <= 16 inputs")
        netlist = read(args.paths[0])
        seq = sequence_all(netlist, config.max_fanin, [good[0].output])[good[0].output]
        assert not isinstance(seq, str)
        frame = compare_training(seq.circuit, TrainSetup(steps=args.train, every=max(1, args.train // 60)))
        findings.append(training_finding(frame, f"{data.source}:{seq.output}"))
    return cli.emit(findings, args, detail=text)


if __name__ == "__main__":
    sys.exit(cli.guarded(main))
