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
# # The gap with and without sub-task supervision (Table 1, Figures 3-4)
#
# Section 5.2 / App. G train a GPT-2 decoder on d-bit subset parity with the parity tree's sub-task
# labels concatenated to the input (App. B) and without them. This notebook reads the results store
# written by `python -m numerics.sweep specs/table1.toml` (a CPU-sized decoder, see the spec) and
# redraws Figure 3 (iterations until validation accuracy > 60% against bits, log scale) with the
# paper's Table 1 overlaid, and one learning trajectory showing Figure 4's sharp transition.
# With `VERIFY_NOTEBOOK_SMALL=1` it trains the smoke spec into a temporary folder instead.

# %%
import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

from numerics import store
from numerics.sweep import REPO, load_spec, run_one
from numerics.transformer import LEARNED, SOLVED
from verify import table1

SMALL = os.environ.get("VERIFY_NOTEBOOK_SMALL") == "1"
full = REPO / "results" / "table1"
if SMALL or not any(full.glob("*.parquet")):
    spec = load_spec(REPO / "specs" / "smoke.toml")
    root = Path(tempfile.mkdtemp(prefix="gap-")) if SMALL else spec.store
    for config in spec.runs:
        run_one(config, str(root))
    label = "smoke spec"
else:
    root, label = full, "specs/table1.toml"
# From the full store, only the runs of the current spec.
frame = table1.spec_frame()[0] if root == full else store.load(root)
runs = table1.runs_of(frame)
summary = table1.summary(runs)
print(summary.to_string(index=False))

# %% [markdown]
# ## Figure 3: iterations until better than random
# Filled markers: every seed passed 60% within the budget (mean over seeds, error bar 2 std as in
# Table 1); open markers at the budget: not learned. Dashed: Table 1 as printed (batch 32).

# %%
fig, ax = plt.subplots(figsize=(6, 4))
for mode, colour, paper in (("subtasks", "C0", table1.PAPER_WITH), ("end_to_end", "C3", table1.PAPER_WITHOUT)):
    rows = summary[summary.supervision == mode]
    ok = rows[rows.learned == rows.seeds]
    ax.errorbar(ok.d, ok.iters_60, yerr=ok.two_std.fillna(0), fmt="o-", color=colour, capsize=3,
                label=f"ours, {table1.MODES[mode]} supervision")
    bad = rows[rows.learned < rows.seeds]
    ax.plot(bad.d, bad.budget, "o", mfc="none", color=colour,
            label=f"not learned within budget ({table1.MODES[mode]})")
    ax.plot(list(paper), list(paper.values()), "s--", color=colour, alpha=0.5, label=f"Table 1, {table1.MODES[mode]}")
ax.set(xscale="log", yscale="log", xlabel="task bits d", ylabel="iterations until val. acc. > 60%",
       title=f"Figure 3 redrawn ({label})")
ax.set_xticks(sorted(set(summary.d) | set(table1.PAPER_WITH)), labels=None)
ax.get_xaxis().set_major_formatter(plt.ScalarFormatter())
ax.legend(fontsize=7)
fig.tight_layout()

# %% [markdown]
# ## Fitted growth (the same fit on ours and on Table 1)

# %%
growth = table1.fits(summary)
print("with supervision:   ", table1.growth_text(growth, "subtasks", "power"))
print("without supervision:", table1.growth_text(growth, "end_to_end", "rate"))

# %% [markdown]
# ## Figure 4: one learning trajectory
# The learned run with the most bits: validation accuracy against steps, with the 60% and 95% levels.

# %%
learned = runs.dropna(subset=["iters_95"]).sort_values(["d", "iters_60"])
pick = learned.iloc[-1] if len(learned) else runs.sort_values("d").iloc[-1]  # else: a run that did not learn
curve = frame[frame.run == pick.run].sort_values("step")
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(curve.step, curve.val_acc, ".-", label="validation accuracy")
for level, style in ((LEARNED, ":"), (SOLVED, "--")):
    ax.axhline(level, color="grey", ls=style, lw=1, label=f"{level:.0%}")
if len(learned):
    ax.axvspan(pick.iters_60, pick.iters_95, color="C1", alpha=0.2, label="60% -> 95%")
ax.set(xlabel="step", ylabel="accuracy", ylim=(0.3, 1.02),
       title=f"{pick.d} bits, {table1.MODES[pick.supervision]} supervision, seed {pick.seed}")
ax.legend(fontsize=7)
fig.tight_layout()
print(f"60% at step {pick.iters_60:.0f}, 95% at step {pick.iters_95:.0f}")
