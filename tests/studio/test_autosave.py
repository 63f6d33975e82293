"""Recovery files: written, found, read back to the same document, discarded."""

from __future__ import annotations

import json
import os

import pytest

from studio.document.autosave import (SUFFIX, discard, find_recoveries, read_recovery, recovery_dir, recovery_path,
                             write_recovery)
from studio.document.commands import MoveNode, SetField
from studio.document.document import Document
from studio.project.project_file import EXAMPLES, ProjectFileError


@pytest.fixture(autouse=True)
def recovery_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("NCSTUDIO_RECOVERY_DIR", str(tmp_path / "recovery"))
    return tmp_path / "recovery"


def test_write_find_read_discard(recovery_folder):
    assert find_recoveries() == []
    doc = Document.open(EXAMPLES / "cuba.ncsproj")
    stack = doc.undo_stack
    stack.push(SetField(doc, "E", "size", "1000"))
    stack.push(MoveNode(doc, "I", (12.5, -3)))
    path = write_recovery(doc)
    assert path == recovery_path(doc) and path.parent == recovery_dir() == recovery_folder
    assert path.name == f"cuba-{doc.uid}{SUFFIX}"
    assert find_recoveries() == [path]
    recovery = read_recovery(path)
    assert recovery.original == (EXAMPLES / "cuba.ncsproj").resolve() and recovery.title == "cuba"
    restored = Document.from_project(recovery.project, recovery.original)
    assert restored.to_project() == doc.to_project()
    assert restored.nodes["E"].data.size == 1000 and restored.nodes["I"].position == (12.5, -3)
    assert write_recovery(doc) == path  # one file per open document, rewritten
    discard(path)
    assert find_recoveries() == []
    discard(path)  # gone already: nothing happens


def test_untitled_documents_and_newest_first(recovery_folder):
    first = write_recovery(Document())
    second = write_recovery(Document.open(EXAMPLES / "brunel.ncsproj"))
    os.utime(first, (1, 1))
    assert find_recoveries() == [second, first]
    assert read_recovery(first).original is None and first.name.startswith("untitled-")


def test_files_of_other_running_instances_are_left_alone(recovery_folder):
    path = write_recovery(Document())
    data = json.loads(path.read_text(encoding="utf-8"))
    data["pid"] = os.getppid()  # a process that is still running
    path.write_text(json.dumps(data), encoding="utf-8")
    assert find_recoveries() == []


def test_a_damaged_recovery_file_is_reported(recovery_folder):
    path = write_recovery(Document())
    path.write_text('{"project": {"format_version": 1}}', encoding="utf-8")
    with pytest.raises(ProjectFileError, match="populations"):
        read_recovery(path)
    path.write_text("not json", encoding="utf-8")
    with pytest.raises(ProjectFileError, match="not a recovery file"):
        read_recovery(path)
