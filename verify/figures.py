"""Figures for the report, as data and as inline SVG (no matplotlib, no network: the HTML page is one file).

A :class:`Figure` is a list of :class:`Series` (points with optional interval bars, or lines, or a shaded
band) on linear or log axes. Modules may attach their own figures to a finding as
``details["figures"] = [Figure(...).to_json(), ...]``; otherwise :func:`from_finding` draws one from the
comparisons themselves: every quantity measured at >= 2 values of one numeric parameter becomes measured
(with its interval) against the reference the paper prints or bounds it by.

:func:`svg` renders a figure; every series is one ``<g class="series" data-name="...">`` so a test can
count what was drawn.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from verify.evidence import Comparison, Finding

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")


@dataclass(frozen=True)
class Series:
    """One series: ``style`` is "points" (markers, with ``lo``/``hi`` bars when given), "line" or "band"."""

    name: str
    x: tuple[float, ...]
    y: tuple[float, ...]
    lo: tuple[float, ...] | None = None
    hi: tuple[float, ...] | None = None
    style: str = "points"


@dataclass(frozen=True)
class Figure:
    title: str
    x_label: str
    y_label: str
    series: tuple[Series, ...]
    log_x: bool = False
    log_y: bool = False
    notes: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Figure:
        series = tuple(Series(**{**s, **{k: tuple(v) if isinstance(v, list) else v for k, v in s.items()}})
                       for s in data["series"])
        return cls(data["title"], data["x_label"], data["y_label"], series, bool(data.get("log_x")),
                   bool(data.get("log_y")), tuple(data.get("notes", ())))


# ------------------------------------------------------------------------------------------ from comparisons
def _numeric_params(c: Comparison) -> dict[str, float]:
    return {k: float(v) for k, v in c.params.items() if isinstance(v, int | float) and not isinstance(v, bool)}


def from_finding(finding: Finding) -> list[Figure]:
    """The module's own figures if it attached any, else one figure per quantity measured at >= 2 values
    of one numeric parameter (measured with its interval against the reference)."""
    own = finding.details.get("figures") if isinstance(finding.details, Mapping) else None
    if own:
        return [f if isinstance(f, Figure) else Figure.from_json(f) for f in own]
    groups: dict[tuple[str, str], list[Comparison]] = {}
    for c in finding.comparisons:
        if c.measured is None or not math.isfinite(c.measured):
            continue
        groups.setdefault((c.quantity, c.role), []).append(c)
    figures = []
    for (quantity, role), comps in groups.items():
        if len(comps) < 2:
            continue
        axis = _varying_param(comps)
        if axis is None:
            continue
        comps = sorted(comps, key=lambda c: _numeric_params(c)[axis])
        xs = tuple(_numeric_params(c)[axis] for c in comps)
        measured = Series("measured", xs, tuple(c.measured for c in comps),
                          lo=tuple(c.interval[0] if c.interval else c.measured for c in comps),
                          hi=tuple(c.interval[1] if c.interval else c.measured for c in comps))
        series = [measured]
        refs = [c.reference for c in comps]
        if all(isinstance(r, tuple) for r in refs):
            series.append(Series("band (paper)", xs, tuple((r[0] + r[1]) / 2 for r in refs),
                                 lo=tuple(r[0] for r in refs), hi=tuple(r[1] for r in refs), style="band"))
        elif all(isinstance(r, float) and math.isfinite(r) for r in refs):
            sym = {"le": "bound", "lt": "bound", "ge": "lower bound", "gt": "lower bound"}.get(comps[0].relation,
                                                                                           "paper / reference")
            series.append(Series(sym, xs, tuple(float(r) for r in refs), style="line"))
        ys = [v for s in series for v in (*s.y, *(s.lo or ()), *(s.hi or ())) if math.isfinite(v)]
        log_y = bool(ys) and min(ys) > 0 and max(ys) / min(ys) > 100
        log_x = min(xs) > 0 and max(xs) / min(xs) > 30
        tag = {"printed": " (as printed)", "corrected": " (corrected)", "context": " (context)"}.get(role, "")
        figures.append(Figure(f"{quantity}{tag}", axis, quantity, tuple(series), log_x, log_y,
                              (f"source: {comps[0].source}",)))
    return figures


def _varying_param(comps: Sequence[Comparison]) -> str | None:
    """The first numeric parameter (in the comparisons' own order) that takes a distinct value in each."""
    keys = set.intersection(*(set(_numeric_params(c)) for c in comps))
    order = [k for k in comps[0].params if k in keys]  # the module's own order: the first is the main axis
    for k in order:
        if len({_numeric_params(c)[k] for c in comps}) == len(comps):
            return k
    return None


# ------------------------------------------------------------------------------------------ SVG
W, H, L, R, T, B = 520, 300, 64, 140, 28, 44  # size and margins (right margin holds the legend)


def _scale(values: Sequence[float], log: bool) -> tuple[float, float]:
    vals = [math.log10(v) if log else v for v in values if math.isfinite(v) and (v > 0 or not log)]
    if not vals:
        return (0.0, 1.0)
    lo, hi = min(vals), max(vals)
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    pad = (hi - lo) * 0.06
    return lo - pad, hi + pad


def _ticks(lo: float, hi: float, log: bool) -> list[tuple[float, str]]:
    if log:
        decades = range(math.floor(lo), math.ceil(hi) + 1)
        mults = (1,) if hi - lo > 4 else (1, 2, 5) if hi - lo > 1.2 else (1, 2, 3, 5, 7)
        ticks = [(math.log10(m * 10.0**e), f"{m * 10.0**e:.3g}") for e in decades for m in mults]
        return [t for t in ticks if lo <= t[0] <= hi] or [(lo, f"{10**lo:.3g}")]
    step = 10 ** math.floor(math.log10((hi - lo) / 4 or 1))
    for m in (1, 2, 5, 10):
        if (hi - lo) / (step * m) <= 6:
            step *= m
            break
    first = math.ceil(lo / step) * step
    return [(first + k * step, f"{first + k * step:.4g}") for k in range(int((hi - first) / step) + 1)]


def svg(fig: Figure) -> str:
    """The figure as an inline ``<svg>`` element (each series a ``<g class="series">``)."""
    xs = [v for s in fig.series for v in s.x]
    ys = [v for s in fig.series for v in (*s.y, *(s.lo or ()), *(s.hi or ()))]
    x0, x1 = _scale(xs, fig.log_x)
    y0, y1 = _scale(ys, fig.log_y)

    def px(v: float) -> float | None:
        if not math.isfinite(v) or (fig.log_x and v <= 0):
            return None
        t = math.log10(v) if fig.log_x else v
        return L + (t - x0) / (x1 - x0) * (W - L - R)

    def py(v: float) -> float | None:
        if not math.isfinite(v) or (fig.log_y and v <= 0):
            return None
        t = math.log10(v) if fig.log_y else v
        return H - B - (t - y0) / (y1 - y0) * (H - T - B)

    esc = html.escape
    out = [f'<svg class="figure" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" '
           f'height="{H}" role="img" aria-label="{esc(fig.title)}">',
           f'<text x="{L}" y="16" class="title">{esc(fig.title[:70])}</text>',
           f'<rect x="{L}" y="{T}" width="{W - L - R}" height="{H - T - B}" class="frame"/>']
    for v, label in _ticks(x0, x1, fig.log_x):
        x = L + (v - x0) / (x1 - x0) * (W - L - R)
        out.append(f'<line x1="{x:.1f}" y1="{H - B}" x2="{x:.1f}" y2="{H - B + 4}" class="tick"/>'
                   f'<text x="{x:.1f}" y="{H - B + 16}" class="tl" text-anchor="middle">{label}</text>')
    for v, label in _ticks(y0, y1, fig.log_y):
        y = H - B - (v - y0) / (y1 - y0) * (H - T - B)
        out.append(f'<line x1="{L - 4}" y1="{y:.1f}" x2="{L}" y2="{y:.1f}" class="tick"/>'
                   f'<text x="{L - 6}" y="{y + 4:.1f}" class="tl" text-anchor="end">{label}</text>')
    out.append(f'<text x="{(L + W - R) / 2}" y="{H - 8}" class="al" text-anchor="middle">{esc(fig.x_label)}'
               f'{" (log)" if fig.log_x else ""}</text>')
    out.append(f'<text x="14" y="{(T + H - B) / 2}" class="al" text-anchor="middle" '
               f'transform="rotate(-90 14 {(T + H - B) / 2})">{esc(fig.y_label[:40])}{" (log)" if fig.log_y else ""}'
               f'</text>')
    for k, s in enumerate(fig.series):
        color = PALETTE[k % len(PALETTE)]
        parts = [f'<g class="series" data-name="{esc(s.name)}" data-style="{s.style}" stroke="{color}" '
                 f'fill="{color}">']
        pts = [(px(x), py(y)) for x, y in zip(s.x, s.y, strict=True)]
        if s.style == "band" and s.lo and s.hi:
            upper = [(px(x), py(h)) for x, h in zip(s.x, s.hi, strict=True)]
            lower = [(px(x), py(lo)) for x, lo in zip(s.x, s.lo, strict=True)][::-1]
            poly = [p for p in upper + lower if None not in p]
            if poly:
                parts.append('<polygon class="band" fill-opacity="0.18" stroke="none" points="'
                             + " ".join(f"{a:.1f},{b:.1f}" for a, b in poly) + '"/>')
        if s.style in {"line", "band"}:
            line = [p for p in pts if None not in p]
            if line:
                parts.append('<polyline fill="none" stroke-width="1.6"'
                             + (' stroke-dasharray="5,3"' if s.style == "band" else "") + ' points="'
                             + " ".join(f"{a:.1f},{b:.1f}" for a, b in line) + '"/>')
        else:
            for j, (a, b) in enumerate(pts):
                if a is None or b is None:
                    continue
                if s.lo and s.hi:
                    ylo, yhi = py(s.lo[j]), py(s.hi[j])
                    if ylo is not None and yhi is not None and abs(ylo - yhi) > 0.5:
                        parts.append(f'<line x1="{a:.1f}" y1="{ylo:.1f}" x2="{a:.1f}" y2="{yhi:.1f}" '
                                     f'stroke-width="1.2"/>')
                parts.append(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="3"/>')
        ly = T + 12 + 16 * k
        parts.append(f'<rect x="{W - R + 10}" y="{ly - 8}" width="10" height="10"/>'
                     f'<text x="{W - R + 24}" y="{ly + 1}" class="lg" stroke="none" fill="#222">'
                     f'{esc(s.name[:20])}</text>')
        parts.append("</g>")
        out.append("".join(parts))
    out.append("</svg>")
    return "\n".join(out)
