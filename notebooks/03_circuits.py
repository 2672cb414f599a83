# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 03 — Real circuits as sub-task sequences (Section 6, claim S6)
#
# Section 6 writes any f in P as a circuit, reduces wide AND/OR gates to binary trees, sorts the gates
# topologically and calls each gate one sub-task; Lemma 3 then covers every label. This notebook shows it
# on ISCAS c17, on generated ripple-carry adders and on the public netlists of `../shared/data/circuits`
# (BENCH, AIGER, BLIF; when that folder is beside the checkout):
#
# 1. c17's sub-task sequence and the Lemma 3 constants of each distinct label (`verify.circuits`);
# 2. how the sequence length T and eq. 10's phi grow with the adder's size, with and without sub-tasks;
# 3. the suite table over real netlists, and how long reading and sequencing large circuits takes
#    (measured here, not asserted; `python -m benchmarks.circuits` compares against baselines);
# 4. the paper's RNN learning c17 and an adder's carry with and without sub-task supervision.
#
# `VERIFY_NOTEBOOK_SMALL=1` shrinks the sizes and the training (the test suite sets it).

# %%
import os
import tempfile
import time
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import torch
from IPython.display import display

from numerics.circuit_io import parse_bench, read, write
from numerics.cone import describe, sequence
from numerics.generated import random_dag, ripple_carry_adder
from verify import circuits

SMALL = os.environ.get("VERIFY_NOTEBOOK_SMALL") == "1"
torch.set_num_threads(1)
CONFIG = circuits.Config(samples=256 if SMALL else 4096)
C17 = circuits.DATA / "c17.bench"
SHARED = Path(circuits.DATA).parents[1] / ".." / "shared" / "data" / "circuits"

# %% [markdown]
# ## 1. c17: the sequence and its per-label constants
#
# Each output's cone, reduced to fan-in 2 (c17 is already), in topological order. T = d + |S| - 1 is the
# sequence length of eq. 13's convention; the paper's "T := |V|" is one more (the S6 erratum).

# %%
c17 = circuits.measure_file(C17, CONFIG, every_output=True)
print(circuits.detail(c17, show=0))
netlist = read(C17)
for out in netlist.output_names:
    print(f"{out}:", *describe(sequence(netlist, out).circuit), sep="\n  ")
display(pd.DataFrame(circuits.suite_rows(c17)))

# %% [markdown]
# ## 2. Adders: T and phi against d
#
# The n-bit adder's carry out reads all d = 2n inputs. With sub-tasks its labels are 2-input gates (N = 2,
# bounded degree and coefficients) and T grows linearly, so eq. 10 is polynomial in d; end to end the one
# label reads N = d inputs and eq. 10's factor T^(16+3N) alone is exponential in d.

# %%
bits = range(1, 5) if SMALL else range(1, 17)
rows = []
with tempfile.TemporaryDirectory() as tmp:
    for n in bits:
        path = Path(tmp) / f"adder{n}.bench"
        path.write_text(ripple_carry_adder(n))
        r = circuits.measure_file(path, circuits.Config(samples=256, output=f"c{n}")).results[0]
        rows.append({"bits": n, "d": r.after.d, "T": r.after.T, "depth": r.after.depth,
                     "log10 phi sub-tasks": r.phi.with_sub, "log10 phi end to end": r.phi.without,
                     "end to end exact": r.phi.without_exact})
adders = pd.DataFrame(rows)
display(adders)
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.5))
ax1.plot(adders.d, adders["T"], "o-", label="T (sub-task sequence)")
ax1.plot(adders.d, adders.depth, "s-", label="depth")
ax1.set(xlabel="d = 2 * bits", ylabel="positions", title="adder carry: sequence length")
ax1.legend()
ax2.plot(adders.d, adders["log10 phi sub-tasks"], "o-", label="with sub-tasks")
ax2.plot(adders.d, adders["log10 phi end to end"], "s-", label="end to end (exact d<=6, else T^(16+3N) only)")
ax2.set(xlabel="d", ylabel="log10 phi (eq. 10, C = 1)", title="eq. 10 for the adder carry")
ax2.legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# ## 3. The suite over real netlists, and timings for large circuits
#
# One row per circuit at its largest cone (`python -m verify.circuits PATH... [--all-outputs]` is the same
# table on the command line). Then a generated adder and a random DAG (gate lines shuffled, so the reader
# must sort), written as BENCH text and binary AIGER, read back and sequenced at their largest cone.

# %%
paths = [SHARED] if SHARED.exists() and not SMALL else [circuits.DATA]
suite = circuits.run_suite(paths, CONFIG, progress=False)
display(suite)

# %%
cases = [("adder", ripple_carry_adder(64 if SMALL else 2048)),
         ("random DAG", random_dag(64, 1000 if SMALL else 10000, seed=0, max_fanin=6))]
timing = []
with tempfile.TemporaryDirectory() as tmp:
    for label, text in cases:
        for suffix in (".bench", ".aig", ".blif"):
            path = Path(tmp) / f"c{suffix}"
            write(parse_bench(text), path)
            t0 = time.perf_counter()
            net = read(path)
            t1 = time.perf_counter()
            seq = sequence(net)
            t2 = time.perf_counter()
            timing.append({"circuit": label, "format": suffix, "gates": len(net.gates),
                           "largest cone |S| after": seq.after.gates, "read s": t1 - t0, "sequence s": t2 - t1})
display(pd.DataFrame(timing))

# %% [markdown]
# ## 4. Learning c17 and an adder's carry, with and without sub-tasks
#
# The RNN of eq. 1-3 trained by Algorithm 1 with mini-batches (`verify.circuits.TrainSetup`; a declared
# learning rate, Theorem 2's 1/(m sqrt n) being far too small at these widths); free-running final-answer
# error on all 2^d inputs, mean over seeds.

# %%
setup = circuits.TrainSetup(m=64, steps=300, every=30, seeds=(0,)) if SMALL else circuits.TrainSetup()
n_add = 2 if SMALL else 3
tasks = {f"c17 {netlist.output_names[0]}": sequence(netlist, netlist.output_names[0]).circuit,
         f"adder{n_add} c{n_add}": sequence(parse_bench(ripple_carry_adder(n_add)), f"c{n_add}").circuit}
fig, axes = plt.subplots(1, len(tasks), figsize=(10, 3.5))
for ax, (label, circuit) in zip(axes, tasks.items(), strict=True):
    frame = circuits.compare_training(circuit, setup)
    print(circuits.training_finding(frame, label).evidence)
    curves = frame[frame.metric == "fr_error"].groupby(["supervision", "step"]).value.mean().unstack(0)
    for sup in curves:
        ax.plot(curves.index, curves[sup], label=sup)
    ax.set(xlabel="step", ylabel="free-running error", title=f"{label} (d = {circuit.d}, T = {circuit.T})")
    ax.legend()
plt.tight_layout()
plt.show()
