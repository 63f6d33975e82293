"""Undo history, Qt-free: the :class:`Command` protocol, :class:`Macro` and the :class:`UndoStack` the window
runs and the tests drive (orange-canvas-core's undo stack, without Qt).

The views only present a stack: its :attr:`UndoStack.events` announce each
change (:class:`~studio.document.events.UndoStackChanged`), after which the
undo and redo actions read ``can_undo``, ``undo_text`` and friends, and the
window's unsaved-changes mark reads ``is_clean``.
"""

from __future__ import annotations

from typing import Callable, Iterable, Sequence

from engine.errors import NeuroCoreError
from studio.document.events import EventEmitter, UndoStackChanged


class Command:
    """One undoable edit: ``text`` for menus, ``redo()`` does it, ``undo()`` takes it back."""

    text = ""

    def redo(self) -> None:
        raise NotImplementedError

    def undo(self) -> None:
        raise NotImplementedError


class Macro(Command):
    """Several commands as one (a paste, a multi-node move); a failing child rolls back the ones done."""

    def __init__(self, text: str, children: Sequence[Command]):
        self.text = text
        self.children = list(children)

    def redo(self) -> None:
        done: list[Command] = []
        try:
            for child in self.children:
                child.redo()
                done.append(child)
        except BaseException:
            for child in reversed(done):
                child.undo()
            raise

    def undo(self) -> None:
        for child in reversed(self.children):
            child.undo()


class UndoStack:
    """The edits done so far: ``push`` does a command; ``undo``/``redo`` walk the history; the clean index
    marks the state last saved.

    Events
    ------
    events : EventEmitter
        :class:`~studio.document.events.UndoStackChanged` after every push, undo, redo and ``set_clean``.
    """

    def __init__(self) -> None:
        self.events = EventEmitter()
        self._commands: list[Command] = []
        self._index = 0
        self._clean: int | None = 0

    def push(self, command: Command) -> None:
        """Do ``command`` and make it the newest edit (the edits undone before are dropped)."""
        command.redo()
        self._append(command)

    def push_steps(self, text: str, steps: Iterable[Callable[[], Command]]) -> None:
        """Do commands that are each made after the previous one ran (a paste: nodes, then the links between
        them) and keep them as one edit named ``text``; if a step raises, the steps done are undone."""
        done: list[Command] = []
        try:
            for make in steps:
                command = make()
                command.redo()
                done.append(command)
        except BaseException:
            for command in reversed(done):
                command.undo()
            raise
        if done:
            self._append(Macro(text, done))

    def undo(self) -> None:
        if not self.can_undo:
            raise NeuroCoreError("nothing to undo")
        self._commands[self._index - 1].undo()
        self._index -= 1
        self._changed()

    def redo(self) -> None:
        if not self.can_redo:
            raise NeuroCoreError("nothing to redo")
        self._commands[self._index].redo()
        self._index += 1
        self._changed()

    @property
    def can_undo(self) -> bool:
        return self._index > 0

    @property
    def can_redo(self) -> bool:
        return self._index < len(self._commands)

    @property
    def undo_text(self) -> str:
        return self._commands[self._index - 1].text if self.can_undo else ""

    @property
    def redo_text(self) -> str:
        return self._commands[self._index].text if self.can_redo else ""

    @property
    def index(self) -> int:
        return self._index

    @property
    def clean_index(self) -> int | None:
        """The index of the saved state (``None`` once that state can no longer be reached)."""
        return self._clean

    def set_clean(self) -> None:
        """Mark the present state as the saved one."""
        self._clean = self._index
        self._changed()

    @property
    def is_clean(self) -> bool:
        return self._clean == self._index

    def __len__(self) -> int:
        return len(self._commands)

    def _append(self, command: Command) -> None:
        del self._commands[self._index:]
        if self._clean is not None and self._clean > self._index:
            self._clean = None
        self._commands.append(command)
        self._index += 1
        self._changed()

    def _changed(self) -> None:
        self.events.emit(UndoStackChanged(self._index, self.is_clean))
