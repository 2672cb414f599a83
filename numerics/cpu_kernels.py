"""Compiled CPU kernels for the decoder's elementwise work: causal attention of small heads, tanh-GELU.

Why. At the Table 1 spec's size (2 layers, width 128, 32 heads of dimension 4, 47 tokens, batch 32) the
matmuls of a training step run near the core's fp32 rate, and most of the rest of the step went to two
operations that PyTorch's CPU kernels run far below the memory or vector rate (``benchmarks.transformer``):

- attention with heads of dimension 4 is elementwise work, not matmul work: per query and key, 4
  multiply-adds per head and an exp. CPU flash attention treats each head as tiny matmul tiles and spent
  38% of the step; a materialised ``bmm`` + softmax moves the (rows, H, L, L) scores through memory about a
  dozen times. ``causal_attention`` loops over one sequence at a time with the heads innermost (vectorised
  over heads), touches only the causal half, keeps one query's scores in cache, and recomputes the
  softmax in the backward pass from the saved log-normaliser (the flash-attention recurrence written for
  D = 4 rather than for matmul tiles). It reads the qkv linear layer's output as it is, (N, L, 3, H, D),
  and writes its gradient in that layout: no permute, copy or concatenation around it.
- ``gelu`` (GPT-2's tanh approximation) as ``x sigmoid(2u)`` in one pass forward and one backward.

How. ``cpu_kernels.c`` is compiled on first use with the system C compiler (``cc -O3 -march=native``)
into a per-user cache keyed by the source, the flags and the CPU, and loaded with ctypes; the build takes
about 4 seconds, once. Without a compiler, or with ``SUBTASK_CPU_KERNELS=0``, ``available()`` is False and the
decoder uses PyTorch's own kernels. Tensors are float32 or bfloat16 (the bfloat16 stack's activations), the
arithmetic float32 either way; subnormal results are flushed to zero while a kernel runs (they made the
backward pass 1.5x slower in training). The mathematics is PyTorch's; the float32 rounding differs
(summation order, a polynomial exp with relative error below 2e-7). ``tests/test_cpu_kernels.py`` checks
both kernels and their gradients against float64 autograd references.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
from functools import cache
from pathlib import Path

import torch

SOURCE = Path(__file__).with_name("cpu_kernels.c")
FLAGS = ("-O3", "-march=native", "-fno-math-errno", "-shared", "-fPIC")
ENV = "SUBTASK_CPU_KERNELS"


def _cpu_flags() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return line
    except OSError:
        pass
    return os.uname().machine


def _folders() -> list[Path]:
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return [Path(root) / "subtask-verify", Path(tempfile.gettempdir()) / "subtask-verify"]


def _build(compiler: str, target: Path) -> None:
    """Compile SOURCE to ``target`` atomically (parallel workers may build at once)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".so", dir=target.parent)
    os.close(fd)
    try:
        subprocess.run([compiler, *FLAGS, str(SOURCE), "-o", tmp, "-lm"], check=True, capture_output=True,
                       timeout=120)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


@cache
def _library() -> ctypes.CDLL | None:
    """The compiled kernels (built once per source, flags and CPU), or None when they cannot be built."""
    if os.environ.get(ENV, "1") == "0":
        return None
    compiler = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
    if compiler is None:
        return None
    key = hashlib.sha256(SOURCE.read_bytes() + " ".join(FLAGS).encode() + _cpu_flags().encode()).hexdigest()[:16]
    for folder in _folders():
        target = folder / f"cpu_kernels-{key}.so"
        try:
            if not target.exists():
                _build(compiler, target)
            lib = ctypes.CDLL(str(target))
        except (OSError, subprocess.SubprocessError):
            continue
        p, i = ctypes.c_void_p, ctypes.c_int
        lib.small_heads_forward.argtypes = [p] * 3 + [i] * 5 + [ctypes.c_float, i]
        lib.small_heads_backward.argtypes = [p] * 5 + [i] * 5 + [ctypes.c_float, i]
        lib.gelu_forward.argtypes = [p, p, ctypes.c_long, i]
        lib.gelu_backward.argtypes = [p, p, p, ctypes.c_long, i]
        for fn in (lib.gelu_forward, lib.gelu_backward):
            fn.restype = None
        return lib
    return None


def available() -> bool:
    """True when the kernels are built and loaded (a C compiler is present and ``SUBTASK_CPU_KERNELS`` != 0)."""
    return _library() is not None


def _lib() -> ctypes.CDLL:
    lib = _library()
    if lib is None:
        raise RuntimeError(f"cpu_kernels unavailable (no C compiler, or {ENV}=0)")
    return lib


DTYPES = (torch.float32, torch.bfloat16)


def _bf16(x: torch.Tensor, name: str) -> int:
    """1 for a bfloat16 tensor, 0 for float32 (the C kernels' flag); ValueError for anything else."""
    if x.dtype not in DTYPES or x.device.type != "cpu":
        raise ValueError(f"{name} must be a float32 or bfloat16 CPU tensor, got {x.dtype} on {x.device}")
    return int(x.dtype == torch.bfloat16)


class _Attention(torch.autograd.Function):
    @staticmethod
    def forward(ctx, qkv: torch.Tensor, start: int) -> torch.Tensor:  # type: ignore[override]
        n, length, _, heads, dim = qkv.shape
        qkv = qkv.contiguous()
        out = qkv.new_empty(n, length - start, heads, dim)
        lse = qkv.new_empty(n, length - start, heads, dtype=torch.float32)
        ctx.dims = (n, length, heads, dim, start)
        ctx.bf16 = _bf16(qkv, "qkv")
        if _lib().small_heads_forward(qkv.data_ptr(), out.data_ptr(), lse.data_ptr(), *ctx.dims, dim**-0.5,
                                      ctx.bf16):
            raise MemoryError("cpu_kernels: attention could not allocate its work buffers")
        ctx.save_for_backward(qkv, out, lse)
        return out

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:  # type: ignore[override]
        qkv, out, lse = ctx.saved_tensors
        grad = grad.to(qkv.dtype).contiguous()
        gqkv = torch.empty_like(qkv)
        if _lib().small_heads_backward(qkv.data_ptr(), out.data_ptr(), lse.data_ptr(), grad.data_ptr(),
                                       gqkv.data_ptr(), *ctx.dims, ctx.dims[3] ** -0.5, ctx.bf16):
            raise MemoryError("cpu_kernels: attention could not allocate its work buffers")
        return gqkv, None


def causal_attention(qkv: torch.Tensor, start: int = 0) -> torch.Tensor:
    """Causal softmax attention (scale ``D**-0.5``) of ``qkv`` ``(N, L, 3, H, D)`` -> ``(N, L - start, H, D)``:
    the outputs of queries ``start..L-1``, query i seeing keys ``0..i``. As
    ``scaled_dot_product_attention(q[..., start:, :], k, v, causal mask)``; differentiable in ``qkv``.
    float32 or bfloat16 in and out (the arithmetic is float32 either way). Raises RuntimeError when the
    kernels are not ``available()``."""
    _bf16(qkv, "qkv")
    if qkv.dim() != 5 or qkv.shape[2] != 3:
        raise ValueError(f"qkv must be (N, L, 3, H, D), got {tuple(qkv.shape)}")
    if not 0 <= start < qkv.shape[1]:
        raise ValueError(f"start must be in [0, {qkv.shape[1]}), got {start}")
    return _Attention.apply(qkv, start)


class _Gelu(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        x = x.contiguous()
        y = torch.empty_like(x)
        _lib().gelu_forward(x.data_ptr(), y.data_ptr(), x.numel(), _bf16(x, "x"))
        ctx.save_for_backward(x)
        return y

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        (x,) = ctx.saved_tensors
        grad = grad.to(x.dtype).contiguous()
        gx = torch.empty_like(x)
        _lib().gelu_backward(x.data_ptr(), grad.data_ptr(), gx.data_ptr(), x.numel(), _bf16(x, "x"))
        return gx


def gelu(x: torch.Tensor) -> torch.Tensor:
    """``F.gelu(x, approximate="tanh")`` for a float32 or bfloat16 CPU tensor (float32 arithmetic, the result
    rounded to x's dtype), differentiable. Raises RuntimeError when the kernels are not ``available()``."""
    _bf16(x, "x")
    return _Gelu.apply(x)
