"""Project files (``*.ncsproj``): reading, checking, saving and building the network.

A project file is UTF-8 JSON with a ``format_version``, checked against
the schema of :mod:`studio.project.schema` (``resources/ncsproj.schema.json``), for example::

    {"format_version": 1, "dt": "0.1 ms", "seed": 1,
     "constants": {"g": 5, "J": "0.1 mV"},
     "models": {"cell": {"library": "iaf_psc_delta", "parameters": {"tau_m": "20 ms"}}},
     "populations": [{"name": "E", "model": "cell", "size": 800, "position": [0, 0]},
                     {"name": "I", "model": "cell", "size": 200}],
     "projections": [{"name": "EI", "source": "E", "target": "I",
                      "rule": {"name": "fixed_indegree", "k": 80}, "weight": "J", "delay": "1.5 ms"},
                     {"name": "IE", "source": "I", "target": "E",
                      "rule": {"name": "fixed_indegree", "k": 20}, "weight": "-g*J", "delay": "1.5 ms"}],
     "devices": [{"name": "drive", "kind": "poisson_generator", "target": "E",
                  "params": {"rate": "15 kHz"}, "weight": "J"}]}

Reading goes JSON -> format upgrade (:mod:`studio.project.upgrade`) ->
schema -> :class:`~studio.project.project_doc.ProjectDoc` (the file as written) ->
:class:`~engine.network.definitions.NetworkDef` (:mod:`studio.project.network_def`)
-> built network.  Every problem is a :class:`~engine.errors.Problem` located
by JSON path; :class:`ProjectFileError` prints them as ``FILE: PATH: message``.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

from engine.errors import NeuroCoreError, Problem
from engine.equations.units import UnitError
from engine.network.definitions import NetworkDef
from studio.project.fileio import atomic_write_text, json_text
from studio.project.modelfile import format_problem, parse_json
from studio.project.project_doc import ProjectDoc, doc_from_json, doc_to_json
from studio.project.network_def import locate_engine_error, network_def
from studio.project.schema import schema_problems
from studio.project.upgrade import upgrade

SUFFIX = ".ncsproj"
EXAMPLES = Path(str(files("resources") / "examples"))


class ProjectFileError(NeuroCoreError):
    """A project file cannot be used; ``problems`` lists every problem, each located by JSON path."""

    def __init__(self, path: str | os.PathLike, problems: list[Problem]):
        self.path = str(path)
        self.problems = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(format_problem(self.path, p) for p in self.problems)


def parse_project(text: str, problems: list[Problem]) -> ProjectDoc | None:
    """The description of a project's text; ``None`` with problems (JSON, version, schema, inline models)."""
    data = parse_json(text, problems)
    if problems:
        return None
    data = upgrade(data, problems)
    if data is None:
        return None
    problems.extend(schema_problems(data))
    if problems:
        return None
    doc = doc_from_json(data, problems)
    return None if problems else doc


def _read_text(path: Path, problems: list[Problem]) -> str | None:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append(Problem("", 0, 0, f"not UTF-8 text (byte {exc.start}): {exc.reason}"))
        return None


def read_project(path: str | os.PathLike) -> ProjectDoc:
    """Read a project file into its description (the network is not checked).

    Raises
    ------
    ProjectFileError
        Invalid JSON (line, column), a newer format, or a schema violation (JSON path).
    OSError
        The file cannot be read.
    """
    problems: list[Problem] = []
    text = _read_text(Path(path), problems)
    doc = None if text is None else parse_project(text, problems)
    if doc is None:
        raise ProjectFileError(path, problems)
    return doc


def project_text(doc: ProjectDoc) -> str:
    """The file text of ``doc``: indented JSON, short lists and objects of plain values on one line."""
    return json_text(doc_to_json(doc))


def write_project(path: str | os.PathLike, doc: ProjectDoc) -> None:
    """Save ``doc`` atomically: on any failure the old file stays as it was."""
    atomic_write_text(path, project_text(doc))


def project_network(path: str | os.PathLike, doc: ProjectDoc, seed: int | None = None) -> NetworkDef:
    """The network definition of ``doc`` read from ``path`` (``seed`` overrides the file's).

    Raises
    ------
    ProjectFileError
        Every problem found without building (references, constants, units, rule options, models).
    """
    problems: list[Problem] = []
    net = network_def(doc, problems, seed)
    if net is None:
        raise ProjectFileError(path, problems)
    return net


def build_project(path: str | os.PathLike, doc: ProjectDoc, net: NetworkDef, fmt=None):
    """Build the network of ``doc`` (in the fixed-point format ``fmt``, if given); an engine error is
    raised as a :class:`ProjectFileError` at its element."""
    from engine.network.build import build_network

    try:
        return build_network(net, fmt)
    except (NeuroCoreError, UnitError) as exc:
        raise ProjectFileError(path, locate_engine_error(doc, exc)) from exc


def run_project(path: str | os.PathLike, doc: ProjectDoc, simulation, duration_s: float):
    """``simulation.run(duration_s)``; an engine error (e.g. a device parameter with the wrong unit, which
    devices read when they first act) is raised as a :class:`ProjectFileError` at its element."""
    try:
        return simulation.run(duration_s)
    except (NeuroCoreError, UnitError) as exc:
        raise ProjectFileError(path, locate_engine_error(doc, exc)) from exc


def load_network(path: str | os.PathLike, seed: int | None = None, fmt=None):
    """Read, check and build the network of a project file: ``(description, built network)``,
    in the fixed-point format ``fmt`` if given.

    Raises
    ------
    ProjectFileError
        Any problem, located by JSON path.
    OSError
        The file cannot be read.
    """
    doc = read_project(path)
    return doc, build_project(path, doc, project_network(path, doc, seed), fmt)


def check_project(path: str | os.PathLike):
    """Every problem of a project file, building the network without running it.

    Returns the built network (``None`` when there is a problem) and the problems.

    Raises
    ------
    OSError
        The file cannot be read.
    """
    try:
        return load_network(path)[1], []
    except ProjectFileError as exc:
        return None, exc.problems
