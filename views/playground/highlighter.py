"""Syntax highlighting of the model text (:mod:`studio.project.model_text`): sections, equations, units, names."""

from __future__ import annotations

import re

from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat

from engine.equations.expr import FUNCTIONS
from engine.equations.units import UNITS
from views.theme import colors

_TOKEN = re.compile(r"(#.*)|(\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+)|([A-Za-z_][A-Za-z_0-9]*)")
_HEADER = re.compile(r"^\s*\[\s*[A-Za-z_]*\s*\]")
_DERIVATIVE = re.compile(r"\bd([A-Za-z_][A-Za-z_0-9]*)\s*/\s*dt\b")
_FLAGS = re.compile(r"\((\s*(?:unless refractory|shared|constant over dt|constant)\s*,?)+\)\s*(?:#.*)?$")
KEYWORDS = frozenset({"and", "or", "not", "if", "else", "True", "False", "true", "false", "xi", "t", "dt",
                      "not_refractory", "lastspike", "w"})


def _format(color: str | QColor, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(color))
    if bold:
        fmt.setFontWeight(QFont.Weight.Bold)
    fmt.setFontItalic(italic)
    return fmt


class ModelHighlighter(QSyntaxHighlighter):
    """Colours section headers, comments, numbers, functions, units, keywords and the model's own names
    (:meth:`set_names`: state variables and parameters of the last valid model)."""

    def __init__(self, document) -> None:
        super().__init__(document)
        self.states: frozenset[str] = frozenset()
        self.parameters: frozenset[str] = frozenset()
        dark = colors().dark
        pick = (lambda d, light: d) if dark else (lambda d, light: light)
        self.formats = {
            "header": _format(pick("#c792ea", "#7b3fb0"), bold=True),
            "comment": _format(colors().muted, italic=True),
            "number": _format(pick("#f78c6c", "#b35c00")),
            "function": _format(pick("#82aaff", "#1f5fbf")),
            "unit": _format(pick("#89ddff", "#0f7f8f")),
            "keyword": _format(pick("#c3a6ff", "#8a3ab9")),
            "state": _format(pick("#ffcb6b", "#a0522d"), bold=True),
            "parameter": _format(pick("#c3e88d", "#2e7d32")),
            "flag": _format(colors().muted, italic=True),
        }

    def set_names(self, states, parameters) -> None:
        """Highlight these state variables and parameters; re-highlight when they change."""
        states, parameters = frozenset(states), frozenset(parameters)
        if (states, parameters) != (self.states, self.parameters):
            self.states, self.parameters = states, parameters
            self.rehighlight()

    def highlightBlock(self, text: str) -> None:
        header = _HEADER.match(text)
        if header:
            self.setFormat(0, len(text), self.formats["header"])
            return
        derivatives = [(m.start(), m.end()) for m in _DERIVATIVE.finditer(text)]
        for a, b in derivatives:
            self.setFormat(a, b - a, self.formats["state"])
        flags = _FLAGS.search(text.split("#", 1)[0] if "#" in text else text)
        for m in _TOKEN.finditer(text):
            comment, number, name = m.groups()
            start, length = m.start(), m.end() - m.start()
            if any(a <= start < b for a, b in derivatives):
                continue
            if comment:
                self.setFormat(start, length, self.formats["comment"])
            elif number:
                self.setFormat(start, length, self.formats["number"])
            elif flags and start >= flags.start():
                self.setFormat(start, length, self.formats["flag"])
            elif name in self.states:
                self.setFormat(start, length, self.formats["state"])
            elif name in self.parameters:
                self.setFormat(start, length, self.formats["parameter"])
            elif name in FUNCTIONS and text[m.end():m.end() + 1] == "(":
                self.setFormat(start, length, self.formats["function"])
            elif name in KEYWORDS:
                self.setFormat(start, length, self.formats["keyword"])
            elif name in UNITS or name in ("boolean", "integer"):
                self.setFormat(start, length, self.formats["unit"])
