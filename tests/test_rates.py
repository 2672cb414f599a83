"""A2/A3 rate fits: the slope helper on exact power laws, and the check's rows at tiny sizes."""

import numpy as np
import pytest

from verify import rates
from verify.claims import VERDICTS


@pytest.mark.parametrize("k", [-1.0, 0.5, 1.0, 8.0])
def test_slope_recovers_a_power(k):
    x = np.array([2.0, 4.0, 8.0, 16.0])
    assert rates.slope(x, 3.0 * x**k) == pytest.approx(k)


def test_check_rows_small():
    rows = rates.check(widths=(16, 32, 64), seeds=(0, 1, 2), steps=6, d=4, lengths=(5, 7, 9))
    assert [r.id for r in rows] == ["A2", "A2", "A3", "A3"]
    assert all(r.verdict in VERDICTS for r in rows)
    fit_rows = [r for r in rows if r.relation == "rate"]
    for r in fit_rows:
        assert set(r.measured) == {"i", "m", "T"}
        assert r.measured["m"] < 0  # distance shrinks with width at eta = 1/(m sqrt n)
        assert 0 < r.measured["i"] <= 1.1  # growth in i is at most linear (eq. 25 / 54)


def test_inflate_attains_m_sigma():
    row = rates.sigma_term(3, (8, 16, 32))
    assert row.verdict == "erratum"
    assert all(v == pytest.approx(1.0, rel=1e-9) for v in row.measured.values())
