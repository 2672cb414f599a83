"""The report as one self-contained HTML page: inline CSS and SVG figures, no script, no network.

Layout: provenance, a summary table (ID, where, kind, coloured verdict, headline; grouped by section, each
row linking to its claim), the errata side by side (printed, corrected, whether the conclusion survives),
then one section per claim: the statement, each part's rule (its docstring) and verdict, the controls
with whether they flipped, the comparisons as a table, and figures (``verify.figures``).
"""

from __future__ import annotations

import html
import inspect
import re
from collections.abc import Mapping, Sequence
from typing import Any

from verify import figures
from verify.claims import BY_ID, SECTIONS
from verify.evidence import RULES, Comparison
from verify.report import Row

FOLD = 12  # comparisons shown before the rest fold into <details>
COLOURS = {"holds": "#1b7f3b", "consistent": "#2f8f5b", "measured": "#2d6cb5", "erratum": "#b7791f",
           "inconsistent": "#c2410c", "fails": "#b91c1c", "not yet checked": "#6b7280"}

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;max-width:1100px;color:#222;
line-height:1.4;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.25em;border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
h3{font-size:1.1em;margin-top:1.6em}
table{border-collapse:collapse;width:100%;font-size:.88em;margin:.5em 0}
th,td{border:1px solid #ddd;padding:.25em .45em;text-align:left;vertical-align:top}
th{background:#f5f5f5}
.v{display:inline-block;color:#fff;border-radius:3px;padding:0 .45em;font-size:.85em;white-space:nowrap}
.ok{color:#1b7f3b}.bad{color:#b91c1c;font-weight:600}.ctx{color:#6b7280}
.claim{border-top:2px solid #eee;margin-top:1.5em}
.figs{display:flex;flex-wrap:wrap;gap:1em}
svg.figure{border:1px solid #eee;background:#fff}
svg .title{font-size:12px;font-weight:600}svg .tl{font-size:10px}svg .al{font-size:11px}svg .lg{font-size:10px}
svg .frame{fill:none;stroke:#999}svg .tick{stroke:#999}
code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.92em}
.prov td:first-child{width:12em;color:#555}
details{margin:.3em 0}
"""


def _e(text: Any) -> str:
    return html.escape(str(text))


def badge(verdict: str) -> str:
    return f'<span class="v" style="background:{COLOURS.get(verdict, "#444")}">{_e(verdict)}</span>'


def _measured(c: Comparison) -> str:
    text = c.measured_exact if c.measured_exact is not None else _num(c.measured)
    if c.interval is not None:
        level = f"{round(100 * c.level)}% " if c.level else ""
        text += f" <span class='ctx'>({level}CI {_num(c.interval[0])} … {_num(c.interval[1])})</span>"
    return text


def _reference(c: Comparison) -> str:
    if isinstance(c.reference, tuple):
        return f"[{_num(c.reference[0])}, {_num(c.reference[1])}]"
    return _e(c.reference_exact) if c.reference_exact is not None else _num(c.reference)


def _num(v: float | None) -> str:
    if v is None or v != v:
        return "n/a"
    return f"{v:.4g}" if v == 0 or 1e-3 <= abs(v) < 1e5 else f"{v:.3e}"


def comparisons_table(comps: Sequence[Comparison]) -> str:
    from verify.evidence import RELATIONS

    rows = ["<table class='comparisons'><tr><th>quantity</th><th>source</th><th>parameters</th><th>measured</th>"
            "<th>relation</th><th>paper / bound</th><th>role</th><th>holds</th></tr>"]
    for c in comps:
        params = ", ".join(f"{_e(k)}={_e(v)}" for k, v in c.params.items())
        mark = ("<span class='ctx'>context</span>" if c.role == "context"
                else "<span class='ok'>yes</span>" if c.holds else "<span class='bad'>NO</span>")
        note = f"<br><span class='ctx'>{_e(c.note)}</span>" if c.note else ""
        rows.append(f"<tr><td>{_e(c.quantity)}{note}</td><td>{_e(c.source)}</td><td class='mono'>{params}</td>"
                    f"<td class='mono'>{_measured(c)}</td><td>{_e(RELATIONS[c.relation][0])}"
                    f"{' ± ' + _num(c.tol) if c.tol else ''}</td><td class='mono'>{_reference(c)}</td>"
                    f"<td>{_e(c.role)}</td><td>{mark}</td></tr>")
    rows.append("</table>")
    return "\n".join(rows)


def _rule_text(rule: str) -> str:
    return " ".join((inspect.getdoc(RULES[rule]) or "").split())


def cross_links(escaped: str) -> str:
    """``see ID`` in (already escaped) text becomes a link to that claim's section, for every catalogue ID."""
    return re.sub(r"\bsee ([A-Z][A-Z0-9]{1,4})\b",
                  lambda m: f"see <a href='#{m[1]}'>{m[1]}</a>" if m[1] in BY_ID else m[0], escaped)


def claim_section(row: Row) -> str:
    claim = row.claim
    out = [f'<section class="claim" id="{_e(row.id)}"><h3>{_e(row.id)} — {_e(claim.where)} '
           f'{badge(row.verdict)}</h3>',
           f"<p><b>Statement.</b> {_e(claim.statement)} <span class='ctx'>(kind: {_e(claim.kind)})</span></p>"]
    if not row.parts:
        out.append(f"<p class='ctx'>{_e(row.headline)}</p>")
    for p in row.parts:
        title = f"Part {_e(p.part)}: " if p.part else ""
        out.append(f"<h4>{title}{badge(p.verdict)} <span class='ctx'>rule <code>{_e(p.rule)}</code></span></h4>")
        out.append(f"<p class='ctx'>Rule: {_e(_rule_text(p.rule))}</p>")
        if p.not_checked:
            out.append(f"<p><b>Not decided:</b> {_e(p.not_checked)}</p>")
        if p.scope:
            out.append(f"<p><b>Scope.</b> {cross_links(_e(p.scope))}</p>")
        if p.printed is not None or p.corrected is not None:
            out.append(f"<p><b>Printed:</b> <code>{_e(p.printed)}</code><br><b>Corrected:</b> "
                       f"<code>{_e(p.corrected)}</code><br><b>Conclusion survives:</b> "
                       f"{_e(p.conclusion_survives)}</p>")
        if p.comparisons:
            head, rest = p.comparisons[:FOLD], p.comparisons[FOLD:]
            out.append(comparisons_table(head))
            if rest:
                out.append(f"<details><summary>{len(rest)} more comparisons</summary>{comparisons_table(rest)}"
                           "</details>")
        figs = figures.from_finding(p)
        if figs:
            out.append("<div class='figs'>" + "".join(figures.svg(f) for f in figs) + "</div>")
    ctl = row.control_results()
    if ctl:
        out.append("<p><b>Controls</b> (the same rule on a planted violation):</p><ul>")
        for c in ctl:
            flip = "<span class='ok'>flipped</span>" if c["flipped"] else "<span class='bad'>did not flip</span>"
            part = f" [{_e(c['part'])}]" if c["part"] else ""
            out.append(f"<li>{_e(c['planted'])}{part}: {badge(c['control_verdict'])} vs paper "
                       f"{badge(c['paper_verdict'])} — {flip}</li>")
        out.append("</ul>")
    else:
        out.append("<p class='ctx'>No control (no check).</p>")
    out.append("</section>")
    return "\n".join(out)


def summary_table(report: Sequence[Row]) -> str:
    out = []
    section = None
    for r in report:
        if r.claim.section != section:
            if section is not None:
                out.append("</table>")
            section = r.claim.section
            out.append(f"<h3>{_e(SECTIONS[section])}</h3><table class='summary'><tr><th>ID</th><th>where</th>"
                       "<th>kind</th><th>verdict</th><th>control</th><th>headline</th></tr>")
        ctl = r.control_results()
        flag = "—" if not ctl else ("flips" if all(c["flipped"] for c in ctl) else "<b>no flip</b>")
        out.append(f"<tr><td><a href='#{_e(r.id)}'>{_e(r.id)}</a></td><td>{_e(r.claim.where)}</td>"
                   f"<td>{_e(r.claim.kind)}</td><td>{badge(r.verdict)}</td><td>{flag}</td>"
                   f"<td>{_e(r.headline)}</td></tr>")
    if out:
        out.append("</table>")
    return "\n".join(out)


def errata_table(report: Sequence[Row]) -> str:
    rows = [(r, p) for r in report for p in r.parts if p.printed is not None or p.corrected is not None]
    if not rows:
        return "<p class='ctx'>No printed form was found wrong.</p>"
    out = ["<table class='errata'><tr><th>claim</th><th>part</th><th>printed</th><th>corrected</th>"
           "<th>conclusion survives</th></tr>"]
    for r, p in rows:
        out.append(f"<tr><td><a href='#{_e(r.id)}'>{_e(r.id)}</a></td><td>{_e(p.part)}</td>"
                   f"<td><code>{_e(p.printed)}</code></td><td><code>{_e(p.corrected)}</code></td>"
                   f"<td>{_e(p.conclusion_survives)}</td></tr>")
    out.append("</table>")
    return "\n".join(out)


def page(report: Sequence[Row], provenance: Mapping[str, Any] | None = None,
         title: str = "Sub-task decomposition: claim-by-claim verification") -> str:
    """The whole report as one HTML document (string)."""
    prov = provenance or {}
    prov_rows = "".join(f"<tr><td>{_e(k)}</td><td class='mono'>{_e(v)}</td></tr>" for k, v in prov.items())
    counts: dict[str, int] = {}
    for r in report:
        counts[r.verdict] = counts.get(r.verdict, 0) + 1
    tally = " ".join(f"{badge(v)} {n}" for v, n in sorted(counts.items()))
    body = [
        f"<h1>{_e(title)}</h1>",
        "<p>Paper: <i>Sub-task decomposition enables learning in sequence to sequence tasks</i>; and Kim &amp; "
        "Suzuki (ICLR 2025). Every verdict is derived by a documented rule from the typed comparisons shown; "
        "every rule is also run on a planted violation (its control), which must flip it.</p>",
        f"<p>{tally}</p>",
        f"<h2>Provenance</h2><table class='prov'>{prov_rows}</table>" if prov_rows else "",
        "<h2>Summary</h2>", summary_table(report),
        "<h2>Errata: printed and corrected side by side</h2>", errata_table(report),
        "<h2>Claims</h2>", *[claim_section(r) for r in report],
    ]
    return (f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>{_e(title)}</title>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><style>{CSS}</style></head>"
            f"<body>\n" + "\n".join(body) + "\n</body></html>\n")
