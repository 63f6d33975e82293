"""Copy and paste of graph selections, as project JSON (so a selection pastes into any open project).

A copy holds the selected populations and devices, the projections between
them, and the project models they use.  A paste renames what clashes
(``E`` -> ``E_2``), shifts it by one grid step per paste, points devices at
their pasted population (or keeps their target if that exists here) and adds
it all as one edit.
"""

from __future__ import annotations

import json
from dataclasses import replace

from PySide6.QtCore import QMimeData

from engine.errors import NeuroCoreError, Problem
from studio.document.commands import AddNode, Connect, SetSetting
from studio.document.document import Document
from studio.document.elements import Node
from studio.project.project_doc import ProjectDoc, doc_from_json, doc_to_json

MIME_TYPE = "application/x-ncstudio-graph"
OFFSET = 40.0


def copy(document: Document, names: list[str]) -> QMimeData | None:
    """The clipboard content of nodes ``names`` (with the projections among them), or ``None``."""
    nodes = [document.nodes[n] for n in names if n in document.nodes]
    if not nodes:
        return None
    chosen = {n.name for n in nodes}
    models = document.settings["models"]
    pops = tuple(replace(n.data, position=n.position) for n in nodes if n.kind == "population")
    project = ProjectDoc(
        pops,
        tuple(e.data for e in document.projections() if e.source in chosen and e.target in chosen),
        tuple(replace(n.data, position=n.position) for n in nodes if n.kind == "device"),
        models={p.model: models[p.model] for p in pops if p.model in models})
    text = json.dumps(doc_to_json(project), ensure_ascii=False)
    mime = QMimeData()
    mime.setData(MIME_TYPE, text.encode())
    mime.setText(text)
    return mime


def paste(document: Document, mime: QMimeData, shift: int = 1, text: str | None = None) -> list[str]:
    """Add the content of ``mime`` to ``document`` as one edit (on its undo stack, named ``text``, by default
    "Paste 2 nodes"); returns the new node names.

    Raises
    ------
    NeuroCoreError
        The clipboard holds no graph, or something in it cannot be added (nothing is added then).
    """
    if not mime.hasFormat(MIME_TYPE):
        raise NeuroCoreError("the clipboard holds no part of a network")
    problems: list[Problem] = []
    data = json.loads(bytes(mime.data(MIME_TYPE).data()).decode())
    data.setdefault("populations", [])
    project = doc_from_json(data, problems)
    if problems:
        raise NeuroCoreError(f"the clipboard content is damaged: {problems[0].message}")
    taken: set[str] = set()

    def fresh(name: str) -> str:
        new = document.unique_name(name)
        k = 1
        while new in taken:
            k += 1
            new = document.unique_name(f"{name}_{k}")
        taken.add(new)
        return new

    renamed = {e.name: fresh(e.name) for e in (*project.populations, *project.devices)}
    delta = OFFSET * shift

    def place(position):
        return None if position is None else (position[0] + delta, position[1] + delta)

    steps = []
    missing = {k: v for k, v in project.models.items() if k not in document.settings["models"]}
    if missing:
        steps.append(lambda: SetSetting(document, "models", {**document.settings["models"], **missing}))
    for pop in project.populations:
        node = Node.of(replace(pop, name=renamed[pop.name], position=None), place(pop.position))
        steps.append(lambda node=node: AddNode(document, node))
    for dev in project.devices:
        target = renamed.get(dev.target, dev.target if dev.target in document.nodes else "")
        node = Node.of(replace(dev, name=renamed[dev.name], target=target, position=None), place(dev.position))
        steps.append(lambda node=node: AddNode(document, node))
    for proj in project.projections:
        source, target = renamed[proj.source], renamed[proj.target]
        steps.append(lambda p=proj, s=source, t=target: Connect(
            document, s, t, replace(p, name=fresh(p.name), source=s, target=t)))
    document.undo_stack.push_steps(text or f"Paste {len(renamed)} node{'s' * (len(renamed) != 1)}", steps)
    return list(renamed.values())


def duplicate(document: Document, names: list[str]) -> list[str]:
    """Copies of nodes ``names`` (with the projections among them) one grid step away, as one edit named
    "Duplicate E"; returns the new node names (none when ``names`` holds no node)."""
    nodes = [n for n in names if n in document.nodes]
    mime = copy(document, nodes)
    if mime is None:
        return []
    shown = nodes[0] if len(nodes) == 1 else f"{len(nodes)} nodes"
    return paste(document, mime, text=f"Duplicate {shown}")
