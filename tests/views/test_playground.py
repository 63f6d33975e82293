"""The playground workspace offscreen: typing a model, problems as you type, sliders, templates, staleness."""

import numpy as np
import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QMenu, QSlider, QToolTip

from engine.analysis.stimulus import Sine, Step
from engine.models import LIBRARY
from studio.project.model_text import check_model_text
from studio.playground.playground_state import PlaygroundState, Stimulus, templates
from views.playground.playground_view import PlaygroundView
from views.theme import colors


NO_INPUT = "simulation  the simulation failed: this model has no current input"


def make_playground(qtbot, state: PlaygroundState) -> PlaygroundView:
    widget = PlaygroundView(state)
    widget.resize(1400, 800)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def settled(qtbot, widget: PlaygroundView) -> None:
    """Wait until the typed text is checked and any run it asked for is done."""
    qtbot.waitUntil(lambda: widget.state.text == widget.editor.editor.toPlainText(), timeout=2000)
    qtbot.waitUntil(lambda: not widget.busy, timeout=20_000)  # a run takes what it takes (it once blocked here)


def type_line(qtbot, widget: PlaygroundView, line: str, newline: bool = True) -> None:
    editor = widget.editor.editor
    qtbot.keyClicks(editor, line)
    if newline:
        qtbot.keyClick(editor, Qt.Key.Key_Return)
    settled(qtbot, widget)


def listed(widget: PlaygroundView) -> list[str]:
    problems = widget.editor.problems
    return [problems.item(k).text() for k in range(problems.count())]


@pytest.fixture
def empty(qtbot):
    state = PlaygroundState(stimulus=Stimulus((Step(3000.0, onset=0.1, offset=0.9),)))
    return make_playground(qtbot, state)


@pytest.fixture
def lif(qtbot):
    widget = make_playground(qtbot, PlaygroundState(LIBRARY["lif"]))
    qtbot.waitUntil(lambda: widget.state.trace is not None, timeout=3000)
    return widget


def test_typing_a_model_character_by_character(qtbot, empty):
    widget, state = empty, empty.state
    widget.editor.editor.setFocus()
    type_line(qtbot, widget, "dv/dt = (E_L - v + R*I_stim", newline=False)
    assert listed(widget) == ["1:9  `(` is never closed"]
    assert state.spec is None and state.trace is None
    type_line(qtbot, widget, ")/tau : volt (unless refractory)")
    assert listed(widget) == ["1:10  unknown name `E_L`"]
    for declaration, next_unknown in (("E_L : volt", "1:20  unknown name `R`"),
                                      ("R : ohm", "1:22  unknown name `I_stim`"),
                                      ("I_stim : amp", "1:30  unknown name `tau`"),
                                      ("tau : second", NO_INPUT), ("v_th : volt", NO_INPUT)):
        type_line(qtbot, widget, declaration)
        assert listed(widget) == [next_unknown]
    assert state.spec is not None and state.trace is None
    type_line(qtbot, widget, "[threshold]")
    type_line(qtbot, widget, "v > v_tj", newline=False)
    assert listed(widget) == ["8:5  unknown name `v_tj` — did you mean `v_th`?", NO_INPUT]
    qtbot.keyClick(widget.editor.editor, Qt.Key.Key_Backspace)
    type_line(qtbot, widget, "h")
    assert listed(widget) == [NO_INPUT]
    for line in ("[reset]", "v = E_L", "[refractory]", "2 ms", "[parameters]", "E_L = -70 mV", "R = 10 Mohm",
                 "tau = 10 m"):
        type_line(qtbot, widget, line)
    assert listed(widget) == ["16:7  `10 m` has units metre, but `tau` is second", NO_INPUT]
    qtbot.keyClick(widget.editor.editor, Qt.Key.Key_Up)
    qtbot.keyClick(widget.editor.editor, Qt.Key.Key_End)
    type_line(qtbot, widget, "s", newline=False)
    qtbot.keyClick(widget.editor.editor, Qt.Key.Key_Down)
    for line in ("v_th = -50 mV", "[initial]", "v = E_L", "[current_input]", "I_stim"):
        type_line(qtbot, widget, line)
    assert listed(widget) == [] and not state.stale
    qtbot.waitUntil(lambda: state.trace is not None and widget.trace.shown is state.trace, timeout=3000)
    spikes = state.trace.spike_times
    # Analytic LIF: 3 nA * 10 Mohm = 30 mV drive over a 20 mV gap: T = t_ref + tau*ln(30/10).
    period = 2.0 + 10.0 * np.log(3.0)
    assert np.diff(spikes) == pytest.approx(period, abs=0.11)
    assert state.spec.parameters == {"E_L": "-70 mV", "R": "10 Mohm", "tau": "10 ms", "v_th": "-50 mV"}


def test_problems_are_underlined_with_the_message_as_tooltip(qtbot, lif):
    editor = lif.editor.editor
    text = editor.toPlainText().replace("v > v_th", "v > v_th + 1")
    editor.setPlainText(text)
    settled(qtbot, lif)
    (mark,) = editor.marks
    assert mark.problem.message == "cannot add volt and 1 (dimensionless) in `v_th + 1`"
    assert editor.toPlainText()[mark.start:mark.end] == "v_th + 1"
    assert editor.problems_at(mark.start + 2) == [mark.problem]
    cursor = editor.textCursor()
    cursor.setPosition(mark.start + 2)
    where = editor.cursorRect(cursor).center() + editor.viewport().pos()
    editor.event(QHelpEvent(QEvent.Type.ToolTip, where, editor.mapToGlobal(where)))
    assert QToolTip.text() == mark.problem.message
    underlined = [s for s in editor.extraSelections()
                  if s.format.underlineStyle() != s.format.UnderlineStyle.NoUnderline]
    assert [(s.cursor.selectionStart(), s.cursor.selectionEnd()) for s in underlined] == [(mark.start, mark.end)]
    lif.editor.problems.setCurrentRow(0)
    lif.editor._go_to(lif.editor.problems.item(0))
    assert editor.textCursor().position() == mark.start


def test_a_unit_error_is_listed_once_without_the_contradictions_it_would_cause(qtbot, lif):
    editor = lif.editor.editor
    text = editor.toPlainText()
    line = next(x for x in text.splitlines() if x.startswith("dv/dt"))
    equation = line.split("=", 1)[1].split(":")[0].strip()
    editor.setPlainText(text.replace(line, line.replace(equation, f"{equation} + I_stim")))
    settled(qtbot, lif)
    assert len(listed(lif)) == 1 and "cannot add volt/second and amp" in listed(lif)[0], listed(lif)


def test_the_last_good_trace_stays_marked_stale(qtbot, lif):
    state, view = lif.state, lif.trace
    good = state.trace
    assert not view.banner.isVisible()
    editor = lif.editor.editor
    editor.apply_text(editor.toPlainText().replace("v = v_reset", "v = v_resett"))
    settled(qtbot, lif)
    assert state.stale and state.trace is good and view.shown is good
    assert view.banner.isVisible() and "stale" in view.banner.text()
    assert view.curves[0].opts["pen"].color().name() == colors().muted.name()
    editor.undo()
    settled(qtbot, lif)
    qtbot.waitUntil(lambda: state.trace is not good, timeout=3000)
    assert not state.stale and not view.banner.isVisible()
    assert view.curves[0].opts["pen"].color().name() == view.colors[0].name()


def test_moving_a_slider_changes_the_trace_and_the_text(qtbot, lif):
    state = lif.state
    row = lif.parameters.rows["tau"]
    before = state.trace
    n_before = len(before.spike_times)
    row.slider.triggerAction(QSlider.SliderAction.SliderPageStepSub)
    qtbot.waitUntil(lambda: state.trace is not before, timeout=3000)
    value = state.value("tau")
    assert value < 10.0
    assert f"tau = {state.parameters['tau']}" in lif.editor.editor.toPlainText()
    assert row.field.text == state.parameters["tau"]
    assert len(state.trace.spike_times) > n_before
    # A burst of slider events between two frames is one simulation.
    qtbot.waitUntil(lambda: not lif.busy, timeout=3000)
    runs = lif.simulations
    for _ in range(20):
        row.slider.triggerAction(QSlider.SliderAction.SliderSingleStepAdd)
    assert "tau = " + state.parameters["tau"] in lif.editor.editor.toPlainText()
    qtbot.waitUntil(lambda: lif.trace.shown is state.trace and not lif.busy, timeout=3000)
    assert lif.simulations == runs + 1


def test_a_field_takes_any_unit_of_the_right_dimension_and_refuses_others(qtbot, lif):
    field = lif.parameters.rows["v_th"].field
    field.edit.setFocus()
    field.edit.selectAll()
    qtbot.keyClicks(field.edit, "-0.045 V")
    qtbot.keyClick(field.edit, Qt.Key.Key_Return)
    assert lif.state.parameters["v_th"] == "-0.045 V" and lif.state.value("v_th") == pytest.approx(-45.0)
    field.edit.selectAll()
    qtbot.keyClicks(field.edit, "3 ms")
    qtbot.keyClick(field.edit, Qt.Key.Key_Return)
    assert field.problem == "`3 ms` has units second, but `v_th` is volt"
    assert lif.state.parameters["v_th"] == "-0.045 V"


def all_actions(menu: QMenu):
    for action in menu.actions():
        if action.menu() is not None:
            yield from all_actions(action.menu())
        elif action.text() and not action.isSeparator():
            yield action


def test_the_template_menu_opens_every_library_model_as_valid_editable_text(qtbot, lif):
    paste, *actions = list(all_actions(lif.editor.templates.menu()))
    assert paste is lif.editor.paste_action  # first: Paste Brian2 code…, then one entry per template
    assert [a.text() for a in actions] == [t.title for t in templates()]
    for action, template in zip(actions, templates()):
        action.trigger()
        settled(qtbot, lif)
        text = lif.editor.editor.toPlainText()
        assert text == lif.state.text and not lif.state.stale, template.title
        _, checked, problems = check_model_text(text)
        assert problems == [] and dict(checked.spec.parameters) == dict(template.model.spec.parameters)
        qtbot.waitUntil(lambda: lif.trace.shown is lif.state.trace and lif.state.trace is not None, timeout=5000)
        assert len(lif.state.trace.spike_times) > 0, template.title
    lif.editor.editor.moveCursor(lif.editor.editor.textCursor().MoveOperation.End)
    type_line(qtbot, lif, "# edited")
    assert lif.state.text.endswith("# edited\n") and not lif.state.stale


def test_glif_templates_set_the_flags(qtbot, lif):
    glif5 = next(t for t in templates() if t.title == "GLIF5")
    lif.editor.load_template(glif5)
    settled(qtbot, lif)
    checks = {name: row.check.isChecked() for name, row in lif.parameters.rows.items() if row.boolean}
    assert checks == {"spike_dependent_threshold": True, "after_spike_currents": True, "adapting_threshold": True}


def test_bracket_matching_and_completion(qtbot, lif):
    editor = lif.editor.editor
    text = editor.toPlainText()
    open_at = text.index("(")
    assert text[editor.matching_bracket(open_at)] == ")"
    assert editor.matching_bracket(editor.matching_bracket(open_at)) == open_at
    editor.moveCursor(editor.textCursor().MoveOperation.End)
    qtbot.keyClicks(editor, "# v_rese")
    qtbot.keyClick(editor, Qt.Key.Key_Space, Qt.KeyboardModifier.ControlModifier)
    assert editor.toPlainText().endswith("# v_reset")
    qtbot.keyClicks(editor, " v_re")
    editor.completer.open()
    popup = editor.completer.popup()
    assert popup.isVisible() and editor.completer.completionCount() == 2
    popup.setCurrentIndex(editor.completer.completionModel().index(1, 0))
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert editor.toPlainText().endswith("# v_reset v_reset")
    assert "mV" in editor.completer.words.stringList() and "exp(" in editor.completer.words.stringList()


def test_the_stimulus_panel_drives_the_neuron(qtbot, lif):
    panel, state = lif.stimulus, lif.state
    panel.protocol.setCurrentText("sine")
    assert isinstance(state.stimulus.currents[0], Sine)
    panel.boxes["amplitude"].setValue(4000.0)
    panel.boxes["frequency"].setValue(5.0)
    qtbot.waitUntil(lambda: lif.trace.shown is state.trace and state.trace.current.max() > 3900, timeout=3000)
    assert state.stimulus.currents[0].frequency == 5.0
    panel.protocol.setCurrentText("none")
    panel.target.setCurrentText("syn")
    assert panel.weight.text == "1 mV"
    qtbot.waitUntil(lambda: state.trace is not None and not state.trace.current.any(), timeout=3000)
    assert state.stimulus.spikes[0].target == "syn"
    qtbot.waitUntil(lambda: lif.trace.shown is state.trace and state.trace.values["v"].max() > -69.5, timeout=3000)


def _plotted(view) -> list[str]:
    """The left-axis labels of the trace's plots on screen, top to bottom."""
    plots = [p for p in (view.top, view.middle, view.bottom) if p in view.plots.ci.items and p.isVisible()]
    return [p.getAxis("left").labelText for p in plots]


def test_the_trace_shows_the_input_current_once(qtbot):
    lif = make_playground(qtbot, PlaygroundState(LIBRARY["lif"]))
    qtbot.waitUntil(lambda: lif.trace.shown is not None, timeout=5000)
    assert _plotted(lif.trace) == ["v", "I"]  # one state variable: no middle plot repeating the current
    assert not lif.trace.middle_choice.isVisible()
    fhn = make_playground(qtbot, PlaygroundState(LIBRARY["fitzhugh_nagumo"]))
    qtbot.waitUntil(lambda: fhn.trace.shown is not None, timeout=5000)
    assert _plotted(fhn.trace) == ["v", "u", "I"] and fhn.trace.middle_choice.isVisible()
    assert "input current" not in [fhn.trace.middle_choice.itemText(k) for k in range(fhn.trace.middle_choice.count())]
