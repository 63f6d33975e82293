"""Project format versions: refusing newer files and upgrading older ones step by step.

A file of format ``v`` is brought to :data:`FORMAT_VERSION` by applying
``UPGRADES[v]``, ``UPGRADES[v + 1]``, ... in turn; each function takes the
decoded JSON of one version and returns that of the next.  A new format adds
one function here and bumps :data:`FORMAT_VERSION`.
"""

from __future__ import annotations

from typing import Any, Callable

from engine.errors import Problem

FORMAT_VERSION = 1


def _v0_to_v1(data: dict[str, Any]) -> dict[str, Any]:
    """Format 0 (early drafts) is format 1 without ``format_version``."""
    return {"format_version": 1, **data}


UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {0: _v0_to_v1}


def file_version(data: dict[str, Any]) -> int | None:
    """The format a decoded file declares (0 when it declares none), or None when the field is not a whole number."""
    version = data.get("format_version", 0)
    if isinstance(version, bool) or not isinstance(version, int):
        return None
    return version


def upgrade(data: Any, problems: list[Problem]) -> Any:
    """``data`` brought to :data:`FORMAT_VERSION`; a problem (and ``None``) for a version this build cannot read."""
    if not isinstance(data, dict):
        problems.append(Problem("", 0, 0, "a project must be a JSON object {\"format_version\": ..., ...}"))
        return None
    version = file_version(data)
    if version is None or version < 0:
        problems.append(Problem("format_version", 0, 0, f"expected a whole number, not {data['format_version']!r}"))
        return None
    if version > FORMAT_VERSION:
        problems.append(Problem("format_version", 0, 0, f"written by a newer NeuroCore Studio (format {version}); "
                                                        f"this build reads up to {FORMAT_VERSION}"))
        return None
    while version < FORMAT_VERSION:
        data = UPGRADES[version](data)
        version += 1
    return data
