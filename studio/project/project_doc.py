"""The typed description of a project file, exactly as written (orange-canvas-core's readwrite pattern), and
the one statement of the file's structure.

A file is read in three stages: JSON (with format upgrades,
:mod:`studio.project.upgrade`), this description (:func:`doc_from_json`,
after the schema has accepted the JSON), then the engine's network
definition (:mod:`studio.project.network_def`).  The description keeps every value as
the person typed it (``"-g*J"``, ``"0.1 ms"``); an optional field that was
left out holds its default (``None``, empty) and is left out again on saving,
so load -> save -> load gives the same description and the same text.

Each field of the dataclasses below carries its :class:`Form`: the JSON
Schema of its value and how the value is read from and written to JSON.
The fields are declared in the order a file lists them (``kw_only`` keeps
the constructors' positional order where the two differ).
:func:`doc_from_json` and :func:`doc_to_json` walk these fields, and
:mod:`studio.project.schema` generates ``resources/ncsproj.schema.json`` from
them, so the structure is stated here and nowhere else.
"""

from __future__ import annotations

from dataclasses import MISSING, Field, dataclass, field, fields
from typing import Any, Callable, Mapping

from engine.equations.model import ModelSpec
from engine.errors import Problem
from studio.project.modelfile import json_path, spec_from_json, spec_to_json
from studio.project.upgrade import FORMAT_VERSION

Value = str | int | float
Position = tuple[float, float]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/$defs/{name}"}


# The named kinds of values the fields refer to (the schema's ``$defs`` besides the records).
DEFINITIONS: dict[str, Any] = {
    "name": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
    "quantity": {"type": ["string", "number"]},
    "count": {"type": ["string", "integer"]},
    "position": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
    "values": {"type": "object", "additionalProperties": _ref("quantity")},
    "neuron_values": {"type": "object", "additionalProperties": {"anyOf": [
        _ref("quantity"), {"type": "array", "items": _ref("quantity"), "minItems": 1}]}},
    "receptor": {"type": ["string", "integer"]},
    "indices": {"type": "array", "items": {"type": "integer", "minimum": 0}},
    "numbers": {"type": "array", "items": {"type": "number"}},
    "stdp": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "tau_plus": _ref("quantity"),
            "tau_minus": _ref("quantity"),
            "a_plus": {"type": "number"},
            "a_minus": {"type": "number"},
            "w_max": _ref("quantity"),
            "bounds": {"enum": ["additive", "multiplicative"]},
        },
    },
    "arithmetic": {
        "type": "object",
        "additionalProperties": False,
        "required": ["mode"],
        "properties": {
            "mode": {"type": "string"},
            "format": {"type": "string"},
            "source": {"type": "string"},
            "length": {"type": "integer"},
            "seed": {"type": "integer"},
        },
    },
}


def _same(value: Any, problems: list[Problem]) -> Any:
    return value


def _written(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class Form:
    """How one field is written in a project file: the JSON Schema of its value, how a schema-valid JSON value
    is read (``load(value, problems)``) and how it is written back (``dump(value)``); ``record`` is the
    dataclass of a nested object or of the items of a list of objects."""

    schema: Mapping[str, Any]
    load: Callable[[Any, list[Problem]], Any] = _same
    dump: Callable[[Any], Any] = _written
    record: type | None = None


def _file(form: Form, default: Any = MISSING, factory: Any = MISSING, required: bool = False,
          kw_only: bool = False) -> Any:
    """A dataclass field written in the file as ``form`` (``required``: the file must have it even though the
    dataclass has a default)."""
    return field(default=default, default_factory=factory, kw_only=kw_only,
                 metadata={"form": form, "required": required})


def _mapping_tuples(mapping: Mapping[str, Any], problems: list[Problem]) -> dict[str, Any]:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in mapping.items()}


def _mapping_json(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in mapping.items()}


NAME = Form(_ref("name"))
TEXT = Form({"type": "string"})
QUANTITY = Form(_ref("quantity"))
COUNT = Form(_ref("count"))
RECEPTOR = Form(_ref("receptor"))
FLAG = Form({"type": "boolean"})
WHOLE = Form({"type": "integer", "minimum": 0})
POSITION = Form(_ref("position"), lambda v, _: (v[0], v[1]), list)
INDICES = Form(_ref("indices"), lambda v, _: tuple(v), list)
VALUES = Form(_ref("values"), lambda v, _: dict(v), dict)
# A population's parameters: a quantity for every neuron, or a list with one per neuron.
NEURON_VALUES = Form(_ref("neuron_values"), _mapping_tuples, _mapping_json)
NUMBERS = Form(_ref("numbers"), lambda v, _: tuple(float(x) for x in v), list)
STDP = Form(_ref("stdp"), lambda v, _: dict(v), dict)
ARITHMETIC = Form(_ref("arithmetic"), lambda v, _: dict(v), dict)
CONSTANTS = Form({"type": "object", "propertyNames": _ref("name"), "additionalProperties": _ref("quantity")},
                 lambda v, _: dict(v), dict)
DEVICE_PARAMS = Form({"type": "object", "additionalProperties": {"anyOf": [
                          {"type": ["string", "number", "boolean"]},
                          {"type": "array", "items": {"type": ["string", "number"]}}]}},
                     _mapping_tuples, _mapping_json)


def is_required(f: Field) -> bool:
    """Whether a file must have field ``f`` (a field of one of the records above)."""
    return f.metadata["required"] or (f.default is MISSING and f.default_factory is MISSING)


def _default(f: Field) -> Any:
    return f.default_factory() if f.default_factory is not MISSING else f.default


def record_from_json(record: type, data: Mapping[str, Any], problems: list[Problem]) -> Any:
    """The ``record`` (a dataclass above) of a schema-valid JSON object; fields left out get their default."""
    return record(**{f.name: f.metadata["form"].load(data[f.name], problems) for f in fields(record)
                     if f.name in data})


def record_json(value: Any) -> dict[str, Any]:
    """The JSON object of a record, in file order; optional fields that hold their default are left out."""
    return {f.name: f.metadata["form"].dump(getattr(value, f.name)) for f in fields(value)
            if is_required(f) or getattr(value, f.name) != _default(f)}


def definition_name(record: type) -> str:
    """The name of a record's schema in ``$defs`` (``PopulationDoc`` -> ``population``)."""
    return record.__name__.removesuffix("Doc").lower()


def _record(record: type) -> Form:
    """A nested object of the dataclass ``record``."""
    return Form(_ref(definition_name(record)), lambda v, problems: record_from_json(record, v, problems),
                record_json, record)


def _records(record: type) -> Form:
    """A list of objects of the dataclass ``record``."""
    return Form({"type": "array", "items": _ref(definition_name(record))},
                lambda v, problems: tuple(record_from_json(record, item, problems) for item in v),
                lambda v: [record_json(item) for item in v], record)


@dataclass(frozen=True)
class LibraryRef:
    """A library model by name, with parameter overrides."""

    library: str = _file(TEXT)
    parameters: Mapping[str, Value] = _file(VALUES, factory=dict)


@dataclass(frozen=True)
class InlineModel:
    """A model written out in the project (the ``*.ncsmodel`` form, :mod:`studio.project.modelfile`)."""

    spec: ModelSpec


def _models_from_json(data: Mapping[str, Any], problems: list[Problem]) -> dict[str, LibraryRef | InlineModel]:
    models: dict[str, LibraryRef | InlineModel] = {}
    for name, entry in data.items():
        if "library" in entry:
            models[name] = record_from_json(LibraryRef, entry, problems)
        else:
            spec = spec_from_json(entry, problems, json_path("models", name))
            if spec is not None:
                models[name] = InlineModel(spec)
    return models


def _model_json(model: LibraryRef | InlineModel) -> dict[str, Any]:
    if isinstance(model, LibraryRef):
        return record_json(model)
    data = spec_to_json(model.spec)
    for key in ("equations", "reset", "run_regularly"):
        if "\n" in data.get(key, ""):
            data[key] = data[key].split("\n")
    return data


# A model is a library reference (``LibraryRef``'s fields) or written out (checked by studio.project.modelfile).
MODELS = Form({"type": "object", "propertyNames": _ref("name"), "additionalProperties": _ref("model")},
              _models_from_json, lambda v: {name: _model_json(m) for name, m in v.items()})


@dataclass(frozen=True)
class RuleDoc:
    """A connection rule as written; options left out are ``None``.

    ``weights`` (explicit rule only) gives one number per connection of ``sources``/``targets``,
    multiplying the projection's ``weight``.
    """

    name: str = _file(TEXT)
    p: Value | None = _file(QUANTITY, None)
    k: Value | None = _file(COUNT, None)
    n: Value | None = _file(COUNT, None)
    sources: tuple[int, ...] | None = _file(INDICES, None)
    targets: tuple[int, ...] | None = _file(INDICES, None)
    weights: tuple[float, ...] | None = _file(NUMBERS, None)
    allow_autapses: bool | None = _file(FLAG, None)
    allow_multapses: bool | None = _file(FLAG, None)


@dataclass(frozen=True)
class PopulationDoc:
    name: str = _file(NAME)
    model: str = _file(TEXT)
    size: int | str = _file(COUNT)
    parameters: Mapping[str, Value | tuple[Value, ...]] = _file(NEURON_VALUES, factory=dict)
    initial: Mapping[str, Value] = _file(VALUES, factory=dict)
    arithmetic: Mapping[str, Any] | None = _file(ARITHMETIC, None, kw_only=True)
    position: Position | None = _file(POSITION, None)


@dataclass(frozen=True)
class ProjectionDoc:
    name: str = _file(NAME)
    source: str = _file(TEXT)
    target: str = _file(TEXT)
    rule: RuleDoc = _file(_record(RuleDoc))
    synapse: str | None = _file(TEXT, None, kw_only=True)
    weight: Value = _file(QUANTITY)
    delay: Value | None = _file(QUANTITY, None)
    receptor: str | int | None = _file(RECEPTOR, None)
    on_pre: str | None = _file(TEXT, None)
    stdp: Mapping[str, Value] | None = _file(STDP, None)
    arithmetic: Mapping[str, Any] | None = _file(ARITHMETIC, None)


@dataclass(frozen=True)
class DeviceDoc:
    name: str = _file(NAME)
    kind: str = _file(TEXT)
    target: str = _file(TEXT)
    params: Mapping[str, Any] = _file(DEVICE_PARAMS, factory=dict)
    neurons: tuple[int, ...] | None = _file(INDICES, None)
    weight: Value | None = _file(QUANTITY, None)
    delay: Value | None = _file(QUANTITY, None)
    receptor: str | int | None = _file(RECEPTOR, None)
    position: Position | None = _file(POSITION, None)


@dataclass(frozen=True)
class ProjectDoc:
    """A whole project file."""

    format_version: int = _file(WHOLE, FORMAT_VERSION, required=True, kw_only=True)
    description: str | None = _file(TEXT, None, kw_only=True)
    dt: Value | None = _file(QUANTITY, None, kw_only=True)
    seed: int | None = _file(WHOLE, None, kw_only=True)
    constants: Mapping[str, Value] = _file(CONSTANTS, factory=dict, kw_only=True)
    models: Mapping[str, LibraryRef | InlineModel] = _file(MODELS, factory=dict, kw_only=True)
    populations: tuple[PopulationDoc, ...] = _file(_records(PopulationDoc))
    projections: tuple[ProjectionDoc, ...] = _file(_records(ProjectionDoc), ())
    devices: tuple[DeviceDoc, ...] = _file(_records(DeviceDoc), ())


def doc_from_json(data: dict, problems: list[Problem]) -> ProjectDoc:
    """The description of schema-valid project JSON; inline models add their structural problems."""
    return record_from_json(ProjectDoc, data, problems)


def doc_to_json(doc: ProjectDoc) -> dict[str, Any]:
    """The JSON object of a description (fields in file order; left-out fields stay out)."""
    return record_json(doc)
