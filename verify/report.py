"""Verdict rows and the report: terminal table, Markdown and JSON.

A claim module returns ``list[Verdict]``; several rows may share an ID (for example a claim
checked on the RNN and on the transformer). The report merges them into one row per claim ID of
``verify.claims.CLAIMS``: the verdict is the most serious of the parts (``SEVERITY`` order) and
the evidence lines are joined. IDs that no module checked appear as "not yet checked".
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from verify.claims import BY_ID, CLAIMS, VERDICTS

# Most serious first: a part that fails makes the merged row fail.
SEVERITY = ("fails", "inconsistent", "erratum", "not yet checked", "consistent", "holds")


@dataclass(frozen=True)
class Verdict:
    """One checked statement.

    Args:
        id: claim ID of CLAIMS.md (``"L3"``).
        verdict: one of ``verify.claims.VERDICTS``.
        evidence: one line with the numbers behind the verdict.
        measured: the value the toolkit computed (JSON-serialisable, or str()).
        claimed: the value the paper prints.
        relation: how measured meets claimed: ``"eq"``, ``"le"``, ``"ge"`` or ``"rate"``.
        details: anything a module's own CLI shows in full (corrected forms, tables).
    """

    id: str
    verdict: str
    evidence: str
    measured: Any = None
    claimed: Any = None
    relation: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.id not in BY_ID:
            raise ValueError(f"unknown claim ID {self.id!r}")
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict {self.verdict!r} is not one of {VERDICTS}")
        if not self.evidence.strip():
            raise ValueError(f"{self.id}: empty evidence")

    @property
    def kind(self) -> str:
        return BY_ID[self.id].kind

    def to_json(self) -> dict[str, Any]:
        row = asdict(self)
        row["kind"] = self.kind
        return json.loads(json.dumps(row, default=str))


def merge(rows: Iterable[Verdict]) -> list[Verdict]:
    """One row per claim ID, in catalogue order; missing IDs become "not yet checked"."""
    by_id: dict[str, list[Verdict]] = {}
    for row in rows:
        by_id.setdefault(row.id, []).append(row)
    merged = []
    for claim in CLAIMS:
        parts = by_id.get(claim.id)
        if not parts:
            merged.append(Verdict(claim.id, "not yet checked", f"no module checks {claim.id} yet"))
        elif len(parts) == 1:
            merged.append(parts[0])
        else:
            worst = min(parts, key=lambda v: SEVERITY.index(v.verdict))
            evidence = " | ".join(p.evidence for p in parts)
            merged.append(
                Verdict(
                    claim.id,
                    worst.verdict,
                    evidence,
                    measured=[p.measured for p in parts],
                    claimed=[p.claimed for p in parts],
                    relation=worst.relation,
                    details={"parts": [p.to_json() for p in parts]},
                )
            )
    return merged


def table(rows: Sequence[Verdict], width: int = 160) -> str:
    """Fixed-width terminal table: ID, kind, verdict, evidence (wrapped)."""
    import textwrap

    head = f"{'ID':<5} {'kind':<16} {'verdict':<16} evidence"
    pad = " " * 39
    lines = [head, "-" * min(width, 120)]
    for r in rows:
        wrapped = textwrap.wrap(r.evidence, max(40, width - 39)) or [""]
        lines.append(f"{r.id:<5} {r.kind:<16} {r.verdict:<16} {wrapped[0]}")
        lines.extend(pad + w for w in wrapped[1:])
    return "\n".join(lines)


def markdown(rows: Sequence[Verdict]) -> str:
    out = ["| ID | kind | verdict | evidence |", "|---|---|---|---|"]
    for r in rows:
        ev = r.evidence.replace("|", "\\|")
        out.append(f"| {r.id} | {r.kind} | {r.verdict} | {ev} |")
    return "\n".join(out) + "\n"


def to_json(rows: Sequence[Verdict]) -> str:
    return json.dumps([r.to_json() for r in rows], indent=2)
