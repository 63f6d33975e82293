"""``ncstudio export PROJECT --to python``: a script that runs the project's network with our engine.

The network definition (:class:`~engine.network.definitions.NetworkDef`) is written out as
Python literals with the playground export's writer (:func:`studio.interop.script_export.literal`):
models, populations, projections and devices as the engine's records, every quantity as its
exact text (``"1.6200000000000003 mV"``), which the build parses as the studio's run does.
Run it with the studio's Python::

    python cuba_engine.py --duration 1 --out run.npz

It prints each population's spikes and rate and saves every recorder's data (``NAME.KEY``).
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from engine.equations.constant_values import Expression
from engine.equations.units import NEST_UNITS, UNITS, Quantity
from engine.models import LibraryModel, get_model
from engine.network.definitions import NetworkDef
from studio.interop.brian2_text import expression
from studio.interop.export_source import about, export_source, write_script
from studio.interop.script_export import literal
from studio.project.project_doc import ProjectDoc

_MAIN = '''


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=DURATION, help="simulated seconds (default %(default)s)")
    parser.add_argument("--seed", type=int, default=NETWORK.seed, help="seed of connectivity, initial values, noise")
    parser.add_argument("--out", help="save every recorder's data to this .npz file")
    args = parser.parse_args(argv)
    network = build_network(dataclasses.replace(NETWORK, seed=args.seed))
    simulation = Simulation(network)
    simulation.run(args.duration)
    for population in NETWORK.populations:
        times, _ = simulation.spikes(population.name)
        rate = len(times) / (population.size * args.duration)
        print(f"{population.name}: {len(times)} spikes, {rate:.3f} Hz")
    if args.out:
        data = {f"{d.name}.{key}": value for d in NETWORK.devices if d.kind in RECORDERS
                for key, value in simulation.recorder(d.name).items()}
        np.savez(args.out, duration_s=args.duration, **data)
        print(f"saved {args.out}")


if __name__ == "__main__":
    main()
'''


def _text(q: Quantity) -> str:
    """A quantity as text the engine parses back to the same value."""
    unit = NEST_UNITS.unit_name(q.dim)
    return f"{q.value!r} {unit}" if unit in UNITS or unit == "1" else str(q)


def _as_text(value, library: dict[str, str]):
    """``value`` with every quantity written as text, the constants of an expression written in, and each library
    model as a marker for its entry in ``library`` (the source that makes it, by marker)."""
    if isinstance(value, LibraryModel):
        changed = {k: v for k, v in value.spec.parameters.items() if v != get_model(value.name).spec.parameters.get(k)}
        call = f"get_model({value.name!r})"
        if changed:
            call += f".with_parameters(**{literal(_as_text(changed, library), set())})"
        return library.setdefault(call, f"@library-model-{len(library)}@")
    if isinstance(value, Quantity):
        return _text(value)
    if isinstance(value, Expression):
        return expression(value.text, {k: f"({_text(q).replace(' ', '*')})" for k, q in value.constants.items()})
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{f.name: _as_text(getattr(value, f.name), library)
                                             for f in dataclasses.fields(value) if f.init})
    if isinstance(value, dict):
        return {k: _as_text(v, library) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value)(_as_text(v, library) for v in value)
    return value


def python_script(net: NetworkDef, title: str, description: str = "", duration: float = 1.0) -> str:
    """The text of a script that builds ``net`` and runs it with the engine."""
    imports: set[tuple[str, str]] = {("engine.network.build", "build_network"),
                                     ("engine.network.devices", "RECORDERS"),
                                     ("engine.run.simulation", "Simulation")}
    library: dict[str, str] = {}
    network = literal(_as_text(net, library), imports)
    models = []
    for i, (call, marker) in enumerate(library.items()):
        models.append(f"MODEL_{i} = {call}")
        network = network.replace(repr(marker), f"MODEL_{i}")
    if library:
        imports.add(("engine.models", "get_model"))
    modules: dict[str, list[str]] = {}
    for module, name in sorted(imports):
        modules.setdefault(module, []).append(name)
    lines = [f'"""The NeuroCore Studio project `{title}`, run with its engine.{about(description)}',
             "",
             "Usage: python SCRIPT [--duration S] [--seed S] [--out FILE.npz]",
             '"""',
             "",
             "import argparse",
             "import dataclasses",
             "",
             "import numpy as np",
             "",
             *(f"from {m} import {', '.join(names)}" for m, names in modules.items()),
             "",
             f"DURATION = {float(duration)!r}  # s, the default of --duration",
             *models,
             f"NETWORK = {network}"]
    return "\n".join(lines) + _MAIN


def export_python(project: str | os.PathLike | ProjectDoc, out_path: str | os.PathLike) -> Path:
    """Write a script that runs the project's network with the engine at ``out_path``.

    Raises
    ------
    studio.project.project_file.ProjectFileError
        The project has problems.
    """
    source = export_source(project)
    return write_script(out_path, python_script(source.net, source.title, source.description))
