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
# # 01 — The exactly checkable claims: Lemma 3's constants and the complexity phi
#
# Two pictures behind the report rows L3 and PHI of `python -m verify`:
#
# 1. **Lemma 3 (App. B eq. 22).** For every gate of fan-in N, psi interpolates the gate through the nodes
#    the construction produces. The table and plot give the degree (against the printed 2^N) and the
#    largest |coefficient| over *all* 2^(2^N) gates, for both label conventions ({0,1} as eq. 9 prints,
#    {-1,+1} as eq. 6 reads). The numbers come from `verify.lemma3.constants`.
# 2. **phi (eq. 10) against d**, with sub-task supervision (N = 2, Lemma 2's corrected psi, T = 3d/2 - 2)
#    and without (N = d/2, T = d; the symmetric encoding, and eq. 22's encoding where N <= 6), on a log
#    scale, with Theorem 2's iteration bound. From `verify.phi.table`.
#
# `VERIFY_NOTEBOOK_SMALL=1` shrinks the ranges (the test suite sets it).

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display

from verify import lemma3, phi, stats

SMALL = os.environ.get("VERIFY_NOTEBOOK_SMALL") == "1"
FANINS = range(1, 5) if SMALL else range(1, 7)
DS = [8, 12, 16, 24, 32] if SMALL else [8, 12, 16, 24, 32, 48, 64, 96, 128]

# %% [markdown]
# ## Lemma 3: degree and max |coefficient| by fan-in

# %%
l3 = pd.DataFrame([
    {"N": n, "labels": labels, "degree": c.degree, "printed degree": c.printed_degree,
     "max |a_i| (all gates)": c.max_abs_coefficient_float, "attained at i": c.attaining_index,
     "attaining gate": "".join(map(str, c.attaining_gate)) if n <= 3 else f"{len(c.attaining_gate)} rows"}
    for n in FANINS for labels in lemma3.LABELS
    for c in [lemma3.constants(n, labels)]
])
display(l3)

# %%
fig, ax = plt.subplots(figsize=(6, 4))
for labels, group in l3.groupby("labels"):
    ax.semilogy(group["N"], group["max |a_i| (all gates)"], "o-", label=f"labels {labels}")
ax.set_xlabel("fan-in N")
ax.set_ylabel("max over gates and i of |a_i|")
ax.set_title("Lemma 3 (eq. 22): the 'O(1)' coefficient bound by fan-in")
ax.legend()
plt.show()

# %% [markdown]
# ## phi against d, with and without sub-task supervision

# %%
rows = phi.table(DS)
frame = pd.DataFrame([
    {"d": r.d, "supervision": r.supervision, "construction": r.construction, "T": r.T, "N": r.N,
     "degree": r.degree, "max |a|": r.max_abs_coefficient, "log10 phi": r.log10_phi,
     "log10 n (Thm 2)": r.log10_n, "log10 m* (Lemma 4)": r.log10_m}
    for r in rows
])
display(frame)

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
for (supervision, construction), group in frame.groupby(["supervision", "construction"]):
    label = f"{supervision}: {construction}"
    axes[0].plot(group["d"], group["log10 phi"], "o-", label=label)
    axes[1].plot(group["d"], group["log10 n (Thm 2)"], "o-", label=label)
axes[0].set_ylabel("log10 phi (eq. 10, C = 1)")
axes[1].set_ylabel("log10 iterations n (Theorem 2, eps = 0.1, delta = 0.05)")
for ax in axes:
    ax.set_xscale("log", base=2)
    ax.set_xlabel("d")
axes[0].legend(fontsize=8)
fig.suptitle("phi with sub-tasks is a polynomial (degree 24); without, it is super-exponential")
plt.show()

# %% [markdown]
# The fitted growth, beside eq. 10's exact exponent with sub-tasks:

# %%
sup = frame[frame.supervision == "subtasks"]
e2e = frame[frame.construction == "symmetric"]
print(f"exact exponent with sub-tasks: d^{phi.supervised_exponent()}")
exponent = stats.linear_fit(np.log(sup.d), sup["log10 phi"] * np.log(10))
rate = stats.linear_fit(e2e.d, e2e["log10 phi"] * np.log(10))
print(f"fitted exponent (ln phi vs ln d) with sub-tasks: {exponent.slope:.2f} "
      f"(95% interval {exponent.slope_ci[0]:.2f}..{exponent.slope_ci[1]:.2f})")
print(f"fitted rate (ln phi vs d) without sub-tasks:   {rate.slope:.2f} "
      f"(95% interval {rate.slope_ci[0]:.2f}..{rate.slope_ci[1]:.2f})")
