"""The JSON Schema of project files (``resources/ncsproj.schema.json``) and readable messages for its errors.

Every schema violation becomes a :class:`~engine.errors.Problem` located by
JSON path (``populations[1].size``) with a message a person can act on
(``expected a whole number or a string, got a list``).
"""

from __future__ import annotations

import difflib
import json
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema

from engine.errors import Problem
from studio.project.modelfile import json_kind, json_path

SCHEMA_PATH = Path(str(files("resources") / "ncsproj.schema.json"))

_TYPE_NAMES = {"integer": "a whole number", "number": "a number", "string": "a string", "boolean": "true or false",
               "array": "a list", "object": "an object", "null": "null"}


@lru_cache(maxsize=1)
def schema() -> dict:
    """The project file schema (read once)."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _validator() -> jsonschema.protocols.Validator:
    cls = jsonschema.validators.validator_for(schema())
    cls.check_schema(schema())
    return cls(schema())


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
