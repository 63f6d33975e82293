"""A standalone Python script that reproduces a playground trace with the engine.

:func:`trace_script` writes the model (a library model by name, or the whole
:class:`~engine.equations.model.ModelSpec`), its parameter values, the stimulus
protocols and input spike trains as Python literals, and a ``main`` that
calls :func:`engine.analysis.traces.trace` with them.  Run it with the
project's Python::

    python neuron_trace.py                 # prints the spike count and rate
    python neuron_trace.py --out run.npz   # saves t, every state variable, spike_times

Values are written with ``repr`` of Python floats, so the script's run is the
studio's run, bit for bit.
"""

from __future__ import annotations

import dataclasses
import textwrap
from typing import Any, Mapping

import numpy as np

from engine.analysis.stimulus import CurrentProtocol
from engine.equations.model import ModelSpec
from engine.errors import NeuroCoreError
from engine.fixedpoint import QFormat
from engine.models.base import LibraryModel
from engine.run.neuron import SpikeInput


_WIDTH = 100


class ExportError(NeuroCoreError):
    """A value cannot be written into a script (an object that is not plain data)."""


def _string(text: str) -> str:
    if "\n" in text and '"""' not in text and "\\" not in text and not text.endswith('"'):
        return f'"""{text}"""'
    return repr(text)


def literal(value: Any, imports: set[tuple[str, str]], indent: int = 0) -> str:
    """Python source for ``value``: plain data, or frozen dataclasses of the engine (their imports added).

    A value that fits in the line (``indent`` spaces in) is written on it;
    a longer one gets an item per line, numbers wrapped as text.
    """
    flat = _render(value, imports, None)
    if indent + len(flat) <= _WIDTH:
        return flat
    return _render(value, imports, indent)


def _render(value: Any, imports: set[tuple[str, str]], indent: int | None) -> str:
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (int, np.integer)):
        return repr(int(value))
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, (tuple, list)):
        opening, closing = ("(", ")") if isinstance(value, tuple) else ("[", "]")
        items = [literal(v, imports, (indent or 0) + 4) for v in value]
        if indent is None:
            tail = "," if isinstance(value, tuple) and len(items) == 1 else ""
            return opening + ", ".join(items) + tail + closing
        pad = " " * (indent + 4)
        if all(isinstance(v, (int, float, np.integer, np.floating)) for v in value):
            body = textwrap.fill(", ".join(items) + ",", _WIDTH, initial_indent=pad, subsequent_indent=pad)
            return f"{opening}\n{body}\n{' ' * indent}{closing}"
        return opening + "".join(f"\n{pad}{item}," for item in items) + f"\n{' ' * indent}{closing}"
    if isinstance(value, Mapping):
        pairs = [(literal(k, imports), literal(v, imports, (indent or 0) + 4)) for k, v in value.items()]
        if indent is None or not pairs:
            return "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"
        pad = " " * (indent + 4)
        return "{" + "".join(f"\n{pad}{k}: {v}," for k, v in pairs) + f"\n{' ' * indent}}}"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        cls = type(value)
        if not cls.__module__.startswith("engine."):
            raise ExportError(f"cannot write a `{cls.__name__}` into a script (not an engine value)")
        imports.add((cls.__module__, cls.__name__))
        args = [f"{f.name}={literal(getattr(value, f.name), imports, (indent or 0) + 4)}"
                for f in dataclasses.fields(value) if f.init and getattr(value, f.name) != _default(f)]
        if indent is None or not args:
            return f"{cls.__name__}({', '.join(args)})"
        pad = " " * (indent + 4)
        return f"{cls.__name__}(" + "".join(f"\n{pad}{a}," for a in args) + f"\n{' ' * indent})"
    raise ExportError(f"cannot write a `{type(value).__name__}` into a script")


def _default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return dataclasses.MISSING


_MAIN = '''


def run():
    """The trace (engine.analysis.traces.Trace): times in ms, every state variable in its unit."""
    return trace(MODEL, duration=DURATION, dt=DT, stimuli=STIMULI, spikes=SPIKES, overrides=PARAMETERS,
                 initial=INITIAL, spike_delay=SPIKE_DELAY, fixed=FIXED, seed=SEED)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="save t, every state variable and spike_times (ms) to this .npz file")
    args = parser.parse_args(argv)
    result = run()
    if args.out:
        np.savez(args.out, t=result.t, spike_times=result.spike_times, **result.values)
    rate = len(result.spike_times) / DURATION
    print(f"{len(result.spike_times)} spikes in {DURATION:g} s ({rate:g} Hz)")
    for name, count in result.overflows.items():
        if count:
            print(f"overflow: {name} saturated {count} times")


if __name__ == "__main__":
    main()
'''


def trace_script(model: LibraryModel | ModelSpec, *, parameters: Mapping[str, str] | None = None,
                 stimuli: tuple[CurrentProtocol, ...] = (), spikes: tuple[SpikeInput, ...] = (),
                 duration: float = 1.0, dt: float = 1e-4, initial: Mapping[str, str | float] | None = None,
                 spike_delay: float = 1e-3, fixed: QFormat | None = None, seed: int = 0,
                 title: str = "neuron") -> str:
    """The text of a script that runs :func:`engine.analysis.traces.trace` with exactly these arguments.

    Parameters
    ----------
    model
        A library model (written by name, as ``get_model("...")``) or a model spec (written out in full).
    parameters
        Parameter values as quantity strings (the ``overrides`` of the trace).
    stimuli, spikes
        Current protocols (:mod:`engine.analysis.stimulus`) and input spike trains.
    duration, dt, spike_delay
        Seconds.
    fixed
        Run in this fixed-point format instead of float64.

    Raises
    ------
    ExportError
        A stimulus is not an engine value that can be written as a literal.
    """
    imports: set[tuple[str, str]] = {("engine.analysis.traces", "trace")}
    if isinstance(model, LibraryModel):
        imports.add(("engine.models", "get_model"))
        model_text = f"get_model({model.name!r})"
    else:
        model_text = literal(model, imports)
    constants = [
        ("MODEL", model_text),
        ("PARAMETERS", literal(dict(parameters or {}), imports)),
        ("INITIAL", literal(dict(initial or {}), imports)),
        ("STIMULI", literal(tuple(stimuli), imports)),
        ("SPIKES", literal(tuple(spikes), imports)),
        ("DURATION", f"{float(duration)!r}  # s"),
        ("DT", f"{float(dt)!r}  # s"),
        ("SPIKE_DELAY", f"{float(spike_delay)!r}  # s"),
        ("FIXED", literal(fixed, imports) + ("  # None: float64" if fixed is None else f"  # {fixed.name}")),
        ("SEED", repr(int(seed))),
    ]
    modules: dict[str, list[str]] = {}
    for module, name in sorted(imports):
        modules.setdefault(module, []).append(name)
    lines = [f'"""Reproduce the NeuroCore Studio playground trace of `{title}` with the engine.',
             "",
             "Usage: python SCRIPT [--out trace.npz]",
             '"""',
             "",
             "import argparse",
             "",
             "import numpy as np",
             "",
             *(f"from {m} import {', '.join(names)}" for m, names in modules.items()),
             "",
             *(f"{name} = {text}" for name, text in constants)]
    return "\n".join(lines) + _MAIN
