"""One output of a netlist as a sub-task sequence (Section 6): cone of influence, fan-in, order.

Section 6 turns a circuit G = (V, E) into the intermediate labels S by a topological sort: each
non-input vertex v is one sub-task whose label is its gate l_v applied to O(1) earlier positions.
``sequence`` does this for one named output of a ``numerics.circuit_io.Netlist``:

1. ``cone``: keep only the gates the output depends on (its cone of influence; ``cones`` finds the cones
   of all outputs in one backward sweep, a bitmask of outputs per position) and, by default,
   only the primary inputs in it, so d counts the bits the answer actually reads. The gates stay in
   the netlist's topological order, so the output gate comes last (every other cone gate is its
   ancestor). An output that is itself a primary input becomes one BUF gate over that input, so the
   sequence still ends in a gate. An output tied to a constant has no cone (a one-line reason).
   Without a named output, the output with the largest cone is taken (``largest_output``).
2. ``numerics.fanin.reduce_fanin`` to fan-in <= k.
3. The result is a ``Circuit``: z = (x, gate values but the last), T = d + G - 1, targets y_d..y_T.

``Sequencing`` carries the numbers Section 6 talks about, before and after reduction: |V| = d + G,
T, depth, max fan-in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from numerics.circuit_io import Netlist
from numerics.circuits import Circuit, Gate, named_table
from numerics.fanin import reduce_fanin


def _masks(netlist: Netlist, roots: Sequence[int]) -> list[int]:
    """Per position, the bitmask of the ``roots`` whose cone holds it: one backward sweep over the netlist.

    Parents come before children, so a sweep from the last position down passes each gate's mask to its
    parents after every reader of the gate has passed its own; bit b of ``mask[p]`` is "p is in the cone
    of roots[b]".
    """
    n = netlist.n_inputs
    mask = [0] * netlist.size
    for bit, root in enumerate(roots):
        mask[root] |= 1 << bit
    gates = netlist.gates
    for pos in range(netlist.size - 1, n - 1, -1):
        m = mask[pos]
        if m:
            for p in gates[pos - n].parents:
                mask[p] |= m
    return mask


def _members(mask: list[int], count: int) -> list[list[int]]:
    """For each root bit, its positions in increasing order (the cost is the sum of the cone sizes)."""
    out: list[list[int]] = [[] for _ in range(count)]
    for pos, m in enumerate(mask):
        while m:
            low = m & -m
            out[low.bit_length() - 1].append(pos)
            m ^= low
    return out


def _check_output(netlist: Netlist, output: str, outs: dict[str, int | None] | None = None) -> int:
    outs = dict(netlist.all_outputs) if outs is None else outs
    if output not in outs:
        shown = ", ".join(netlist.output_names[:10]) + (", ..." if len(outs) > 10 else "")
        raise ValueError(f"no output named {output!r}; outputs are: {shown}")
    root = outs[output]
    if root is None:
        raise ValueError(f"output {output!r} is the constant {dict(netlist.constants)[output]}: no gate computes it, "
                         f"so it has no sub-task sequence")
    return root


def _column_counts(mask: list[int], count: int, rows: range) -> np.ndarray:
    """For each root bit, how many positions in ``rows`` have it set (numpy popcount by columns, chunked)."""
    nbytes = max(1, (count + 7) // 8)
    total = np.zeros(nbytes * 8, dtype=np.int64)
    step = max(1, (1 << 24) // (nbytes * 8))  # ~16M bits unpacked per chunk
    for lo in range(rows.start, rows.stop, step):
        chunk = b"".join(m.to_bytes(nbytes, "little") for m in mask[lo:min(rows.stop, lo + step)])
        bits = np.unpackbits(np.frombuffer(chunk, dtype=np.uint8).reshape(-1, nbytes), axis=1, bitorder="little")
        total += bits.sum(axis=0, dtype=np.int64)
    return total[:count]


def cone_sizes(netlist: Netlist) -> dict[str, tuple[int, int]]:
    """(d, gates) of every non-constant output's cone, from one backward sweep (``all_outputs`` order).

    The counts are column popcounts of the sweep's bitmasks, so the cost does not grow with the sum of the
    cone sizes (quadratic for an adder's sum bits).
    """
    named = [(nm, p) for nm, p in netlist.all_outputs if p is not None]
    mask = _masks(netlist, [p for _, p in named])
    n = netlist.n_inputs
    d = _column_counts(mask, len(named), range(0, n))
    g = _column_counts(mask, len(named), range(n, netlist.size))
    return {nm: ((int(d[b]), int(g[b])) if p >= n else (1, 1))  # an input as output: one BUF gate
            for b, (nm, p) in enumerate(named)}


def largest_output(netlist: Netlist) -> str:
    """The output whose cone has the most gates (ties: more inputs, then the first); constants never."""
    sizes = cone_sizes(netlist)
    if not sizes:
        raise ValueError("every output of the netlist is a constant: there is no cone to sequence")
    order = {nm: k for k, nm in enumerate(netlist.output_names)}
    return max(sizes, key=lambda nm: (sizes[nm][1], sizes[nm][0], -order[nm]))


def _build(netlist: Netlist, output: str, root: int, positions: list[int], keep_all_inputs: bool) -> Circuit:
    n = netlist.n_inputs
    if root < n:  # an output that is a primary input: one BUF gate
        keep = list(range(n)) if keep_all_inputs else [root]
        names = tuple(netlist.input_names[i] for i in keep)
        buf = Gate((keep.index(root),), named_table("BUF", 1), output, "BUF")
        return Circuit(len(keep), (buf,), names, f"{netlist.name}:{output}")
    inputs = list(range(n)) if keep_all_inputs else [p for p in positions if p < n]
    new_pos = {old: new for new, old in enumerate(inputs)}
    gates = []
    for pos in positions:
        if pos >= n:
            gate = netlist.gates[pos - n]
            new_pos[pos] = len(inputs) + len(gates)
            gates.append(Gate(tuple(new_pos[p] for p in gate.parents), gate.table, gate.name, gate.kind))
    names = tuple(netlist.input_names[i] for i in inputs)
    return Circuit(len(inputs), tuple(gates), names, f"{netlist.name}:{output}")


def cone(netlist: Netlist, output: str | None = None, keep_all_inputs: bool = False) -> Circuit:
    """The cone of influence of ``output`` (default: the largest cone, ``largest_output``) as a Circuit ending in it.

    Raises ValueError (one line) for an unknown output name or an output tied to a constant.
    """
    if not netlist.all_outputs:
        raise ValueError("the netlist has no outputs")
    output = largest_output(netlist) if output is None else output
    root = _check_output(netlist, output)
    positions = _members(_masks(netlist, [root]), 1)[0]
    return _build(netlist, output, root, positions, keep_all_inputs)


def cones(netlist: Netlist, outputs: Sequence[str] | None = None,
          keep_all_inputs: bool = False) -> dict[str, Circuit | str]:
    """The cone of every output (default ``all_outputs``) from one backward sweep over the netlist.

    Returns, per output name, its Circuit, or a one-line reason when it has none (a constant output).
    """
    names = list(netlist.output_names if outputs is None else outputs)
    roots: dict[str, int | str] = {}
    outs = dict(netlist.all_outputs)
    for nm in names:
        try:
            roots[nm] = _check_output(netlist, nm, outs)
        except ValueError as exc:
            if "no output named" in str(exc):
                raise
            roots[nm] = str(exc)
    live = [nm for nm in names if isinstance(roots[nm], int)]
    members = _members(_masks(netlist, [int(roots[nm]) for nm in live]), len(live))
    built = {nm: _build(netlist, nm, int(roots[nm]), pos, keep_all_inputs)
             for nm, pos in zip(live, members, strict=True)}
    return {nm: built.get(nm, roots[nm]) for nm in names}  # type: ignore[misc]


@dataclass(frozen=True)
class Shape:
    """Section 6's numbers for one circuit: |V| = d + G vertices, T = d + G - 1 (eq. 13's convention)."""

    d: int
    gates: int
    V: int
    T: int
    depth: int
    max_fanin: int

    @classmethod
    def of(cls, circuit: Circuit) -> Shape:
        return cls(circuit.d, len(circuit.gates), circuit.size, circuit.T, circuit.depth(), circuit.max_fanin)


@dataclass(frozen=True)
class Sequencing:
    """An output's sub-task sequence: the cone before and after fan-in reduction, and their shapes."""

    output: str
    max_fanin: int
    original: Circuit
    circuit: Circuit
    before: Shape
    after: Shape


def sequence(netlist: Netlist, output: str | None = None, max_fanin: int = 2,
             keep_all_inputs: bool = False) -> Sequencing:
    """Cone of ``output`` (default: the largest cone), reduced to fan-in <= ``max_fanin``, in topological
    order (module docstring)."""
    output = largest_output(netlist) if output is None else output
    return sequenced(output, cone(netlist, output, keep_all_inputs), max_fanin)


def sequenced(output: str, original: Circuit, max_fanin: int = 2) -> Sequencing:
    """The Sequencing of an already extracted cone (``cones`` gives all of them from one sweep)."""
    reduced = reduce_fanin(original, max_fanin)
    return Sequencing(output, max_fanin, original, reduced, Shape.of(original), Shape.of(reduced))


def sequence_all(netlist: Netlist, max_fanin: int = 2, outputs: Sequence[str] | None = None
                 ) -> dict[str, Sequencing | str]:
    """Every output's Sequencing (or the one-line reason it has none) from one sweep (``cones``)."""
    return {nm: c if isinstance(c, str) else sequenced(nm, c, max_fanin)
            for nm, c in cones(netlist, outputs).items()}


def describe(circuit: Circuit, limit: int | None = None) -> list[str]:
    """The sub-tasks as lines ``y_t = KIND(z_i, z_j)`` in the paper's 1-based positions (Section 3).

    Gate g (0-based) is the target y_{d+g} of output f_{d+g}, which reads z_1..z_{d+g}; its parent
    at array position p is the token z_{p+1} (p < d + g, so p + 1 <= d + g); its own value is the
    token z_{d+g+1} fed to the next step, except for the last gate, whose label y_T is the answer.
    """
    lines = []
    d = circuit.d
    for g, gate in enumerate(circuit.gates[:limit]):
        args = ", ".join(f"z{p + 1}" for p in gate.parents)
        lines.append(f"y_{d + g} = {gate.kind or 'TABLE' + str(gate.table)}({args})  # {gate.name}")
    return lines
