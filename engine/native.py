"""The compiled kernels of ext/, imported once with a clear message when they are missing."""

from engine.errors import ExtensionMissingError

try:
    from ext import linear, network, vm
except ImportError as exc:  # pragma: no cover - exercised only on a broken install
    raise ExtensionMissingError(
        "NeuroCore Studio's compiled kernels (ext/vm) are not built. Build them with "
        "`make install` (or `pip install -e .` in the project folder), which compiles the Cython "
        f"sources in ext/. ({exc})"
    ) from exc

__all__ = ["linear", "network", "vm"]
