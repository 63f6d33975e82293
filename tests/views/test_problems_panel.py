"""The problems panel shows where and what in full: the place in its own width, the message wrapped."""

from __future__ import annotations

from studio.document.checks import DocumentProblem
from views.problems_panel import ProblemsPanel

LONG = "delay 0.01 ms is shorter than one time step (0.1 ms); the minimum delay is one step"


def test_where_and_a_long_message_are_shown_whole_in_a_narrow_panel(qtbot):
    panel = ProblemsPanel()
    qtbot.addWidget(panel)
    panel.resize(420, 200)
    panel.show()
    panel.set_field_problems([DocumentProblem("E_to_I", "delay", LONG)])
    tree, item = panel.tree, panel.tree.topLevelItem(0)
    metrics = tree.fontMetrics()
    lines = -(-metrics.horizontalAdvance(LONG) // (tree.viewport().width() // 2))
    qtbot.waitUntil(lambda: tree.visualItemRect(item).height() >= lines * metrics.lineSpacing())
    assert item.text(0) == "E_to_I.delay (typed, not applied)"
    assert tree.columnWidth(0) >= metrics.horizontalAdvance(item.text(0))
    assert tree.columnWidth(0) + tree.columnWidth(1) <= tree.viewport().width()  # no scrolling sideways
    assert panel.messages() == [f"E_to_I.delay (typed, not applied): {LONG}"]
