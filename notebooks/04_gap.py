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
# # The gap with and without sub-task supervision (Table 1, Figures 3-4, Theorem 4)
#
# Section 5.2 / App. G train a GPT-2 decoder on d-bit subset parity with the parity tree's sub-task
# labels (App. B) and without them. `verify.table1` measures the steps until validation accuracy passes
# the chance-guarded level (60% wherever 60% is evidence) for a CPU-sized decoder, right-censored at the
# budget, and decides on censored growth fits: log steps = a + r d without supervision, a + p ln d with it.
# This notebook redraws Figure 3 from those runs with Table 1 overlaid and the fitted laws, and one
# Figure 4 trajectory. By default it reads `results/table1` (written by
# `python -m numerics.sweep specs/table1.toml`) when that store has runs, else it trains the quick preset;
# with `VERIFY_NOTEBOOK_SMALL=1` it trains a tiny grid (seconds).

# %%
import os

import matplotlib.pyplot as plt
import numpy as np

from numerics.transformer import LEARNED, SOLVED
from verify import table1

SMALL = os.environ.get("VERIFY_NOTEBOOK_SMALL") == "1"
frame, spec_store = table1.spec_frame()
if SMALL:
    config = table1.Config(with_d=(8, 10, 12), without_d=(8, 10, 12), seeds=(27, 67), with_budget=60,
                           without_budget=60, n_layer=1, n_head=2, n_embd=16, workers=1, boot=60)
    frame, label = table1.train_all(config), "tiny grid (VERIFY_NOTEBOOK_SMALL)"
elif len(frame):
    label = f"store {spec_store}"
else:
    frame, label = table1.train_all(table1.Config.quick()), "quick preset, trained now"
runs = table1.runs_of(frame)
data = table1.Data(runs, label, boot=100 if SMALL else 300)
findings = table1.decide(data)
print(table1.table_text(runs))
for f in findings:
    print(f"{f.id} {f.part}: {f.verdict} — {f.headline}")

# %% [markdown]
# ## Figure 3: steps until better than random
# Filled markers: the runs that passed the guarded level (one per seed); open markers at the budget:
# right-censored runs. Lines: the censored fits (power law with supervision, exponential without) where the
# rate is identified. Dashed squares: Table 1 as printed (batch 32).

# %%
fig, ax = plt.subplots(figsize=(6, 4))
fits = next(f for f in findings if f.id == "TAB1").details.get("fits", {})
for mode, colour, paper, key, form in (("subtasks", "C0", table1.PAPER_WITH, "subtasks_power", "power"),
                                       ("end_to_end", "C3", table1.PAPER_WITHOUT, "end_to_end_rate", "rate")):
    mine = runs[(runs.supervision == mode) & runs.level.notna()]
    ok, cens = mine[mine.observed], mine[~mine.observed]
    ax.plot(ok.d, ok.steps, "o", color=colour, label=f"ours, {table1.MODES[mode]} supervision")
    ax.plot(cens.d, cens.steps, "o", mfc="none", color=colour, label=f"censored at the budget ({table1.MODES[mode]})")
    fit = fits.get(key)
    if fit and np.isfinite(fit["slope"]) and len(mine):
        d = np.linspace(mine.d.min(), mine.d.max(), 50)
        x = np.log(d) if form == "power" else d
        ax.plot(d, np.exp(fit["intercept"] + fit["slope"] * x), "-", color=colour, alpha=0.6,
                label=(f"fit d^{fit['slope']:.2f}" if form == "power" else f"fit e^({fit['slope']:.2f} d)"))
    ax.plot(list(paper), list(paper.values()), "s--", color=colour, alpha=0.4, label=f"Table 1, {table1.MODES[mode]}")
ax.set(xscale="log", yscale="log", xlabel="task bits d", ylabel="steps until val. acc. > guarded level",
       title=f"Figure 3 redrawn ({label})")
ax.legend(fontsize=6)
fig.tight_layout()

# %% [markdown]
# ## Figure 4: one learning trajectory
# The run with the most bits that passed 95%: validation accuracy against steps, with the 60% and 95% levels.

# %%
learned = runs.dropna(subset=["iters_95"]).sort_values(["d", "iters_60"])
pick = learned.iloc[-1] if len(learned) else runs.sort_values("d").iloc[-1]  # else: a run that did not learn
curve = frame[frame.run == pick.run].sort_values("step")
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(curve.step, curve.val_acc, ".-", label=f"validation accuracy ({pick.v} inputs)")
for level, style in ((LEARNED, ":"), (SOLVED, "--")):
    ax.axhline(level, color="grey", ls=style, lw=1, label=f"{level:.0%}")
if len(learned):
    ax.axvspan(pick.iters_60, pick.iters_95, color="C1", alpha=0.2, label="60% -> 95%")
ax.set(xlabel="step", ylabel="accuracy", ylim=(0.3, 1.02),
       title=f"{pick.d} bits, {table1.MODES[pick.supervision]} supervision, seed {pick.seed}")
ax.legend(fontsize=7)
fig.tight_layout()
print(f"60% at step {pick.iters_60}, 95% at step {pick.iters_95}; P(chance passes 60% at one of "
      f"{pick.k} evaluations) <= {pick.chance_60:.2g}")
