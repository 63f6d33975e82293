"""Widgets coloured by the theme follow View → Theme: the inspector's hints and marks, the problems panel, the
playground's stale banner, the hardware workspace's messages and manifest."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from studio.document.document import Document
from tests.views.helpers import select, type_into
from tests.views.test_hardware_workspace import HIL, open_hardware
from views.theme import colors


def hint(window, text: str) -> QLabel:
    return next(label for label in window.inspector.widget().findChildren(QLabel) if label.text() == text)


def test_the_inspectors_hints_and_marks_follow_the_theme(qtbot, cuba_window):
    window = cuba_window
    window.set_theme("light")
    light = colors()
    select(window, "EE")
    type_into(qtbot, window, "rule.p", "1.5")
    label = hint(window, "synaptic delay, at least one time step")
    field = window.inspector.fields["rule.p"]
    assert light.muted.name() in label.styleSheet() and light.error.name() in field.reason.styleSheet()
    assert light.error.name() in field.edit.styleSheet()
    window.set_theme("dark")
    dark = colors()
    assert dark.muted != light.muted and dark.error != light.error
    assert dark.muted.name() in label.styleSheet() and dark.error.name() in field.reason.styleSheet()
    assert dark.error.name() in field.edit.styleSheet()
    assert window.problems.tree.topLevelItem(0).foreground(0).color() == dark.error
    window.set_theme("light")
    assert light.muted.name() in label.styleSheet()
    assert window.problems.tree.topLevelItem(0).foreground(0).color() == light.error


def test_the_playgrounds_stale_banner_follows_the_theme(qtbot, cuba_window):
    window = cuba_window
    window.set_theme("light")
    light = colors()
    window.set_workspace("playground")
    banner = window.workspace("playground").view.trace.banner
    assert f"background: {light.error.name()}" in banner.styleSheet()
    window.set_theme("dark")
    dark = colors()
    assert f"background: {dark.error.name()}" in banner.styleSheet() and f"color: {dark.canvas.name()}" in \
        banner.styleSheet()


def test_the_hardware_workspaces_messages_and_manifest_follow_the_theme(qtbot, tmp_path):
    window, hardware = open_hardware(qtbot, Document.open(HIL))
    window.set_theme("light")
    light = colors()
    assert light.muted.name() in hardware.message.styleSheet()
    assert light.muted.name() in hardware.manifest.toHtml().lower()
    hardware.cosim.fail("the simulator stopped")
    assert light.error.name() in hardware.cosim.verdict.styleSheet()
    window.set_theme("dark")
    dark = colors()
    assert dark.muted.name() in hardware.message.styleSheet()
    assert dark.muted.name() in hardware.manifest.toHtml().lower()
    assert dark.error.name() in hardware.cosim.verdict.styleSheet()
    assert hardware.cosim.verdict.text() == "the simulator stopped"
