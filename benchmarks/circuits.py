"""Reading and sequencing real circuits: seconds per 1K gates, against baselines measured in the same run.

For every netlist (the shipped ones, ``../shared/data/circuits`` when it is beside the checkout, and two
generated large ones: a 4096-bit ripple-carry adder as BENCH and as binary AIGER, ~20K gates each):

- ``read``: ``numerics.circuit_io.read`` (parse, sort topologically, fold constants) per 1K gates, and its
  ratio to the baseline "tokenize only" (the file's bytes read and split into tokens, no netlist built);
- ``sequence``: the largest cone reduced to fan-in 2 (``numerics.cone.sequence``) per 1K gates of the
  netlist;
- ``all cone sizes``: (d, gates) of every output's cone from one backward sweep (``numerics.cone.cone_sizes``,
  what picks the largest cone);
- ``one sweep``: the cones of up to ``--baseline-outputs`` outputs (spread over the list) built from one
  backward sweep (``numerics.cone.cones``), and its speed-up over the baseline "one sweep per cone"
  (``numerics.cone.cone`` called once per output, the method before issue 14) for the same outputs. The two
  must give the same cones (checked). Building every cone costs the sum of the cone sizes, quadratic for
  an adder's sum bits, whatever the method.

Timings are the best of ``--repeat`` runs. Example::

    python -m benchmarks.circuits
    python -m benchmarks.circuits --repeat 5 PATH...
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

import numerics
from numerics.circuit_io import read, write
from numerics.cone import cone, cone_sizes, cones, sequence
from numerics.generated import ripple_carry_adder

DATA = Path(numerics.__file__).parent / "data"
SHARED = Path(numerics.__file__).parents[1] / ".." / "shared" / "data" / "circuits"
SUFFIXES = (".bench", ".aag", ".aig", ".blif")


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    out, times = None, []
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def tokenize(path: Path) -> int:
    data = path.read_bytes()
    return len(data.split())


def measure(path: Path, repeat: int, max_outputs: int = 64) -> dict[str, Any]:
    t_tok, _ = best(lambda: tokenize(path), repeat)
    t_read, net = best(lambda: read(path), repeat)
    k = max(len(net.gates), 1) / 1000
    t_seq, seq = best(lambda: sequence(net, None, 2), repeat)
    names = [nm for nm, p in net.all_outputs if p is not None]
    t_sizes, _ = best(lambda: cone_sizes(net), repeat)
    sample = names[:: max(1, len(names) // max_outputs)][:max_outputs]
    t_many, many = best(lambda: cones(net, sample), repeat)
    t_one, single = best(lambda: {nm: cone(net, nm) for nm in sample}, 1)
    same = all(many[nm].gates == single[nm].gates for nm in sample)
    return {"circuit": path.name, "gates": len(net.gates), "outputs": len(names),
            "read s/1K gates": t_read / k, "read / tokenize": t_read / t_tok,
            "sequence s/1K gates": t_seq / k, "largest cone |S| after": seq.after.gates,
            "all cone sizes s": t_sizes, "cones timed": len(sample), "one sweep s": t_many,
            "one sweep per cone s": t_one, "speed-up": t_one / t_many, "same cones": same}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.circuits", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", type=Path, help="netlists or folders (default: shipped, shared, generated)")
    parser.add_argument("--repeat", type=int, default=3, help="best of N timings (default 3)")
    parser.add_argument("--baseline-outputs", type=int, default=64,
                        help="outputs timed one sweep each for the baseline (default 64; extrapolated)")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.baseline_outputs < 1:
        parser.error("--repeat and --baseline-outputs must be >= 1")
    with tempfile.TemporaryDirectory() as tmp:
        files: list[Path] = []
        roots = args.paths or [DATA, *([SHARED] if SHARED.exists() else [])]
        for root in roots:
            files += sorted(f for f in root.rglob("*") if f.suffix in SUFFIXES) if root.is_dir() else [root]
        if not args.paths:
            adder = Path(tmp) / "adder4096.bench"
            adder.write_text(ripple_carry_adder(4096))
            write(read(adder), Path(tmp) / "adder4096.aig")
            files += [adder, Path(tmp) / "adder4096.aig"]
        bar = tqdm(files, desc="netlists", disable=None, file=sys.stderr)
        rows = [measure(f, args.repeat, args.baseline_outputs) for f in bar]
    frame = pd.DataFrame(rows)
    with pd.option_context("display.width", 250, "display.max_columns", None, "display.float_format", "{:.4g}".format):
        print(frame.to_string(index=False))
    print("\nread / tokenize: cost of building the netlist over reading and splitting the file; speed-up: one "
          "sweep per cone over the same cones from one sweep (same cones: checked)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
