"""What the inspector lists for each kind of element: fields with their defaults, ranges and meaning.

Plain data computed from the document and the model library (no widgets):
each :class:`Row` is one editable field path of a node or a projection.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.network.connect import RULE_OPTIONS, RULES
from engine.network.definitions import SYNAPSES
from studio.document.document import Document, Node
from studio.document.checks import checked_model, resolved_model
from studio.project.project_doc import ProjectionDoc

_TIMES = (("start", "0 ms", "when it starts"), ("stop", "inf s", "when it stops"))
DEVICE_PARAMS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "dc_generator": (("amplitude", "", "current injected into each target neuron"), *_TIMES),
    "ac_generator": (("amplitude", "", "amplitude of the sine"), ("offset", "0 pA", "constant part"),
                     ("frequency", "", "frequency of the sine"), ("phase", "0", "phase in degrees"), *_TIMES),
    "step_current_generator": (("amplitude_times", "", "times of the steps, e.g. 10 ms, 20 ms"),
                               ("amplitude_values", "", "currents from each time on, e.g. 100 pA, 0 pA"), *_TIMES),
    "noise_generator": (("mean", "0 pA", "mean current"), ("std", "0 pA", "standard deviation"),
                        ("dt", "1 ms", "interval between new values"), *_TIMES),
    "poisson_generator": (("rate", "", "rate of each independent train"), *_TIMES),
    "spike_generator": (("spike_times", "", "spike times, e.g. 10 ms, 15 ms"), *_TIMES),
    "spike_recorder": _TIMES,
    "voltmeter": (("interval", "1 ms", "sampling interval"), *_TIMES),
    "multimeter": (("record_from", "", "state variables, e.g. V_m, g_ex"), ("interval", "1 ms", "sampling interval"),
                   *_TIMES),
    "population_rate": (("bin", "1 ms", "bin width"), *_TIMES),
    "weight_recorder": (("max_connections", "1000", "how many connections to record"),),
}
_RULE_HELP = {"p": "connection probability of each pair", "k": "connections per neuron",
              "n": "total number of connections", "sources": "source indices, e.g. 0, 1, 2",
              "targets": "target indices, e.g. 1, 2, 0"}


@dataclass(frozen=True)
class Row:
    """One field: its path (``"parameters.tau_m"``), label, current text, default (placeholder), help text, and
    ``choices`` for a field picked from a list."""

    field: str
    label: str
    text: str
    default: str = ""
    help: str = ""
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


def population_rows(doc: Document, node: Node) -> tuple[list[Row], list[Row], list[Row], str]:
    """(main rows, parameter rows, initial-value rows, description of the model) of a population."""
    pop = node.data
    models = tuple(doc.settings["models"])
    main = [Row("model", "model", pop.model, help="a model of this project or of the library"),
            Row("size", "size", text_of(pop.size), help="number of neurons (a count or a constant)")]
    resolved = resolved_model(doc, pop.model)
    checked = checked_model(doc, pop.model)
    if resolved is None:
        return main, [], [], f"unknown model `{pop.model}`" + (f" (project models: {', '.join(models)})"
                                                                 if models else "")
    spec, lib = resolved
    params = []
    if lib is not None:
        for p in lib.params:
            span = f"  [{p.low} … {p.high}]" if p.low or p.high else ""
            params.append(Row(f"parameters.{p.name}", p.name, text_of(pop.parameters.get(p.name)),
                              str(spec.parameters.get(p.name, p.default)), f"{p.meaning}{span}"))
        about = f"{lib.name}: {lib.title}\n{lib.description}"
    else:
        for name, default in spec.parameters.items():
            unit = checked.display_unit(name) if checked is not None and name in checked.parameters else ""
            params.append(Row(f"parameters.{name}", name, text_of(pop.parameters.get(name)), str(default),
                              f"model default {default}" + (f" ({unit})" if unit and unit not in str(default) else "")))
        about = f"{pop.model}: a model defined in this project"
    states = list(checked.states) if checked is not None else []
    initial = [Row(f"initial.{s}", s, text_of(pop.initial.get(s)), str(spec.initial.get(s, "")),
                   "initial value (a quantity or an expression such as `-60 mV + 5 mV*rand()`)") for s in states]
    return main, params, initial, about


def device_rows(doc: Document, node: Node) -> tuple[list[Row], list[Row]]:
    """(main rows, parameter rows) of a device."""
    dev = node.data
    populations = tuple(n for n, v in doc.nodes.items() if v.kind == "population")
    main = [Row("target", "target", dev.target, help="the population it stimulates or records",
                choices=("", *populations)),
            Row("neurons", "neurons", text_of(dev.neurons), "all", "indices of the neurons, e.g. 0, 1, 2")]
    if node.role == "generator":
        main += [Row("weight", "weight", text_of(dev.weight), "", "weight of each spike or current"),
                 Row("delay", "delay", text_of(dev.delay), "0.1 ms", "delay to the targets"),
                 Row("receptor", "receptor", text_of(dev.receptor), "by the model", "receptor name or port")]
    known = DEVICE_PARAMS.get(dev.kind, ())
    names = [k for k, _, _ in known] + [k for k in dev.params if k not in {k for k, _, _ in known}]
    helps = {k: (d, h) for k, d, h in known}
    params = [Row(f"params.{k}", k, text_of(dev.params.get(k)), *helps.get(k, ("", ""))) for k in names]
    return main, params


def projection_rows(data: ProjectionDoc) -> list[Row]:
    """The rows of a projection: rule (with its options), weight, delay, synapse, routing."""
    rule = data.rule
    rows = [Row("rule.name", "rule", rule.name, choices=RULES)]
    for option in RULE_OPTIONS.get(rule.name, ()):
        rows.append(Row(f"rule.{option}", option, text_of(getattr(rule, option)), help=_RULE_HELP[option]))
    rows += [Row("weight", "weight", text_of(data.weight), help="a quantity (`20 pA`, `0.02 nA`), a constant or "
                                                                "an expression (`we*rand()`)"),
             Row("delay", "delay", text_of(data.delay), "0.1 ms", "synaptic delay"),
             Row("synapse", "synapse", data.synapse or "static_synapse", choices=SYNAPSES),
             Row("receptor", "receptor", text_of(data.receptor), "by the model", "receptor name or port number"),
             Row("on_pre", "on_pre", data.on_pre or "", "", "what a spike does, e.g. `ge += w`")]
    return rows
