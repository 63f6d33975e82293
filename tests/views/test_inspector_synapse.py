"""A projection's synapse model is chosen in the inspector, its parameters appear as fields with NEST's
defaults, are checked as typed, and every change is one undoable command."""

from tests.views.helpers import select, type_into


def _choose(window, field: str, text: str) -> None:
    combo = window.inspector.fields[field]
    combo.setCurrentIndex(combo.findText(text))
    combo.activated.emit(combo.currentIndex())


def _synapse_fields(window) -> list[str]:
    return [f for f in window.inspector.fields if f.startswith("synapse_params.")]


def test_choosing_tsodyks2_shows_its_parameters_and_undo_takes_them_away(qtbot, cuba_window):
    window = cuba_window
    select(window, "EE")
    assert _synapse_fields(window) == []
    _choose(window, "synapse", "tsodyks2_synapse")
    assert window.document.edges["EE"].data.synapse == "tsodyks2_synapse"
    assert _synapse_fields(window) == ["synapse_params.U", "synapse_params.u", "synapse_params.x",
                                       "synapse_params.tau_rec", "synapse_params.tau_fac"]
    assert window.inspector.fields["synapse_params.tau_rec"].edit.placeholderText() == "800 ms"
    type_into(qtbot, window, "synapse_params.tau_rec", "500 ms")
    assert window.document.edges["EE"].data.synapse_params == {"tau_rec": "500 ms"}
    window.undo_action.trigger()
    assert window.document.edges["EE"].data.synapse_params == {}
    window.undo_action.trigger()
    assert window.document.edges["EE"].data.synapse in (None, "static_synapse")
    assert _synapse_fields(window) == []


def test_a_parameter_out_of_range_is_refused_in_place(qtbot, cuba_window):
    window = cuba_window
    select(window, "EE")
    _choose(window, "synapse", "tsodyks_synapse")
    type_into(qtbot, window, "synapse_params.U", "1.5")
    assert window.inspector.fields["synapse_params.U"].problem == "`1.5` must be at most 1"
    assert "U" not in window.document.edges["EE"].data.synapse_params


def test_another_synapse_model_drops_the_parameters_it_does_not_have_in_one_step(qtbot, cuba_window):
    window = cuba_window
    select(window, "EE")
    _choose(window, "synapse", "tsodyks2_synapse")
    type_into(qtbot, window, "synapse_params.U", "0.2")
    type_into(qtbot, window, "synapse_params.u", "0.2")
    _choose(window, "synapse", "tsodyks_synapse")
    assert window.document.edges["EE"].data.synapse_params == {"U": 0.2, "u": 0.2}
    _choose(window, "synapse", "static_synapse")
    assert window.document.edges["EE"].data.synapse_params == {}
    window.undo_action.trigger()
    assert window.document.edges["EE"].data.synapse == "tsodyks_synapse"
    assert window.document.edges["EE"].data.synapse_params == {"U": 0.2, "u": 0.2}
    assert window.inspector.fields["synapse_params.U"].text == "0.2"
