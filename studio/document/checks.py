"""Checks of an open document for the editor: connections, units of values, and the problems panel.

Everything here reads a document (a :class:`ReadableDocument`, which
:class:`~studio.document.document.Document` is) and returns a reason a person reads
(or ``None``); nothing changes the document.  Models
are resolved as :mod:`studio.project.network_def` resolves them (project models
with constants substituted, else the library) and checked once per distinct
text (a small cache), so checking on every keystroke stays cheap.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, replace
from typing import Any, Mapping, Protocol

from engine.errors import ModelError, Problem
from engine.equations.check import BOOL, ExpressionChecker
from engine.equations.constant_values import Expression, draws
from engine.equations.model import CheckedModel, ModelSpec, Receptor, check_model
from engine.equations.parser import one_line, parse_expression
from engine.equations.units import DIMENSIONLESS, Dimension, Quantity, format_dimension
from engine.models import LIBRARY, LibraryModel
from engine.models.base import ReceptorError, route_input
from engine.network.devices import SPIKE_GENERATORS, neurons_problem
from studio.project.project_doc import DeviceDoc, InlineModel, LibraryRef, PopulationDoc, ProjectDoc, ProjectionDoc
from studio.project.constants import Constants
from studio.document.elements import Edge, Node
from studio.project.network_def import network_def

_CACHE_SIZE = 256
_checked: dict[str, CheckedModel | ModelError] = {}
_ELEMENT_PATH = re.compile(r"^(populations|projections|devices)\[(\d+)\]\.?(.*)$")


class ReadableDocument(Protocol):
    """What the checks read of a document: its nodes, edges and settings, and the project it makes."""

    @property
    def nodes(self) -> Mapping[str, Node]: ...

    @property
    def edges(self) -> Mapping[str, Edge]: ...

    @property
    def settings(self) -> Mapping[str, Any]: ...

    def to_project(self) -> ProjectDoc: ...


@dataclass(frozen=True)
class DocumentProblem:
    """One problem for the problems panel: the node or edge (``element``, ``""`` for the document), the
    ``field`` (``"weight"``, ``"parameters.tau_m"``), the message, and the project JSON path with line/col."""

    element: str
    field: str
    message: str
    path: str = ""
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        where = ".".join(p for p in (self.element, self.field) if p)
        return f"{where}: {self.message}" if where else self.message


def constants(doc: ReadableDocument) -> Constants:
    """The document's constants, evaluated (a broken one is left out; :func:`document_problems` reports it)."""
    return Constants(doc.settings["constants"], [])


def _resolved(values, consts: Constants) -> dict[str, Any]:
    out = {}
    for key, raw in values.items():
        value = raw if isinstance(raw, bool) else consts.value(raw, key, [])
        out[key] = raw if value is None else value
    return out


def resolved_model(doc: ReadableDocument, name: str) -> tuple[ModelSpec, LibraryModel | None] | None:
    """The spec (constants substituted) and library entry of model ``name``, or ``None`` if unknown."""
    entry = doc.settings["models"].get(name)
    if entry is None:
        lib = LIBRARY.get(name)
        return None if lib is None else (lib.spec, lib)
    consts = constants(doc)
    if isinstance(entry, LibraryRef):
        lib = LIBRARY.get(entry.library)
        if lib is None:
            return None
        lib = lib.with_parameters(**_resolved(entry.parameters, consts))
        return lib.spec, lib
    assert isinstance(entry, InlineModel)
    return replace(entry.spec, parameters=_resolved(entry.spec.parameters, consts)), None


def checked_spec(spec: ModelSpec) -> CheckedModel | ModelError:
    """``check_model(spec)``, or the error it raised (cached by the spec's text)."""
    key = repr(spec)
    if key not in _checked:
        if len(_checked) >= _CACHE_SIZE:
            _checked.clear()
        try:
            _checked[key] = check_model(spec)
        except ModelError as exc:
            _checked[key] = exc
    return _checked[key]


def checked_model(doc: ReadableDocument, name: str) -> CheckedModel | None:
    """The checked model ``name`` (``None`` when unknown or invalid; the problems panel says why)."""
    resolved = resolved_model(doc, name)
    result = None if resolved is None else checked_spec(resolved[0])
    return result if isinstance(result, CheckedModel) else None


def _population(doc: ReadableDocument, name: str) -> PopulationDoc | None:
    node = doc.nodes.get(name)
    return node.data if node is not None and node.kind == "population" else None


# -- values of populations -------------------------------------------------------------------------
def population_value_problem(doc: ReadableDocument, pop: PopulationDoc, section: str, key: str,
                             value: Any) -> str | None:
    """Why ``value`` cannot be ``pop.<section>.<key>`` (``section`` is ``parameters`` or ``initial``), or ``None``.

    Checks that the model has the parameter (state variable) and that the value, a quantity, an
    expression over constants or a per-neuron expression (``"-60 mV + 5 mV*rand()"``), has its unit.
    """
    checked = checked_model(doc, pop.model)
    if checked is None or value is None or isinstance(value, (list, tuple)):
        return None
    names = checked.parameters if section == "parameters" else checked.states
    if key not in names:
        what = "a parameter" if section == "parameters" else "a state variable"
        close = difflib.get_close_matches(key, list(names), n=1, cutoff=0.6)
        hint = f" — did you mean `{close[0]}`?" if close else f" (has: {', '.join(names)})"
        return f"`{key}` is not {what} of {pop.model}{hint}"
    if section == "parameters" and checked.parameters[key].var_type == "boolean":
        ok = isinstance(value, bool) or str(value).strip().lower() in ("true", "false", "1", "0")
        return None if ok else f"`{key}` of {pop.model} is true or false, not `{value}`"
    want = checked.parameters[key].dim if section == "parameters" else checked.states[key].dim
    want = want if want is not None else DIMENSIONLESS
    problems: list[Problem] = []
    typed = constants(doc).value(value, key, problems)
    dim = None if typed is None else _dimension(typed, checked, problems)
    if dim is None:
        return problems[0].message if problems else f"`{value}` cannot be used for `{key}`"
    if dim is not want and not (dim is DIMENSIONLESS and isinstance(value, (int, float)) and value == 0):
        example = checked.system.unit_name(want)
        got = "has no unit" if dim is DIMENSIONLESS else f"has units {format_dimension(dim)}"
        return (f"`{value}` {got}, but `{key}` of {pop.model} takes {format_dimension(want)}"
                + (f" (e.g. `1 {example}`)" if want is not DIMENSIONLESS else ""))
    return None


def _dimension(value: Quantity | Expression, checked: CheckedModel, problems: list[Problem]) -> Dimension | None:
    """The dimension of a quantity or of an expression over the model's names (as the engine evaluates it)."""
    if isinstance(value, Quantity):
        return value.dim
    text = value.text
    t = one_line(text, "value")
    node = parse_expression(t, problems)
    result = (None if node is None
              else ExpressionChecker(checked.symbols(value.constants), checked.system, problems,
                                                draws=True).check(t, node))
    if result is None:
        return None
    dim = result[1]
    if dim == BOOL:
        problems.append(Problem("value", 0, 0, f"`{text}` is true/false, expected a quantity"))
        return None
    return dim


# -- projections -----------------------------------------------------------------------------------
def _receptor(doc: ReadableDocument, target: str, receptor: str | int | None, on_pre: str | None,
              weight: float) -> tuple[str, Dimension | None] | str:
    """(receptor label, the unit it takes) for a weight into population ``target``, or why there is none
    (the engine's routing, :func:`~engine.models.base.route_input`)."""
    pop = _population(doc, target)
    resolved = None if pop is None else resolved_model(doc, pop.model)
    if resolved is None:
        return "", None
    spec, lib = resolved
    statement = (on_pre or "").strip()
    if on_pre:
        spec, receptor = replace(spec, receptors={**spec.receptors, "on_pre": Receptor(statement)}), "on_pre"
    checked = checked_spec(spec)
    if isinstance(checked, ModelError):
        return f"on_pre `{statement}`: {checked.problems[0].message}" if on_pre else ("", None)
    try:
        r, _ = route_input(checked.receptors, weight, receptor, library=lib, owner=f"`{target}` ({pop.model})")
    except ReceptorError as exc:
        return str(exc)
    return (f"on_pre `{statement}`" if on_pre else f"receptor `{r}` of {pop.model}"), checked.receptor_dims[r]


def _weight_problem(doc: ReadableDocument, weight, target: str, receptor: str | int | None,
                    on_pre: str | None) -> tuple[str, str] | None:
    """(field, why) ``weight`` (as written) cannot go into population ``target`` through ``receptor`` or
    ``on_pre``: the weight's unit (``"weight"``) or the routing (``"receptor"``)."""
    problems: list[Problem] = []
    value = constants(doc).quantity(weight, "weight", problems, centre=True)
    if value is None:
        return "weight", problems[0].message if problems else f"`{weight}` is not a quantity"
    found = _receptor(doc, target, receptor, on_pre, value.value)
    if isinstance(found, str):
        return "receptor", found
    label, want = found
    if want is not None and value.dim is not want:
        return "weight", (f"weight `{weight}` has units {format_dimension(value.dim)}, but {label} takes "
                          f"{format_dimension(want)}")
    return None


def device_problem(doc: ReadableDocument, data: DeviceDoc) -> tuple[str, str] | None:
    """(field, why) a device does not fit the population it is on — the neurons it picks, a spike generator's
    weight and receptor — or ``None``."""
    pop = _population(doc, data.target)
    if pop is None:
        return None
    size = constants(doc).count(pop.size, "size", [], minimum=1)
    if data.neurons and size is not None:
        reason = neurons_problem(data.neurons, size)
        if reason is not None:
            return "neurons", reason
    if data.kind in SPIKE_GENERATORS and data.weight is not None:
        return _weight_problem(doc, data.weight, data.target, data.receptor, None)
    return None


def projection_problem(doc: ReadableDocument, data: ProjectionDoc) -> str | None:
    """Why projection ``data`` does not fit its target (synapse, the weight's unit, the receptor), or ``None``."""
    if data.synapse == "static_synapse_hom_w":
        if draws(data.weight):
            return (f"static_synapse_hom_w shares one weight among all connections, so `{data.weight}` "
                    "(a weight per connection) cannot be used; choose static_synapse")
        if data.stdp is not None:
            return "static_synapse_hom_w shares one fixed weight; STDP needs stdp_synapse"
    found = _weight_problem(doc, data.weight, data.target, data.receptor, data.on_pre)
    return None if found is None else found[1]


def connect_problem(doc: ReadableDocument, source: str, target: str, data: ProjectionDoc | None = None) -> str | None:
    """Why ``source`` cannot connect to ``target`` (with projection ``data`` if given), or ``None``."""
    src, tgt = doc.nodes.get(source), doc.nodes.get(target)
    for name, node in ((source, src), (target, tgt)):
        if node is None:
            return f"no node `{name}`"
    assert src is not None and tgt is not None
    if src.role == "recorder":
        return (f"`{source}` is a recorder ({src.data.kind}): it records a population, so connect from the "
                "population to the recorder")
    if tgt.role == "generator":
        return (f"`{target}` is a generator ({tgt.data.kind}): it sends input into a population, so connect "
                "from the generator to the population")
    if src.kind == "device" and tgt.kind == "device":
        return "a device connects to a population, not to another device"
    device = src if src.kind == "device" else tgt if tgt.kind == "device" else None
    if device is not None:
        if device.data.kind == "weight_recorder":
            return f"`{device.name}` records the weights of a projection: choose the projection as its target"
        return None
    if data is None:
        return None
    if (data.source, data.target) != (source, target):
        return f"projection `{data.name}` goes from `{data.source}` to `{data.target}`, not `{source}` to `{target}`"
    if data.name in doc.nodes or data.name in doc.edges:
        return f"the name `{data.name}` is already used"
    return projection_problem(doc, data)


# -- the problems panel --------------------------------------------------------------------------------
def locate(project: ProjectDoc, problem: Problem) -> DocumentProblem:
    """A project problem (located by JSON path) placed at its node or edge."""
    m = _ELEMENT_PATH.match(problem.field)
    if m is None:
        return DocumentProblem("", problem.field, problem.message, problem.field, problem.line, problem.col)
    element = getattr(project, m.group(1))[int(m.group(2))]
    message = problem.message
    if m.group(1) == "devices" and m.group(3) == "target" and element.target == "":
        message = "not connected: connect it to a population"
    return DocumentProblem(element.name, m.group(3), message, problem.field, problem.line, problem.col)


def document_problems(doc: ReadableDocument) -> list[DocumentProblem]:
    """Every problem found without building the network: the project checks of
    :func:`studio.project.network_def.network_def`, then units of population values and of projection and
    device weights, receptors, and the neurons a device picks."""
    project = doc.to_project()
    found: list[Problem] = []
    network_def(project, found)
    out = [locate(project, p) for p in found]
    seen = {(p.element, p.field) for p in out}
    for pop in project.populations:
        for section in ("parameters", "initial"):
            for key, value in getattr(pop, section).items():
                field = f"{section}.{key}"
                reason = None if (pop.name, field) in seen else population_value_problem(doc, pop, section, key,
                                                                                           value)
                if reason is not None:
                    out.append(DocumentProblem(pop.name, field, reason))
    for p in project.projections:
        if not any(element == p.name for element, _ in seen):
            reason = projection_problem(doc, p)
            if reason is not None:
                out.append(DocumentProblem(p.name, "weight", reason))
    for d in project.devices:
        found = None if any(element == d.name for element, _ in seen) else device_problem(doc, d)
        if found is not None:
            out.append(DocumentProblem(d.name, *found))
    return out
