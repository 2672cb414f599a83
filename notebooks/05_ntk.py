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
# # The RNN's NTK and the finite-width lemmas (App. E, eq. 69-78)
#
# Left: sqrt(y^T (H^t)^{-1} y) of the empirical NTK Gram at initialisation (eq. 69, Lemma 6) against d,
# for the end-to-end parity label and the largest sub-task label, each beside the random +-1 label
# baseline on the same Gram (`verify.ntk`). Right: the finite-width fits of `verify.finite_width` —
# the linearisation error of Lemma 8 against the radius r = c / sqrt(m) for each width, and the gradient
# norm of Lemma 10 against t. `VERIFY_NOTEBOOK_SMALL=1` shrinks every size.

# %%
import os

import matplotlib.pyplot as plt

from verify import finite_width, ntk

SMALL = os.environ.get("VERIFY_NOTEBOOK_SMALL") == "1"
ntk_cfg = ntk.NTKConfig(ds=(4, 5, 6), m=16) if SMALL else ntk.NTKConfig(ds=(4, 6, 8, 10, 12), m=128, n_max=4096)
fw_cfg = (finite_width.FiniteWidthConfig(widths=(8, 32, 128), T=8) if SMALL
          else finite_width.FiniteWidthConfig(widths=(64, 128, 256, 512, 1024), T=16))

# %%
rows = ntk.measure(ntk_cfg)
summary = ntk.summarise(rows)
print(ntk.detail_table(rows, summary))
for v in ntk.verdicts(summary, ntk_cfg):
    print(v.verdict, "-", v.evidence)

# %%
per_d = summary["per_d"]
ds = [p["d"] for p in per_d]
fig, ax = plt.subplots(figsize=(6, 4))
ax.semilogy(ds, [p["e2e"] for p in per_d], "o-", label="end-to-end parity label")
ax.semilogy(ds, [p["e2e_random"] for p in per_d], "o:", color="C0", alpha=0.5, label="random labels (same Gram, t=d)")
ax.semilogy(ds, [p["sub_max"] for p in per_d], "s-", label="sub-task labels (max over t)")
ax.set_xlabel("d")
ax.set_ylabel("sqrt(y^T (H^t)^-1 y)")
ax.set_title(f"empirical NTK at init, m={ntk_cfg.m}, n=2^d")
ax.legend()
fig.tight_layout()

# %%
fw_rows = finite_width.measure(fw_cfg)
for v in finite_width.verdicts(finite_width.fits(fw_rows, fw_cfg), fw_cfg):
    print(v.id, v.verdict, "-", v.evidence)

# %%
fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4))
seed = fw_cfg.seeds[0]
for m in fw_cfg.widths:
    sel = [r for r in fw_rows if r["metric"] == "lin" and r["m"] == m and r["seed"] == seed]
    a1.loglog([r["r"] for r in sel], [r["value"] for r in sel], "o-", label=f"m={m}")
    sel = [r for r in fw_rows if r["metric"] == "grad0" and r["m"] == m and r["seed"] == seed]
    a2.loglog([r["t"] for r in sel], [r["value"] ** 0.5 for r in sel], "o-", label=f"m={m}")
r_ref = sorted({r["r"] for r in fw_rows if r["metric"] == "lin"})
a1.loglog(r_ref, [x ** (4 / 3) for x in r_ref], "k--", label="r^(4/3) (Lemma 8 shape)")
a1.set_xlabel("r = ||W~ - W0||_F")
a1.set_ylabel("linearisation error")
a1.legend(fontsize=7)
a2.set_xlabel("t")
a2.set_ylabel("rms ||grad_W f_t||_F at W0")
a2.legend(fontsize=7)
fig.tight_layout()
