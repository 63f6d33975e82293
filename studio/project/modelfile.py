"""Neuron model files (``*.ncsmodel``): UTF-8 JSON holding one :class:`~engine.equations.model.ModelSpec`.

A file looks like::

    {"equations": "dv/dt = (E_L - v)/tau_m : volt (unless refractory)\\nE_L : volt\\n...",
     "threshold": "v > v_th", "reset": "v = v_reset", "refractory": "5 ms", "method": "exact",
     "parameters": {"tau_m": "20 ms", "E_L": "-70 mV"},
     "initial": {"v": "E_L"}, "receptors": {"ex": "v += w"}, "current_input": "I_stim",
     "unit_system": "nest", "substeps": 1}

Only ``equations`` is required.  ``namespace`` holds Brian2's external constants (names the equations
use without declaring them, folded where they are used).  ``equations`` and ``reset`` may also be lists
of lines (line numbers in problems then count the list's items).  A receptor is its ``on_pre`` text or ``{"on_pre": ..., "weight_unit": ...}``.

Reading happens in two stages: the JSON structure (:func:`spec_from_json`,
problems located by JSON path such as ``parameters.tau_m``), then the model
itself (:func:`~engine.equations.model.check_model`, problems located by field,
line and column).  Every problem is a :class:`~engine.errors.Problem`.
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path
from typing import Any

from engine.errors import ModelError, Problem
from engine.equations.model import CheckedModel, ModelSpec, Receptor, check_model
from studio.project.fileio import atomic_write_text

SUFFIX = ".ncsmodel"

_TEXT_FIELDS = ("equations", "threshold", "reset", "run_regularly", "refractory", "method", "unit_system",
                "current_input")
_FIELDS = ("equations", "threshold", "reset", "run_regularly", "refractory", "method", "parameters", "namespace",
           "initial", "receptors", "current_input", "unit_system", "substeps", "substep_reset")
_LINE_LISTS = ("equations", "reset", "run_regularly")


class ModelFileError(ModelError):
    """A model file cannot be used; every problem is reported with the file name in front."""

    def __init__(self, path: str | os.PathLike, problems: list[Problem]):
        self.path = str(path)
        super().__init__(problems)

    def __str__(self) -> str:
        return "\n".join(format_problem(self.path, p) for p in self.problems)


def problem_location(filename: str, problem: Problem) -> str:
    """``FILE: FIELD: line L, col C`` (parts that are unknown are left out)."""
    parts = [filename]
    if problem.field:
        parts.append(problem.field)
    if problem.line:
        parts.append(f"line {problem.line}, col {problem.col}")
    return ": ".join(parts)


def format_problem(filename: str, problem: Problem) -> str:
    """``LOCATION: message`` (see :func:`problem_location`)."""
    return f"{problem_location(filename, problem)}: {problem.message}"


def json_path(prefix: str, key: str | int) -> str:
    """The JSON path of ``key`` inside ``prefix``: ``parameters.tau_m``, ``a["odd key"]``, ``b[2]``."""
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    if key.isidentifier():
        return f"{prefix}.{key}" if prefix else key
    return f"{prefix}[{json.dumps(key)}]"


class _Object(dict):
    """A decoded JSON object that remembers the keys it saw more than once."""

    duplicates: tuple[str, ...] = ()


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        obj.duplicates = tuple(k for k, _ in pairs if k in seen or seen.add(k))
    return obj


def parse_json(text: str, problems: list[Problem]) -> Any:
    """Decode JSON; a syntax error becomes a problem at its line and column (``None`` returned)."""
    try:
        return json.loads(text, object_pairs_hook=_object)
    except json.JSONDecodeError as exc:
        problems.append(Problem("", exc.lineno, exc.colno, f"invalid JSON: {exc.msg}"))
        return None


def json_kind(value: Any) -> str:
    """How a message names the type of a JSON value: ``"a number"``, ``"a list"``, ``"null"``..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _expect(value: Any, types: tuple[type, ...], want: str, path: str, problems: list[Problem]) -> bool:
    ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in types)
    if not ok:
        problems.append(Problem(path, 0, 0, f"expected {want}, got {json_kind(value)}"))
    return ok


def _check_keys(obj: dict, path: str, allowed: tuple[str, ...] | None, problems: list[Problem]) -> None:
    for key in getattr(obj, "duplicates", ()):
        problems.append(Problem(json_path(path, key), 0, 0, f"`{key}` is given more than once"))
    if allowed is None:
        return
    for key in obj:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
            hint = f" — did you mean `{close[0]}`?" if close else f" (known: {', '.join(allowed)})"
            problems.append(Problem(json_path(path, key), 0, 0, f"unknown field `{key}`{hint}"))


def _text(value: Any, path: str, lines_ok: bool, problems: list[Problem]) -> str | None:
    if lines_ok and isinstance(value, list):
        ok = [_expect(v, (str,), "a string", json_path(path, i), problems) for i, v in enumerate(value)]
        return "\n".join(value) if all(ok) else None
    want = "a string or a list of lines" if lines_ok else "a string"
    return value if _expect(value, (str,), want, path, problems) else None


def _values(value: Any, path: str, types: tuple[type, ...], want: str, problems: list[Problem]) -> dict:
    if not _expect(value, (dict,), "an object {name: value}", path, problems):
        return {}
    _check_keys(value, path, None, problems)
    return {k: v for k, v in value.items() if _expect(v, types, want, json_path(path, k), problems)}


def _receptors(value: Any, path: str, problems: list[Problem]) -> dict[str, Receptor]:
    out = {}
    for name, rec in _values(value, path, (str, dict), "an on_pre string or an object", problems).items():
        where = json_path(path, name)
        if isinstance(rec, str):
            out[name] = Receptor(rec)
            continue
        _check_keys(rec, where, ("on_pre", "weight_unit"), problems)
        if "on_pre" not in rec:
            problems.append(Problem(where, 0, 0, "a receptor needs `on_pre` (e.g. `g_ex += w`)"))
            continue
        on_pre = _text(rec["on_pre"], json_path(where, "on_pre"), False, problems)
        unit = rec.get("weight_unit")
        if unit is not None and not _expect(unit, (str,), "a unit string", json_path(where, "weight_unit"),
                                            problems):
            continue
        if on_pre is not None:
            out[name] = Receptor(on_pre, unit)
    return out


def spec_from_json(data: Any, problems: list[Problem], path: str = "") -> ModelSpec | None:
    """Build a :class:`ModelSpec` from decoded JSON, appending a problem per structural mistake.

    Parameters
    ----------
    data
        The decoded JSON value (an object).
    problems
        Receives one :class:`Problem` per mistake, located by JSON path.
    path
        The JSON path of ``data`` inside a larger document (a project embedding a model).

    Returns
    -------
    ModelSpec or None
        The model built from every field that is well formed (so its own check can
        report further problems), or ``None`` when there is no usable ``equations``.
    """
    if not isinstance(data, dict):
        problems.append(Problem(path, 0, 0, f"a model must be a JSON object {{\"equations\": ...}}, not {json_kind(data)}"))
        return None
    _check_keys(data, path, _FIELDS, problems)
    fields: dict[str, Any] = {}
    for key in _TEXT_FIELDS:
        if key in data and not (key == "current_input" and data[key] is None):
            text = _text(data[key], json_path(path, key), key in _LINE_LISTS, problems)
            if text is not None:
                fields[key] = text
    if "parameters" in data:
        fields["parameters"] = _values(data["parameters"], json_path(path, "parameters"), (str, int, float, bool),
                                       "a quantity string (e.g. `20 ms`) or a number", problems)
    if "namespace" in data:
        fields["namespace"] = _values(data["namespace"], json_path(path, "namespace"), (str, int, float),
                                      "a quantity string (e.g. `20 ms`), an expression or a number", problems)
    if "initial" in data:
        fields["initial"] = _values(data["initial"], json_path(path, "initial"), (str, int, float),
                                    "a quantity or expression string (e.g. `-70 mV`, `E_L`)", problems)
    if "receptors" in data:
        fields["receptors"] = _receptors(data["receptors"], json_path(path, "receptors"), problems)
    if "substeps" in data and _expect(data["substeps"], (int,), "a whole number", json_path(path, "substeps"),
                                      problems):
        fields["substeps"] = data["substeps"]
    if "substep_reset" in data and _expect(data["substep_reset"], (bool,), "true or false",
                                           json_path(path, "substep_reset"), problems):
        fields["substep_reset"] = data["substep_reset"]
    if "equations" not in data:
        problems.append(Problem(json_path(path, "equations"), 0, 0, "missing: a model needs `equations`"))
    if "equations" not in fields:
        return None
    return ModelSpec(**fields)


def spec_to_json(spec: ModelSpec) -> dict[str, Any]:
    """The JSON object of a model (optional fields only when they differ from their default)."""
    data: dict[str, Any] = {
        "equations": spec.equations,
        "threshold": spec.threshold,
        "reset": spec.reset,
        "refractory": spec.refractory,
        "method": spec.method,
        "parameters": dict(spec.parameters),
    }
    if spec.run_regularly:
        data["run_regularly"] = spec.run_regularly
    if spec.namespace:
        data["namespace"] = dict(spec.namespace)
    if spec.initial:
        data["initial"] = dict(spec.initial)
    if spec.receptors:
        receptors: dict[str, Any] = {}
        for name, rec in spec.receptors.items():
            rec = Receptor(rec) if isinstance(rec, str) else rec
            receptors[name] = ({"on_pre": rec.on_pre, "weight_unit": rec.weight_unit}
                               if rec.weight_unit else rec.on_pre)
        data["receptors"] = receptors
    if spec.current_input:
        data["current_input"] = spec.current_input
    if spec.unit_system != "nest":
        data["unit_system"] = spec.unit_system
    if spec.substeps != 1:
        data["substeps"] = spec.substeps
    if spec.substep_reset:
        data["substep_reset"] = True
    return data


def _read(path: Path, problems: list[Problem]) -> ModelSpec | None:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append(Problem("", 0, 0, f"not UTF-8 text (byte {exc.start}): {exc.reason}"))
        return None
    data = parse_json(text, problems)
    return None if problems else spec_from_json(data, problems)


def read_model_file(path: str | os.PathLike) -> ModelSpec:
    """Read a model file's structure (the model itself is not checked).

    Raises
    ------
    ModelFileError
        Invalid JSON (with line and column) or a field of the wrong type (with its JSON path).
    OSError
        The file cannot be read.
    """
    problems: list[Problem] = []
    spec = _read(Path(path), problems)
    if problems or spec is None:
        raise ModelFileError(path, problems)
    return spec


def check_model_file(path: str | os.PathLike) -> tuple[CheckedModel | None, list[Problem]]:
    """Every problem of a model file: JSON, structure, then equations, units and names.

    Returns the checked model (``None`` when there is a problem) and the problems.

    Raises
    ------
    OSError
        The file cannot be read.
    """
    problems: list[Problem] = []
    spec = _read(Path(path), problems)
    if spec is None:
        return None, problems
    try:
        checked = check_model(spec)
    except ModelError as exc:
        return None, problems + exc.problems
    return (checked if not problems else None), problems


def load_model_file(path: str | os.PathLike) -> ModelSpec:
    """Read and check a model file; a :class:`ModelFileError` lists every problem.

    Raises
    ------
    ModelFileError
        Any problem :func:`check_model_file` finds.
    OSError
        The file cannot be read.
    """
    checked, problems = check_model_file(path)
    if checked is None:
        raise ModelFileError(path, problems)
    return checked.spec


def write_model_file(path: str | os.PathLike, spec: ModelSpec) -> None:
    """Save ``spec`` as a model file, atomically (the old file stays intact on failure)."""
    atomic_write_text(path, json.dumps(spec_to_json(spec), indent=2, ensure_ascii=False) + "\n")
