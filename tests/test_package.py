"""The desktop bundle (packaging/): PyInstaller builds it, and the bundled app opens, runs and draws an example."""

from __future__ import annotations

import configparser
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
APP_ID = "io.neurocore.Studio"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    """The one-folder bundle, built as `make package` builds it (same spec, same options)."""
    out = tmp_path_factory.mktemp("package")
    built = subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
                            "--distpath", str(out / "dist"), "--workpath", str(out / "build"),
                            str(PACKAGING / "ncstudio.spec")],
                           cwd=ROOT, capture_output=True, text=True, timeout=1500)
    assert built.returncode == 0, built.stderr[-3000:]
    return out / "dist" / "ncstudio"


def _bundled(bundle: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**{k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([str(bundle / "ncstudio"), *args], cwd=bundle.parent, env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.slow
def test_the_bundled_app_opens_runs_and_draws_its_example(bundle, tmp_path):
    examples = next(bundle.rglob("resources/examples"))
    shot = tmp_path / "bundled.png"
    shown = _bundled(bundle, str(examples / "cuba.ncsproj"), "--run", "200ms", "--screenshot", str(shot), "--quit")
    assert shown.returncode == 0, shown.stderr[-3000:]
    image = QImage(str(shot))
    assert image.width() >= 1000 and image.height() >= 600
    colours = {image.pixel(x, y) for x in range(0, image.width(), 37) for y in range(0, image.height(), 37)}
    assert len(colours) > 20  # a drawn window, not a blank surface

    ran = _bundled(bundle, "run", str(examples / "cuba.ncsproj"), "--duration", "100ms", "--json")
    assert ran.returncode == 0, ran.stderr[-3000:]
    here = subprocess.run([sys.executable, "-m", "views.launch", "run", str(ROOT / "resources/examples/cuba.ncsproj"),
                           "--duration", "100ms", "--json"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert json.loads(ran.stdout)["spikes"] == json.loads(here.stdout)["spikes"]  # the bundled kernels, same bits
    assert next(bundle.rglob("ext/network*.so"))


def test_the_desktop_entry_and_appstream_metadata_name_the_same_app():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(PACKAGING / f"{APP_ID}.desktop")
    desktop = entry["Desktop Entry"]
    assert desktop["Type"] == "Application" and desktop["Exec"].split()[0] == "ncstudio"
    assert desktop["Icon"] == APP_ID
    metainfo = ET.parse(PACKAGING / f"{APP_ID}.metainfo.xml").getroot()
    assert metainfo.findtext("id") == APP_ID
    assert metainfo.find("launchable").text == f"{APP_ID}.desktop"
    assert metainfo.findtext("provides/binary") == "ncstudio"
    mime = ET.parse(PACKAGING / f"{APP_ID}.mime.xml").getroot()
    ns = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}
    types = {t.get("type"): t.find("m:glob", ns).get("pattern") for t in mime.findall("m:mime-type", ns)}
    assert types == {"application/x-neurocore-project": "*.ncsproj", "application/x-neurocore-model": "*.ncsmodel"}
    assert set(desktop["MimeType"].rstrip(";").split(";")) == set(types)
    assert {m.text for m in metainfo.findall("provides/mediatype")} == set(types)
