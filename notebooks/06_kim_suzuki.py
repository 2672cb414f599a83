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
# # Kim & Suzuki (ICLR 2025): the one-layer transformer on k-parity, four ways
#
# The four models of K&S Section 4 / App. D on the one-layer, position-only attention model with the link phi
# (`numerics.kim_suzuki`): direct (final answer only), CoT without teacher forcing, CoT with teacher forcing,
# CoT with self-consistency. One panel per model: the held-out free-running squared error per tree level
# against the epoch (as in the paper's Figures 4-5), and the final answer's accuracy. Then the KS rows
# (`verify.kim_suzuki`). Reconstructed definitions are listed in the module docstrings.
# `VERIFY_NOTEBOOK_SMALL=1` shrinks every size; the paper's sizes are `Config.full()` (d = 64, k in {8, 16, 32}).

# %%
import os
from dataclasses import replace

import matplotlib.pyplot as plt
import numpy as np

from numerics import kim_suzuki as ks
from verify import kim_suzuki as K

SMALL = os.environ.get("VERIFY_NOTEBOOK_SMALL") == "1"
cfg = K.Config.quick()
if SMALL:
    cfg = replace(cfg, d=12, ks=(4, 8), etas=(15.0, 15.0), n=600, epochs=40, every=5, n_eval=256)
runs = K.measure_runs(cfg)

# %%
for k in cfg.ks:
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.4), sharey=True)
    for ax, mode in zip(axes, ks.MODES, strict=True):
        run = runs[(mode, k, cfg.seeds[0])]
        ll = np.asarray(run["level_loss"])
        for lev in range(ll.shape[1]):
            ax.plot(run["steps"], ll[:, lev], label=f"level {lev + 1}")
        ax.plot(run["steps"], 1 - np.asarray(run["final_acc"]), "k:", label="final answer 0-1 error")
        ax.set_title(f"{mode}, k = {k}, eta = {run['eta']:g}")
        ax.set_xlabel("epoch")
    axes[0].set_ylabel("held-out squared error (free-running)")
    axes[-1].legend(fontsize=7)
    fig.tight_layout()

# %%
data = K.Data(cfg, [], [], runs, {})
for f in [*K.decide_ks2(data), *K.decide_ks7(data), *K.decide_ksx(data)]:
    print(f.id, f.part, "->", f.verdict)
    print("  ", f.headline)
