"""What every script export reads: the project's network definition, checked, and its values in a target's units.

The exports (:mod:`studio.interop.export_nest`, ``export_brian2``, ``export_pynn``,
``export_python``) take a project file or an open :class:`~studio.project.project_doc.ProjectDoc`,
read it into the engine's :class:`~engine.network.definitions.NetworkDef` with every constant
resolved, and refuse what the target has no counterpart for with :class:`ExportRefused`,
naming the element and the reason.
"""

from __future__ import annotations

import os
import textwrap
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from engine.errors import ModelError, NeuroCoreError, Problem
from engine.equations import expr as E
from engine.equations.check import BOOL, ExpressionChecker
from engine.equations.constant_values import Expression
from engine.equations.model import CheckedModel, ModelSpec, Receptor, check_model
from engine.equations.parser import one_line, parse_expression
from engine.equations.units import HERTZ, NEST_UNITS, Dimension, Quantity, UnitSystem, as_quantity
from engine.models.base import LibraryModel
from engine.network.definitions import NetworkDef, PopulationDef
from studio.project.fileio import atomic_write_text
from studio.project.project_doc import ProjectDoc
from studio.project.project_file import project_network, read_project


class ExportRefused(NeuroCoreError):
    """The project holds something the export's target has no counterpart for (named in the message)."""


@dataclass(frozen=True)
class ExportSource:
    """A project to export: its network with constants resolved, its name and where it came from."""

    net: NetworkDef
    title: str
    description: str


def export_source(project: str | os.PathLike | ProjectDoc) -> ExportSource:
    """The network of a project file or an open project document.

    Raises
    ------
    studio.project.project_file.ProjectFileError
        The project has problems (every one, located by JSON path).
    """
    if isinstance(project, ProjectDoc):
        return ExportSource(project_network("project", project), "project", project.description or "")
    doc = read_project(project)
    return ExportSource(project_network(project, doc), Path(project).stem, doc.description or "")


def about(description: str) -> str:
    """A project's description as the paragraph of a script's docstring: wrapped, its quotes and backslashes
    escaped (``""`` when there is none)."""
    if not description:
        return ""
    safe = description.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    return "\n\n" + textwrap.fill(safe, 100)


def write_script(out_path: str | os.PathLike, text: str) -> Path:
    """Write a script atomically; return its path."""
    atomic_write_text(out_path, text)
    return Path(out_path)


def model_spec(pop: PopulationDef) -> ModelSpec:
    """The equations of a population's model (a library model's own)."""
    return pop.model.spec if isinstance(pop.model, LibraryModel) else pop.model


def checked_population(pop: PopulationDef, on_pre: tuple[str, ...] = ()) -> CheckedModel:
    """A population's model checked, with its uniform parameter values and the ``on_pre`` statements
    that projections add as receptors (named ``on_pre_0``, ... in order).

    Raises
    ------
    ExportRefused
        The model does not check (e.g. an ``on_pre`` names a variable it lacks), naming the population.
    """
    spec = model_spec(pop)
    uniform = {k: v for k, v in pop.parameters.items() if isinstance(v, (Quantity, int, float, str))}
    receptors = dict(spec.receptors)
    added = {f"on_pre_{i}": statement for i, statement in enumerate(on_pre)}
    receptors.update({name: Receptor(statement) for name, statement in added.items()})
    try:
        return check_model(replace(spec, parameters={**spec.parameters, **uniform}, receptors=receptors))
    except ModelError as exc:
        problem = exc.problems[0]
        where = problem.field.removeprefix("receptors.")
        what = f"on_pre `{added[where]}`" if where in added else problem.field
        raise ExportRefused(f"population `{pop.name}`, {what}: {problem.message}") from exc


def nest_value(value: float, dim: Dimension, system: UnitSystem = NEST_UNITS, hertz: bool = False) -> float:
    """A value of ``system`` in NEST's units: mV, ms, pA, pF, nS (a model's rates in 1/ms), or a device's rate
    in Hz with ``hertz``."""
    nest = NEST_UNITS.to_system(system.to_si(value, dim), dim) if system is not NEST_UNITS else value
    return nest * 1e3 if hertz and dim is HERTZ else nest


def quantity_nest(raw, hertz: bool = False) -> float:
    """A quantity (or its text, or a number) in NEST's units (rates in Hz with ``hertz``, as devices take them)."""
    q = as_quantity(raw)
    return nest_value(q.value, q.dim, hertz=hertz)


@dataclass(frozen=True)
class Distribution:
    """A value drawn per neuron as the targets can draw it: ``kind`` is ``value`` (``args``: the value),
    ``uniform`` (low, high), ``normal`` (mean, std) or ``array`` (one value per neuron); in model units."""

    kind: str
    args: tuple[float, ...]


class _Fixed:
    """Stands in for a random generator: every draw is ``u`` (to read an expression's dependence on it)."""

    def __init__(self, u: float):
        self.u = u

    def random(self, n: int) -> np.ndarray:
        return np.full(n, self.u)

    standard_normal = random


def distribution(value, checked: CheckedModel, size: int, where: str) -> Distribution:
    """How a per-neuron value (a quantity, an array or an expression) is drawn: a constant, a uniform or
    normal draw (an expression linear in one ``rand()`` or ``randn()``), or values that depend on the index.

    Raises
    ------
    ExportRefused
        The expression draws in another way (several draws, a non-linear function of one).
    """
    if isinstance(value, (Quantity, int, float, str)):
        q = as_quantity(value)
        return Distribution("value", (q.in_units(checked.system),))
    if not isinstance(value, Expression):
        return Distribution("array", tuple(float(v) for v in np.asarray(value, dtype=np.float64)))
    problems: list[Problem] = []
    text = one_line(value.text, where)
    node = parse_expression(text, problems)
    result = None if node is None else ExpressionChecker(checked.symbols(value.constants), checked.system,
                                                         problems).check(text, node)
    if result is None or result[1] == BOOL:
        raise ExportRefused(f"{where}: `{value.text}` is not a value ({'; '.join(p.message for p in problems)})")
    tree = result[0]
    env = {n: p.value for n, p in checked.parameters.items()}
    env.update({n: q.in_units(checked.system) for n, q in value.constants.items()})
    env.update({"i": np.arange(size, dtype=np.float64), "N": float(size)})
    states = E.names(tree) & set(checked.states)
    if states:
        raise ExportRefused(f"{where}: `{value.text}` depends on the state {', '.join(sorted(states))}, "
                            "which the target cannot draw from")
    draws = {n.fn for n in _calls(tree)}
    if not draws:
        values = E.evaluate_array(tree, env, size, _Fixed(0.0))
        return Distribution("value", (float(values[0]),)) if np.all(values == values[0]) else \
            Distribution("array", tuple(float(v) for v in values))
    if len(draws) == 2 or len(_calls(tree)) > 1 or "i" in E.names(tree):
        raise ExportRefused(f"{where}: `{value.text}` is not one uniform (`a + b*rand()`) or normal "
                            "(`a + b*randn()`) draw, the only random values the target draws")
    low, mid, high = (float(E.evaluate_array(tree, env, 1, _Fixed(u))[0]) for u in (0.0, 0.5, 1.0))
    if not np.isclose(mid, (low + high) / 2, rtol=1e-9, atol=1e-12 * max(abs(low), abs(high), 1.0)):
        raise ExportRefused(f"{where}: `{value.text}` is not linear in its random draw, so it is no uniform or "
                            "normal distribution the target can draw")
    if "rand" in draws:
        return Distribution("uniform", (min(low, high), max(low, high)))
    return Distribution("normal", (low, abs(high - low)))


def _calls(tree: E.Expr) -> list[E.Call]:
    found = [tree] if isinstance(tree, E.Call) and tree.fn in ("rand", "randn") else []
    for kid in E.children(tree):
        found += _calls(kid)
    return found


def on_pre_statements(net: NetworkDef) -> dict[str, tuple[str, ...]]:
    """The distinct ``on_pre`` statements projections send into each population, in order."""
    out: dict[str, list[str]] = {}
    for p in net.projections:
        if p.on_pre:
            statements = out.setdefault(p.target, [])
            if p.on_pre.strip() not in statements:
                statements.append(p.on_pre.strip())
    return {k: tuple(v) for k, v in out.items()}
