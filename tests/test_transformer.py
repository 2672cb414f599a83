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


# ---- batched training (numerics.transformer.train_many / Stack) against the plain Decoder ----

from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from dataclasses import replace  # noqa: E402

from numerics import cpu_kernels, store  # noqa: E402
from numerics.sweep import run  # noqa: E402
from numerics.transformer import (  # noqa: E402
    KERNELS,
    LATER_FIELDS,
    Stack,
    _batch,
    bf16_hardware,
    compute_dtype,
    group_key,
    groups,
    loss_on,
    stack_parameters,
    stacked_forward,
    train_many,
    train_reference,
)

RUNNABLE_KERNELS = [k for k in KERNELS if k != "compiled" or cpu_kernels.available()]


@settings(max_examples=10)
@given(st.integers(0, 2**16), st.integers(0, 10), st.sampled_from(RUNNABLE_KERNELS))
def test_stacked_forward_matches_each_decoder(seed, start, kernels):
    """Fast path (M decoders as one stack of batched matmuls) vs each nn.Module Decoder alone."""
    models, us = [], []
    for k in range(3):
        _, data, model = _model(8, init_seed=seed + k)
        models.append(model)
        us.append(with_start(build(data.circuit, data.val[8 * k : 8 * k + 8], "subtasks").z))
    p = stack_parameters(models)
    with torch.no_grad():
        got = stacked_forward(p, torch.stack(us), 1, 2, start=start, kernels=kernels)
        for k, model in enumerate(models):
            torch.testing.assert_close(got[k], model(us[k], start=start), rtol=1e-5, atol=1e-6)


@settings(max_examples=8)
@given(st.integers(0, 2**16), st.sampled_from(RUNNABLE_KERNELS))
def test_stacked_greedy_decoding_matches_rereading_the_prefix(seed, kernels):
    """Stack.generate (KV cache, all models at once) vs generate_reference for each model alone."""
    configs = [Config.smoke(d=8, init_seed=seed + k, seed=27 + k) for k in range(2)]
    datas = [make_data(c) for c in configs]
    stack = Stack(configs, [dt.circuit for dt in datas], kernels)
    x = [np.random.default_rng(seed + k).integers(0, 2, size=(40, 8), dtype=np.uint8) for k in range(2)]
    n_new = len(datas[0].circuit.gates)
    got = stack.generate(x, n_new, chunk=16)
    for k, c in enumerate(configs):
        assert np.array_equal(got[k], generate_reference(model_for(c, datas[k].circuit), x[k], n_new))


def _close_curves(a: pd.DataFrame, b: pd.DataFrame, atol: float = 1e-4) -> None:
    assert list(a["step"]) == list(b["step"])
    np.testing.assert_allclose(a["loss"].to_numpy(), b["loss"].to_numpy(), atol=atol, equal_nan=True)


def test_train_matches_the_plain_training_loop():
    """train (the stacked path with one run) vs train_reference (nn.Module, clip_grad_norm_, AdamW)."""
    config = Config.smoke(max_steps=60, stop_at=1.0)
    got, ref = train(config), train_reference(config)
    _close_curves(got, ref)
    assert np.array_equal(got["val_acc"], ref["val_acc"])


def test_stacked_runs_are_the_single_runs():
    """Three runs of one shape (other seeds, init seeds and budgets) trained as one stack give each run's
    own curve: its steps, evaluations and (to rounding) losses; the short run leaves the stack early."""
    base = Config.smoke(max_steps=60, stop_at=1.0)
    configs = [base, replace(base, seed=67, init_seed=3, max_steps=35), replace(base, seed=93, qkv_std=0.3)]
    together = train_many(configs)
    for config, curve in zip(configs, together, strict=True):
        alone = train(config)
        _close_curves(curve, alone)
        assert curve["step"].iloc[-1] == config.max_steps and np.isfinite(curve["test_acc"].iloc[-1])


def test_early_stop_is_per_run():
    """A run that reaches stop_at leaves the stack; the others go on to their budgets."""
    configs = [Config.smoke(stop_at=0.95), Config.smoke(stop_at=1.0, max_steps=250, seed=67, init_seed=1)]
    stopped, running = train_many(configs)
    assert stopped["val_acc"].iloc[-1] >= 0.95 and stopped["step"].iloc[-1] < running["step"].iloc[-1]
    assert running["step"].iloc[-1] == 250 or running["val_acc"].iloc[-1] == 1.0
    assert (stopped["val_acc"].iloc[:-1] < 0.95).all()


def test_a_short_batch_is_padded_with_weight_zero():
    """Fresh samples that hit a held-out input give a short batch: padded rows must not change the loss."""
    config = Config.smoke(d=8)
    data = make_data(config)
    stack = Stack([config], [data.circuit])
    x = data.val[:20]
    u, t, w = _batch(data.circuit, x, "subtasks", 32)
    assert u.shape[0] == 32 and w.sum() == 20
    model = model_for(config, data.circuit)
    seq = build(data.circuit, x, "subtasks")
    want = loss_on(model, with_start(seq.z), torch.from_numpy(((seq.y + 1) / 2).astype(np.int64)), 8)
    got = stack.step(torch.from_numpy(u)[None], torch.from_numpy(t)[None], torch.from_numpy(w).float()[None])
    torch.testing.assert_close(got[0], want.detach(), rtol=1e-5, atol=1e-6)


def test_bfloat16_falls_back_to_float32_without_amx(monkeypatch):
    """On a CPU without AMX a bfloat16 config runs in float32, says so, and equals the float32 run."""
    import numerics.transformer as tr

    monkeypatch.setattr(tr, "bf16_hardware", lambda: False)
    assert compute_dtype("bfloat16") == torch.float32
    config = Config.smoke(max_steps=40)
    got = train(replace(config, precision="bfloat16"))
    assert set(got["precision"]) == {"float32"}
    assert got.drop(columns="seconds").equals(train(config).drop(columns="seconds"))


@pytest.mark.skipif(not bf16_hardware(), reason="no AMX: bfloat16 falls back to float32 (tested above)")
def test_bfloat16_forward_is_float32_to_bf16_rounding_and_learns():
    config = Config.smoke(precision="bfloat16")
    data = make_data(config)
    stack = Stack([config], [data.circuit])
    u = with_start(build(data.circuit, data.val, "subtasks").z)[None]
    with torch.no_grad():
        low = stack.forward(u)
        high = stacked_forward(stack.params, u, 1, 2)
    assert stack.dtype == torch.bfloat16 and low.dtype == torch.float32
    assert 0 < (low - high).abs().max() <= 0.05 * high.abs().max()
    curve = train(config)
    assert set(curve["precision"]) == {"bfloat16"} and summarize(curve)["test_acc"] >= 0.9


def test_fields_added_later_keep_the_store_keys():
    """precision and eval_per_doubling are left out of as_dict at their defaults (earlier runs keep their
    keys) and are part of it otherwise (a bfloat16 run is another run)."""
    assert not set(LATER_FIELDS) & set(Config().as_dict())
    assert Config(precision="bfloat16").as_dict()["precision"] == "bfloat16"
    assert Config(eval_per_doubling=10).as_dict()["eval_per_doubling"] == 10
    with pytest.raises(ValueError):
        Config(precision="float16")


@given(st.integers(1, 10**6), st.sampled_from([5, 10, 20]))
def test_eval_interval_resolves_one_over_per_doubling(step, per_doubling):
    k = eval_every(step, 10, per_doubling)
    assert k % 10 == 0 and (k == 10 or k <= step / per_doubling)


@given(st.lists(st.tuples(st.sampled_from([8, 12]), st.sampled_from(["subtasks", "end_to_end"]),
                          st.integers(0, 5), st.sampled_from([1e-3, 3e-4])), min_size=1, max_size=12),
       st.integers(1, 4))
def test_groups_partition_the_runs_into_stacks_of_one_shape(points, max_models):
    configs = list(dict.fromkeys(Config.smoke(d=d, supervision=s, seed=k, lr=lr) for d, s, k, lr in points))
    stacks = groups(configs, max_models)
    assert sorted(map(repr, (c for g in stacks for c in g))) == sorted(map(repr, configs))
    assert all(1 <= len(g) <= max_models and len({group_key(c) for c in g}) == 1 for g in stacks)


def test_sweep_with_stacks_writes_every_shard_and_resumes(tmp_path):
    """numerics.sweep.run with stack = 3: one shard per run (equal to train_many's curve), and a rerun
    after a shard is lost trains exactly that run."""
    configs = [Config.smoke(d=8, seed=s, max_steps=30, stop_at=1.0) for s in (1, 2, 3, 4)]
    with ThreadPoolExecutor(1) as pool:
        assert len(run(configs, tmp_path, pool, progress=False, stack=3)) == 4
    curves = train_many(configs[:3])
    for c, curve in zip(configs[:3], curves, strict=True):
        stored = store.read(store.shard_path(tmp_path, c.as_dict()))[1]
        assert stored.drop(columns="seconds").equals(curve.drop(columns="seconds"))
    store.shard_path(tmp_path, configs[1].as_dict()).unlink()
    with ThreadPoolExecutor(1) as pool:
        assert run(configs, tmp_path, pool, progress=False, stack=3) == [store.config_key(configs[1].as_dict())]


@pytest.mark.parametrize("d", [4, 8, 13, 32])
@pytest.mark.parametrize("supervision", ["subtasks", "end_to_end"])
def test_seq_length_is_the_decoders(d, supervision):
    from numerics.transformer import seq_length

    config = Config.smoke(d=d, supervision=supervision)
    assert seq_length(config) == model_for(config, make_data(config).circuit).pos.weight.shape[0]


def test_benchmark_counts_every_linear_weight_once():
    """benchmarks.transformer's FLOP count: its linear shapes cover exactly the decoder's linear weights."""
    from benchmarks.transformer import linear_shapes
    from numerics.transformer import seq_length

    config = Config(d=16, n_layer=2, n_head=8, n_embd=32)
    model = model_for(config, make_data(config).circuit)
    weights = sum(p.numel() for name, p in model.named_parameters() if p.dim() == 2 and "blocks" in name)
    shapes = linear_shapes(config, seq_length(config))
    assert sum(k * n for _, k, n in shapes) == weights + model.head.weight.numel()
    assert all(r in (32 * seq_length(config), 32 * (seq_length(config) - 16)) for r, _, _ in shapes)


def test_the_table1_spec_feeds_the_censored_rule():
    """specs/table1.toml: >= 4 sizes per arm, the 3 App. G seeds at each, and each size's seeds one stack;
    specs/table1_bf16.toml: the same runs, in the same order, in bfloat16."""
    from pathlib import Path

    from numerics.sweep import load_spec

    specs = Path(__file__).resolve().parents[1] / "specs"
    spec = load_spec(specs / "table1.toml")
    for arm in ("subtasks", "end_to_end"):
        sizes = {c.d for c in spec.runs if c.supervision == arm}
        assert len(sizes) >= 4
        assert all({c.seed for c in spec.runs if (c.supervision, c.d) == (arm, d)} == {27, 67, 93} for d in sizes)
    stacks = groups(list(spec.runs), spec.stack)
    assert spec.stack == 3 and all(len(g) == 3 and len({c.seed for c in g}) == 3 for g in stacks)
    check = load_spec(specs / "table1_bf16.toml")
    assert {c.precision for c in check.runs} == {"bfloat16"} and {c.precision for c in spec.runs} == {"float32"}
    assert [replace(c, precision="float32") for c in check.runs] == list(spec.runs)
    assert (check.stack, check.order) == (spec.stack, spec.order)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=60), st.integers(2, 10), st.integers(10, 700))
def test_what_if_thinning_keeps_the_sparser_schedule_and_its_stop(accs, per_doubling, budget):
    """benchmarks.transformer.thinned: the kept rows are stored rows at the sparser schedule's steps (plus at
    most one imputed row, at a schedule step past the stored end), and nothing is kept past the first kept row
    at or above stop_at; censored_at keeps no row past the new budget."""
    from benchmarks.transformer import censored_at, thinned
    from numerics.transformer import eval_every

    steps = sorted({0, *[min(budget, 10 * (i + 1)) for i in range(len(accs) - 1)]})
    curve = pd.DataFrame({"step": steps, "val_acc": accs[: len(steps)], "run": "r", "cfg_eval_min": 10,
                          "cfg_stop_at": 0.95, "cfg_max_steps": budget, "cfg_supervision": "end_to_end", "cfg_d": 8})
    out = thinned(curve, per_doubling)
    real, imputed = out[~out.imputed.astype(bool)], out[out.imputed.astype(bool)]
    assert set(real.step) <= set(steps) and len(imputed) <= 1
    assert all(s in (0, budget) or s % eval_every(s, 10, per_doubling) == 0 for s in out.step)
    if len(imputed):
        assert int(imputed.step.iloc[0]) > max(steps)
    hits = out.index[(out.val_acc >= 0.95) & (out.step > 0)]
    assert len(hits) == 0 or hits[0] == out.index[-1]
    cut = censored_at(curve, "end_to_end", 8, budget // 2)
    assert cut.step.max() <= budget // 2 and set(cut.cfg_max_steps) == {budget // 2}


def test_compare_pairs_the_same_runs_of_two_stores(tmp_path, capsys):
    """benchmarks.transformer --compare: configs stored in both stores are paired by (supervision, d, seed,
    budget), whatever their precision; equal steps to > 60% count as equal, a moved one does not, and the
    ratio is the second over the first."""
    from benchmarks.transformer import compare
    from numerics import store

    def curve(learned_at: int, kernels: str) -> pd.DataFrame:
        steps = [0, 10, 20, 40, 80]
        return pd.DataFrame({"step": steps, "val_acc": [0.99 if s >= learned_at else 0.5 for s in steps],
                             "precision": "float32", "kernels": kernels})

    configs = [Config.smoke(d=8, seed=s) for s in (1, 2, 3)]
    for c, a, b in zip(configs[:2], (20, 40), (20, 80), strict=True):
        store.write(tmp_path / "a", c.as_dict(), curve(a, "sdpa"))
        store.write(tmp_path / "b", replace(c, precision="bfloat16").as_dict(), curve(b, "compiled"))
    store.write(tmp_path / "a", configs[2].as_dict(), curve(10, "sdpa"))  # in one store only: not paired
    assert compare(tmp_path / "a", tmp_path / "b") == 0
    out = capsys.readouterr().out
    assert "2 pairs; steps to >60% equal in 1" in out
    assert "geometric mean 1.41" in out and "(float32 sdpa -> float32 compiled)" in out
    (tmp_path / "empty").mkdir()
    with pytest.raises(SystemExit, match="share no config"):
        compare(tmp_path / "a", tmp_path / "empty")
    store.write(tmp_path / "a", replace(configs[0], precision="bfloat16").as_dict(), curve(20, "compiled"))
    with pytest.raises(SystemExit, match="more than one run"):
        compare(tmp_path / "a", tmp_path / "b")


@pytest.mark.parametrize("flag", [["--compare", "{tmp}", "{tmp}/missing"], ["--what-if", "{tmp}/missing"]])
def test_benchmark_store_modes_refuse_a_missing_store_in_one_line(tmp_path, capsys, flag):
    from benchmarks.transformer import main

    with pytest.raises(SystemExit) as exc:
        main([f.format(tmp=tmp_path) for f in flag])
    err = capsys.readouterr().err.strip().splitlines()
    assert exc.value.code == 2 and len(err) == 1 and "no such results store" in err[0]
