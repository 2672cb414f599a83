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
# # Training the paper's RNN: distance from initialisation and Lemma 1's slack
#
# Algorithms 2-3 (App. C-D) at Theorem 2's learning rate eta = 1/(m sqrt(n)) with the worst-case
# `inflate` oracle at sigma = 1/m. Eq. 25-29 and 54-58 bound ‖W(i) - W(0)‖_F by O(i T^8 / (m sqrt n)):
# at most linear in i and like 1/m in the width. We plot the measured distance against the step and
# against m on log-log axes with the bound's slopes drawn, then Lemma 1's two sides (eq. 5) and their
# slack over an SGD run at a practical learning rate. Runs go through the results store
# (`numerics.store`), as `python -m numerics.train` writes them. `VERIFY_NOTEBOOK_SMALL=1` shrinks sizes.

# %%
import os
import tempfile

import matplotlib.pyplot as plt
import numpy as np

from numerics import store
from numerics.train import TrainConfig, store_config, threads, train

SMALL = os.environ.get("VERIFY_NOTEBOOK_SMALL") == "1"
WIDTHS = (32, 64, 128) if SMALL else (64, 128, 256, 512)
SEEDS = (0, 1, 2)
STEPS = 20 if SMALL else 100
D = 6 if SMALL else 8
root = tempfile.mkdtemp(prefix="train_store_")

with threads(1):
    for algorithm in (2, 3):
        for m in WIDTHS:
            for seed in SEEDS:
                config = TrainConfig(d=D, m=m, algorithm=algorithm, steps=STEPS, oracle="inflate", sigma=1.0 / m,
                                     every=STEPS, seed=seed, exhaustive_eval=False, eval_n=64)
                store.write(root, store_config(config), train(config))
runs = store.load(root)
dist = runs[runs.metric == "dist"]
dist.groupby(["cfg_algorithm", "cfg_m"]).size()

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
for algorithm, ax in zip((2, 3), axes, strict=True):
    for m in WIDTHS:
        curve = dist[(dist.cfg_algorithm == algorithm) & (dist.cfg_m == m) & (dist.step > 0)].groupby("step").value
        ax.loglog(curve.mean().index, curve.mean().to_numpy(), label=f"m = {m}")
    i = np.arange(1, STEPS + 1)
    start = dist[(dist.cfg_algorithm == algorithm) & (dist.step == 1)].value.max()
    ax.loglog(i, start * i, "k--", label="slope 1 (bound: linear in i)")
    ax.set(title=f"Algorithm {algorithm}", xlabel="step i", ylabel="‖W(i) - W(0)‖_F")
    ax.legend(fontsize=8)
fig.tight_layout()

# %%
final = dist[dist.step == STEPS].groupby(["cfg_algorithm", "cfg_m"]).value.mean().unstack(0)
fig, ax = plt.subplots(figsize=(5, 4))
for algorithm in final.columns:
    ax.loglog(final.index, final[algorithm], "o-", label=f"Algorithm {algorithm}")
m = np.asarray(final.index, float)
ax.loglog(m, final.iloc[0].max() * m[0] / m, "k--", label="slope -1 (bound: O(1/m))")
ax.set(xlabel="width m", ylabel=f"‖W(n) - W(0)‖_F, n = {STEPS}", title="eta = 1/(m sqrt n), sigma = 1/m")
ax.legend()
slopes = {a: np.polyfit(np.log(m), np.log(final[a]), 1)[0] for a in final.columns}
print("fitted exponents in m:", slopes)

# %% [markdown]
# Lemma 1 on one SGD run (mini-batch 32, eta = 0.5, parity d = 8 with sub-task supervision, all 256
# inputs): the free-running final error never exceeds the sum of the teacher-forced errors.

# %%
config = TrainConfig(d=8, m=64, steps=200 if SMALL else 600, eta=0.5, batch=32, every=10)
with threads(1):
    frame = train(config)
store.write(root, store_config(config), frame)
sides = frame[frame.metric.isin(["fr_error", "tf_error_sum", "lemma1_slack"])].pivot(
    index="step", columns="metric", values="value")
fig, ax = plt.subplots(figsize=(6, 4))
ax.plot(sides.index, sides.tf_error_sum, label="Σ_t teacher-forced error (right side of eq. 5)")
ax.plot(sides.index, sides.fr_error, label="free-running final error (left side)")
ax.plot(sides.index, sides.lemma1_slack, ":", label="slack")
ax.set(xlabel="SGD step", ylabel="0-1 error", title="Lemma 1 over training")
ax.legend(fontsize=8)
assert (sides.lemma1_slack >= 0).all()
sides.tail()
