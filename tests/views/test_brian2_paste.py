"""Paste Brian2 code in the playground: the script's NeuronGroup becomes the model, what is not read is listed."""

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from engine.analysis.stimulus import Step
from engine.models import LIBRARY
from studio.playground.playground_state import PlaygroundState, Stimulus
from views.playground.playground_view import PlaygroundView

SCRIPTS = Path(__file__).resolve().parents[1] / "studio" / "data" / "brian2"


@pytest.fixture
def playground(qtbot):
    widget = PlaygroundView(PlaygroundState(LIBRARY["lif"], stimulus=Stimulus((Step(3000.0, onset=0.1, offset=0.9),))))
    widget.resize(1400, 800)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    qtbot.waitUntil(lambda: widget.state.trace is not None, timeout=5000)
    return widget


def paste(qtbot, widget: PlaygroundView, code: str):
    assert widget.editor.paste_action in widget.editor.templates.menu().actions()  # Templates ▸ Paste Brian2 code…
    widget.editor.paste_action.trigger()
    dialog = widget.editor.paste_dialog
    qtbot.waitExposed(dialog)
    dialog.code.setPlainText(code)
    qtbot.mouseClick(dialog.read_button, Qt.MouseButton.LeftButton)
    return dialog


def notes(dialog) -> list[str]:
    return [dialog.notes.item(k).text() for k in range(dialog.notes.count())]


def test_pasted_code_becomes_the_model_and_is_simulated(qtbot, playground):
    dialog = paste(qtbot, playground, (SCRIPTS / "lif_namespace.py").read_text())
    assert dialog.status.text() == "The model is in the editor; everything its NeuronGroup names was read."
    text = playground.editor.editor.toPlainText()
    assert "I = I0*(1 + 0.5*sin(2*pi*f_drive*t)) : amp" in text and "[namespace]\nI0 = 1.2 * nA" in text
    qtbot.waitUntil(lambda: not playground.busy and playground.state.trace is not None
                    and "I0" in playground.state.spec.namespace, timeout=20_000)
    assert len(playground.state.trace.spike_times) >= 5
    assert playground.editor.status.text() == "model is valid"


def test_what_is_not_read_stays_listed(qtbot, playground):
    dialog = paste(qtbot, playground, (SCRIPTS / "leftovers.py").read_text())
    assert dialog.status.text() == "The model is in the editor. Not read from the code:"
    assert notes(dialog)[0] == "line 12, col 13: model: the substitution `v_rest=` of Equations(...) is not read"
    assert len(notes(dialog)) == 6 and "xi" in playground.editor.editor.toPlainText()


def test_broken_code_is_located_and_leaves_the_model_alone(qtbot, playground):
    before = playground.state.text
    dialog = paste(qtbot, playground, "tau = 10*ms\nG = NeuronGroup(1, '''\ndv/dt = -v/tau : voltt\n''')")
    assert notes(dialog) == ["line 3, col 18: unknown unit `voltt` — did you mean `volt`?"]
    assert "cannot be read" in dialog.status.text() and playground.state.text == before
    qtbot.mouseClick(dialog.notes.viewport(), Qt.MouseButton.LeftButton,
                     pos=dialog.notes.visualItemRect(dialog.notes.item(0)).center())
    cursor = dialog.code.textCursor()
    assert (cursor.blockNumber(), cursor.positionInBlock()) == (2, 17)
