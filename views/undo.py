"""The thin adapter between the Qt-free studio commands and a :class:`QUndoStack`.

A studio command (``studio.document.commands``) has ``redo()``, ``undo()`` and
``text``; :func:`push` wraps it in a :class:`QUndoCommand` whose ``redo`` and
``undo`` call it, so the stack's clean state, undo/redo actions and the
window title follow every edit.
"""

from __future__ import annotations

from typing import Callable, Iterable

from PySide6.QtGui import QUndoCommand, QUndoStack

from studio.document.commands import Command, Macro


class UndoCommandAdapter(QUndoCommand):
    """A studio command on a QUndoStack (``done``: it has run already, so the push does not run it again)."""

    def __init__(self, command: Command, done: bool = False):
        super().__init__(command.text)
        self.command = command
        self._done = done

    def redo(self) -> None:
        if self._done:
            self._done = False
            return
        self.command.redo()

    def undo(self) -> None:
        self.command.undo()


def push(stack: QUndoStack, command: Command) -> None:
    """Do ``command`` and put it on ``stack`` (``QUndoStack.push`` calls ``redo`` once)."""
    stack.push(UndoCommandAdapter(command))


def push_steps(stack: QUndoStack, text: str, steps: Iterable[Callable[[], Command]]) -> None:
    """Do commands that are each made after the previous one ran (e.g. a paste: nodes, then links between
    them), and put them on ``stack`` as one edit; if a step raises, the steps done are undone."""
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
        stack.push(UndoCommandAdapter(Macro(text, done), done=True))
