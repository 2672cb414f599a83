import math

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from numerics.sequences import build
from numerics.transformer import (
    Config,
    answer_accuracy,
    eval_every,
    first_step_above,
    generate,
    generate_reference,
    holdout_size,
    make_data,
    model_for,
    summarize,
    train,
    training_batches,
    with_start,
)

pytestmark = pytest.mark.usefixtures("one_thread")


def _model(d=8, supervision="subtasks", init_seed=0):
    config = Config.smoke(d=d, supervision=supervision, init_seed=init_seed)
    data = make_data(config)
    return config, data, model_for(config, data.circuit)


@settings(max_examples=10)
@given(st.sampled_from([4, 8, 12]), st.integers(0, 2**16), st.integers(1, 6))
def test_kv_cache_decoding_matches_rereading_the_prefix(d, seed, n_new):
    """Fast path (KV cache) vs slow oracle (the whole prefix re-read at every step)."""
    _, data, model = _model(d, init_seed=seed)
    x = np.random.default_rng(seed).integers(0, 2, size=(16, d), dtype=np.uint8)
    n_new = min(n_new, len(data.circuit.gates))
    assert np.array_equal(generate(model, x, n_new), generate_reference(model, x, n_new))


@settings(max_examples=10)
@given(st.integers(0, 2**16), st.integers(1, 10))
def test_decoder_is_causal(seed, t):
    """Changing token t leaves the logits at every earlier position unchanged and is seen at t."""
    _, data, model = _model(8, init_seed=seed)
    z = build(data.circuit, data.val[:4], "subtasks").z
    u = with_start(z)
    v = u.clone()
    v[:, t] = 1 - v[:, t]
    with torch.no_grad():
        a, b = model(u), model(v)
    assert torch.equal(a[:, :t], b[:, :t])
    assert not torch.equal(a[:, t:], b[:, t:])


def test_teacher_forcing_alignment():
    """The output after reading z_t is trained on y_t, and y_t is the next token z_{t+1} (Section 3)."""
    _, data, _ = _model(16)
    seq = build(data.circuit, data.val, "subtasks")
    assert np.array_equal((seq.y[:, :-1] + 1) / 2, seq.z[:, seq.d :])
    assert np.array_equal((seq.answer + 1) / 2, data.circuit.evaluate(data.val)[:, -1])


@pytest.mark.parametrize("d", [8, 10, 16])
def test_split_sizes_and_disjointness_when_enumerating(d):
    config = Config.smoke(d=d, max_steps=(1 << d) // 32 + 1)
    data = make_data(config)
    n = min(1024, (1 << d) // 8)
    assert holdout_size(d) == n and len(data.val) == len(data.test) == n
    rows = lambda a: {r.tobytes() for r in a}  # noqa: E731
    assert data.train is not None and len(data.train) == (1 << d) - 2 * n
    assert not rows(data.val) & rows(data.test) and not (rows(data.val) | rows(data.test)) & rows(data.train)
    assert len(rows(data.train) | rows(data.val) | rows(data.test)) == 1 << d


def test_fresh_samples_never_hit_the_heldout_sets():
    """Budget smaller than the cube: fresh uniform samples, none from validation or test (d = 8 makes
    collisions frequent: 64 of the 256 inputs are held out)."""
    config = Config.smoke(d=8, max_steps=2)
    data = make_data(config)
    assert data.train is None
    held = {r.tobytes() for r in np.concatenate([data.val, data.test])}
    batches = training_batches(data, config)
    seen = [r.tobytes() for _ in range(200) for r in next(batches)]
    assert len(seen) > 200 * 32 * 0.6 and not held & set(seen)


def test_subset_follows_the_seed():
    a, b = make_data(Config.smoke(d=16, seed=27)), make_data(Config.smoke(d=16, seed=67))
    assert a.circuit.name != b.circuit.name
    assert a.circuit.name == make_data(Config.smoke(d=16, seed=27)).circuit.name


@given(st.integers(1, 10**6))
def test_eval_interval_resolves_five_percent(step):
    k = eval_every(step)
    assert k % 10 == 0 and (k == 10 or k <= step / 20)


def test_first_step_ignores_the_untrained_model():
    curve = pd.DataFrame({"step": [0, 10, 20, 30], "val_acc": [0.7, 0.5, 0.65, 0.97], "test_acc": math.nan})
    assert first_step_above(curve, 0.6) == 20 and first_step_above(curve, 0.95) == 30
    assert math.isnan(first_step_above(curve, 0.99))


@pytest.mark.parametrize("bad", [{"supervision": "none"}, {"d": 2}, {"n_embd": 30, "n_head": 4}, {"lr": 0.0},
                                 {"stop_at": 1.5}, {"max_steps": 0}])
def test_bad_config_is_rejected(bad):
    with pytest.raises(ValueError):
        Config.smoke(**bad)


def test_smoke_run_learns_and_is_deterministic():
    config = Config.smoke()
    curve = train(config)
    s = summarize(curve)
    assert s["iters_60"] <= s["iters_95"] <= config.max_steps
    assert s["test_acc"] >= 0.9
    again = train(config)
    assert curve.drop(columns="seconds").equals(again.drop(columns="seconds"))


def test_untrained_accuracy_is_near_chance_without_supervision():
    config, data, model = _model(12, "end_to_end")
    assert abs(answer_accuracy(model, data.circuit, config, data.val) - 0.5) < 0.1


@settings(max_examples=10)
@given(st.integers(0, 2**16), st.integers(1, 10))
def test_suffix_only_last_layer_matches_the_full_forward(seed, start):
    """Fast path (last layer computes positions start.. only) vs the full forward pass."""
    _, data, model = _model(8, init_seed=seed)
    u = with_start(build(data.circuit, data.val[:8], "subtasks").z)
    with torch.no_grad():
        torch.testing.assert_close(model(u, start=start), model(u)[:, start:], rtol=1e-5, atol=1e-6)
