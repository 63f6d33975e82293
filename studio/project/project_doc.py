"""The typed description of a project file, exactly as written (orange-canvas-core's readwrite pattern).

A file is read in three stages: JSON (with format upgrades,
:mod:`studio.project.upgrade`), this description (:func:`doc_from_json`,
after the schema has accepted the JSON), then the engine's network
definition (:mod:`studio.project.project_file`).  The description keeps every value as
the person typed it (``"-g*J"``, ``"0.1 ms"``); an optional field that was
left out is ``None`` and is left out again on saving, so load -> save ->
load gives the same description and the same text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from engine.equations.model import ModelSpec
from engine.errors import Problem
from studio.project.modelfile import json_path, spec_from_json, spec_to_json
from studio.project.upgrade import FORMAT_VERSION

Value = str | int | float
Position = tuple[float, float]


@dataclass(frozen=True)
class LibraryRef:
    """A library model by name, with parameter overrides."""

    library: str
    parameters: Mapping[str, Value] = field(default_factory=dict)


@dataclass(frozen=True)
class InlineModel:
    """A model written out in the project (the ``*.ncsmodel`` form)."""

    spec: ModelSpec


@dataclass(frozen=True)
class RuleDoc:
    """A connection rule as written; options left out are ``None``."""

    name: str
    p: Value | None = None
    k: Value | None = None
    n: Value | None = None
    sources: tuple[int, ...] | None = None
    targets: tuple[int, ...] | None = None
    allow_autapses: bool | None = None
    allow_multapses: bool | None = None


@dataclass(frozen=True)
class PopulationDoc:
    name: str
    model: str
    size: int | str
    parameters: Mapping[str, Value] = field(default_factory=dict)
    initial: Mapping[str, Value] = field(default_factory=dict)
    position: Position | None = None


@dataclass(frozen=True)
class ProjectionDoc:
    name: str
    source: str
    target: str
    rule: RuleDoc
    weight: Value
    delay: Value | None = None
    synapse: str | None = None
    receptor: str | int | None = None
    on_pre: str | None = None
    stdp: Mapping[str, Value] | None = None


@dataclass(frozen=True)
class DeviceDoc:
    name: str
    kind: str
    target: str
    params: Mapping[str, Any] = field(default_factory=dict)
    neurons: tuple[int, ...] | None = None
    weight: Value | None = None
    delay: Value | None = None
    receptor: str | int | None = None
    position: Position | None = None


@dataclass(frozen=True)
class ProjectDoc:
    """A whole project file."""

    populations: tuple[PopulationDoc, ...]
    projections: tuple[ProjectionDoc, ...] = ()
    devices: tuple[DeviceDoc, ...] = ()
    models: Mapping[str, LibraryRef | InlineModel] = field(default_factory=dict)
    constants: Mapping[str, Value] = field(default_factory=dict)
    dt: Value | None = None
    seed: int | None = None
    description: str | None = None
    format_version: int = FORMAT_VERSION


def _position(value: Any) -> Position | None:
    return None if value is None else (value[0], value[1])


def _indices(value: Any) -> tuple[int, ...] | None:
    return None if value is None else tuple(value)


def _params(data: dict) -> dict[str, Any]:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}


def _rule(data: dict) -> RuleDoc:
    return RuleDoc(data["name"], data.get("p"), data.get("k"), data.get("n"), _indices(data.get("sources")),
                   _indices(data.get("targets")), data.get("allow_autapses"), data.get("allow_multapses"))


def doc_from_json(data: dict, problems: list[Problem]) -> ProjectDoc:
    """The description of schema-valid project JSON; inline models add their structural problems."""
    models: dict[str, LibraryRef | InlineModel] = {}
    for name, entry in data.get("models", {}).items():
        if "library" in entry:
            models[name] = LibraryRef(entry["library"], dict(entry.get("parameters", {})))
        else:
            spec = spec_from_json(entry, problems, json_path("models", name))
            if spec is not None:
                models[name] = InlineModel(spec)
    populations = tuple(
        PopulationDoc(p["name"], p["model"], p["size"], dict(p.get("parameters", {})), dict(p.get("initial", {})),
                      _position(p.get("position")))
        for p in data["populations"])
    projections = tuple(
        ProjectionDoc(p["name"], p["source"], p["target"], _rule(p["rule"]), p["weight"], p.get("delay"),
                      p.get("synapse"), p.get("receptor"), p.get("on_pre"),
                      dict(p["stdp"]) if "stdp" in p else None)
        for p in data.get("projections", []))
    devices = tuple(
        DeviceDoc(d["name"], d["kind"], d["target"], _params(d.get("params", {})), _indices(d.get("neurons")),
                  d.get("weight"), d.get("delay"), d.get("receptor"), _position(d.get("position")))
        for d in data.get("devices", []))
    return ProjectDoc(populations, projections, devices, models, dict(data.get("constants", {})), data.get("dt"),
                      data.get("seed"), data.get("description"), data["format_version"])


def _given(pairs: dict[str, Any]) -> dict[str, Any]:
    """``pairs`` without the fields left out (``None``)."""
    return {k: v for k, v in pairs.items() if v is not None}


def _nonempty(mapping: Mapping[str, Any]) -> dict[str, Any] | None:
    """An optional object: left out of the file when empty."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in mapping.items()} or None


def _model_json(model: LibraryRef | InlineModel) -> dict[str, Any]:
    if isinstance(model, LibraryRef):
        return _given({"library": model.library, "parameters": _nonempty(model.parameters)})
    data = spec_to_json(model.spec)
    for key in ("equations", "reset", "run_regularly"):
        if "\n" in data.get(key, ""):
            data[key] = data[key].split("\n")
    return data


def _list(value) -> list | None:
    return None if value is None else list(value)


def doc_to_json(doc: ProjectDoc) -> dict[str, Any]:
    """The JSON object of a description (fields in a fixed order; left-out fields stay out)."""
    return _given({
        "format_version": doc.format_version,
        "description": doc.description,
        "dt": doc.dt,
        "seed": doc.seed,
        "constants": _nonempty(doc.constants),
        "models": {name: _model_json(m) for name, m in doc.models.items()} or None,
        "populations": [_given({"name": p.name, "model": p.model, "size": p.size, "parameters": _nonempty(p.parameters),
                                "initial": _nonempty(p.initial), "position": _list(p.position)})
                        for p in doc.populations],
        "projections": [_given({"name": p.name, "source": p.source, "target": p.target,
                                "rule": _given({"name": p.rule.name, "p": p.rule.p, "k": p.rule.k, "n": p.rule.n,
                                                "sources": _list(p.rule.sources), "targets": _list(p.rule.targets),
                                                "allow_autapses": p.rule.allow_autapses,
                                                "allow_multapses": p.rule.allow_multapses}),
                                "synapse": p.synapse, "weight": p.weight, "delay": p.delay, "receptor": p.receptor,
                                "on_pre": p.on_pre, "stdp": None if p.stdp is None else dict(p.stdp)})
                        for p in doc.projections] or None,
        "devices": [_given({"name": d.name, "kind": d.kind, "target": d.target, "params": _nonempty(d.params),
                            "neurons": _list(d.neurons), "weight": d.weight, "delay": d.delay,
                            "receptor": d.receptor, "position": _list(d.position)})
                    for d in doc.devices] or None,
    })
