"""Every edit of a document as a command (orange-canvas-core's ``document/commands.py``), Qt-free.

A command stores its target and the old and new values; ``redo()`` and
``undo()`` only call the document's primitives.  Commands check what they
are asked to do when they are made (``Connect`` raises ``ConnectError``,
``SetField`` raises ``FieldError`` with the reason), so a refused edit never
reaches an undo stack.  Compound edits are made of child commands:
``RemoveNode`` disconnects the node first and reconnects it, at the same
indices, on undo.  They are pushed on the document's
:class:`~studio.document.history.UndoStack`, which the window runs and the
tests drive.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from studio.document.checks import checked_model, resolved_model
from studio.document.document import ConnectError, Document, FieldError
from studio.document.elements import DocumentError, Edge, Node, link_name
from studio.document.fields import (arithmetic_for, element, field_value_problem, get_field, name_problem,
                                    typed_value, with_field)
from studio.document.history import Command
from studio.project.project_doc import DeviceDoc, PopulationDoc, Position, ProjectionDoc, RuleDoc

__all__ = ["AddNode", "Connect", "Disconnect", "MoveNode", "RemoveNode", "Rename", "SetArithmetic", "SetField",
           "SetSetting",
           "default_projection", "field_value_problem", "new_device", "new_population", "population_name",
           "projection_name", "ConnectError", "FieldError"]

FIRST_POPULATIONS = ("E", "I")  # the excitatory and inhibitory pair most networks start from


class AddNode(Command):
    def __init__(self, doc: Document, node: Node, index: int | None = None):
        if node.name in doc.nodes or node.name in doc.edges:
            raise DocumentError(f"the name `{node.name}` is already used")
        self.doc, self.node, self.index = doc, node, index
        self.text = f"Add {node.name}"

    def redo(self) -> None:
        self.doc.add_node(self.node, self.index)

    def undo(self) -> None:
        self.doc.remove_node(self.node.name)


class SetField(Command):
    """Set ``field`` of node or projection ``name`` to ``value`` as typed (``"20 pA"``; ``""`` removes it).

    Raises
    ------
    FieldError
        The value does not fit (unit, unknown parameter, ...); the message says why.
    """

    def __init__(self, doc: Document, name: str, field: str, value: Any, check: bool = True):
        found = element(doc, name)
        if found is None:
            raise FieldError(f"no node or projection `{name}`")
        if check:
            reason = field_value_problem(doc, name, field, value)
            if reason is not None:
                raise FieldError(reason)
        self.doc, self.name, self.field = doc, name, field
        self.old, self.new = get_field(found[1], field), typed_value(field, value)
        self.text = f"Set {name}.{field} to {_shown(self.new)}" if self.new not in (None, "") else \
            f"Clear {name}.{field}"

    def _apply(self, value: Any) -> None:
        node = self.doc.nodes.get(self.name)
        if node is not None:
            self.doc.set_node(self.name, replace(node, data=with_field(node.data, self.field, value)))
        else:
            edge = self.doc.edges[self.name]
            self.doc.set_edge(self.name, Edge.of(with_field(edge.data, self.field, value)))

    def redo(self) -> None:
        self._apply(self.new)

    def undo(self) -> None:
        self._apply(self.old)


class SetArithmetic(SetField):
    """Set the arithmetic mode of node or projection ``name`` (``"float"``, ``"fixed"``, ``"sc"``; ``""``: the
    run's), keeping the values the new mode takes and giving the missing ones their defaults
    (:func:`~studio.document.fields.arithmetic_for`).

    Raises
    ------
    FieldError
        No such element, or the engine refuses the arithmetic it would get.
    """

    def __init__(self, doc: Document, name: str, mode: str):
        found = element(doc, name)
        if found is None:
            raise FieldError(f"no node or projection `{name}`")
        super().__init__(doc, name, "arithmetic", arithmetic_for(get_field(found[1], "arithmetic"), mode))
        self.text = f"Set {name}.arithmetic to {mode}" if mode else f"Clear {name}.arithmetic"


def _shown(value: Any) -> str:
    """``value`` as an undo entry names it: ``3200``, ``20 pA``, ``fixed_indegree``, ``0, 1, 2``."""
    if isinstance(value, RuleDoc):
        text = value.name
    elif isinstance(value, tuple):
        text = ", ".join(map(str, value))
    else:
        text = str(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _unlink(doc: Document, devices: list[Node]) -> list[Command]:
    return [SetField(doc, d.name, "target", "", check=False) for d in devices]


class Disconnect(Command):
    """Remove a projection (and point weight recorders on it nowhere), or unlink a device from its population."""

    def __init__(self, doc: Document, name: str):
        edge = doc.edges.get(name)
        if edge is None:
            raise DocumentError(f"no edge `{name}`")
        self.doc, self.edge, self.index = doc, edge, None
        if edge.kind == "device":
            device = edge.source if doc.nodes[edge.source].kind == "device" else edge.target
            self.children = _unlink(doc, [doc.nodes[device]])
        else:
            self.children = _unlink(doc, doc.devices_on(name))
        self.text = f"Disconnect {edge.source} from {edge.target}"

    def redo(self) -> None:
        for child in self.children:
            child.redo()
        if self.edge.kind == "projection":
            self.index = self.doc.remove_edge(self.edge.name)[1]

    def undo(self) -> None:
        if self.edge.kind == "projection":
            self.doc.add_edge(self.edge, self.index)
        for child in reversed(self.children):
            child.undo()


class RemoveNode(Command):
    """Remove a node with its projections and device links; undo puts all of it back where it was."""

    def __init__(self, doc: Document, name: str):
        node = doc.nodes.get(name)
        if node is None:
            raise DocumentError(f"no node `{name}`")
        self.doc, self.node, self.index = doc, node, None
        self.children: list[Command] = [Disconnect(doc, e.name) for e in doc.projections()
                                        if name in (e.source, e.target)]
        if node.kind == "population":
            self.children += _unlink(doc, doc.devices_on(name))
        self.text = f"Remove {name}"

    def redo(self) -> None:
        for child in self.children:
            child.redo()
        self.index = self.doc.remove_node(self.node.name)[1]

    def undo(self) -> None:
        self.doc.add_node(self.node, self.index)
        for child in reversed(self.children):
            child.undo()


class MoveNode(Command):
    """Move a node once per drag gesture (``old`` defaults to where the document has it)."""

    def __init__(self, doc: Document, name: str, new: Position, old: Position | None = None):
        node = doc.nodes.get(name)
        if node is None:
            raise DocumentError(f"no node `{name}`")
        self.doc, self.name = doc, name
        self.old = old if old is not None else node.position
        self.new = (float(new[0]), float(new[1]))
        self.text = f"Move {name}"

    def _apply(self, position: Position | None) -> None:
        self.doc.set_node(self.name, replace(self.doc.nodes[self.name], position=position))

    def redo(self) -> None:
        self._apply(self.new)

    def undo(self) -> None:
        self._apply(self.old)


class Connect(Command):
    """Connect ``source`` to ``target``: a projection between populations (``data``, default
    :func:`default_projection`), or a device link (a generator into a population, a population into a
    recorder), which sets the device's target.

    Raises
    ------
    ConnectError
        The connection is refused (see :meth:`Document.check_connect`).
    """

    def __init__(self, doc: Document, source: str, target: str, data: ProjectionDoc | None = None,
                 index: int | None = None):
        doc.check_connect(source, target, data)
        self.doc, self.index = doc, index
        src, tgt = doc.nodes[source], doc.nodes[target]
        self.child: SetField | None = None
        self.edge: Edge | None = None
        if src.kind == "device" or tgt.kind == "device":
            device, population = (src, tgt) if src.kind == "device" else (tgt, src)
            self.child = SetField(doc, device.name, "target", population.name, check=False)
            self.name = link_name(device.name, population.name)
        else:
            self.edge = Edge.of(data or default_projection(doc, source, target))
            self.name = self.edge.name
        self.text = f"Connect {source} to {target}"

    def redo(self) -> None:
        if self.child is not None:
            self.child.redo()
        else:
            self.doc.add_edge(self.edge, self.index)

    def undo(self) -> None:
        if self.child is not None:
            self.child.undo()
        else:
            self.doc.remove_edge(self.edge.name)


class Rename(Command):
    """Rename a node (its projections, device links and devices follow) or a projection (its weight
    recorders follow), keeping every index.

    Raises
    ------
    FieldError
        The new name is empty, used already or not a name (:func:`~studio.document.fields.name_problem`).
    """

    def __init__(self, doc: Document, old: str, new: str):
        new = new.strip()
        if old not in doc.nodes and not (old in doc.edges and doc.edges[old].kind == "projection"):
            raise FieldError(f"no node or projection `{old}`")
        reason = name_problem(doc, old, new) if new != old else "the name is unchanged"
        if reason is not None:
            raise FieldError(reason)
        self.doc, self.old, self.new = doc, old, new
        self.text = f"Rename {old} to {new}"

    def redo(self) -> None:
        self.doc.rename(self.old, self.new)

    def undo(self) -> None:
        self.doc.rename(self.new, self.old)


class SetSetting(Command):
    """Set a document-level setting (``constants``, ``models``, ``dt``, ``seed``, ``description``)."""

    def __init__(self, doc: Document, key: str, value: Any):
        if key not in doc.settings:
            raise DocumentError(f"unknown setting `{key}` (have: {', '.join(doc.settings)})")
        self.doc, self.key, self.new, self.old = doc, key, value, doc.settings[key]
        self.text = _setting_text(key, self.old, value)

    def redo(self) -> None:
        self.doc.set_setting(self.key, self.new)

    def undo(self) -> None:
        self.doc.set_setting(self.key, self.old)


def _setting_text(key: str, old: Any, new: Any) -> str:
    """An undo entry naming the value: ``Set dt to 0.05 ms``, ``Add constant g``, ``Set constant we to 1 mV``."""
    if key == "constants":
        old, new = old or {}, new or {}
        added, removed = [k for k in new if k not in old], [k for k in old if k not in new]
        if len(added) == 1 and len(removed) == 1:
            return f"Rename constant {removed[0]} to {added[0]}"
        if added or removed:
            return f"{'Add' if added else 'Remove'} constant {', '.join(added or removed)}"
        changed = [k for k in new if new[k] != old[k]]
        return f"Set constant {changed[0]} to {_shown(new[changed[0]])}" if len(changed) == 1 else "Set constants"
    if key == "models" or new in (None, ""):
        return f"Set {key}" if key == "models" else f"Clear {key}"
    return f"Set {key} to {_shown(new)}"


def population_name(doc: Document) -> str:
    """The name of a new population: ``E``, then ``I``, then ``pop_3``, ``pop_4``... (whichever is free),
    never the model's name, which changing the model would leave behind on the node."""
    free = [name for name in FIRST_POPULATIONS if doc.unique_name(name) == name]
    if free:
        return free[0]
    return doc.unique_name(f"pop_{sum(n.kind == 'population' for n in doc.nodes.values()) + 1}")


def projection_name(doc: Document, source: str, target: str) -> str:
    """The name of a new projection from ``source`` to ``target``: ``E_to_I`` (``E_to_I_2`` for a second)."""
    return doc.unique_name(f"{source}_to_{target}")


def new_population(doc: Document, model: str, position: Position | None = None, size: int = 100) -> Node:
    """A node for a new population of ``model``, named by :func:`population_name`."""
    return Node.of(PopulationDoc(population_name(doc), model, size), position)


def new_device(doc: Document, kind: str, position: Position | None = None) -> Node:
    """A node for a new, unconnected device of ``kind``."""
    return Node.of(DeviceDoc(doc.unique_name(kind), kind, ""), position)


def default_projection(doc: Document, source: str, target: str) -> ProjectionDoc:
    """A new projection as a drag from ``source`` to ``target`` makes it: 10% random connections and a
    weight of one unit of what the target's first receptor takes (or ``on_pre`` into its first state)."""
    name = projection_name(doc, source, target)
    rule = RuleDoc("pairwise_bernoulli", p=0.1)
    pop = doc.nodes[target].data
    checked = checked_model(doc, pop.model)
    resolved = resolved_model(doc, pop.model)
    if checked is None or resolved is None:
        return ProjectionDoc(name, source, target, rule, "1")
    lib = resolved[1]
    if checked.receptors:
        receptor = lib.route(1.0)[0] if lib is not None and lib.sign_split else next(iter(checked.receptors))
        unit = checked.system.unit_name(checked.receptor_dims[receptor])
        return ProjectionDoc(name, source, target, rule, f"1 {unit}")
    state = next(iter(checked.states))
    return ProjectionDoc(name, source, target, rule, f"1 {checked.display_unit(state)}", on_pre=f"{state} += w")
