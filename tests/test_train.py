"""numerics.train: Algorithms 1-3, records, divergence, bad input, CLI and the results store."""

import subprocess
import sys
from contextlib import nullcontext
from dataclasses import replace

import numpy as np
import pytest
import torch

from numerics import rnn, store
from numerics.circuits import all_inputs, random_circuit
from numerics.sequences import build
from numerics.train import (
    EXACT_GD_MAX_D,
    TrainConfig,
    _Data,
    _keys,
    diverged_at,
    fit,
    main,
    target,
    train,
    validate,
)

pytestmark = pytest.mark.usefixtures("one_thread")


def metric(frame, name):
    return frame[frame.metric == name].set_index("step").value


def test_smoke_records_everything():
    config = TrainConfig.smoke()
    frame = train(config)
    assert list(frame.columns) == ["step", "metric", "t", "value"]
    names = set(frame.metric)
    assert {"loss", "dist", "step_norm", "oracle_err", "tf_error", "tf_error_sum", "fr_error", "lemma1_slack",
            "train_loss"} <= names
    assert sorted(metric(frame, "fr_error").index) == [0, 5, 10, 15, 20]
    tf = frame[(frame.metric == "tf_error") & (frame.step == 20)]
    T = target(config).T
    assert list(tf.t) == list(range(config.d, T + 1))
    assert metric(frame, "tf_error_sum")[20] == pytest.approx(tf.value.sum())
    assert metric(frame, "dist")[0] == 0.0


def test_ntk_drift_is_recorded_per_position_and_starts_at_zero():
    config = replace(TrainConfig.smoke(), gram_probe=8)
    frame = train(config)
    drift = frame[frame.metric == "ntk_drift"]
    T = target(config).T
    assert sorted(set(drift.t)) == list(range(config.d, T + 1))
    assert sorted(set(drift.step)) == [0, 5, 10, 15, 20]
    assert (drift[drift.step == 0].value == 0).all() and (drift[drift.step == 20].value > 0).all()


def test_triangle_inequality_and_oracle_ball():
    """eq. 25: ‖W(i) - W(0)‖_F <= Σ_k ‖ΔW_k‖_F at every step; every G within sigma of the gradient."""
    config = replace(TrainConfig.smoke(), oracle="inflate", sigma=1e-2, steps=30)
    frame = train(config)
    dist, steps = metric(frame, "dist"), metric(frame, "step_norm")
    assert (dist <= steps.cumsum() * (1 + 1e-12) + 1e-15).all()
    assert (metric(frame, "oracle_err") <= config.sigma).all()
    assert metric(frame, "oracle_err").iloc[1:].max() == pytest.approx(config.sigma)


def test_algorithm3_step_is_the_full_gradient():
    """One exact Algorithm 3 step is W0 - eta E_x[∇ℓ] over all 2^d inputs (autograd reference)."""
    config = TrainConfig(d=8, m=16, algorithm=3, steps=1, eta=0.3)
    result = fit(config)
    seqs = build(target(config), all_inputs(8), "subtasks")
    W = result.W0.clone().requires_grad_(True)
    loss = rnn.loss(rnn.outputs(W, result.frozen, torch.as_tensor(seqs.z)), torch.as_tensor(seqs.y), 8)
    (grad,) = torch.autograd.grad(loss, W)
    assert torch.allclose(result.W, result.W0 - 0.3 * grad, rtol=0, atol=1e-14)


def test_default_learning_rate_is_theorem_2():
    config = TrainConfig(m=50, steps=400)
    assert config.learning_rate == pytest.approx(1 / (50 * 20))
    assert replace(config, eta=0.1).learning_rate == 0.1


def test_deterministic():
    a, b = train(TrainConfig.smoke()), train(TrainConfig.smoke())
    assert a.equals(b)


def test_divergence_stops_and_keeps_records():
    config = replace(TrainConfig.smoke(), eta=1e6, steps=50, oracle="exact", sigma=0.0)
    frame = train(config)
    at = diverged_at(frame)
    assert at is not None and 1 <= at < 50
    assert frame.step.max() == at
    assert 0 in set(metric(frame, "fr_error").index)


def test_trains_any_circuit_and_end_to_end():
    circuit = random_circuit(5, 4, seed=1)
    frame = train(TrainConfig(d=5, m=16, steps=4, every=2, eta=0.5, task=circuit.name), circuit)
    assert set(frame[frame.metric == "tf_error"].t) == set(range(5, circuit.T + 1))
    e2e = train(TrainConfig(d=8, m=16, steps=4, every=2, eta=0.5, supervision="end_to_end"))
    assert set(e2e[e2e.metric == "tf_error"].t) == {8}


def test_monte_carlo_gd_and_held_out_draws():
    config = TrainConfig(d=24, m=8, algorithm=3, mc=64, steps=2, every=2, eval_n=128)
    assert train(config).step.max() == 2
    data = _Data(target(config), config)
    assert not np.isin(_keys(data.draw(5000).x), data.eval_keys).any()


@pytest.mark.parametrize(
    ("change", "match"),
    [({"m": 0}, "width"), ({"sigma": -1.0, "algorithm": 2}, "sigma"), ({"eta": 0.0}, "eta"), ({"eta": -1.0}, "eta"),
     ({"d": 3}, "d"), ({"supervision": "bogus"}, "supervision"), ({"algorithm": 4}, "algorithm"),
     ({"algorithm": 3, "d": EXACT_GD_MAX_D + 1}, "Monte-Carlo"), ({"oracle": "round", "sigma": 0.1}, "Algorithm 1")],
)
def test_bad_config(change, match):
    with pytest.raises(ValueError, match=match):
        validate(replace(TrainConfig(), **change))


def test_cli_writes_a_loadable_record(tmp_path, capsys):
    code = main(["--d", "8", "--m", "16", "--steps", "6", "--every", "3", "--eta", "0.5", "--batch", "4",
                 "--algorithm", "2", "--oracle", "round", "--sigma", "0.001", "--store", str(tmp_path)])
    assert code == 0
    frame = store.load(tmp_path)
    assert set(frame.cfg_oracle) == {"round"} and frame.cfg_learning_rate.iloc[0] == 0.5
    assert "free-running error" in capsys.readouterr().out


@pytest.mark.parametrize("args", [["--m", "0"], ["--sigma", "-1", "--algorithm", "2"], ["--eta", "0"],
                                  ["--d", "2"], ["--supervision", "nope"], ["--m", "x"]])
def test_cli_bad_input_is_one_line(args, capsys):
    with pytest.raises(SystemExit) if args == ["--m", "x"] else nullcontext():
        assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "error" in err


def test_cli_help(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0 and "Algorithm 3" in capsys.readouterr().out


def test_cli_bad_input_as_a_subprocess():
    bad = subprocess.run([sys.executable, "-m", "numerics.train", "--m", "0"], capture_output=True, text=True)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "Traceback" not in bad.stderr
