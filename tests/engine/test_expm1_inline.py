"""exprel's expm1 (ext/expm1_inline.h): glibc's operations inline, the C library's bits everywhere.

The VM and the native kernels both compute expm1 inline in glibc's primary range
(2**-54 <= |x| <= 0.5 ln 2) and for negative x down to -56 ln 2, and call the C
library elsewhere; the reference interpreter calls the C library for every value.
"""

from __future__ import annotations

import platform

import numpy as np
import pytest

from engine.equations import expr as E
from engine.equations.ir import Assign, NeuronIR, Slot
from engine.population_vm import PopulationVM
from engine.reference import ReferencePopulation
from engine.run.native_tier import compile_kernel, compiler

N_INSIDE = 200_000


def _arguments() -> np.ndarray:
    """Values in the primary range where exprel calls expm1 (|x| >= 1e-5), of both signs; negative values that
    glibc reduces into it, at every k and beside each k's edges; the ranges' edges; values outside."""
    rng = np.random.default_rng(7)
    high = rng.integers(0x3EE00000, 0x3FD62E43, N_INSIDE, dtype=np.uint64)
    bits = (high << np.uint64(32)) | rng.integers(0, 2**32, N_INSIDE, dtype=np.uint64)
    primary = bits.view(np.float64) * rng.choice([-1.0, 1.0], N_INSIDE)
    reduced = -rng.uniform(0.34, 38.9, N_INSIDE // 2)
    k_edges = -(np.arange(1, 57) + 0.5) * np.log(2.0)
    k_edges = np.concatenate([np.nextafter(k_edges, 0.0), k_edges, np.nextafter(k_edges, -np.inf)])
    edges = np.array([0x3C90000000000000, 0x3FD62E42FFFFFFFF, 0x3FD62E4300000000, 0x3C8FFFFFFFFFFFFF,
                      0x3FF0A2B1FFFFFFFF, 0x3FF0A2B200000000, 0x40436879FFFFFFFF, 0x4043687A00000000],
                     dtype=np.uint64).view(np.float64)
    outside = np.array([0.0, 1e-300, 0.4, 1.0, 5.0, 40.0, -800.0, 700.0])
    return np.concatenate([primary, reduced, k_edges, edges, -edges, outside])


def _exprel_population(x: np.ndarray, population):
    """``population`` (PopulationVM or ReferencePopulation) of neurons whose only work is ``out = exprel(x)``."""
    slots = (Slot("out", "state", "1", 0.0), Slot("x", "param", "1", 0.0), Slot("lastspike", "internal", "ms", -1e9))
    ir = NeuronIR(name="f", unit_system="nest", dt=0.1, slots=slots,
                  update=(Assign("out", E.Call("exprel", (E.Ref("x"),))),), receive={}, threshold=None, reset=(),
                  refractory_kind="none")
    pop = population(ir, len(x), None) if population is ReferencePopulation else population(ir, len(x), fused=False)
    pop.set("x", x)
    return pop


def _c_library(x: np.ndarray) -> np.ndarray:
    out = _exprel_population(x, ReferencePopulation).run(1, {}, ("out",)).record[0, 0]
    assert np.isfinite(out).all()
    return out


def test_the_vms_exprel_gives_the_c_librarys_bits_inside_and_outside_the_inline_ranges():
    x = _arguments()
    vm = _exprel_population(x, PopulationVM).run(1, {}, ("out",)).record[0, 0]
    np.testing.assert_array_equal(vm, _c_library(x))


# With AVX-512 and without it (AVX2 vectorises the primary range's loop another way).
_X86_VECTOR_FLAGS = [[], ["-mno-avx512f"]] if platform.machine() in ("x86_64", "AMD64") else [[]]


@pytest.mark.skipif(compiler() is None, reason="no C compiler found")
@pytest.mark.parametrize("flags", _X86_VECTOR_FLAGS, ids=lambda flags: " ".join(flags) or "native")
def test_native_exprel_gives_the_c_librarys_bits_inside_and_outside_the_inline_ranges(tmp_path, flags):
    x = _arguments()
    pop = _exprel_population(x, PopulationVM)
    kernel = pop._kernel()
    kernel.set_native(0, compile_kernel(pop.program, [*compiler(), *flags], tmp_path / "exprel.so"),
                      pop.program.code)
    assert kernel.runs_native(0)
    np.testing.assert_array_equal(pop.run(1, {}, ("out",)).record[0, 0], _c_library(x))
