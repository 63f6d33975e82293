"""What a document holds: nodes (populations and devices) and edges (projections and device links).

These records are immutable; :class:`~studio.document.document.Document` changes by replacing them,
and the checks (:mod:`studio.document.checks`) read them without knowing the document.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from engine.errors import NeuroCoreError
from engine.network.devices import RECORDERS
from studio.project.project_doc import DeviceDoc, PopulationDoc, Position, ProjectionDoc


class DocumentError(NeuroCoreError):
    """A document primitive was called with something the document cannot hold (a taken name, no such node)."""


@dataclass(frozen=True)
class Node:
    """A population or a device on the canvas."""

    name: str
    kind: str  # "population" | "device"
    data: PopulationDoc | DeviceDoc
    position: Position | None = None

    def __post_init__(self) -> None:
        want = "population" if isinstance(self.data, PopulationDoc) else "device"
        if self.kind != want or self.name != self.data.name:
            raise DocumentError(f"node `{self.name}` ({self.kind}) does not match its data "
                                f"`{self.data.name}` ({want})")
        if self.data.position is not None:
            object.__setattr__(self, "data", replace(self.data, position=None))

    @classmethod
    def of(cls, data: PopulationDoc | DeviceDoc, position: Position | None = None) -> "Node":
        """The node of ``data`` (at ``position``, else at ``data.position``)."""
        kind = "population" if isinstance(data, PopulationDoc) else "device"
        return cls(data.name, kind, data, position if position is not None else data.position)

    @property
    def role(self) -> str:
        """``"population"``, ``"generator"`` or ``"recorder"``."""
        if self.kind == "population":
            return "population"
        return "recorder" if self.data.kind in RECORDERS else "generator"


@dataclass(frozen=True)
class Edge:
    """A projection (``kind="projection"``, ``data`` its description) or a device link (``kind="device"``)."""

    name: str
    source: str
    target: str
    data: ProjectionDoc | None = None
    kind: str = "projection"

    def __post_init__(self) -> None:
        if self.kind == "projection":
            d = self.data
            if d is None or (d.name, d.source, d.target) != (self.name, self.source, self.target):
                raise DocumentError(f"edge `{self.name}` does not match its projection")
        elif self.kind != "device" or self.data is not None:
            raise DocumentError(f"edge `{self.name}`: kind must be `projection` or `device` (without data)")

    @classmethod
    def of(cls, data: ProjectionDoc) -> "Edge":
        """The edge of a projection."""
        return cls(data.name, data.source, data.target, data)


def link_name(device: str, population: str) -> str:
    """The name of the edge from a device to its population."""
    return f"{device}->{population}"
