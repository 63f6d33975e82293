"""NIR's weight nodes as sparse matrices over flattened (C-order) neuron indices.

Each weight node maps the values of its input (shape ``in_shape``) to its output:
``out = matrix @ input + bias``.  Convolutions and pooling are lowered to that explicit
connectivity here (docs/nir.md, "Weights").
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from engine.errors import NeuroCoreError

MAPS = ("Affine", "Linear", "Scale", "Conv1d", "Conv2d", "SumPool2d", "AvgPool2d", "Flatten", "Delay")
"""The NIR types that become projections (weights, delays), not populations."""


class NirError(NeuroCoreError):
    """A NIR graph cannot be imported or a project cannot be exported to NIR; the message names the node
    (or the population, projection or device) and the field."""


@dataclass(frozen=True)
class PassThrough:
    """The ``Input`` or ``Output`` node of a graph inside the graph: its values pass on unchanged."""


@dataclass(frozen=True)
class Lowered:
    """A weight node as ``out = matrix @ input + bias`` (``bias`` ``None`` when it adds none), its output shape
    and the delay it adds (seconds)."""

    matrix: sp.csr_matrix
    bias: np.ndarray | None
    out_shape: tuple[int, ...]
    delay: float = 0.0


def _tuple(value, n: int) -> tuple[int, ...]:
    items = np.atleast_1d(np.asarray(value)).astype(int).tolist()
    return tuple(items * n if len(items) == 1 else items)


def _conv(weight: np.ndarray, in_shape: tuple[int, ...], stride, padding, dilation, groups: int,
          where: str) -> tuple[sp.csr_matrix, tuple[int, ...]]:
    """A convolution (PyTorch's definition: cross-correlation, zero padding) over ``in_shape`` = (C, *spatial)."""
    kernel = weight.shape[2:]
    nd = len(kernel)
    if len(in_shape) != nd + 1:
        raise NirError(f"{where}: takes an input of {nd + 1} dimensions (channels, {nd} spatial), "
                       f"not the shape {list(in_shape)}")
    channels, size = in_shape[0], in_shape[1:]
    out_channels, per_group = weight.shape[0], weight.shape[1]
    if channels != per_group * groups or out_channels % groups:
        raise NirError(f"{where}: weight of shape {list(weight.shape)} with {groups} groups does not fit "
                       f"{channels} input channels")
    stride, dilation = _tuple(stride, nd), _tuple(dilation, nd)
    if isinstance(padding, (str, bytes)):
        mode = padding.decode() if isinstance(padding, bytes) else padding
        if mode not in ("same", "valid"):
            raise NirError(f"{where}: padding `{mode}` is not `same`, `valid` or a number")
        total = [d * (k - 1) if mode == "same" else 0 for d, k in zip(dilation, kernel)]
        before = [t // 2 for t in total]
    else:
        before = list(_tuple(padding, nd))
        total = [2 * p for p in before]
    out = tuple((n + t - d * (k - 1) - 1) // s + 1 for n, t, d, k, s in zip(size, total, dilation, kernel, stride))
    if min(out) < 1:
        raise NirError(f"{where}: the kernel {list(kernel)} does not fit the input {list(in_shape)}")
    grid = np.indices(out).reshape(nd, -1)
    rows, cols, values = [], [], []
    out_size, in_size = int(np.prod(out)), int(np.prod(size))
    for co in range(out_channels):
        group = co // (out_channels // groups)
        for ci_local, offset in itertools.product(range(per_group), itertools.product(*map(range, kernel))):
            w = weight[(co, ci_local, *offset)]
            if w == 0:
                continue
            position = grid * np.array(stride)[:, None] - np.array(before)[:, None] \
                + (np.array(offset) * np.array(dilation))[:, None]
            inside = np.all((position >= 0) & (position < np.array(size)[:, None]), axis=0)
            ci = group * per_group + ci_local
            rows.append(co * out_size + np.flatnonzero(inside))
            cols.append(ci * in_size + np.ravel_multi_index(position[:, inside], size))
            values.append(np.full(int(inside.sum()), float(w)))
    matrix = sp.coo_matrix((np.concatenate(values or [np.zeros(0)]),
                            (np.concatenate(rows or [np.zeros(0, int)]), np.concatenate(cols or [np.zeros(0, int)]))),
                           shape=(out_channels * out_size, channels * in_size))
    return matrix.tocsr(), (out_channels, *out)


def _dense(weight: np.ndarray, in_shape: tuple[int, ...], where: str) -> sp.csr_matrix:
    if weight.ndim != 2:
        raise NirError(f"{where}: weight must be a matrix (outputs, inputs), not of shape {list(weight.shape)}")
    if weight.shape[1] != int(np.prod(in_shape)):
        raise NirError(f"{where}: weight takes {weight.shape[1]} inputs, but its input gives {int(np.prod(in_shape))} "
                       f"(shape {list(in_shape)})")
    return sp.csr_matrix(weight.astype(np.float64))


def lower(name: str, node, in_shape: tuple[int, ...]) -> Lowered:
    """The weight node ``node`` (named ``name``) acting on an input of ``in_shape``."""
    kind = type(node).__name__
    where = f"node `{name}` ({kind})"
    n = int(np.prod(in_shape))
    if kind in ("Affine", "Linear"):
        weight = np.asarray(node.weight, dtype=np.float64)
        matrix = _dense(weight, in_shape, where)
        bias = np.asarray(node.bias, dtype=np.float64).reshape(-1) if kind == "Affine" else None
        if bias is not None and bias.size != weight.shape[0]:
            raise NirError(f"{where}: bias has {bias.size} values for {weight.shape[0]} outputs")
        return Lowered(matrix, bias, (weight.shape[0],))
    if kind == "Scale":
        scale = np.broadcast_to(np.asarray(node.scale, dtype=np.float64), in_shape).reshape(-1)
        return Lowered(sp.diags(scale, format="csr"), None, in_shape)
    if kind == "PassThrough":
        return Lowered(sp.identity(n, format="csr"), None, in_shape)
    if kind == "Flatten":
        start, end = node.start_dim, node.end_dim
        start, end = start % len(in_shape), end % len(in_shape)
        out = (*in_shape[:start], int(np.prod(in_shape[start:end + 1])), *in_shape[end + 1:])
        return Lowered(sp.identity(n, format="csr"), None, out)
    if kind == "Delay":
        delay = np.asarray(node.delay, dtype=np.float64).reshape(-1)
        if delay.size == 0 or np.any(delay != delay[0]) or not np.isfinite(delay[0]) or delay[0] < 0:
            raise NirError(f"{where}, delay: the delays differ between elements or are not a time >= 0 "
                           f"({np.unique(delay)[:4].tolist()}); one projection has one delay")
        return Lowered(sp.identity(n, format="csr"), None, in_shape, float(delay[0]))
    if kind in ("Conv1d", "Conv2d"):
        weight = np.asarray(node.weight, dtype=np.float64)
        matrix, out = _conv(weight, in_shape, node.stride, node.padding, node.dilation, int(node.groups), where)
        bias = np.repeat(np.broadcast_to(np.asarray(node.bias, dtype=np.float64).reshape(-1), (out[0],)),
                         int(np.prod(out[1:])))
        return Lowered(matrix, bias, out)
    if kind in ("SumPool2d", "AvgPool2d"):
        kernel = _tuple(node.kernel_size, 2)
        channels = in_shape[0]
        value = 1.0 if kind == "SumPool2d" else 1.0 / (kernel[0] * kernel[1])
        weight = np.full((channels, 1, *kernel), value)
        matrix, out = _conv(weight, in_shape, node.stride, _tuple(node.padding, 2), 1, channels, where)
        return Lowered(matrix, None, out)
    raise NirError(f"{where} is not a weight node")
