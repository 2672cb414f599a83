"""Berkeley Logic Interchange Format (BLIF): reader and writer for ``numerics.circuit_io.Netlist``.

BLIF is how the EPFL and MCNC (LGSynth'91) suites are distributed. The reader takes one flat model:

- ``.model NAME``, ``.inputs a b ...``, ``.outputs y ...`` (repeatable), ``.end``; ``#`` comments; a
  trailing ``\\`` continues a logical line;
- ``.names in_1 ... in_n out`` followed by its single-output cover: lines ``CUBE BIT`` with CUBE over
  ``0``/``1``/``-`` (don't care). Every line of one cover has the same output bit: ``1`` lists the on-set,
  ``0`` the off-set (the function is 0 exactly on the listed cubes). A block with no cover line is the
  constant 0; with no inputs, a line ``1`` is the constant 1;
- ``.latch in out [type control] [init]``: cut like a BENCH DFF, ``out`` becomes a pseudo-primary input
  and ``in`` a pseudo-primary output (``Netlist.latches``);
- blocks in any order (the netlist is sorted topologically; a cycle is an error naming its signals).

A block with ``n <= TABLE_MAX`` (6, the LUT-6 of FPGA mappings and Lemma 3's largest fan-in) inputs is one
gate holding its 2^n-row truth table. A wider block (two-level MCNC covers) is written as the sum of
products its cover states: a NOT per complemented input (``<x>~n``), an AND per cube (``<y>~c<i>``) and
an OR (NOR for an off-set cover) named ``y``; the fan-in reduction of Section 6 then applies to each.
Constants are propagated: a gate reading a constant is cofactored, a gate whose function becomes constant
is a constant, and an output or next-state signal that is constant has no gate
(``Netlist.constants`` gives its value, its position is ``None``).

Timing and library commands (``.clock``, ``.default_input_arrival``, ...) are ignored; hierarchical or
mapped BLIF (``.subckt``, ``.gate``, ``.mlatch``, ``.search``) and FSM sections (``.start_kiss``) are
refused. Every problem is a ``CircuitFormatError`` of one line, ``FILE:LINE: what is wrong``.
"""

from __future__ import annotations

from collections.abc import Iterator

from numerics.circuit_io import CircuitFormatError, Netlist, _assemble, _stem, _toposort, split_wide
from numerics.circuits import cofactor, kind_of, named_table

TABLE_MAX = 6
_IGNORED = {".clock", ".default_input_arrival", ".default_output_required", ".input_arrival", ".output_required",
            ".default_input_drive", ".input_drive", ".default_output_load", ".output_load", ".max_input_load",
            ".wire_load_slope", ".wire", ".area", ".delay", ".default_max_input_load", ".attrib", ".cname",
            ".param", ".conn"}
_REFUSED = {".subckt": "hierarchical BLIF (.subckt)", ".gate": "library-mapped BLIF (.gate)",
            ".mlatch": "library-mapped latches (.mlatch)", ".search": "BLIF that includes other files (.search)",
            ".start_kiss": "FSM (.start_kiss) sections"}


def _logical_lines(text: str) -> Iterator[tuple[int, list[str]]]:
    """(first physical line number, tokens) of every non-empty logical line (comments cut, ``\\`` joined)."""
    pending: list[str] = []
    start = 0
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].rstrip()
        if not pending:
            start = lineno
        if line.endswith("\\"):
            pending.append(line[:-1])
            continue
        pending.append(line)
        tokens = " ".join(pending).split()
        pending = []
        if tokens:
            yield start, tokens
    if pending and " ".join(pending).split():
        yield start, " ".join(pending).split()


class _Block:
    """One ``.names`` block while reading: its signals, cover rows and where it starts."""

    def __init__(self, lineno: int, inputs: list[str], output: str) -> None:
        self.lineno, self.inputs, self.output = lineno, inputs, output
        self.cubes: list[tuple[int, str]] = []  # (line, cube)
        self.bit: str | None = None  # "1" on-set, "0" off-set


def parse_blif(text: str, where: str = "<blif>") -> Netlist:
    """A BLIF netlist from its text (see the module docstring); ``where`` names the file in errors."""
    model = ""
    inputs: list[tuple[str, int]] = []
    outputs: list[tuple[str, int]] = []
    latches: list[tuple[str, str, int]] = []  # (q, next-state signal, line)
    blocks: list[_Block] = []
    block: _Block | None = None
    seen_model = False
    for lineno, tokens in _logical_lines(text):
        head = tokens[0]
        if not head.startswith("."):
            if block is None:
                raise CircuitFormatError(f"{where}:{lineno}: cover line {' '.join(tokens)!r} outside a .names block")
            _cover_line(block, tokens, lineno, where)
            continue
        block = None
        cmd = head.lower()
        if cmd == ".model":
            if seen_model:
                break  # a second model: only the first (top) model is read
            seen_model = True
            model = tokens[1] if len(tokens) > 1 else ""
        elif cmd == ".end":
            break
        elif cmd == ".exdc":
            break  # the external don't-care network is not part of the function
        elif cmd in {".inputs", ".outputs"}:
            (inputs if cmd == ".inputs" else outputs).extend((t, lineno) for t in tokens[1:])
        elif cmd == ".names":
            if len(tokens) < 2:
                raise CircuitFormatError(f"{where}:{lineno}: .names needs at least an output signal")
            block = _Block(lineno, tokens[1:-1], tokens[-1])
            blocks.append(block)
        elif cmd == ".latch":
            if len(tokens) < 3 or len(tokens) > 6:
                raise CircuitFormatError(f"{where}:{lineno}: expected '.latch input output [type control] [init]'")
            latches.append((tokens[2], tokens[1], lineno))
        elif cmd in _REFUSED:
            raise CircuitFormatError(f"{where}:{lineno}: {_REFUSED[cmd]} is not supported; flatten it first "
                                     f"(e.g. abc -c 'read FILE; strash; write_blif OUT')")
        elif cmd not in _IGNORED:
            raise CircuitFormatError(f"{where}:{lineno}: unknown BLIF command {head!r}")
    return _build(_stem(where) or model, inputs, outputs, latches, blocks, where)


def _cover_line(block: _Block, tokens: list[str], lineno: int, where: str) -> None:
    n = len(block.inputs)
    if n == 0:
        if len(tokens) != 1 or tokens[0] not in {"0", "1"}:
            raise CircuitFormatError(f"{where}:{lineno}: a constant .names takes one line '1' or '0', "
                                     f"got {' '.join(tokens)!r}")
        cube, bit = "", tokens[0]
    else:
        if len(tokens) != 2 or tokens[1] not in {"0", "1"}:
            raise CircuitFormatError(f"{where}:{lineno}: expected a cover line 'CUBE 0|1' for .names "
                                     f"{block.output}, got {' '.join(tokens)!r}")
        cube, bit = tokens
        if len(cube) != n or any(c not in "01-" for c in cube):
            raise CircuitFormatError(f"{where}:{lineno}: cube {cube!r} must have {n} characters of 0, 1, - "
                                     f"(one per input of {block.output})")
    if block.bit is not None and bit != block.bit:
        raise CircuitFormatError(f"{where}:{lineno}: cover of {block.output} mixes on-set (1) and off-set (0) lines")
    block.bit = bit
    block.cubes.append((lineno, cube))


def cover_table(cubes: list[str], bit: str | None, n: int) -> tuple[int, ...]:
    """Truth table (first input least significant) of a cover over n inputs; ``bit`` "1" on-set, "0" off-set."""
    on = bit != "0"
    table = []
    for k in range(1 << n):
        hit = any(all(c == "-" or int(c) == (k >> j) & 1 for j, c in enumerate(cube)) for cube in cubes)
        table.append(int(hit == on) if cubes else 0)
    return tuple(table)


def _build(model: str, inputs: list[tuple[str, int]], outputs: list[tuple[str, int]],
           latches: list[tuple[str, str, int]], blocks: list[_Block], where: str) -> Netlist:
    defined: dict[str, int] = {}

    def define(sig: str, lineno: int) -> None:
        if sig in defined:
            raise CircuitFormatError(f"{where}:{lineno}: signal {sig!r} defined twice (first at line {defined[sig]})")
        defined[sig] = lineno

    for sig, lineno in inputs:
        define(sig, lineno)
    for q, _, lineno in latches:
        define(q, lineno)
    for b in blocks:
        define(b.output, b.lineno)
    if not inputs and not latches:
        raise CircuitFormatError(f"{where}: empty circuit: no .inputs")
    if not outputs and not latches:
        raise CircuitFormatError(f"{where}: empty circuit: no .outputs")
    input_names = [s for s, _ in inputs] + [q for q, _, _ in latches]
    n = len(input_names)
    ids = {s: k for k, s in enumerate(input_names)}
    # Raw nodes: (name, parent names, table, kind, line); wide covers become NOT/AND/OR nodes.
    raw: list[tuple[str, list[str], tuple[int, ...], str, int]] = []
    negated: dict[str, str] = {}
    for b in blocks:
        cubes = [c for _, c in b.cubes]
        if len(b.inputs) <= TABLE_MAX:
            table = cover_table(cubes, b.bit, len(b.inputs))
            raw.append((b.output, b.inputs, table, kind_of(table) if b.inputs else "CONST", b.lineno))
            continue
        terms: list[str] = []
        for i, cube in enumerate(cubes):
            lits = []
            for j, c in enumerate(cube):
                if c == "1":
                    lits.append(b.inputs[j])
                elif c == "0":
                    sig = b.inputs[j]
                    if sig not in negated:
                        negated[sig] = f"{sig}~n"
                        raw.append((negated[sig], [sig], named_table("NOT", 1), "NOT", b.lineno))
                    lits.append(negated[sig])
            if not lits:  # a cube of don't-cares: the cover is a constant
                terms = []
                cubes = [""]
                break
            if len(lits) == 1:
                terms.append(lits[0])
            else:
                terms.append(f"{b.output}~c{i}")
                raw.extend((sig, ops, named_table(kd, len(ops)), kd, b.lineno)
                           for sig, kd, ops in split_wide(terms[-1], "AND", lits))
        if not terms:  # constant: no cube, or a cube of don't-cares
            value = int((cubes == [""]) == (b.bit != "0"))
            raw.append((b.output, [], (value,), "CONST", b.lineno))
        else:
            raw.extend((sig, ops, named_table(kd, len(ops)), kd, b.lineno)
                       for sig, kd, ops in split_wide(b.output, "NOR" if b.bit == "0" else "OR", terms))
    for k, (name, _, _, _, lineno) in enumerate(raw):
        if name in ids:
            raise CircuitFormatError(f"{where}:{lineno}: signal {name!r} defined twice")
        ids[name] = n + k

    def lookup(sig: str, lineno: int) -> int:
        if sig not in ids:
            raise CircuitFormatError(f"{where}:{lineno}: signal {sig!r} is used but never defined")
        return ids[sig]

    nodes = [(name, [lookup(p, lineno) for p in parents], table, kind) for name, parents, table, kind, lineno in raw]
    out_ids = [(sig, lookup(sig, lineno)) for sig, lineno in outputs]
    latch_ids = [(q, nxt, lookup(nxt, lineno)) for q, nxt, lineno in latches]
    return fold_constants(input_names, nodes, out_ids, latch_ids, where, model)


def fold_constants(
    input_names: list[str],
    nodes: list[tuple[str, list[int], tuple[int, ...], str]],
    outputs: list[tuple[str, int]],
    latches: list[tuple[str, str, int]],
    where: str,
    name: str,
) -> Netlist:
    """Propagate constant nodes (fan-in 0, or a table that became constant) and assemble the netlist.

    ``nodes`` are (name, parent ids, table, kind) with ids ``< len(input_names)`` the inputs and
    ``len(input_names) + k`` node k; outputs and latches point at ids.
    """
    n = len(input_names)
    order = _toposort(n, [(nm, ps) for nm, ps, _, _ in nodes], where)
    const: dict[int, int] = {}
    kept: list[tuple[str, list[int], tuple[int, ...], str]] = []
    new_id = list(range(n)) + [-1] * len(nodes)
    for k in order:
        nm, parents, table, kind = nodes[k]
        ps = list(parents)
        changed = False
        for j in range(len(ps) - 1, -1, -1):
            if ps[j] in const:
                table = cofactor(table, j, const[ps[j]])
                del ps[j]
                changed = True
        if len(set(table)) == 1:
            const[n + k] = table[0]
            continue
        if changed:
            kind = kind_of(table)
        new_id[n + k] = n + len(kept)
        kept.append((nm, [new_id[p] for p in ps], table, kind))
    constants: dict[str, int] = {}

    def target(sig: str, node: int) -> int | None:
        if node in const:
            constants[sig] = const[node]
            return None
        return new_id[node]

    outs = [(sig, target(sig, i)) for sig, i in outputs]
    cut = [(q, nxt, target(nxt, i)) for q, nxt, i in latches]
    return _assemble(input_names, kept, outs, cut, constants, where, name)


def _cover(table: tuple[int, ...], kind: str) -> list[str]:
    """Cover lines of a gate: compact for the named kinds, else the smaller of on-set and off-set minterms."""
    n = len(table).bit_length() - 1
    kind = kind.upper()
    if kind in {"AND", "NAND"} and named_table(kind, n) == table:
        return ["1" * n + (" 1" if kind == "AND" else " 0")]
    if kind in {"OR", "NOR"} and named_table(kind, n) == table:
        bit = " 1" if kind == "OR" else " 0"
        return ["-" * j + "1" + "-" * (n - j - 1) + bit for j in range(n)]
    if n > 16:
        raise ValueError(f"a {n}-input table that is not AND/OR/NAND/NOR has no compact BLIF cover")
    ones = [k for k in range(1 << n) if table[k]]
    zeros = [k for k in range(1 << n) if not table[k]]
    rows, bit = (ones, " 1") if len(ones) <= len(zeros) else (zeros, " 0")
    return ["".join(str((k >> j) & 1) for j in range(n)) + bit for k in rows]


def write_blif(netlist: Netlist) -> str:
    """BLIF text of a netlist: one ``.names`` per gate, latches back as ``.latch``, constants as constant blocks.

    An output or next-state signal whose name is not its signal's name gets a buffer block; a constant one
    a constant block.
    """
    n_pi = netlist.n_inputs - len(netlist.latches)
    names = set(netlist.input_names) | {g.name for g in netlist.gates}
    lines = [f".model {netlist.name or 'top'}", ".inputs " + " ".join(netlist.input_names[:n_pi]),
             ".outputs " + " ".join(nm for nm, _ in netlist.outputs)]
    extra: list[str] = []
    constants = dict(netlist.constants)
    done: set[str] = set()

    def bind(sig: str, pos: int | None) -> None:
        if sig in done:
            return
        done.add(sig)
        if pos is None:
            extra.extend([f".names {sig}"] + (["1"] if constants[sig] else []))
        elif netlist.signal_name(pos) != sig:
            if sig in names:
                raise ValueError(f"output {sig!r} names another signal than the one it reads; BLIF cannot write it")
            extra.extend([f".names {netlist.signal_name(pos)} {sig}", "1 1"])

    for q, nxt, pos in netlist.latches:
        lines.append(f".latch {nxt} {q} 0")
        bind(nxt, pos)
    for nm, pos in netlist.outputs:
        bind(nm, pos)
    for gate in netlist.gates:
        lines.append(".names " + " ".join([netlist.signal_name(p) for p in gate.parents] + [gate.name]))
        lines.extend(_cover(gate.table, gate.kind))
    return "\n".join(lines + extra + [".end"]) + "\n"
