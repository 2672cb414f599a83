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
# # Training the paper's RNN: the per-step relations of App. C-D, the finite-width constants of App. E, Lemma 1
#
# 1. Algorithms 2-3 at Theorem 2's eta = 1/(m sqrt(n)) with sigma = 1/m (`verify.rates`, claims A2, A3):
#    ‖W(i) - W(0)‖_F beside the sum of step norms (eq. 25 / 54) at every step, the per-step ratios of
#    eq. 28 / 57 and eq. 29 / 58 (each must stay <= 1), and the width law ‖W(n) - W(0)‖_F ~ m^p with its
#    fitted interval against the bound's p = -1.
# 2. The constants of Lemmas 9-10 (`verify.finite_width`, OUT, GRAD): max ‖∇_W f_t‖_F and max |f_t| over
#    steps, positions and inputs against T at m >= T^2, beside T^4 and T; and Lemma 8's linearisation
#    error against r = ‖W~ - W0‖_F per width, beside r^(4/3) (LIN).
# 3. Lemma 1's two sides (eq. 5) over an SGD run.
#
# Every fit goes through `verify.stats`. `VERIFY_NOTEBOOK_SMALL=1` shrinks every size.

# %%
import os
import tempfile

import matplotlib.pyplot as plt
import numpy as np

from numerics import store
from numerics.train import TrainConfig, store_config, threads, train
from verify import finite_width, rates, stats

SMALL = os.environ.get("VERIFY_NOTEBOOK_SMALL") == "1"
rates_cfg = (rates.Config(d=4, widths=(16, 32, 64), steps=6, oracles=("inflate",)) if SMALL
             else rates.Config.quick())
fw_cfg = (finite_width.Config(d=(4, 6, 8), inputs=4, steps=2, lin_d=4, lin_widths=(16, 32, 64),
                              lin_cs=(2**-8, 2**-6, 2**-4, 2**-2, 1.0)) if SMALL else finite_width.Config.quick())
steps = rates.measure(rates_cfg)
steps.groupby(["algorithm", "oracle", "m"]).size()

# %%
fig, axes = plt.subplots(1, 3, figsize=(15, 4))
m_show = max(rates_cfg.widths)
for algorithm, ax in zip((2, 3), axes[:2], strict=True):
    run = steps[(steps.algorithm == algorithm) & (steps.m == m_show) & (steps.oracle == "inflate")]
    for seed, g in run.groupby("seed"):
        ax.plot(g.step, g.dist, "-", color=f"C{seed}", label=f"‖W(i) - W(0)‖_F, seed {seed}")
        ax.plot(g.step, g.cum, ":", color=f"C{seed}", label=f"Σ ‖ΔW_k‖_F, seed {seed}")
    ax.set(title=f"Algorithm {algorithm}, m = {m_show}: eq. {25 if algorithm == 2 else 54}", xlabel="step i")
    ax.legend(fontsize=7)
for algorithm, marker in ((2, "o"), (3, "s")):
    run = steps[steps.algorithm == algorithm]
    axes[2].plot(run.step, run.jensen_ratio, marker, ms=3, alpha=0.5,
                 label=f"Alg. {algorithm}: ‖∇ℓ‖ / right side of eq. {28 if algorithm == 2 else 57}")
    axes[2].plot(run.step, run.step_ratio, marker, ms=3, alpha=0.5, mfc="none",
                 label=f"Alg. {algorithm}: ‖ΔW‖ / bound of eq. {29 if algorithm == 2 else 58}")
axes[2].axhline(1.0, color="k", lw=1)
axes[2].set(title="per-step ratios (every run, every step; <= 1)", xlabel="step k", ylim=(0, 1.1))
axes[2].legend(fontsize=7)
fig.tight_layout()
assert (steps.dist <= steps.cum * (1 + rates.REL_TOL)).all()
assert (steps.jensen_ratio <= 1 + rates.REL_TOL).all() and (steps.step_ratio <= 1 + rates.REL_TOL).all()

# %%
fig, ax = plt.subplots(figsize=(5.5, 4))
for algorithm in (2, 3):
    last = steps[(steps.algorithm == algorithm) & (steps.oracle == "inflate") & (steps.step == steps.n)]
    fit = rates.width_fit(steps[steps.algorithm == algorithm])
    ax.loglog(last.m, last.dist, "o", alpha=0.6, label=f"Algorithm {algorithm}: p = {fit.slope:.3f} "
              f"[{fit.slope_ci[0]:.3f}, {fit.slope_ci[1]:.3f}]")
    ms = np.array(sorted(set(last.m)), float)
    ax.loglog(ms, np.exp(fit.predict(np.log(ms))), "-", color="C2" if algorithm == 2 else "C3")
ms = np.array(sorted(set(steps.m)), float)
ax.loglog(ms, steps[steps.step == steps.n].dist.max() * ms[0] / ms, "k--", label="slope -1 (bound O(1/m))")
ax.set(xlabel="width m", ylabel="‖W(n) - W(0)‖_F", title=f"eta = 1/(m sqrt n), n = {rates_cfg.steps}, sigma = 1/m")
ax.legend(fontsize=7)

# %%
fw_data = finite_width.measure(fw_cfg)
for f in finite_width.decide(fw_data):
    print(f.id, f.part, f.verdict, "-", f.headline)

# %%
fig, (a1, a2, a3) = plt.subplots(1, 3, figsize=(15, 4))
b = fw_data.bounds
per_seed = b.groupby(["T", "seed"])[["grad", "out"]].max().reset_index()
Ts = np.array(sorted(set(b["T"])), float)
for ax, col, k, name in ((a1, "grad", 4, "max ‖∇_W f_t‖_F (Lemma 10)"), (a2, "out", 1, "max |f_t| (Lemma 9)")):
    ax.loglog(per_seed["T"], per_seed[col], "o", alpha=0.6, label="per seed (max over steps, t, x)")
    fit = stats.power_fit(per_seed["T"], per_seed[col])
    ax.loglog(Ts, np.exp(fit.predict(np.log(Ts))), "-",
              label=f"fit T^{fit.slope:.2f} [{fit.slope_ci[0]:.2f}, {fit.slope_ci[1]:.2f}]")
    ax.loglog(Ts, per_seed[col].max() * (Ts / Ts[0]) ** k, "k--", label=f"T^{k} (bound at W0)")
    ax.set(xlabel="T (m >= T^2)", title=name)
    ax.legend(fontsize=7)
lin = fw_data.lin
for m, g in lin.groupby("m"):
    worst = g.groupby("r").err.max()
    a3.loglog(worst.index, worst.to_numpy(), "o-", label=f"m = {m}")
rs = np.array(sorted(set(lin.r)))
a3.loglog(rs, lin.err.max() * (rs / rs.max()) ** (4 / 3), "k--", label="r^(4/3) (Lemma 8 shape)")
a3.set(xlabel="r = ‖W~ - W0‖_F", ylabel="max linearisation error", title="Lemma 8 / 11 at W0")
a3.legend(fontsize=7)
fig.tight_layout()

# %% [markdown]
# Lemma 1 on one SGD run (mini-batch 32, eta = 0.5, parity d = 8 with sub-task supervision, all 256
# inputs): the free-running final error never exceeds the sum of the teacher-forced errors. The run goes
# through the results store (`numerics.store`), as `python -m numerics.train` writes it.

# %%
root = tempfile.mkdtemp(prefix="train_store_")
config = TrainConfig(d=8, m=64, steps=200 if SMALL else 600, eta=0.5, batch=32, every=10)
with threads(1):
    frame = train(config)
store.write(root, store_config(config), frame)
sides = store.load(root)
sides = sides[sides.metric.isin(["fr_error", "tf_error_sum", "lemma1_slack"])].pivot_table(
    index="step", columns="metric", values="value")
fig, ax = plt.subplots(figsize=(6, 4))
ax.plot(sides.index, sides.tf_error_sum, label="Σ_t teacher-forced error (right side of eq. 5)")
ax.plot(sides.index, sides.fr_error, label="free-running final error (left side)")
ax.plot(sides.index, sides.lemma1_slack, ":", label="slack")
ax.set(xlabel="SGD step", ylabel="0-1 error", title="Lemma 1 over training")
ax.legend(fontsize=8)
assert (sides.lemma1_slack >= 0).all()
sides.tail()
