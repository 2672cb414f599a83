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
# # The RNN's NTK on the whole cube (App. E, eq. 69-70, Lemma 6-7)
#
# sqrt(y^T (H^t)^-1 y) with all 2^d inputs is the RKHS norm of the label on the cube, the quantity Lemma 6
# bounds by O(sqrt(phi)). `verify.ntk` computes it for the infinite-width Gram of Lemma 6
# (`numerics.ntk.limit_gram`, exact) and, as context, for finite widths (`numerics.ntk.gram`, 3 seeds):
# the end-to-end parity over the whole parity class (geometric mean, min..max band), the largest sub-task
# label, and random +-1 labels on the same Gram. Values are sqrt(y^T (m H^t)^-1 y) (the 1/m of eq. 69
# removed, see the module docstring); Lemma 6 holds for m > m*, so the finite widths show how far from the
# limit m = 64-256 is. The finite-width lemmas 8-11 are plotted in notebook 02 (`verify.finite_width`).
# `VERIFY_NOTEBOOK_SMALL=1` shrinks every size.

# %%
import os

import matplotlib.pyplot as plt
import numpy as np

from numerics import circuits, ntk
from verify import ntk as vntk

SMALL = os.environ.get("VERIFY_NOTEBOOK_SMALL") == "1"
cfg = (vntk.Config(d=(4, 6, 8), subsets=(0, 1), inits=(0, 1), widths=(16, 64), finite_dmax=6, n_random=2)
       if SMALL else vntk.Config.quick())

# %%
findings, data = vntk.check_with_data(cfg)
print(vntk.detail_table(data))
for f in findings:
    print(f.verdict, "-", f.headline)
for c in vntk.controls(findings, data):
    print("control:", c.planted, "->", c.verdict)

# %% [markdown]
# Every position's Gram with the label it carries, without matching positions to labels by hand
# (`numerics.ntk.labelled_grams`; pass `W, fz` from `numerics.rnn.init` for a finite width):

# %%
d = max(cfg.d) if SMALL else 8
tree = circuits.parity_tree(d, circuits.random_subset(d, 0))
for pg in ntk.labelled_grams(tree, circuits.all_inputs(d), "subtasks"):
    print(f"t={pg.t}: n={pg.gram.shape[0]}, sqrt(y^T K^-1 y) = {pg.label_norm():.3f}")

# %%
fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4))
lim = vntk.summarise(data)
ds = [p["d"] for p in lim]
a1.semilogy(ds, [p["E"] for p in lim], "o-", color="C0", label="end-to-end (class geo-mean), m=inf")
a1.fill_between(ds, [p["E_min"] for p in lim], [p["E_max"] for p in lim], color="C0", alpha=0.15)
a1.semilogy(ds, [p["S"] for p in lim], "s-", color="C1", label="sub-task (max over t, subsets), m=inf")
a1.semilogy(ds, [p["random"] for p in lim], "^:", color="0.5", label="random +-1 labels, m=inf")
for k, m in enumerate(cfg.widths):
    fin = vntk.summarise(data, m)
    a1.semilogy([p["d"] for p in fin], [p["E"] for p in fin], "o--", color="C0", alpha=0.3 + 0.3 * k,
                label=f"end-to-end, m={m}")
    a1.semilogy([p["d"] for p in fin], [p["S"] for p in fin], "s--", color="C1", alpha=0.3 + 0.3 * k,
                label=f"sub-task, m={m}")
a1.set_xlabel("d")
a1.set_ylabel("sqrt(y^T (m H^t)^-1 y)")
a1.set_title("RKHS norm on the cube (all 2^d inputs)")
a1.legend(fontsize=7)
for m in cfg.widths:
    fin = vntk.summarise(data, m)
    by_d = {p["d"]: p for p in lim}
    a2.plot([p["d"] for p in fin], [p["E"] / by_d[p["d"]]["E"] for p in fin], "o-", label=f"end-to-end, m={m}")
    a2.plot([p["d"] for p in fin], [np.exp(np.mean(np.log(np.array(p["S_pairs"]) / by_d[p["d"]]["S_pairs"])))
                                    for p in fin], "s--", label=f"sub-task, m={m}")
a2.axhline(1.0, color="k", lw=0.8)
a2.set_xlabel("d")
a2.set_ylabel("finite width / infinite width")
a2.set_title("the change between widths")
a2.legend(fontsize=7)
fig.tight_layout()
