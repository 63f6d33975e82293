"""The palette's NESTML group: the package's models listed, converted on first use, refused ones greyed."""

from PySide6.QtCore import Qt

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
