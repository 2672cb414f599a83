"""Results store: one Parquet shard per finished run, keyed by a hash of its config.

    <dir>/<key>.parquet   the run's records (a tidy long-format table), written atomically
    <dir>/<key>.json      the run's config, beside it

``key = config_key(config)`` is the first 16 hex digits of the SHA-256 of the config as canonical
JSON. Files are written to a temporary name in the same folder and renamed into place, the JSON
first and the shard last, so a run counts as finished exactly when its shard exists: a process
killed at any moment leaves either a complete shard or none (and at most a stray temp file, which
``load`` ignores). The shard's Parquet metadata carries the config under ``STORE_TAG``; a Parquet
file without it, or one that cannot be read, is rejected with ``StoreError`` naming the file.

The config that keys a run is the run's *inputs* only; what a run produces besides its records (wall time,
the host) goes in ``outputs`` (Parquet metadata under ``OUTPUT_TAG``, loaded as ``out_<name>`` columns), so
running the same config again replaces its shard instead of adding a second one. Files are created with
the permissions the process's umask allows (not mkstemp's 0600), so a store on a shared filesystem is
readable by Dask workers of other users. Relative paths are the caller's business: every command line of
the toolkit resolves them against the working directory.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

STORE_TAG = b"subtask_verify.config"
OUTPUT_TAG = b"subtask_verify.outputs"


class StoreError(Exception):
    """A shard that is not ours, or is damaged."""


def canonical(config: Mapping[str, Any]) -> str:
    return json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)


def config_key(config: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(config).encode()).hexdigest()[:16]


def shard_path(root: Path | str, config: Mapping[str, Any]) -> Path:
    return Path(root) / f"{config_key(config)}.parquet"


def is_done(root: Path | str, config: Mapping[str, Any]) -> bool:
    return shard_path(root, config).exists()


def _atomic_write(path: Path, write: Any) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())
    try:
        write(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write(root: Path | str, config: Mapping[str, Any], records: pd.DataFrame,
          outputs: Mapping[str, Any] | None = None) -> Path:
    """Store one finished run; returns the shard's path. Writing the same config again replaces it.

    ``outputs`` (JSON-able scalars such as the wall time) are kept with the shard but are not part of the key.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    text = canonical(config)
    path = shard_path(root, config)
    _atomic_write(path.with_suffix(".json"), lambda tmp: Path(tmp).write_text(text + "\n"))
    table = pa.Table.from_pandas(records, preserve_index=False)
    meta = {**(table.schema.metadata or {}), STORE_TAG: text.encode()}
    if outputs:
        meta[OUTPUT_TAG] = canonical(outputs).encode()
    table = table.replace_schema_metadata(meta)
    _atomic_write(path, lambda tmp: pq.write_table(table, tmp))
    return path


def read(path: Path | str) -> tuple[dict[str, Any], pd.DataFrame]:
    """One shard: ``(config, records)``. Raises StoreError naming the file if it is not ours."""
    config, records, _ = read_with_outputs(path)
    return config, records


def read_with_outputs(path: Path | str) -> tuple[dict[str, Any], pd.DataFrame, dict[str, Any]]:
    """One shard: ``(config, records, outputs)``."""
    path = Path(path)
    try:
        table = pq.read_table(path)
    except Exception as exc:
        raise StoreError(f"{path}: not a readable Parquet shard ({type(exc).__name__}: {exc})") from None
    meta = table.schema.metadata or {}
    if STORE_TAG not in meta:
        raise StoreError(f"{path}: Parquet file without this toolkit's config tag (not a results shard)")
    config = json.loads(meta[STORE_TAG])
    if config_key(config) != path.stem:
        raise StoreError(f"{path}: its config hashes to {config_key(config)}, not to its file name")
    outputs = json.loads(meta[OUTPUT_TAG]) if OUTPUT_TAG in meta else {}
    return config, table.to_pandas(), outputs


def load(root: Path | str) -> pd.DataFrame:
    """Every shard under ``root`` as one DataFrame: the records plus a ``run`` key column, the config's
    scalar fields as columns (``cfg_<name>``) and the outputs' (``out_<name>``).

    Raises StoreError when ``root`` does not exist (a typo should not read as "no runs"); an existing empty
    folder gives an empty DataFrame.
    """
    if not Path(root).is_dir():
        raise StoreError(f"{root}: no such results store (a folder of shards; run a sweep or train first)")
    frames = []
    for path in sorted(Path(root).glob("*.parquet")):
        config, records, outputs = read_with_outputs(path)
        records = records.assign(run=path.stem)
        for prefix, values in (("cfg", config), ("out", outputs)):
            for name, value in values.items():
                if isinstance(value, str | int | float | bool) or value is None:
                    records[f"{prefix}_{name}"] = value
        frames.append(records)
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True)
