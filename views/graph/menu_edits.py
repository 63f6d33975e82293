"""The edits the graph's right-click menus offer beyond add, move, connect, delete and rename, each made of
the document's undoable commands and pushed as one step with a readable name (Qt-free).

Each function checks what it is asked first and raises :class:`~engine.errors.NeuroCoreError` with the
reason, so a refused edit never reaches the undo stack.
"""

from __future__ import annotations

from dataclasses import replace

from engine.errors import NeuroCoreError
from studio.document.checks import connect_problem, projection_problem
from studio.document.commands import AddNode, Connect, Disconnect, new_device, projection_name
from studio.document.document import Document
from studio.project.project_doc import Position, ProjectionDoc

RECORDING = ("spike_recorder", "voltmeter", "multimeter")  # the recorders "Record from" offers


def record_from(document: Document, population: str, kind: str, position: Position) -> str:
    """Add a recorder of ``kind`` at ``position`` wired to ``population``, as one edit; its name."""
    node = new_device(document, kind, position)
    document.undo_stack.push_steps(f"Record from {population} with {node.name}", [
        lambda: AddNode(document, node), lambda: Connect(document, population, node.name)])
    return node.name


def connect(document: Document, node: str, population: str) -> None:
    """Connect ``node`` to ``population``: a projection from one population to another (the default one a
    port drag makes), or a device's link (a generator into it, a recorder from it)."""
    source, target = ((population, node) if document.nodes[node].role == "recorder" else (node, population))
    document.undo_stack.push(Connect(document, source, target))


def reversed_projection(document: Document, name: str) -> ProjectionDoc:
    """Projection ``name`` turned round (a name like ``E_to_I`` turns too).

    Raises
    ------
    NeuroCoreError
        The projection is a loop, or it cannot go the other way (its weight or receptor does not fit).
    """
    data = document.edges[name].data
    if data is None or data.source == data.target:
        raise NeuroCoreError(f"`{name}` runs from a population to itself")
    automatic = name.startswith(f"{data.source}_to_{data.target}")
    turned = replace(data, source=data.target, target=data.source,
                     name=projection_name(document, data.target, data.source) if automatic else name)
    reason = connect_problem(document, turned.source, turned.target) or projection_problem(document, turned)
    if reason is not None:
        raise NeuroCoreError(f"cannot reverse `{name}`: {reason}")
    return turned


def reverse(document: Document, name: str) -> str:
    """Turn projection ``name`` round, as one edit, at the same place in the project; its new name."""
    turned = reversed_projection(document, name)
    removal = Disconnect(document, name)
    document.undo_stack.push_steps(f"Reverse {name}", [
        lambda: removal, lambda: Connect(document, turned.source, turned.target, turned, index=removal.index)])
    return turned.name
