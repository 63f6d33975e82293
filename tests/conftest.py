"""Tests that need external tools say so with ``@pytest.mark.tools("verilator", ...)``; the tools are looked
for when such a test runs (once per session), never while tests are collected (looking runs ``--version``)."""

from __future__ import annotations

import functools

import pytest

from hdl.tools import ToolNotFound, require_tool


@functools.cache
def _missing(name: str) -> str:
    """Why tool ``name`` cannot be used here (``""`` when it can)."""
    try:
        require_tool(name)
    except ToolNotFound as exc:
        return str(exc)
    return ""


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "tools(*names): skip unless these external tools are found (hdl.tools)")


@pytest.fixture(autouse=True)
def _tools_found(request) -> None:
    """Skip a test marked ``tools(...)`` when one of its tools is missing, saying why."""
    marker = request.node.get_closest_marker("tools")
    reasons = [_missing(name) for name in (marker.args if marker else ())]
    if any(reasons):
        pytest.skip("; ".join(reason for reason in reasons if reason))


@pytest.fixture(autouse=True, scope="session")
def _native_cache(tmp_path_factory) -> None:
    """Natively compiled population kernels go to a folder of this session, not the user's cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NCS_NATIVE_CACHE", str(tmp_path_factory.mktemp("native")))
        yield
