"""Partial sub-task supervision (Section 7, Limitations: "what happens when we limit the amount of
sub-task supervision?").

A *scheme* picks which of a circuit's gate labels (App. B's tree nodes for parity, eq. 13-15) the loss
sees; the final answer (the last gate) is always among them. Schemes, as strings (store- and CLI-friendly):

- ``"full"``: every gate (the paper's sub-task supervision); ``"none"``: the answer only (end-to-end);
- ``"top:L"``: the gates of the top L levels of the tree (level = height above the inputs,
  ``Circuit.depth`` counting; the root is the top level);
- ``"bottom:L"``: the gates of the bottom L levels (plus the answer);
- ``"fraction:F"`` or ``"fraction:F:SEED"``: round(F (G - 1)) of the G - 1 intermediate gates, uniformly
  at random with the seed (default 0), plus the answer;
- ``"every:J"``: every J-th gate in sequence order (gates J-1, 2J-1, ... 0-based), plus the answer;
- ``"budget:K"``: K labels in all (the answer counts), chosen greedily by depth: breadth-first from
  the answer (depth = distance to the root), ties in reverse sequence order, i.e. the root's children
  first. K is clipped to 1..G.

Two ways to withhold a label (``MODES``):

- ``"removed"``: the unsupervised gates leave the sequence. :func:`reduce` returns the circuit whose
  gates are the supervised ones, each a function of its nearest supervised descendants and inputs (its
  truth table composed through the removed gates, so fan-in grows: an answer supervised alone reads the
  whole d/2-bit subset). With ``"none"`` the sequence is exactly the end-to-end one (z = x, y = answer),
  with ``"full"`` exactly the sub-task one. Free-running decoding produces only supervised tokens.
- ``"masked"``: the sequence keeps every gate as a teacher-forced token, the loss sees only the
  supervised positions (``Sequences.mask``). At test time the model must also produce the unsupervised
  tokens, on which it was never trained, so free-running error measures whether it does.

Positions follow ``numerics.sequences``: mask entry k is the target y_{d+k}, i.e. gate k.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from numerics.circuits import Circuit, Gate
from numerics.sequences import Sequences, build

KINDS = ("full", "none", "top", "bottom", "fraction", "every", "budget")
MODES = ("removed", "masked")


@dataclass(frozen=True)
class Scheme:
    """A parsed scheme: ``kind`` and its parameter (L, F, J or K; unused for full/none) and seed."""

    kind: str
    value: float = 0.0
    seed: int = 0

    def __str__(self) -> str:
        if self.kind in ("full", "none"):
            return self.kind
        if self.kind == "fraction":
            return f"fraction:{self.value:g}" + (f":{self.seed}" if self.seed else "")
        return f"{self.kind}:{int(self.value)}"


def parse(spec: str | Scheme) -> Scheme:
    """A scheme from its string (see the module docstring); ValueError with the accepted forms."""
    if isinstance(spec, Scheme):
        return spec
    parts = str(spec).strip().split(":")
    kind = parts[0]
    forms = "full, none, top:L, bottom:L, fraction:F[:SEED], every:J, budget:K"
    if kind not in KINDS:
        raise ValueError(f"unknown supervision scheme {spec!r}; one of {forms}")
    if kind in ("full", "none"):
        if len(parts) != 1:
            raise ValueError(f"scheme {kind!r} takes no parameter, got {spec!r}")
        return Scheme(kind)
    if kind == "fraction":
        if len(parts) not in (2, 3):
            raise ValueError(f"expected fraction:F or fraction:F:SEED, got {spec!r}")
        try:
            f = float(parts[1])
            seed = int(parts[2]) if len(parts) == 3 else 0
        except ValueError:
            raise ValueError(f"bad fraction scheme {spec!r}; expected fraction:F[:SEED]") from None
        if not 0.0 <= f <= 1.0 or seed < 0:
            raise ValueError(f"fraction F must be in [0, 1] and SEED >= 0, got {spec!r}")
        return Scheme(kind, f, seed)
    if len(parts) != 2:
        raise ValueError(f"expected {kind}:N, got {spec!r}")
    try:
        n = int(parts[1])
    except ValueError:
        raise ValueError(f"bad scheme {spec!r}; {kind} takes an integer") from None
    low = 0 if kind in ("top", "bottom") else 1
    if n < low:
        raise ValueError(f"{kind}:N needs N >= {low}, got {spec!r}")
    return Scheme(kind, float(n))


def levels(circuit: Circuit) -> np.ndarray:
    """Height of every gate above the inputs (inputs are 0; a gate is 1 + its highest parent), ``(G,)``."""
    d = circuit.n_inputs
    h = np.zeros(circuit.size, dtype=np.int64)
    for g, gate in enumerate(circuit.gates):
        h[d + g] = 1 + max(int(h[p]) for p in gate.parents)
    return h[d:]


def depths(circuit: Circuit) -> np.ndarray:
    """Distance of every gate from the answer (the last gate) along parent links, ``(G,)``; gates that do
    not feed the answer get a depth beyond every other (they come last in a greedy budget)."""
    d, G = circuit.n_inputs, len(circuit.gates)
    depth = np.full(G, -1, dtype=np.int64)
    depth[G - 1] = 0
    for g in range(G - 1, -1, -1):
        if depth[g] < 0:
            continue
        for p in circuit.gates[g].parents:
            if p >= d and depth[p - d] < 0:
                depth[p - d] = depth[g] + 1
    depth[depth < 0] = G
    return depth


def mask(circuit: Circuit, scheme: str | Scheme) -> np.ndarray:
    """Boolean ``(G,)``: which gate labels the loss sees under ``scheme`` (the answer always)."""
    s = parse(scheme)
    G = len(circuit.gates)
    out = np.zeros(G, dtype=bool)
    if s.kind == "full":
        out[:] = True
    elif s.kind in ("top", "bottom"):
        lv = levels(circuit)
        top = int(lv.max())
        L = int(s.value)
        out = lv > top - L if s.kind == "top" else lv <= L
    elif s.kind == "fraction":
        k = round(s.value * (G - 1))
        pick = np.random.default_rng(s.seed).choice(G - 1, size=k, replace=False) if k else []
        out[np.asarray(pick, dtype=np.int64)] = True
    elif s.kind == "every":
        J = int(s.value)
        out[J - 1 :: J] = True
    elif s.kind == "budget":
        K = min(int(s.value), G)
        order = sorted(range(G), key=lambda g: (depths(circuit)[g], -g))
        out[order[:K]] = True
    out[G - 1] = True
    return out


def _frontier(circuit: Circuit, keep: np.ndarray, g: int) -> list[int]:
    """Positions (inputs or kept gates) gate g reads once the unkept gates below it are opened up."""
    d = circuit.n_inputs
    seen: set[int] = set()
    front: set[int] = set()
    queue = deque(circuit.gates[g].parents)
    while queue:
        p = queue.popleft()
        if p in seen:
            continue
        seen.add(p)
        if p < d or keep[p - d]:
            front.add(p)
        else:
            queue.extend(circuit.gates[p - d].parents)
    return sorted(front)


def _compose(circuit: Circuit, g: int, front: list[int]) -> tuple[int, ...]:
    """Truth table of gate g as a function of the positions ``front`` (first one least significant)."""
    d = circuit.n_inputs
    k = len(front)
    rows = np.arange(1 << k, dtype=np.int64)
    values: dict[int, np.ndarray] = {p: ((rows >> j) & 1).astype(np.int64) for j, p in enumerate(front)}

    def value(p: int) -> np.ndarray:
        if p not in values:
            gate = circuit.gates[p - d]
            index = np.zeros(rows.size, dtype=np.int64)
            for j, q in enumerate(gate.parents):
                index |= value(q) << j
            values[p] = np.asarray(gate.table, dtype=np.int64)[index]
        return values[p]

    gate = circuit.gates[g]
    index = np.zeros(rows.size, dtype=np.int64)
    for j, q in enumerate(gate.parents):
        index |= value(q) << j
    return tuple(int(v) for v in np.asarray(gate.table, dtype=np.int64)[index])


MAX_FANIN = 20  # a composed gate's truth table has 2^fan-in rows


def reduce(circuit: Circuit, keep: np.ndarray) -> Circuit:
    """The circuit of the supervised gates only (mode ``"removed"``): each kept gate reads its frontier
    (inputs and kept gates reached through removed ones) with its composed truth table. ``keep[-1]``
    (the answer) must be True; the kept gates keep their order, so the sequence stays topological."""
    keep = np.asarray(keep, dtype=bool)
    G, d = len(circuit.gates), circuit.n_inputs
    if keep.shape != (G,):
        raise ValueError(f"keep must have one entry per gate ({G}), got shape {keep.shape}")
    if not keep[-1]:
        raise ValueError("the final answer (the last gate) must be supervised")
    if keep.all():
        return circuit
    new_pos = {i: i for i in range(d)}
    gates = []
    for g in np.flatnonzero(keep):
        front = _frontier(circuit, keep, int(g))
        if len(front) > MAX_FANIN:
            raise ValueError(f"gate {g} would read {len(front)} positions once its unsupervised children are "
                             f"removed (limit {MAX_FANIN}: its truth table has 2^fan-in rows)")
        table = _compose(circuit, int(g), front)
        name = circuit.gates[g].name
        gates.append(Gate(tuple(new_pos[p] for p in front), table, name=name))
        new_pos[d + int(g)] = d + len(gates) - 1
    return Circuit(d, tuple(gates), circuit.input_names, name=f"{circuit.name} [{int(keep.sum())}/{G} supervised]")


def max_fanin(circuit: Circuit, scheme: str | Scheme) -> int:
    """The largest number of positions one supervised label reads once the others are removed: the degree
    of the hardest parity the learner must find without help (fan-in 2 everywhere under ``"full"``)."""
    keep = mask(circuit, scheme)
    return max(len(_frontier(circuit, keep, int(g))) for g in np.flatnonzero(keep))


def sequences(circuit: Circuit, x: np.ndarray, scheme: str | Scheme, mode: str = "removed") -> Sequences:
    """Teacher-forced sequences under partial supervision.

    ``"removed"``: ``build(reduce(circuit, mask), x, "subtasks")`` (no mask: every remaining label counts).
    ``"masked"``: ``build(circuit, x, "subtasks")`` with ``mask`` set: the loss sees only those positions.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    keep = mask(circuit, scheme)
    if mode == "removed":
        return build(reduce(circuit, keep), x, "subtasks")
    return build(circuit, x, "subtasks", mask=keep)


def task(circuit: Circuit, scheme: str | Scheme, mode: str = "removed") -> tuple[Circuit, np.ndarray | None]:
    """What a trainer needs: the circuit to build sequences from and the loss mask (None: every label)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    keep = mask(circuit, scheme)
    if mode == "removed":
        return reduce(circuit, keep), None
    return circuit, (None if keep.all() else keep)
