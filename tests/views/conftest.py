"""Qt tests run offscreen, with settings and recovery files in a temporary folder."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported anywhere

import pytest  # noqa: E402
from PySide6.QtCore import QCoreApplication, QSettings  # noqa: E402

from studio.document.document import Document  # noqa: E402
from tests.views.helpers import CUBA, make_window  # noqa: E402


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
