"""Lemma 1 (eq. 5) for ANY weights: exactly, every time, and the per-example identity behind it (float64)."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from numerics import rnn
from numerics.circuits import all_inputs, parity_tree, random_circuit, random_subset
from numerics.sequences import build
from numerics.train import TrainConfig, fit, threads
from verify import lemma1


@pytest.fixture(autouse=True)
def one_thread():
    with threads(1):
        yield


@settings(max_examples=40)
@given(circuit_seed=st.integers(0, 10_000), weight_seed=st.integers(0, 10_000), log_scale=st.floats(-3, 3),
       m=st.integers(1, 24), d=st.integers(2, 6), gates=st.integers(1, 8))
def test_lemma1_holds_for_any_weights(circuit_seed, weight_seed, log_scale, m, d, gates):
    """Random circuits, random W of any scale (not only near W0), all 2^d inputs: slack >= 0 and the
    free-running chain is wrong somewhere exactly when some teacher-forced step is."""
    circuit = random_circuit(d, gates, circuit_seed)
    _, fz = rnn.init(m, weight_seed)
    W = torch.randn(m, m, generator=torch.Generator().manual_seed(weight_seed), dtype=torch.float64) * 10**log_scale
    s = lemma1.sides(W, fz, build(circuit, all_inputs(d), "subtasks"))
    assert s["slack"] >= 0
    assert s["identity_violations"] == 0


def test_identity_per_example_after_training():
    """A partly trained model (errors at some positions only): the identity holds input by input, and the
    final-answer error is at most the fraction of inputs with some wrong step."""
    config = TrainConfig(d=8, m=32, steps=150, eta=0.5, batch=32, every=150)
    result = fit(config)
    seqs = build(parity_tree(8, random_subset(8, 0)), all_inputs(8), "subtasks")
    e = lemma1.per_example(result.W, result.frozen, seqs)
    assert np.array_equal(e["fr_any"], e["tf_any"])
    assert (e["final_wrong"] <= e["fr_any"]).all()
    assert e["tf_any"].any() and not e["tf_any"].all()  # a non-trivial case


def test_free_running_equals_teacher_forcing_when_all_steps_are_right():
    """Metamorphic: where no teacher-forced step is wrong the free-running tokens are the true ones."""
    config = TrainConfig(d=8, m=64, steps=400, eta=0.5, batch=32, every=400)
    result = fit(config)
    seqs = build(parity_tree(8, random_subset(8, 0)), all_inputs(8), "subtasks")
    e = lemma1.per_example(result.W, result.frozen, seqs)
    z_free, _ = rnn.free_running(result.W, result.frozen, seqs.x, seqs.T)
    right = ~e["tf_any"]
    assert right.any()
    assert np.array_equal(z_free.numpy()[right], seqs.z[right])


def test_every_evaluation_is_a_comparison_and_the_control_flips():
    config = lemma1.Config(d=(8,), circuits=1, scales=(3.0,))
    (finding,) = lemma1.check(config)
    rows = finding.details["rows"]
    bound = [c for c in finding.comparisons if c.source == "Lemma 1, eq. 5" and c.role == "check"]
    assert len(bound) == len(rows)
    for c, r in zip(bound, rows, strict=True):
        assert c.measured == r["fr_error"] and c.reference == r["tf_error_sum"]
        assert c.measured <= c.reference and c.holds
    identity = [c for c in finding.comparisons if c.source == "App. A eq. 11-12"]
    assert identity and all(c.measured == 0 for c in identity)
    (control,) = lemma1.controls([finding])
    assert control.flipped(finding.verdict)
    broken = [c for c in control.finding.comparisons if c.role == "check" and not c.holds]
    assert any(c.measured > c.reference for c in broken if c.source == "Lemma 1, eq. 5")
