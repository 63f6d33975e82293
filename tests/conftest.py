"""Tests that need external tools say so with ``@pytest.mark.tools("verilator", ...)``; the tools are looked
for when such a test runs (once per session), never while tests are collected (looking runs ``--version``)."""

from __future__ import annotations

import functools

import pytest

from hdl.tools import has_tool

_found = functools.cache(has_tool)


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "tools(*names): skip unless these external tools are found (hdl.tools)")


@pytest.fixture(autouse=True)
def _tools_found(request) -> None:
    """Skip a test marked ``tools(...)`` when one of its tools is missing."""
    marker = request.node.get_closest_marker("tools")
    missing = [name for name in (marker.args if marker else ()) if not _found(name)]
    if missing:
        pytest.skip(f"needs {' and '.join(missing)} (not found; see hdl.tools for how to install them)")


@pytest.fixture(autouse=True, scope="session")
def _native_cache(tmp_path_factory) -> None:
    """Natively compiled population kernels go to a folder of this session, not the user's cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NCS_NATIVE_CACHE", str(tmp_path_factory.mktemp("native")))
        yield
