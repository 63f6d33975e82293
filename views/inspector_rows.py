"""What the inspector lists for each kind of element: fields with their defaults and help.

Plain data computed from the document and the model library (no widgets):
each :class:`Row` is one editable field path of a node or a projection; its
help comes from the one table of :mod:`studio.document.field_help`.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.models import LIBRARY
from engine.network.connect import RULE_OPTIONS, RULES
from engine.network.definitions import ARITHMETIC_MODES, SC_LENGTHS, SYNAPSES
from engine.network.devices import device_parameters
from engine.network.synapses import SYNAPSE_PARAMETERS
from engine.stochastic.sc_sources import SOURCES as SC_SOURCES
from studio.document.checks import checked_model, resolved_model
from studio.document.document import Document, Node
from studio.document.field_help import FieldHelp, field_help
from studio.document.fields import ARITHMETIC_KEYS
from studio.project.project_doc import ProjectionDoc


@dataclass(frozen=True)
class Row:
    """One field: its path (``"parameters.tau_m"``), label, current text, default (placeholder), help, and
    ``choices`` for a field picked from a list."""

    field: str
    label: str
    text: str
    default: str = ""
    help: FieldHelp = FieldHelp("")
    choices: tuple[str, ...] = ()


def text_of(value) -> str:
    """How a stored value is shown in a field."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    return str(value)


def model_choices(doc: Document) -> tuple[tuple[str, str], ...]:
    """The models a population can use, as (name, group): the project's own first, then the library's."""
    return (*((m, "project") for m in doc.settings["models"]), *((m, "library") for m in LIBRARY
                                                                    if m not in doc.settings["models"]))


def _row(doc: Document, element: str, kind: str, field: str, text: str, default: str = "",
         choices: tuple[str, ...] = (), label: str | None = None) -> Row:
    return Row(field, label or field.rsplit(".", 1)[-1], text, default, field_help(doc, element, kind, field), choices)


def population_rows(doc: Document, node: Node) -> tuple[list[Row], list[Row], list[Row], str]:
    """(main rows, parameter rows, initial-value rows, description of the model) of a population."""
    pop, name = node.data, node.name
    models = tuple(doc.settings["models"])
    main = [_row(doc, name, "population", "model", pop.model),
            _row(doc, name, "population", "size", text_of(pop.size))]
    resolved = resolved_model(doc, pop.model)
    checked = checked_model(doc, pop.model)
    if resolved is None:
        return main, [], [], f"unknown model `{pop.model}`" + (f" (project models: {', '.join(models)})"
                                                                 if models else "")
    spec, lib = resolved
    defaults = ({p.name: str(spec.parameters.get(p.name, p.default)) for p in lib.params} if lib is not None
                else {k: str(v) for k, v in spec.parameters.items()})
    params = [_row(doc, name, "population", f"parameters.{k}", text_of(pop.parameters.get(k)), default)
              for k, default in defaults.items()]
    about = f"{lib.name}: {lib.title}\n{lib.description}" if lib is not None else \
        f"{pop.model}: a model defined in this project"
    states = list(checked.states) if checked is not None else []
    initial = [_row(doc, name, "population", f"initial.{s}", text_of(pop.initial.get(s)),
                    str(spec.initial.get(s, ""))) for s in states]
    return main, params, initial, about


def device_rows(doc: Document, node: Node) -> tuple[list[Row], list[Row]]:
    """(main rows, parameter rows) of a device."""
    dev, name = node.data, node.name
    populations = tuple(n for n, v in doc.nodes.items() if v.kind == "population")
    main = [_row(doc, name, "device", "target", dev.target, choices=("", *populations)),
            _row(doc, name, "device", "neurons", text_of(dev.neurons), "all")]
    if node.role == "generator":
        main += [_row(doc, name, "device", "weight", text_of(dev.weight)),
                 _row(doc, name, "device", "delay", text_of(dev.delay), "0.1 ms"),
                 _row(doc, name, "device", "receptor", text_of(dev.receptor), "by the model")]
    defaults = {k: p.default or "" for k, p in device_parameters(dev.kind).items()}
    keys = [*defaults, *(k for k in dev.params if k not in defaults)]
    params = [_row(doc, name, "device", f"params.{k}", text_of(dev.params.get(k)), defaults.get(k, ""))
              for k in keys]
    return main, params


def projection_rows(doc: Document, data: ProjectionDoc) -> list[Row]:
    """The rows of a projection: rule (with its options), weight, delay, synapse, routing."""
    rule, name = data.rule, data.name

    def row(field: str, text: str, default: str = "", choices: tuple[str, ...] = ()) -> Row:
        return _row(doc, name, "projection", field, text, default, choices, "rule" if field == "rule.name" else None)

    rows = [row("rule.name", rule.name, choices=RULES)]
    rows += [row(f"rule.{option}", text_of(getattr(rule, option))) for option in RULE_OPTIONS.get(rule.name, ())]
    return rows + [row("weight", text_of(data.weight)), row("delay", text_of(data.delay), "0.1 ms"),
                   row("synapse", data.synapse or "static_synapse", choices=SYNAPSES),
                   row("receptor", text_of(data.receptor), "by the model"),
                   row("on_pre", data.on_pre or "")]


def synapse_rows(doc: Document, data: ProjectionDoc) -> list[Row]:
    """The parameters of a projection's synapse model (none for a static synapse), NEST's defaults as
    placeholders."""
    specs = SYNAPSE_PARAMETERS.get(data.synapse or "", {})
    return [_row(doc, data.name, "projection", f"synapse_params.{k}", text_of(data.synapse_params.get(k)),
                 {"U": "= U", None: "needed"}.get(spec.default, spec.default or "")) for k, spec in specs.items()]


def arithmetic_rows(doc: Document, name: str, kind: str, arithmetic) -> list[Row]:
    """The rows of the arithmetic of a population or projection: its mode, then the keys that mode takes
    (a fixed format; a stochastic source, length and seed)."""
    values = dict(arithmetic or {})
    mode = str(values.get("mode", ""))

    def row(key: str, default: str = "", choices: tuple[str, ...] = ()) -> Row:
        return _row(doc, name, kind, f"arithmetic.{key}", text_of(values.get(key)), default, choices)

    rows = [row("mode", choices=("", *ARITHMETIC_MODES))]
    extra = {"format": row("format", "Q8.8"), "source": row("source", choices=SC_SOURCES),
             "length": row("length", choices=tuple(map(str, SC_LENGTHS))), "seed": row("seed", "from the index")}
    return rows + [extra[key] for key in ARITHMETIC_KEYS.get(mode, ())]
