import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from numerics.circuits import all_inputs, paper_tree_supported, parity_tree, random_subset
from verify import cli
from verify import parity_tree as pt

SUPPORTED = [4, 8, 16, 32, 64, 128, 256]


def test_eq14_children_index_by_index_for_d8():
    # d = 8: leaves y_8 = (x_{i1}, x_{i2}), y_9 = (x_{i3}, x_{i4}); root y_10 = (y_8, y_9); T = 10.
    assert pt.eq14_T(8) == 10
    assert [pt.eq14_children(8, t) for t in (8, 9, 10)] == [
        pt.Children("x", 1, 2), pt.Children("x", 3, 4), pt.Children("y", 8, 9)]
    # d = 16: leaves t = 16..19, then y_20 = (y_16, y_17), y_21 = (y_18, y_19), root y_22 = (y_20, y_21).
    assert [pt.eq14_children(16, t) for t in (19, 20, 21, 22)] == [
        pt.Children("x", 7, 8), pt.Children("y", 16, 17), pt.Children("y", 18, 19), pt.Children("y", 20, 21)]


@pytest.mark.parametrize("d", [2, 6, 10, 13])
def test_eq14_needs_d_divisible_by_4(d):
    with pytest.raises(ValueError, match="divisible by 4"):
        pt.eq14_T(d)


def test_eq13_symbolic_and_per_d():
    for d in SUPPORTED:
        assert pt.eq13_derived(d) == pt.eq13_printed(d) == parity_tree(d, random_subset(d, 1)).T


@given(st.sampled_from(SUPPORTED), st.integers(0, 2**32 - 1))
def test_eq14_parents_equal_parity_tree_on_supported_d(d, seed):
    subset = random_subset(d, seed)
    assert pt.eq14_parents(d, subset) == [g.parents for g in parity_tree(d, subset).gates]


@given(st.sampled_from([12, 20, 24, 28, 40, 48]), st.integers(0, 2**32 - 1))
def test_eq14_for_other_multiples_of_4_is_a_valid_tree_but_not_parity_tree(d, seed):
    assert not paper_tree_supported(d)
    subset = random_subset(d, seed)
    parents = pt.eq14_parents(d, subset)
    # every position is used exactly once as a child (a full binary tree), children before their parent
    used = [p for pair in parents for p in pair]
    assert sorted(used) == sorted([*subset, *range(d, pt.eq14_T(d))])
    assert all(max(pair) < d + k for k, pair in enumerate(parents))
    x = np.random.default_rng(seed).integers(0, 2, size=(256, d), dtype=np.uint8)
    assert np.array_equal(pt.eq14_labels(d, subset, x)[:, -1], pt.subset_parity_label(x, subset))
    if d in (20, 28, 40):  # 5, 7, 10 leaves: the carry-up tree has another shape
        assert parents != [g.parents for g in parity_tree(d, subset).gates]


@given(st.sampled_from(SUPPORTED[1:]), st.integers(0, 2**32 - 1))
def test_printed_recursion_is_constant_above_the_leaves_and_corrected_is_parity(d, seed):
    subset = random_subset(d, seed)
    x = np.random.default_rng(seed).integers(0, 2, size=(128, d), dtype=np.uint8)
    printed = pt.eq14_labels(d, subset, x, "printed")
    assert np.all(printed[:, d // 4:] == 1)  # every upper label (-1)^(y_a + y_b) = 1
    corrected = pt.eq14_labels(d, subset, x, "corrected")
    assert np.array_equal(printed[:, : d // 4], corrected[:, : d // 4])  # the leaves agree
    assert np.array_equal(corrected[:, -1], pt.subset_parity_label(x, subset))
    circuit_labels = 2 * parity_tree(d, subset).evaluate(x)[:, d:].astype(np.int64) - 1
    assert np.array_equal(corrected, circuit_labels)


@pytest.mark.parametrize("d", [4, 8, 16])
def test_exhaustive_check_tree(d):
    r = pt.check_tree(d, random_subset(d, 3))
    assert r.inputs == f"all 2^{d}" and r.n_inputs == 2**d
    assert r.parents_mismatch == r.root_mismatch_circuit == r.root_mismatch_eq14 == r.labels_mismatch_eq14 == 0
    assert r.dependence_problems == ()
    assert r.T_circuit == 3 * d // 2 - 2
    assert r.printed_root_mismatch == (2 ** (d - 1) if d > 4 else 0)  # a constant root is wrong on half the inputs


@given(st.integers(0, 2**16 - 1), st.integers(1, 6))
@example(0, 1)
def test_single_position_fast_path_matches_grouping_reference(key, width):
    rng = np.random.default_rng(key)
    z = rng.integers(0, 2, size=(40, width))
    target = 1 - 2 * z[:, rng.integers(width)] if key % 3 else 1 - 2 * rng.integers(0, 2, size=40)
    fast = pt.single_position_determines(target, z)
    slow = [pt.determined_by(target, z[:, [s]]) for s in range(width)]
    assert list(fast) == slow


def test_dependence_report_catches_broken_labels():
    d, subset = 8, random_subset(8, 0)
    x = all_inputs(d)
    y = pt.eq14_labels(d, subset, x)
    z = pt.sequence_from_labels(x, y)
    parents = pt.eq14_parents(d, subset)
    assert pt.dependence_report(z, y, parents, d) == []
    wrong_parent = [parents[0], (parents[1][0], parents[0][0]), parents[2]]
    assert any("not a function" in p for p in pt.dependence_report(z, y, wrong_parent, d))
    later = [*parents[:2], (d + 2, d)]  # reads its own position
    assert any("not two distinct ones before" in p for p in pt.dependence_report(z, y, later, d))
    copy = y.copy()
    copy[:, 1] = 1 - 2 * x[:, subset[2]]  # a label that depends on one bit only
    zc = pt.sequence_from_labels(x, copy)
    assert any("fewer than 2" in p for p in pt.dependence_report(zc, copy, parents, d))


def test_findings_compare_exact_counts():
    findings = pt.check(pt.Config(d=(8, 16), t13_max_d=1024))
    t13, t14 = findings
    assert (t13.id, t14.id) == ("T13", "T14")
    assert [c.measured_exact for c in t13.comparisons[:2]] == ["3/2", "-2"]
    circuit_T = {c.params["d"]: (c.measured, c.reference) for c in t13.comparisons if c.quantity == "circuit T"}
    assert circuit_T == {d: (3 * d // 2 - 2, 3 * d // 2 - 2) for d in (4, 8, 16, 32, 64, 128, 256, 512, 1024)}
    printed = [c for c in t14.comparisons if c.role == "printed"]
    assert [(c.params["d"], c.measured_exact, c.holds) for c in printed] == [(8, "1/2", False), (16, "1/2", False)]
    assert all(c.holds for c in t14.comparisons if c.role != "printed") and t14.conclusion_survives


def test_controls_flip():
    findings = pt.check(pt.Config(d=(8,), t13_max_d=64))
    verdicts = {f.id: f.verdict for f in findings}
    for control in pt.controls(findings):
        assert control.flipped(verdicts[control.id])
    t13, t14 = pt.controls(findings)
    assert any(c.quantity == "circuit T" and c.measured == 10 and c.reference == 14 for c in t13.finding.comparisons)
    roots = [c for c in t14.finding.comparisons if c.role == "corrected" and "root" in c.quantity]
    assert roots and all(c.measured == 0.5 for c in roots)


@pytest.mark.parametrize("d", [10, 12])
def test_unsupported_even_d_is_a_separate_checked_part(d):
    findings = pt.check(pt.Config(d=(d,), t13_max_d=64))
    parts = [f for f in findings if f.id == "T14"]
    assert [f.part for f in parts] == ["generalised d"]
    assert all(c.holds and c.measured == 0 for c in parts[0].comparisons)
    t13 = next(f for f in findings if f.id == "T13")
    gen = [c for c in t13.comparisons if "generalisation" in c.quantity]
    assert [(c.measured, c.reference) for c in gen] == [(3 * d // 2 - 2, 3 * d // 2 - 2)]


def test_cli_rejects_odd_and_out_of_range_d(capsys):
    assert cli.guarded(pt.main, ["--d", "9"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "must be even" in err[0]
    with pytest.raises(SystemExit) as exc:
        pt.main(["--d", "2"])
    assert exc.value.code == 2
    assert "allowed: 4..4096" in capsys.readouterr().err


def test_cli_json_in_process_and_as_subprocess(capsys):
    assert pt.main(["--d", "8", "--t13-max-d", "64", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in rows] == ["T13", "T14"]
    assert all(c["params"]["d"] == 8 for c in rows[1]["comparisons"])
    out = subprocess.run([sys.executable, "-m", "verify.parity_tree", "--d", "11"], capture_output=True, text=True)
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    assert out.stderr.startswith("python -m verify.parity_tree: error:")
