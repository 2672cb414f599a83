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
# # How much sub-task supervision is needed? (SUP, Section 7)
#
# The paper proves an exponential advantage from supervising all O(d) nodes of the parity tree and leaves
# open (Section 7, Limitations) what happens with fewer labels, e.g. O(1) of them. `numerics.supervision`
# builds the partially supervised task: a *scheme* picks the labels the loss sees (the final answer always),
# and the others are either **removed** from the sequence (a supervised label then reads its nearest
# supervised descendants: the hardest parity left to find unaided has `fanin` bits) or **masked** (kept as
# teacher-forced tokens without loss). This notebook uses "removed" throughout.
#
# `verify.supervision` trains the paper's RNN (only W trains, mini-batch SGD) until its free-running
# answer is right on all 2^d inputs, censors runs at the budget, and fits log steps = a + r d per scheme
# (censored log-normal AFT, bootstrap intervals). With `VERIFY_NOTEBOOK_SMALL=1` the sizes are tiny.

# %%
import os

import matplotlib.pyplot as plt
import pandas as pd

from numerics import supervision as S
from numerics.circuits import parity_tree, random_subset
from verify import supervision as sup
from verify.figures import Figure

SMALL = os.environ.get("VERIFY_NOTEBOOK_SMALL") == "1"

# %% [markdown]
# ## The schemes on one tree
# Which of the d/2 - 1 labels each scheme supervises (1 = in the loss), and the largest fan-in left once the
# others are removed (2 under full supervision, d/2 without).

# %%
d = 16
circuit = parity_tree(d, random_subset(d, 0))
schemes = ["full", "none", "top:2", "bottom:1", "every:2", "fraction:0.5", "budget:2", "budget:3"]
shapes = pd.DataFrame({s: {"mask": "".join(map(str, S.mask(circuit, s).astype(int))),
                           "labels": int(S.mask(circuit, s).sum()), "max fan-in": S.max_fanin(circuit, s)}
                       for s in schemes}).T
print(shapes.to_string())

# %% [markdown]
# ## Steps to learn per scheme
# The quick preset of the SUP row (or a tiny one in the test run).

# %%
if SMALL:
    config = sup.Config(d=(4, 6), schemes=("full", "none", "budget:2"), seeds=(0, 1), budget=60, every=20,
                        batch=16, m=16, workers=1, boot=50, decoder=False)
else:
    config = sup.Config.quick()
findings = sup.check(config)
rnn = findings[0]
print(rnn.verdict, "-", rnn.not_checked or "")
table = pd.DataFrame(rnn.details.get("table", []))
print(table.to_string())

# %% [markdown]
# The table as budget x d -> median steps (a censored run counts at its budget, so a median with censored
# runs is a lower bound; `learned` says how many runs learned).

# %%
if len(table):
    display_table = table.pivot(index="scheme", columns="d", values="median_steps")
    print(display_table.to_string())

# %% [markdown]
# ## The fitted law and the two extremes
# Each comparison: the sanity checks (full supervision learns every run; the no-supervision rate lies above
# the full-supervision rate) decide the verdict; the rates per scheme and the pooled fan-in law are the
# measured answer (context).

# %%
for c in rnn.comparisons:
    print(("   " if c.role == "context" else "** ") + c.text())

# %%
figs = rnn.details.get("figures", [])
if figs:
    fig_data = Figure.from_json(figs[0])
    fig, ax = plt.subplots(figsize=(6, 4))
    for s in fig_data.series:
        lo = [y - a for y, a in zip(s.y, s.lo or s.y, strict=True)]
        hi = [b - y for y, b in zip(s.y, s.hi or s.y, strict=True)]
        ax.errorbar(s.x, s.y, yerr=[lo, hi], marker="o", capsize=3, label=s.name)
    ax.set_yscale("log")
    ax.set_xlabel(fig_data.x_label)
    ax.set_ylabel(fig_data.y_label)
    ax.set_title(fig_data.title)
    ax.legend()
    plt.show()

# %% [markdown]
# ## The control
# The full-supervision arm replaced by a copy of the no-supervision arm: the rule must flip.

# %%
for control in sup.controls(findings):
    print(control.part, ":", rnn.verdict, "->", control.verdict, "flipped:", control.flipped(rnn.verdict))
