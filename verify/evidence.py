"""The evidence model: typed comparisons, findings made of them, the decision rules, and controls.

A claim module never writes a verdict word. It measures, then builds :class:`Comparison` objects with
:func:`compare` (the quantity, where it sits in the paper, the parameters, the measured value — exact text
and/or a float with its interval —, what the paper prints or bounds it by, and the relation), groups them
into a :class:`Finding` for one claim part, and names the rule (a key of :data:`RULES`) that turns the
comparisons into a verdict. The evidence text is rendered from the same comparisons.

A comparison's ``holds`` is computed here, by :func:`compare`, from the measured value, the relation and
the reference; it cannot be passed in.

Roles. ``"check"`` comparisons decide; ``"printed"`` ones compare the paper's printed form with the
re-derived object; ``"corrected"`` ones compare our corrected form with it; ``"context"`` ones are shown
but never decide (e.g. random-label baselines).

Rules (each a pure function of the finding's comparisons; see their docstrings):

- ``exact``     holds / erratum / fails — exact claims and the appendix's printed proof steps;
- ``empirical`` consistent / inconsistent — a measured rate or bound against the paper's shape;
- ``measured``  measured / inconsistent — an open question answered by measurement, whose sanity
  comparisons (e.g. the extremes reproduce a known result) must hold.

Every rule answers "not yet checked" when no deciding comparison exists or the finding says why it could
not decide (``not_checked``): that is the only way to get it.

A :class:`Control` is the same rule applied to a planted violation (built by the module's ``controls``
function through the same ``decide`` code path); it *flipped* when its verdict differs from the verdict on
the paper and is a checked verdict.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import mpmath
import sympy

from verify.claims import BY_ID

NOT_CHECKED = "not yet checked"
ROLES = ("check", "printed", "corrected", "context")

# relation -> (symbol shown, needs an interval on the measured side, reference is an interval)
RELATIONS: dict[str, tuple[str, bool, bool]] = {
    "eq": ("=", False, False),  # measured == reference (exactly when both are exact, else within tol)
    "le": ("<=", False, False),  # measured <= reference + tol
    "ge": (">=", False, False),  # measured >= reference - tol
    "lt": ("<", False, False),
    "gt": (">", False, False),
    "in": ("in", False, True),  # reference = (lo, hi) band: lo - tol <= measured <= hi + tol
    "ci_above": ("CI >", True, False),  # the whole interval of measured lies above the reference
    "ci_below": ("CI <", True, False),  # ... below it
    "ci_contains": ("CI ∋", True, False),  # the interval contains the reference
    "ci_within": ("CI ⊂", True, True),  # the interval lies inside the reference band (lo, hi)
}

Exact = int | Fraction | sympy.Basic


# ------------------------------------------------------------------------------------------------ comparison
@dataclass(frozen=True)
class Comparison:
    """One measured quantity against what the paper prints or bounds it by.

    Attributes:
        quantity: what was measured ("max |a_i| over all gates").
        source: where in the paper ("Lemma 3, eq. 22").
        params: the parameter values it was measured at ({"N": 3}).
        measured: float value (None only when nothing numeric exists).
        measured_exact: exact text (a rational, a sympy expression) where the claim is exact.
        interval: (lo, hi) confidence interval of ``measured`` where it is an estimate.
        level: the interval's confidence level.
        reference: the printed value or bound (float), or a (lo, hi) band.
        reference_exact: the printed value as exact text.
        relation: a key of ``RELATIONS``.
        tol: the tolerance used (0 for exact comparisons).
        holds: whether the relation holds (computed by :func:`compare`).
        role: "check", "printed", "corrected" or "context".
        note: a short remark (which reading, which oracle, what the CI is of).
    """

    quantity: str
    source: str
    params: Mapping[str, Any]
    measured: float | None
    measured_exact: str | None
    interval: tuple[float, float] | None
    level: float | None
    reference: float | tuple[float, float] | None
    reference_exact: str | None
    relation: str
    tol: float
    holds: bool
    role: str = "check"
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        ref = self.reference
        return {
            "quantity": self.quantity, "source": self.source, "params": _jsonable(dict(self.params)),
            "measured": _num(self.measured), "measured_exact": self.measured_exact,
            "interval": None if self.interval is None else [_num(v) for v in self.interval], "level": self.level,
            "reference": (None if ref is None else [_num(v) for v in ref] if isinstance(ref, tuple) else _num(ref)),
            "reference_exact": self.reference_exact, "relation": self.relation, "tol": self.tol,
            "holds": self.holds, "role": self.role, "note": self.note,
        }

    def text(self) -> str:
        """One rendered line: ``quantity [params]: measured rel reference (ok|VIOLATED)``."""
        params = ", ".join(f"{k}={_fmt_param(v)}" for k, v in self.params.items())
        left = self.measured_exact if self.measured_exact is not None else _fmt(self.measured)
        if self.interval is not None:
            lo, hi = self.interval
            left += f" [{_fmt(lo)}, {_fmt(hi)}]"
        ref = self.reference
        right = (self.reference_exact if self.reference_exact is not None
                 else f"[{_fmt(ref[0])}, {_fmt(ref[1])}]" if isinstance(ref, tuple) else _fmt(ref))
        sym = RELATIONS[self.relation][0]
        mark = "" if self.role == "context" else (" ok" if self.holds else " VIOLATED")
        tag = {"printed": " (as printed)", "corrected": " (corrected)", "context": " (context)"}.get(self.role, "")
        return f"{self.quantity}{tag}{' [' + params + ']' if params else ''}: {left} {sym} {right}{mark}"


def compare(quantity: str, source: str, measured: Any, relation: str, reference: Any = None, *,
            params: Mapping[str, Any] | None = None, interval: tuple[float, float] | None = None,
            level: float | None = None, tol: float = 0.0, role: str = "check", note: str = "") -> Comparison:
    """Build a comparison and decide whether it holds.

    ``measured`` / ``reference`` may be exact (int, Fraction, sympy expression): then ``eq``, ``le``, ``ge``,
    ``lt``, ``gt`` are decided exactly (sympy simplification, falling back to 60-digit evaluation for an
    inequality sympy cannot settle) and ``tol`` must be 0. Floats are compared with ``tol``. Interval
    relations need ``interval``. A NaN anywhere makes the comparison fail (never hold by accident).
    """
    if relation not in RELATIONS:
        raise ValueError(f"unknown relation {relation!r}; one of {sorted(RELATIONS)}")
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; one of {ROLES}")
    _, needs_interval, ref_is_band = RELATIONS[relation]
    if needs_interval and interval is None:
        raise ValueError(f"relation {relation!r} needs the measured interval")
    if ref_is_band and not (isinstance(reference, tuple | list) and len(reference) == 2):
        raise ValueError(f"relation {relation!r} needs a (lo, hi) reference")
    exact = _is_exact(measured) and _is_exact(reference)
    if exact and tol:
        raise ValueError("an exact comparison takes no tolerance")
    if exact:
        holds = _exact_relation(sympy.sympify(measured), relation, sympy.sympify(reference))
    else:
        holds = _float_relation(_to_float(measured), relation, reference, interval, tol)
    ref_float: float | tuple[float, float] | None
    if ref_is_band:
        ref_float = (_to_float(reference[0]), _to_float(reference[1]))
    else:
        ref_float = None if reference is None else _to_float(reference)
    return Comparison(
        quantity=quantity, source=source, params=dict(params or {}),
        measured=None if measured is None else _to_float(measured),
        measured_exact=_exact_text(measured), interval=None if interval is None else (float(interval[0]),
                                                                                     float(interval[1])),
        level=level, reference=ref_float, reference_exact=None if ref_is_band else _exact_text(reference),
        relation=relation, tol=float(tol), holds=bool(holds), role=role, note=note,
    )


def _is_exact(v: Any) -> bool:
    return isinstance(v, int | Fraction | sympy.Basic) and not isinstance(v, bool | sympy.Float)


def _exact_text(v: Any) -> str | None:
    if isinstance(v, bool) or not _is_exact(v):
        return None
    return str(sympy.nsimplify(v) if isinstance(v, Fraction) else v)


def _to_float(v: Any) -> float:
    if v is None:
        return math.nan
    if isinstance(v, sympy.Basic):
        return float(sympy.N(v, 30))
    return float(v)


def _exact_relation(m: sympy.Expr, relation: str, r: sympy.Expr) -> bool:
    diff = sympy.simplify(m - r)
    if relation == "eq":
        return diff == 0
    if diff.is_number:
        with mpmath.workdps(60):
            value = sympy.N(diff, 60)
        sign = 0 if diff == 0 else (1 if value > 0 else -1)
    else:
        raise ValueError(f"cannot order non-numeric expressions {m} and {r}")
    return {"le": sign <= 0, "ge": sign >= 0, "lt": sign < 0, "gt": sign > 0}[relation]


def _float_relation(m: float, relation: str, reference: Any, interval: tuple[float, float] | None,
                    tol: float) -> bool:
    if relation in {"in", "ci_within"}:
        lo, hi = (_to_float(v) for v in reference)
    else:
        r = _to_float(reference)
    if relation.startswith("ci_"):
        assert interval is not None
        a, b = (float(v) for v in interval)
        if any(math.isnan(v) for v in (a, b)):
            return False
        return {"ci_above": lambda: a > r, "ci_below": lambda: b < r, "ci_contains": lambda: a <= r <= b,
                "ci_within": lambda: lo <= a and b <= hi}[relation]()
    if math.isnan(m):
        return False
    if relation == "in":
        return lo - tol <= m <= hi + tol
    return {"eq": lambda: abs(m - r) <= tol, "le": lambda: m <= r + tol, "ge": lambda: m >= r - tol,
            "lt": lambda: m < r, "gt": lambda: m > r}[relation]()


# ------------------------------------------------------------------------------------------------ rules
def rule_exact(comparisons: Sequence[Comparison]) -> str:
    """Exact claims and printed proof steps.

    holds    every deciding comparison holds;
    erratum  every "check" and "corrected" comparison holds, some "printed" comparison fails, and at
             least one "corrected" comparison exists (the print is wrong, our corrected form is right);
    fails    anything else (a "check" fails, or a printed form fails with no corrected form that holds).
    """
    deciding = [c for c in comparisons if c.role != "context"]
    if all(c.holds for c in deciding):
        return "holds"
    printed_bad = [c for c in deciding if c.role == "printed" and not c.holds]
    others_ok = all(c.holds for c in deciding if c.role in {"check", "corrected"})
    has_corrected = any(c.role == "corrected" for c in deciding)
    if printed_bad and others_ok and has_corrected:
        return "erratum"
    return "fails"


def rule_empirical(comparisons: Sequence[Comparison]) -> str:
    """Empirical rates and bounds: consistent when every deciding comparison (an interval against the
    bound's shape, a per-step relation, a constant over sizes) holds; inconsistent otherwise."""
    return "consistent" if all(c.holds for c in comparisons if c.role != "context") else "inconsistent"


def rule_measured(comparisons: Sequence[Comparison]) -> str:
    """An open question answered by measurement: measured when every sanity comparison holds (e.g. the two
    extreme settings reproduce a known result, the fit's interval is finite); inconsistent otherwise."""
    return "measured" if all(c.holds for c in comparisons if c.role != "context") else "inconsistent"


RULES: dict[str, Callable[[Sequence[Comparison]], str]] = {
    "exact": rule_exact,
    "empirical": rule_empirical,
    "measured": rule_measured,
}

# Most serious first: used to merge parts into one row (see ``merge_verdicts``).
SEVERITY = ("fails", "inconsistent", "erratum", "consistent", "measured", "holds", NOT_CHECKED)


def merge_verdicts(verdicts: Iterable[str]) -> str:
    """The row's verdict from its parts': the most serious verdict among the parts that were checked.

    A part that was not checked never hides one that was; only when no part was checked is the row
    "not yet checked".
    """
    checked = [v for v in verdicts if v != NOT_CHECKED]
    return min(checked, key=SEVERITY.index) if checked else NOT_CHECKED


# ------------------------------------------------------------------------------------------------ finding
@dataclass(frozen=True)
class Finding:
    """One claim part: its comparisons and the rule that decides it.

    Attributes:
        id: claim ID (``verify.claims``).
        rule: a key of ``RULES``.
        comparisons: the typed comparisons, the most telling first.
        part: which part of the claim ("", "RNN", "eq. 19", ...).
        scope: what the paper's statement covers and what was measured (sizes, algorithm, oracle).
        printed / corrected: the printed and the corrected form, where a step is an erratum.
        conclusion_survives: for an erratum, whether the lemma's conclusion survives the correction.
        not_checked: why nothing could be decided (no data, every run censored); forces "not yet checked".
        details: extra data for a module's own CLI, notebooks and figures (JSON-able).
    """

    id: str
    rule: str
    comparisons: tuple[Comparison, ...]
    part: str = ""
    scope: str = ""
    printed: str | None = None
    corrected: str | None = None
    conclusion_survives: bool | None = None
    not_checked: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.id not in BY_ID:
            raise ValueError(f"unknown claim ID {self.id!r}")
        if self.rule not in RULES:
            raise ValueError(f"unknown rule {self.rule!r}; one of {sorted(RULES)}")
        object.__setattr__(self, "comparisons", tuple(self.comparisons))
        if not self.comparisons and self.not_checked is None:
            raise ValueError(f"{self.id}: a finding needs comparisons or a not_checked reason")

    @property
    def verdict(self) -> str:
        if self.not_checked is not None or not any(c.role != "context" for c in self.comparisons):
            return NOT_CHECKED
        return RULES[self.rule](self.comparisons)

    @property
    def headline(self) -> str:
        """One line: the first violated deciding comparison (else the first one) and the count that hold."""
        if self.verdict == NOT_CHECKED and self.not_checked:
            return self.not_checked
        deciding = [c for c in self.comparisons if c.role != "context"]
        bad = [c for c in deciding if not c.holds]
        lead = (bad or deciding or list(self.comparisons))[0]
        ok = sum(c.holds for c in deciding)
        return f"{lead.text()} ({ok}/{len(deciding)} comparisons hold)"

    @property
    def evidence(self) -> str:
        """The full evidence text, rendered from the comparisons (never written by hand)."""
        head = f"{self.part}: " if self.part else ""
        lines = [c.text() for c in self.comparisons]
        if self.not_checked:
            lines.insert(0, f"not decided: {self.not_checked}")
        if self.printed is not None or self.corrected is not None:
            survive = {True: "conclusion survives", False: "conclusion does not survive", None: ""}[
                self.conclusion_survives]
            lines.append(f"printed: {self.printed}; corrected: {self.corrected}"
                         + (f" ({survive})" if survive else ""))
        if self.scope:
            lines.append(f"scope: {self.scope}")
        return head + "; ".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "part": self.part, "rule": self.rule, "verdict": self.verdict,
            "evidence": self.evidence, "headline": self.headline, "scope": self.scope,
            "printed": self.printed, "corrected": self.corrected,
            "conclusion_survives": self.conclusion_survives, "not_checked": self.not_checked,
            "comparisons": [c.to_json() for c in self.comparisons],
        }


@dataclass(frozen=True)
class Control:
    """The same decision rule applied to a planted violation.

    Attributes:
        id: claim ID; part: the claim part it controls (matches the paper finding's part).
        planted: what was planted, in words ("the printed eq. 19 in place of the interpolant").
        finding: the rule's finding on the planted data (built through the module's own ``decide``).
    """

    id: str
    planted: str
    finding: Finding
    part: str = ""

    @property
    def verdict(self) -> str:
        return self.finding.verdict

    def flipped(self, paper_verdict: str) -> bool:
        """True when the planted violation changes a checked verdict."""
        return self.verdict != NOT_CHECKED and paper_verdict != NOT_CHECKED and self.verdict != paper_verdict

    def to_json(self, paper_verdict: str) -> dict[str, Any]:
        return {"id": self.id, "part": self.part, "planted": self.planted, "paper_verdict": paper_verdict,
                "control_verdict": self.verdict, "flipped": self.flipped(paper_verdict),
                "rule": self.finding.rule, "comparisons": [c.to_json() for c in self.finding.comparisons]}


# ------------------------------------------------------------------------------------------------ formatting
def _num(v: Any) -> float | None:
    if v is None:
        return None
    f = float(v)
    return None if math.isnan(f) else (f if math.isfinite(f) else (1e308 if f > 0 else -1e308))


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    if isinstance(v, bool | int | str) or v is None:
        return v
    if isinstance(v, float):
        return _num(v)
    return str(v)


def _fmt(v: float | None) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    if v == 0:
        return "0"
    a = abs(v)
    if math.isinf(a):
        return "inf" if v > 0 else "-inf"
    if 1e-3 <= a < 1e5:
        return f"{v:.4g}"
    return f"{v:.3e}"


def _fmt_param(v: Any) -> str:
    if isinstance(v, float):
        return _fmt(v)
    if isinstance(v, list | tuple):
        return ",".join(_fmt_param(x) for x in v)
    return str(v)
