"""The arithmetic of a projection or population in the inspector: float, fixed (a Q format), SC (source, L,
seed); each edit one undoable command, a refused value kept in its field with the reason."""

from __future__ import annotations

import re

from PySide6.QtWidgets import QComboBox, QGroupBox

from studio.document.document import Document
from tests.views.helpers import ROOT, make_window, select, type_into

SC_DEMO = ROOT / "resources" / "examples" / "sc_demo.ncsproj"


def _choose(qtbot, window, field: str, text: str) -> None:
    combo = window.inspector.fields[field]
    assert isinstance(combo, QComboBox)
    combo.setCurrentText(text)
    combo.activated.emit(combo.currentIndex())


def _shown(window) -> dict[str, str]:
    fields = window.inspector.fields
    return {f: (w.currentText() if isinstance(w, QComboBox) else w.text) for f, w in fields.items()
            if f.startswith("arithmetic.")}


def test_an_sc_projection_shows_its_source_length_and_seed(qtbot):
    window = make_window(qtbot, Document.open(SC_DEMO))
    select(window, "IE")
    titles = [box.title() for box in window.inspector.findChildren(QGroupBox)]
    assert titles == ["Projection", "Arithmetic"]
    assert _shown(window) == {"arithmetic.mode": "sc", "arithmetic.source": "halton", "arithmetic.length": "64",
                              "arithmetic.seed": "4099"}
    seed = window.inspector.fields["arithmetic.seed"]
    select(window, "EE")
    assert window.inspector.fields["arithmetic.seed"].edit.placeholderText() == "from the index"
    assert seed is not window.inspector.fields["arithmetic.seed"]
    select(window, "II")
    assert _shown(window) == {"arithmetic.mode": "(none)"}


def test_switching_the_mode_is_one_undoable_edit_that_keeps_what_the_mode_takes(qtbot):
    window = make_window(qtbot, Document.open(SC_DEMO))
    select(window, "EE")
    _choose(qtbot, window, "arithmetic.mode", "fixed")
    assert window.document.edges["EE"].data.arithmetic == {"mode": "fixed", "format": "Q8.8"}
    assert _shown(window) == {"arithmetic.mode": "fixed", "arithmetic.format": "Q8.8"}
    assert window.stack.undo_text == "Set EE.arithmetic to fixed"
    window.undo_action.trigger()
    assert window.document.edges["EE"].data.arithmetic == {"mode": "sc", "source": "sobol16", "length": 256}
    assert _shown(window)["arithmetic.length"] == "256"
    _choose(qtbot, window, "arithmetic.length", "1024")
    _choose(qtbot, window, "arithmetic.source", "lfsr16")
    assert window.document.edges["EE"].data.arithmetic == {"mode": "sc", "source": "lfsr16", "length": 1024}
    _choose(qtbot, window, "arithmetic.mode", "(none)")
    assert window.document.edges["EE"].data.arithmetic is None and window.stack.undo_text == "Clear EE.arithmetic"
    window.undo_action.trigger()
    assert window.document.edges["EE"].data.arithmetic["source"] == "lfsr16"


def test_a_population_sets_the_arithmetic_of_its_inputs(qtbot):
    window = make_window(qtbot, Document.open(SC_DEMO))
    select(window, "I")
    assert "Arithmetic" in [box.title() for box in window.inspector.findChildren(QGroupBox)]
    _choose(qtbot, window, "arithmetic.mode", "sc")
    assert window.document.nodes["I"].data.arithmetic == {"mode": "sc", "source": "lfsr16", "length": 256}
    type_into(qtbot, window, "arithmetic.seed", "0xACE1")
    assert window.document.nodes["I"].data.arithmetic["seed"] == 0xACE1


def test_a_bad_seed_or_format_stays_in_its_field_with_the_reason(qtbot, tmp_path):
    window = make_window(qtbot, Document.open(SC_DEMO))
    select(window, "EI")
    _choose(qtbot, window, "arithmetic.mode", "sc")
    before = len(window.stack)
    type_into(qtbot, window, "arithmetic.seed", "0")
    field = window.inspector.fields["arithmetic.seed"]
    assert re.match(r"^projection `EI`, arithmetic: lfsr16 seed must be 1\.\.65535, not 0$", field.problem)
    assert field.reason.isVisible() and field.text == "0"
    assert window.document.edges["EI"].data.arithmetic == {"mode": "sc", "source": "lfsr16", "length": 256}
    assert len(window.stack) == before
    _choose(qtbot, window, "arithmetic.mode", "fixed")
    type_into(qtbot, window, "arithmetic.format", "Q8.x")
    fmt = window.inspector.fields["arithmetic.format"]
    assert fmt.problem.startswith("projection `EI`, arithmetic: ") and fmt.text == "Q8.x"
    assert window.document.edges["EI"].data.arithmetic["format"] == "Q8.8"
    assert [p.field for p in window.inspector.refused_fields()] == ["arithmetic.format"]
    window.inspector.ensureWidgetVisible(fmt)
    assert window.inspector.grab().save(str(tmp_path / "inspector.png"))


def test_each_arithmetic_field_says_what_it_means(qtbot):
    window = make_window(qtbot, Document.open(SC_DEMO))
    select(window, "EE")
    fields = window.inspector.fields
    assert fields["arithmetic.seed"].edit.whatsThis() == (
        "<b>seed</b>: the source's seed, non-zero (empty: derived from its index, so that streams are "
        "decorrelated)<br>unit: a whole number (0x… for hex)<br>example: <code>0xACE1</code>")
    assert fields["arithmetic.length"].toolTip().startswith("bits per stream and time step, a power of two from 64 to 4096")
    assert fields["arithmetic.mode"].toolTip().endswith("(none): as the run computes")
