import re

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numerics import store


def test_roundtrip_and_key(tmp_path):
    cfg = {"d": 8, "m": 64, "mode": "subtasks"}
    path = store.write(tmp_path, cfg, pd.DataFrame({"step": [0, 10], "loss": [0.7, 0.1]}))
    assert path.name == store.config_key({"mode": "subtasks", "m": 64, "d": 8}) + ".parquet"
    assert store.is_done(tmp_path, cfg) and not store.is_done(tmp_path, {**cfg, "m": 65})
    frame = store.load(tmp_path)
    assert list(frame["loss"]) == [0.7, 0.1] and set(frame["cfg_m"]) == {64}
    assert (tmp_path / f"{path.stem}.json").exists()


def test_foreign_and_truncated_shards_are_named(tmp_path):
    foreign = tmp_path / "abc.parquet"
    pq.write_table(pa.table({"a": [1]}), foreign)
    with pytest.raises(store.StoreError, match=r"abc\.parquet"):
        store.load(tmp_path)
    foreign.unlink()
    path = store.write(tmp_path, {"x": 1}, pd.DataFrame({"a": range(100)}))
    path.write_bytes(path.read_bytes()[:50])
    with pytest.raises(store.StoreError, match=re.escape(path.name)):
        store.load(tmp_path)


def test_temp_files_are_ignored(tmp_path):
    store.write(tmp_path, {"x": 1}, pd.DataFrame({"a": [1]}))
    (tmp_path / ".deadbeef.parquet.123.tmp").write_bytes(b"partial")
    assert len(store.load(tmp_path)) == 1


@given(st.dictionaries(st.text(min_size=1, max_size=5),
                       st.integers() | st.floats(allow_nan=False) | st.text(max_size=5), max_size=6))
def test_key_ignores_field_order(config):
    reordered = dict(reversed(list(config.items())))
    assert store.config_key(config) == store.config_key(reordered)
    assert store.canonical(config) == store.canonical(reordered)


def test_a_json_without_its_shard_is_not_done(tmp_path):
    """A run killed between the JSON and the shard rename counts as unfinished, and load skips it."""
    cfg = {"d": 8}
    path = store.write(tmp_path, cfg, pd.DataFrame({"a": [1]}))
    path.unlink()
    assert not store.is_done(tmp_path, cfg) and store.load(tmp_path).empty


def test_a_renamed_shard_is_rejected(tmp_path):
    path = store.write(tmp_path, {"d": 8}, pd.DataFrame({"a": [1]}))
    other = path.with_name("0000000000000000.parquet")
    path.rename(other)
    with pytest.raises(store.StoreError, match=r"0000000000000000\.parquet"):
        store.load(tmp_path)


def test_outputs_do_not_key_the_run_and_a_rerun_replaces_its_shard(tmp_path):
    cfg = {"d": 8, "seed": 1}
    first = store.write(tmp_path, cfg, pd.DataFrame({"step": [0]}), outputs={"seconds": 1.5})
    second = store.write(tmp_path, cfg, pd.DataFrame({"step": [0]}), outputs={"seconds": 2.5})
    assert first == second and len(list(tmp_path.glob("*.parquet"))) == 1
    frame = store.load(tmp_path)
    assert len(frame) == 1 and frame["out_seconds"].tolist() == [2.5] and "cfg_seconds" not in frame
    assert store.read_with_outputs(second)[2] == {"seconds": 2.5}


def test_load_of_a_missing_store_is_an_error_and_an_empty_one_is_empty(tmp_path):
    with pytest.raises(store.StoreError, match="no such results store"):
        store.load(tmp_path / "nope")
    assert store.load(tmp_path).empty


@pytest.mark.parametrize("mask", [0o022, 0o002, 0o077])
def test_shards_honour_the_umask(tmp_path, mask):
    import os

    old = os.umask(mask)
    try:
        path = store.write(tmp_path, {"mask": mask}, pd.DataFrame({"a": [1]}))
    finally:
        os.umask(old)
    for p in (path, path.with_suffix(".json")):
        assert p.stat().st_mode & 0o777 == 0o666 & ~mask
