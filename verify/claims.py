"""The claims catalogue (``shared/CLAIMS.md``): IDs, where each sits in the paper, its kind and section.

The report has one row per ID, in this order, grouped by section. ``tests/test_report.py`` checks that
this table agrees with ``CLAIMS.md`` when the shared folder is beside the checkout. Verdict words are
produced only by the rules of ``verify.evidence``; ``VERDICTS`` lists them for validation and legends.
"""

from __future__ import annotations

from dataclasses import dataclass

VERDICTS = ("holds", "erratum", "fails", "consistent", "inconsistent", "measured", "not yet checked")

SECTIONS = {
    "paper": "The paper's claims",
    "proofs": "The appendix's proof chains",
    "ks": "Kim & Suzuki (ICLR 2025)",
    "beyond": "Beyond the paper",
}


@dataclass(frozen=True)
class Claim:
    id: str
    where: str
    kind: str
    section: str = "paper"
    statement: str = ""


CLAIMS: tuple[Claim, ...] = (
    Claim("L1", "Lemma 1, eq. 5, App. A eq. 11-12", "empirical", statement=(
        "free-running final-answer 0-1 error <= sum of teacher-forced 0-1 errors at t >= d, for any W")),
    Claim("L2", "Lemma 2, eq. 8, App. B eq. 16-21", "exact", statement=(
        "the interpolating psi of 2-bit parity: eq. 16-21, coefficients bounded by 10")),
    Claim("L3", "Lemma 3, eq. 9, App. B eq. 22", "exact", statement=(
        "every gate of fan-in N is sign(psi(<w, e>)) for a polynomial psi; size of its coefficients")),
    Claim("T13", "App. B eq. 13", "exact", statement="sequence length T = 3d/2 - 2 for the tree decomposition"),
    Claim("T14", "App. B eq. 14-15", "exact", statement=(
        "the recursion for y_t gives the parity at the root; every label is a function of 2 earlier positions")),
    Claim("PHI", "eq. 10, Thm. 2, Lemma 4/5", "symbolic", statement=(
        "phi is polynomial in d with sub-task supervision and exponential without")),
    Claim("S6", "Section 6", "exact", statement=(
        "an O(1) fan-in circuit gives a sub-task sequence of length |V| in topological order")),
    Claim("A2", "Algorithm 2, App. C eq. 25-29", "empirical", statement=(
        "finite-precision SGD: ‖W(i) - W(0)‖_F grows at most linearly in i, per step eta O(T^8 + 1)")),
    Claim("A3", "Algorithm 3, App. D eq. 54-58", "empirical", statement="the same for finite-precision GD"),
    Claim("NTK", "App. E eq. 69-70, Lemma 6-7", "numeric", statement=(
        "sqrt(y^T (H^t)^-1 y) stays small for sub-task labels and grows fast for the end-to-end parity")),
    Claim("LIN", "Lemma 8, 11, eq. 71-72, 77-78", "empirical", statement=(
        "linearisation error vs ‖W~ - W‖_F and width m")),
    Claim("OUT", "Lemma 9, eq. 73-74", "empirical", statement="|f_t| = O(T^6 ‖W - W0‖_F + t)"),
    Claim("GRAD", "Lemma 10, eq. 75-76", "exact+empirical", statement=(
        "‖grad f_t‖_F = O(T^8 ‖W - W0‖_F + T^4); the closed form eq. 76 equals autograd")),
    Claim("L13", "Lemma 13, eq. 83-88", "exact", statement="distinct subset parities are uncorrelated"),
    Claim("L14", "Lemma 14, eq. 90", "numeric", statement=(
        "gradient variance over the parity class <= |H|^-1 E‖dp/dw‖^2")),
    Claim("L15", "Lemma 15, eq. 91-100", "exact", statement="random-guessing error of an alpha-fraction of the class"),
    Claim("T4", "Thm. 4, Cor. 1", "empirical", statement=(
        "without sub-task supervision gradient training stays near 1/2 error; with it, error goes to 0 fast")),
    Claim("TAB1", "Table 1, Fig. 3, App. G", "empirical", statement=(
        "the gap with / without intermediate supervision for a GPT-style decoder across bit sizes")),
    Claim("FIG4", "Fig. 4", "empirical", statement="once validation accuracy passes 60% it reaches >95% soon after"),
    Claim("PC", "App. C: Thm. 3, Lemma 4, eq. 23-51", "symbolic", "proofs", statement=(
        "every O(·) step of the finite-precision SGD proof follows from what it cites; m* suffices")),
    Claim("PD", "App. D: Lemma 5, eq. 52-68", "symbolic", "proofs", statement=(
        "the same for finite-precision GD (Algorithm 3)")),
    Claim("PE", "App. E: Lemmas 6-11, eq. 69-78", "symbolic", "proofs", statement=(
        "each norm bound and probability follows from the ingredients its proof cites")),
    Claim("P2", "Thm. 2 (eq. 7) from Thm. 3 (eq. 23-24) and Lemma 1 (eq. 5)", "symbolic", "proofs", statement=(
        "the iteration count n and the width m* that make the final answer's error < eps")),
    Claim("PF", "App. F: Thm. 4, Cor. 1, Lemma 12, eq. 79-101", "symbolic+exact", "proofs", statement=(
        "the sizes and probabilities the negative result uses")),
    Claim("KS2", "K&S Theorem 2", "empirical", "ks", statement=(
        "without intermediate supervision, the one-layer model makes no progress on k-parity in poly(d) steps")),
    Claim("KS5", "K&S Theorem 5", "numeric+empirical", "ks", statement=(
        "with teacher forcing, the gradient at W = 0 is largest at each node's two children; one step solves")),
    Claim("KS7", "K&S Theorem 7", "empirical", "ks", statement=(
        "with self-consistency augmentation, the tree is learned level by level in log2 k stages")),
    Claim("KSX", "K&S Section 4, App. D", "empirical", "ks", statement=(
        "d = 64, k in {8, 16, 32}: direct at chance, plain CoT only k = 8, teacher forcing ~0 loss, stages")),
    Claim("KSF", "K&S footnote 3", "analytic+empirical", "ks", statement=(
        "this paper's Theorem 4 holds only for certain adversarial perturbation schemes of the gradient")),
    Claim("SUP", "Section 7, Limitations (open question)", "empirical (measured)", "beyond", statement=(
        "how the steps to learn depend on how many sub-task labels are supervised")),
)

CLAIM_IDS: tuple[str, ...] = tuple(c.id for c in CLAIMS)
BY_ID: dict[str, Claim] = {c.id: c for c in CLAIMS}


def claim_id(text: str) -> str:
    """A claim ID from user input, case-insensitive (``"l3"`` -> ``"L3"``); ValueError if unknown."""
    up = text.strip().upper()
    if up not in BY_ID:
        raise ValueError(f"unknown claim ID {text!r}; known: {' '.join(CLAIM_IDS)}")
    return up
