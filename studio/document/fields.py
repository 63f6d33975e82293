"""Fields of nodes and edges by path (``"size"``, ``"parameters.tau_m"``, ``"rule.p"``), typed values, and the
checks of what a person typed before a command is made: a field's value (:func:`field_value_problem`), a name
(:func:`name_problem`), a project setting (:func:`setting_value_problem`).

A value is what a person typed (``"20 pA"``, ``"3200"``, ``"0, 1, 2"``); :func:`typed_value` turns it
into what the project file holds (``"20 pA"``, ``3200``, ``(0, 1, 2)``).  An empty text or ``None``
removes an optional field or a mapping entry (a parameter goes back to the model's default).
"""

from __future__ import annotations

import re
from dataclasses import fields as dataclass_fields
from dataclasses import replace
from typing import Any, Mapping

from engine.errors import Problem
from engine.models import LIBRARY
from engine.network.devices import DEVICES, RECORDERS, device_parameters
from engine.network.footprint import memory_problem
from studio.document.checks import (ReadableDocument, connect_problem, device_problem, locate,
                                    population_value_problem, projection_problem)
from studio.project.project_doc import (DeviceDoc, PopulationDoc, ProjectDoc, ProjectionDoc, RuleDoc, doc_to_json,
                                        is_required)
from studio.project.network_def import network_def
from studio.project.schema import schema_problems

RECORDS = {"population": PopulationDoc, "device": DeviceDoc, "projection": ProjectionDoc}
_SET_ELSEWHERE = {"population": ("name", "position"), "device": ("name", "position"),
                  "projection": ("name", "source", "target")}  # by Rename, MoveNode and Connect
RULE_FIELDS = tuple(f.name for f in dataclass_fields(RuleDoc))
SIZE_FIELDS = ("size", "neurons", *(f"rule.{f}" for f in RULE_FIELDS))
_INDEX_LISTS = ("neurons", "rule.sources", "rule.targets")
_LISTS = {f"params.{key}": param for kind in DEVICES for key, param in device_parameters(kind).items() if param.many}
_NAME_LISTS = tuple(field for field, param in _LISTS.items() if param.dim is None)
_QUANTITY_LISTS = tuple(field for field, param in _LISTS.items() if param.dim is not None)
_BOOLEANS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
_INT = re.compile(r"^[+-]?\d+$")
_HEX = re.compile(r"^0[xX][0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def _editable(kind: str) -> list:
    return [f for f in dataclass_fields(RECORDS[kind]) if f.name not in _SET_ELSEWHERE[kind]]


def _is_mapping(f) -> bool:
    return str(f.type).startswith("Mapping")


# Which fields of each record the inspector edits, read from the records (studio.project.project_doc):
# whole values, and mappings edited key by key (``parameters.tau_m``); an optional mapping is both.
MAPPINGS = {kind: tuple(f.name for f in _editable(kind) if _is_mapping(f)) for kind in RECORDS}
PLAIN = {kind: tuple(f.name for f in _editable(kind) if not _is_mapping(f) or f.default is None) for kind in RECORDS}
OPTIONAL_MAPPINGS = ("stdp", "arithmetic")  # left out of the file when empty

# The arithmetic of a projection or population (``"arithmetic"``, docs/stochastic-computing.md): the keys each
# mode takes, and the value a key gets when a mode that needs it is chosen (``seed`` stays out: the engine
# derives a decorrelated one from the element's index).
ARITHMETIC_KEYS = {"float": (), "fixed": ("format",), "sc": ("source", "length", "seed")}
ARITHMETIC_DEFAULTS = {"format": "Q8.8", "source": "lfsr16", "length": 256}


def _required(kind: str, field: str) -> bool:
    """Whether the file must hold ``field`` of a ``kind`` (so it cannot be emptied)."""
    head, _, key = field.partition(".")
    record, name = (RuleDoc, key) if head == "rule" and key else (RECORDS[kind], field)
    found = next((f for f in dataclass_fields(record) if f.name == name), None)
    return found is not None and is_required(found)


Data = PopulationDoc | DeviceDoc | ProjectionDoc


def element(doc: ReadableDocument, name: str) -> tuple[str, Data] | None:
    """(kind, data) of node or projection ``name`` (nodes first), or ``None``."""
    node = doc.nodes.get(name)
    if node is not None:
        return node.kind, node.data
    edge = doc.edges.get(name)
    if edge is not None and edge.data is not None:
        return "projection", edge.data
    return None


def field_names(kind: str) -> tuple[str, ...]:
    """The editable fields of a kind of element (``"parameters.*"`` stands for every key)."""
    rule = tuple(f"rule.{f}" for f in RULE_FIELDS) if kind == "projection" else ()
    return PLAIN[kind] + rule + tuple(f"{m}.*" for m in MAPPINGS[kind])


def _known(kind: str, field: str) -> bool:
    head, _, key = field.partition(".")
    if key:
        return head in MAPPINGS[kind] or (kind == "projection" and head == "rule" and key in RULE_FIELDS)
    return field in PLAIN[kind]


def get_field(data: Data, field: str) -> Any:
    """The value of ``field`` in ``data`` (``None`` when left out)."""
    head, _, key = field.partition(".")
    value = getattr(data, head)
    if not key:
        return value
    return getattr(value, key) if isinstance(value, RuleDoc) else (value or {}).get(key)


def with_field(data: Data, field: str, value: Any) -> Data:
    """``data`` with ``field`` set to ``value`` (``None`` removes an optional field or a mapping entry)."""
    head, _, key = field.partition(".")
    if not key:
        return replace(data, **{head: value})
    current = getattr(data, head)
    if isinstance(current, RuleDoc):
        return replace(data, rule=replace(current, **{key: value}))
    mapping = dict(current or {})
    if value is None:
        mapping.pop(key, None)
    else:
        mapping[key] = value
    return replace(data, **{head: mapping or (None if head in OPTIONAL_MAPPINGS else {})})


def arithmetic_for(current: Mapping[str, Any] | None, mode: str) -> dict[str, Any] | None:
    """The ``"arithmetic"`` an element gets when its mode is set to ``mode`` (``""``: none, the run's): the keys
    ``mode`` takes kept from ``current`` or given their defaults, the others dropped."""
    if not mode:
        return None
    current = dict(current or {})
    keys = ARITHMETIC_KEYS.get(mode, ())
    kept = {k: current.get(k, ARITHMETIC_DEFAULTS.get(k)) for k in keys}
    return {"mode": mode, **{k: v for k, v in kept.items() if v is not None}}


def _items(text: str) -> list[str]:
    """The comma-separated items of ``text`` (brackets around the whole allowed), not splitting inside a
    function call such as ``max(a, b)``."""
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    items, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            items.append(text[start:i].strip())
            start = i + 1
    return [t for t in [*items, text[start:].strip()] if t]


def typed_value(field: str, value: Any) -> Any:
    """What the project file holds for ``value`` typed into ``field`` (``""`` -> ``None``)."""
    if isinstance(value, list):
        return tuple(value)
    if not isinstance(value, str):
        return value
    text = value.strip()
    last = field.rsplit(".", 1)[-1]
    if field == "target":
        return text  # "" is an unconnected device
    if text == "":
        return None
    if field in _QUANTITY_LISTS:
        return tuple(typed_value("value", t) for t in re.split(r"\s*[,;]\s*", text.strip("[]()")) if t)
    if field.startswith("parameters.") and len(_items(text)) > 1:  # one value per neuron
        return tuple(typed_value("value", t) for t in _items(text))
    if field in _INDEX_LISTS or field in _NAME_LISTS:
        items = [t for t in re.split(r"[\s,;]+", text.strip("[]()")) if t]
        if field in _NAME_LISTS:
            return tuple(t.strip("'\"") for t in items)
        return tuple(int(t) for t in items) if all(_INT.match(t) for t in items) else text
    if last in ("allow_autapses", "allow_multapses") or field.startswith(("parameters.", "params.")):
        if text.lower() in ("true", "false"):
            return _BOOLEANS[text.lower()]
        if last.startswith("allow_"):
            return _BOOLEANS.get(text.lower(), text)
    if field in ("model", "kind", "synapse", "on_pre", "rule.name", "arithmetic.mode", "arithmetic.source",
                 "arithmetic.format"):
        return text
    if field == "arithmetic.seed" and _HEX.match(text):
        return int(text, 16)
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    return text


_SECTIONS = {"population": "populations", "device": "devices", "projection": "projections"}


def _with_change(doc: ReadableDocument, kind: str, new: Data, name: str | None = None) -> ProjectDoc:
    """The project with element ``name`` (default: ``new``'s name) of ``kind`` replaced by ``new``."""
    project = doc.to_project()
    section = _SECTIONS[kind]
    items = tuple(new if e.name == (name or new.name) else e for e in getattr(project, section))
    return replace(project, **{section: items})


def _project_problem(doc: ReadableDocument, kind: str, new: Data, field: str) -> str | None:
    """The first problem :func:`network_def` finds at ``field`` of ``new`` in the changed project, or, for a
    field that sizes the network, that it needs more memory than the machine has."""
    project = _with_change(doc, kind, new)
    found: list[Problem] = []
    net = network_def(project, found)
    for p in found:
        located = locate(project, p)
        inside = located.field == field or located.field.startswith((f"{field}.", f"{field}["))
        if located.element == new.name and (inside or field.startswith(f"{located.field}.")):
            return located.message
    return memory_problem(net) if net is not None and field in SIZE_FIELDS else None


def field_value_problem(doc: ReadableDocument, name: str, field: str, value: Any) -> str | None:
    """Why ``value`` (as typed) cannot go into ``field`` of node or projection ``name``, or ``None``.

    Values are checked against the model: units of parameters, initial values and weights
    (``"20 pA"`` and ``"0.02 nA"`` fit a current, ``"20 mV"`` does not), sizes (and that the network
    they make fits in the machine's memory), rule options, receptors, device targets.
    """
    found = element(doc, name)
    if found is None:
        return f"no node or projection `{name}`"
    kind, data = found
    if field in ("name", "source", "target") and not (kind == "device" and field == "target"):
        return f"`{field}` cannot be set here (use Rename or Connect)"
    if not _known(kind, field):
        return f"`{field}` is not a field of a {kind} (fields: {', '.join(field_names(kind))})"
    value = typed_value(field, value)
    if value is None and _required(kind, field):
        return f"`{field}` needs a value"
    new = with_field(data, field, value)
    head, _, key = field.partition(".")
    reason = None
    if kind == "population" and head in ("parameters", "initial"):
        reason = population_value_problem(doc, new, head, key, value)
    elif kind == "population" and field == "model" and value not in doc.settings["models"] and value not in LIBRARY:
        reason = f"unknown model `{value}`"
    elif kind == "device" and field == "kind" and value not in DEVICES:
        reason = f"unknown device kind `{value}`"
    elif kind == "device" and field == "target" and value:
        reason = _target_problem(doc, new) or _fit_problem(doc, new)
    elif kind == "device" and field in ("weight", "receptor", "neurons"):
        reason = _fit_problem(doc, new)
    elif kind == "projection" and field in ("weight", "synapse", "receptor", "on_pre", "stdp"):
        reason = projection_problem(doc, new)
    return reason or _project_problem(doc, kind, new, field)


def _fit_problem(doc: ReadableDocument, device: DeviceDoc) -> str | None:
    found = device_problem(doc, device)
    return None if found is None else found[1]


def _target_problem(doc: ReadableDocument, device: DeviceDoc) -> str | None:
    if device.kind == "weight_recorder":
        edge = doc.edges.get(device.target)
        return None if edge is not None and edge.kind == "projection" else f"no projection `{device.target}`"
    if device.kind in RECORDERS:
        return connect_problem(doc, device.target, device.name)
    return connect_problem(doc, device.name, device.target)


def _file_problem(project: ProjectDoc, path: str) -> str | None:
    """The first place at ``path`` (or inside it) where ``project`` breaks the file's schema."""
    for p in schema_problems(doc_to_json(project)):
        if p.field == path or p.field.startswith(f"{path}."):
            return p.message
    return None


def name_problem(doc: ReadableDocument, old: str, new: str) -> str | None:
    """Why node or projection ``old`` cannot be renamed ``new`` (``None``: it can): empty, used already, or not
    a name the project file takes."""
    new = new.strip()
    if not new:
        return "a name cannot be empty"
    if new == old:
        return None
    if new in doc.nodes or new in doc.edges:
        return f"the name `{new}` is already used"
    found = element(doc, old)
    if found is None:
        return f"no node or projection `{old}`"
    kind, data = found
    project = _with_change(doc, kind, with_field(data, "name", new), old)
    index = next(i for i, e in enumerate(getattr(project, _SECTIONS[kind])) if e.name == new)
    return _file_problem(project, f"{_SECTIONS[kind]}[{index}].name")


def typed_setting(key: str, value: Any) -> Any:
    """What the project file holds for ``value`` typed for setting ``key`` (``""`` -> ``None``)."""
    if key == "description":
        return value if value and value.strip() else None
    if key == "constants":
        return {k: typed_value(k, v) for k, v in value.items()}
    return typed_value(key, value)


def setting_value_problem(doc: ReadableDocument, key: str, value: Any) -> str | None:
    """Why ``value`` (as typed) cannot be project setting ``key`` (``dt``, ``seed``, ``description``,
    ``constants``: a mapping of names to values as typed), or ``None``; a constant's problem names it."""
    project = replace(doc.to_project(), **{key: typed_setting(key, value)})
    problem = _file_problem(project, key)
    if problem is not None:
        return problem
    found: list[Problem] = []
    network_def(project, found)
    for p in found:
        if p.field == key or p.field.startswith(f"{key}."):
            return f"{p.field.split('.', 1)[1]}: {p.message}" if key == "constants" else p.message
    return None
