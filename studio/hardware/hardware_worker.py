"""The child process of a :class:`studio.hardware.hardware_job.HardwareJob`: ``python -m studio.hardware.hardware_worker``.

It reads one pickled request from stdin, runs it, and writes length-prefixed
pickled messages to its stdout: ``("progress", label, fraction)`` while it
works (a board build and deploy: ``("stage", name)`` as each stage starts and
``("log", line)`` for every line its tools print), then one of
``("done", result)``, ``("cancelled",)`` or ``("failed", message, traceback)``
(a failed build adds the relevant log lines and the report, if any).  A line
``cancel`` on stdin after the request cancels a co-simulation at its next
phase and stops a build's tools.  Anything else the work prints goes to stderr.

Generating a core and building a network are long pure-Python work (Amaranth
elaboration, Verilator builds); in a process of their own they share no GIL
with the window and can be stopped at once, Verilator and make included.  (The
"deadlock on the GIL" once blamed for moving them here was Python's cycle
collector finalizing Qt objects on a worker thread; the studio now collects on
the GUI thread only, see :func:`views.app.collect_garbage_on_gui_thread`.)
"""

from __future__ import annotations

import os
import pickle
import struct
import sys
import threading
import traceback as tb

HEADER = struct.Struct("<Q")


def _send(out, message: tuple) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(HEADER.pack(len(data)) + data)
    out.flush()


def main() -> int:
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # stray prints must not corrupt the message stream
    stdin = sys.stdin.buffer
    (size,) = HEADER.unpack(stdin.read(HEADER.size))
    request = pickle.loads(stdin.read(size))
    cancel = threading.Event()

    def listen() -> None:
        for line in stdin:
            if line.strip() == b"cancel":
                cancel.set()

    threading.Thread(target=listen, daemon=True).start()
    from engine.errors import NeuroCoreError
    from hdl.board_build import BuildCancelled, BuildFailed
    from hdl.netcosim import CosimCancelled
    from studio.hardware.deploy_flow import DeployRequest, deploy
    from studio.hardware.hardware_flow import CosimRequest, cosimulate, generate_project

    try:
        if isinstance(request, CosimRequest):
            result = cosimulate(request, progress=lambda label, f: _send(out, ("progress", label, f)), cancel=cancel)
        elif isinstance(request, DeployRequest):
            result = deploy(request, on_stage=lambda stage: _send(out, ("stage", stage)),
                            on_log=lambda line: _send(out, ("log", line)), cancel=cancel)
        else:
            _send(out, ("progress", "generating the core", 0.0))
            result = generate_project(request.path, request.fmt)
        _send(out, ("cancelled",) if cancel.is_set() else ("done", result))
    except (CosimCancelled, BuildCancelled):
        _send(out, ("cancelled",))
    except BuildFailed as exc:
        _send(out, ("failed", str(exc), tb.format_exc(), exc.log_lines, exc.report))
    except Exception as exc:  # reported to the GUI, never a crash
        message = str(exc) if isinstance(exc, NeuroCoreError) else f"{type(exc).__name__}: {exc}"
        _send(out, ("failed", message, tb.format_exc()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
