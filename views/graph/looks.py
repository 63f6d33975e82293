"""What the graph shows for each document node and edge (pure functions of the project description)."""

from __future__ import annotations

from typing import Any, Mapping

from engine.equations.constant_values import draws, evaluate_quantity
from engine.equations.units import DIMENSIONLESS, Quantity
from engine.models import LIBRARY
from engine.network.devices import CURRENT_GENERATORS, SPIKE_GENERATORS
from studio.project.project_doc import DeviceDoc, InlineModel, LibraryRef, PopulationDoc, ProjectionDoc, RuleDoc
from views.graph.items import EdgeLook, NodeLook

GENERATORS = CURRENT_GENERATORS + SPIKE_GENERATORS
BRIEF = 16  # characters of a value an edge's label shows as written; a longer one shows what it comes to
_RULE_SHORT = {"pairwise_bernoulli": "p", "fixed_indegree": "K_in", "fixed_outdegree": "K_out",
               "fixed_total_number": "N"}
_DEVICE_SUMMARY = {"dc_generator": ("amplitude",), "ac_generator": ("amplitude", "frequency"),
                   "noise_generator": ("mean", "std"), "poisson_generator": ("rate",),
                   "multimeter": ("record_from",), "population_rate": ("bin",)}


def receptors(model: str, models: Mapping[str, LibraryRef | InlineModel]) -> tuple[str, ...]:
    """The receptor ports of the model a population names (project model or library), in port order."""
    entry = models.get(model)
    if isinstance(entry, InlineModel):
        return tuple(entry.spec.receptors)
    library = LIBRARY.get(entry.library if isinstance(entry, LibraryRef) else model)
    return library.receptors if library is not None else ()


def model_title(model: str, models: Mapping[str, LibraryRef | InlineModel]) -> str:
    entry = models.get(model)
    if isinstance(entry, InlineModel):
        return f"{model}: a model defined in this project"
    library = LIBRARY.get(entry.library if isinstance(entry, LibraryRef) else model)
    return f"{library.name}: {library.title}" if library is not None else f"unknown model {model}"


def in_ports(model: str, models: Mapping[str, LibraryRef | InlineModel]) -> tuple[str | None, ...]:
    """``None`` (routed by the model) plus one port per receptor where the model has several."""
    names = receptors(model, models)
    return (None, *names) if len(names) > 1 else (None,)


def category(kind: str) -> str:
    return "generator" if kind in GENERATORS else "recorder"


def _plural(n, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def population_look(pop: PopulationDoc, models: Mapping[str, LibraryRef | InlineModel], problem: str = "") -> NodeLook:
    detail = _plural(pop.size, "neuron") if isinstance(pop.size, int) else f"size {pop.size}"
    return NodeLook(pop.name, "population", pop.model, detail, in_ports(pop.model, models), True,
                    model_title(pop.model, models), problem)


def device_look(dev: DeviceDoc, problem: str = "") -> NodeLook:
    cat = category(dev.kind)
    shown = [f"{k} {_text(dev.params[k])}" for k in _DEVICE_SUMMARY.get(dev.kind, ()) if k in dev.params]
    if dev.neurons is not None:
        shown.append(_plural(len(dev.neurons), "neuron"))
    detail = ", ".join(shown) or ("all neurons" if cat == "recorder" else "")
    return NodeLook(dev.name, cat, dev.kind, detail, () if cat == "generator" else (None,), cat == "generator",
                    f"{dev.kind} → {dev.target}" if cat == "generator" else f"{dev.kind} of {dev.target}", problem)


def _text(value) -> str:
    return ", ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)


def brief(raw, constants: Mapping[str, Quantity]) -> str:
    """A value as a label shows it, with its sign: as written when short (``=0.02``, ``=-g*J``); a longer
    expression as what it comes to over the project's ``constants`` (``=14,395``), one that draws at the
    centre of its draws (``≈87.81 pA``); one that does not evaluate, its start (``=floor(S_L23E_L…``)."""
    text = _text(raw)
    if len(text) <= BRIEF:
        return f"={text}"
    problems: list = []
    value = evaluate_quantity(text, constants, "", problems, centre=True)
    if value is None or problems:
        return f"={text[:BRIEF - 1]}…"
    number = value.value
    shown = f"{int(number):,}" if value.dim is DIMENSIONLESS and float(number).is_integer() else f"{value:.4g}"
    return f"{'≈' if draws(text) else '='}{shown}"


def _rule_option(rule: RuleDoc) -> tuple[str, Any] | None:
    """The option that sizes a rule, by its short name (``("p", 0.02)``), or ``None``."""
    if rule.name not in _RULE_SHORT:
        return None
    short = _RULE_SHORT[rule.name]
    return short, {"p": rule.p, "K_in": rule.k, "K_out": rule.k, "N": rule.n}[short]


def rule_text(rule: RuleDoc, constants: Mapping[str, Quantity] | None = None) -> str:
    """A short description of a connection rule: ``p=0.02``, ``K_in=80``, ``N=14,395``, ``all to all``."""
    option = _rule_option(rule)
    if option is not None:
        return f"{option[0]}{brief(option[1], constants or {})}"
    if rule.name == "explicit":
        return f"explicit ({_plural(len(rule.sources or ()), 'pair')})"
    return rule.name.replace("_", " ")


def _port_name(receptor, target_receptors: tuple[str, ...]) -> str | None:
    if isinstance(receptor, int) and 1 <= receptor <= len(target_receptors):
        return target_receptors[receptor - 1]
    return receptor if isinstance(receptor, str) else None


def projection_look(proj: ProjectionDoc, target_receptors: tuple[str, ...], problem: str = "",
                    constants: Mapping[str, Quantity] | None = None) -> EdgeLook:
    """An edge labelled with its rule and weight (long expressions as what they come to over ``constants``)."""
    label = f"{rule_text(proj.rule, constants)} · w{brief(proj.weight, constants or {})}"
    routing = f"on_pre: {proj.on_pre}" if proj.on_pre else (
        f"receptor {proj.receptor}" if proj.receptor is not None else "routed by the model")
    option = _rule_option(proj.rule)
    sized = f" {option[0]}={option[1]}" if option is not None else ""
    tip = (f"{proj.name}: {proj.source} → {proj.target}\nrule {proj.rule.name}{sized}, weight {proj.weight}, "
           f"delay {proj.delay or '0.1 ms'}, {proj.synapse or 'static_synapse'}\n{routing}")
    return EdgeLook(proj.name, proj.source, proj.target, label, _port_name(proj.receptor, target_receptors),
                    False, tip, problem)


def device_link_look(name: str, dev: DeviceDoc, target_receptors: tuple[str, ...],
                     constants: Mapping[str, Quantity] | None = None) -> EdgeLook:
    """The link of a device to its population: generator → population, population → recorder."""
    if category(dev.kind) == "generator":
        label = f"w{brief(dev.weight, constants or {})}" if dev.weight is not None else ""
        return EdgeLook(name, dev.name, dev.target, label, _port_name(dev.receptor, target_receptors), True,
                        f"{dev.name} stimulates {dev.target}")
    return EdgeLook(name, dev.target, dev.name, "", None, True, f"{dev.name} records {dev.target}")
