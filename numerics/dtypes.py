"""The one place a dtype name becomes a torch dtype. Theory checks use float64."""

from __future__ import annotations

import torch

DTYPES: dict[str, torch.dtype] = {"float64": torch.float64, "float32": torch.float32}


def torch_dtype(name: str) -> torch.dtype:
    try:
        return DTYPES[name]
    except KeyError:
        raise ValueError(f"dtype must be one of {sorted(DTYPES)}, got {name!r}") from None
