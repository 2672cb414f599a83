import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from verify import cli
from verify import lemma13 as l13


@pytest.mark.parametrize("d", [2, 4, 6, 8])
def test_gram_is_2d_identity_and_matches_integer_reference(d):
    p = l13.character_matrix(d, l13.half_subsets(d)).astype(np.int64)
    reference = np.einsum("ix,jx->ij", p, p)  # integer arithmetic, no BLAS
    assert np.array_equal(l13.gram(d), reference)
    assert np.array_equal(reference, (1 << d) * np.eye(p.shape[0], dtype=np.int64))


def test_character_matrix_matches_direct_definition():
    d = 4
    masks = l13.half_subsets(d)
    assert len(masks) == 6
    p = l13.character_matrix(d, masks)
    for r, mask in enumerate(masks):
        for k, bits in enumerate(itertools.product((0, 1), repeat=d)):
            x = bits[::-1]  # x_1 is bit 0 of k
            assert sum(b << j for j, b in enumerate(x)) == k
            assert p[r, k] == (-1) ** sum(x[j] for j in range(d) if mask >> j & 1)


def test_gram_refuses_large_d():
    with pytest.raises(ValueError, match="d <= 12"):
        l13.gram(14)


@st.composite
def pairs(draw, max_d=16):
    d = draw(st.integers(1, max_d))
    h = tuple(draw(st.lists(st.integers(0, 1), min_size=d, max_size=d)))
    h2 = tuple(draw(st.lists(st.integers(0, 1), min_size=d, max_size=d)))
    return h, h2


@given(pairs())
def test_every_printed_step_gives_the_indicator_of_equality(pair):
    # any subset sizes, not only d/2: the correlation of two parities is 1 if the sets agree, 0 otherwise
    h, h2 = pair
    values = l13.steps(h, h2, enumerate_x=True)
    assert set(values) == {"84", "85", "86", "87", "88"}
    assert all(v == int(h == h2) for v in values.values())


@given(pairs(max_d=200))
def test_product_formula_at_large_d(pair):
    h, h2 = pair
    values = l13.steps(h, h2, enumerate_x=False)
    assert values["87"] == values["88"] == int(h == h2)


@given(st.sampled_from([16, 64, 256]), st.integers(0, 2**32 - 1))
def test_random_pair_is_two_distinct_half_subsets(d, seed):
    h, h2 = l13.random_pair(d, np.random.default_rng(seed))
    assert h != h2 and sum(h) == sum(h2) == d // 2


def test_check_comparisons_are_exact_zeros_and_the_control_flips():
    (finding,) = l13.check(l13.Config(dmax=8, pairs=5, sample_ds=(14,)))
    corr = [c for c in finding.comparisons if c.source == "eq. 83"]
    assert [c.params["pairs"] for c in corr] == [2 * 1, 6 * 5, 20 * 19, 70 * 69]
    assert all(c.measured_exact == "0" and c.holds for c in corr)
    (control,) = l13.controls([finding])
    assert control.flipped(finding.verdict)
    assert any(c.measured == 1 and not c.holds for c in control.finding.comparisons)


def test_parity_class_has_one_source():
    from numerics.parity import parity_class, parity_masks

    for d in (2, 4, 6, 8):
        assert np.array_equal(l13.half_subsets(d), parity_masks(d))
        assert [tuple(j for j in range(d) if m >> j & 1) for m in parity_masks(d)] == parity_class(d)
    for bad in (0, 3, 7, -2):
        with pytest.raises(ValueError, match="even d"):
            parity_class(bad)


def test_cli_rejects_bad_dmax(capsys):
    with pytest.raises(SystemExit) as exc:
        l13.main(["--dmax", "14"])
    assert exc.value.code == 2 and "allowed: 2..12" in capsys.readouterr().err
    assert cli.guarded(l13.main, ["--dmax", "4", "--pairs", "3", "--json"]) == 0
