"""Editing the arithmetic of a projection or population through the document's commands, Qt-free."""

from __future__ import annotations

import re

import pytest

from studio.document.commands import FieldError, SetArithmetic, SetField
from studio.document.document import Document
from studio.document.fields import arithmetic_for, typed_value
from studio.project.project_doc import doc_to_json
from studio.project.project_file import EXAMPLES


@pytest.fixture
def doc() -> Document:
    return Document.open(EXAMPLES / "sc_demo.ncsproj")


def test_a_mode_keeps_what_it_takes_and_fills_in_the_rest():
    sc = {"mode": "sc", "source": "halton", "length": 64, "seed": 4099}
    assert arithmetic_for(sc, "fixed") == {"mode": "fixed", "format": "Q8.8"}
    assert arithmetic_for({"mode": "fixed", "format": "Q4.12"}, "sc") == {"mode": "sc", "source": "lfsr16",
                                                                          "length": 256}
    assert arithmetic_for(sc, "sc") == sc and arithmetic_for(sc, "float") == {"mode": "float"}
    assert arithmetic_for(sc, "") is None
    assert typed_value("arithmetic.seed", "0xACE1") == 0xACE1 and typed_value("arithmetic.length", "512") == 512


def test_setting_the_mode_is_one_command_and_undo_puts_the_settings_back(doc):
    stack = doc.undo_stack
    stack.push(SetArithmetic(doc, "IE", "fixed"))
    assert doc.edges["IE"].data.arithmetic == {"mode": "fixed", "format": "Q8.8"}
    assert stack.undo_text == "Set IE.arithmetic to fixed"
    stack.undo()
    assert doc.edges["IE"].data.arithmetic == {"mode": "sc", "source": "halton", "length": 64, "seed": 4099}
    stack.push(SetArithmetic(doc, "I", "sc"))
    assert doc.nodes["I"].data.arithmetic == {"mode": "sc", "source": "lfsr16", "length": 256}
    stack.push(SetArithmetic(doc, "I", ""))
    assert doc.nodes["I"].data.arithmetic is None and stack.undo_text == "Clear I.arithmetic"
    assert "arithmetic" not in doc_to_json(doc.to_project())["populations"][1]  # left out of the file


def test_a_value_the_engine_refuses_never_reaches_the_document(doc):
    with pytest.raises(FieldError, match=r"^projection `EE`, arithmetic: SC length must be a power of two from 64 "
                                         r"to 4096 \(64, 128, 256, 512, 1024, 2048, 4096\), not 100$"):
        SetField(doc, "EE", "arithmetic.length", "100")
    with pytest.raises(FieldError, match=re.escape("projection `EE`, arithmetic: sobol16 seed must be 0..15, not 16")):
        SetField(doc, "EE", "arithmetic.seed", "16")
    assert doc.edges["EE"].data.arithmetic == {"mode": "sc", "source": "sobol16", "length": 256}
    assert len(doc.undo_stack) == 0
