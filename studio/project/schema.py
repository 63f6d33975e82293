"""The JSON Schema of project files, generated from the project description, and readable messages for its
errors.

:func:`project_schema` builds the schema from the fields of
:class:`~studio.project.project_doc.ProjectDoc` and the records inside it
(their :class:`~studio.project.project_doc.Form` s); the shipped
``resources/ncsproj.schema.json`` is that schema written out by
:func:`write_schema` (``python -m studio.project.schema``), and a test keeps the two
equal.  Every schema violation becomes a :class:`~engine.errors.Problem` located by
JSON path (``populations[1].size``) with a message a person can act on
(``expected a whole number or a string, got a list``).
"""

from __future__ import annotations

import difflib
import sys
from dataclasses import fields
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema

from engine.errors import Problem
from studio.project.fileio import atomic_write_text, json_text
from studio.project.modelfile import json_kind, json_path
from studio.project.project_doc import DEFINITIONS, LibraryRef, ProjectDoc, definition_name, is_required
from studio.project.upgrade import FORMAT_VERSION

SCHEMA_PATH = Path(str(files("resources") / "ncsproj.schema.json"))

_TYPE_NAMES = {"integer": "a whole number", "number": "a number", "string": "a string", "boolean": "true or false",
               "array": "a list", "object": "an object", "null": "null"}


def record_schema(record: type) -> dict[str, Any]:
    """The schema of the JSON object of ``record`` (a dataclass of :mod:`studio.project.project_doc`)."""
    out: dict[str, Any] = {"type": "object"}
    need = [f.name for f in fields(record) if is_required(f)]
    if need:
        out["required"] = need
    out["additionalProperties"] = False
    out["properties"] = {f.name: dict(f.metadata["form"].schema) for f in fields(record)}
    return out


def _record_definitions(record: type, found: dict[str, Any]) -> dict[str, Any]:
    for f in fields(record):
        inner = f.metadata["form"].record
        if inner is not None and definition_name(inner) not in found:
            found[definition_name(inner)] = record_schema(inner)
            _record_definitions(inner, found)
    return found


def project_schema() -> dict[str, Any]:
    """The JSON Schema of project files (format :data:`~studio.project.upgrade.FORMAT_VERSION`)."""
    # A model names a library model (LibraryRef's fields) or is written out; studio.project.modelfile checks those.
    model = {"type": "object", "if": {"required": ["library"]}, "then": record_schema(LibraryRef),
             "else": {"required": ["equations"]}}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://neurocore.studio/schemas/ncsproj-{FORMAT_VERSION}.json",
        "title": f"NeuroCore Studio project (*.ncsproj), format {FORMAT_VERSION}",
        "description": "A spiking network: constants, neuron models, populations, projections and devices. Every "
                       "quantity is a string with its unit (\"0.1 ms\", \"20 pA\") or an expression over constants "
                       "(\"-g*J\").",
        **record_schema(ProjectDoc),
        "$defs": {**DEFINITIONS, "model": model, **_record_definitions(ProjectDoc, {})},
    }


def write_schema(path: str | Path = SCHEMA_PATH) -> None:
    """Write :func:`project_schema` to ``path`` (by default the shipped ``resources/ncsproj.schema.json``)."""
    atomic_write_text(path, json_text(project_schema()))


@lru_cache(maxsize=1)
def schema() -> dict:
    """The project file schema (built once)."""
    return project_schema()


# Array items whose every value can be accepted at a glance (a connection list of 10^5 indices and weights
# would take jsonschema seconds): only an array where one fails is checked item by item, for its message.
_AT_A_GLANCE = (({"type": "number"}, lambda v: type(v) in (int, float)),
                ({"type": "integer", "minimum": 0}, lambda v: type(v) is int and v >= 0))


@lru_cache(maxsize=1)
def _validator() -> jsonschema.protocols.Validator:
    cls = jsonschema.validators.validator_for(schema())
    cls.check_schema(schema())
    items = cls.VALIDATORS["items"]

    def glance_items(validator, value, instance, where):
        accept = next((ok for known, ok in _AT_A_GLANCE if value == known), None)
        if accept is not None and isinstance(instance, list) and all(map(accept, instance)):
            return
        yield from items(validator, value, instance, where)

    return jsonschema.validators.extend(cls, {"items": glance_items})(schema())


def schema_problems(data: Any) -> list[Problem]:
    """Every place where ``data`` breaks the schema, in document order."""
    problems: list[Problem] = []
    errors = sorted(_validator().iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    for error in errors:
        path = ""
        for key in error.absolute_path:
            path = json_path(path, key)
        problems.extend(_describe(error, path))
    return problems


def _describe(error: jsonschema.ValidationError, path: str) -> list[Problem]:
    kind, value, instance = error.validator, error.validator_value, error.instance
    if kind == "type":
        types = [value] if isinstance(value, str) else list(value)
        want = " or ".join(_TYPE_NAMES[t] for t in types)
        return [Problem(path, 0, 0, f"expected {want}, got {json_kind(instance)}")]
    if kind == "required":
        return [Problem(json_path(path, key), 0, 0, "missing (required)") for key in value if key not in instance]
    if kind == "additionalProperties" and value is False:
        known = list(error.schema.get("properties", {}))
        out = []
        for key in instance:
            if key not in known:
                close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
                hint = f" — did you mean `{close[0]}`?" if close else f" (known: {', '.join(known)})"
                out.append(Problem(json_path(path, key), 0, 0, f"unknown field `{key}`{hint}"))
        return out
    if kind == "pattern":
        return [Problem(path, 0, 0, f"`{instance}` is not a valid name (letters, digits and `_`, "
                                    "not starting with a digit)")]
    if kind == "enum":
        return [Problem(path, 0, 0, f"`{instance}` is not one of {', '.join(map(str, value))}")]
    if kind == "minimum":
        return [Problem(path, 0, 0, f"must be at least {value}, not {instance}")]
    if kind in ("minItems", "maxItems"):
        return [Problem(path, 0, 0, "expected [x, y]")]
    if kind == "anyOf":
        return [Problem(path, 0, 0, "expected a quantity, number, true/false or a list of them, "
                                    f"got {json_kind(instance)}")]
    return [Problem(path, 0, 0, error.message)]


if __name__ == "__main__":
    write_schema(*sys.argv[1:])
