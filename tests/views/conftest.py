"""Qt tests run offscreen, with settings and recovery files in a temporary folder."""

import gc
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported anywhere

import pytest  # noqa: E402
from PySide6.QtCore import QCoreApplication, QSettings  # noqa: E402

from studio.document.document import Document  # noqa: E402
from tests.example_projects import HIL_DEMO  # noqa: E402
from tests.views.helpers import CUBA, make_window  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def garbage_collected_on_the_gui_thread(qapp):
    """As in the studio: Qt objects are only ever finalized on the GUI thread (see views.app)."""
    from views.app import collect_garbage_on_gui_thread

    collector = collect_garbage_on_gui_thread()
    yield
    collector.timer.stop()
    gc.enable()


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Settings and recovery files of this test only."""
    monkeypatch.setenv("NCSTUDIO_RECOVERY_DIR", str(tmp_path / "recovery"))
    QCoreApplication.setOrganizationName("NeuroCoreTest")
    QCoreApplication.setApplicationName("NeuroCore Studio Test")
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    QSettings().clear()
    yield
    from views.app import release_clipboard

    release_clipboard()


@pytest.fixture
def cuba_window(qtbot):
    return make_window(qtbot, Document.open(CUBA))


@pytest.fixture
def empty_window(qtbot):
    from views.files import empty_project

    return make_window(qtbot, Document.from_project(empty_project()))


@pytest.fixture
def hil_panel(qtbot, tmp_path):
    """The HIL panel on hil_demo, shown, its engine prediction ready; its session closed at the end."""
    from views.hil.hil_panel import HilPanel

    widget = HilPanel(str(HIL_DEMO), folder=tmp_path)
    qtbot.addWidget(widget)
    widget.resize(1400, 800)
    widget.show()
    qtbot.waitUntil(lambda: widget.session.engine is not None, timeout=30000)
    yield widget
    widget.close_session()
