"""Saving files so that a crash never leaves a half-written one behind, and JSON text that reads well."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any, BinaryIO, Callable

JSON_WIDTH = 100


def atomic_write(path: str | os.PathLike, write: Callable[[BinaryIO], None]) -> None:
    """Write a file through ``write(file)`` and put it in place in one step.

    The content goes to a temporary file in the same directory, is flushed to
    disk and then renamed over ``path``; on any error the old file (if any) is
    untouched and the temporary file is removed.

    Parameters
    ----------
    path
        The file to create or replace.
    write
        Called once with a binary file object open for writing.

    Raises
    ------
    OSError
        The directory is missing or not writable, or the disk is full.
    """
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    # os.open with 0o666 lets the umask decide the mode, as for any new file.
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(target)) from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            if target.exists():
                os.chmod(fh.fileno(), target.stat().st_mode & 0o7777)
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically (see :func:`atomic_write`)."""
    data = text.encode("utf-8")
    atomic_write(path, lambda fh: fh.write(data))


def json_text(value: Any) -> str:
    """``value`` as JSON text ending in a newline: indented, with short lists and objects of plain values (up
    to ``JSON_WIDTH`` characters) on one line, and the numbers of a longer list filling lines of that width."""
    return _json_lines(value, "") + "\n"


def _json_lines(value: Any, indent: str) -> str:
    if not isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    flat = ""  # only a list or object of plain values is written whole: once, whatever its depth
    if not any(isinstance(v, (list, dict)) for v in (value.values() if isinstance(value, dict) else value)):
        flat = json.dumps(value, ensure_ascii=False)
        if len(indent) + len(flat) <= JSON_WIDTH:
            return flat
    inner = indent + "  "
    if flat and isinstance(value, list) and all(type(v) in (int, float) for v in value):
        # A long list of numbers (a connection list, per-connection weights) fills its lines.
        lines, line = [], inner
        for number in flat[1:-1].split(", "):
            if len(line) + len(number) + 1 > JSON_WIDTH and line != inner:
                lines.append(line.rstrip())
                line = inner
            line += number + ", "
        return "[\n" + "\n".join([*lines, line.removesuffix(", ")]) + "\n" + indent + "]"
    if isinstance(value, list):
        items = [inner + _json_lines(v, inner) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + indent + "]" if items else "[]"
    items = [f"{inner}{json.dumps(k, ensure_ascii=False)}: {_json_lines(v, inner)}" for k, v in value.items()]
    return "{\n" + ",\n".join(items) + "\n" + indent + "}" if items else "{}"
