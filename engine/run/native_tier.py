"""The tiered path: float populations run in the VM at once and switch to native code when it is ready.

Where a C compiler is present, each VM-run population's program is rendered
to C (engine/program_c.py) and compiled in the background into a shared
library cached by the hash of its bytecode; the simulation hands finished
libraries to the network kernel between chunks, so a run switches at a step
boundary and never waits.  Native code gives the VM's bits.  Without a
compiler (or with ``NCS_CC`` set to an empty string) everything stays in the VM.

Environment: ``NCS_CC`` the compiler command (default: Python's own ``CC``,
else ``cc``); ``NCS_NATIVE_CACHE`` the cache folder (default
``$XDG_CACHE_HOME/ncstudio/native``).
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import platform
import shlex
import shutil
import subprocess
import sysconfig
import tempfile
from concurrent import futures
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from engine.network.build import Network
from engine.program_c import ENTRY, PRELUDE, UnsupportedProgram, render_c

# Contraction would fuse a multiply and an add that the VM rounds separately.
CFLAGS = ("-O3", "-march=native", "-fno-math-errno", "-fno-trapping-math", "-ffp-contract=off",
          "-shared", "-fPIC")
# Part of every cache key, with the kernels' common C (PRELUDE): a change to the rendering or the flags makes
# new libraries.
RENDERING_VERSION = "7"
COMPILE_TIMEOUT_S = 120

_compiler_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ncs-native-compile")
_loaded: dict[str, ctypes.CDLL] = {}


def compiler() -> list[str] | None:
    """The C compiler command, or None when there is none."""
    configured = os.environ.get("NCS_CC")
    if configured is not None:
        return shlex.split(configured) or None
    for candidate in (sysconfig.get_config_var("CC") or "", "cc"):
        words = shlex.split(candidate)
        if words and shutil.which(words[0]):
            return words
    return None


def cache_dir() -> Path:
    """Where compiled kernels are kept."""
    configured = os.environ.get("NCS_NATIVE_CACHE")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "ncstudio" / "native"


@functools.cache
def _processor() -> str:
    """What ``-march=native`` compiled for: a library built on one processor may not run on another."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return platform.machine() + platform.processor()
    return "".join(line for line in lines if line.startswith(("model name", "flags")))[:4096]


def kernel_key(code) -> str:
    """The cache key of a program's bytecode (with the rendering, the flags and the processor)."""
    digest = hashlib.sha256(RENDERING_VERSION.encode() + PRELUDE.encode() + " ".join(CFLAGS).encode()
                            + _processor().encode())
    digest.update(code.astype("<i4").tobytes())
    return digest.hexdigest()[:24]


def _address(path: Path) -> int:
    lib = _loaded.get(str(path))
    if lib is None:
        lib = _loaded[str(path)] = ctypes.CDLL(str(path))
    return ctypes.cast(getattr(lib, ENTRY), ctypes.c_void_p).value


def kernel_path(key: str) -> Path:
    """Where the library of the program with cache key ``key`` is kept (read the environment now, not in a
    worker)."""
    return cache_dir() / f"{key}.so"


def compile_kernel(program, cc: list[str], path: Path) -> int:
    """Compile ``program`` into the library ``path`` (unless it exists) and return its native step's address.

    Raises
    ------
    UnsupportedProgram
        When the program has no C rendering.
    RuntimeError
        When the compiler fails (its first line of errors says why).
    """
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
            source, built = Path(tmp) / "kernel.c", Path(tmp) / "kernel.so"
            source.write_text(render_c(program))
            done = subprocess.run([*cc, *CFLAGS, str(source), "-o", str(built), "-lm"], cwd=tmp,
                                  env=dict(os.environ), capture_output=True, text=True,
                                  timeout=COMPILE_TIMEOUT_S)
            if done.returncode != 0:
                first = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[0]
                raise RuntimeError(f"the C compiler `{cc[0]}` failed: {first}")
            os.replace(built, path)
    return _address(path)


class NativeTier:
    """Native code for a network's VM-run populations, compiled in the background.

    Parameters
    ----------
    network
        A float64 network; fixed-point networks and populations run by the
        fused linear kernel are left as they are.
    """

    def __init__(self, network: Network):
        self.network = network
        self.cc = compiler() if network.fmt is None else None
        self.failures: list[str] = []
        self._jobs: dict[str, Future] = {}
        self._failed: set[str] = set()
        self.install()

    def wait(self, timeout_s: float | None = None) -> None:
        """Wait for every compile started so far, then switch (for scripts and tests; a run never waits)."""
        futures.wait(list(self._jobs.values()), timeout=timeout_s)
        self.install()

    def install(self) -> None:
        """Switch every population whose native code is ready; start compiling what is missing.

        Call between chunks (the kernel is not running)."""
        if self.cc is None:
            return
        kernel = self.network.kernel
        for pop in self.network.populations.values():
            # rkf45's integration loop (ext/vm.pyx) has no C rendering: those populations stay in the VM.
            if pop.state.kernel is not None or pop.ir.adaptive is not None or kernel.runs_native(pop.index):
                continue
            program = pop.state.program
            key = kernel_key(program.code)
            if key in self._failed:
                continue
            job = self._jobs.get(key)
            if job is None:
                path = kernel_path(key)
                if not path.is_file():
                    self._jobs[key] = _compiler_pool.submit(compile_kernel, program, self.cc, path)
                    continue
                address = _address(path)
            elif not job.done():
                continue
            else:
                del self._jobs[key]
                try:
                    address = job.result()
                except (UnsupportedProgram, RuntimeError, OSError, subprocess.SubprocessError) as exc:
                    self._failed.add(key)
                    self.failures.append(f"population `{pop.name}` stays in the VM: {exc}")
                    continue
            kernel.set_native(pop.index, address, program.code)
