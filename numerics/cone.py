"""One output of a netlist as a sub-task sequence (Section 6): cone of influence, fan-in, order.

Section 6 turns a circuit G = (V, E) into the intermediate labels S by a topological sort: each
non-input vertex v is one sub-task whose label is its gate l_v applied to O(1) earlier positions.
``sequence`` does this for one named output of a ``numerics.circuit_io.Netlist``:

1. ``cone``: keep only the gates the output depends on (its cone of influence) and, by default,
   only the primary inputs in it, so d counts the bits the answer actually reads. The gates stay in
   the netlist's topological order, so the output gate comes last (every other cone gate is its
   ancestor). An output that is itself a primary input becomes one BUF gate over that input, so the
   sequence still ends in a gate.
2. ``numerics.fanin.reduce_fanin`` to fan-in <= k.
3. The result is a ``Circuit``: z = (x, gate values but the last), T = d + G - 1, targets y_d..y_T.

``Sequencing`` carries the numbers Section 6 talks about, before and after reduction: |V| = d + G,
T, depth, max fan-in.
"""

from __future__ import annotations

from dataclasses import dataclass

from numerics.circuit_io import Netlist
from numerics.circuits import Circuit, Gate, named_table
from numerics.fanin import reduce_fanin


def cone(netlist: Netlist, output: str | None = None, keep_all_inputs: bool = False) -> Circuit:
    """The cone of influence of ``output`` (default: the first output) as a Circuit ending in it.

    Raises ValueError (one line) for an unknown output name or an output tied to a constant.
    """
    outs = dict(netlist.all_outputs)
    if not outs:
        raise ValueError("the netlist has no outputs")
    output = netlist.output_names[0] if output is None else output
    if output not in outs:
        shown = ", ".join(netlist.output_names[:10]) + (", ..." if len(outs) > 10 else "")
        raise ValueError(f"no output named {output!r}; outputs are: {shown}")
    root = outs[output]
    if root is None:
        raise ValueError(f"output {output!r} is the constant {dict(netlist.constants)[output]}: no gate computes it")
    n = netlist.n_inputs
    if root < n:  # an output that is a primary input: one BUF gate
        keep = list(range(n)) if keep_all_inputs else [root]
        names = tuple(netlist.input_names[i] for i in keep)
        buf = Gate((keep.index(root),), named_table("BUF", 1), output, "BUF")
        return Circuit(len(keep), (buf,), names, f"{netlist.name}:{output}")
    needed = bytearray(netlist.size)
    needed[root] = 1
    for pos in range(root, n - 1, -1):  # parents come before children: one backward sweep
        if needed[pos]:
            for p in netlist.gates[pos - n].parents:
                needed[p] = 1
    inputs = list(range(n)) if keep_all_inputs else [i for i in range(n) if needed[i]]
    new_pos = {old: new for new, old in enumerate(inputs)}
    gates = []
    for pos in range(n, root + 1):
        if needed[pos]:
            gate = netlist.gates[pos - n]
            new_pos[pos] = len(inputs) + len(gates)
            gates.append(Gate(tuple(new_pos[p] for p in gate.parents), gate.table, gate.name, gate.kind))
    names = tuple(netlist.input_names[i] for i in inputs)
    return Circuit(len(inputs), tuple(gates), names, f"{netlist.name}:{output}")


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
    """Cone of ``output``, reduced to fan-in <= ``max_fanin``, in topological order (module docstring)."""
    original = cone(netlist, output, keep_all_inputs)
    reduced = reduce_fanin(original, max_fanin)
    return Sequencing(original.gates[-1].name, max_fanin, original, reduced, Shape.of(original), Shape.of(reduced))


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
