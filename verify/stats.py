"""Fitting and statistics: the one place where slopes, rates and their intervals are computed.

- :func:`linear_fit` — ordinary least squares with a Student-t interval for the slope (n >= 3; with two
  points the interval is undefined, NaN, so a rule that needs it cannot hold by accident);
- :func:`power_fit` / :func:`exp_fit` — the exponent of y ~ x^p (slope of ln y on ln x) and the rate of
  y ~ e^(r x) (slope of ln y on x);
- :func:`local_rates` — the successive slopes d ln y / dx between neighbouring sizes;
- :func:`censored_fit` — a log-normal accelerated-failure-time model for steps-to-learn with right
  censoring (a run that did not learn inside its budget contributes P(T > budget), never a made-up
  value), maximum likelihood with scipy, and a stratified bootstrap percentile interval (seeded);
- :func:`bootstrap_ci` — percentile interval of any statistic over resampled units.

Every interval carries its level; every random draw takes an explicit seed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import optimize, special, stats

LEVEL = 0.95
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


@dataclass(frozen=True)
class Fit:
    """y = intercept + slope * x, with a confidence interval of the slope."""

    slope: float
    intercept: float
    slope_ci: tuple[float, float]
    level: float
    n: int
    method: str
    loglik: float = math.nan

    def predict(self, x: float | np.ndarray) -> float | np.ndarray:
        return self.intercept + self.slope * np.asarray(x, dtype=float)


def linear_fit(x: Sequence[float], y: Sequence[float], level: float = LEVEL) -> Fit:
    """OLS slope with a t-interval (NaN interval when fewer than 3 points or the x are all equal)."""
    xa, ya = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if xa.shape != ya.shape or xa.size < 2:
        raise ValueError(f"need at least 2 paired points, got {xa.size}")
    if not (np.all(np.isfinite(xa)) and np.all(np.isfinite(ya))):
        raise ValueError("non-finite value in a fit")
    n = xa.size
    xc = xa - xa.mean()
    sxx = float(xc @ xc)
    if sxx == 0:
        return Fit(math.nan, float(ya.mean()), (math.nan, math.nan), level, n, "ols")
    slope = float(xc @ (ya - ya.mean())) / sxx
    intercept = float(ya.mean() - slope * xa.mean())
    if n < 3:
        return Fit(slope, intercept, (math.nan, math.nan), level, n, "ols")
    resid = ya - (intercept + slope * xa)
    s2 = float(resid @ resid) / (n - 2)
    half = stats.t.ppf(0.5 + level / 2, n - 2) * math.sqrt(s2 / sxx)
    return Fit(slope, intercept, (slope - half, slope + half), level, n, "ols")


def power_fit(x: Sequence[float], y: Sequence[float], level: float = LEVEL) -> Fit:
    """Exponent p of y ~ c x^p: the OLS slope of ln y on ln x."""
    return linear_fit(np.log(np.asarray(x, float)), np.log(np.asarray(y, float)), level)


def exp_fit(x: Sequence[float], y: Sequence[float], level: float = LEVEL) -> Fit:
    """Rate r of y ~ c e^(r x): the OLS slope of ln y on x."""
    return linear_fit(np.asarray(x, float), np.log(np.asarray(y, float)), level)


def local_rates(x: Sequence[float], y: Sequence[float]) -> np.ndarray:
    """Successive slopes (ln y[k+1] - ln y[k]) / (x[k+1] - x[k]) between neighbouring sizes."""
    xa, ya = np.asarray(x, float), np.log(np.asarray(y, float))
    return np.diff(ya) / np.diff(xa)


def bootstrap_ci(statistic: Callable[[np.ndarray], float], units: int, reps: int = 400, seed: int = 0,
                 level: float = LEVEL) -> tuple[float, float]:
    """Percentile interval of ``statistic(indices)`` over ``reps`` resamples (with replacement) of ``units``.

    Non-finite statistics (an unidentified refit) are dropped; if more than 10% are, the interval is NaN.
    """
    rng = np.random.default_rng(seed)
    values = np.array([statistic(rng.integers(0, units, units)) for _ in range(reps)], dtype=float)
    finite = values[np.isfinite(values)]
    if finite.size < 0.9 * reps:
        return (math.nan, math.nan)
    lo, hi = np.quantile(finite, [0.5 - level / 2, 0.5 + level / 2])
    return float(lo), float(hi)


# ------------------------------------------------------------------------------------------ censored data
def _aft_mle(x: np.ndarray, logt: np.ndarray, observed: np.ndarray) -> tuple[np.ndarray, float]:
    """Maximum likelihood of log T = a + b x + s * N(0, 1), right-censored where ``observed`` is False."""
    obs, cens = observed, ~observed

    def nll(theta: np.ndarray) -> float:
        a, b, log_s = theta
        s = math.exp(log_s)
        # stats.norm.logpdf / logsf written out (the same formulas, without scipy's per-call overhead, which
        # made the bootstrap refits 4x slower): logpdf = -z^2/2 - ln sqrt(2 pi), logsf(z) = log_ndtr(-z).
        # Overflow at a simplex vertex with s -> 0 is silent, as it was inside scipy.stats.
        with np.errstate(all="ignore"):
            z = (logt - a - b * x) / s
            ll = np.sum(-0.5 * z[obs] ** 2 - _LOG_SQRT_2PI - log_s) + np.sum(special.log_ndtr(-z[cens]))
        return -float(ll)

    if obs.sum() >= 2 and np.ptp(x[obs]) > 0:
        b0, a0 = np.polyfit(x[obs], logt[obs], 1)
    else:
        a0, b0 = float(logt.mean()), 0.0
    start = np.array([a0, b0, math.log(max(np.std(logt), 0.1))])
    res = optimize.minimize(nll, start, method="Nelder-Mead",
                            options={"xatol": 1e-6, "fatol": 1e-8, "maxiter": 4000})
    return res.x, -float(res.fun)


def censored_fit(x: Sequence[float], steps: Sequence[float], observed: Sequence[bool], *, reps: int = 300,
                 seed: int = 0, level: float = LEVEL) -> Fit:
    """Slope b of log steps = a + b x (log-normal AFT), right-censored, with a bootstrap interval.

    Args:
        x: the covariate per run (d for an exponential law, ln d for a power law).
        steps: steps to learn (observed) or the budget (censored), > 0.
        observed: True where the run learned inside its budget.
        reps, seed, level: the stratified bootstrap (runs resampled within each x), seeded.

    The interval is NaN when the data cannot identify the slope (fewer than two distinct x with an
    observed run, or most bootstrap refits unidentified): a rule on it then cannot hold.
    """
    point = censored_mle(x, steps, observed, level)
    if math.isnan(point.slope):
        return point
    xa = np.asarray(x, float)
    logt = np.log(np.asarray(steps, float))
    ob = np.asarray(observed, bool)
    groups = [np.flatnonzero(xa == v) for v in np.unique(xa)]
    rng = np.random.default_rng(seed)
    slopes = []
    for _ in range(reps):
        idx = np.concatenate([rng.choice(g, g.size) for g in groups])
        if len(np.unique(xa[idx][ob[idx]])) < 2:
            slopes.append(math.nan)
            continue
        slopes.append(_aft_mle(xa[idx], logt[idx], ob[idx])[0][1])
    arr = np.array(slopes)
    finite = arr[np.isfinite(arr)]
    if finite.size < 0.9 * reps:
        ci = (math.nan, math.nan)
    else:
        lo, hi = np.quantile(finite, [0.5 - level / 2, 0.5 + level / 2])
        ci = (float(lo), float(hi))
    return replace(point, slope_ci=ci)


def censored_mle(x: Sequence[float], steps: Sequence[float], observed: Sequence[bool], level: float = LEVEL) -> Fit:
    """The maximum-likelihood fit of :func:`censored_fit` without the bootstrap (NaN interval): for a
    log-likelihood comparison between two laws, where no interval is needed. NaN when unidentified."""
    xa = np.asarray(x, float)
    logt = np.log(np.asarray(steps, float))
    ob = np.asarray(observed, bool)
    if not (xa.shape == logt.shape == ob.shape) or xa.size < 2:
        raise ValueError("x, steps and observed must be paired, with at least 2 runs")
    if len(np.unique(xa[ob])) < 2:
        return Fit(math.nan, math.nan, (math.nan, math.nan), level, int(xa.size), "aft-lognormal")
    theta, ll = _aft_mle(xa, logt, ob)
    return Fit(float(theta[1]), float(theta[0]), (math.nan, math.nan), level, int(xa.size), "aft-lognormal", ll)
