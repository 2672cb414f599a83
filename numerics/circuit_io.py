"""Reading and writing real circuits: ISCAS BENCH, AIGER (ASCII ``.aag``, binary ``.aig``) and BLIF.

Section 6 turns any polynomial-size circuit G = (V, E) into a sub-task sequence by a topological
sort of its gates. This module brings the circuits people use into that form: a ``Netlist`` holds
every gate of a file in topological order (a ``numerics.circuits.Gate`` per signal, parents as
positions) together with the named outputs; ``numerics.cone`` then picks one output, keeps its
cone of influence and emits the ``Circuit`` whose last gate is that output.

Formats:

- BENCH (ISCAS-85/89): ``INPUT(a)``, ``OUTPUT(b)``, ``b = GATE(a, c, ...)``, ``#`` comments. Gate names in
  any case: AND, NAND, OR, NOR, XOR, XNOR (any fan-in >= 1), NOT, BUF, BUFF (fan-in 1), DFF. Signals
  may be used before the line that defines them; an output may be a primary input.
- AIGER (``aag``/``aig`` M I L O A, http://fmv.jku.at/aiger): AND gates over literals 2v (+1 if
  inverted). An inverted edge is folded into the truth table of the gate that reads it (so |V| is the
  AIG's AND count); an inverted output gets a NOT gate named after the output. The constants
  (literals 0/1) are propagated: an AND with a constant operand becomes its other operand or the
  constant, and an output that is constant has no gate (``cone`` refuses it with a message).

- BLIF (``.blif``, EPFL and MCNC): ``numerics.blif`` (on-set/off-set covers, constants, LUT networks).

A gate holds its 2^N-row truth table, so a named gate wider than ``TABLE_FANIN_MAX`` (16) inputs is stored
as a tree of gates of the same kind over groups of 16 (``split_wide``; inner gates ``<name>~w<i>``, the
negation at the root), the first step of Section 6's own reduction.

Sequential circuits (BENCH ``q = DFF(d)``, AIGER latches) are cut at their flip-flops, the usual
combinational view of scan-based test: each flip-flop output q becomes a pseudo-primary input
(after the primary inputs) and its next-state signal a pseudo-primary output (after the primary
outputs; named after the D signal in BENCH, ``<q>_next`` in AIGER). ``Netlist.latches`` records
the cut pairs.

Every problem in a file raises ``CircuitFormatError`` with one line: ``FILE:LINE: what is wrong`` for
a malformed line, an unknown gate, a signal defined twice or used but never defined; ``FILE: ...``
for an empty circuit or a cycle (naming the signals on it).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from numerics.circuits import ALIASES, GATE_KINDS, Gate, evaluate_gates, kind_of, named_table

BENCH_GATES = (*GATE_KINDS, *ALIASES, "DFF")  # the named kinds, their ISCAS spellings, and flip-flops


TABLE_FANIN_MAX = 16  # a gate holds its 2^N-row truth table; wider named gates are stored as trees of these


def split_wide(name: str, kind: str, operands: list[str],
               width: int = TABLE_FANIN_MAX) -> list[tuple[str, str, list[str]]]:
    """(signal, kind, operands) lines computing ``kind(operands)`` with at most ``width`` operands per gate.

    A gate wider than ``width`` (AND/OR/XOR or a negation) becomes a tree: inner gates ``<name>~w<i>`` of
    the plain kind over consecutive groups, the negation (if any) at the root ``name`` only. Narrow gates
    are returned unchanged.
    """
    kind = ALIASES.get(kind.upper(), kind.upper())
    if len(operands) <= width:
        return [(name, kind, list(operands))]
    inner = {"NAND": "AND", "NOR": "OR", "XNOR": "XOR"}.get(kind, kind)
    out: list[tuple[str, str, list[str]]] = []
    level = list(operands)
    while len(level) > width:
        groups = [level[i:i + width] for i in range(0, len(level), width)]
        level = []
        for g in groups:
            if len(g) == 1:
                level.append(g[0])
                continue
            out.append((f"{name}~w{len(out)}", inner, g))
            level.append(out[-1][0])
    out.append((name, kind, level))
    return out


class CircuitFormatError(ValueError):
    """A circuit file that cannot be read; the message is one line naming the file (and line)."""


@dataclass(frozen=True, repr=False)
class Netlist:
    """Every gate of a circuit file, topologically sorted, and its named outputs.

    Positions follow ``numerics.circuits``: ``0 .. n_inputs-1`` are the inputs (primary inputs, then
    the pseudo-inputs of cut flip-flops), ``n_inputs + g`` is ``gates[g]``; ``Gate.name`` is the
    signal name. ``outputs`` lists the primary outputs as (name, position); ``latches`` the cut
    flip-flops as (pseudo-input name, pseudo-output name, position of the next-state signal); the
    pseudo-inputs are the last ``len(latches)`` inputs, in latch order. A position of ``None`` marks a
    signal tied to a constant (AIGER only), whose value ``constants`` gives by name.
    """

    n_inputs: int
    input_names: tuple[str, ...]
    gates: tuple[Gate, ...]
    outputs: tuple[tuple[str, int | None], ...]
    latches: tuple[tuple[str, str, int | None], ...] = ()
    constants: tuple[tuple[str, int], ...] = ()
    name: str = ""

    def __repr__(self) -> str:
        return (f"Netlist({self.name!r}, inputs={self.n_inputs - len(self.latches)}, outputs={len(self.outputs)}, "
                f"latches={len(self.latches)}, gates={len(self.gates)}, max_fanin={self.max_fanin})")

    @functools.cached_property
    def all_outputs(self) -> tuple[tuple[str, int | None], ...]:
        """Primary outputs, then the pseudo-outputs of cut flip-flops not already among them."""
        seen = {nm for nm, _ in self.outputs}
        extra = []
        for _, nxt, pos in self.latches:
            if nxt not in seen:
                seen.add(nxt)
                extra.append((nxt, pos))
        return self.outputs + tuple(extra)

    @property
    def size(self) -> int:
        return self.n_inputs + len(self.gates)

    @property
    def output_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.all_outputs)

    @property
    def max_fanin(self) -> int:
        return max((g.fanin for g in self.gates), default=0)

    def evaluate_named(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Values of every primary output (by name) and every cut flip-flop's next state (key ``"q:" + q``)
        on a batch of inputs: what a round trip through any format must keep."""
        values = evaluate_gates(self.n_inputs, self.gates, x)
        constants = dict(self.constants)

        def col(name: str, pos: int | None) -> np.ndarray:
            return values[:, pos] if pos is not None else np.full(x.shape[0], constants[name], dtype=np.uint8)

        out = {name: col(name, pos) for name, pos in self.outputs}
        out.update({f"q:{q}": col(nxt, pos) for q, nxt, pos in self.latches})
        return out

    def signal_name(self, position: int) -> str:
        return self.input_names[position] if position < self.n_inputs else self.gates[position - self.n_inputs].name

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        """Values of ``all_outputs`` on a batch of inputs.

        Args:
            x: ``(batch, n_inputs)`` array of 0/1 (primary inputs, then pseudo-inputs).
        Returns:
            ``(batch, len(all_outputs))`` uint8 array, columns in ``all_outputs`` order.
        """
        values = evaluate_gates(self.n_inputs, self.gates, x)
        constants = dict(self.constants)
        outs = self.all_outputs
        out = np.zeros((x.shape[0], len(outs)), dtype=np.uint8)
        for k, (name, pos) in enumerate(outs):
            out[:, k] = values[:, pos] if pos is not None else constants[name]
        return out


# ----------------------------------------------------------------------------- topological sort


def _toposort(
    n_inputs: int,
    nodes: Sequence[tuple[str, Sequence[int]]],
    where: str,
) -> list[int]:
    """Order of ``nodes`` (name, parent node ids) such that parents come first.

    Node ids ``< n_inputs`` are inputs; node ``n_inputs + k`` is ``nodes[k]``. Depth-first in file
    order, so a file already in topological order keeps its order. Iterative (deep circuits are
    fine). A cycle raises ``CircuitFormatError`` naming its signals.
    """
    state = [0] * len(nodes)  # 0 new, 1 on the stack, 2 done
    order: list[int] = []
    for root in range(len(nodes)):
        if state[root]:
            continue
        stack = [(root, iter(nodes[root][1]))]
        state[root] = 1
        while stack:
            k, it = stack[-1]
            for p in it:
                q = p - n_inputs
                if q < 0 or state[q] == 2:
                    continue
                if state[q] == 1:
                    ids = [s for s, _ in stack]
                    cycle = [nodes[s][0] for s in ids[ids.index(q):]] + [nodes[q][0]]
                    raise CircuitFormatError(f"{where}: cycle through signals {' -> '.join(cycle)}")
                state[q] = 1
                stack.append((q, iter(nodes[q][1])))
                break
            else:
                stack.pop()
                state[k] = 2
                order.append(k)
    return order


def _assemble(
    input_names: list[str],
    nodes: list[tuple[str, list[int], tuple[int, ...], str]],
    outputs: list[tuple[str, int | None]],
    latches: list[tuple[str, str, int | None]],
    constants: dict[str, int],
    where: str,
    name: str,
) -> Netlist:
    """Sort ``nodes`` (name, parent ids, table, kind) and renumber parents and outputs to positions."""
    n = len(input_names)
    order = _toposort(n, [(nm, ps) for nm, ps, _, _ in nodes], where)
    position = list(range(n)) + [0] * len(nodes)
    for rank, k in enumerate(order):
        position[n + k] = n + rank
    gates = tuple(
        Gate(tuple(position[p] for p in nodes[k][1]), nodes[k][2], name=nodes[k][0], kind=nodes[k][3]) for k in order
    )
    outs = tuple((nm, None if p is None else position[p]) for nm, p in outputs)
    cut = tuple((q, nxt, None if p is None else position[p]) for q, nxt, p in latches)
    return Netlist(n, tuple(input_names), gates, outs, cut, tuple(sorted(constants.items())), name)


# ----------------------------------------------------------------------------- BENCH

_NAME = r"[^\s(),=#]+"
_DECL = re.compile(rf"^(INPUT|OUTPUT)\s*\(\s*({_NAME})\s*\)$", re.IGNORECASE)
_GATE = re.compile(rf"^({_NAME})\s*=\s*([A-Za-z_][A-Za-z0-9_]*)\s*\((.*)\)$")


def parse_bench(text: str, where: str = "<bench>") -> Netlist:
    """A BENCH netlist from its text (see the module docstring); ``where`` names the file in errors."""
    inputs: list[str] = []
    defined: dict[str, int] = {}  # signal -> line that defines it
    out_decl: list[tuple[str, int]] = []
    gate_lines: list[tuple[int, str, str, list[str]]] = []
    dffs: list[tuple[int, str, str]] = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if m := _DECL.match(line):
            kind, sig = m.group(1).upper(), m.group(2)
            if kind == "OUTPUT":
                out_decl.append((sig, lineno))
            else:
                _define(defined, sig, lineno, where)
                inputs.append(sig)
            continue
        m = _GATE.match(line)
        if not m:
            raise CircuitFormatError(f"{where}:{lineno}: cannot parse {line!r}: expected INPUT(x), OUTPUT(y) or "
                                     f"y = GATE(a, b, ...)")
        sig, kind, args = m.group(1), m.group(2).upper(), m.group(3)
        if kind not in BENCH_GATES:
            raise CircuitFormatError(f"{where}:{lineno}: unknown gate {m.group(2)!r} (known: {', '.join(BENCH_GATES)})")
        operands = [a.strip() for a in args.split(",")] if args.strip() else []
        if not operands or any(not re.fullmatch(_NAME, a) for a in operands):
            raise CircuitFormatError(f"{where}:{lineno}: {kind} needs a comma-separated list of signal names, "
                                     f"got ({args.strip()})")
        if kind in {"NOT", "BUF", "BUFF", "DFF"} and len(operands) != 1:
            raise CircuitFormatError(f"{where}:{lineno}: {kind} takes exactly one input, got {len(operands)}")
        _define(defined, sig, lineno, where)
        if kind == "DFF":
            dffs.append((lineno, sig, operands[0]))
        else:
            gate_lines.extend((lineno, *line) for line in split_wide(sig, kind, operands))
    if not inputs and not dffs:
        raise CircuitFormatError(f"{where}: empty circuit: no INPUT(...) lines")
    if not out_decl and not dffs:
        raise CircuitFormatError(f"{where}: empty circuit: no OUTPUT(...) lines")
    input_names = inputs + [q for _, q, _ in dffs]
    ids = {s: k for k, s in enumerate(input_names)}
    n = len(input_names)
    for k, (_, sig, _, _) in enumerate(gate_lines):
        ids[sig] = n + k

    def lookup(sig: str, lineno: int) -> int:
        if sig not in ids:
            raise CircuitFormatError(f"{where}:{lineno}: signal {sig!r} is used but never defined")
        return ids[sig]

    nodes = [(sig, [lookup(a, lineno) for a in operands], named_table(kind, len(operands)),
              "BUF" if kind == "BUFF" else kind) for lineno, sig, kind, operands in gate_lines]
    outputs: list[tuple[str, int | None]] = []
    declared: dict[str, int] = {}
    for sig, lineno in out_decl:
        if sig in declared:
            raise CircuitFormatError(f"{where}:{lineno}: OUTPUT({sig}) declared twice (first at line {declared[sig]})")
        declared[sig] = lineno
        outputs.append((sig, lookup(sig, lineno)))
    latches = [(q, dsig, lookup(dsig, lineno)) for lineno, q, dsig in dffs]
    return _assemble(input_names, nodes, outputs, latches, {}, where, _stem(where))


def _stem(where: str) -> str:
    return "" if where.startswith("<") else Path(where).stem


def _define(defined: dict[str, int], sig: str, lineno: int, where: str) -> None:
    if sig in defined:
        raise CircuitFormatError(f"{where}:{lineno}: signal {sig!r} defined twice (first at line {defined[sig]})")
    defined[sig] = lineno


def write_bench(netlist: Netlist) -> str:
    """BENCH text computing the same outputs; cut flip-flops are written back as DFFs.

    A gate of a named kind is one line. Any other table (an AIGER AND with an inverted input, a BLIF LUT)
    becomes its sum of minterms (of the on-set, or NOR of the off-set's, whichever is smaller): NOT lines
    ``<gate>~n<j>``, AND lines ``<gate>~m<k>`` and the gate itself. An output whose name is not its
    signal's gets ``name = BUF(signal)``; a constant one ``AND(x, NOT x)`` or ``OR(x, NOT x)`` over the
    first input.
    """
    n_pi = netlist.n_inputs - len(netlist.latches)
    names = set(netlist.input_names) | {g.name for g in netlist.gates}
    constants = dict(netlist.constants)
    lines = [f"# {netlist.name or 'written by numerics.circuit_io'}"]
    lines += [f"INPUT({s})" for s in netlist.input_names[:n_pi]]
    lines += [f"OUTPUT({name})" for name, _ in netlist.outputs]
    body: list[str] = []
    done: set[str] = set()

    def bind(sig: str, pos: int | None) -> None:
        if sig in done:
            return
        done.add(sig)
        if pos is None:
            x = netlist.input_names[0]
            body.append(f"{sig}~x = NOT({x})")
            body.append(f"{sig} = {'OR' if constants[sig] else 'AND'}({x}, {sig}~x)")
        elif netlist.signal_name(pos) != sig:
            if sig in names:
                raise ValueError(f"output {sig!r} names another signal than the one it reads; BENCH cannot write it")
            body.append(f"{sig} = BUF({netlist.signal_name(pos)})")

    for q, nxt, pos in netlist.latches:
        lines.append(f"{q} = DFF({nxt})")
        bind(nxt, pos)
    for name, pos in netlist.outputs:
        bind(name, pos)
    for gate in netlist.gates:
        args = [netlist.signal_name(p) for p in gate.parents]
        kind = gate.kind.upper()
        if kind in GATE_KINDS and gate.fanin and named_table(kind, gate.fanin) == gate.table:
            body.append(f"{gate.name} = {kind}({', '.join(args)})")
            continue
        if gate.fanin > 16:
            raise ValueError(f"gate {gate.name!r}: a {gate.fanin}-input table has no compact BENCH form")
        ones = [k for k, v in enumerate(gate.table) if v]
        zeros = [k for k, v in enumerate(gate.table) if not v]
        rows, top = (ones, "OR") if len(ones) <= len(zeros) else (zeros, "NOR")
        negs = {j for k in rows for j in range(gate.fanin) if not (k >> j) & 1}
        body += [f"{gate.name}~n{j} = NOT({args[j]})" for j in sorted(negs)]
        terms = []
        for k in rows:
            lits = [args[j] if (k >> j) & 1 else f"{gate.name}~n{j}" for j in range(gate.fanin)]
            terms.append(f"{gate.name}~m{k}")
            body.append(f"{terms[-1]} = AND({', '.join(lits)})")
        body += [f"{sig} = {kd}({', '.join(ops)})" for sig, kd, ops in split_wide(gate.name, top, terms)]
    return "\n".join(lines + body) + "\n"


# ----------------------------------------------------------------------------- AIGER


def parse_aiger(data: bytes | str, where: str = "<aiger>") -> Netlist:
    """An AIGER netlist from ``aag`` (ASCII) or ``aig`` (binary) bytes; see the module docstring."""
    raw = data.encode() if isinstance(data, str) else data
    first, _, rest = raw.partition(b"\n")
    header = first.decode("ascii", "replace").split()
    if not header or header[0] not in {"aag", "aig"}:
        raise CircuitFormatError(f"{where}:1: not an AIGER header: expected 'aag M I L O A' or 'aig M I L O A'")
    if len(header) < 6 or not all(h.isdigit() for h in header[1:]):
        raise CircuitFormatError(f"{where}:1: malformed header {first.decode('ascii', 'replace')!r}")
    m_max, n_in, n_latch, n_out, n_and = (int(h) for h in header[1:6])
    if any(int(h) for h in header[6:]):
        raise CircuitFormatError(f"{where}:1: AIGER 1.9 bad/constraint/justice/fairness sections are not supported")
    binary = header[0] == "aig"
    if n_in + n_latch + n_and > m_max:
        raise CircuitFormatError(f"{where}:1: header says M={m_max} < I+L+A={n_in + n_latch + n_and}")
    reader = _Lines(rest, where)
    defined: dict[int, int] = {}  # variable -> line
    in_vars: list[int] = []
    if binary:
        in_vars = list(range(1, n_in + 1))
        defined.update({v: 1 for v in in_vars})
    else:
        for _ in range(n_in):
            lineno, (lit,) = reader.ints(1, "input literal")
            in_vars.append(_define_lit(lit, lineno, m_max, defined, where))
    latch_rows = []
    for k in range(n_latch):
        lineno, vals = reader.ints(1 if binary else 2, "latch", optional=1)
        if binary:
            vals = [2 * (n_in + k + 1), *vals]
        _define_lit(vals[0], lineno, m_max, defined, where)
        latch_rows.append((lineno, vals[0] >> 1, vals[1]))
    out_rows = [reader.ints(1, "output literal") for _ in range(n_out)]
    and_rows = []
    if binary:
        for k in range(n_and):
            lhs = 2 * (n_in + n_latch + k + 1)
            d0, d1 = reader.varint(), reader.varint()
            rhs0 = lhs - d0
            and_rows.append((reader.line, lhs, rhs0, rhs0 - d1))
            defined[lhs >> 1] = reader.line
    else:
        for _ in range(n_and):
            lineno, (lhs, rhs0, rhs1) = reader.ints(3, "AND gate 'lhs rhs0 rhs1'")
            _define_lit(lhs, lineno, m_max, defined, where)
            and_rows.append((lineno, lhs, rhs0, rhs1))
    names = reader.symbols(n_in, n_latch, n_out)
    if n_in + n_latch == 0:
        raise CircuitFormatError(f"{where}: empty circuit: no inputs or latches")
    if n_out + n_latch == 0:
        raise CircuitFormatError(f"{where}: empty circuit: no outputs")
    return _aiger_netlist(in_vars, latch_rows, out_rows, and_rows, names, defined, m_max, where)


def _define_lit(lit: int, lineno: int, m_max: int, defined: dict[int, int], where: str) -> int:
    if lit < 2 or lit & 1:
        raise CircuitFormatError(f"{where}:{lineno}: {lit} must be an even literal >= 2 (a variable, not inverted)")
    var = lit >> 1
    if var > m_max:
        raise CircuitFormatError(f"{where}:{lineno}: variable {var} exceeds M={m_max}")
    if var in defined:
        raise CircuitFormatError(f"{where}:{lineno}: variable {var} (literal {lit}) defined twice "
                                 f"(first at line {defined[var]})")
    defined[var] = lineno
    return var


class _Lines:
    """Cursor over the body of an AIGER file (ASCII lines, binary deltas, symbols, comments)."""

    def __init__(self, body: bytes, where: str) -> None:
        self.body, self.at, self.line, self.where = body, 0, 1, where

    def ints(self, count: int, what: str, optional: int = 0) -> tuple[int, list[int]]:
        end = self.body.find(b"\n", self.at)
        end = len(self.body) if end < 0 else end
        self.line += 1
        text = self.body[self.at:end].decode("ascii", "replace").strip()
        self.at = end + 1
        parts = text.split()
        if not count <= len(parts) <= count + optional or not all(p.isdigit() for p in parts):
            got = repr(text) if text else "end of file"
            raise CircuitFormatError(f"{self.where}:{self.line}: expected {what}, got {got}")
        return self.line, [int(p) for p in parts]

    def varint(self) -> int:
        value, shift = 0, 0
        while True:
            if self.at >= len(self.body):
                raise CircuitFormatError(f"{self.where}: binary AND section ends early")
            byte = self.body[self.at]
            self.at += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return value

    def symbols(self, n_in: int, n_latch: int, n_out: int) -> dict[tuple[str, int], str]:
        names: dict[tuple[str, int], str] = {}
        limits = {"i": n_in, "l": n_latch, "o": n_out}
        for raw in self.body[self.at:].split(b"\n"):
            self.line += 1
            text = raw.decode("utf-8", "replace").rstrip("\r")
            if text == "c":
                break
            if not text.strip():
                continue
            m = re.fullmatch(r"([ilo])(\d+) (.+)", text)
            if not m or int(m.group(2)) >= limits[m.group(1)]:
                raise CircuitFormatError(f"{self.where}:{self.line}: bad symbol line {text!r}")
            names[(m.group(1), int(m.group(2)))] = m.group(3).strip()
        return names


def _aiger_netlist(
    in_vars: list[int],
    latch_rows: list[tuple[int, int, int]],
    out_rows: list[tuple[int, list[int]]],
    and_rows: list[tuple[int, int, int, int]],
    names: dict[tuple[str, int], str],
    defined: dict[int, int],
    m_max: int,
    where: str,
) -> Netlist:
    input_names = [names.get(("i", k), f"i{k}") for k in range(len(in_vars))]
    input_names += [names.get(("l", k), f"l{k}") for k in range(len(latch_rows))]
    node_of = {v: k for k, v in enumerate(in_vars + [v for _, v, _ in latch_rows])}
    n = len(input_names)
    and_index = {lhs >> 1: k for k, (_, lhs, _, _) in enumerate(and_rows)}

    def check(lit: int, lineno: int) -> None:
        var = lit >> 1
        if var > m_max:
            raise CircuitFormatError(f"{where}:{lineno}: literal {lit} exceeds M={m_max}")
        if var and var not in defined:
            raise CircuitFormatError(f"{where}:{lineno}: literal {lit} uses variable {var}, which is never defined")

    for lineno, _, a, b in and_rows:
        check(a, lineno)
        check(b, lineno)
    # Sort the ANDs first (operands before use), then fold constants and inversions in that order.
    order = _toposort(0, [(f"n{lhs >> 1}", [and_index[x >> 1] for x in (a, b) if x >> 1 in and_index])
                          for _, lhs, a, b in and_rows], where)
    # A literal resolves to ("const", value) or (node id, inverted).
    resolved: dict[int, tuple[object, int]] = {0: ("const", 0)}
    for v, k in node_of.items():
        resolved[v] = (k, 0)
    nodes: list[tuple[str, list[int], tuple[int, ...], str]] = []

    def lit(x: int) -> tuple[object, int]:
        base, inv = resolved[x >> 1]
        return base, inv ^ (x & 1)

    for k in order:
        _, lhs, a, b = and_rows[k]
        (pa, ia), (pb, ib) = lit(a), lit(b)
        if (pa == "const" and ia == 0) or (pb == "const" and ib == 0):
            resolved[lhs >> 1] = ("const", 0)
        elif pa == "const":
            resolved[lhs >> 1] = (pb, ib)
        elif pb == "const" or (pa == pb and ia == ib):
            resolved[lhs >> 1] = (pa, ia)
        elif pa == pb:
            resolved[lhs >> 1] = ("const", 0)
        else:
            table = tuple(int(((j & 1) ^ ia) and ((j >> 1 & 1) ^ ib)) for j in range(4))
            nodes.append((f"n{lhs >> 1}", [int(pa), int(pb)], table, kind_of(table)))
            resolved[lhs >> 1] = (n + len(nodes) - 1, 0)
    outputs: list[tuple[str, int | None]] = []
    constants: dict[str, int] = {}
    taken = set(input_names) | {nm for nm, _, _, _ in nodes}
    renamed: set[str] = set()

    def signal(name: str, literal: int, lineno: int) -> int | None:
        check(literal, lineno)
        base, inv = lit(literal)
        if base == "const":
            constants[name] = inv
            return None
        if inv:
            nodes.append((name if name not in taken else f"{name}_not", [int(base)], (1, 0), "NOT"))
            return n + len(nodes) - 1
        k = int(base) - n
        if k >= 0 and nodes[k][0] not in renamed and name not in taken:  # the gate takes the output's name
            renamed.add(name)
            nodes[k] = (name, *nodes[k][1:])
        return int(base)

    for k, (lineno, (literal,)) in enumerate(out_rows):
        name = names.get(("o", k), f"o{k}")
        outputs.append((name, signal(name, literal, lineno)))
    latches = []
    for k, (lineno, _, nxt) in enumerate(latch_rows):
        q = input_names[len(in_vars) + k]
        latches.append((q, f"{q}_next", signal(f"{q}_next", nxt, lineno)))
    return _assemble(input_names, nodes, outputs, latches, constants, where, _stem(where))


@dataclass(frozen=True)
class _Aig:
    """An and-inverter graph in AIGER's numbering: inputs 2..2I, latches next, then ANDs in order."""

    n_pi: int
    latches: list[tuple[int, int]]  # (latch literal, next-state literal)
    outputs: list[int]
    ands: list[tuple[int, int, int]]  # (lhs, rhs0, rhs1), lhs increasing, rhs < lhs
    symbols: list[str]

    def header(self, kind: str) -> str:
        return f"{kind} {self.n_pi + len(self.latches) + len(self.ands)} {self.n_pi} {len(self.latches)} " \
               f"{len(self.outputs)} {len(self.ands)}"


def write_aag(netlist: Netlist) -> str:
    """ASCII AIGER text computing the same outputs (see ``_to_aig`` for how gates become ANDs)."""
    aig = _to_aig(netlist)
    lines = [aig.header("aag")]
    lines += [str(2 * (k + 1)) for k in range(aig.n_pi)]
    lines += [f"{q} {nxt}" for q, nxt in aig.latches]
    lines += [str(x) for x in aig.outputs]
    lines += [f"{a} {b} {c}" for a, b, c in aig.ands]
    return "\n".join(lines + aig.symbols) + "\n"


def write_aig(netlist: Netlist) -> bytes:
    """Binary AIGER bytes: the ANDs as delta-encoded 7-bit varints (lhs - rhs0, rhs0 - rhs1)."""
    aig = _to_aig(netlist)
    text = [aig.header("aig"), *(str(nxt) for _, nxt in aig.latches), *(str(x) for x in aig.outputs)]
    out = bytearray(("\n".join(text) + "\n").encode())
    for lhs, a, b in aig.ands:
        for delta in (lhs - max(a, b), max(a, b) - min(a, b)):
            while delta >= 0x80:
                out.append(delta & 0x7F | 0x80)
                delta >>= 7
            out.append(delta)
    out += ("\n".join(aig.symbols) + "\n").encode()
    return bytes(out)


def _to_aig(netlist: Netlist) -> _Aig:
    """The netlist as ANDs and inversions.

    AND/NAND/OR/NOR become AND chains, XOR/XNOR pairwise 3-AND xors, NOT/BUF an (inverted) edge, and
    any other table its sum of minterms.
    """
    n = netlist.n_inputs
    lit = [2 * (k + 1) for k in range(n)]
    ands: list[tuple[int, int, int]] = []

    def and2(a: int, b: int) -> int:
        ands.append((2 * (n + len(ands) + 1), a, b))
        return ands[-1][0]

    def and_all(xs: Iterable[int]) -> int:
        xs = list(xs)
        acc = xs[0]
        for x in xs[1:]:
            acc = and2(acc, x)
        return acc

    def xor2(a: int, b: int) -> int:
        return and2(and2(a, b ^ 1) ^ 1, and2(a ^ 1, b) ^ 1) ^ 1

    for gate in netlist.gates:
        ins = [lit[p] for p in gate.parents]
        base = gate.kind.upper().removeprefix("N") if gate.kind.upper() in {"NAND", "NOR"} else gate.kind.upper()
        if base in {"XOR", "XNOR"} and named_table(base, gate.fanin) == gate.table:
            acc = ins[0]
            for x in ins[1:]:
                acc = xor2(acc, x)
            out = acc ^ int(base == "XNOR")
        elif gate.kind.upper() in BENCH_GATES and named_table(gate.kind, gate.fanin) == gate.table and base != "DFF":
            neg = int(gate.kind.upper() in {"NAND", "NOR", "NOT"})
            if base == "AND":
                out = and_all(ins) ^ neg
            elif base == "OR":
                out = and_all(x ^ 1 for x in ins) ^ 1 ^ neg
            else:  # NOT, BUF
                out = ins[0] ^ neg
        else:
            terms = [and_all(x ^ (1 - ((k >> j) & 1)) for j, x in enumerate(ins))
                     for k, v in enumerate(gate.table) if v]
            out = 0 if not terms else and_all(t ^ 1 for t in terms) ^ 1
        lit.append(out)
    n_pi = n - len(netlist.latches)
    constants = dict(netlist.constants)

    def literal(name: str, pos: int | None) -> int:
        return constants[name] if pos is None else lit[pos]

    symbols = [f"i{k} {netlist.input_names[k]}" for k in range(n_pi)]
    symbols += [f"l{k} {q}" for k, (q, _, _) in enumerate(netlist.latches)]
    symbols += [f"o{k} {nm}" for k, (nm, _) in enumerate(netlist.outputs)]
    return _Aig(n_pi, [(lit[n_pi + k], literal(nxt, p)) for k, (_, nxt, p) in enumerate(netlist.latches)],
                [literal(nm, p) for nm, p in netlist.outputs], ands, symbols)


# ----------------------------------------------------------------------------- files


def read(path: str | Path) -> Netlist:
    """Read ``.bench``, ``.aag``, ``.aig`` or ``.blif`` by suffix (or by an AIGER header / a ``.model`` line);
    errors name the file."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CircuitFormatError(f"{path}: cannot read: {exc.strerror}") from None
    if path.suffix.lower() in {".aag", ".aig"} or data[:4] in {b"aag ", b"aig "}:
        return parse_aiger(data, str(path))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise CircuitFormatError(f"{path}: not a text BENCH or BLIF file (and no AIGER header)") from None
    if path.suffix.lower() == ".blif" or re.search(r"^\s*\.(model|inputs|names)\b", text[:4096], re.MULTILINE):
        from numerics.blif import parse_blif

        return parse_blif(text, str(path))
    return parse_bench(text, str(path))


def write(netlist: Netlist, path: str | Path) -> None:
    """Write ``.bench``, ``.aag``, ``.aig`` or ``.blif`` by the file's suffix."""
    from numerics.blif import write_blif

    path = Path(path)
    writers = {".bench": write_bench, ".aag": write_aag, ".blif": write_blif}
    suffix = path.suffix.lower()
    if suffix == ".aig":
        path.write_bytes(write_aig(netlist))
    elif suffix in writers:
        path.write_text(writers[suffix](netlist))
    else:
        raise ValueError(f"{path}: unknown circuit format; use .bench, .aag, .aig or .blif")
