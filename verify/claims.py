"""The claims catalogue (``shared/CLAIMS.md``): IDs, where each sits in the paper, and its kind.

The report has one row per ID, in this order. ``tests/test_report.py`` checks that this table
agrees with ``CLAIMS.md`` when the shared folder is beside the checkout.
"""

from __future__ import annotations

from dataclasses import dataclass

VERDICTS = ("holds", "erratum", "fails", "consistent", "inconsistent", "not yet checked")


@dataclass(frozen=True)
class Claim:
    id: str
    where: str
    kind: str


CLAIMS: tuple[Claim, ...] = (
    Claim("L1", "Lemma 1, eq. 5, App. A eq. 11-12", "empirical"),
    Claim("L2", "Lemma 2, eq. 8, App. B eq. 16-21", "exact"),
    Claim("L3", "Lemma 3, eq. 9, App. B eq. 22", "exact"),
    Claim("T13", "App. B eq. 13", "exact"),
    Claim("T14", "App. B eq. 14-15", "exact"),
    Claim("PHI", "eq. 10, Thm. 2, Lemma 4/5", "symbolic"),
    Claim("S6", "Section 6", "exact"),
    Claim("A2", "Algorithm 2, App. C eq. 25-29", "empirical"),
    Claim("A3", "Algorithm 3, App. D eq. 54-58", "empirical"),
    Claim("NTK", "App. E eq. 69-70, Lemma 6-7", "numeric"),
    Claim("LIN", "Lemma 8, 11, eq. 71-72, 77-78", "empirical"),
    Claim("OUT", "Lemma 9, eq. 73-74", "empirical"),
    Claim("GRAD", "Lemma 10, eq. 75-76", "exact+empirical"),
    Claim("L13", "Lemma 13, eq. 83-88", "exact"),
    Claim("L14", "Lemma 14, eq. 90", "numeric"),
    Claim("L15", "Lemma 15, eq. 91-100", "exact"),
    Claim("T4", "Thm. 4, Cor. 1", "empirical"),
    Claim("TAB1", "Table 1, Fig. 3, App. G", "empirical"),
    Claim("FIG4", "Fig. 4", "empirical"),
)

CLAIM_IDS: tuple[str, ...] = tuple(c.id for c in CLAIMS)
BY_ID: dict[str, Claim] = {c.id: c for c in CLAIMS}
