"""Recovery files: what an open document looked like a minute ago, offered back after a crash.

The GUI writes :func:`write_recovery` every minute while a document has
unsaved changes, :func:`discard` s it when the document is saved or closed,
and at start-up offers each of :func:`find_recoveries` (read with
:func:`read_recovery`).  A recovery file is JSON: the project as a project
file holds it, plus the file it came from, when and by which process::

    {"recovery_format": 1, "original": "/home/ana/cuba.ncsproj", "title": "cuba",
     "written": 1732200000.0, "pid": 4242, "project": {...}}

They live in a per-user data folder (``$XDG_DATA_HOME`` or
``~/.local/share/NeuroCoreStudio/recovery`` on Linux, the platform's
application-data folder elsewhere), or in ``$NCSTUDIO_RECOVERY_DIR``.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from engine.errors import Problem
from studio.document.document import Document
from studio.project.fileio import atomic_write_text
from studio.project.project_file import ProjectFileError, parse_project
from studio.project.project_doc import ProjectDoc, doc_to_json

SUFFIX = ".ncsrecovery"
RECOVERY_FORMAT = 1
APP_DIR = "NeuroCoreStudio"


@dataclass(frozen=True)
class Recovery:
    """A recovery file read back: the project, the file it belongs to (``None`` if never saved), when."""

    path: Path
    project: ProjectDoc
    original: Path | None
    title: str
    written: float


def recovery_dir() -> Path:
    """The folder of recovery files (``$NCSTUDIO_RECOVERY_DIR`` overrides the per-user default)."""
    override = os.environ.get("NCSTUDIO_RECOVERY_DIR")
    if override:
        return Path(override)
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / APP_DIR / "recovery"


def recovery_path(document: Document) -> Path:
    """The recovery file of an open document (one per document for as long as it is open)."""
    title = re.sub(r"[^\w.-]+", "_", document.title)[:40]
    return recovery_dir() / f"{title}-{document.uid}{SUFFIX}"


def write_recovery(document: Document) -> Path:
    """Write (atomically) the recovery file of ``document``; returns its path."""
    path = recovery_path(document)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"recovery_format": RECOVERY_FORMAT,
            "original": None if document.path is None else str(Path(document.path).resolve()),
            "title": document.title, "written": time.time(), "pid": os.getpid(),
            "project": doc_to_json(document.to_project())}
    atomic_write_text(path, json.dumps(data, ensure_ascii=False, indent=1) + "\n")
    return path


def _alive_elsewhere(pid: object) -> bool:
    """Whether another process with this id still runs (so its document is still open, not lost)."""
    if not isinstance(pid, int) or pid == os.getpid() or sys.platform == "win32":
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def find_recoveries() -> list[Path]:
    """Recovery files left behind (newest first), leaving out those of other instances still running."""
    folder = recovery_dir()
    if not folder.is_dir():
        return []
    found = []
    for path in folder.glob(f"*{SUFFIX}"):
        try:
            pid = json.loads(path.read_text(encoding="utf-8")).get("pid")
        except (OSError, ValueError, AttributeError):
            pid = None
        if not _alive_elsewhere(pid):
            found.append(path)
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


def read_recovery(path: str | os.PathLike) -> Recovery:
    """Read a recovery file.

    Raises
    ------
    ProjectFileError
        The file is damaged or its project is not valid.
    OSError
        The file cannot be read.
    """
    path = Path(path)
    problems: list[Problem] = []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        project = parse_project(json.dumps(data["project"]), problems)
        original = None if data.get("original") is None else Path(data["original"])
        title, written = str(data.get("title", path.stem)), float(data.get("written", 0.0))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ProjectFileError(path, [Problem("", 0, 0, f"not a recovery file: {exc}")]) from exc
    if project is None:
        raise ProjectFileError(path, problems)
    return Recovery(path, project, original, title, written)


def discard(path: str | os.PathLike) -> None:
    """Remove a recovery file (nothing happens if it is gone already)."""
    Path(path).unlink(missing_ok=True)
