"""The report: one row per claim ID, built from findings and controls, in every format.

A claim module returns ``list[Finding]`` (``verify.evidence``); several findings may share an ID (its
parts, e.g. the RNN and the transformer halves of T4). :func:`rows` makes one :class:`Row` per ID of
``verify.claims.CLAIMS``: its verdict is ``verify.evidence.merge_verdicts`` of the parts' verdicts (the most
serious *checked* one; a part that was not checked never hides one that was), and IDs that no module
checked read "not yet checked".

Formats: a terminal table (one line per claim; ``verbose`` adds each part's full evidence), Markdown,
JSON (``id``, ``verdict``, ``evidence``, ``comparisons``, ``parts``, ``controls``), a tidy pandas frame with
one row per comparison (:func:`frame`), written as CSV or Parquet by :func:`write`.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from verify.claims import BY_ID, CLAIMS, SECTIONS, Claim
from verify.evidence import NOT_CHECKED, Control, Finding, merge_verdicts

if TYPE_CHECKING:
    import pandas as pd

FORMATS = (".md", ".json", ".csv", ".parquet", ".html")


@dataclass(frozen=True)
class Row:
    """One claim of the catalogue with its parts (findings) and the controls of its rules."""

    id: str
    parts: tuple[Finding, ...] = ()
    controls: tuple[Control, ...] = ()
    reason: str = ""  # why a claim has no finding at all

    @property
    def claim(self) -> Claim:
        return BY_ID[self.id]

    @property
    def verdict(self) -> str:
        return merge_verdicts(p.verdict for p in self.parts)

    @property
    def headline(self) -> str:
        if not self.parts:
            return self.reason or f"no module checks {self.id} yet"
        worst = [p for p in self.parts if p.verdict == self.verdict] or list(self.parts)
        lead = worst[0]
        return (f"{lead.part}: " if lead.part and len(self.parts) > 1 else "") + lead.headline

    @property
    def evidence(self) -> str:
        if not self.parts:
            return self.headline
        return " | ".join(p.evidence for p in self.parts)

    def control_results(self) -> list[dict[str, Any]]:
        """Each control with the verdict of the part it controls and whether it flipped."""
        by_part = {p.part: p.verdict for p in self.parts}
        return [c.to_json(by_part.get(c.part, self.verdict)) for c in self.controls]

    def to_json(self) -> dict[str, Any]:
        claim = self.claim
        return {
            "id": self.id, "where": claim.where, "kind": claim.kind, "section": claim.section,
            "statement": claim.statement, "verdict": self.verdict, "headline": self.headline,
            "evidence": self.evidence,
            "comparisons": [{"part": p.part, **c.to_json()} for p in self.parts for c in p.comparisons],
            "parts": [p.to_json() for p in self.parts], "controls": self.control_results(),
        }


def rows(findings: Iterable[Finding], controls: Iterable[Control] = (), only: set[str] | None = None,
         reasons: dict[str, str] | None = None) -> list[Row]:
    """One row per claim ID in catalogue order (only the IDs in ``only`` when given)."""
    by_id: dict[str, list[Finding]] = {}
    for f in findings:
        by_id.setdefault(f.id, []).append(f)
    ctl: dict[str, list[Control]] = {}
    for c in controls:
        ctl.setdefault(c.id, []).append(c)
    reasons = reasons or {}
    return [Row(c.id, tuple(by_id.get(c.id, ())), tuple(ctl.get(c.id, ())), reasons.get(c.id, ""))
            for c in CLAIMS if only is None or c.id in only]


# ------------------------------------------------------------------------------------------------ text
def table(report: Sequence[Row], verbose: bool = False, width: int | None = None) -> str:
    """Terminal table, one line per claim grouped by section; ``verbose`` adds every part's evidence."""
    width = width or max(100, shutil.get_terminal_size((140, 24)).columns)
    lines: list[str] = []
    section = None
    for r in report:
        if r.claim.section != section:
            section = r.claim.section
            lines += ["", f"== {SECTIONS[section]} ==",
                      f"{'ID':<5} {'verdict':<16} {'control':<8} {'where':<22} headline"]
        ctl = r.control_results()
        flag = "-" if not ctl else ("flips" if all(c["flipped"] for c in ctl) else "NO FLIP")
        where = r.claim.where if len(r.claim.where) <= 22 else r.claim.where[:21] + "…"
        head = f"{r.id:<5} {r.verdict:<16} {flag:<8} {where:<22} "
        text = r.headline
        lines.append(head + (text if len(head) + len(text) <= width else text[: width - len(head) - 1] + "…"))
        if verbose:
            pad = " " * 8
            lines.append(pad + f"[{r.claim.where}] {r.claim.statement}")
            for p in r.parts:
                lines.append(pad + f"{p.part or 'part'}: {p.verdict} (rule {p.rule})"
                             + (f" — not decided: {p.not_checked}" if p.not_checked else ""))
                for c in p.comparisons:
                    lines += textwrap.wrap(c.text(), width - 12, initial_indent=pad + "  ",
                                           subsequent_indent=pad + "    ")
                if p.printed is not None or p.corrected is not None:
                    lines.append(pad + f"  printed: {p.printed}; corrected: {p.corrected}; conclusion survives: "
                                 f"{p.conclusion_survives}")
                if p.scope:
                    lines += textwrap.wrap("scope: " + p.scope, width - 12, initial_indent=pad + "  ",
                                           subsequent_indent=pad + "    ")
            for c in ctl:
                lines.append(pad + f"control ({c['planted']}): {c['control_verdict']}"
                             f" vs {c['paper_verdict']} -> {'flipped' if c['flipped'] else 'DID NOT FLIP'}")
    return "\n".join(lines).lstrip("\n")


def controls_table(report: Sequence[Row]) -> str:
    """Per ID: the verdict on the paper, what was planted, the verdict on the control, flipped or not."""
    lines = [f"{'ID':<5} {'part':<14} {'paper':<16} {'control':<16} {'flipped':<8} planted"]
    for r in report:
        res = r.control_results()
        if not res:
            lines.append(f"{r.id:<5} {'':<14} {r.verdict:<16} {'-':<16} {'-':<8} (no control)")
        for c in res:
            lines.append(f"{r.id:<5} {c['part'][:14]:<14} {c['paper_verdict']:<16} {c['control_verdict']:<16} "
                         f"{'yes' if c['flipped'] else 'NO':<8} {c['planted']}")
    return "\n".join(lines)


def markdown(report: Sequence[Row]) -> str:
    out = []
    section = None
    for r in report:
        if r.claim.section != section:
            section = r.claim.section
            out += ["", f"## {SECTIONS[section]}", "", "| ID | where | verdict | evidence |", "|---|---|---|---|"]
        ev = r.evidence.replace("|", "\\|")
        out.append(f"| {r.id} | {r.claim.where} | {r.verdict} | {ev} |")
    return "\n".join(out).lstrip("\n") + "\n"


def to_json(report: Sequence[Row]) -> str:
    return json.dumps([r.to_json() for r in report], indent=2, ensure_ascii=False)


# ------------------------------------------------------------------------------------------------ tidy
def records(report: Sequence[Row]) -> list[dict[str, Any]]:
    """One flat record per comparison (claim, part, verdicts, and every comparison field)."""
    out = []
    for r in report:
        for p in r.parts:
            for k, c in enumerate(p.comparisons):
                j = c.to_json()
                ref = j.pop("reference")
                interval = j.pop("interval") or [None, None]
                out.append({
                    "id": r.id, "part": p.part, "verdict": r.verdict, "part_verdict": p.verdict, "index": k,
                    **{key: j[key] for key in ("quantity", "source", "relation", "role", "holds", "tol", "note",
                                               "measured", "measured_exact", "reference_exact", "level")},
                    "reference": ref if not isinstance(ref, list) else None,
                    "reference_lo": ref[0] if isinstance(ref, list) else None,
                    "reference_hi": ref[1] if isinstance(ref, list) else None,
                    "ci_lo": interval[0], "ci_hi": interval[1],
                    "params": json.dumps(j["params"], sort_keys=True),
                })
    return out


def frame(report: Sequence[Row]) -> pd.DataFrame:
    """A pandas DataFrame with one row per comparison (see :func:`records`)."""
    import pandas as pd

    return pd.DataFrame.from_records(records(report))


def write(report: Sequence[Row], path: Path, **html_context: Any) -> None:
    """Write the report to ``path`` by its suffix (one of ``FORMATS``); creates missing parent folders."""
    if path.suffix not in FORMATS:
        raise ValueError(f"--out {path}: the file must end in one of {' '.join(FORMATS)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".md":
        path.write_text(markdown(report))
    elif path.suffix == ".json":
        path.write_text(to_json(report))
    elif path.suffix == ".csv":
        frame(report).to_csv(path, index=False)
    elif path.suffix == ".parquet":
        frame(report).to_parquet(path, index=False)
    else:
        from verify import html

        path.write_text(html.page(report, **html_context))


def verdict_counts(report: Sequence[Row]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in report:
        counts[r.verdict] = counts.get(r.verdict, 0) + 1
    return counts


__all__ = ["FORMATS", "NOT_CHECKED", "Row", "controls_table", "frame", "markdown", "records", "rows", "table",
           "to_json", "verdict_counts", "write"]
