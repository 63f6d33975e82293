"""The palette's NESTML group: the package's models listed, converted on first use, refused ones greyed."""

from PySide6.QtCore import Qt

from studio.document.checks import document_problems
from views.palette import MIME_TYPE, Palette, decode


def test_nestml_entries_convert_on_first_use_and_refused_ones_are_greyed_with_the_reason(qtbot):
    palette = Palette()
    qtbot.addWidget(palette)
    group = palette.tree.findItems("NESTML", Qt.MatchFlag.MatchExactly)[0]
    assert group.childCount() == 30
    converted = []
    palette.nestml_converted.connect(converted.append)
    with qtbot.waitSignal(palette.chosen) as chosen:
        palette.tree.itemActivated.emit(palette.entry("iaf_psc_exp_neuron"), 0)
    assert chosen.args == ["population", "iaf_psc_exp_neuron"]
    assert [m.name for m in converted] == ["iaf_psc_exp_neuron"]
    assert "converted (receptors exc_spikes, inh_spikes)" in palette.entry("iaf_psc_exp_neuron").toolTip(0)

    refused = palette.entry("izhikevich_neuron")
    mime = palette.tree.mimeData([refused])
    assert not mime.hasFormat(MIME_TYPE)
    assert not refused.flags() & Qt.ItemFlag.ItemIsEnabled
    assert refused.toolTip(0) == ("Not convertible: izhikevich_neuron.nestml line 94: the statement "
                                  "`V_m = max(V_min, V_m)` after integrate_odes() in update is not supported")
    assert decode(palette.tree.mimeData([palette.entry("iaf_psc_exp_neuron")])) == ("population",
                                                                                     "iaf_psc_exp_neuron")
    palette.filter.setText("izhikevich")
    assert not refused.isHidden()


def test_a_nestml_model_chosen_in_the_window_becomes_a_project_model_of_a_new_population(empty_window):
    window = empty_window
    palette = window.palette_widget
    palette.tree.itemActivated.emit(palette.entry("iaf_psc_alpha_neuron"), 0)
    document = window.document
    assert "iaf_psc_alpha_neuron" in document.settings["models"]
    populations = [n.data for n in document.nodes.values() if n.kind == "population"]
    assert [p.model for p in populations] == ["iaf_psc_alpha_neuron"]
    assert document_problems(document) == []
    assert "iaf_psc_alpha_neuron" in [palette._project.child(i).text(0) for i in range(palette._project.childCount())]
    palette.tree.itemActivated.emit(palette.entry("iaf_psc_alpha_neuron"), 0)  # a second use adds no second model
    assert list(document.settings["models"]) == ["iaf_psc_alpha_neuron"]
